//! Fuzzing the readers of everything burnprop takes from disk: real files (the MNIST fixture,
//! pictures of its digits, a trained run's directory) with random byte mutations applied, each
//! fed to the reader the program uses. Every case must return `Ok` or `Err` (no panic), within
//! [`PROMPTLY`] (no hang), having allocated at most its stated budget on the reader's thread
//! (bounded memory: a header that claims 10⁹ images must not allocate them).
//!
//! The random stream is fixed ([`SEED`]), so every run feeds the same cases; change the seed to
//! explore others. Case counts, per test (each test's name says its count too): IDX 8000
//! (2000 on average for each of images and labels, raw and gzip), pictures 4000 (1000 for
//! each of a 28 × 28 and a 56 × 56 digit, PNG and JPEG), run directory 6000 (2000 for each of
//! `config.json`, `history.csv`, `model.bpk`), `config.json` settings 2000, checkpoints 4000
//! (half with their checksum recomputed, so that the parser behind it is reached), CSV files
//! 4000 (1000 for each of three examples/data tables and an RFC 4180 corner case); 28000 in
//! all, and a gzip bomb. Measured in the debug test build on a 2-core machine: 7 s one after
//! another before the checkpoint test (IDX 3.0 s, pictures 2.1 s, run directory 1.2 s,
//! settings 0.6 s, bomb 0.3 s).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use burn::tensor::Device;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

use burnprop::artifacts::{CHECKPOINT, CONFIG, HISTORY, MODEL, RunDir};
use burnprop::config::Preset;
use burnprop::data::mnist::{Digits, Split};
use burnprop::data::picture::read_digit;
use burnprop::data::table::{DataFile, Request};
use burnprop::device::Backend;
use burnprop::interrupt::Signal;
use burnprop::train::checkpoint::Checkpoint;
use burnprop::train::{CheckpointPolicy, History, RunOptions, Silent, run_to_dir};

use crate::common::mnist_fixture;

/// The seed of every fuzz test's random stream.
const SEED: u64 = 0x6275_726e_7072_6f70; // "burnprop" in ASCII

/// How long one read may take before the case counts as a hang. A read of these files takes
/// milliseconds in the debug build; a hang never returns.
const PROMPTLY: Duration = Duration::from_secs(20);

/// Counts, per thread, the bytes allocated (and the growth of reallocations), so that a case
/// can tell how much its reader asked for; deallocations are not subtracted.
struct Counting;

thread_local! {
    static ALLOCATED: Cell<u64> = const { Cell::new(0) };
}

fn count(bytes: usize) {
    // `try_with`: a thread being torn down has no counter left, and needs none.
    let _ = ALLOCATED.try_with(|total| total.set(total.get().saturating_add(bytes as u64)));
}

// SAFETY: every call is forwarded to the system allocator unchanged; counting touches only a
// thread-local integer without a destructor, which allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size.saturating_sub(layout.size()));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A job for the [`Reader`] thread.
type Job = Box<dyn FnOnce() + Send>;

/// One thread that runs the reads of a fuzz test one after another (starting a thread per case
/// costs milliseconds on a busy machine), so that the test can wait for each with a timeout.
struct Reader {
    jobs: mpsc::Sender<Job>,
}

impl Reader {
    fn new() -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::spawn(move || {
            for job in queue {
                job();
            }
        });
        Self { jobs }
    }

    /// Runs `read` on the reader thread; fails the case if it panicked, took longer than
    /// [`PROMPTLY`] or allocated more than `budget` bytes.
    fn promptly<T: Send + 'static>(
        &self,
        what: &str,
        budget: u64,
        read: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, TestCaseError> {
        let (send, receive) = mpsc::channel();
        let job = move || {
            let before = ALLOCATED.with(Cell::get);
            // Caught to be reported as this case's failure, and to keep the thread for the
            // next case.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
            let allocated = ALLOCATED.with(Cell::get) - before;
            // The receiver is gone only after a timeout, which has failed the case already.
            let _ = send.send((result, allocated));
        };
        let hung = || {
            TestCaseError::fail(format!(
                "{what}: the reader did not return within {PROMPTLY:?}"
            ))
        };
        self.jobs.send(Box::new(job)).map_err(|_| hung())?;
        match receive.recv_timeout(PROMPTLY) {
            Ok((Ok(result), allocated)) if allocated <= budget => Ok(result),
            Ok((Ok(_), allocated)) => Err(TestCaseError::fail(format!(
                "{what}: the reader allocated {allocated} bytes, more than the budget of {budget}"
            ))),
            Ok((Err(panic), _)) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(TestCaseError::fail(format!(
                    "{what}: the reader panicked: {message}"
                )))
            }
            Err(_) => Err(hung()),
        }
    }
}

