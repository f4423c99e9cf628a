//! The manual engine's fused CPU kernel: a training step's forward pass, loss, accuracy,
//! backward pass and gradient sums in one sweep over the examples, on the host.
//!
//! [`row`](super::row) writes backpropagation as whole-batch tensor operations, one per line of
//! the derivation. Each allocates a `[m, n_l]` tensor and walks it once, so for notebook 000's
//! circles (2-3-2, m = 50000) a step is about forty passes over memory and forty dispatches,
//! for 3.6 Mflop of arithmetic. This kernel computes the same equations example by example,
//! keeping each example's `Z_l`, `A_l` and `dZ_l` in registers:
//!
//! ```text
//! for each example i (LANES of them side by side):
//!     Z_l = A_{l−1}·W_l + b_l,   A_l = g_l(Z_l)                 forward
//!     ℓᵢ  = L(Z_L, Yᵢ), right?                                   loss and accuracy
//!     dZ_L = Ŷ − Yᵢ,   dZ_{l−1} = (dZ_l·W_lᵀ) ⊙ g'_{l−1}(Z_{l−1})   backward
//!     ΣdW_l += A_{l−1}ᵀ·dZ_l,   Σdb_l += dZ_l                    gradient sums
//! J = s·Σᵢ ℓᵢ,   dW_l = s·ΣdW_l,   db_l = s·Σdb_l
//! ```
//!
//! The sweep reads `X` and `Y` once (16 bytes per circles example in f32) and writes nothing
//! but the sums.
//!
//! - **Lanes.** [`LANES`] examples go through the network side by side, each in its own lane
//!   of a `[R; LANES]` array, so every line above is an element-wise loop over lanes that the
//!   compiler turns into SIMD instructions. The last block of a batch is padded with examples
//!   whose `dZ_L` is zero, which adds nothing to any sum.
//! - **Chunks.** The examples are cut into chunks of [`CHUNK`] rows, swept on rayon's threads;
//!   each chunk's sums are added lane by lane, then chunk by chunk, in a fixed order. The result
//!   is the same bit for bit whatever the number of threads.
//! - **Transcendentals** (`exp`, `ln_1p`, `tanh`) are the standard library's, as in burn's CPU
//!   backends.
//!
//! The fused and tensor kernels compute the same functions but round differently (different
//! summation orders, and burn's matmul may fuse multiply-adds); the tests hold them to the
//! engines' tolerance of each other.

use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

use burn::tensor::{Device, Tensor};
use rayon::prelude::*;

use crate::config::Precision;
use crate::error::{Error, Result};
use crate::loss::{LossKind, OutputActivation, Reduction};
use crate::model::Mlp;
use crate::model::activation::Activation;
use crate::model::init::{host_tensor, host_values};
use crate::model::mlp::{Gradients, LayerParams};

/// Examples swept side by side, one per SIMD lane (8 f32 fill an AVX register).
pub const LANES: usize = 8;

/// Examples per chunk: the unit of work of one thread, and of the fixed summation order.
pub const CHUNK: usize = 1024;

/// `LANES` values, one per example of a block.
type Lanes<R> = [R; LANES];

/// The floating-point types the kernel runs in: `f32` and `f64`.
pub trait Real:
    Copy
    + Send
    + Sync
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// The burnprop precision of this type.
    const PRECISION: Precision;
    /// The nearest value to `v` (rounding f64 to f32, as burn rounds a scalar operand).
    fn of(v: f64) -> Self;
    /// The value as `f64` (exact).
    fn to_f64(self) -> f64;
    /// `eˣ`.
    fn exp(self) -> Self;
    /// `ln(1 + x)`.
    fn ln_1p(self) -> Self;
    /// `ln x`.
    fn ln(self) -> Self;
    /// `tanh x`.
    fn tanh(self) -> Self;
    /// `|x|`.
    fn abs(self) -> Self;
}

