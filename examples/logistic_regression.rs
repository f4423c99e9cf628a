//! Notebook 001: a logistic regressor (3-1, sigmoid) learning that `y` copies `X1`.
//!
//! `cargo run --release --example logistic_regression`

use burnprop::config::Preset;
use burnprop::data::toy;
use burnprop::device;
use burnprop::progress::Progress;
use burnprop::train::{self, Experiment};

fn main() -> anyhow::Result<()> {
    let (backend, device) = device::from_env()?;
    let config = Preset::Logreg.config();
    // In[5]: the predictions of the untrained weights (np.random.seed(1)).
    let untrained = Experiment::new(&config, &device)?.model;
    println!(
        "A1 before training: {:?}",
        train::predict(&untrained, toy::logreg(), &config, &device)?
    );
    let report = train::run_to_dir(
        &config,
        backend,
        &device,
        "runs/examples/logreg".as_ref(),
        &train::RunOptions {
            // An example rewrites its own directory every time it runs, under runs/examples/,
            // apart from the `burnprop train` runs it would otherwise replace.
            overwrite: true,
            ..Default::default()
        },
        &mut Progress::new(None, false),
    )?;
    println!("{report}");
    println!(
        "A1 after training:  {:?}",
        train::predict(&report.trained.model, toy::logreg(), &config, &device)?
    );
    Ok(())
}