/// One change to a file's bytes. Positions are [`Index`]es, scaled to the file's length when
/// applied.
#[derive(Clone, Debug)]
enum Mutation {
    /// Flips one bit.
    Flip(Index, u8),
    /// Overwrites one byte.
    Set(Index, u8),
    /// Inserts bytes (random ones, or a token that a text format may trip on).
    Insert(Index, Vec<u8>),
    /// Deletes up to 64 bytes.
    Delete(Index, usize),
    /// Cuts the file short.
    Truncate(Index),
    /// Overwrites 32-bit word `n` of the file (a header field) with an extreme value,
    /// big-endian (IDX) or little-endian (burnpack).
    Word(usize, u32, bool),
}

/// Text that readers of CSV and JSON may trip on.
const TOKENS: &[&str] = &[
    "-1",
    "1e308",
    "1e309",
    "NaN",
    "inf",
    "-0",
    "18446744073709551616",
    "4294967296",
    "999999999999",
    "\"",
    "{",
    "[",
    "]",
    ",",
    "\n",
    "null",
    "true",
    "\u{feff}",
];

/// Values that a header field may be set to: 10⁹ items, the largest `u32`, sign-bit
/// patterns, zero, or anything.
fn header_value() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(1_000_000_000),
        Just(u32::MAX),
        Just(0x8000_0000),
        Just(0x7fff_ffff),
        Just(0),
        any::<u32>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let insertion = prop_oneof![
        prop::collection::vec(any::<u8>(), 1..16),
        prop::sample::select(TOKENS).prop_map(|t| t.as_bytes().to_vec()),
    ];
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip(at, bit)),
        (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set(at, byte)),
        (any::<Index>(), insertion).prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<Index>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete(at, len)),
        any::<Index>().prop_map(Mutation::Truncate),
        (0usize..12, header_value(), any::<bool>())
            .prop_map(|(word, value, big)| Mutation::Word(word, value, big)),
    ]
}

/// One to five mutations.
fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..6)
}

/// `bytes` with `mutations` applied in order.
fn mutate(bytes: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    for mutation in mutations {
        let len = bytes.len();
        // A position inside the file, `None` for an empty one.
        let inside = |at: &Index| (len > 0).then(|| at.index(len));
        match mutation {
            Mutation::Flip(at, bit) => {
                if let Some(i) = inside(at) {
                    bytes[i] ^= 1 << bit;
                }
            }
            Mutation::Set(at, byte) => {
                if let Some(i) = inside(at) {
                    bytes[i] = *byte;
                }
            }
            Mutation::Insert(at, inserted) => {
                let i = at.index(len + 1);
                bytes.splice(i..i, inserted.iter().copied());
            }
            Mutation::Delete(at, n) => {
                if let Some(i) = inside(at) {
                    bytes.drain(i..(i + n).min(len));
                }
            }
            Mutation::Truncate(at) => bytes.truncate(at.index(len + 1)),
            Mutation::Word(word, value, big_endian) => {
                let start = word * 4;
                if start + 4 <= len {
                    let value = if *big_endian {
                        value.to_be_bytes()
                    } else {
                        value.to_le_bytes()
                    };
                    bytes[start..start + 4].copy_from_slice(&value);
                }
            }
        }
    }
    bytes
}

/// A runner of `cases` cases on the fixed stream, that never writes regression files into the
/// source tree.
fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(SEED),
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    })
}

/// Runs `cases` cases: each picks one of `bases`, mutates it, and hands the bytes to `check`.
fn fuzz(
    cases: u32,
    bases: &[Vec<u8>],
    check: impl Fn(usize, Vec<u8>) -> Result<(), TestCaseError>,
) {
    let strategy = (0..bases.len(), mutations());
    let result = runner(cases).run(&strategy, |(base, changes)| {
        check(base, mutate(&bases[base], &changes))
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("the fixture"))
        .read_to_end(&mut bytes)
        .expect("the fixture is gzip");
    bytes
}

/// Writes a new file at `path`. The old one is removed first: truncating a file and writing
/// it again makes ext4 flush it on close, milliseconds a case.
fn write(path: &Path, bytes: &[u8]) {
    let _ = std::fs::remove_file(path);
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(bytes))
        .expect("a temporary file is written");
}

