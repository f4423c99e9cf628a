//! One sweep over a batch: the examples cut into [`CHUNK`]s on rayon's threads, each chunk
//! swept [`LANES`] examples at a time through forward pass, loss, backward pass and gradient
//! sums, the sums added in a fixed order.

use rayon::prelude::*;

use super::lanes::{
    LANES, Lanes, activate, add_lanes, add_product_lanes, argmax_lanes, derivative, exp_lanes,
    gather, ln_lanes,
};
use super::network::Network;
use crate::error::{Error, Result};
use crate::loss::LossKind;
use crate::manual::real::{Real, max};
use crate::manual::vector::Isa;

/// Examples per chunk: the unit of work of one thread, and of the fixed summation order.
pub const CHUNK: usize = 1024;

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
    check_batch(network, kind, x.len(), y, rows)?;
    let (n_in, n_out) = (network.sizes[0], network.outputs());
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

/// Whether `inputs` values of the inputs and `y` hold `rows` examples for `network`, and
/// `kind`'s output activation is the network's (the host kernels compute `dZ_L = Ŷ − Y` from
/// the loss).
pub(in crate::manual) fn check_batch<R: Real>(
    network: &Network<R>,
    kind: LossKind,
    inputs: usize,
    y: &[R],
    rows: usize,
) -> Result<()> {
    let (n_in, n_out) = (network.sizes[0], network.outputs());
    if kind.output_activation() != network.output {
        return Err(Error::InvalidConfig(format!(
            "the manual kernels compute Ŷ − Y for {}'s output activation, and this network's differs",
            kind.name()
        )));
    }
    if inputs != rows * n_in || y.len() != rows * n_out {
        return Err(Error::Data(format!(
            "the manual kernel got {} inputs and {} targets for {rows} examples of a {}-input, {}-output network",
            inputs,
            y.len(),
            n_in,
            n_out
        )));
    }
    Ok(())
}

/// One chunk's sums, in AVX-512 or AVX2 instructions where the CPU has them (16 or 8 f32 per
/// instruction instead of SSE2's 4).
fn sweep_chunk<R: Real>(
    network: &Network<R>,
    kind: LossKind,
    x: &[R],
    y: &[R],
    rows: usize,
) -> Sums<R> {
    sweep_chunk_on(Isa::widest(), network, kind, x, y, rows)
}

/// [`sweep_chunk`] compiled for `isa`. The AVX-512, AVX2 and baseline (SSE2) versions are the
/// same code compiled three times: none fuses a multiply with an add, so all round every
/// operation alike and give the same sums bit for bit (a test compares them).
fn sweep_chunk_on<R: Real>(
    isa: Isa,
    network: &Network<R>,
    kind: LossKind,
    x: &[R],
    y: &[R],
    rows: usize,
) -> Sums<R> {
    isa.run(
        #[inline(always)]
        || Sweep::new(network, kind).run(x, y, rows),
    )
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
    /// The loss and accuracy sums.
    out: Outputs<R>,
}

