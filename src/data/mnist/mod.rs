//! MNIST, offline first: the four IDX files read from a directory, raw or gzip, and checked.
//!
//! The IDX format (LeCun's): a big-endian header, then the data.
//!
//! ```text
//! images  magic 0x00000803 (2051)  count n  rows  cols  then n·rows·cols pixels, one byte each
//! labels  magic 0x00000801 (2049)  count n              then n labels, one byte each (0–9)
//! ```
//!
//! Everything a header claims is checked against the file: the magic number, the dimensions
//! (28 × 28), the count (at most a million), the length (header + data, no more and no less),
//! the label range and that images and labels agree in number. The header is checked before
//! the data are read, and a gzip stream is never decompressed past the length its header
//! declares, so a corrupt header or a gzip bomb cannot make burnprop allocate gigabytes. Any
//! failure is one [`Error::Mnist`] that names the file and what was wrong with it.

mod idx;

pub use idx::holds;
use idx::{Kind, find, mnist_error};

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::{Dataset, DatasetError};
use burn::tensor::Device;

use super::Batch;
use crate::error::{Error, Result};
use crate::tensor::{HostValues, Precision, SparseRows};

/// Side of an MNIST image, in pixels.
pub const SIDE: usize = 28;
/// Pixels per image.
pub const PIXELS: usize = SIDE * SIDE;
/// Number of digit classes.
pub const CLASSES: usize = 10;

const IMAGES_MAGIC: u32 = 2051;
const LABELS_MAGIC: u32 = 2049;

/// The training or the test set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// 60000 images in the full set.
    Train,
    /// 10000 images in the full set.
    Test,
}

impl Split {
    /// The usual file names (without `.gz`) of the split's images and labels.
    pub fn file_names(self) -> (&'static str, &'static str) {
        match self {
            Split::Train => ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
            Split::Test => ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
        }
    }
}

/// One split of MNIST in memory: pixels as bytes (0 = black background, 255 = white ink).
#[derive(Clone, Debug, PartialEq)]
pub struct Digits {
    /// `n · 784` pixels, image after image, row-major.
    pub pixels: Vec<u8>,
    /// `n` labels, 0–9.
    pub labels: Vec<u8>,
}

impl Digits {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.pixels[i * PIXELS..(i + 1) * PIXELS]
    }

    /// Reads and checks a split from `dir`, where each file may be raw or gzip (`NAME` or
    /// `NAME.gz`).
    pub fn read(dir: &Path, split: Split) -> Result<Self> {
        let (images_name, labels_name) = split.file_names();
        let (images_path, count, pixels) = idx::read(dir, images_name, Kind::Images)?;
        let (labels_path, _, labels) = idx::read(dir, labels_name, Kind::Labels)?;
        if labels.len() != count {
            return Err(mnist_error(
                &labels_path,
                format!(
                    "it holds {} labels but {} holds {count} images",
                    labels.len(),
                    images_path.display()
                ),
            ));
        }
        Ok(Self { pixels, labels })
    }
}

/// Where the two splits' files are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The directory holding the training files.
    pub train: PathBuf,
    /// The directory holding the test files.
    pub test: PathBuf,
}

impl Location {
    /// The directory of `split`.
    pub fn dir(&self, split: Split) -> &Path {
        match split {
            Split::Train => &self.train,
            Split::Test => &self.test,
        }
    }

    /// Reads and checks `split`.
    pub fn read(&self, split: Split) -> Result<Digits> {
        Digits::read(self.dir(split), split)
    }
}

/// burn-dataset's MNIST cache, `<cache>/burn-dataset/mnist` (`~/.cache/…` on Linux), where
/// `MnistDataset` keeps the files it downloads: raw IDX files in `train/` and `test/`.
pub fn burn_cache() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("burn-dataset").join("mnist"))
}

