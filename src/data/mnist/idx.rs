//! The IDX files: found raw or gzipped in a directory, read, and every claim of their headers
//! checked against their contents.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use super::{CLASSES, IMAGES_MAGIC, LABELS_MAGIC, PIXELS, SIDE, Split};
use crate::error::{Error, Result};

pub(super) fn mnist_error(path: &Path, problem: String) -> Error {
    Error::Mnist {
        path: path.to_path_buf(),
        problem,
    }
}

/// Whether `dir` holds both files of `split`, raw or gzip.
pub fn holds(dir: &Path, split: Split) -> bool {
    let (images, labels) = split.file_names();
    [images, labels]
        .iter()
        .all(|name| find(dir, name).is_some())
}

pub(super) fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(name), dir.join(format!("{name}.gz"))]
        .into_iter()
        .find(|p| p.is_file())
}

/// The most images (or labels) an IDX file may declare: more than any data set in MNIST's
/// format holds (MNIST 70000 in all, EMNIST's largest split 697932), and 784 MB of pixels.
/// A header that declares more is corrupt, and is refused before anything is allocated for it.
const MAX_ITEMS: usize = 1_000_000;

/// The two kinds of IDX file MNIST has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// `idx3-ubyte`: a 16-byte header (magic, count, rows, cols), then 784 pixels an image.
    Images,
    /// `idx1-ubyte`: an 8-byte header (magic, count), then one label (0–9) an item.
    Labels,
}

impl Kind {
    fn magic(self) -> u32 {
        match self {
            Kind::Images => IMAGES_MAGIC,
            Kind::Labels => LABELS_MAGIC,
        }
    }

    fn header_bytes(self) -> usize {
        match self {
            Kind::Images => 16,
            Kind::Labels => 8,
        }
    }

    fn item_bytes(self) -> usize {
        match self {
            Kind::Images => PIXELS,
            Kind::Labels => 1,
        }
    }

    /// `image` or `label`.
    fn name(self) -> &'static str {
        match self {
            Kind::Images => "image",
            Kind::Labels => "label",
        }
    }
}

/// Why an IDX stream could not be read.
#[derive(Debug)]
enum Failure {
    /// The bytes are not what the header says, or the header is wrong: one sentence.
    Malformed(String),
    /// Reading failed: the operating system's error, or gzip's.
    Read(std::io::Error),
}

/// Reads and checks `dir/name` or, failing that, `dir/name.gz` (decompressed as it is read):
/// returns the file and its `count` items' bytes, `count · 784` pixels or `count` labels.
///
/// Memory is bounded by what the header declares: the header is read and checked first
/// (at most [`MAX_ITEMS`] items; a raw file's length must match it exactly), and no more than
/// the declared length plus one byte is ever read, so a gzip bomb stops there.
pub(super) fn read(dir: &Path, name: &str, kind: Kind) -> Result<(PathBuf, usize, Vec<u8>)> {
    let path = find(dir, name).ok_or_else(|| {
        mnist_error(
            &dir.join(name),
            format!("neither {name} nor {name}.gz is in {}", dir.display()),
        )
    })?;
    let io_error = |source| Error::Io {
        action: "read",
        path: path.clone(),
        source,
    };
    let file = File::open(&path).map_err(io_error)?;
    let outcome = if path.extension().is_some_and(|e| e == "gz") {
        let mut file = BufReader::new(file);
        // The first bytes, to tell a raw IDX file that was only named `.gz`.
        let raw = file.fill_buf().map_err(io_error)?.starts_with(&[0, 0, 8]);
        parse(GzDecoder::new(file), kind, None).map_err(|failure| match failure {
            Failure::Malformed(problem) => problem,
            Failure::Read(_) if raw => {
                "it is not gzip but a raw IDX file: remove .gz from its name".to_string()
            }
            Failure::Read(e) => format!("it is not a readable gzip file ({e})"),
        })
    } else {
        let on_disk = file.metadata().map_err(io_error)?.len();
        match parse(file, kind, Some(on_disk)) {
            Err(Failure::Read(source)) => return Err(io_error(source)),
            Err(Failure::Malformed(problem)) => Err(problem),
            Ok(read) => Ok(read),
        }
    };
    let (count, items) = outcome.map_err(|problem| mnist_error(&path, problem))?;
    Ok((path, count, items))
}