impl<'a, R: Real> Sweep<'a, R> {
    fn new(network: &'a Network<R>, kind: LossKind) -> Self {
        let lanes = |n: usize| vec![[R::ZERO; LANES]; n];
        let sizes = &network.sizes;
        let depth = network.depth();
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
            out: Outputs::new(kind, network.outputs()),
        }
    }

    #[inline(always)]
    fn run(mut self, x: &[R], y: &[R], rows: usize) -> Sums<R> {
        let mut target = vec![[R::ZERO; LANES]; self.network.outputs()];
        for block in (0..rows).step_by(LANES) {
            let valid = LANES.min(rows - block);
            gather(x, block, valid, &mut self.a[0]);
            gather(y, block, valid, &mut target);
            self.forward();
            self.output(&target, valid);
            self.backward();
        }
        self.finish()
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
                    z = add_product_lanes(z, &self.a[l][k], &[w[k * n_out + j]; LANES]);
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

    /// The loss and accuracy of the block, and `dZ_L` in place of `Z_L`.
    #[inline(always)]
    fn output(&mut self, y: &[Lanes<R>], valid: usize) {
        if let Some(z) = self.z.last_mut() {
            self.out.block(self.kind, z, y, valid);
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
                *sum = add_product_lanes(*sum, &[R::ONE; LANES], d);
            }
            let gw = &mut self.gw[l];
            for k in 0..n_in {
                let a = self.a[l][k];
                for j in 0..n_out {
                    let sum = &mut gw[k * n_out + j];
                    *sum = add_product_lanes(*sum, &a, &dz[j]);
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
                    da = add_product_lanes(da, &dz[j], &[w[k * n_out + j]; LANES]);
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
        let (loss, outputs, right) = self.out.finish();
        Sums {
            loss,
            outputs,
            right,
            weights: self.gw.iter().map(fold).collect(),
            biases: self.gb.iter().map(fold).collect(),
        }
    }
}

/// A batch's loss and accuracy, added up block by block, and the output layer's `dZ_L` of each
/// block: the part of a step that depends on the loss. Both CPU kernels use it, the fused
/// one on its lanes and the [wide](crate::manual::wide) one on its output rows.
pub(in crate::manual) struct Outputs<R> {
    /// `e^(zₖ − m)` of the softmax.
    e: Vec<Lanes<R>>,
    /// `Σ ℓ` and `Σ ℓₖ` per lane, in f64.
    loss: [f64; LANES],
    outputs: Vec<[f64; LANES]>,
    right: usize,
}

impl<R: Real> Outputs<R> {
    /// Zero sums for `kind` on `n_out` outputs.
    pub(in crate::manual) fn new(kind: LossKind, n_out: usize) -> Self {
        let per_output = kind != LossKind::CrossEntropy;
        Self {
            e: vec![[R::ZERO; LANES]; n_out],
            loss: [0.0; LANES],
            outputs: vec![[0.0; LANES]; if per_output { n_out } else { 0 }],
            right: 0,
        }
    }

    /// The loss and accuracy of a block of examples, and `dZ_L = Ŷ − Y` in place of `Z_L`
    /// (zero in the padding lanes past `valid`).
    #[inline(always)]
    pub(in crate::manual) fn block(
        &mut self,
        kind: LossKind,
        z: &mut [Lanes<R>],
        y: &[Lanes<R>],
        valid: usize,
    ) {
        let mut loss = [R::ZERO; LANES];
        match kind {
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
                let mut lse = ln_lanes(sum);
                for t in 0..LANES {
                    lse[t] += m[t];
                }
                let (predicted, labelled) = (argmax_lanes(z), argmax_lanes(y));
                self.right += (0..valid).filter(|&t| predicted[t] == labelled[t]).count();
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
            LossKind::Hinge => {
                // ℓₖ = max(0, uₖ), uₖ = 1 − ỹₖ·zₖ, ỹ = 2y − 1; dZ = −ỹ where uₖ > 0, else 0
                for ((zk, yk), cost) in z.iter_mut().zip(y).zip(&mut self.outputs) {
                    for t in 0..valid {
                        self.right += usize::from((zk[t] > R::ZERO) == (yk[t] > R::of(0.5)));
                    }
                    let mut terms = [R::ZERO; LANES];
                    for t in 0..LANES {
                        let signed = R::of(2.0) * yk[t] - R::ONE;
                        let margin = R::ONE - signed * zk[t];
                        let violated = margin > R::ZERO;
                        terms[t] = if violated { margin } else { R::ZERO };
                        loss[t] += terms[t];
                        zk[t] = if violated { -signed } else { R::ZERO };
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

    /// `Σᵢ ℓᵢ`, `Σᵢ ℓᵢₖ` per output and the correct predictions, lanes added in order.
    pub(in crate::manual) fn finish(&self) -> (f64, Vec<f64>, usize) {
        (
            self.loss.iter().sum(),
            self.outputs.iter().map(|l| l.iter().sum()).collect(),
            self.right,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::OutputActivation;
    use crate::model::activation::Activation;
    use crate::rng::NumpyRng;

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
    fn the_vector_builds_give_the_baseline_sums_bit_for_bit() {
        // 1000 rows: 15 whole blocks of 64 and a partial one
        let rows = 1000;
        let (network, x, y) = problem(rows);
        let baseline = Sweep::new(&network, LossKind::CrossEntropy).run(&x, &y, rows);
        // every x86-64 CI machine of this project has AVX2
        #[cfg(target_arch = "x86_64")]
        assert!(Isa::all().len() > 1, "no vector build was compared");
        for isa in Isa::all() {
            let sums = sweep_chunk_on(isa, &network, LossKind::CrossEntropy, &x, &y, rows);
            assert_eq!(baseline, sums, "{isa:?}");
        }
        assert_eq!(
            baseline,
            sweep_chunk(&network, LossKind::CrossEntropy, &x, &y, rows)
        );
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