/// Finds MNIST, offline first:
///
/// 1. `data_dir` (from `--data-dir` or `BURNPROP_MNIST_DIR`), which must then hold all four
///    files, raw or gzip;
/// 2. burn-dataset's cache, [`burn_cache`], if it holds them (in `train/` and `test/`, as
///    `MnistDataset` leaves them, or all in one directory);
/// 3. with the `download` feature, burn-dataset's `MnistDataset` download into that cache.
///
/// Failing all, the error lists where burnprop looked and how to point it at the files.
pub fn locate(data_dir: Option<&Path>) -> Result<Location> {
    if let Some(dir) = data_dir {
        for split in [Split::Train, Split::Test] {
            let (images, labels) = split.file_names();
            for name in [images, labels] {
                if find(dir, name).is_none() {
                    return Err(mnist_error(
                        &dir.join(name),
                        format!(
                            "neither {name} nor {name}.gz is in {} (given by --data-dir or BURNPROP_MNIST_DIR)",
                            dir.display()
                        ),
                    ));
                }
            }
        }
        return Ok(Location {
            train: dir.to_path_buf(),
            test: dir.to_path_buf(),
        });
    }
    let mut looked = vec!["--data-dir and BURNPROP_MNIST_DIR (neither given)".to_string()];
    if let Some(cache) = burn_cache() {
        let split_dirs = Location {
            train: cache.join("train"),
            test: cache.join("test"),
        };
        let flat = Location {
            train: cache.clone(),
            test: cache.clone(),
        };
        for location in [split_dirs, flat] {
            if holds(&location.train, Split::Train) && holds(&location.test, Split::Test) {
                return Ok(location);
            }
        }
        looked.push(format!("burn-dataset's cache {}", cache.display()));
        #[cfg(feature = "download")]
        return download(&cache, &looked);
    }
    #[cfg(not(feature = "download"))]
    looked.push("no download (this build lacks the `download` feature)".to_string());
    Err(Error::MnistNotFound {
        looked: looked.join(", "),
    })
}

/// burn-dataset's `MnistDataset` downloads both splits into `cache` (`train/` and `test/`).
///
/// It panics when it cannot (no network, a full disk); the panic is caught, its message kept
/// for the error, and the default panic output silenced so the user sees one line.
#[cfg(feature = "download")]
fn download(cache: &Path, looked: &[String]) -> Result<Location> {
    use burn_dataset::vision::MnistDataset;
    use std::sync::{Arc, Mutex, PoisonError};

    eprintln!(
        "MNIST not found locally; downloading it into {}",
        cache.display()
    );
    let message = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&message);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        *sink.lock().unwrap_or_else(PoisonError::into_inner) = text;
    }));
    let fetched = std::panic::catch_unwind(|| {
        MnistDataset::train();
        MnistDataset::test();
    });
    std::panic::set_hook(previous);
    let location = Location {
        train: cache.join("train"),
        test: cache.join("test"),
    };
    match fetched {
        Ok(()) if holds(&location.train, Split::Train) && holds(&location.test, Split::Test) => {
            Ok(location)
        }
        _ => {
            let reason = message
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            Err(Error::MnistNotFound {
                looked: format!(
                    "{}, and burn-dataset's download failed ({reason})",
                    looked.join(", ")
                ),
            })
        }
    }
}

/// The mean of MNIST's training pixels (scaled to [0, 1]), for `--standardize`.
pub const PIXEL_MEAN: f64 = 0.1307;
/// Their standard deviation.
pub const PIXEL_STD: f64 = 0.3081;

impl Digits {
    /// The first `n` images (all of them if there are fewer).
    pub fn first(&self, n: usize) -> Self {
        let n = n.min(self.len());
        Digits {
            pixels: self.pixels[..n * PIXELS].to_vec(),
            labels: self.labels[..n].to_vec(),
        }
    }

    /// Only the images of the digits in `keep`, in their order in the file.
    pub fn only(&self, keep: &[u8]) -> Self {
        let mut out = Digits {
            pixels: Vec::new(),
            labels: Vec::new(),
        };
        for (i, label) in self.labels.iter().enumerate() {
            if keep.contains(label) {
                out.pixels.extend_from_slice(self.image(i));
                out.labels.push(*label);
            }
        }
        out
    }
}

