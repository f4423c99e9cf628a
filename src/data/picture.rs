//! A picture of a digit (PNG or JPEG, any size) turned into a 28 × 28 MNIST image, the way
//! MNIST's digits were made: white ink on black, the digit scaled to fit a 20 × 20 box with its
//! aspect ratio kept, and placed so that its centre of mass is the image's centre.

use std::path::Path;

use image::imageops::{self, FilterType};
use image::{GrayImage, Luma};

use super::mnist::{PIXELS, SIDE};
use crate::error::{Error, Result};

/// The side of the box the digit is scaled into.
const BOX: u32 = 20;
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
/// any other size is cropped to the digit, scaled to fit 20 × 20 and centred by mass.
pub fn read_digit(path: &Path) -> Result<Vec<u8>> {
    let picture = image::ImageReader::open(path)
        .map_err(|source| Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?
        .with_guessed_format()
        .map_err(|source| Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?
        .decode()
        .map_err(|e| {
            picture_error(
                path,
                format!("it is not a readable PNG or JPEG image ({e})"),
            )
        })?;
    let mut gray = picture.to_luma8();
    if light_background(&gray) {
        imageops::invert(&mut gray);
    }
    if gray.dimensions() == (SIDE as u32, SIDE as u32) {
        return Ok(gray.into_raw());
    }
    center(&gray).ok_or_else(|| picture_error(path, "it is blank: no digit to read"))
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
    debug_assert_eq!(pixels.len(), PIXELS);
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
    fn a_blank_picture_has_no_digit() {
        assert_eq!(center(&GrayImage::from_pixel(40, 40, Luma([0]))), None);
    }
}