macro_rules! real {
    ($t:ty, $precision:expr, $exp:path) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const PRECISION: Precision = $precision;
            fn of(v: f64) -> Self {
                v as $t
            }
            fn to_f64(self) -> f64 {
                f64::from(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $exp(self)
            }
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
        }
    };
}

real!(f32, Precision::F32, exp_f32);
real!(f64, Precision::F64, f64::exp);

/// `eˣ` in f32, in plain arithmetic the compiler vectorises across lanes (the standard
/// library's `expf` is a call per value): Cephes' `expf`. Write `x = n·ln 2 + r` with `n` the
/// nearest integer to `x·log₂e` and `|r| ≤ ½ ln 2`; then `eˣ = 2ⁿ·eʳ`, with `eʳ` from a
/// degree-7 polynomial (Cephes' minimax coefficients) and `2ⁿ` built in the exponent bits.
/// Within 2 ulp of the exact value on the clamped range `[−87, 88]`, whose ends give the
/// smallest and largest results (about 1.6e−38 and 1.7e38, where `expf` gives 0 and ∞
/// only beyond ±88.7); NaN stays NaN.
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split so that n·LN2_HI is exact for |n| ≤ 127
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5·2²³: adding it rounds to the nearest integer n and leaves n in the low bits of the
    // sum (SSE2 has neither a rounding instruction nor a vector float-to-int conversion that
    // Rust's saturating `as` would use)
    const ROUND: f32 = 12_582_912.0;
    let x = if x > 88.0 { 88.0 } else { x };
    let x = if x < -87.0 { -87.0 } else { x };
    let shifted = x * LOG2E + ROUND;
    let n = shifted - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e_r = p * (r * r) + r + 1.0;
    // 2ⁿ: n + 127 in the exponent field (n ∈ [−126, 127] on the clamped range)
    let n_bits = shifted.to_bits().wrapping_sub(ROUND.to_bits());
    let two_n = f32::from_bits(n_bits.wrapping_add(127) << 23);
    e_r * two_n
}

/// `max(a, b)`; `b` when they are unordered.
fn max<R: Real>(a: R, b: R) -> R {
    if a > b { a } else { b }
}

/// An [`Mlp`]'s parameters in host memory, row layout (`W_l`: `[n_{l−1}, n_l]`, row-major).
#[derive(Clone, Debug, PartialEq)]
pub struct Network<R> {
    /// `[n_0, n_1, …, n_L]`.
    pub sizes: Vec<usize>,
    /// `g_l` of the hidden layers.
    pub hidden: Vec<Activation>,
    /// `g_out`, fixed by the loss.
    pub output: OutputActivation,
    /// `W_l`, `n_{l−1}·n_l` values each.
    pub weights: Vec<Vec<R>>,
    /// `b_l`, `n_l` values each, where the network has biases.
    pub biases: Vec<Option<Vec<R>>>,
}

impl<R: Real> Network<R> {
    /// Copies `model`'s parameters to the host.
    pub fn from_mlp(model: &Mlp) -> Result<Self> {
        let mut weights = Vec::with_capacity(model.layers.len());
        let mut biases = Vec::with_capacity(model.layers.len());
        for layer in model.params() {
            weights.push(to_host(layer.weight)?);
            biases.push(layer.bias.map(to_host).transpose()?);
        }
        Ok(Self {
            sizes: model.sizes(),
            hidden: model.hidden_activations.clone(),
            output: model.output,
            weights,
            biases,
        })
    }

    /// The parameters as tensors on `device`, for [`Mlp::with_params`].
    pub fn params(&self, precision: Precision, device: &Device) -> Vec<LayerParams> {
        self.weights
            .iter()
            .zip(&self.biases)
            .zip(self.sizes.windows(2))
            .map(|((w, b), n)| LayerParams {
                weight: host_tensor(to_f64(w), [n[0], n[1]], precision, device),
                bias: b
                    .as_ref()
                    .map(|b| host_tensor(to_f64(b), [n[1]], precision, device)),
            })
            .collect()
    }

