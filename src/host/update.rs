//! Notebook 000's momentum update on parameters in host memory: the step of
//! [`NotebookMomentum`] (its module doc derives it), element by element.
//!
//! Every scalar is rounded to `R` before it multiplies, as burn rounds a scalar operand to the
//! tensor's element type, and the operations run in the tensor version's order. One
//! difference: an entry of `M` that falls below the smallest normal number (f32: 1.2e−38) is
//! set to zero. A weight whose input is rarely nonzero (an MNIST border pixel) gets a zero
//! gradient most steps, and its `M` then decays by `mf` a step into the subnormal range, where
//! every multiplication takes the CPU a slow microcode path (BENCHMARKS.md, round three).
//! Added to a parameter, such an `M` changes nothing unless `|P| < 2⁻¹⁰¹` (f32), since it is
//! below half of `P`'s last place.

use rayon::prelude::*;

use super::network::Network;
use super::real::Real;
use super::simd::{Isa, vectorized};
use crate::manual::momentum::{NotebookMomentum, StepScalars};

/// Parameters from which a host update is shared between rayon's threads (an MNIST `W_1` has
/// 100 352; notebook 000's largest has 6, and waking a thread would cost it more than it
/// saves).
const PARALLEL_UPDATE: usize = 1 << 15;

/// Entries of a parameter per task of a parallel host update.
const UPDATE_CHUNK: usize = 1 << 13;

/// Notebook 000's update of a [`Network`] in host memory: the rule (momentum factor, weight
/// decay, Nesterov, the last rate) and `M`, one vector per parameter vector.
pub struct HostMomentum<R> {
    rule: NotebookMomentum,
    /// `M` for each of the network's parameter vectors, in
    /// [`Network::parameters_mut`]'s order; empty before the first step.
    buffers: Vec<Vec<R>>,
}

impl<R: Real> HostMomentum<R> {
    /// The update of `rule`, with `M` at zero.
    pub fn new(rule: NotebookMomentum) -> Self {
        Self {
            rule,
            buffers: Vec::new(),
        }
    }

    /// `M ← c·mf·M − lr·∇`, `P ← P + M` for every parameter of `network`, `gradients` in
    /// [`Network::parameters_mut`]'s order.
    pub fn step(&mut self, network: &mut Network<R>, gradients: &[Vec<R>], lr: f64) {
        let params = network.parameters_mut();
        let update = Update::of(self.rule.scalars(lr, self.buffers.is_empty()));
        if self.buffers.len() != params.len() {
            self.buffers = params.iter().map(|p| Vec::with_capacity(p.len())).collect();
        }
        let isa = Isa::widest();
        for ((p, g), m) in params.into_iter().zip(gradients).zip(&mut self.buffers) {
            m.resize(p.len(), R::ZERO);
            let apply = |(p, g, m): (&mut [R], &[R], &mut [R])| {
                vectorized!(isa, update.apply_any(p, g, m));
            };
            if p.len() < PARALLEL_UPDATE {
                apply((p, g, m));
            } else {
                // Each entry's update is its own, so how the chunks are shared between
                // threads changes no result.
                (p.par_chunks_mut(UPDATE_CHUNK)
                    .zip(g.par_chunks(UPDATE_CHUNK)))
                .zip(m.par_chunks_mut(UPDATE_CHUNK))
                .for_each(|((p, g), m)| apply((p, g, m)));
            }
        }
    }

    /// `M`, one vector per parameter vector (empty before the first step).
    pub fn buffers(&self) -> &[Vec<R>] {
        &self.buffers
    }

    /// The rate of the last step (`None` before the first).
    pub fn previous_lr(&self) -> Option<f64> {
        self.rule.previous_lr()
    }

    /// Continues from `M` and the last rate saved earlier.
    pub fn restore(&mut self, buffers: Vec<Vec<R>>, previous_lr: Option<f64>) {
        self.buffers = buffers;
        self.rule.restore(None, previous_lr);
    }
}

/// The scalars of one host update, each rounded to `R`, and its three switches.
struct Update<R> {
    /// `mf` times the schedule's correction.
    decay: R,
    mf: R,
    wd: R,
    lr: R,
    minus_lr: R,
    first: bool,
    decayed: bool,
    nesterov: bool,
}

impl<R: Real> Update<R> {
    fn of(s: StepScalars) -> Self {
        Self {
            decay: R::of(s.decay),
            mf: R::of(s.momentum),
            wd: R::of(s.weight_decay),
            lr: R::of(s.lr),
            minus_lr: R::of(-s.lr),
            first: s.first,
            decayed: s.weight_decay != 0.0,
            nesterov: s.nesterov,
        }
    }