/// Reads the fixture's test split from `dir` after `file` was replaced by `bytes`, and puts
/// the original back.
fn read_idx(
    reader: &Reader,
    dir: &Path,
    file: &str,
    bytes: &[u8],
    original: &[u8],
) -> Result<(), TestCaseError> {
    let path = dir.join(file);
    write(&path, bytes);
    let owned = dir.to_path_buf();
    // The fixture's test split is 200 images (157 kB); a bounded reader of a mutated copy
    // never needs more than a few times that.
    let result = reader.promptly(file, 4 << 20, move || {
        Digits::read(&owned, Split::Test).map(|digits| digits.len())
    });
    write(&path, original);
    result.map(|_| ())
}

/// 8000 cases: the fixture's test images and labels, raw and gzip (2000 cases each on
/// average), mutated and read as a split.
#[test]
fn idx_reader_survives_8000_mutated_files() {
    let fixture = mnist_fixture();
    let (images, labels) = Split::Test.file_names();
    let gz = |name: &str| fixture.join(format!("{name}.gz"));
    // Two directories holding the four files, one raw and one gzip.
    let raw_dir = tempfile::tempdir().expect("a temporary directory");
    let gz_dir = tempfile::tempdir().expect("a temporary directory");
    let mut bases = Vec::new();
    let mut targets: Vec<(PathBuf, String)> = Vec::new();
    for name in [images, labels] {
        let packed = std::fs::read(gz(name)).expect("the fixture");
        let raw = gunzip(&gz(name));
        write(&raw_dir.path().join(name), &raw);
        write(&gz_dir.path().join(format!("{name}.gz")), &packed);
        bases.push(raw);
        targets.push((raw_dir.path().to_path_buf(), name.to_string()));
        bases.push(packed);
        targets.push((gz_dir.path().to_path_buf(), format!("{name}.gz")));
    }
    let originals = bases.clone();
    let reader = Reader::new();
    fuzz(8000, &bases, |base, bytes| {
        let (dir, file) = &targets[base];
        read_idx(&reader, dir, file, &bytes, &originals[base])
    });
}

/// A gzip bomb: a 64 kB file whose header declares one image and whose stream inflates to
/// 64 MiB. The reader stops one byte past the declared 800 bytes, with a few kilobytes
/// allocated.
#[test]
fn a_gzip_bomb_is_refused_without_inflating_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("t10k-images-idx3-ubyte.gz");
    let mut bomb = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).expect("created"),
        flate2::Compression::best(),
    );
    // The header: magic 2051, 1 image of 28 × 28.
    for word in [2051u32, 1, 28, 28] {
        bomb.write_all(&word.to_be_bytes()).expect("written");
    }
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        bomb.write_all(&zeros).expect("written");
    }
    bomb.finish().expect("written");
    std::fs::copy(
        mnist_fixture().join("t10k-labels-idx1-ubyte.gz"),
        dir.path().join("t10k-labels-idx1-ubyte.gz"),
    )
    .expect("copied");
    let owned = dir.path().to_path_buf();
    let err = Reader::new()
        .promptly("the bomb", 1 << 20, move || {
            Digits::read(&owned, Split::Test).map(|digits| digits.len())
        })
        .expect("the reader returns promptly, within the budget")
        .expect_err("the bomb is refused")
        .to_string();
    assert!(
        err.ends_with(
            "its header declares 1 image (800 bytes with the header) but the file holds more than that"
        ),
        "{err}"
    );
}

/// A test digit of the fixture as a picture: 28 × 28 as stored, or 56 × 56 dark on light.
fn digit_picture(side: u32) -> image::GrayImage {
    let digits = Digits::read(&mnist_fixture(), Split::Test).expect("the fixture");
    let digit = image::GrayImage::from_raw(28, 28, digits.image(0).to_vec()).expect("784 pixels");
    if side == 28 {
        return digit;
    }
    let mut big =
        image::imageops::resize(&digit, side, side, image::imageops::FilterType::Triangle);
    image::imageops::invert(&mut big);
    big
}

fn encoded(picture: &image::GrayImage, format: image::ImageFormat) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut bytes, format)
        .expect("the picture encodes");
    bytes.into_inner()
}

/// Recomputes every chunk's CRC of a PNG, so that a mutation of a chunk's data (its width,
/// its height) reaches the decoder instead of failing the checksum.
fn fix_png_crcs(bytes: &mut [u8]) {
    let mut at = 8; // after the signature
    while at + 12 <= bytes.len() {
        let len = u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        let end = at + 8 + len as usize;
        if end + 4 > bytes.len() {
            return;
        }
        let mut crc = flate2::Crc::new();
        crc.update(&bytes[at + 4..end]);
        bytes[end..end + 4].copy_from_slice(&crc.sum().to_be_bytes());
        at = end + 4;
    }
}

