//! Helpers shared by the integration tests.

use assert_cmd::Command;
use burn::tensor::{Device, Tensor};

use burnprop::config::{Engine, ExperimentConfig, Preset};
use burnprop::data::DataConfig;
use burnprop::model::Mlp;
use burnprop::train::{Experiment, History, Silent, Trained, train_config};

/// f32 arithmetic on values of order 1: a few units in the last place.
pub const F32: f64 = 1e-6;

/// The notebooks print 8 decimals: half a unit of the last printed digit.
pub const PRINTED: f64 = 5e-9;

// Notebook 003, In[46]: Z1, X2 = relu(Z1), Z2 and Yhat for the XOR table, printed after
// np.random.seed(0) and the Glorot draw of In[11] (rows are the inputs [0,0], [0,1], [1,0], [1,1]).

/// Notebook 003's printed `Z1`, `[4, 3]`.
#[rustfmt::skip]
pub const XOR_Z1: [f64; 12] = [
    0.0, 0.0, 0.0,
    0.12694881, -0.21593684, 0.41265087,
    0.13806544, 0.60864744, 0.29065872,
    0.26501425, 0.3927106, 0.70330959,
];
/// Notebook 003's printed `X2`, `[4, 3]`.
#[rustfmt::skip]
pub const XOR_X2: [f64; 12] = [
    0.0, 0.0, 0.0,
    0.12694881, 0.0, 0.41265087,
    0.13806544, 0.60864744, 0.29065872,
    0.26501425, 0.3927106, 0.70330959,
];
/// Notebook 003's printed `Z2`, `[4, 1]`.
pub const XOR_Z2: [f64; 4] = [0.0, 0.51875506, 1.03125078, 1.31072593];
/// Notebook 003's printed `Yhat`, `[4, 1]`.
pub const XOR_YHAT: [f64; 4] = [0.5, 0.62685661, 0.73715831, 0.78763461];

/// The values of a tensor as f64, row-major.
pub fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f64> {
    tensor
        .into_data()
        .convert::<f64>()
        .try_to_vec::<f64>()
        .expect("a float tensor")
}

/// Asserts element-wise `|actual − expected| ≤ tol`.
pub fn assert_close(actual: &[f64], expected: &[f64], tol: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tol,
            "{what}[{i}]: {a} vs expected {e} (tolerance {tol})"
        );
    }
}

/// Trains on flex with the autodiff engine, without output, returning the result and the
/// history.
pub fn train_quietly(config: &ExperimentConfig) -> (Trained, History) {
    train_with(config, Engine::Autodiff)
}

/// Trains on flex with `engine`, without output.
pub fn train_with(config: &ExperimentConfig, engine: Engine) -> (Trained, History) {
    let mut history = History::default();
    let trained = train_config(config, engine, &Device::flex(), &mut history, &mut Silent)
        .expect("training succeeds");
    (trained, history)
}

/// The committed MNIST subset: 600 training and 200 test images (scripts/make-mnist-fixtures.py).
pub fn mnist_fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mnist")
}

/// `preset`'s config, reading MNIST from the fixture (tests never read `../shared`).
pub fn offline_config(preset: Preset) -> ExperimentConfig {
    let mut config = preset.config();
    if let DataConfig::Mnist { dir, .. } = &mut config.data {
        *dir = Some(mnist_fixture());
    }
    config
}

/// A run's initial network and its whole training set as one input batch, on flex.
pub fn initial_network_and_inputs(config: &ExperimentConfig) -> (Mlp, Tensor<2>) {
    let device = Device::flex();
    let experiment = Experiment::new(config, &device).expect("a valid config");
    let inputs = experiment
        .first_batch(config, experiment.data.len(), &device)
        .inputs();
    (experiment.model, inputs)
}

/// The `burnprop` binary on flex, whatever other backends the build has (a build with a GPU
/// feature would otherwise default to the GPU), with no MNIST directory from the environment.
pub fn burnprop() -> Command {
    let mut cmd = Command::cargo_bin("burnprop").expect("the binary is built");
    cmd.env("BURN_DEVICE", "flex")
        .env_remove("BURNPROP_MNIST_DIR");
    cmd
}
