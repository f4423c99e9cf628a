//! The IDX files: found raw or gzipped in a directory, read, and every claim of their headers
//! checked against their contents.

use std::fs::File;
use std::io::Read;
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

/// The bytes of `dir/name` or, failing that, of `dir/name.gz` decompressed.
pub(super) fn read_file(dir: &Path, name: &str) -> Result<(PathBuf, Vec<u8>)> {
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
    let mut bytes = Vec::new();
    let file = File::open(&path).map_err(io_error)?;
    if path.extension().is_some_and(|e| e == "gz") {
        GzDecoder::new(file)
            .read_to_end(&mut bytes)
            .map_err(|e| mnist_error(&path, format!("it is not a readable gzip file ({e})")))?;
    } else {
        let mut file = file;
        file.read_to_end(&mut bytes).map_err(io_error)?;
    }
    Ok((path, bytes))
}

/// The big-endian `u32` at `index` (counted in words) of the header.
fn header_word(bytes: &[u8], index: usize) -> Option<u32> {
    let start = index * 4;
    let word = bytes.get(start..start + 4)?;
    Some(u32::from_be_bytes([word[0], word[1], word[2], word[3]]))
}

fn check_magic(bytes: &[u8], expected: u32, what: &str) -> std::result::Result<(), String> {
    match header_word(bytes, 0) {
        None => Err(format!(
            "it is {} bytes long, too short for an IDX header",
            bytes.len()
        )),
        Some(magic) if magic == expected => Ok(()),
        Some(magic) => Err(format!(
            "its magic number is {magic}, not {expected} as an IDX {what} file's is"
        )),
    }
}

/// Checks that the file is exactly its `header` bytes plus `count` items of `item_bytes`.
fn check_length(
    bytes: &[u8],
    header: usize,
    count: usize,
    item_bytes: usize,
    items: &str,
) -> std::result::Result<(), String> {
    let expected = header + count * item_bytes;
    if bytes.len() == expected {
        return Ok(());
    }
    Err(format!(
        "its header declares {count} {items} ({expected} bytes with the header) but the file has {} bytes{}",
        bytes.len(),
        if bytes.len() < expected {
            ": it is truncated"
        } else {
            ""
        }
    ))
}

/// Checks an image file and returns its count and pixels.
pub(super) fn parse_images(bytes: &[u8]) -> std::result::Result<(usize, Vec<u8>), String> {
    check_magic(bytes, IMAGES_MAGIC, "image")?;
    let header = |i| {
        header_word(bytes, i).map(|w| w as usize).ok_or_else(|| {
            format!(
                "it is {} bytes long, too short for an image header (16 bytes)",
                bytes.len()
            )
        })
    };
    let (count, rows, cols) = (header(1)?, header(2)?, header(3)?);
    if (rows, cols) != (SIDE, SIDE) {
        return Err(format!("its images are {rows}×{cols}, not {SIDE}×{SIDE}"));
    }
    check_length(bytes, 16, count, PIXELS, "images")?;
    Ok((count, bytes[16..].to_vec()))
}

/// Checks a label file and returns its labels.
pub(super) fn parse_labels(bytes: &[u8]) -> std::result::Result<Vec<u8>, String> {
    check_magic(bytes, LABELS_MAGIC, "label")?;
    let count = header_word(bytes, 1).map(|w| w as usize).ok_or_else(|| {
        format!(
            "it is {} bytes long, too short for a label header (8 bytes)",
            bytes.len()
        )
    })?;
    check_length(bytes, 8, count, 1, "labels")?;
    let labels = bytes[8..].to_vec();
    if let Some((i, label)) = labels
        .iter()
        .enumerate()
        .find(|(_, l)| usize::from(**l) >= CLASSES)
    {
        return Err(format!("label {i} is {label}, outside the digits 0–9"));
    }
    Ok(labels)
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

    #[test]
    fn a_well_formed_image_file_parses() {
        let (count, pixels) = parse_images(&image_file(2, 28, 28, 2 * PIXELS)).expect("valid");
        assert_eq!(count, 2);
        assert_eq!(pixels.len(), 2 * PIXELS);
    }

    #[test]
    fn image_files_with_wrong_sizes_are_refused() {
        let err = parse_images(&image_file(1, 32, 32, 1024)).unwrap_err();
        assert_eq!(err, "its images are 32×32, not 28×28");
        let err = parse_images(&image_file(2, 28, 28, PIXELS + 1)).unwrap_err();
        assert!(
            err.ends_with("but the file has 801 bytes: it is truncated"),
            "{err}"
        );
        let err = parse_images(&image_file(1, 28, 28, PIXELS + 5)).unwrap_err();
        assert!(err.ends_with("but the file has 805 bytes"), "{err}");
        let err = parse_images(&[0, 0, 8]).unwrap_err();
        assert_eq!(err, "it is 3 bytes long, too short for an IDX header");
    }

    #[test]
    fn label_files_are_checked() {
        let mut bytes = Vec::new();
        for word in [LABELS_MAGIC, 3] {
            bytes.extend(word.to_be_bytes());
        }
        bytes.extend([0, 9, 3]);
        assert_eq!(parse_labels(&bytes).expect("valid"), [0, 9, 3]);
        bytes[9] = 10;
        assert_eq!(
            parse_labels(&bytes).unwrap_err(),
            "label 1 is 10, outside the digits 0–9"
        );
        let err = parse_labels(&image_file(1, 28, 28, PIXELS)).unwrap_err();
        assert_eq!(
            err,
            "its magic number is 2051, not 2049 as an IDX label file's is"
        );
    }
}