/// 4000 cases: a fixture digit as a 28 × 28 and a 56 × 56 picture, PNG and JPEG (1000 cases
/// each on average), mutated (PNGs with their checksums made right again half the time) and
/// read as `burnprop predict` reads a picture.
#[test]
fn picture_reader_survives_4000_mutated_pictures() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut bases = Vec::new();
    let mut names = Vec::new();
    for side in [28, 56] {
        let picture = digit_picture(side);
        for (format, extension) in [
            (image::ImageFormat::Png, "png"),
            (image::ImageFormat::Jpeg, "jpg"),
        ] {
            bases.push(encoded(&picture, format));
            names.push(format!("digit-{side}.{extension}"));
        }
    }
    // A picture may decode to MAX_DECODED_BYTES (128 MiB, src/data/picture.rs); its grey copy
    // and the decoder's own buffers come on top.
    let budget = 256 << 20;
    let reader = Reader::new();
    let strategy = (0..bases.len(), mutations(), any::<bool>());
    let result = runner(4000).run(&strategy, |(base, changes, fix_crcs)| {
        let mut bytes = mutate(&bases[base], &changes);
        if fix_crcs && names[base].ends_with("png") {
            fix_png_crcs(&mut bytes);
        }
        let path = dir.path().join(&names[base]);
        write(&path, &bytes);
        // Read or refused, both are fine: the case asks only that the reader returned.
        reader
            .promptly(&names[base], budget, move || read_digit(&path).map(|_| ()))
            .map(|_| ())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// A short run of the xor preset (20 steps) in `dir`.
fn trained_xor(dir: &Path) {
    let mut config = Preset::Xor.config();
    config.max_steps = Some(20);
    run_to_dir(
        &config,
        Backend::Flex,
        &Device::flex(),
        dir,
        &burnprop::train::RunOptions::default(),
        &mut Silent,
    )
    .expect("training succeeds");
}

/// Reads the run in `dir` as `burnprop eval` and `plot` do: `config.json`, then `model.bpk`
/// with that config, and `history.csv`.
fn read_run(dir: &Path) -> burnprop::error::Result<()> {
    let run = RunDir::open(dir)?;
    let config = run.config()?;
    run.model(&config, &Device::flex())?;
    if let Some(text) = run.read_optional(HISTORY)? {
        History::records_from_csv(&text).map_err(burnprop::error::Error::Data)?;
    }
    Ok(())
}

/// 6000 cases: the files of a trained xor run that burnprop reads back (2000 cases each on
/// average), mutated and read: `config.json` (then the model with the config it gives),
/// `history.csv` and `model.bpk`.
#[test]
fn run_directory_readers_survive_6000_mutated_files() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("xor");
    trained_xor(&out);
    let files = [CONFIG, HISTORY, MODEL];
    let bases: Vec<Vec<u8>> = files
        .iter()
        .map(|name| std::fs::read(out.join(name)).expect("the run's files"))
        .collect();
    let reader = Reader::new();
    fuzz(6000, &bases, |base, bytes| {
        let path = out.join(files[base]);
        write(&path, &bytes);
        let run = out.clone();
        // The run's files are a few kilobytes: a model of the size a mutated config.json
        // claims must not be allocated before model.bpk is seen to hold it.
        let result = reader.promptly(files[base], 16 << 20, move || read_run(&run));
        write(&path, &bases[base]);
        result.map(|_| ())
    });
}

/// Every number in `json`, as the JSON pointers that reach it.
fn number_pointers(json: &serde_json::Value, at: String, found: &mut Vec<String>) {
    match json {
        serde_json::Value::Number(_) => found.push(at),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                number_pointers(item, format!("{at}/{i}"), found);
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, value) in fields {
                number_pointers(value, format!("{at}/{key}"), found);
            }
        }
        _ => {}
    }
}

/// Values a setting of `config.json` may be changed to: negative, zero, fractional, past
/// `u32`, past `f64`'s exact integers, the largest `u64` and the largest finite float.
fn extreme() -> impl Strategy<Value = serde_json::Value> {
    prop::sample::select(vec![
        serde_json::json!(-1),
        serde_json::json!(0),
        serde_json::json!(0.5),
        serde_json::json!(4_294_967_296u64),
        serde_json::json!(1_000_000_000_000u64),
        serde_json::json!(100_000_000_000_000_001u64),
        serde_json::json!(u64::MAX),
        serde_json::json!(1e308),
    ])
}

