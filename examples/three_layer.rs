//! Notebook 002: the n0-n1-n2 sigmoid/sigmoid network on random data, batch gradient descent.
//!
//! `cargo run --release --example three_layer`

use burnprop::config::Preset;
use burnprop::device;
use burnprop::train::{self, Silent};

fn main() -> anyhow::Result<()> {
    let (backend, device) = device::from_env()?;
    let config = Preset::ThreeLayer.config();
    let report = train::run_to_dir(
        &config,
        backend,
        &device,
        "runs/examples/three-layer".as_ref(),
        &train::RunOptions {
            // An example rewrites its own directory every time it runs, under runs/examples/,
            // apart from the `burnprop train` runs it would otherwise replace.
            overwrite: true,
            ..Default::default()
        },
        &mut Silent,
    )?;
    // The notebook prints cost.mean(): the loss averaged over the n2 outputs as well.
    let outputs = config.data.outputs() as f64;
    for record in report.history.records.iter().take(config.epochs) {
        println!(
            "{:>3}/{}: Cost={:.4}",
            record.step + 1,
            config.epochs,
            record.loss / outputs
        );
    }
    println!("{report}");
    Ok(())
}
