//! MNIST's handwritten digits with a 784-128-10 ReLU/softmax network (the goal notebooks 002
//! and 003 build up to): 10 epochs of minibatch SGD with momentum, then the test set's
//! confusion matrix.
//!
//! `cargo run --release --example mnist -- [DIR]`, where DIR holds the four IDX files (raw or
//! .gz); without it, `BURNPROP_MNIST_DIR`, then burn-dataset's cache.

use std::path::PathBuf;

use burnprop::artifacts::RunDir;
use burnprop::config::Preset;
use burnprop::data::DataConfig;
use burnprop::progress::Progress;
use burnprop::{device, eval, train};

fn main() -> anyhow::Result<()> {
    let (backend, device) = device::from_env()?;
    let mut config = Preset::Mnist.config();
    if let DataConfig::Mnist { dir, .. } = &mut config.data {
        *dir = std::env::args_os()
            .nth(1)
            .or_else(|| std::env::var_os("BURNPROP_MNIST_DIR"))
            .map(PathBuf::from);
    }
    let out = PathBuf::from("runs/examples/mnist");
    let report = train::run_to_dir(
        &config,
        backend,
        &device,
        &out,
        &train::RunOptions {
            // An example rewrites its own directory every time it runs, under runs/examples/,
            // apart from the `burnprop train` runs it would otherwise replace.
            overwrite: true,
            ..Default::default()
        },
        &mut Progress::new(None, false),
    )?;
    println!("{report}\n");
    let (_, evaluation) = eval::evaluate_run(&RunDir::open(&out)?, None, &device)?;
    println!("{evaluation}");
    Ok(())
}
