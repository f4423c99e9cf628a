//! Notebook 000: two concentric circles, a 2-3-2 sigmoid/softmax network, full-batch gradient
//! descent with momentum for the notebook's 50000 iterations (a few minutes).
//!
//! `cargo run --release --example circles -- [ITERATIONS]` (default: the notebook's 50000).

use burnprop::config::Preset;
use burnprop::progress::Progress;
use burnprop::{device, train};

fn main() -> anyhow::Result<()> {
    let (backend, device) = device::from_env()?;
    let mut config = Preset::Circles.config();
    if let Some(iterations) = std::env::args().nth(1) {
        config.epochs = iterations.parse()?;
    }
    let report = train::run_to_dir(
        &config,
        backend,
        &device,
        "runs/examples/circles".as_ref(),
        &train::RunOptions {
            // An example rewrites its own directory every time it runs, under runs/examples/,
            // apart from the `burnprop train` runs it would otherwise replace.
            overwrite: true,
            ..Default::default()
        },
        &mut Progress::new(None, false),
    )?;
    // The notebook's loss stays on a plateau near 12890 until about iteration 6000.
    for step in [0, 1000, 3000, 6000, 7000, 10_000, 20_000, 50_000] {
        if let Some(record) = report.history.records.get(step) {
            println!("iteration {step:>6}: loss {:.2}", record.loss);
        }
    }
    println!("{report}");
    Ok(())
}
