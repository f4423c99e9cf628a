//! Turning examples into tensors: burn's [`Batcher`] for the notebooks' data.

use std::fmt;
use std::sync::{Arc, OnceLock};

use burn::data::dataloader::batcher::Batcher;
use burn::tensor::{Device, Tensor};

use super::Example;
use crate::tensor::{HostValues, Precision, SparseRows};

/// A batch of examples, rows as examples (burn's layout): the host values it was made from,
/// and tensors of them on a device, made when first asked for.
///
/// The tensors are what the autodiff engine and the tensor kernels compute on; the manual
/// engine's host kernels read the host values ([`Batch::host_inputs`],
/// [`Batch::host_targets`]) instead, so that a batch never travels back from its tensors, and
/// a batch that only they read never makes any. A batcher whose inputs are mostly zero may
/// give them as their nonzero entries ([`Batch::sparse`]); the dense rows are then made when
/// first asked for, and a kernel that skips zeros need not ask; it reads the nonzero entries
/// row by row ([`Batch::sparse_inputs`]) and column by column ([`Batch::sparse_columns`]).
/// Clones share the host values, the tensors and the transpose, each made once for all of
/// them, on whichever thread first asks: a loader's thread makes ahead what the step that
/// reads the batch will read ([`Prepare`]).
#[derive(Clone)]
pub struct Batch {
    host: Arc<Host>,
    rows: usize,
    widths: [usize; 2],
    device: Device,
    /// `[inputs, targets]`.
    tensors: Arc<OnceLock<[Tensor<2>; 2]>>,
}

/// What a loader's thread makes of a batch ahead of the step that reads it
/// ([`Batch::prepare`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prepare {
    /// The tensors ([`Batch::inputs`], [`Batch::targets`]): what burn's engines read.
    Tensors,
    /// The nonzero inputs column by column ([`Batch::sparse_columns`]), where the batcher
    /// gave them row by row: what the wide host kernel's `dW_1 = Xᵀ·dZ_1` reads.
    SparseColumns,
    /// Nothing: the step reads the host values as they are.
    Nothing,
}

/// A batch's values in host memory, row-major, at the precision of its tensors.
#[derive(Debug)]
struct Host {
    /// The inputs, `n_inputs` per example.
    inputs: Inputs,
    /// The targets, `n_outputs` per example.
    targets: HostValues,
}

