//! Every option combination a user can pick trains (initialisers, random sources, precisions,
//! losses and batch modes), and each option does what it says: its effect on the initial
//! network, a step or the loss, against an expectation computed without it.

use burn::tensor::Device;
use clap::ValueEnum;

use burnprop::artifacts::RunDir;
use burnprop::config::{Engine, ExperimentConfig, Preset};
use burnprop::data::{DataConfig, PlaygroundSet};
use burnprop::loss::{L2Scope, LossKind, Reduction};
use burnprop::manual::row;
use burnprop::model::Mlp;
use burnprop::model::init::{BiasInit, Init};
use burnprop::model::mlp::LayerParams;
use burnprop::rng::RngKind;
use burnprop::tensor::Precision;
use burnprop::train::Experiment;

use crate::common::{
    burnprop, initial_network_and_inputs, offline_config, train_quietly, train_with, values,
};

#[test]
fn every_initialiser_random_source_and_precision_trains_reproducibly() {
    for &init in Init::value_variants() {
        for &rng in RngKind::value_variants() {
            for &dtype in Precision::value_variants() {
                let mut config = Preset::Xor.config();
                config.init = init;
                config.rng = rng;
                config.dtype = dtype;
                config.bias = true;
                config.bias_init = BiasInit::Same;
                config.init_scale = Some(0.5);
                config.init_draw = 2;
                config.max_steps = Some(5);
                if rng == RngKind::Playground {
                    // The Playground's stream draws only its own sets.
                    config.data = DataConfig::Playground {
                        set: PlaygroundSet::Spiral,
                        samples: 40,
                        noise: 10.0,
                        one_hot: false,
                    };
                }
                let what = format!("{init:?} / {rng:?} / {dtype:?}");
                let (_, first) = train_quietly(&config);
                let (_, second) = train_quietly(&config);
                assert_eq!(first.losses(), second.losses(), "{what}: not reproducible");
                assert!(
                    first.losses().iter().all(|l| l.is_finite()),
                    "{what}: {:?}",
                    first.losses()
                );
            }
        }
    }
}

#[test]
fn every_loss_reduction_and_batch_mode_trains() {
    for &loss in LossKind::value_variants() {
        for &reduction in Reduction::value_variants() {
            for batch_size in [None, Some(64)] {
                let mut config = Preset::Circles.config();
                config.data = burnprop::data::DataConfig::Circles {
                    samples: 300,
                    factor: 0.5,
                    noise: 0.05,
                    shuffle: true,
                };
                config.loss = loss;
                config.reduction = reduction;
                config.batch_size = batch_size;
                config.optimizer.lr = 1e-3;
                config.max_steps = Some(12);
                let what = format!("{loss:?} / {reduction:?} / {batch_size:?}");
                let (trained, history) = train_quietly(&config);
                assert!(trained.evaluation.loss.is_finite(), "{what}");
                assert_eq!(trained.steps, 12, "{what}");
                assert_eq!(
                    trained.evaluation.accuracy.is_some(),
                    loss != LossKind::Mse,
                    "{what}: accuracy only where the loss classifies"
                );
                // Full batch adds the row after the last update.
                let rows = if batch_size.is_none() { 13 } else { 12 };
                assert_eq!(history.records.len(), rows, "{what}");
            }
        }
    }
}

// What each option does, each held to an expectation computed without it: an option that were
// silently ignored would fail these.

/// f64 parameters of order 1 after a step or two computed in different orders (the engines'
/// sums against the test's own update): a few hundred units in the last place.
const F64_STEP: f64 = 1e-12;

/// Every parameter of `model`, layer by layer: `W1` (row-major `[n_in, n_out]`), `b1`, `W2`, …
fn flat(layers: Vec<LayerParams>) -> Vec<f64> {
    layers
        .into_iter()
        .flat_map(|p| {
            let mut v = values(p.weight);
            v.extend(p.bias.map(values).unwrap_or_default());
            v
        })
        .collect()
}

/// `config`'s initial network, drawn as `train` draws it.
fn initial(config: &ExperimentConfig) -> Vec<f64> {
    let (model, _) = initial_network_and_inputs(config);
    flat(model.params())
}

/// The manual module's gradient (`src/manual/row.rs`, held to autodiff and finite differences
/// in tests/it/gradients.rs) of `config`'s objective on its whole training set at `model`.
fn gradient(config: &ExperimentConfig, model: &Mlp) -> Vec<f64> {
    let device = Device::flex();
    let experiment = Experiment::new(config, &device).expect("a valid config");
    let batch = experiment.first_batch(config, experiment.data.len(), &device);
    let grads = row::gradients(
        model,
        batch.inputs(),
        batch.targets(),
        config.loss,
        config.reduction,
    );
    flat(grads.layers)
}