    /// [`apply`](Self::apply) for the three switches, each combination its own loop, so that
    /// each compiles to straight-line vector code (with the tests inside, the compiler left
    /// the loop scalar).
    #[inline(always)]
    fn apply_any(&self, p: &mut [R], g: &[R], m: &mut [R]) {
        match (self.first, self.decayed, self.nesterov) {
            (true, true, true) => self.apply::<true, true, true>(p, g, m),
            (true, true, false) => self.apply::<true, true, false>(p, g, m),
            (true, false, true) => self.apply::<true, false, true>(p, g, m),
            (true, false, false) => self.apply::<true, false, false>(p, g, m),
            (false, true, true) => self.apply::<false, true, true>(p, g, m),
            (false, true, false) => self.apply::<false, true, false>(p, g, m),
            (false, false, true) => self.apply::<false, false, true>(p, g, m),
            (false, false, false) => self.apply::<false, false, false>(p, g, m),
        }
    }

    /// `M ← decay·M − lr·(∇ + λ·P)` (`M ← −lr·∇` on the `FIRST` step) and `P ← P + M`
    /// (`P ← P + mf·M − lr·∇` with `NESTEROV`), element by element; `λ·P` only with `DECAY`.
    #[inline(always)]
    fn apply<const FIRST: bool, const DECAY: bool, const NESTEROV: bool>(
        &self,
        params: &mut [R],
        grads: &[R],
        buffers: &mut [R],
    ) {
        for ((p, &g), m) in params.iter_mut().zip(grads).zip(buffers.iter_mut()) {
            let g = if DECAY { g + *p * self.wd } else { g }; // ∇ + λ·P
            let step = g * self.minus_lr; // −lr·∇
            let new_m = if FIRST { step } else { *m * self.decay + step }; // M ← mf·M − lr·∇
            // Subnormal momentum (below R::MIN_NORMAL) becomes zero (the module doc says why).
            *m = if new_m.abs() < R::MIN_NORMAL {
                R::ZERO
            } else {
                new_m
            };
            *p = if NESTEROV {
                *p + *m * self.mf - g * self.lr // P ← P + mf·M − lr·∇
            } else {
                *p + *m // P ← P + M
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OptimizerConfig;
    use crate::loss::OutputActivation;
    use crate::rng::NumpyRng;

    #[test]
    fn the_host_update_is_the_same_in_every_vector_build_and_on_any_number_of_threads() {
        let mut rng = NumpyRng::new(5);
        let mut draw = |n: usize| -> Vec<f32> {
            let v = rng.randn_vec(n).into_iter().map(|v| v as f32);
            // Some tiny entries, whose momentum falls below the normal range.
            v.enumerate()
                .map(|(i, v)| if i % 7 == 0 { v * 1e-36 } else { v })
                .collect()
        };
        // One parameter shared between threads, one too small to be, each uneven in length.
        let lens = [PARALLEL_UPDATE + 5, 37];
        let start: Vec<Vec<f32>> = lens.iter().map(|&n| draw(n)).collect();
        let grads: Vec<Vec<Vec<f32>>> = (0..3)
            .map(|_| lens.iter().map(|&n| draw(n)).collect())
            .collect();
        // The update reads only the parameter vectors, not the shapes.
        let network = Network {
            sizes: vec![1, 1],
            hidden: Vec::new(),
            output: OutputActivation::Identity,
            weights: vec![start[0].clone()],
            biases: vec![Some(start[1].clone())],
        };
        for (weight_decay, nesterov) in [(0.0, false), (1e-3, true)] {
            let optimizer = OptimizerConfig::new(0.05)
                .with_momentum(0.9)
                .with_weight_decay(weight_decay)
                .with_nesterov(nesterov);
            let on = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
                pool.expect("a thread pool").install(|| {
                    let mut network = network.clone();
                    let mut momentum = HostMomentum::new(NotebookMomentum::new(&optimizer));
                    for (step, grads) in grads.iter().enumerate() {
                        let lr = 0.05 / (1.0 + step as f64);
                        momentum.step(&mut network, grads, lr);
                    }
                    (network, momentum.buffers().to_vec())
                })
            };
            let one = on(1);
            assert_eq!(one, on(3));
            assert!(one.1[0].contains(&0.0), "no momentum was flushed");
            // Each build's loop on the first step's update of the large parameter.
            let update = Update::<f32>::of(StepScalars {
                decay: 0.9,
                momentum: 0.9,
                weight_decay,
                lr: 0.05,
                first: false,
                nesterov,
            });
            let by = |isa: Isa| {
                let (mut p, mut m) = (start[0].clone(), grads[1][0].clone());
                vectorized!(isa, update.apply_any(&mut p, &grads[0][0], &mut m));
                (p, m)
            };
            let baseline = by(Isa::all()[0]);
            for isa in Isa::all() {
                assert_eq!(by(isa), baseline, "{isa:?}");
            }
        }
    }
}
