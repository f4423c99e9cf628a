//! The basic tensor types every layer shares: the floating-point [`Precision`] of a run, the
//! matrix [`Layout`] of a notebook, and moving values between the host and a device
//! ([`host_tensor`], [`host_values`], [`HostValues`], [`SparseRows`]).

use burn::tensor::{DType, Device, FloatDType, Tensor, TensorData};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Floating-point precision of parameters and data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 32-bit floats (the default; what the notebooks' PyTorch code uses).
    F32,
    /// 64-bit floats (what the notebooks' numpy code uses).
    F64,
}

impl Precision {
    /// The burn dtype.
    pub fn dtype(self) -> DType {
        match self {
            Precision::F32 => DType::F32,
            Precision::F64 => DType::F64,
        }
    }

    /// The burn float dtype.
    pub fn float_dtype(self) -> FloatDType {
        match self {
            Precision::F32 => FloatDType::F32,
            Precision::F64 => FloatDType::F64,
        }
    }

    /// `"f32"` or `"f64"`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}

/// The matrix notation of a notebook, which fixes the order in which `--rng numpy` draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Examples are rows: X is `[examples, features]`, W is `[n_in, n_out]` (burn's layout;
    /// notebooks 000, 001, 003).
    Row,
    /// Examples are columns: X is `[features, examples]`, W is `[n_l, n_l-1]` (notebook 002).
    Column,
}

/// Values in host memory at a run's precision, row-major: what a batch is made from, kept
/// beside its tensors for the manual engine's host kernels (see
/// [`Batch`](crate::data::Batch)).
#[derive(Clone, Debug, PartialEq)]
pub enum HostValues {
    /// f32 values.
    F32(Vec<f32>),
    /// f64 values.
    F64(Vec<f64>),
}