/// A split of MNIST served through burn's [`Dataset`] trait: its images, and the nonzero
/// pixels of every image, found once, when a batch first asks for them.
#[derive(Clone, Debug)]
pub struct DigitDataset {
    digits: Arc<Digits>,
    nonzero: Arc<OnceLock<NonzeroPixels>>,
}

impl DigitDataset {
    /// Serves `digits`.
    pub fn new(digits: Digits) -> Self {
        Self {
            digits: Arc::new(digits),
            nonzero: Arc::default(),
        }
    }

    /// Every image in order, as items for the batcher.
    pub fn items(&self) -> impl Iterator<Item = DigitItem> + '_ {
        (0..self.digits.len()).map(|index| DigitItem {
            dataset: self.clone(),
            index,
        })
    }
}

impl Dataset<DigitItem> for DigitDataset {
    fn get(&self, index: usize) -> std::result::Result<DigitItem, DatasetError> {
        if index >= self.digits.len() {
            return Err(DatasetError::new(Error::Data(format!(
                "image {index} asked of a split of {}",
                self.digits.len()
            ))));
        }
        Ok(DigitItem {
            dataset: self.clone(),
            index,
        })
    }

    fn len(&self) -> usize {
        self.digits.len()
    }
}

/// One image and its label, as burn's data loader hands them to the batcher: a reference to
/// the image in its [`DigitDataset`], so that serving an item copies no pixel.
#[derive(Clone, Debug)]
pub struct DigitItem {
    dataset: DigitDataset,
    index: usize,
}

impl DigitItem {
    /// The 784 pixels, row-major, 0–255.
    pub fn pixels(&self) -> &[u8] {
        self.dataset.digits.image(self.index)
    }

    /// The digit.
    pub fn label(&self) -> u8 {
        self.dataset.digits.labels[self.index]
    }

    /// The positions of the image's nonzero pixels, in increasing order, and their values.
    fn nonzero(&self) -> (&[u16], &[u8]) {
        let nonzero =
            (self.dataset.nonzero).get_or_init(|| NonzeroPixels::of(&self.dataset.digits));
        let entries = nonzero.starts[self.index]..nonzero.starts[self.index + 1];
        (&nonzero.columns[entries.clone()], &nonzero.values[entries])
    }
}

/// The nonzero pixels of every image of a split, image after image: a fifth of MNIST's
/// pixels, which a batch for a kernel that skips zeros is made of.
#[derive(Debug)]
struct NonzeroPixels {
    /// Image `i`'s nonzero pixels are `columns[starts[i]..starts[i + 1]]` and `values[…]`.
    starts: Vec<usize>,
    columns: Vec<u16>,
    values: Vec<u8>,
}

// An image is a whole number of words of eight pixels, and its positions fit u16s.
const _: () = assert!(PIXELS.is_multiple_of(8) && PIXELS <= 1 << 16);

impl NonzeroPixels {
    /// Finds them eight pixels at a time: a word's nonzero bytes are the high bits of
    /// `((w & 0x7f…) + 0x7f…) | w`, whose bytes never carry into each other, each found by
    /// counting trailing zeros.
    fn of(digits: &Digits) -> Self {
        const LOW: u64 = u64::from_ne_bytes([0x7f; 8]);
        const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
        let mut starts = Vec::with_capacity(digits.len() + 1);
        let mut columns = Vec::with_capacity(digits.pixels.len() / 4);
        let mut values = Vec::with_capacity(digits.pixels.len() / 4);
        starts.push(0);
        for image in digits.pixels.chunks_exact(PIXELS) {
            for (w, &word) in image.as_chunks::<8>().0.iter().enumerate() {
                let bits = u64::from_le_bytes(word);
                let mut high = (((bits & LOW) + LOW) | bits) & HIGH;
                while high != 0 {
                    let byte = high.trailing_zeros() as usize / 8;
                    columns.push((w * 8 + byte) as u16);
                    values.push(word[byte]);
                    high &= high - 1;
                }
            }
            starts.push(columns.len());
        }
        Self {
            starts,
            columns,
            values,
        }
    }
}