/// A batch's inputs as its batcher gave them.
#[derive(Debug)]
enum Inputs {
    /// Every value.
    Dense(HostValues),
    /// The nonzero entries row by row, and, once asked for, every value and the entries
    /// column by column.
    Sparse(SparseRows, OnceLock<HostValues>, OnceLock<SparseRows>),
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("rows", &self.rows)
            .field("widths", &self.widths)
            .field("device", &self.device)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl Batch {
    /// A batch of `rows` examples: their `inputs` and `targets`, `[rows, n]` each, row-major.
    ///
    /// # Panics
    /// If either has a length that is not `rows` times its width.
    pub fn new(
        inputs: HostValues,
        targets: HostValues,
        rows: usize,
        [n_inputs, n_outputs]: [usize; 2],
        device: &Device,
    ) -> Self {
        assert!(
            inputs.len() == rows * n_inputs,
            "a batch of {rows} examples made of {} inputs and {} targets",
            inputs.len(),
            targets.len()
        );
        Self::of(
            Inputs::Dense(inputs),
            targets,
            rows,
            [n_inputs, n_outputs],
            device,
        )
    }

    /// A batch of `inputs.rows()` examples whose inputs are given by their nonzero entries;
    /// `targets` are `[rows, n_outputs]`, row-major.
    ///
    /// # Panics
    /// If `targets` does not hold `n_outputs` values per example, or is not of the inputs'
    /// precision.
    pub fn sparse(
        inputs: SparseRows,
        targets: HostValues,
        n_outputs: usize,
        device: &Device,
    ) -> Self {
        assert_eq!(
            std::mem::discriminant(inputs.values()),
            std::mem::discriminant(&targets),
            "sparse inputs and targets of different precisions"
        );
        let widths = [inputs.cols(), n_outputs];
        let rows = inputs.rows();
        Self::of(
            Inputs::Sparse(inputs, OnceLock::new(), OnceLock::new()),
            targets,
            rows,
            widths,
            device,
        )
    }

    fn of(
        inputs: Inputs,
        targets: HostValues,
        rows: usize,
        widths: [usize; 2],
        device: &Device,
    ) -> Self {
        assert!(
            targets.len() == rows * widths[1],
            "a batch of {rows} examples made of {} inputs and {} targets",
            rows * widths[0],
            targets.len()
        );
        Self {
            host: Arc::new(Host { inputs, targets }),
            rows,
            widths,
            device: device.clone(),
            tensors: Arc::default(),
        }
    }

    /// The inputs, `[batch, n_inputs]`.
    pub fn inputs(&self) -> Tensor<2> {
        self.tensors()[0].clone()
    }

    /// The targets, `[batch, n_outputs]`: one-hot classes, 0/1 targets or regression values.
    pub fn targets(&self) -> Tensor<2> {
        self.tensors()[1].clone()
    }

    /// Makes what `what` names now, if no clone has made it yet, so that reading it later
    /// costs nothing: what a loader's thread does for the step that reads the batch.
    pub fn prepare(&self, what: Prepare) {
        match what {
            Prepare::Tensors => {
                self.tensors();
            }
            Prepare::SparseColumns => {
                self.sparse_columns();
            }
            Prepare::Nothing => {}
        }
    }

    fn tensors(&self) -> &[Tensor<2>; 2] {
        self.tensors.get_or_init(|| {
            let [n_inputs, n_outputs] = self.widths;
            [
                self.host_inputs()
                    .tensor([self.rows, n_inputs], &self.device),
                self.host_targets()
                    .tensor([self.rows, n_outputs], &self.device),
            ]
        })
    }

    /// The values of the inputs tensor in host memory, `[batch, n_inputs]` row-major: made
    /// from the nonzero entries the batch was given, if it was, when first asked for.
    pub fn host_inputs(&self) -> &HostValues {
        match &self.host.inputs {
            Inputs::Dense(values) => values,
            Inputs::Sparse(sparse, dense, _) => dense.get_or_init(|| sparse.dense()),
        }
    }

    /// The nonzero entries of the inputs, row by row, where the batcher gave them.
    pub fn sparse_inputs(&self) -> Option<&SparseRows> {
        match &self.host.inputs {
            Inputs::Dense(_) => None,
            Inputs::Sparse(sparse, _, _) => Some(sparse),
        }
    }

    /// The nonzero entries of the inputs, column by column (the transpose of
    /// [`sparse_inputs`](Self::sparse_inputs)), where the batcher gave them: made when first
    /// asked for.
    pub fn sparse_columns(&self) -> Option<&SparseRows> {
        match &self.host.inputs {
            Inputs::Dense(_) => None,
            Inputs::Sparse(sparse, _, columns) => Some(columns.get_or_init(|| sparse.transposed())),
        }
    }

    /// The values of the targets tensor in host memory, `[batch, n_outputs]` row-major.
    pub fn host_targets(&self) -> &HostValues {
        &self.host.targets
    }

    /// The inputs and the outputs per example.
    pub fn widths(&self) -> [usize; 2] {
        self.widths
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the batch holds no example.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Stacks [`Example`]s into a [`Batch`] at a given precision.
#[derive(Clone, Debug)]
pub struct ExampleBatcher {
    /// The precision of the tensors it creates.
    pub precision: Precision,
}

impl Batcher<Example, Batch> for ExampleBatcher {
    fn batch(&self, items: Vec<Example>, device: &Device) -> Batch {
        let n = items.len();
        let d_in = items.first().map_or(0, |e| e.x.len());
        let d_out = items.first().map_or(0, |e| e.y.len());
        let mut x = Vec::with_capacity(n * d_in);
        let mut y = Vec::with_capacity(n * d_out);
        for item in items {
            x.extend(item.x);
            y.extend(item.y);
        }
        Batch::new(
            HostValues::rounded(x, self.precision),
            HostValues::rounded(y, self.precision),
            n,
            [d_in, d_out],
            device,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::host_values;

    fn as_f64(values: &HostValues) -> Vec<f64> {
        match values {
            HostValues::F32(v) => v.iter().map(|&v| f64::from(v)).collect(),
            HostValues::F64(v) => v.clone(),
        }
    }

    #[test]
    fn a_batch_holds_the_values_of_its_tensors_at_their_precision() {
        let device = Device::flex();
        let examples = vec![
            Example {
                x: vec![0.1, -2.5],
                y: vec![1.0, 0.0],
            },
            Example {
                x: vec![1e-3, 3.0],
                y: vec![0.0, 1.0],
            },
        ];
        for precision in [Precision::F32, Precision::F64] {
            let batch = ExampleBatcher { precision }.batch(examples.clone(), &device);
            let inputs = batch.host_inputs();
            assert_eq!(batch.len(), 2);
            assert_eq!(
                matches!(inputs, HostValues::F32(_)),
                precision == Precision::F32
            );
            assert!(batch.sparse_inputs().is_none());
            let tensor = |t: Tensor<2>| host_values(t).expect("readable");
            // A clone made before the tensors shares them and the host values.
            let clone = batch.clone();
            assert_eq!(as_f64(inputs), tensor(batch.inputs()));
            assert_eq!(as_f64(batch.host_targets()), tensor(batch.targets()));
            assert!(std::ptr::eq(clone.host_inputs(), inputs));
            assert!(std::ptr::eq(clone.tensors(), batch.tensors()));
            assert_eq!(batch.inputs().dims(), [2, 2]);
            assert_eq!(batch.targets().dims(), [2, 2]);
        }
    }

    #[test]
    fn the_sparse_columns_are_the_transpose_made_once_for_every_clone() {
        // [[0, 1.5, 0, 0], [0, 0, 0, 0], [-2, 0, 0, 0.25]]; its transpose, 4 × 3:
        // [[0, 0, -2], [1.5, 0, 0], [0, 0, 0], [0, 0, 0.25]]
        let sparse = SparseRows::new(
            4,
            vec![0, 1, 1, 3],
            vec![1, 0, 3],
            HostValues::F64(vec![1.5, -2.0, 0.25]),
        );
        let transpose = SparseRows::new(
            3,
            vec![0, 1, 2, 2, 3],
            vec![2, 0, 2],
            HostValues::F64(vec![-2.0, 1.5, 0.25]),
        );
        let batch = Batch::sparse(sparse, HostValues::F64(vec![0.0; 3]), 1, &Device::flex());
        let clone = batch.clone();
        // Made on another thread, then read here from the clone without being made again.
        std::thread::scope(|s| {
            s.spawn(|| batch.prepare(Prepare::SparseColumns));
        });
        assert_eq!(clone.sparse_columns(), Some(&transpose));
        assert!(std::ptr::eq(
            clone.sparse_columns().expect("sparse"),
            batch.sparse_columns().expect("sparse")
        ));
        let dense = Batch::new(
            HostValues::F64(vec![1.0]),
            HostValues::F64(vec![1.0]),
            1,
            [1, 1],
            &Device::flex(),
        );
        assert_eq!(dense.sparse_columns(), None);
    }

    #[test]
    fn sparse_inputs_are_made_dense_once_when_asked_for() {
        // [[0, 1.5, 0, 0], [0, 0, 0, 0], [-2, 0, 0, 0.25]]
        let sparse = SparseRows::new(
            4,
            vec![0, 1, 1, 3],
            vec![1, 0, 3],
            HostValues::F32(vec![1.5, -2.0, 0.25]),
        );
        let targets = HostValues::F32(vec![1.0, 0.0, 1.0]);
        let batch = Batch::sparse(sparse.clone(), targets, 1, &Device::flex());
        assert_eq!((batch.len(), batch.widths()), (3, [4, 1]));
        assert_eq!(batch.sparse_inputs(), Some(&sparse));
        let dense = [0.0, 1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -2.0, 0.0, 0.0, 0.25];
        assert_eq!(batch.host_inputs(), &HostValues::F32(dense.to_vec()));
        assert!(std::ptr::eq(
            batch.clone().host_inputs(),
            batch.host_inputs()
        ));
        assert_eq!(
            host_values(batch.inputs()).expect("readable"),
            dense.map(f64::from)
        );
    }

    #[test]
    #[should_panic(expected = "not increasing and below 4")]
    fn sparse_rows_out_of_order_are_refused() {
        let values = HostValues::F64(vec![1.0, 2.0]);
        SparseRows::new(4, vec![0, 2], vec![3, 1], values);
    }

    #[test]
    #[should_panic(expected = "sparse inputs and targets of different precisions")]
    fn sparse_inputs_and_targets_share_a_precision() {
        let inputs = SparseRows::new(2, vec![0, 1], vec![1], HostValues::F64(vec![1.0]));
        Batch::sparse(inputs, HostValues::F32(vec![1.0]), 1, &Device::flex());
    }

    #[test]
    #[should_panic(expected = "a batch of 2 examples made of 3 inputs and 2 targets")]
    fn lengths_that_do_not_fit_the_shape_are_refused() {
        let (x, y) = (HostValues::F32(vec![0.0; 3]), HostValues::F32(vec![0.0; 2]));
        Batch::new(x, y, 2, [2, 1], &Device::flex());
    }
}