/// The largest `|a − b|` over two parameter vectors of one network.
fn max_difference(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Notebook 003's XOR network in f64, with biases, drawn from numpy's stream (seed 0): the XOR
/// table draws nothing, so the weights are the stream's first numbers.
fn xor_f64() -> ExperimentConfig {
    let mut config = Preset::Xor.config();
    config.dtype = Precision::F64;
    config.bias = true;
    config
}

#[test]
fn init_normal_draws_numpys_randn_times_init_scale() {
    // python3 -c "import numpy as np; np.random.seed(0); print((np.random.randn(9)*0.3).tolist())"
    // (scripts/reference/options.py): W1 [2, 3] then W2 [3, 1] of the 2-3-1 network.
    let expected = [
        0.5292157037902991,
        0.12004716251016698,
        0.29362139523172176,
        0.6722679597604373,
        0.5602673970449902,
        -0.29318336396292327,
        0.2850265252576768,
        -0.045407162489309365,
        -0.030965655538067353,
    ];
    let mut config = xor_f64();
    config.bias = false;
    config.init = Init::Normal;
    config.init_scale = Some(0.3);
    let scaled = initial(&config);
    // numpy's `randn()*0.3` and burnprop's are the same f64 product: equal to the bit.
    assert_eq!(scaled, expected);
    config.init_scale = Some(1.0);
    let unit = initial(&config);
    let times_k: Vec<f64> = unit.iter().map(|w| w * 0.3).collect();
    assert_eq!(scaled, times_k, "scale 0.3 is 0.3 × scale 1, draw for draw");
}

#[test]
fn init_glorot_uses_each_layers_fans_and_glorot_network_the_networks() {
    // python3 -c "import numpy as np; np.random.seed(0); b1=np.sqrt(6/5); b2=np.sqrt(6/4);
    //   print(np.random.uniform(-b1,b1,(2,3)).ravel().tolist(), np.random.uniform(-b2,b2,(3,1)).ravel().tolist())"
    // (scripts/reference/options.py): Glorot uniform, bound √(6/(fan_in + fan_out)) per layer.
    let glorot = [
        0.10694502884745116,
        0.47145628038967113,
        0.22514327663930378,
        0.09833412712013101,
        -0.16726395423736085,
        0.319637986935267,
        -0.15287948583052824,
        0.9596439469150901,
        1.1357371759578045,
    ];
    let mut config = xor_f64();
    config.bias = false;
    config.init = Init::Glorot;
    let drawn = initial(&config);
    // numpy's uniform is `low + (high − low)·random_sample()`, as burnprop computes it.
    assert_eq!(drawn, glorot);
    let (b1, b2) = ((6.0_f64 / 5.0).sqrt(), (6.0_f64 / 4.0).sqrt());
    assert!(drawn[..6].iter().all(|w| w.abs() <= b1));
    assert!(drawn[6..].iter().all(|w| w.abs() <= b2));
    // Notebook 003's own rule, one bound √(6/(2 + 1)) for both layers, maps the same uniform
    // numbers u = (w + b)/2b onto another interval: w' = b'·(2u − 1).
    config.init = Init::GlorotNetwork;
    let network = initial(&config);
    let b = (6.0_f64 / 3.0).sqrt();
    for (i, (&w, &w_net)) in glorot.iter().zip(&network).enumerate() {
        let own = if i < 6 { b1 } else { b2 };
        let u = (w + own) / (2.0 * own);
        assert!((w_net - b * (2.0 * u - 1.0)).abs() <= 1e-15, "weight {i}");
    }
}

#[test]
fn bias_init_zeros_or_drawn_after_each_layers_weights() {
    // python3 -c "import numpy as np; np.random.seed(0); print(np.random.randn(13).tolist())"
    // (scripts/reference/options.py): W1 (6), b1 (3), W2 (3), b2 (1), as notebook 000 draws
    // `randn(n_in, n_out)` then `randn(1, n_out)` layer by layer.
    let stream = [
        1.764052345967664,
        0.4001572083672233,
        0.9787379841057392,
        2.240893199201458,
        1.8675579901499675,
        -0.977277879876411,
        0.9500884175255894,
        -0.1513572082976979,
        -0.10321885179355784,
        0.41059850193837233,
        0.144043571160878,
        1.454273506962975,
        0.7610377251469934,
    ];
    let mut config = xor_f64();
    config.init = Init::Normal;
    config.init_scale = Some(1.0);
    config.bias_init = BiasInit::Same;
    assert_eq!(initial(&config), stream);
    config.bias_init = BiasInit::Zeros;
    // Zero biases draw nothing: W2 takes the stream's numbers 7 to 9.
    let zeros = [&stream[..6], &[0.0; 3], &stream[6..9], &[0.0]].concat();
    assert_eq!(initial(&config), zeros);
}

/// `config` trained for `steps` steps with `engine`, its parameters.
fn after(config: &ExperimentConfig, engine: Engine, steps: usize) -> (Mlp, Vec<f64>) {
    let mut config = config.clone();
    config.max_steps = Some(steps);
    let (trained, _) = train_with(&config, engine);
    let params = flat(trained.model.params());
    (trained.model, params)
}

#[test]
fn nesterov_steps_along_the_gradient_plus_mu_times_the_velocity() {
    // burn's Nesterov momentum (burn-optim 0.22, optim/momentum.rs) with dampening 0:
    // v₁ = g₁, θ₁ = θ₀ − lr·(g₁ + μ·v₁); v₂ = μ·v₁ + g₂, θ₂ = θ₁ − lr·(g₂ + μ·v₂).
    // μ = 0.5 is exact in f32, the precision burn keeps it in.
    let (lr, mu) = (0.1, 0.5);
    let mut config = xor_f64();
    config.optimizer.momentum = mu;
    config.optimizer.nesterov = true;
    let theta0 = initial(&config);
    let (model0, _) = initial_network_and_inputs(&config);
    let g1 = gradient(&config, &model0);
    let theta1: Vec<f64> = (0..theta0.len())
        .map(|i| theta0[i] - lr * (g1[i] + mu * g1[i]))
        .collect();
    for engine in [Engine::Autodiff, Engine::Manual] {
        let (model1, trained1) = after(&config, engine, 1);
        assert!(
            max_difference(&trained1, &theta1) <= F64_STEP,
            "{engine}, step 1"
        );
        let g2 = gradient(&config, &model1);
        let theta2: Vec<f64> = (0..theta0.len())
            .map(|i| {
                let v2 = mu * g1[i] + g2[i];
                trained1[i] - lr * (g2[i] + mu * v2)
            })
            .collect();
        let (_, trained2) = after(&config, engine, 2);
        assert!(
            max_difference(&trained2, &theta2) <= F64_STEP,
            "{engine}, step 2"
        );
        // Plain momentum steps θ₁ = θ₀ − lr·g₁: the check tells the two apart.
        let mut plain = config.clone();
        plain.optimizer.nesterov = false;
        let (_, plain1) = after(&plain, engine, 1);
        assert!(
            max_difference(&plain1, &theta1) > 1e3 * F64_STEP,
            "{engine}"
        );
    }
}

#[test]
fn weight_decay_adds_lambda_theta_to_the_gradient() {
    // burn's weight decay (optim/decay.rs) steps along g + λ·θ: one step is the plain step
    // minus lr·λ·θ₀. λ = 0.125 is exact in f32, the precision burn keeps it in.
    let (lr, lambda) = (0.1, 0.125);
    let mut config = xor_f64();
    let theta0 = initial(&config);
    for engine in [Engine::Autodiff, Engine::Manual] {
        let (_, plain) = after(&config, engine, 1);
        config.optimizer.weight_decay = lambda;
        let (_, decayed) = after(&config, engine, 1);
        config.optimizer.weight_decay = 0.0;
        let expected: Vec<f64> = (0..theta0.len())
            .map(|i| plain[i] - lr * lambda * theta0[i])
            .collect();
        assert!(max_difference(&decayed, &expected) <= F64_STEP, "{engine}");
        assert!(
            max_difference(&decayed, &plain) > 1e3 * F64_STEP,
            "{engine}"
        );
    }
}

/// Notebook 000's network on 300 points of its circles, full batch, in f64.
fn small_circles() -> ExperimentConfig {
    let mut config = Preset::Circles.config();
    config.data = DataConfig::Circles {
        samples: 300,
        factor: 0.5,
        noise: 0.05,
        shuffle: true,
    };
    config.dtype = Precision::F64;
    config.optimizer.momentum = 0.0;
    config.optimizer.lr = 1e-3;
    config
}

#[test]
fn reduction_sum_is_m_times_the_mean_in_loss_and_step() {
    // J_sum = Σᵢ ℓᵢ = m·J_mean, so its gradient, and one step at the same rate, are m times
    // the mean's: m = 300 examples.
    const M: f64 = 300.0;
    // Two f64 sums of 300 terms, in different orders: relative 1e-16·√300 or so.
    const RATIO: f64 = 1e-13;
    let mut config = small_circles();
    let theta0 = initial(&config);
    for engine in [Engine::Autodiff, Engine::Manual] {
        let mut run = |reduction| {
            config.reduction = reduction;
            config.max_steps = Some(1);
            let (trained, history) = train_with(&config, engine);
            let step: Vec<f64> = flat(trained.model.params())
                .iter()
                .zip(&theta0)
                .map(|(t1, t0)| t0 - t1)
                .collect();
            (history.records[0].loss, step)
        };
        let (sum_loss, sum_step) = run(Reduction::Sum);
        let (mean_loss, mean_step) = run(Reduction::Mean);
        let ratio = sum_loss / mean_loss;
        assert!(
            (ratio / M - 1.0).abs() <= RATIO,
            "{engine}: loss ratio {ratio}"
        );
        // Each step is read back as θ₀ − θ₁, exact to a rounding of θ (Sterbenz aside): the
        // mean's step, scaled by m, carries m times that.
        let theta = theta0.iter().fold(0.0_f64, |a, t| a.max(t.abs()));
        let largest = sum_step.iter().fold(0.0_f64, |a, s| a.max(s.abs()));
        let bound = RATIO * largest + 2.0 * (M + 1.0) * f64::EPSILON * theta;
        let scaled: Vec<f64> = mean_step.iter().map(|s| s * M).collect();
        let difference = max_difference(&sum_step, &scaled);
        assert!(
            difference <= bound,
            "{engine}: the summed loss's step is not m times the mean's: {difference:e} > {bound:e}"
        );
        assert!(largest > 1e3 * bound, "{engine}: a step to measure");
    }
}

#[test]
fn standardize_feeds_mnists_pixels_as_x_minus_0_1307_over_0_3081() {
    // The training batch's loss at the initial network, recorded as history row 0, is the
    // loss of the pixels standardised here by hand: (x − 0.1307)/0.3081 with x = byte/255,
    // MNIST's training mean and standard deviation (PyTorch's MNIST example).
    const LOSS: f64 = 1e-12;
    let mut config = offline_config(Preset::Mnist);
    config.dtype = Precision::F64;
    config.batch_size = None;
    config.max_steps = Some(1);
    let device = Device::flex();
    let experiment = Experiment::new(&config, &device).expect("the fixture reads");
    let batch = experiment.first_batch(&config, experiment.data.len(), &device);
    let raw = batch.inputs();
    let standardised = raw.clone().sub_scalar(0.1307).div_scalar(0.3081);
    let loss_of = |x| {
        let logits = experiment.model.forward_logits(x);
        values(config.loss.loss(config.reduction, logits, batch.targets()))[0]
    };
    let (expected, unstandardised) = (loss_of(standardised), loss_of(raw));
    let (_, plain) = train_with(&config, Engine::Autodiff);
    assert!((plain.records[0].loss - unstandardised).abs() <= LOSS * unstandardised);
    if let DataConfig::Mnist { standardize, .. } = &mut config.data {
        *standardize = true;
    }
    for engine in [Engine::Autodiff, Engine::Manual] {
        let (_, history) = train_with(&config, engine);
        let recorded = history.records[0].loss;
        assert!(
            (recorded - expected).abs() <= LOSS * expected,
            "{engine}: {recorded} vs {expected} (unstandardised: {unstandardised})"
        );
    }
    assert!((expected - unstandardised).abs() > 1e3 * LOSS * expected);
}

#[test]
fn every_option_flag_reaches_the_runs_config() {
    // The tests above hold the config's fields to their effects; this one, that each flag
    // sets its field (an option the command line dropped would train with the default).
    let root = tempfile::tempdir().expect("a temporary directory");
    let out = root.path().join("run");
    burnprop()
        .args([
            "train",
            "xor",
            "--max-steps",
            "1",
            "--init",
            "normal",
            "--init-scale",
            "0.3",
            "--bias",
            "true",
            "--bias-init",
            "same",
            "--momentum",
            "0.5",
            "--nesterov",
            "--weight-decay",
            "0.125",
            "--reduction",
            "sum",
            "--l2",
            "0.25",
            "--l2-on",
            "weights",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let config = RunDir::open(&out)
        .and_then(|run| run.config())
        .expect("config.json reads");
    assert_eq!(config.init, Init::Normal);
    assert_eq!(config.init_scale, Some(0.3));
    assert!(config.bias);
    assert_eq!(config.bias_init, BiasInit::Same);
    assert_eq!(config.optimizer.momentum, 0.5);
    assert!(config.optimizer.nesterov);
    assert_eq!(config.optimizer.weight_decay, 0.125);
    assert_eq!(config.reduction, Reduction::Sum);
    assert_eq!(config.l2, 0.25);
    assert_eq!(config.l2_on, L2Scope::Weights);
    let mnist = tempfile::tempdir().expect("a temporary directory");
    let out = mnist.path().join("run");
    burnprop()
        .args([
            "train",
            "mnist",
            "--max-steps",
            "1",
            "--standardize",
            "--data-dir",
        ])
        .arg(crate::common::mnist_fixture())
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let config = RunDir::open(&out)
        .and_then(|run| run.config())
        .expect("config.json reads");
    assert!(matches!(
        config.data,
        DataConfig::Mnist {
            standardize: true,
            ..
        }
    ));
}