/// What the network predicts from an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigitTargets {
    /// The ten classes, one-hot (softmax cross-entropy).
    OneHot,
    /// One 0/1 output, 1 for the digit `positive` (notebook 002's two-class network).
    Binary {
        /// The digit whose target is 1.
        positive: u8,
    },
}

/// Turns [`DigitItem`]s into a [`Batch`]: pixels scaled to [0, 1] (or standardised with
/// [`PIXEL_MEAN`] and [`PIXEL_STD`]), targets as [`DigitTargets`] says.
#[derive(Clone, Debug)]
pub struct DigitBatcher {
    /// The precision of the tensors.
    pub precision: Precision,
    /// The targets.
    pub targets: DigitTargets,
    /// Standardise the pixels instead of only scaling them.
    pub standardize: bool,
}

impl DigitBatcher {
    /// A pixel as the network sees it.
    pub fn pixel(&self, value: u8) -> f64 {
        let x = f64::from(value) / 255.0;
        if self.standardize {
            (x - PIXEL_MEAN) / PIXEL_STD
        } else {
            x
        }
    }
}

impl DigitBatcher {
    /// The 256 values a pixel can take as the network sees them, each `round`ed to the
    /// batch's precision (to f32 as [`HostValues::rounded`] rounds): a table, so that a pixel
    /// costs a lookup.
    fn table<T>(&self, round: impl Fn(f64) -> T) -> [T; 256] {
        std::array::from_fn(|v| round(self.pixel(v as u8)))
    }

    /// The nonzero pixels of `items`' images, scaled to [0, 1], row by row: a background pixel
    /// stays 0 when scaled, and four in five of MNIST's pixels are background, so the batch
    /// holds only the others, copied from their dataset's index of them, and a kernel that
    /// skips zeros need not look for them.
    fn nonzero_pixels(&self, items: &[DigitItem]) -> SparseRows {
        fn gather<T: Copy>(
            items: &[DigitItem],
            table: &[T; 256],
        ) -> (Vec<usize>, Vec<u32>, Vec<T>) {
            let nonzero: Vec<_> = items.iter().map(DigitItem::nonzero).collect();
            // The images are scattered over the split's index (27 MB for the training set):
            // a first pass reads one entry of every cache line of theirs, loads that do not
            // wait on each other, so that the lines arrive together rather than one image
            // after another as the copy reaches them (BENCHMARKS.md, round five).
            let lines = nonzero.iter().map(|(c, v)| touch(c, 32) + touch(v, 64));
            std::hint::black_box(lines.sum::<u32>());
            let total = nonzero.iter().map(|(columns, _)| columns.len()).sum();
            let mut starts = Vec::with_capacity(items.len() + 1);
            let mut columns = Vec::with_capacity(total);
            let mut values = Vec::with_capacity(total);
            starts.push(0);
            for (c, v) in nonzero {
                columns.extend(c.iter().map(|&j| u32::from(j)));
                values.extend(v.iter().map(|&p| table[usize::from(p)]));
                starts.push(columns.len());
            }
            (starts, columns, values)
        }
        let (starts, columns, values) = match self.precision {
            Precision::F32 => {
                let (starts, columns, values) = gather(items, &self.table(|v| v as f32));
                (starts, columns, HostValues::F32(values))
            }
            Precision::F64 => {
                let (starts, columns, values) = gather(items, &self.table(|v| v));
                (starts, columns, HostValues::F64(values))
            }
        };
        SparseRows::new(PIXELS, starts, columns, values)
    }

