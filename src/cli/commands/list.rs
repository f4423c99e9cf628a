//! `burnprop list`: the presets, the 2-D data sets `--data` can give them, and what
//! `--data-file` trains.

use anyhow::Result;
use clap::ValueEnum;

use crate::cli::Outcome;
use crate::config::Preset;
use crate::data::PointSet;

/// Runs `burnprop list`.
pub fn run() -> Result<Outcome> {
    print!("{}", text());
    Ok(Outcome::Success)
}

/// The text of `burnprop list`: each preset's notebook, network, data and training, then the
/// data sets of `--data`.
pub fn text() -> String {
    let mut out = String::new();
    for preset in Preset::ALL {
        let config = preset.config();
        out.push_str(&format!(
            "{:<12} notebook {}\n{:<12} network  {}\n{:<12} data     {}\n{:<12} training {}\n\n",
            preset.name(),
            preset.notebook(),
            "",
            config.network(),
            "",
            config.data.describe(),
            "",
            preset.training(),
        ));
    }
    out.push_str(
        "--data SET   in place of a 2-D preset's data: circles, xor, micrograd (encoding kept)\n",
    );
    for set in PointSet::value_variants() {
        if let Some(name) = set.to_possible_value() {
            out.push_str(&format!(
                "{:<12} {:<7}  {}\n",
                "",
                name.get_name(),
                set.config(false).describe()
            ));
        }
    }
    out.push_str(&format!(
        "\n--data-file FILE  your own CSV instead of a preset (--target, --inputs, --task):\n{:<12} network  n-16-k relu, the output and loss of its target\n{:<12} training {}\n",
        "",
        "",
        Preset::File.training()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_names_every_preset_and_notebook() {
        let text = text();
        for preset in Preset::ALL {
            assert!(text.contains(preset.name()));
            assert!(text.contains(preset.notebook()));
        }
        assert!(text.contains("2-3-1 relu → sigmoid, no biases"));
        assert!(
            text.contains("moons    make_moons(N=100, noise=0.1)"),
            "{text}"
        );
        assert!(
            text.contains("spiral   TensorFlow Playground's spiral"),
            "{text}"
        );
        assert!(text.contains("--data-file FILE"), "{text}");
    }
}
