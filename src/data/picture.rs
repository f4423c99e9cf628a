//! A picture of a digit (PNG or JPEG, any size) turned into a 28 × 28 MNIST image, the way
//! MNIST's digits were made: white ink on black, the digit scaled to fit a 20 × 20 box with its
//! aspect ratio kept, and placed so that its centre of mass is the image's centre.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use image::imageops::{self, FilterType};
use image::{
    DynamicImage, GrayImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, Luma,
};

use super::mnist::{PIXELS, SIDE};
use crate::error::{Error, Result};

/// The side of the box the digit is scaled into.
const BOX: u32 = 20;
/// The narrowest picture that can hold a digit, in pixels: fewer cannot draw the strokes that
/// tell digits apart (MNIST's own digits span 20).
pub const MIN_SIDE: u32 = 8;
/// The most bytes a picture may decode to (128 MiB): a 12-megapixel photo in 16-bit RGB
/// (72 MiB) fits; a corrupt header that claims 100000 × 100000 pixels is refused before
/// anything is allocated for it.
pub const MAX_DECODED_BYTES: u64 = 128 << 20;
/// Pixels darker than this fraction of the brightest are background when finding the digit.
const INK: f64 = 0.1;

fn picture_error(path: &Path, reason: impl Into<String>) -> Error {
    Error::Picture {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads `path` and returns its 784 MNIST-style pixels (0 = background, 255 = ink).
///
/// A picture that is already 28 × 28 is taken as it is (inverted if its background is light);
/// any other size is cropped to the digit, scaled to fit 20 × 20 and centred by mass. The file
/// is checked before it is decoded: an empty file, a picture smaller than [`MIN_SIDE`] on a
/// side or one that would decode to more than [`MAX_DECODED_BYTES`] is refused with the reason.
pub fn read_digit(path: &Path) -> Result<Vec<u8>> {
    let io_error = |source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    let on_disk = fs::metadata(path).map_err(io_error)?.len();
    if on_disk == 0 {
        return Err(picture_error(path, "it is empty (0 bytes)"));
    }
    if on_disk > MAX_DECODED_BYTES {
        return Err(picture_error(
            path,
            format!(
                "it is {} MiB, more than the {} MiB burnprop reads; scale it down",
                on_disk >> 20,
                MAX_DECODED_BYTES >> 20
            ),
        ));
    }
    let bytes = fs::read(path).map_err(io_error)?;
    let mut reader = ImageReader::new(Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(io_error)?;
    if reader.format() == Some(ImageFormat::Jpeg) && !jpeg_is_complete(&bytes) {
        return Err(picture_error(
            path,
            "it is a truncated or damaged JPEG: its image data do not reach the end-of-image marker",
        ));
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let unreadable = |e: ImageError| {
        // The decoders' messages may span lines; the error is one.
        let reason = e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        picture_error(
            path,
            format!("it is not a readable PNG or JPEG image ({reason})"),
        )
    };
    let decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(picture_error(
            path,
            format!(
                "it is {width}×{height} pixels, too small to hold a digit (at least {MIN_SIDE}×{MIN_SIDE})"
            ),
        ));
    }
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(picture_error(
            path,
            format!(
                "it is {width}×{height} pixels, {} MiB decoded, more than the {} MiB burnprop reads; scale it down",
                decoder.total_bytes() >> 20,
                MAX_DECODED_BYTES >> 20
            ),
        ));
    }
    let picture = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    let mut gray = picture.to_luma8();
    if light_background(&gray) {
        imageops::invert(&mut gray);
    }
    if gray.dimensions() == (SIDE as u32, SIDE as u32) {
        return Ok(gray.into_raw());
    }
    center(&gray).ok_or_else(|| picture_error(path, "it is blank: no digit to read"))
}

/// Whether a JPEG stream's image data reach its end-of-image marker (`FF D9`). zune-jpeg, which
/// `image` decodes JPEGs with, decodes a stream cut short inside its image data without an
/// error, inventing the missing rows; this walk finds the cut.
///
/// The stream is a sequence of segments, each `FF`, a marker byte and (except for the
/// standalone markers) a big-endian length that counts itself. After a start-of-scan segment
/// (`FF DA`) come entropy-coded data, in which a data byte `FF` is followed by `00` and `FF D0`
/// to `FF D7` are restart markers; any other marker ends the scan. Data after the end-of-image
/// marker (a motion photo's video) are allowed.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut at = 2; // past the start-of-image marker, FF D8
    loop {
        match bytes.get(at..at + 2) {
            Some([0xff, 0xd9]) => return true,
            // A fill byte before a marker.
            Some([0xff, 0xff]) => at += 1,
            Some([0xff, 0x01 | 0xd0..=0xd7]) => at += 2,
            Some([0xff, marker]) => {
                let Some(&[high, low]) = bytes.get(at + 2..at + 4) else {
                    return false;
                };
                let length = usize::from(u16::from_be_bytes([high, low]));
                if length < 2 {
                    return false;
                }
                at += 2 + length;
                if *marker == 0xda {
                    at = match end_of_scan(bytes, at) {
                        Some(next) => next,
                        None => return false,
                    };
                }
            }
            _ => return false,
        }
    }
}

/// Where the entropy-coded data that start at `from` end: the position of the first marker
/// that is not a restart marker, `None` if the stream ends first.
fn end_of_scan(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let ff = at + bytes.get(at..)?.iter().position(|&b| b == 0xff)?;
        match bytes.get(ff + 1)? {
            0x00 | 0xd0..=0xd7 => at = ff + 2,
            _ => return Some(ff),
        }
    }
}

