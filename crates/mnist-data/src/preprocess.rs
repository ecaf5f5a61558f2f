//! Your own digit, prepared the way MNIST's were made (feature `image`).
//!
//! LeCun, Cortes and Burges describe MNIST's images as NIST's black-and-white
//! digits "size normalized to fit in a 20x20 pixel box while preserving their
//! aspect ratio", anti-aliased to grey levels, then "centered in a 28x28 image
//! by computing the center of mass of the pixels". [`preprocess`] does the
//! same to any grayscale picture:
//!
//! 1. find the background level (the median of the border pixels) and the
//!    ink: the pixels farthest from it, dark or light. Dark ink on a light
//!    background is inverted, so the ink becomes bright on black like
//!    MNIST's;
//! 2. stretch the ink to 0–255, dropping the faintest eighth as noise;
//! 3. crop to the ink's bounding box;
//! 4. scale (area-averaging, which anti-aliases) so that the longer side is
//!    [`DIGIT_BOX`] = 20 px, keeping the aspect ratio;
//! 5. paste into 28×28 so that the centre of mass lands on the centre.
//!
//! [`open_image`] and [`decode_image`] decode PNG or JPEG (with the `image`
//! crate) into grayscale, refusing images over [`MAX_IMAGE_PIXELS`] from
//! their header before decoding them; [`from_raw_pixels`] takes pixels as a
//! browser's canvas gives them.
//!
//! ```
//! use mnist_data::preprocess::{from_raw_pixels, preprocess};
//!
//! // A dark 8×40 bar (a "1") on a light 100×60 page, off centre.
//! let (w, h) = (60, 100);
//! let mut page = vec![230u8; w * h];
//! for y in 10..50 {
//!     for x in 5..13 {
//!         page[y * w + x] = 20;
//!     }
//! }
//! let digit = preprocess(&from_raw_pixels(&page, w, h)?)?;
//! assert_eq!(digit.dim(), (28, 28));
//! // Bright on black, 20 px tall, 4 px wide, centred: rows 4..24, columns 12..16.
//! assert_eq!((digit[[4, 12]], digit[[23, 15]]), (255, 255));
//! assert_eq!((digit[[3, 12]], digit[[24, 15]], digit[[10, 11]], digit[[10, 16]]), (0, 0, 0, 0));
//! assert_eq!(digit.iter().filter(|&&p| p > 0).count(), 20 * 4);
//! # Ok::<(), mnist_data::Error>(())
//! ```

use std::io::{BufRead, Cursor, Seek};
use std::path::Path;

use image::DynamicImage;
use image::io::{Limits, Reader};
use ndarray::{Array2, ArrayBase, Data, Ix2};

use crate::{COLS, Error, ROWS, Result};

/// The most pixels (width × height) an image may have: 40 megapixels, room
/// for any phone photo up to 8000×5000 (a decoded RGBA image of this size
/// takes 160 MB). Larger ones are refused from the header, before decoding.
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;

/// The side of the box MNIST's digits were scaled into, inside 28×28.
pub const DIGIT_BOX: usize = 20;

/// The least difference (0–255) between the background level and the ink
/// for an image not to count as blank.
pub const MIN_CONTRAST: u8 = 32;

/// Decodes a PNG or JPEG file into grayscale, `(height, width)`.
///
/// The format is recognised from the content. Transparent pixels are laid
/// over white, as a browser shows them. The file's header is read first and
/// an image over [`MAX_IMAGE_PIXELS`] is refused without being decoded.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be opened, [`Error::ImageDecode`] when
/// it is not a PNG or JPEG image (or a broken one), [`Error::ImageTooLarge`].
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("not-an-image.png");
/// std::fs::write(&path, "hello")?;
/// let err = mnist_data::preprocess::open_image(&path).unwrap_err();
/// assert!(matches!(err, mnist_data::Error::ImageDecode { .. }), "{err}");
/// let err = mnist_data::preprocess::open_image(dir.path().join("missing.png")).unwrap_err();
/// assert!(matches!(err, mnist_data::Error::Io { .. }), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_image(path: impl AsRef<Path>) -> Result<Array2<u8>> {
    let path = path.as_ref();
    let what = path.display().to_string();
    decode_with(|| Reader::open(path).map_err(|e| Error::io(path, e)), &what)
}