    /// Every parameter vector, layer by layer, the weight before the bias.
    pub fn parameters_mut(&mut self) -> Vec<&mut Vec<R>> {
        let mut all = Vec::with_capacity(2 * self.weights.len());
        for (w, b) in self.weights.iter_mut().zip(self.biases.iter_mut()) {
            all.push(w);
            all.extend(b.as_mut());
        }
        all
    }

    fn depth(&self) -> usize {
        self.weights.len()
    }

    fn outputs(&self) -> usize {
        self.sizes.last().copied().unwrap_or(0)
    }
}

/// A tensor's values on the host, in the kernel's type.
pub fn to_host<const D: usize, R: Real>(tensor: Tensor<D>) -> Result<Vec<R>> {
    Ok(host_values(tensor)?.into_iter().map(R::of).collect())
}

fn to_f64<R: Real>(values: &[R]) -> Vec<f64> {
    values.iter().map(|v| v.to_f64()).collect()
}

/// What one sweep adds up over a batch.
#[derive(Clone, Debug, PartialEq)]
pub struct Sums<R> {
    /// `Σᵢ ℓᵢ`.
    pub loss: f64,
    /// `Σᵢ ℓᵢₖ` for each output `k` (BCE and MSE; empty for cross-entropy).
    pub outputs: Vec<f64>,
    /// Correct predictions (examples for cross-entropy, output units for BCE).
    pub right: usize,
    /// `Σᵢ A_{l−1}ᵀ·dZ_l`, one per layer, `W_l`'s shape.
    pub weights: Vec<Vec<R>>,
    /// `Σᵢ dZ_l`, one per layer (empty vectors for a network without biases).
    pub biases: Vec<Vec<R>>,
}

impl<R: Real> Sums<R> {
    fn add(mut self, other: Sums<R>) -> Sums<R> {
        self.loss += other.loss;
        for (a, b) in self.outputs.iter_mut().zip(other.outputs) {
            *a += b;
        }
        self.right += other.right;
        for (a, b) in self.weights.iter_mut().zip(other.weights) {
            add_into(a, &b);
        }
        for (a, b) in self.biases.iter_mut().zip(other.biases) {
            add_into(a, &b);
        }
        self
    }
}

fn add_into<R: Real>(sum: &mut [R], more: &[R]) {
    for (a, &b) in sum.iter_mut().zip(more) {
        *a += b;
    }
}

/// One sweep over `rows` examples: `x` is `[rows, n_0]` and `y` is `[rows, n_L]`, row-major.
pub fn sweep<R: Real>(
    network: &Network<R>,
    kind: LossKind,
    x: &[R],
    y: &[R],
    rows: usize,
) -> Result<Sums<R>> {
    let (n_in, n_out) = (network.sizes[0], network.outputs());
    if kind.output_activation() != network.output {
        return Err(Error::InvalidConfig(format!(
            "the fused kernel computes Ŷ − Y for {}'s output activation, and this network's differs",
            kind.name()
        )));
    }
    if x.len() != rows * n_in || y.len() != rows * n_out {
        return Err(Error::Data(format!(
            "the fused kernel got {} inputs and {} targets for {rows} examples of a {}-input, {}-output network",
            x.len(),
            y.len(),
            n_in,
            n_out
        )));
    }
    let chunks: Vec<Sums<R>> = (0..rows.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let (start, end) = (c * CHUNK, rows.min((c + 1) * CHUNK));
            let x = &x[start * n_in..end * n_in];
            let y = &y[start * n_out..end * n_out];
            sweep_chunk(network, kind, x, y, end - start)
        })
        .collect();
    Ok(chunks
        .into_iter()
        .reduce(Sums::add)
        .unwrap_or_else(|| Sweep::new(network, kind).finish()))
}