/// Reads an IDX stream of `kind` and checks every claim of its header: the magic number, the
/// 28 × 28 dimensions, the count (at most [`MAX_ITEMS`]), the length (`on_disk`, a raw file's
/// size, is checked before any item is read) and, for labels, that each is a digit.
fn parse(
    mut stream: impl Read,
    kind: Kind,
    on_disk: Option<u64>,
) -> std::result::Result<(usize, Vec<u8>), Failure> {
    let header_bytes = kind.header_bytes();
    let mut header = Vec::with_capacity(header_bytes);
    (&mut stream)
        .take(header_bytes as u64)
        .read_to_end(&mut header)
        .map_err(Failure::Read)?;
    let count = check_header(&header, kind).map_err(Failure::Malformed)?;
    // At most 16 + 10⁶ · 784 bytes: no overflow.
    let expected = header_bytes + count * kind.item_bytes();
    let declared = format!(
        "its header declares {count} {}{} ({expected} bytes with the header) but the file",
        kind.name(),
        if count == 1 { "" } else { "s" }
    );
    let truncated =
        |actual: u64| Failure::Malformed(format!("{declared} has {actual} bytes: it is truncated"));
    if let Some(on_disk) = on_disk {
        if on_disk < expected as u64 {
            return Err(truncated(on_disk));
        }
        if on_disk > expected as u64 {
            return Err(Failure::Malformed(format!(
                "{declared} has {on_disk} bytes"
            )));
        }
    }
    let mut items = Vec::new();
    stream
        .take((expected - header_bytes) as u64 + 1)
        .read_to_end(&mut items)
        .map_err(Failure::Read)?;
    let actual = header_bytes + items.len();
    if actual < expected {
        return Err(truncated(actual as u64));
    }
    if actual > expected {
        return Err(Failure::Malformed(format!(
            "{declared} holds more than that"
        )));
    }
    if kind == Kind::Labels
        && let Some((i, label)) = items
            .iter()
            .enumerate()
            .find(|(_, l)| usize::from(**l) >= CLASSES)
    {
        return Err(Failure::Malformed(format!(
            "label {i} is {label}, outside the digits 0–9"
        )));
    }
    Ok((count, items))
}

/// The big-endian `u32` at `index` (counted in words) of the header.
fn header_word(bytes: &[u8], index: usize) -> Option<u32> {
    let start = index * 4;
    let word = bytes.get(start..start + 4)?;
    Some(u32::from_be_bytes([word[0], word[1], word[2], word[3]]))
}