/// Decodes PNG or JPEG bytes into grayscale, `(height, width)`; see
/// [`open_image`].
///
/// # Errors
///
/// [`Error::ImageDecode`] and [`Error::ImageTooLarge`], as [`open_image`].
///
/// ```
/// use mnist_data::preprocess::decode_image;
/// // A 3×2 PNG, white with one grey pixel, made with the `image` crate.
/// let mut picture = image::GrayImage::from_pixel(3, 2, image::Luma([255]));
/// picture.put_pixel(2, 1, image::Luma([90]));
/// let mut png = std::io::Cursor::new(Vec::new());
/// picture.write_to(&mut png, image::ImageOutputFormat::Png).unwrap();
/// let gray = decode_image(png.get_ref())?;
/// assert_eq!((gray.dim(), gray[[0, 0]], gray[[1, 2]]), ((2, 3), 255, 90));
/// assert!(decode_image(b"GIF89a but not really").is_err());
/// # Ok::<(), mnist_data::Error>(())
/// ```
pub fn decode_image(bytes: &[u8]) -> Result<Array2<u8>> {
    decode_with(|| Ok(Reader::new(Cursor::new(bytes))), "image data")
}

/// Header first (dimensions, budget), then the whole image with limits.
fn decode_with<R: BufRead + Seek>(
    open: impl Fn() -> Result<Reader<R>>,
    what: &str,
) -> Result<Array2<u8>> {
    let decode_err = |reason: String| Error::ImageDecode {
        what: what.to_owned(),
        reason,
    };
    let guess = |reader: Reader<R>| {
        let reader = reader
            .with_guessed_format()
            .map_err(|e| decode_err(e.to_string()))?;
        match reader.format() {
            Some(_) => Ok(reader),
            None => Err(decode_err("not a png or jpeg image".to_owned())),
        }
    };
    let (width, height) = guess(open()?)?
        .into_dimensions()
        .map_err(|e| decode_err(e.to_string()))?;
    check_budget(what, u64::from(width), u64::from(height))?;
    let mut reader = guess(open()?)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| decode_err(e.to_string()))?;
    Ok(over_white(image))
}

fn check_budget(what: &str, width: u64, height: u64) -> Result<()> {
    if width.saturating_mul(height) > MAX_IMAGE_PIXELS {
        return Err(Error::ImageTooLarge {
            what: what.to_owned(),
            width,
            height,
            max_pixels: MAX_IMAGE_PIXELS,
        });
    }
    Ok(())
}

/// Grayscale with transparency laid over white.
fn over_white(image: DynamicImage) -> Array2<u8> {
    let la = image.to_luma_alpha8();
    let (w, h) = la.dimensions();
    Array2::from_shape_fn((h as usize, w as usize), |(y, x)| {
        let p = la.get_pixel(x as u32, y as u32);
        blend_white(p[0], p[1])
    })
}

/// `luma` with opacity `alpha` over a white page.
fn blend_white(luma: u8, alpha: u8) -> u8 {
    let (l, a) = (u32::from(luma), u32::from(alpha));
    ((l * a + 255 * (255 - a) + 127) / 255) as u8
}

/// Grayscale from raw pixels in rows: gray (1 byte a pixel), RGB (3) or
/// RGBA (4, as a canvas's `getImageData` gives them), told apart by the
/// length. Colours become luma with sRGB weights (0.2126, 0.7152, 0.0722),
/// transparency is laid over white.
///
/// # Errors
///
/// [`Error::ImageTooLarge`] over [`MAX_IMAGE_PIXELS`]; [`Error::BadShape`]
/// when the length is not `width × height × (1, 3 or 4)` or a side is 0.
///
/// ```
/// use mnist_data::preprocess::from_raw_pixels;
/// // Two RGBA pixels: opaque pure green, and fully transparent black.
/// let gray = from_raw_pixels(&[0, 255, 0, 255, 0, 0, 0, 0], 2, 1)?;
/// assert_eq!(gray.into_raw_vec_and_offset().0, vec![182, 255]);
/// assert!(from_raw_pixels(&[0; 5], 2, 1).is_err());
/// # Ok::<(), mnist_data::Error>(())
/// ```
pub fn from_raw_pixels(pixels: &[u8], width: usize, height: usize) -> Result<Array2<u8>> {
    check_budget("raw pixels", width as u64, height as u64)?;
    let n = width * height;
    let bad_shape = || Error::BadShape {
        expected: format!("{width}×{height} pixels of 1, 3 or 4 bytes (gray, rgb, rgba)"),
        found: format!("{} bytes", pixels.len()),
    };
    if n == 0 || pixels.len() % n != 0 {
        return Err(bad_shape());
    }
    let gray: Vec<u8> = match pixels.len() / n {
        1 => pixels.to_vec(),
        3 => pixels
            .chunks_exact(3)
            .map(|p| luma(p[0], p[1], p[2]))
            .collect(),
        4 => pixels
            .chunks_exact(4)
            .map(|p| blend_white(luma(p[0], p[1], p[2]), p[3]))
            .collect(),
        _ => return Err(bad_shape()),
    };
    Array2::from_shape_vec((height, width), gray).map_err(|_| bad_shape())
}

