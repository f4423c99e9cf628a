//! Notebook 000's momentum update, written by hand, and how it relates to burn's `Sgd`.
//!
//! Notebook 000 (cells 26–28, `update_momentum` and `update_params`) keeps one momentum
//! matrix `M` per parameter `P`, starting at zero:
//!
//! ```text
//! M ← mf·M − lr·∇P
//! P ← P + M
//! ```
//!
//! burn's `Sgd` with a `MomentumConfig` (PyTorch's formula) keeps a velocity `v` instead and
//! applies the learning rate last:
//!
//! ```text
//! v ← ∇P                        at the first step
//! v ← μ·v + (1 − d)·∇P          at every later step (d: dampening)
//! P ← P − lr·v
//! ```
//!
//! **With `d = 0` and a constant `lr` the two are the same optimiser**: by induction
//! `M = −lr·v` after every step (both start from zero velocity, so the first step is
//! `M = −lr·∇P` against `v = ∇P`), hence `P + M = P − lr·v`.
//!
//! **With dampening they part at the second step.** burn's default dampening is `d = 0.1`:
//! its second step is `P − lr·(μ·∇₁ + 0.9·∇₂)` where the notebook's is `P − lr·(μ·∇₁ + ∇₂)`,
//! a difference of `lr·d·∇₂`, and every later gradient enters burn's velocity scaled by `1 − d`
//! (its steady-state step is `(1 − d)/(1 − μ)·lr·∇`, not `lr·∇/(1 − μ)`). The notebook's update
//! has no dampening, so the manual engine refuses `--dampening` other than 0.
//!
//! **With a learning-rate schedule** the two forms differ in where `lr` enters: burn scales the
//! whole velocity by the current rate, the notebook only the newest gradient. Rescaling `M` by
//! `lr_t / lr_{t−1}` before adding the new gradient (the "momentum correction" of Goyal et al.,
//! *Accurate, Large Minibatch SGD*, 2017, §2.1) keeps `M = −lr_t·v` at every step, so the manual
//! engine follows burn under `--schedule cosine` or `linear` too. With a constant `lr` the factor
//! is exactly 1 and the update is the notebook's, bit for bit.
//!
//! **burn rounds the momentum factor to f32** (`Momentum::new` stores `μ` as an `f32`), also
//! for f64 tensors; this update uses `μ` exactly. In f64 the two therefore part at the relative
//! 1e-8 of that rounding whenever f32 cannot represent `μ` (0.9, not 0.5).
//!
//! Weight decay and Nesterov momentum are applied as burn applies them: `∇ ← ∇ + λ·P` before the
//! momentum, and, with Nesterov, the step `P ← P + μ·M − lr·∇` (burn's `P − lr·(∇ + μ·v)`).

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::Tensor;

use crate::config::OptimizerConfig;
use crate::model::Mlp;
use crate::model::mlp::{Gradients, LayerParams};

/// The momentum matrices of notebook 000 and the update that uses them.
#[derive(Clone, Debug)]
pub struct NotebookMomentum {
    /// `mf`, the momentum factor μ.
    momentum: f64,
    /// λ of the L2 penalty (0: none).
    weight_decay: f64,
    /// Nesterov's look-ahead step.
    nesterov: bool,
    /// `M` for each layer's weight and bias; `None` before the first step (all zeros).
    buffers: Option<Vec<LayerParams>>,
    /// The learning rate of the previous step, for the momentum correction.
    previous_lr: Option<f64>,
}

impl NotebookMomentum {
    /// The update for `optimizer`'s momentum, weight decay and Nesterov flag. Dampening is not
    /// part of the notebook's update and is ignored here (the manual engine rejects it).
    pub fn new(optimizer: &OptimizerConfig) -> Self {
        Self {
            momentum: optimizer.momentum,
            weight_decay: optimizer.weight_decay,
            nesterov: optimizer.nesterov,
            buffers: None,
            previous_lr: None,
        }
    }

