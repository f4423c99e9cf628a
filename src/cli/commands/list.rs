//! `burnprop list`: the presets.

use anyhow::Result;

use crate::cli::Outcome;
use crate::config::Preset;

/// Runs `burnprop list`.
pub fn run() -> Result<Outcome> {
    print!("{}", text());
    Ok(Outcome::Success)
}

/// The text of `burnprop list`: each preset's notebook, network, data and training.
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
    }
}
