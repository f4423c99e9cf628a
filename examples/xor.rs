//! Notebook 003: XOR with a 2-3-1 ReLU/sigmoid network without biases.
//!
//! `cargo run --release --example xor`

use burn::tensor::Device;
use burnprop::config::Preset;
use burnprop::data::toy;
use burnprop::progress::Progress;
use burnprop::{device, train};

fn main() -> anyhow::Result<()> {
    let (backend, device): (_, Device) = device::from_env()?;
    let config = Preset::Xor.config();
    let report = train::run_to_dir(
        &config,
        backend,
        &device,
        "runs/examples/xor".as_ref(),
        &train::RunOptions {
            // An example rewrites its own directory every time it runs, under runs/examples/,
            // apart from the `burnprop train` runs it would otherwise replace.
            overwrite: true,
            ..Default::default()
        },
        &mut Progress::new(None, false),
    )?;
    println!("{}\n\n{report}\n", report.trained.model.summary());
    let table = toy::xor();
    let predictions = train::predict(&report.trained.model, table.clone(), &config, &device)?;
    for (example, yhat) in table.iter().zip(predictions) {
        let class = u8::from(yhat[0] > 0.5);
        println!(
            "{:?} → ŷ = {:.4} → {class} (target {})",
            example.x, yhat[0], example.y[0]
        );
    }
    Ok(())
}