/// One step's measurements and gradients: a [`sweep`] scaled by the reduction's `s`.
#[derive(Clone, Debug, PartialEq)]
pub struct Step<R> {
    /// `J = s·Σᵢ ℓᵢ`.
    pub loss: f64,
    /// `s·Σᵢ ℓᵢₖ` for each output (BCE and MSE; empty for cross-entropy).
    pub outputs: Vec<f64>,
    /// Correct predictions (examples for cross-entropy, output units for BCE).
    pub right: usize,
    /// `dW_1, db_1, dW_2, …`: the gradients of `J`, in [`Network::parameters_mut`]'s order.
    pub gradients: Vec<Vec<R>>,
}

/// `J` and its gradients on `rows` examples: `dW_l = s·ΣA_{l−1}ᵀ·dZ_l`, `db_l = s·ΣdZ_l`.
pub fn step<R: Real>(
    network: &Network<R>,
    kind: LossKind,
    reduction: Reduction,
    x: &[R],
    y: &[R],
    rows: usize,
) -> Result<Step<R>> {
    let sums = sweep(network, kind, x, y, rows)?;
    let s = reduction.scale(rows);
    let scaled = |sum: Vec<R>| -> Vec<R> { sum.into_iter().map(|v| v * R::of(s)).collect() };
    let mut gradients = Vec::with_capacity(2 * sums.weights.len());
    for ((w, b), bias) in sums
        .weights
        .into_iter()
        .zip(sums.biases)
        .zip(&network.biases)
    {
        gradients.push(scaled(w));
        if bias.is_some() {
            gradients.push(scaled(b));
        }
    }
    Ok(Step {
        loss: sums.loss * s,
        outputs: sums.outputs.iter().map(|c| c * s).collect(),
        right: sums.right,
        gradients,
    })
}

/// `J` and the gradients of `J` for one batch by the fused kernel, as tensors on `x`'s device:
/// what [`row::gradients`](super::row::gradients) and the autodiff engine compute.
///
/// # Shapes
/// - `x`: `[m, n_0]`, `targets`: `[m, n_L]`; the gradients have the parameters' shapes
pub fn gradients<R: Real>(
    model: &Mlp,
    x: Tensor<2>,
    targets: Tensor<2>,
    kind: LossKind,
    reduction: Reduction,
) -> Result<(f64, Gradients)> {
    let device = x.device();
    let rows = x.dims()[0];
    let mut network = Network::<R>::from_mlp(model)?;
    let step = step(
        &network,
        kind,
        reduction,
        &to_host(x)?,
        &to_host(targets)?,
        rows,
    )?;
    for (param, grad) in network.parameters_mut().into_iter().zip(step.gradients) {
        *param = grad;
    }
    let layers = network.params(R::PRECISION, &device);
    Ok((step.loss, Gradients { layers }))
}

/// One chunk's sums, in AVX2 instructions where the CPU has them (16 lanes' worth of f32 work
/// per instruction pair instead of 8).
///
/// The AVX2 and the baseline (SSE2) versions are the same code compiled twice: neither fuses a
/// multiply with an add, so both round every operation alike and give the same sums bit for
/// bit (a test compares them).
fn sweep_chunk<R: Real>(
    network: &Network<R>,
    kind: LossKind,
    x: &[R],
    y: &[R],
    rows: usize,
) -> Sums<R> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { sweep_chunk_avx2(network, kind, x, y, rows) };
    }
    Sweep::new(network, kind).run(x, y, rows)
}

/// [`sweep_chunk`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sweep_chunk_avx2<R: Real>(
    network: &Network<R>,
    kind: LossKind,
    x: &[R],
    y: &[R],
    rows: usize,
) -> Sums<R> {
    Sweep::new(network, kind).run(x, y, rows)
}

/// The per-lane state of one chunk's sweep.
struct Sweep<'a, R> {
    network: &'a Network<R>,
    kind: LossKind,
    /// `A_0 = X` and `A_l` of the hidden layers, `n_l` lanes each.
    a: Vec<Vec<Lanes<R>>>,
    /// `Z_l`, then overwritten by `dZ_l` on the way back.
    z: Vec<Vec<Lanes<R>>>,
    /// `Σ A_{l−1}ᵀ·dZ_l` per lane.
    gw: Vec<Vec<Lanes<R>>>,
    /// `Σ dZ_l` per lane.
    gb: Vec<Vec<Lanes<R>>>,
    /// `e^(zₖ − m)` of the softmax.
    e: Vec<Lanes<R>>,
    /// `Σ ℓ` and `Σ ℓₖ` per lane, in f64.
    loss: [f64; LANES],
    outputs: Vec<[f64; LANES]>,
    right: usize,
}

