//! Initialisers: burn's default and the notebooks' own, drawn either from the numpy-compatible
//! stream (in the notebook's order, so its printed weights come out) or from burn's device
//! generator through burn's `Initializer`.

use std::sync::{Mutex, PoisonError};

use burn::nn::Initializer;
use burn::tensor::{Device, Tensor};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::model::mlp::LayerParams;
use crate::rng::{NumpyRng, PythonRng};
use crate::tensor::{Layout, Precision, host_tensor};

/// How weights are initialised. `n_in`/`n_out` are a layer's fans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    /// burn's default for `Linear`: Kaiming uniform with gain `1/√3`, i.e. `U(−1/√n_in, 1/√n_in)`,
    /// for weights and biases alike.
    Burn,
    /// Glorot (Xavier) uniform with each layer's fans: `U(−√(6/(n_in+n_out)), +…)`.
    Glorot,
    /// Glorot uniform with the whole network's input and output sizes for every layer, as
    /// notebook 003 writes it: `bounds = sqrt(6 / (n_inputs + n_outputs))`.
    GlorotNetwork,
    /// Standard normal times `init_scale`, `randn(…) * scale` (notebooks 000 and 002).
    Normal,
    /// `2 * rand(…) − 1`, i.e. `U(−1, 1)` (notebook 001).
    SymmetricUniform,
}

/// How biases are initialised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BiasInit {
    /// `b = 0` (notebooks 001 and 002).
    Zeros,
    /// Drawn like the weights, right after each layer's weights (notebook 000's
    /// `randn(1, n)`); with `--init burn`, burn's own bias initialisation.
    Same,
}

/// The distribution of one parameter tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Distribution {
    Uniform { low: f64, high: f64 },
    Normal { std: f64 },
}

impl Distribution {
    /// One draw from the numpy stream, exactly as numpy computes it:
    /// `uniform(low, high) = low + (high − low)·random_sample()`, `randn()·std`.
    fn sample(self, rng: &mut NumpyRng) -> f64 {
        match self {
            Distribution::Uniform { low, high } => rng.uniform(low, high),
            Distribution::Normal { std } => rng.randn() * std,
        }
    }

    /// One draw from Python's `random`, as micrograd and CPython compute it:
    /// `random.uniform(low, high)`, `random.gauss(0, std)`.
    fn sample_python(self, rng: &mut PythonRng) -> f64 {
        match self {
            Distribution::Uniform { low, high } => rng.uniform(low, high),
            Distribution::Normal { std } => rng.gauss(0.0, std),
        }
    }

    fn burn_initializer(self) -> Initializer {
        match self {
            Distribution::Uniform { low, high } => Initializer::Uniform {
                min: low,
                max: high,
            },
            Distribution::Normal { std } => Initializer::Normal { mean: 0.0, std },
        }
    }
}

