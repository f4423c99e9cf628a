//! Criterion benchmarks of the hot paths: one circles iteration per engine and kernel, one
//! MNIST-shaped minibatch step, and a gradient check.
//!
//! `cargo bench --bench hot_paths` (release build). Whole workloads with warm-up, repeats and
//! peak memory are `burnprop bench`'s; side by side with numpy and PyTorch,
//! `scripts/bench-vs-reference.sh`.

use std::hint::black_box;

use burn::tensor::Device;
use criterion::{Criterion, criterion_group, criterion_main};

use burnprop::config::{Engine, Kernel, Preset};
use burnprop::data::Batch;
use burnprop::gradcheck::{self, CheckOptions, Problem};
use burnprop::loss::LossKind;
use burnprop::model::Mlp;
use burnprop::model::activation::Activation;
use burnprop::model::mlp::LayerParams;
use burnprop::rng::NumpyRng;
use burnprop::tensor::{HostValues, Precision, host_tensor};
use burnprop::train::fit::stepper;
use burnprop::train::{Experiment, Stepper};

/// A training step as the loop runs it: measure, then update.
fn train_step(stepper: &mut dyn Stepper, batch: &Batch, lr: f64) {
    let measured = stepper.forward(batch).expect("a forward pass");
    black_box(measured.loss);
    stepper.step(lr).expect("an update");
}

/// Notebook 000's iteration: 50000 examples, 2-3-2, full batch, momentum.
fn circles(c: &mut Criterion) {
    let device = Device::flex();
    let mut group = c.benchmark_group("circles iteration (N = 50000)");
    group.sample_size(20);
    for (engine, kernel) in [
        (Engine::Autodiff, Kernel::Tensor),
        (Engine::Manual, Kernel::Tensor),
        (Engine::Manual, Kernel::Fused),
    ] {
        let mut config = Preset::Circles.config();
        config.kernel = kernel;
        let experiment =
            Experiment::new(&config, &device.clone().autodiff()).expect("the circles data");
        let mut stepper = stepper(&config, engine, experiment.model, &device).expect("a stepper");
        let (batches, _) = experiment.data.batches(&config, &device).expect("batches");
        let batch = batches
            .epoch(stepper.prepare())
            .next()
            .expect("one batch")
            .expect("a batch");
        let lr = config.optimizer.lr;
        group.bench_function(format!("{engine} ({kernel} kernel)"), |b| {
            b.iter(|| train_step(stepper.as_mut(), &batch, lr));
        });
    }
    group.finish();
}

/// A 784-128-10 ReLU network and one minibatch of 64 random images: the MNIST preset's step,
/// without the data files.
fn mnist_step(c: &mut Criterion) {
    let device = Device::flex();
    let tracked = device.clone().autodiff();
    let mut rng = NumpyRng::new(0);
    let mut layer = |n_in: usize, n_out: usize| LayerParams {
        weight: host_tensor(
            rng.randn_vec(n_in * n_out)
                .iter()
                .map(|w| w / (n_in as f64).sqrt())
                .collect(),
            [n_in, n_out],
            Precision::F32,
            &tracked,
        ),
        bias: Some(host_tensor(
            vec![0.0; n_out],
            [n_out],
            Precision::F32,
            &tracked,
        )),
    };
    let params = vec![layer(784, 128), layer(128, 10)];
    let model = Mlp::from_params(
        params,
        vec![Activation::Relu],
        LossKind::CrossEntropy.output_activation(),
    );
    // As sparse as MNIST's images: 19 % of the pixels are nonzero.
    let pixels = (0..64 * 784)
        .map(|_| {
            let v = rng.random_sample();
            if v < 0.19 { v / 0.19 } else { 0.0 }
        })
        .collect();
    let y: Vec<f64> = (0..64)
        .flat_map(|i| (0..10).map(move |k| f64::from(u8::from(i % 10 == k))))
        .collect();
    let batch = Batch::new(
        HostValues::rounded(pixels, Precision::F32),
        HostValues::rounded(y, Precision::F32),
        64,
        [784, 10],
        &device,
    );
    let config = Preset::Mnist.config();
    let mut group = c.benchmark_group("mnist step (784-128-10, batch 64)");
    for (engine, kernel) in [
        (Engine::Autodiff, Kernel::Tensor),
        (Engine::Manual, Kernel::Tensor),
        (Engine::Manual, Kernel::Wide),
    ] {
        let mut config = config.clone();
        config.kernel = kernel;
        let mut stepper = stepper(&config, engine, model.clone(), &device).expect("a stepper");
        group.bench_function(format!("{engine} ({kernel} kernel)"), |b| {
            b.iter(|| train_step(stepper.as_mut(), &batch, config.optimizer.lr));
        });
    }
    group.finish();
}

/// The three-way gradient check of notebook 000's network on 1000 examples (f64).
fn gradient_check(c: &mut Criterion) {
    let mut config = Preset::Circles.config();
    config.dtype = Precision::F64;
    let problem = Problem::from_config(&config, Some(1000), &Device::flex()).expect("a problem");
    c.bench_function("gradcheck circles (1000 examples, 17 parameters)", |b| {
        b.iter(|| black_box(gradcheck::check(&problem, CheckOptions::default()).expect("a check")));
    });
}

criterion_group!(benches, circles, mnist_step, gradient_check);
criterion_main!(benches);
