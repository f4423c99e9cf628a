//! Turning examples into tensors: burn's [`Batcher`] for the notebooks' data.

use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::tensor::{Device, Tensor};

use super::Example;
use crate::tensor::{HostValues, Precision};

/// A batch of examples, rows as examples (burn's layout): as tensors, and as the host values
/// they were made from.
///
/// The tensors are what the autodiff engine and the tensor kernels compute on; the manual
/// engine's host kernels read [`Batch::host`] instead, so that a batch never travels back from
/// its tensors. Clones share the host values.
#[derive(Clone, Debug)]
pub struct Batch {
    /// `[batch, n_inputs]`.
    pub inputs: Tensor<2>,
    /// `[batch, n_outputs]`: one-hot classes, 0/1 targets or regression values.
    pub targets: Tensor<2>,
    host: Arc<HostBatch>,
}

/// A batch's values in host memory, row-major, at the precision of its tensors.
#[derive(Clone, Debug, PartialEq)]
pub struct HostBatch {
    /// The inputs, `n_inputs` per example.
    pub inputs: HostValues,
    /// The targets, `n_outputs` per example.
    pub targets: HostValues,
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
            inputs.len() == rows * n_inputs && targets.len() == rows * n_outputs,
            "a batch of {rows} examples made of {} inputs and {} targets",
            inputs.len(),
            targets.len()
        );
        Self {
            inputs: inputs.tensor([rows, n_inputs], device),
            targets: targets.tensor([rows, n_outputs], device),
            host: Arc::new(HostBatch { inputs, targets }),
        }
    }

    /// The values of the tensors, in host memory.
    pub fn host(&self) -> &HostBatch {
        &self.host
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.inputs.dims()[0]
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
            let host = batch.host();
            assert_eq!(batch.len(), 2);
            assert_eq!(
                matches!(host.inputs, HostValues::F32(_)),
                precision == Precision::F32
            );
            let tensor = |t: &Tensor<2>| host_values(t.clone()).expect("readable");
            assert_eq!(as_f64(&host.inputs), tensor(&batch.inputs));
            assert_eq!(as_f64(&host.targets), tensor(&batch.targets));
            // A clone shares the host values.
            assert!(std::ptr::eq(batch.clone().host(), host));
        }
    }

    #[test]
    #[should_panic(expected = "a batch of 2 examples made of 3 inputs and 2 targets")]
    fn lengths_that_do_not_fit_the_shape_are_refused() {
        let (x, y) = (HostValues::F32(vec![0.0; 3]), HostValues::F32(vec![0.0; 2]));
        Batch::new(x, y, 2, [2, 1], &Device::flex());
    }
}