impl<'a, R: Real> Sweep<'a, R> {
    fn new(network: &'a Network<R>, kind: LossKind) -> Self {
        let lanes = |n: usize| vec![[R::ZERO; LANES]; n];
        let sizes = &network.sizes;
        let depth = network.depth();
        let per_output = kind != LossKind::CrossEntropy;
        Self {
            network,
            kind,
            a: sizes[..depth].iter().map(|&n| lanes(n)).collect(),
            z: sizes[1..].iter().map(|&n| lanes(n)).collect(),
            gw: sizes.windows(2).map(|n| lanes(n[0] * n[1])).collect(),
            gb: network
                .biases
                .iter()
                .zip(&sizes[1..])
                .map(|(b, &n)| lanes(if b.is_some() { n } else { 0 }))
                .collect(),
            e: lanes(network.outputs()),
            loss: [0.0; LANES],
            outputs: vec![[0.0; LANES]; if per_output { network.outputs() } else { 0 }],
            right: 0,
        }
    }

    #[inline(always)]
    fn run(mut self, x: &[R], y: &[R], rows: usize) -> Sums<R> {
        let n_out = self.network.outputs();
        let mut target = vec![[R::ZERO; LANES]; n_out];
        for block in (0..rows).step_by(LANES) {
            let valid = LANES.min(rows - block);
            self.load(x, block, valid);
            for (k, lanes) in target.iter_mut().enumerate() {
                for (t, lane) in lanes.iter_mut().enumerate() {
                    *lane = if t < valid {
                        y[(block + t) * n_out + k]
                    } else {
                        R::ZERO
                    };
                }
            }
            self.forward();
            self.output(&target, valid);
            self.backward();
        }
        self.finish()
    }

    /// `A_0`: lane `t` holds example `block + t` (zeros past the batch).
    #[inline(always)]
    fn load(&mut self, x: &[R], block: usize, valid: usize) {
        let n_in = self.network.sizes[0];
        for (k, lanes) in self.a[0].iter_mut().enumerate() {
            for (t, lane) in lanes.iter_mut().enumerate() {
                *lane = if t < valid {
                    x[(block + t) * n_in + k]
                } else {
                    R::ZERO
                };
            }
        }
    }

    /// `Z_l = A_{l−1}·W_l + b_l`, `A_l = g_l(Z_l)` for every layer.
    #[inline(always)]
    fn forward(&mut self) {
        let network = self.network;
        for l in 0..network.depth() {
            let (n_in, n_out) = (network.sizes[l], network.sizes[l + 1]);
            let w = &network.weights[l];
            for j in 0..n_out {
                let mut z = [R::ZERO; LANES];
                for k in 0..n_in {
                    z = fma_lanes(z, &self.a[l][k], &[w[k * n_out + j]; LANES]);
                }
                if let Some(b) = &network.biases[l] {
                    for lane in &mut z {
                        *lane += b[j];
                    }
                }
                self.z[l][j] = z;
                if let Some(&g) = network.hidden.get(l) {
                    self.a[l + 1][j] = activate(g, &z);
                }
            }
        }
    }