    /// The images of `items`, one row of 784 values each.
    fn pixels(&self, items: &[DigitItem]) -> HostValues {
        fn rows<T: Copy>(items: &[DigitItem], table: &[T; 256]) -> Vec<T> {
            let mut x = Vec::with_capacity(items.len() * PIXELS);
            for item in items {
                x.extend(item.pixels().iter().map(|&p| table[usize::from(p)]));
            }
            x
        }
        match self.precision {
            Precision::F32 => HostValues::F32(rows(items, &self.table(|v| v as f32))),
            Precision::F64 => HostValues::F64(rows(items, &self.table(|v| v))),
        }
    }
}

/// The sum of every `stride`-th entry of `entries`: one read per cache line of them.
fn touch<T: Copy + Into<u32>>(entries: &[T], stride: usize) -> u32 {
    entries.iter().step_by(stride).map(|&e| e.into()).sum()
}

impl Batcher<DigitItem, Batch> for DigitBatcher {
    fn batch(&self, items: Vec<DigitItem>, device: &Device) -> Batch {
        let n = items.len();
        let outputs = match self.targets {
            DigitTargets::OneHot => CLASSES,
            DigitTargets::Binary { .. } => 1,
        };
        let mut y = vec![0.0; n * outputs];
        for (i, item) in items.iter().enumerate() {
            match self.targets {
                DigitTargets::OneHot => y[i * CLASSES + usize::from(item.label())] = 1.0,
                DigitTargets::Binary { positive } => {
                    y[i] = f64::from(u8::from(item.label() == positive))
                }
            }
        }
        let targets = HostValues::rounded(y, self.precision);
        if self.standardize {
            Batch::new(self.pixels(&items), targets, n, [PIXELS, outputs], device)
        } else {
            Batch::sparse(self.nonzero_pixels(&items), targets, outputs, device)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two images whose bytes try every case of the word trick: 0, 1, 0x7f, 0x80 and 0xff,
    /// alone and in runs, at both ends of a word and of an image.
    fn digits() -> Digits {
        let mut pixels = vec![0_u8; 2 * PIXELS];
        for (i, p) in pixels.iter_mut().enumerate() {
            *p = match i % 13 {
                0 => 1,
                3 => 0x7f,
                4 => 0x80,
                5 | 6 => 0xff,
                _ => 0,
            };
        }
        pixels[PIXELS - 1] = 0x80;
        pixels[PIXELS..PIXELS + 8].fill(0x55);
        Digits {
            pixels,
            labels: vec![3, 7],
        }
    }

    #[test]
    fn the_index_holds_every_nonzero_pixel_in_order() {
        let digits = digits();
        let dataset = DigitDataset::new(digits.clone());
        for (i, item) in dataset.items().enumerate() {
            let (columns, values) = item.nonzero();
            let expected: Vec<(u16, u8)> = (digits.image(i).iter().enumerate())
                .filter(|&(_, &p)| p != 0)
                .map(|(j, &p)| (j as u16, p))
                .collect();
            let found: Vec<(u16, u8)> = columns
                .iter()
                .copied()
                .zip(values.iter().copied())
                .collect();
            assert_eq!(found, expected, "image {i}");
            assert_eq!(
                (item.pixels(), item.label()),
                (digits.image(i), digits.labels[i])
            );
        }
    }

    #[test]
    fn sparse_batches_hold_the_pixels_of_dense_ones() {
        let dataset = DigitDataset::new(digits());
        let items: Vec<_> = dataset.items().collect();
        let device = Device::flex();
        for precision in [Precision::F32, Precision::F64] {
            let batcher = |standardize| DigitBatcher {
                precision,
                targets: DigitTargets::OneHot,
                standardize,
            };
            let sparse = batcher(false).batch(items.clone(), &device);
            assert!(sparse.sparse_inputs().is_some());
            assert_eq!(sparse.host_inputs(), &batcher(false).pixels(&items));
            assert_eq!(sparse.widths(), [PIXELS, CLASSES]);
            // Standardised, no pixel stays zero.
            let standardized = batcher(true).batch(items.clone(), &device);
            assert!(standardized.sparse_inputs().is_none());
            assert_eq!(standardized.host_targets(), sparse.host_targets());
        }
    }
}
