//! Turning examples into tensors: burn's [`Batcher`] for the notebooks' data.

use std::sync::atomic::{AtomicU64, Ordering};

use burn::data::dataloader::batcher::Batcher;
use burn::tensor::{Device, Tensor};

use super::Example;
use crate::tensor::{Precision, host_tensor};

/// A batch of examples, rows as examples (burn's layout).
///
/// Every batch made by [`Batch::new`] has its own [`id`](Batch::id), which its clones keep: a
/// full-batch run serves one batch again and again, and the fused kernel copies it to the host
/// only once.
#[derive(Clone, Debug)]
pub struct Batch {
    /// `[batch, n_inputs]`.
    pub inputs: Tensor<2>,
    /// `[batch, n_outputs]`: one-hot classes, 0/1 targets or regression values.
    pub targets: Tensor<2>,
    id: u64,
}

impl Batch {
    /// A new batch of `inputs` and their `targets`.
    pub fn new(inputs: Tensor<2>, targets: Tensor<2>) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Self {
            inputs,
            targets,
            id: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Which batch this is: equal for a batch and its clones, different for any two batches
    /// made apart.
    pub fn id(&self) -> u64 {
        self.id
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
            host_tensor(x, [n, d_in], self.precision, device),
            host_tensor(y, [n, d_out], self.precision, device),
        )
    }
}