    /// The loss and accuracy of the block, and `dZ_L = Ŷ − Y` in place of `Z_L` (zero in the
    /// padding lanes).
    #[inline(always)]
    fn output(&mut self, y: &[Lanes<R>], valid: usize) {
        let Some(z) = self.z.last_mut() else {
            return;
        };
        let mut loss = [R::ZERO; LANES];
        match self.kind {
            LossKind::CrossEntropy => {
                // ℓ = Σₖ yₖ·(lse − zₖ), lse = m + ln Σₖ e^(zₖ − m), m = maxₖ zₖ;
                // ŷₖ = e^(zₖ − m) / Σⱼ e^(zⱼ − m), the softmax
                let mut m = z[0];
                for zk in &z[1..] {
                    for t in 0..LANES {
                        m[t] = max(m[t], zk[t]);
                    }
                }
                let mut sum = [R::ZERO; LANES];
                for (e, zk) in self.e.iter_mut().zip(z.iter()) {
                    *e = exp_lanes(std::array::from_fn(|t| zk[t] - m[t]));
                    for t in 0..LANES {
                        sum[t] += e[t];
                    }
                }
                let lse: Lanes<R> = std::array::from_fn(|t| m[t] + sum[t].ln());
                for t in 0..valid {
                    let class = |v: &[Lanes<R>]| argmax(v.iter().map(|v| v[t]));
                    self.right += usize::from(class(z) == class(y));
                }
                for ((zk, yk), e) in z.iter_mut().zip(y).zip(&self.e) {
                    for t in 0..LANES {
                        loss[t] += yk[t] * (lse[t] - zk[t]);
                        zk[t] = e[t] / sum[t] - yk[t];
                    }
                }
            }
            LossKind::Bce => {
                // ℓₖ = max(zₖ, 0) − yₖ·zₖ + ln(1 + e^(−|zₖ|)), the stable form of
                // −[y·ln σ(z) + (1 − y)·ln σ(−z)]; ŷₖ = σ(zₖ) from the same e^(−|zₖ|)
                for ((zk, yk), cost) in z.iter_mut().zip(y).zip(&mut self.outputs) {
                    for t in 0..valid {
                        self.right += usize::from((zk[t] > R::ZERO) == (yk[t] > R::of(0.5)));
                    }
                    let mut terms = [R::ZERO; LANES];
                    for t in 0..LANES {
                        let e = (-zk[t].abs()).exp();
                        terms[t] = max(zk[t], R::ZERO) - yk[t] * zk[t] + e.ln_1p();
                        let yhat = if zk[t] >= R::ZERO {
                            R::ONE / (R::ONE + e)
                        } else {
                            e / (R::ONE + e)
                        };
                        loss[t] += terms[t];
                        zk[t] = yhat - yk[t];
                    }
                    add_lanes(cost, &terms, valid);
                }
            }
            LossKind::Mse => {
                // ℓₖ = ½·(zₖ − yₖ)²; ŷ = z
                for ((zk, yk), cost) in z.iter_mut().zip(y).zip(&mut self.outputs) {
                    let mut terms = [R::ZERO; LANES];
                    for t in 0..LANES {
                        let d = zk[t] - yk[t];
                        terms[t] = R::of(0.5) * d * d;
                        loss[t] += terms[t];
                        zk[t] = d;
                    }
                    add_lanes(cost, &terms, valid);
                }
            }
        }
        add_lanes(&mut self.loss, &loss, valid);
        for zk in z.iter_mut() {
            for lane in &mut zk[valid..] {
                *lane = R::ZERO;
            }
        }
    }

    /// Accumulates `A_{l−1}ᵀ·dZ_l` and `dZ_l`, and carries `dZ` down a layer, from the output
    /// layer to the first.
    #[inline(always)]
    fn backward(&mut self) {
        let network = self.network;
        for l in (0..network.depth()).rev() {
            let (n_in, n_out) = (network.sizes[l], network.sizes[l + 1]);
            let (below, this) = self.z.split_at_mut(l);
            let dz = &this[0];
            // Lanes are copied in and out by value: the compiler then knows the sums and the
            // deltas do not overlap, and vectorises the adds.
            for (sum, d) in self.gb[l].iter_mut().zip(dz) {
                *sum = fma_lanes(*sum, &[R::ONE; LANES], d);
            }
            let gw = &mut self.gw[l];
            for k in 0..n_in {
                let a = self.a[l][k];
                for j in 0..n_out {
                    let sum = &mut gw[k * n_out + j];
                    *sum = fma_lanes(*sum, &a, &dz[j]);
                }
            }
            if l == 0 {
                break;
            }
            // dZ_{l−1} = (dZ_l·W_lᵀ) ⊙ g'(Z_{l−1}), written over Z_{l−1}
            let (w, g) = (&network.weights[l], network.hidden[l - 1]);
            for (k, z) in below[l - 1].iter_mut().enumerate() {
                let mut da = [R::ZERO; LANES];
                for j in 0..n_out {
                    da = fma_lanes(da, &dz[j], &[w[k * n_out + j]; LANES]);
                }
                *z = derivative(g, &da, z, &self.a[l][k]);
            }
        }
    }