/// 2000 cases: `config.json` of a trained xor run, one to three of its numbers (widths, rates,
/// counts, the seed) set to extreme values, then read back with the model as `burnprop eval`
/// reads them. Byte mutations mostly break the JSON; these reach the checks behind it.
#[test]
fn config_json_survives_2000_extreme_settings() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("xor");
    trained_xor(&out);
    let path = out.join(CONFIG);
    let original = std::fs::read_to_string(&path).expect("config.json");
    let json: serde_json::Value = serde_json::from_str(&original).expect("JSON");
    let mut pointers = Vec::new();
    number_pointers(&json, String::new(), &mut pointers);
    let changes = prop::collection::vec((any::<Index>(), extreme()), 1..4);
    let reader = Reader::new();
    let result = runner(2000).run(&changes, |changes| {
        let mut changed = json.clone();
        for (at, value) in &changes {
            if let Some(number) = changed.pointer_mut(&pointers[at.index(pointers.len())]) {
                *number = value.clone();
            }
        }
        write(&path, changed.to_string().as_bytes());
        let run = out.clone();
        let result = reader.promptly(CONFIG, 16 << 20, move || read_run(&run));
        write(&path, original.as_bytes());
        result.map(|_| ())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// 4000 cases: the checkpoint of an xor run stopped after 10 steps, mutated; in half of the
/// cases (base 1) the mutated file's CRC-32 is recomputed, so that the parts behind the
/// checksum are parsed: the layout, the JSON, the CSV histories and the networks.
#[test]
fn checkpoint_reader_survives_4000_mutated_checkpoints() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("xor");
    let asked = Cell::new(0);
    let stop = || {
        asked.set(asked.get() + 1);
        (asked.get() == 10).then_some(Signal::Interrupt)
    };
    let options = RunOptions {
        checkpoints: CheckpointPolicy {
            every_steps: None,
            every: None,
        },
        stop: &stop,
        overwrite: false,
    };
    run_to_dir(
        &Preset::Xor.config(),
        Backend::Flex,
        &Device::flex(),
        &out,
        &options,
        &mut Silent,
    )
    .expect("training succeeds");
    let checkpoint = std::fs::read(out.join(CHECKPOINT)).expect("a checkpoint");
    let reader = Reader::new();
    fuzz(
        4000,
        &[checkpoint.clone(), checkpoint],
        |base, mut bytes| {
            if base == 1 && bytes.len() >= 4 {
                let end = bytes.len() - 4;
                let crc = crc32fast::hash(&bytes[..end]);
                bytes[end..].copy_from_slice(&crc.to_le_bytes());
            }
            reader.promptly(CHECKPOINT, 16 << 20, move || {
                if let Ok(checkpoint) = Checkpoint::decode(&bytes) {
                    let device = Device::flex();
                    let _ = checkpoint.model(&device);
                    let _ = checkpoint.optimizer_state(&device);
                }
            })
        },
    );
}

/// 4000 cases: the first rows of the three CSV files of examples/data (a two-class, a
/// three-class and a regression table), and a small file in RFC 4180's corners (a BOM, CRLF,
/// quoted fields holding a comma, quotes and a line break), 1000 cases each on average,
/// mutated and read as `--data-file` reads them: described (every row checked, the hash
/// taken), then, where that succeeds, loaded into examples.
#[test]
fn csv_reader_survives_4000_mutated_files() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    let mut bases: Vec<Vec<u8>> = ["classification.csv", "iris.csv", "diabetes.csv"]
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(examples.join(name)).expect("an example");
            // The header and 24 rows: enough for every kind of field, small enough to be quick.
            let head: Vec<&str> = text.lines().take(25).collect();
            format!("{}\n", head.join("\n")).into_bytes()
        })
        .collect();
    bases.push(
        b"\xef\xbb\xbf\"x, first\",\"x \"\"2\"\"\",label\r\n1.5,\"-2\",cat\r\n\"0\",3e-2,\"big\r\ndog\"\r\n-1, 4 ,cat\r\n"
            .to_vec(),
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("data.csv");
    let reader = Reader::new();
    fuzz(4000, &bases, |_, bytes| {
        write(&path, &bytes);
        let owned = path.clone();
        // The files are at most 2 kB; csv's 64 kB buffer and a row's fields take the rest.
        reader
            .promptly("a CSV file", 1 << 20, move || {
                let request = Request {
                    path: &owned,
                    target: None,
                    inputs: None,
                    task: None,
                };
                DataFile::describe(&request).and_then(|file| file.load().map(|e| e.len()))
            })
            .map(|_| ())
    });
}