/// Whether the picture's border is, on average, lighter than mid-grey (dark ink on paper).
fn light_background(gray: &GrayImage) -> bool {
    let (w, h) = gray.dimensions();
    let border: Vec<u8> = gray
        .enumerate_pixels()
        .filter(|(x, y, _)| *x == 0 || *y == 0 || *x + 1 == w || *y + 1 == h)
        .map(|(_, _, p)| p.0[0])
        .collect();
    let mean = border.iter().map(|&p| f64::from(p)).sum::<f64>() / border.len().max(1) as f64;
    mean > 127.5
}

/// Crops to the ink, scales into the 20 × 20 box and places the centre of mass at the centre.
/// `None` for a blank picture.
fn center(gray: &GrayImage) -> Option<Vec<u8>> {
    let brightest = gray.pixels().map(|p| p.0[0]).max()?;
    if brightest == 0 {
        return None;
    }
    let threshold = (f64::from(brightest) * INK) as u8;
    let ink: Vec<(u32, u32)> = gray
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0[0] > threshold)
        .map(|(x, y, _)| (x, y))
        .collect();
    let (x0, x1) = (
        ink.iter().map(|p| p.0).min()?,
        ink.iter().map(|p| p.0).max()?,
    );
    let (y0, y1) = (
        ink.iter().map(|p| p.1).min()?,
        ink.iter().map(|p| p.1).max()?,
    );
    let (w, h) = (x1 - x0 + 1, y1 - y0 + 1);
    let digit = imageops::crop_imm(gray, x0, y0, w, h).to_image();
    let scale = f64::from(BOX) / f64::from(w.max(h));
    let (sw, sh) = (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    );
    let digit = imageops::resize(&digit, sw, sh, FilterType::Lanczos3);

    // Centre of mass of the scaled digit, then the offset that puts it at (14, 14).
    let (mut mass, mut mx, mut my) = (0.0, 0.0, 0.0);
    for (x, y, p) in digit.enumerate_pixels() {
        let v = f64::from(p.0[0]);
        mass += v;
        mx += v * f64::from(x);
        my += v * f64::from(y);
    }
    let half = SIDE as f64 / 2.0;
    let offset = |com: f64, size: u32| {
        let max = (SIDE as u32 - size) as f64;
        (half - com - 0.5).round().clamp(0.0, max) as i64
    };
    let (ox, oy) = if mass > 0.0 {
        (offset(mx / mass, sw), offset(my / mass, sh))
    } else {
        (
            i64::from((SIDE as u32 - sw) / 2),
            i64::from((SIDE as u32 - sh) / 2),
        )
    };
    let mut canvas = GrayImage::from_pixel(SIDE as u32, SIDE as u32, Luma([0]));
    imageops::overlay(&mut canvas, &digit, ox, oy);
    let pixels = canvas.into_raw();
    assert_eq!(
        pixels.len(),
        PIXELS,
        "a centred digit fills the 28 × 28 canvas"
    );
    Some(pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dark_stroke_on_white_paper_becomes_a_centred_white_digit() {
        // A 100 × 60 white page with a black vertical bar (a "1") near its left edge.
        let mut page = GrayImage::from_pixel(100, 60, Luma([255]));
        for y in 10..50 {
            for x in 10..16 {
                page.put_pixel(x, y, Luma([0]));
            }
        }
        assert!(light_background(&page));
        imageops::invert(&mut page);
        let pixels = center(&page).expect("a digit");
        let at = |x: usize, y: usize| pixels[y * SIDE + x];
        // The 40-pixel bar is scaled to 20 rows and centred: rows 4..24, around column 14.
        assert!(
            at(14, 14) > 200 && at(13, 14) > 200,
            "the bar is at the centre"
        );
        assert_eq!(at(0, 0), 0);
        assert_eq!(at(14, 1), 0, "nothing above the 20-pixel box");
        let ink_rows = (0..SIDE)
            .filter(|&y| (0..SIDE).any(|x| at(x, y) > 128))
            .count();
        assert_eq!(ink_rows, 20);
    }

    #[test]
    fn an_l_is_centred_by_its_mass_not_by_its_box() {
        // An "L" (white ink on black, as after inverting): a 6 × 40 bar and a 30 × 6 foot at
        // its bottom. Its box is 30 × 40 with its centre at (25, 30); its mass (384 pixels)
        // sits lower and to the left: x̄ = (240·12.5 + 144·27.5)/384 + 0.5 = 18.625,
        // ȳ = (240·29.5 + 144·46.5)/384 + 0.5 = 36.375 (pixel centres), 6.4 and 6.9 pixels
        // from the box's centre, 3.2 and 3.4 once scaled by 20/40.
        let mut page = GrayImage::from_pixel(100, 60, Luma([0]));
        for (x, y) in (10..16)
            .flat_map(|x| (10..50).map(move |y| (x, y)))
            .chain((10..40).flat_map(|x| (44..50).map(move |y| (x, y))))
        {
            page.put_pixel(x, y, Luma([255]));
        }
        let pixels = center(&page).expect("a digit");
        let at = |x: usize, y: usize| f64::from(pixels[y * SIDE + x]);
        let cells = || (0..SIDE).flat_map(|y| (0..SIDE).map(move |x| (x, y)));
        let mass: f64 = cells().map(|(x, y)| at(x, y)).sum();
        // Pixel x covers [x, x + 1): its centre is x + 0.5, and the canvas's centre is 14.
        let centre = |axis: fn((usize, usize)) -> usize| {
            cells()
                .map(|c| at(c.0, c.1) * (axis(c) as f64 + 0.5))
                .sum::<f64>()
                / mass
        };
        let (cx, cy) = (centre(|c| c.0), centre(|c| c.1));
        // MNIST's convention: the centre of mass at (14, 14); the shift is a whole number of
        // pixels, so it lands within half a pixel.
        assert!(
            (cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5,
            "({cx}, {cy})"
        );
        // The box of the ink, in contrast, is off the centre by more than a pixel each way.
        let ink: Vec<(usize, usize)> = cells().filter(|&(x, y)| at(x, y) > 128.0).collect();
        let span = |axis: fn(&(usize, usize)) -> usize| {
            let (lo, hi) = (ink.iter().map(axis).min(), ink.iter().map(axis).max());
            (lo.unwrap_or(0) as f64 + hi.unwrap_or(0) as f64 + 1.0) / 2.0
        };
        let (bx, by) = (span(|c| c.0), span(|c| c.1));
        assert!(
            (bx - 14.0).abs() > 1.0 && (by - 14.0).abs() > 1.0,
            "box centre ({bx}, {by})"
        );
    }

    #[test]
    fn a_jpeg_is_complete_only_up_to_its_end_of_image_marker() {
        // A noisy 64 × 64 picture, so that its scan data hold FF bytes (stuffed as FF 00).
        let page = GrayImage::from_fn(64, 64, |x, y| Luma([((x * 37 + y * 101) % 256) as u8]));
        let mut jpeg = std::io::Cursor::new(Vec::new());
        page.write_to(&mut jpeg, ImageFormat::Jpeg)
            .expect("the picture encodes");
        let jpeg = jpeg.into_inner();
        assert!(jpeg.windows(2).any(|w| w == [0xff, 0x00]), "stuffed bytes");
        assert!(jpeg_is_complete(&jpeg));
        // A motion photo's video after the end-of-image marker does not matter.
        let mut with_video = jpeg.clone();
        with_video.extend_from_slice(b"\0\0\0\x18ftypmp42");
        assert!(jpeg_is_complete(&with_video));
        // Cut anywhere before the marker, it is not complete.
        for cut in [4, jpeg.len() / 3, jpeg.len() / 2, jpeg.len() - 2] {
            assert!(!jpeg_is_complete(&jpeg[..cut]), "cut at {cut}");
        }
    }

    #[test]
    fn a_blank_picture_has_no_digit() {
        assert_eq!(center(&GrayImage::from_pixel(40, 40, Luma([0]))), None);
    }
}