/// Where initial parameters come from.
pub enum ParamSource<'a> {
    /// The numpy-compatible stream, continuing after whatever the data drew.
    Numpy(&'a mut NumpyRng),
    /// burn's device generator, seeded with this seed.
    Burn(u64),
    /// Python's `random`, drawn neuron by neuron as micrograd's `Neuron(nin)` does.
    Python(&'a mut PythonRng),
}

/// Everything the initialiser needs to know about the network.
#[derive(Clone, Debug)]
pub struct InitSpec {
    /// Layer widths `[n_0, …, n_L]`.
    pub sizes: Vec<usize>,
    /// Whether layers have biases.
    pub bias: bool,
    /// The weight initialiser.
    pub init: Init,
    /// The bias initialiser.
    pub bias_init: BiasInit,
    /// The standard deviation of [`Init::Normal`].
    pub scale: f64,
    /// The notebook's notation, which fixes the order of numpy draws.
    pub layout: Layout,
    /// The precision of the created tensors.
    pub precision: Precision,
}

impl InitSpec {
    /// The weight distribution of the layer mapping `n_in` to `n_out`.
    fn weight_distribution(&self, n_in: usize, n_out: usize) -> Distribution {
        // Layer widths are small integers: usize → f64 is exact.
        let (n_in, n_out) = (n_in as f64, n_out as f64);
        let glorot = |fan_in: f64, fan_out: f64| {
            let bound = (6.0 / (fan_in + fan_out)).sqrt();
            Distribution::Uniform {
                low: -bound,
                high: bound,
            }
        };
        match self.init {
            Init::Burn => {
                let bound = 1.0 / n_in.sqrt();
                Distribution::Uniform {
                    low: -bound,
                    high: bound,
                }
            }
            Init::Glorot => glorot(n_in, n_out),
            Init::GlorotNetwork => {
                let first = self.sizes.first().copied().unwrap_or_default() as f64;
                let last = self.sizes.last().copied().unwrap_or_default() as f64;
                glorot(first, last)
            }
            Init::Normal => Distribution::Normal { std: self.scale },
            Init::SymmetricUniform => Distribution::Uniform {
                low: -1.0,
                high: 1.0,
            },
        }
    }

    /// Draws every layer's parameters, layer by layer: the weights, then (with
    /// [`BiasInit::Same`]) the bias, as the notebooks draw them. The whole set is drawn `draws`
    /// times (at least once) and the last set returned, as notebook 000 trains from its second
    /// `initialize_weights()`.
    pub fn draw(
        &self,
        source: &mut ParamSource<'_>,
        draws: usize,
        device: &Device,
    ) -> Vec<LayerParams> {
        match source {
            ParamSource::Numpy(rng) => {
                let mut params = self.draw_numpy(rng, device);
                for _ in 1..draws {
                    params = self.draw_numpy(rng, device);
                }
                params
            }
            ParamSource::Python(rng) => {
                let mut params = self.draw_python(rng, device);
                for _ in 1..draws {
                    params = self.draw_python(rng, device);
                }
                params
            }
            ParamSource::Burn(seed) => {
                // burn's CPU generators are process-wide: hold a lock from seeding to the last
                // draw so that concurrent runs in one process (tests) cannot interleave.
                static BURN_RNG: Mutex<()> = Mutex::new(());
                let _guard = BURN_RNG.lock().unwrap_or_else(PoisonError::into_inner);
                device.seed(*seed);
                let mut params = self.draw_burn(device);
                for _ in 1..draws {
                    params = self.draw_burn(device);
                }
                params
            }
        }
    }

    fn draw_numpy(&self, rng: &mut NumpyRng, device: &Device) -> Vec<LayerParams> {
        self.sizes
            .windows(2)
            .map(|pair| {
                let (n_in, n_out) = (pair[0], pair[1]);
                let dist = self.weight_distribution(n_in, n_out);
                let drawn: Vec<f64> = (0..n_in * n_out).map(|_| dist.sample(rng)).collect();
                // Row notation draws W as [n_in, n_out], burn's layout; notebook 002 draws
                // W as [n_l, n_{l-1}] = [n_out, n_in], whose transpose burn stores.
                let weight = match self.layout {
                    Layout::Row => drawn,
                    Layout::Column => transpose(&drawn, n_out, n_in),
                };
                let weight = host_tensor::<2>(weight, [n_in, n_out], self.precision, device);
                let bias = self.bias.then(|| {
                    let values = match self.bias_init {
                        BiasInit::Zeros => vec![0.0; n_out],
                        BiasInit::Same => (0..n_out).map(|_| dist.sample(rng)).collect(),
                    };
                    host_tensor::<1>(values, [n_out], self.precision, device)
                });
                LayerParams { weight, bias }
            })
            .collect()
    }

    /// micrograd's order: `MLP` builds its layers in turn, each `Layer` its neurons, each
    /// `Neuron(nin)` its `nin` weights `[random.uniform(-1, 1) for _ in range(nin)]` and then
    /// its bias (`Value(0)` in micrograd; with [`BiasInit::Same`], drawn right after the
    /// neuron's weights). The neurons' weights are the rows of an `[n_out, n_in]` matrix, whose
    /// transpose burn stores.
    fn draw_python(&self, rng: &mut PythonRng, device: &Device) -> Vec<LayerParams> {
        self.sizes
            .windows(2)
            .map(|pair| {
                let (n_in, n_out) = (pair[0], pair[1]);
                let dist = self.weight_distribution(n_in, n_out);
                let mut rows = Vec::with_capacity(n_in * n_out);
                let mut biases = Vec::with_capacity(n_out);
                for _ in 0..n_out {
                    rows.extend((0..n_in).map(|_| dist.sample_python(rng)));
                    biases.push(match self.bias_init {
                        BiasInit::Same if self.bias => dist.sample_python(rng),
                        _ => 0.0,
                    });
                }
                let weight = transpose(&rows, n_out, n_in);
                let weight = host_tensor::<2>(weight, [n_in, n_out], self.precision, device);
                let bias = self
                    .bias
                    .then(|| host_tensor::<1>(biases, [n_out], self.precision, device));
                LayerParams { weight, bias }
            })
            .collect()
    }

    fn draw_burn(&self, device: &Device) -> Vec<LayerParams> {
        // Draw and cast on the plain device, then attach the result to `device`'s autodiff
        // context as a fresh leaf: a tensor cast after it was tracked could not become a
        // trainable parameter.
        let plain = device.clone().without_autodiff();
        self.sizes
            .windows(2)
            .map(|pair| {
                let (n_in, n_out) = (pair[0], pair[1]);
                let initializer = match self.init {
                    Init::Burn => Initializer::KaimingUniform {
                        gain: 1.0 / 3.0f64.sqrt(),
                        fan_out_only: false,
                    },
                    _ => self.weight_distribution(n_in, n_out).burn_initializer(),
                };
                // Parameters are lazy: `val()` draws now, in layer order, under the lock.
                let weight = initializer
                    .init_with([n_in, n_out], Some(n_in), Some(n_out), &plain)
                    .val()
                    .cast(self.precision.float_dtype());
                let bias = self.bias.then(|| {
                    let bias_initializer = match self.bias_init {
                        BiasInit::Zeros => Initializer::Zeros,
                        BiasInit::Same => initializer.clone(),
                    };
                    bias_initializer
                        .init_with([n_out], Some(n_in), Some(n_out), &plain)
                        .val()
                        .cast(self.precision.float_dtype())
                });
                LayerParams {
                    weight: attach(weight, device),
                    bias: bias.map(|b| attach(b, device)),
                }
            })
            .collect()
    }
}

/// `tensor`, drawn on the plain device, as a leaf in `device`'s autodiff context (if any).
fn attach<const D: usize>(tensor: Tensor<D>, device: &Device) -> Tensor<D> {
    if device.is_autodiff() {
        tensor.autodiff()
    } else {
        tensor
    }
}

/// The row-major transpose of a `rows × cols` row-major matrix.
fn transpose(values: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f32 round-off of values of order 1.
    const F32_EXACT: f64 = 1e-7;

    fn spec(init: Init, sizes: Vec<usize>) -> InitSpec {
        InitSpec {
            sizes,
            bias: false,
            init,
            bias_init: BiasInit::Zeros,
            scale: 1.0,
            layout: Layout::Row,
            precision: Precision::F32,
        }
    }

    fn values(t: &Tensor<2>) -> Vec<f64> {
        t.to_data()
            .convert::<f64>()
            .try_to_vec::<f64>()
            .expect("a float tensor")
    }

    fn assert_close(actual: &[f64], expected: &[f64], tol: f64) {
        assert_eq!(actual.len(), expected.len());
        for (a, e) in actual.iter().zip(expected) {
            assert!((a - e).abs() <= tol, "{a} vs {e}");
        }
    }

    #[test]
    fn notebook_003_weights_for_seed_0() {
        // Notebook 003, In[11], printed:
        // np.random.seed(0); bounds = np.sqrt(6 / (2 + 1))
        // weights1 = np.random.uniform(-bounds, bounds, (2, 3))
        // weights2 = np.random.uniform(-bounds, bounds, (3, 1))
        // print(weights1.tolist(), weights2.tolist())
        let weights1 = [
            0.13806544_f64,
            0.60864744,
            0.29065872,
            0.12694881,
            -0.21593684,
            0.41265087,
        ];
        let weights2 = [-0.17653002, 1.10810138, 1.31143633];
        let device = Device::default();
        let mut rng = NumpyRng::new(0);
        let params = spec(Init::GlorotNetwork, vec![2, 3, 1]).draw(
            &mut ParamSource::Numpy(&mut rng),
            1,
            &device,
        );
        // The notebook prints 8 decimals; f32 storage adds ≤ 6e-8.
        assert_close(&values(&params[0].weight), &weights1, 5e-9 + F32_EXACT);
        assert_close(&values(&params[1].weight), &weights2, 5e-9 + F32_EXACT);
        assert!(params[0].bias.is_none());
    }

    #[test]
    fn column_layout_transposes_the_numpy_draw() {
        // python3 -c "import numpy as np; np.random.seed(3); print(np.random.randn(2, 3).T.ravel().tolist())"
        // (notebook 002 draws W1 = randn(n1, n0) with n0 = 3, n1 = 2; burn stores W1ᵀ)
        let expected = [
            1.7886284734303186,
            -1.8634927033644908,
            0.43650985051198943,
            -0.27738820251439905,
            0.09649746807200862,
            -0.35475897926898675,
        ];
        let device = Device::default();
        let mut rng = NumpyRng::new(3);
        let mut spec = spec(Init::Normal, vec![3, 2]);
        spec.layout = Layout::Column;
        spec.precision = Precision::F64;
        let params = spec.draw(&mut ParamSource::Numpy(&mut rng), 1, &device);
        assert_eq!(params[0].weight.dims(), [3, 2]);
        assert_close(&values(&params[0].weight), &expected, 0.0);
    }

    #[test]
    fn burn_source_is_reproducible_and_in_range() {
        let device = Device::default();
        let spec = spec(Init::Burn, vec![4, 5, 2]);
        let a = spec.draw(&mut ParamSource::Burn(7), 1, &device);
        let b = spec.draw(&mut ParamSource::Burn(7), 1, &device);
        let c = spec.draw(&mut ParamSource::Burn(8), 1, &device);
        assert_eq!(values(&a[0].weight), values(&b[0].weight));
        assert_ne!(values(&a[0].weight), values(&c[0].weight));
        // burn's default bound for n_in = 4 is 1/√4 = 0.5.
        assert!(values(&a[0].weight).iter().all(|w| w.abs() <= 0.5));
    }

    #[test]
    fn python_source_draws_micrograd_weights() {
        // micrograd's demo, cells 3 and 5: random.seed(1337); model = MLP(2, [16, 16, 1]);
        // the parameters printed by scripts/micrograd/micrograd_reference.py 1337
        // --dump-weights FILE (CPython 3.11.7), in `model.parameters()` order: neuron by neuron,
        // `w0, w1, …, b`.
        let first_neurons = [
            0.23550571390294128,  // layer 1, neuron 0, w0
            0.06653114721000164,  // layer 1, neuron 0, w1
            -0.26830328150124894, // layer 1, neuron 1, w0
            0.1715747078045431,   // layer 1, neuron 1, w1
        ];
        let output_neuron = [
            0.9128783824023976,
            -0.820982404658368,
            0.9648285595338895,
            0.3470665940198512,
            0.5436156893249604,
            0.49097996014038525,
            -0.9353940167321961,
            -0.707696853463387,
            -0.543868634071563,
            0.24162175370353833,
            -0.6723901907230767,
            -0.5973053326809556,
            0.6457663814022516,
            -0.2271549182489696,
            -0.3223491002609964,
            -0.2532524374373504,
        ];
        let device = Device::default();
        let mut rng = PythonRng::new(1337);
        let mut spec = spec(Init::SymmetricUniform, vec![2, 16, 16, 1]);
        spec.bias = true;
        spec.precision = Precision::F64;
        let params = spec.draw(&mut ParamSource::Python(&mut rng), 1, &device);
        // burn stores W1 as [n_in, n_out]: neuron j's weights are column j.
        let w1 = values(&params[0].weight);
        assert_eq!(params[0].weight.dims(), [2, 16]);
        assert_eq!([w1[0], w1[16], w1[1], w1[17]], first_neurons);
        assert_eq!(values(&params[2].weight), output_neuron);
        let b1 = params[0]
            .bias
            .as_ref()
            .map(|b| b.to_data().try_to_vec::<f64>());
        assert_eq!(b1.and_then(|b| b.ok()), Some(vec![0.0; 16]));
    }
}