/// Checks a header of `kind` (as many of its bytes as the file has) and returns its count.
fn check_header(header: &[u8], kind: Kind) -> std::result::Result<usize, String> {
    let word = |i| header_word(header, i).map(|w| w as usize);
    let expected = kind.magic();
    match header_word(header, 0) {
        None => {
            return Err(format!(
                "it is {} bytes long, too short for an IDX header",
                header.len()
            ));
        }
        Some(magic) if magic != expected => {
            return Err(format!(
                "its magic number is {magic}, not {expected} as an IDX {} file's is",
                kind.name()
            ));
        }
        Some(_) => {}
    }
    if header.len() < kind.header_bytes() {
        return Err(format!(
            "it is {} bytes long, too short for {} {} header ({} bytes)",
            header.len(),
            if kind == Kind::Images { "an" } else { "a" },
            kind.name(),
            kind.header_bytes()
        ));
    }
    let count = word(1).unwrap_or_default();
    if kind == Kind::Images {
        let (rows, cols) = (word(2).unwrap_or_default(), word(3).unwrap_or_default());
        if (rows, cols) != (SIDE, SIDE) {
            return Err(format!("its images are {rows}×{cols}, not {SIDE}×{SIDE}"));
        }
    }
    if count > MAX_ITEMS {
        return Err(format!(
            "its header declares {count} {}s, more than any data set in MNIST's format holds (burnprop reads at most {MAX_ITEMS}): the header is corrupt",
            kind.name()
        ));
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image_file(count: u32, rows: u32, cols: u32, pixels: usize) -> Vec<u8> {
        let mut bytes = Vec::new();
        for word in [IMAGES_MAGIC, count, rows, cols] {
            bytes.extend(word.to_be_bytes());
        }
        bytes.extend(vec![7u8; pixels]);
        bytes
    }

    /// `bytes` read as a raw file (its length known) and as a stream (gzip's case).
    fn both(bytes: &[u8], kind: Kind) -> [std::result::Result<(usize, Vec<u8>), String>; 2] {
        let problem = |failure| match failure {
            Failure::Malformed(problem) => problem,
            Failure::Read(e) => panic!("reading from memory failed: {e}"),
        };
        [Some(bytes.len() as u64), None].map(|on_disk| parse(bytes, kind, on_disk).map_err(problem))
    }

    #[test]
    fn a_well_formed_image_file_parses() {
        for read in both(&image_file(2, 28, 28, 2 * PIXELS), Kind::Images) {
            let (count, pixels) = read.expect("valid");
            assert_eq!(count, 2);
            assert_eq!(pixels.len(), 2 * PIXELS);
        }
    }

    #[test]
    fn image_files_with_wrong_sizes_are_refused() {
        for read in both(&image_file(1, 32, 32, 1024), Kind::Images) {
            assert_eq!(read.unwrap_err(), "its images are 32×32, not 28×28");
        }
        // 2 images declared, 1 image and 1 byte there: 16 + 785 = 801 bytes.
        for read in both(&image_file(2, 28, 28, PIXELS + 1), Kind::Images) {
            let err = read.unwrap_err();
            assert!(
                err.ends_with("but the file has 801 bytes: it is truncated"),
                "{err}"
            );
        }
        // 1 image declared, 5 bytes too many: 16 + 784 + 5 = 805 bytes.
        let [raw, streamed] = both(&image_file(1, 28, 28, PIXELS + 5), Kind::Images);
        let err = raw.unwrap_err();
        assert!(err.ends_with("but the file has 805 bytes"), "{err}");
        let err = streamed.unwrap_err();
        assert!(
            err.ends_with("(800 bytes with the header) but the file holds more than that"),
            "{err}"
        );
        for read in both(&[0, 0, 8], Kind::Images) {
            assert_eq!(
                read.unwrap_err(),
                "it is 3 bytes long, too short for an IDX header"
            );
        }
    }

    #[test]
    fn a_header_declaring_a_billion_images_is_refused_before_they_are_read() {
        // 10⁹ images would be 784 GB; the 16-byte header is all there is.
        let header = image_file(1_000_000_000, 28, 28, 0);
        for read in both(&header, Kind::Images) {
            assert_eq!(
                read.unwrap_err(),
                "its header declares 1000000000 images, more than any data set in MNIST's format holds (burnprop reads at most 1000000): the header is corrupt"
            );
        }
    }

    #[test]
    fn label_files_are_checked() {
        let mut bytes = Vec::new();
        for word in [LABELS_MAGIC, 3] {
            bytes.extend(word.to_be_bytes());
        }
        bytes.extend([0, 9, 3]);
        for read in both(&bytes, Kind::Labels) {
            assert_eq!(read.expect("valid"), (3, vec![0, 9, 3]));
        }
        bytes[9] = 10;
        for read in both(&bytes, Kind::Labels) {
            assert_eq!(read.unwrap_err(), "label 1 is 10, outside the digits 0–9");
        }
        for read in both(&image_file(1, 28, 28, PIXELS), Kind::Labels) {
            assert_eq!(
                read.unwrap_err(),
                "its magic number is 2051, not 2049 as an IDX label file's is"
            );
        }
        for read in both(&bytes[..6], Kind::Labels) {
            assert_eq!(
                read.unwrap_err(),
                "it is 6 bytes long, too short for a label header (8 bytes)"
            );
        }
    }
}