    /// The chunk's sums, lanes added in order.
    fn finish(self) -> Sums<R> {
        let fold = |lanes: &Vec<Lanes<R>>| -> Vec<R> {
            lanes
                .iter()
                .map(|l| l.iter().copied().fold(R::ZERO, |s, v| s + v))
                .collect()
        };
        Sums {
            loss: self.loss.iter().sum(),
            outputs: self.outputs.iter().map(|l| l.iter().sum()).collect(),
            right: self.right,
            weights: self.gw.iter().map(fold).collect(),
            biases: self.gb.iter().map(fold).collect(),
        }
    }
}

/// Adds the first `valid` lanes of `terms` to `sums`, in f64.
fn add_lanes<R: Real>(sums: &mut [f64; LANES], terms: &Lanes<R>, valid: usize) {
    for (sum, term) in sums.iter_mut().zip(terms).take(valid) {
        *sum += term.to_f64();
    }
}

/// `sum + a ⊙ b`, lane by lane (a multiply, then an add: no fused multiply-add, so every
/// instruction set rounds alike).
#[inline(always)]
fn fma_lanes<R: Real>(mut sum: Lanes<R>, a: &Lanes<R>, b: &Lanes<R>) -> Lanes<R> {
    for t in 0..LANES {
        sum[t] += a[t] * b[t];
    }
    sum
}

/// `eˣ` of every lane.
#[inline(always)]
fn exp_lanes<R: Real>(mut x: Lanes<R>) -> Lanes<R> {
    for x in &mut x {
        *x = x.exp();
    }
    x
}

/// `g(Z)` of a hidden layer, lane by lane.
#[inline(always)]
fn activate<R: Real>(g: Activation, z: &Lanes<R>) -> Lanes<R> {
    let mut a = *z;
    match g {
        Activation::Identity => {}
        Activation::Sigmoid => {
            let e = exp_lanes(a.map(|z| -z));
            for t in 0..LANES {
                a[t] = R::ONE / (R::ONE + e[t]);
            }
        }
        Activation::Relu => {
            for a in &mut a {
                *a = max(*a, R::ZERO);
            }
        }
        Activation::Tanh => {
            for a in &mut a {
                *a = a.tanh();
            }
        }
    }
    a
}

/// `dA ⊙ g'(Z)`, lane by lane, with `g'` from `Z` or `A` as
/// [`activation_backward`](super::activation_backward) writes it.
#[inline(always)]
fn derivative<R: Real>(g: Activation, da: &Lanes<R>, z: &Lanes<R>, a: &Lanes<R>) -> Lanes<R> {
    let mut dz = *da;
    match g {
        Activation::Identity => {}
        Activation::Sigmoid => {
            for t in 0..LANES {
                dz[t] = dz[t] * a[t] * (R::ONE - a[t]);
            }
        }
        Activation::Relu => {
            for t in 0..LANES {
                dz[t] = if z[t] > R::ZERO { dz[t] } else { R::ZERO };
            }
        }
        Activation::Tanh => {
            for t in 0..LANES {
                dz[t] = dz[t] * (R::ONE - a[t] * a[t]);
            }
        }
    }
    dz
}