    /// One step at learning rate `lr`: `M ← c·mf·M − lr·∇`, `P ← P + M` for every parameter,
    /// with `c = lr / lr_previous` (1 under a constant rate).
    ///
    /// # Shapes
    /// - `gradients`: one [`LayerParams`] per layer of `model`, of its parameters' shapes
    pub fn step(&mut self, model: Mlp, gradients: Gradients, lr: f64) -> Mlp {
        let decay = self.decay(lr);
        let mut old = self.buffers.take().unwrap_or_default().into_iter();
        let mut next = Vec::with_capacity(gradients.layers.len());
        let mut layers = Vec::with_capacity(model.layers.len());
        for (layer, grad) in model.layers.into_iter().zip(gradients.layers) {
            let previous = old.next();
            let (weight, m_weight) = self.update(
                layer.weight,
                grad.weight,
                previous.as_ref().map(|m| m.weight.clone()),
                decay,
                lr,
            );
            let (bias, m_bias) = match (layer.bias, grad.bias) {
                (Some(bias), Some(grad)) => {
                    let previous = previous.and_then(|m| m.bias);
                    let (bias, m) = self.update(bias, grad, previous, decay, lr);
                    (Some(bias), Some(m))
                }
                (bias, _) => (bias, None),
            };
            layers.push(Linear { weight, bias });
            next.push(LayerParams {
                weight: m_weight,
                bias: m_bias,
            });
        }
        self.buffers = Some(next);
        Mlp {
            layers,
            hidden_activations: model.hidden_activations,
            output: model.output,
        }
    }

    /// Where the update stands: `M` of every layer (`None` before the first step) and the
    /// rate of the last step, for a checkpoint.
    pub fn state(&self) -> (Option<Vec<LayerParams>>, Option<f64>) {
        (self.buffers.clone(), self.previous_lr)
    }

    /// Continues from a [`state`](Self::state) saved earlier.
    pub fn restore(&mut self, buffers: Option<Vec<LayerParams>>, previous_lr: Option<f64>) {
        self.buffers = buffers;
        self.previous_lr = previous_lr;
    }

    /// The rate of the last step (`None` before the first), for the host engine, which keeps
    /// its `M` itself.
    pub fn previous_lr(&self) -> Option<f64> {
        self.previous_lr
    }

    /// `c·mf`, the factor of `M` at a step at rate `lr`, with the momentum correction
    /// `c = lr / lr_previous` (1 under a constant rate); remembers `lr` for the next step.
    fn decay(&mut self, lr: f64) -> f64 {
        let correction = match self.previous_lr {
            Some(previous) if previous != lr && previous > 0.0 => lr / previous,
            _ => 1.0,
        };
        self.previous_lr = Some(lr);
        self.momentum * correction
    }

    /// The scalars of a step at rate `lr`, for an implementation of this update outside
    /// burn's tensors (the host engine's, [`crate::host`]); remembers `lr` as [`step`](Self::step)
    /// does. `first` is whether `M` starts from zero at this step.
    pub fn scalars(&mut self, lr: f64, first: bool) -> StepScalars {
        StepScalars {
            decay: self.decay(lr),
            momentum: self.momentum,
            weight_decay: self.weight_decay,
            lr,
            first: first || self.momentum == 0.0,
            nesterov: self.nesterov,
        }
    }

    /// The update of one parameter tensor; returns it and its new momentum matrix.
    fn update<const D: usize>(
        &self,
        param: Param<Tensor<D>>,
        grad: Tensor<D>,
        previous: Option<Tensor<D>>,
        decay: f64,
        lr: f64,
    ) -> (Param<Tensor<D>>, Tensor<D>) {
        let (id, p, mapper) = param.consume();
        let grad = if self.weight_decay == 0.0 {
            grad
        } else {
            grad + p.clone().mul_scalar(self.weight_decay) // ∇ + λ·P
        };
        let step = grad.clone().mul_scalar(-lr); // −lr·∇
        let m = match previous {
            // M ← mf·M − lr·∇ (M starts at zero)
            Some(previous) if self.momentum != 0.0 => previous.mul_scalar(decay) + step,
            _ => step,
        };
        let p = if self.nesterov {
            // P ← P + mf·M − lr·∇
            p + m.clone().mul_scalar(self.momentum) - grad.mul_scalar(lr)
        } else {
            p + m.clone() // P ← P + M
        };
        (Param::from_mapped_value(id, p, mapper), m)
    }
}