impl HostValues {
    /// `values` at `precision`, rounded to the nearest f32 as [`host_tensor`] rounds them.
    pub fn rounded(values: Vec<f64>, precision: Precision) -> Self {
        match precision {
            Precision::F32 => HostValues::F32(values.into_iter().map(|v| v as f32).collect()),
            Precision::F64 => HostValues::F64(values),
        }
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        match self {
            HostValues::F32(v) => v.len(),
            HostValues::F64(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A tensor of these values on `device`, of their precision.
    pub fn tensor<const D: usize>(&self, shape: [usize; D], device: &Device) -> Tensor<D> {
        let (data, dtype) = match self {
            HostValues::F32(v) => (TensorData::new(v.clone(), shape), DType::F32),
            HostValues::F64(v) => (TensorData::new(v.clone(), shape), DType::F64),
        };
        Tensor::from_data(data, (device, dtype))
    }
}

/// A matrix most of whose entries are zero, in host memory at a run's precision: its nonzero
/// entries row by row (compressed sparse rows), each row's in increasing column order. What a
/// batcher whose inputs are mostly zero (MNIST's pixels) makes instead of the dense rows.
#[derive(Clone, Debug, PartialEq)]
pub struct SparseRows {
    cols: usize,
    /// Row `i`'s entries are `columns[starts[i]..starts[i + 1]]` and `values[…]`.
    starts: Vec<usize>,
    columns: Vec<u32>,
    values: HostValues,
}

impl SparseRows {
    /// The `cols`-wide matrix whose row `i` holds `values[starts[i]..starts[i + 1]]` in the
    /// columns `columns[…]`, and zeros elsewhere.
    ///
    /// # Panics
    /// If `starts` does not run from 0 up to the number of entries without decreasing, if
    /// `columns` and `values` differ in length, or if a row's columns are not increasing and
    /// below `cols`.
    pub fn new(cols: usize, starts: Vec<usize>, columns: Vec<u32>, values: HostValues) -> Self {
        assert!(
            starts.first() == Some(&0)
                && starts.last() == Some(&columns.len())
                && columns.len() == values.len()
                && starts.is_sorted(),
            "row starts {:?}… for {} columns and {} values",
            &starts[..starts.len().min(4)],
            columns.len(),
            values.len()
        );
        for row in starts.windows(2) {
            let row = &columns[row[0]..row[1]];
            assert!(
                row.is_sorted_by(|a, b| a < b) && row.last().is_none_or(|&j| (j as usize) < cols),
                "a row's columns {row:?} not increasing and below {cols}"
            );
        }
        Self {
            cols,
            starts,
            columns,
            values,
        }
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    /// The number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Where each row's entries start in [`columns`](Self::columns) and
    /// [`values`](Self::values), and, last, their number.
    pub fn starts(&self) -> &[usize] {
        &self.starts
    }

    /// The columns of the entries, row by row.
    pub fn columns(&self) -> &[u32] {
        &self.columns
    }

    /// The values of the entries, row by row.
    pub fn values(&self) -> &HostValues {
        &self.values
    }

    /// The transpose, `cols` rows of `rows()` columns, each of its rows in increasing order of
    /// the original rows (a counting sort of the entries by column).
    ///
    /// # Panics
    /// If the rows are too many for the transpose's u32 columns.
    pub fn transposed(&self) -> SparseRows {
        assert!(
            u32::try_from(self.rows()).is_ok(),
            "{} rows do not fit a transpose's u32 columns",
            self.rows()
        );
        let (starts, columns, values) = match &self.values {
            HostValues::F32(v) => {
                let (starts, columns, v) =
                    transpose_entries(self.cols, &self.starts, &self.columns, v);
                (starts, columns, HostValues::F32(v))
            }
            HostValues::F64(v) => {
                let (starts, columns, v) =
                    transpose_entries(self.cols, &self.starts, &self.columns, v);
                (starts, columns, HostValues::F64(v))
            }
        };
        SparseRows {
            cols: self.rows(),
            starts,
            columns,
            values,
        }
    }

    /// The matrix, row-major, zeros included.
    pub fn dense(&self) -> HostValues {
        fn scatter<T: Copy + Default>(m: &SparseRows, values: &[T]) -> Vec<T> {
            let mut dense = vec![T::default(); m.rows() * m.cols];
            for (i, row) in m.starts.windows(2).enumerate() {
                let out = &mut dense[i * m.cols..(i + 1) * m.cols];
                for e in row[0]..row[1] {
                    out[m.columns[e] as usize] = values[e];
                }
            }
            dense
        }
        match &self.values {
            HostValues::F32(v) => HostValues::F32(scatter(self, v)),
            HostValues::F64(v) => HostValues::F64(scatter(self, v)),
        }
    }
}

/// The transpose of a `cols`-wide matrix given by its nonzero entries row by row (row `i`'s
/// are `columns[starts[i]..starts[i + 1]]` and `values[…]`): the same three vectors for the
/// transpose, each of its rows in increasing order of the original rows (a counting sort of
/// the entries by column). [`SparseRows::transposed`] and the wide host kernel both use it.
pub fn transpose_entries<T: Copy>(
    cols: usize,
    starts: &[usize],
    columns: &[u32],
    values: &[T],
) -> (Vec<usize>, Vec<u32>, Vec<T>) {
    let mut counts = vec![0; cols + 1];
    for &j in columns {
        counts[j as usize + 1] += 1;
    }
    for j in 0..cols {
        counts[j + 1] += counts[j];
    }
    let transposed_starts = counts.clone();
    let mut transposed_columns = vec![0; columns.len()];
    // Every entry moves to one slot of its own, so each of these is overwritten.
    let mut transposed_values = values.to_vec();
    for (i, row) in starts.windows(2).enumerate() {
        for e in row[0]..row[1] {
            let slot = &mut counts[columns[e] as usize];
            transposed_columns[*slot] = i as u32;
            transposed_values[*slot] = values[e];
            *slot += 1;
        }
    }
    (transposed_starts, transposed_columns, transposed_values)
}

/// A tensor from host values, stored at the given precision.
pub fn host_tensor<const D: usize>(
    values: Vec<f64>,
    shape: [usize; D],
    precision: Precision,
    device: &Device,
) -> Tensor<D> {
    let data = match precision {
        // Rounding to the nearest f32 is the intended conversion.
        Precision::F32 => TensorData::new(
            values.into_iter().map(|v| v as f32).collect::<Vec<f32>>(),
            shape,
        ),
        Precision::F64 => TensorData::new(values, shape),
    };
    Tensor::from_data(data, (device, precision.dtype()))
}

/// A tensor's values as `f64`, row-major: the inverse of [`host_tensor`].
pub fn host_values<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f64>> {
    host_values_as(tensor)
}

/// A tensor's values as `E`, row-major, without a copy when they already are `E`.
pub fn host_values_as<const D: usize, E: burn::tensor::Element>(
    tensor: Tensor<D>,
) -> Result<Vec<E>> {
    tensor
        .into_data()
        .convert::<E>()
        .try_into_vec::<E>()
        .map_err(|e| Error::Data(format!("cannot read a tensor's values: {e:?}")))
}