/// The index of the largest value, the first on ties.
fn argmax<R: Real>(values: impl Iterator<Item = R>) -> usize {
    let mut best: Option<(usize, R)> = None;
    for (i, v) in values.enumerate() {
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map_or(0, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::NumpyRng;

    /// Cephes' bound for its `expf`, in units of the result's last place.
    const EXP_ULPS: f64 = 2.0;

    fn ulps(approx: f32, exact: f64) -> f64 {
        let ulp = f64::from(f32::EPSILON) * exact.abs();
        (f64::from(approx) - exact).abs() / ulp
    }

    #[test]
    fn exp_f32_is_within_two_ulps_over_its_range() {
        let mut worst = 0.0_f64;
        let steps = 200_000;
        for i in 0..=steps {
            let x = -87.0 + 175.0 * f64::from(i) / f64::from(steps);
            let x = x as f32;
            worst = worst.max(ulps(exp_f32(x), f64::from(x).exp()));
        }
        assert!(worst <= EXP_ULPS, "worst error {worst} ulp");
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(f32::NAN).is_nan());
        // Beyond the clamp the result saturates at the ends, finite and ordered.
        assert_eq!(exp_f32(-1000.0), exp_f32(-87.0));
        assert_eq!(exp_f32(1000.0), exp_f32(88.0));
        assert!(exp_f32(88.0).is_finite() && exp_f32(-87.0) > 0.0);
    }

    /// A random 2-5-3 network with biases, sigmoid and tanh, and `rows` examples.
    fn problem(rows: usize) -> (Network<f32>, Vec<f32>, Vec<f32>) {
        let mut rng = NumpyRng::new(7);
        let sizes = vec![2, 5, 3];
        let mut draw =
            |n: usize| -> Vec<f32> { rng.randn_vec(n).into_iter().map(|v| v as f32).collect() };
        let network = Network {
            weights: vec![draw(10), draw(15)],
            biases: vec![Some(draw(5)), Some(draw(3))],
            sizes,
            hidden: vec![Activation::Tanh],
            output: OutputActivation::Softmax,
        };
        let x = draw(rows * 2);
        let y = (0..rows)
            .flat_map(|i| (0..3).map(move |k| if i % 3 == k { 1.0 } else { 0.0 }))
            .collect();
        (network, x, y)
    }

    #[test]
    fn the_sums_do_not_depend_on_the_number_of_threads() {
        let rows = 3 * CHUNK + 5;
        let (network, x, y) = problem(rows);
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool")
                .install(|| sweep(&network, LossKind::CrossEntropy, &x, &y, rows))
                .expect("a sweep")
        };
        let one = on(1);
        assert_eq!(one, on(2));
        assert_eq!(one, on(3));
        assert!(one.loss > 0.0 && one.right > 0);
    }

    #[test]
    fn the_avx2_and_baseline_builds_give_the_same_sums() {
        let rows = 1000;
        let (network, x, y) = problem(rows);
        let baseline = Sweep::new(&network, LossKind::CrossEntropy).run(&x, &y, rows);
        // Takes the AVX2 path on a CPU that has it (every x86-64 CI machine of this project).
        let dispatched = sweep_chunk(&network, LossKind::CrossEntropy, &x, &y, rows);
        assert_eq!(baseline, dispatched);
    }

    #[test]
    fn a_batch_with_wrong_lengths_is_an_error() {
        let (network, x, y) = problem(10);
        let err = sweep(&network, LossKind::CrossEntropy, &x, &y, 11).expect_err("11 ≠ 10 rows");
        assert!(err.to_string().contains("for 11 examples"), "{err}");
        let err = sweep(&network, LossKind::Bce, &x, &y, 10).expect_err("softmax ≠ BCE");
        assert!(err.to_string().contains("output activation"), "{err}");
    }

    #[test]
    fn an_empty_batch_sums_to_zero() {
        let (network, _, _) = problem(0);
        let sums = sweep(&network, LossKind::CrossEntropy, &[], &[], 0).expect("a sweep");
        assert_eq!((sums.loss, sums.right), (0.0, 0));
        assert!(sums.weights.iter().flatten().all(|&g| g == 0.0));
    }
}