/// sRGB luma, as the `image` crate computes it.
fn luma(r: u8, g: u8, b: u8) -> u8 {
    let l = 2126 * u32::from(r) + 7152 * u32::from(g) + 722 * u32::from(b);
    (l / 10000) as u8
}

/// A grayscale picture of one digit, any size, either polarity, to MNIST's
/// 28×28 form: bright ink (up to 255) on black (0), the digit scaled so its
/// longer side is 20 px and its centre of mass at the centre. See the
/// [module docs](self) for the steps.
///
/// Input: `(height, width)` gray levels. Output: `(28, 28)`; ink pushed
/// past the edge by the centring (a very lopsided digit) is cut off, as in
/// MNIST.
///
/// # Errors
///
/// [`Error::BlankImage`] when no pixel differs from the background level by
/// [`MIN_CONTRAST`] or more (an empty page, an empty image).
///
/// ```
/// use mnist_data::preprocess::preprocess;
/// use ndarray::Array2;
///
/// // A 10×10 white square on black, tiny: scaled ×2 to fill the 20 px box.
/// let mut image = Array2::<u8>::zeros((40, 30));
/// image.slice_mut(ndarray::s![3..13, 2..12]).fill(255);
/// let digit = preprocess(&image)?;
/// assert_eq!(digit.slice(ndarray::s![4..24, 4..24]).iter().filter(|&&p| p == 255).count(), 400);
/// assert_eq!(digit.iter().map(|&p| u32::from(p)).sum::<u32>(), 400 * 255);
///
/// let blank = Array2::<u8>::from_elem((40, 30), 200);
/// assert!(matches!(preprocess(&blank), Err(mnist_data::Error::BlankImage { contrast: 0 })));
/// # Ok::<(), mnist_data::Error>(())
/// ```
pub fn preprocess<S: Data<Elem = u8>>(gray: &ArrayBase<S, Ix2>) -> Result<Array2<u8>> {
    let (h, w) = gray.dim();
    if h == 0 || w == 0 {
        return Err(Error::BlankImage { contrast: 0 });
    }
    let bg = i32::from(background(gray));
    let (lo, hi) = gray
        .iter()
        .fold((255u8, 0u8), |(lo, hi), &p| (lo.min(p), hi.max(p)));
    let (dark, light) = (bg - i32::from(lo), i32::from(hi) - bg);
    let invert = dark > light;
    let contrast = dark.max(light);
    if contrast < i32::from(MIN_CONTRAST) {
        return Err(Error::BlankImage {
            contrast: contrast as u8,
        });
    }
    // Ink level 0..=255: the distance from the background, its faintest
    // eighth dropped as noise (paper grain, JPEG ringing), then stretched.
    let floor = contrast / 8;
    let span = (contrast - floor) as f32;
    let ink = |p: u8| -> f32 {
        let d = if invert {
            bg - i32::from(p)
        } else {
            i32::from(p) - bg
        };
        // One rounding (a division of integers), so full ink is exactly 255.
        (((d - floor) * 255) as f32 / span).clamp(0.0, 255.0)
    };

    // The ink's bounding box (not empty: the extreme pixel has ink 255).
    let (mut top, mut bottom, mut left, mut right) = (h, 0, w, 0);
    for ((y, x), &p) in gray.indexed_iter() {
        if ink(p) > 0.0 {
            (top, bottom) = (top.min(y), bottom.max(y + 1));
            (left, right) = (left.min(x), right.max(x + 1));
        }
    }
    if top >= bottom || left >= right {
        return Err(Error::BlankImage {
            contrast: contrast as u8,
        });
    }
    let (bh, bw) = (bottom - top, right - left);

    // Longer side to DIGIT_BOX, the other in proportion (at least 1 px).
    let scale = DIGIT_BOX as f64 / bh.max(bw) as f64;
    let nh = ((bh as f64 * scale).round() as usize).clamp(1, DIGIT_BOX);
    let nw = ((bw as f64 * scale).round() as usize).clamp(1, DIGIT_BOX);
    let (wy, wx) = (area_weights(bh, nh), area_weights(bw, nw));
    // Rows first, straight from the gray pixels: nh × bw.
    let mut rows = Array2::<f32>::zeros((nh, bw));
    for (k, weights) in wy.iter().enumerate() {
        for &(i, wgt) in weights {
            let src = gray.row(top + i);
            for (x, out) in rows.row_mut(k).iter_mut().enumerate() {
                *out += wgt * ink(src[left + x]);
            }
        }
    }
    // Then columns: nh × nw.
    let mut small = Array2::<f32>::zeros((nh, nw));
    for ((y, x), out) in small.indexed_iter_mut() {
        *out = wx[x].iter().map(|&(j, wgt)| wgt * rows[[y, j]]).sum();
    }

    // Centre of mass to the centre of 28×28 (pixel k spans [k, k+1), so the
    // centre is 14 and a mass at pixel index c sits at c + 0.5).
    let (mut mass, mut my, mut mx) = (0.0f64, 0.0f64, 0.0f64);
    for ((y, x), &v) in small.indexed_iter() {
        let v = f64::from(v);
        mass += v;
        my += v * y as f64;
        mx += v * x as f64;
    }
    let (cy, cx) = if mass > 0.0 {
        (my / mass, mx / mass)
    } else {
        ((nh as f64 - 1.0) / 2.0, (nw as f64 - 1.0) / 2.0)
    };
    let dy = (ROWS as f64 / 2.0 - 0.5 - cy).round() as isize;
    let dx = (COLS as f64 / 2.0 - 0.5 - cx).round() as isize;
    let mut out = Array2::<u8>::zeros((ROWS, COLS));
    for ((y, x), &v) in small.indexed_iter() {
        let (ty, tx) = (y as isize + dy, x as isize + dx);
        if (0..ROWS as isize).contains(&ty) && (0..COLS as isize).contains(&tx) {
            out[[ty as usize, tx as usize]] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
    Ok(out)
}

/// The background level: the median of the border pixels.
fn background<S: Data<Elem = u8>>(gray: &ArrayBase<S, Ix2>) -> u8 {
    let (h, w) = gray.dim();
    let mut counts = [0usize; 256];
    let mut total = 0;
    for ((y, x), &p) in gray.indexed_iter() {
        if y == 0 || x == 0 || y + 1 == h || x + 1 == w {
            counts[usize::from(p)] += 1;
            total += 1;
        }
    }
    let mut seen = 0;
    for (level, &c) in counts.iter().enumerate() {
        seen += c;
        if 2 * seen >= total {
            return level as u8;
        }
    }
    0
}

/// Area-averaging resampling of `n_in` pixels to `n_out`: output pixel k
/// covers the input interval `[k r, (k+1) r)` with `r = n_in / n_out`, and
/// each input pixel weighs by its overlap with it. Weights of an output
/// pixel sum to 1; an integer up-scale repeats pixels, an integer
/// down-scale averages blocks.
fn area_weights(n_in: usize, n_out: usize) -> Vec<Vec<(usize, f32)>> {
    let r = n_in as f64 / n_out as f64;
    (0..n_out)
        .map(|k| {
            let (a, b) = (k as f64 * r, (k + 1) as f64 * r);
            let first = a.floor() as usize;
            let last = (b.ceil() as usize).min(n_in);
            (first..last)
                .filter_map(|i| {
                    let overlap = b.min(i as f64 + 1.0) - a.max(i as f64);
                    (overlap > 1e-9).then_some((i, (overlap / r) as f32))
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_weights_sum_to_one_and_cover_the_input() {
        for (n_in, n_out) in [
            (1, 20),
            (5, 20),
            (7, 20),
            (20, 20),
            (30, 20),
            (200, 20),
            (3, 9),
        ] {
            let w = area_weights(n_in, n_out);
            assert_eq!(w.len(), n_out);
            for (k, ws) in w.iter().enumerate() {
                let s: f32 = ws.iter().map(|&(_, x)| x).sum();
                assert!((s - 1.0).abs() < 1e-5, "{n_in}->{n_out} pixel {k}: {s}");
            }
            // Every input pixel contributes n_out / n_in in all.
            let mut per_input = vec![0.0f32; n_in];
            for ws in &w {
                for &(i, x) in ws {
                    per_input[i] += x;
                }
            }
            let expect = n_out as f32 / n_in as f32;
            assert!(
                per_input.iter().all(|&x| (x - expect).abs() < 1e-4),
                "{per_input:?}"
            );
        }
    }

    #[test]
    fn integer_scales_repeat_or_average() {
        assert_eq!(
            area_weights(2, 4),
            vec![
                vec![(0, 1.0)],
                vec![(0, 1.0)],
                vec![(1, 1.0)],
                vec![(1, 1.0)]
            ]
        );
        assert_eq!(
            area_weights(4, 2),
            vec![vec![(0, 0.5), (1, 0.5)], vec![(2, 0.5), (3, 0.5)]]
        );
    }

    #[test]
    fn background_is_the_border_median() {
        let mut image = Array2::<u8>::from_elem((5, 5), 200);
        image[[0, 0]] = 0;
        image[[2, 2]] = 10; // inside: not part of the border
        assert_eq!(background(&image), 200);
    }

    #[test]
    fn blending_over_white() {
        assert_eq!(blend_white(0, 255), 0);
        assert_eq!(blend_white(0, 0), 255);
        assert_eq!(blend_white(0, 128), 127);
        assert_eq!(luma(255, 255, 255), 255);
    }
}