/// The scalars of one step of [`NotebookMomentum`], from [`NotebookMomentum::scalars`]:
///
/// ```text
/// ∇ ← ∇ + weight_decay·P
/// M ← decay·M − lr·∇            (M ← −lr·∇ on the first step)
/// P ← P + M                     (P ← P + momentum·M − lr·∇ with Nesterov)
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepScalars {
    /// `c·mf`: the momentum factor times the schedule's correction `lr / lr_previous`.
    pub decay: f64,
    /// `mf`, the momentum factor.
    pub momentum: f64,
    /// λ of the weight decay (0: none).
    pub weight_decay: f64,
    /// The step's learning rate.
    pub lr: f64,
    /// Whether `M` starts from zero (the first step, or no momentum).
    pub first: bool,
    /// Nesterov's look-ahead step.
    pub nesterov: bool,
}

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::optim::{GradientsParams, ModuleOptimizer};
    use burn::tensor::Device;

    use super::*;
    use crate::config::Schedule;
    use crate::loss::OutputActivation;
    use crate::model::activation::Activation;
    use crate::rng::NumpyRng;
    use crate::tensor::{Precision, host_tensor, host_values};

    /// Agreement of two f64 updates that differ only in rounding: a few ulps.
    const F64_AGREE: f64 = 1e-13;

    /// A 2-3-2 network with biases in f64 on flex, its entries drawn from `rng`.
    fn layers(rng: &mut NumpyRng) -> Vec<LayerParams> {
        let device = Device::flex();
        [(2, 3), (3, 2)]
            .into_iter()
            .map(|(n_in, n_out)| LayerParams {
                weight: host_tensor(
                    rng.randn_vec(n_in * n_out),
                    [n_in, n_out],
                    Precision::F64,
                    &device,
                ),
                bias: Some(host_tensor(
                    rng.randn_vec(n_out),
                    [n_out],
                    Precision::F64,
                    &device,
                )),
            })
            .collect()
    }

    fn network(rng: &mut NumpyRng) -> Mlp {
        Mlp::from_params(
            layers(rng),
            vec![Activation::Sigmoid],
            OutputActivation::Softmax,
        )
    }

    /// The parameters as one host vector.
    fn flat(model: &Mlp) -> Vec<f64> {
        model
            .params()
            .into_iter()
            .flat_map(|p| {
                let mut v = host_values(p.weight).expect("readable");
                v.extend(
                    p.bias
                        .map_or_else(Vec::new, |b| host_values(b).expect("readable")),
                );
                v
            })
            .collect()
    }

    /// One step of burn's `Sgd`, given the gradients (registered under the parameters' ids).
    fn burn_step(optim: &mut ModuleOptimizer, model: Mlp, grads: &Gradients, lr: f64) -> Mlp {
        let mut params = GradientsParams::new();
        for (layer, grad) in model.layers.iter().zip(&grads.layers) {
            params.register(layer.weight.id, grad.weight.clone());
            if let (Some(bias), Some(grad)) = (&layer.bias, &grad.bias) {
                params.register(bias.id, grad.clone());
            }
        }
        optim.step(lr, model, params)
    }

    /// Runs burn's `Sgd` and [`NotebookMomentum`] from one network on one sequence of random
    /// gradients, returning the parameters of both after every step.
    fn both(optimizer: &OptimizerConfig, steps: usize) -> Vec<(Vec<f64>, Vec<f64>, Vec<f64>)> {
        let mut rng = NumpyRng::new(3);
        let start = network(&mut rng);
        // burn's optimisers update autodiff parameters; the notebook's works on plain ones.
        let (mut burn, mut notebook) = (start.clone().train(), start);
        let mut sgd = optimizer.sgd().init();
        let mut momentum = NotebookMomentum::new(optimizer);
        (0..steps)
            .map(|step| {
                let grads = Gradients {
                    layers: layers(&mut rng),
                };
                let lr = optimizer.lr_at(step, steps);
                burn = burn_step(&mut sgd, burn.clone(), &grads, lr);
                notebook = momentum.step(notebook.clone(), grads.clone(), lr);
                let g = Mlp::from_params(
                    grads.layers,
                    vec![Activation::Sigmoid],
                    OutputActivation::Softmax,
                );
                (flat(&burn), flat(&notebook), flat(&g))
            })
            .collect()
    }

    fn max_difference(a: &[f64], b: &[f64]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    fn momentum(mu: f64, dampening: f64) -> OptimizerConfig {
        OptimizerConfig::new(0.05)
            .with_momentum(mu)
            .with_dampening(dampening)
    }

    #[test]
    fn with_dampening_zero_burn_sgd_is_the_notebook_update_at_every_step() {
        // μ = 0.5 as in notebook 000 (f32 represents it exactly, see the module docs).
        for (step, (burn, notebook, _)) in both(&momentum(0.5, 0.0), 30).iter().enumerate() {
            let difference = max_difference(burn, notebook);
            assert!(
                difference <= F64_AGREE,
                "step {step}: max |θ_burn − θ_notebook| = {difference:e}"
            );
        }
    }

    #[test]
    fn with_burns_default_dampening_they_part_at_the_second_step_by_lr_d_grad() {
        let (lr, d) = (0.05, 0.1);
        let steps = both(&momentum(0.5, d), 6);
        let (burn, notebook, _) = &steps[0];
        assert!(
            max_difference(burn, notebook) <= F64_AGREE,
            "the first step takes v = ∇ undamped in burn too"
        );
        // Second step: burn adds (1 − d)·∇₂ to its velocity, the notebook all of ∇₂, so
        // θ_burn − θ_notebook = lr·d·∇₂ exactly.
        let (burn, notebook, grad) = &steps[1];
        for ((b, n), g) in burn.iter().zip(notebook).zip(grad) {
            assert!(
                (b - n - lr * d * g).abs() <= F64_AGREE,
                "θ_burn − θ_notebook = {:e}, expected lr·d·∇₂ = {:e}",
                b - n,
                lr * d * g
            );
        }
        let (burn, notebook, _) = &steps[5];
        assert!(max_difference(burn, notebook) > 1e-3, "and they stay apart");
    }

    #[test]
    fn momentum_correction_follows_burn_under_a_schedule() {
        for schedule in [Schedule::Cosine, Schedule::Linear] {
            let optimizer = momentum(0.5, 0.0).with_schedule(schedule);
            for (step, (burn, notebook, _)) in both(&optimizer, 30).iter().enumerate() {
                let difference = max_difference(burn, notebook);
                assert!(
                    difference <= F64_AGREE,
                    "{schedule:?}, step {step}: max |Δθ| = {difference:e}"
                );
            }
        }
    }

    #[test]
    fn weight_decay_and_nesterov_follow_burn() {
        // λ = 0.25 and μ = 0.5: values burn's f32 fields hold exactly.
        for nesterov in [false, true] {
            let optimizer = momentum(0.5, 0.0)
                .with_weight_decay(0.25)
                .with_nesterov(nesterov);
            for (step, (burn, notebook, _)) in both(&optimizer, 30).iter().enumerate() {
                let difference = max_difference(burn, notebook);
                assert!(
                    difference <= F64_AGREE,
                    "nesterov {nesterov}, step {step}: max |Δθ| = {difference:e}"
                );
            }
        }
    }

    #[test]
    fn burn_rounds_a_momentum_of_0_9_to_f32() {
        // Why an f64 comparison at μ = 0.9 can only reach f32's agreement.
        let steps = both(&momentum(0.9, 0.0), 10);
        let (burn, notebook, _) = &steps[9];
        let difference = max_difference(burn, notebook);
        assert!(
            difference > 1e-12 && difference < 1e-6,
            "max |Δθ| = {difference:e}"
        );
    }
}
