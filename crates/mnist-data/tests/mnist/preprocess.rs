//! Preprocessing your own digit (feature `image`): synthetic digits drawn
//! here, at any size, place and colour, against expected 28×28 pictures.

use std::io::Cursor;

use mnist_data::Error;
use mnist_data::preprocess::{
    MAX_IMAGE_PIXELS, decode_image, from_raw_pixels, open_image, preprocess,
};
use ndarray::{Array2, s};
use nn_testkit::png::chunk;
use proptest::prelude::*;

/// A "1" with a flag, as every test below draws it, once preprocessed: 20 px
/// tall, 8 wide, its centre of mass (row 8.17, column 4.83 of the 20×8 box)
/// moved to the centre, so the box sits at rows 5..25, columns 9..17 — one
/// row lower and one column further left than centring the box would put it.
const ONE: [&str; 28] = [
    "............................",
    "............................",
    "............................",
    "............................",
    "............................",
    ".........########...........",
    ".........########...........",
    ".........########...........",
    ".........########...........",
    ".............####...........",
    ".............####...........",
    ".............####...........",
    ".............####...........",
    ".............####...........",
    ".............####...........",
    ".............####...........",
    ".............####...........",
    ".............####...........",
    ".............####...........",
    ".............####...........",
    ".............####...........",
    ".............####...........",
    ".............####...........",
    ".............####...........",
    ".............####...........",
    "............................",
    "............................",
    "............................",
];

/// `#` is 255, `.` is 0, a digit d is d × 255 / 9 rounded (`4` is 113,
/// `5` is 142).
fn picture(rows: &[&str]) -> Array2<u8> {
    Array2::from_shape_fn((rows.len(), rows[0].len()), |(y, x)| {
        match rows[y].as_bytes()[x] {
            b'#' => 255,
            b'.' => 0,
            d @ b'0'..=b'9' => ((u32::from(d - b'0') * 255 + 4) / 9) as u8,
            other => panic!("bad picture character {}", other as char),
        }
    })
}

/// The image as a picture, for failure messages.
fn show(image: &Array2<u8>) -> String {
    image
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .map(|&p| match p {
                    0 => '.',
                    255 => '#',
                    p => char::from(b'0' + (u32::from(p) * 9 / 255) as u8),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[track_caller]
fn check(got: &Array2<u8>, expect: &[&str]) {
    let expect = picture(expect);
    assert!(
        got == expect,
        "got:\n{}\nexpected:\n{}",
        show(got),
        show(&expect)
    );
}

/// Draws the flagged "1" with its top-left corner at (`top`, `left`): a
/// bar `unit` wide and `5 unit` tall, a `unit`×`unit` flag left of its top.
fn draw_one(canvas: &mut Array2<u8>, top: usize, left: usize, unit: usize, ink: u8) {
    canvas
        .slice_mut(s![top..top + 5 * unit, left + unit..left + 2 * unit])
        .fill(ink);
    canvas
        .slice_mut(s![top..top + unit, left..left + unit])
        .fill(ink);
}

fn canvas(h: usize, w: usize, background: u8) -> Array2<u8> {
    Array2::from_elem((h, w), background)
}

#[test]
fn a_one_off_centre_is_centred_by_its_mass() {
    let mut image = canvas(100, 80, 0);
    draw_one(&mut image, 60, 50, 4, 255); // bottom right
    check(&preprocess(&image).unwrap(), &ONE);
}

#[test]
fn inverted_colours_give_the_same_digit() {
    // Dark ink on a light grey page, like a pen on paper.
    let mut image = canvas(100, 80, 230);
    draw_one(&mut image, 3, 2, 4, 20); // top left
    check(&preprocess(&image).unwrap(), &ONE);
}

#[test]
fn a_tiny_digit_is_scaled_up() {
    // 5×2 pixels: every pixel becomes a 4×4 block.
    let mut image = canvas(9, 7, 0);
    draw_one(&mut image, 2, 3, 1, 255);
    check(&preprocess(&image).unwrap(), &ONE);
}

#[test]
fn a_huge_digit_is_scaled_down() {
    // 200×80 pixels: every 10×10 block becomes one pixel.
    let mut image = canvas(400, 300, 255);
    draw_one(&mut image, 150, 30, 40, 0);
    check(&preprocess(&image).unwrap(), &ONE);
}

#[test]
fn fractional_scales_keep_whole_units() {
    // Units of 3 and 7 px scale by 4/3 and 4/7: unit edges land on whole
    // output pixels, so the picture is exact there too.
    for unit in [3, 7] {
        let mut image = canvas(6 * unit + 11, 4 * unit, 0);
        draw_one(&mut image, 5, unit, unit, 255);
        check(&preprocess(&image).unwrap(), &ONE);
    }
}

#[test]
fn a_fine_checkerboard_averages_to_grey() {
    // 40×40 alternating pixels, halved: each output pixel averages 2×2
    // pixels, half ink, so anti-aliasing gives 127.5, rounded to 128.
    let image = Array2::from_shape_fn((48, 48), |(y, x)| {
        let inside = (4..44).contains(&y) && (4..44).contains(&x);
        if inside && (x + y) % 2 == 0 { 255 } else { 0 }
    });
    let digit = preprocess(&image).unwrap();
    let mut expect = Array2::<u8>::zeros((28, 28));
    expect.slice_mut(s![4..24, 4..24]).fill(128);
    assert_eq!(digit, expect, "\n{}", show(&digit));
}

#[test]
fn a_wide_digit_is_scaled_by_its_width() {
    // A 10×40 dash: the longer side is the width, so it becomes 5×20.
    let mut image = canvas(30, 60, 0);
    image.slice_mut(s![10..20, 5..45]).fill(200);
    let digit = preprocess(&image).unwrap();
    let mut expect = Array2::<u8>::zeros((28, 28));
    // Centre of mass (2, 9.5) moves to 13.5: shifts of 11.5 (rounded away
    // from zero to 12) and 4, so rows 12..17, columns 4..24.
    expect.slice_mut(s![12..17, 4..24]).fill(255);
    assert_eq!(digit, expect, "\n{}", show(&digit));
}

#[test]
fn faint_specks_are_not_ink() {
    // Paper grain a little lighter than the page (under an eighth of the
    // contrast) does not stretch the bounding box.
    let mut image = canvas(100, 80, 230);
    draw_one(&mut image, 40, 30, 4, 0);
    image[[2, 2]] = 255;
    image[[90, 70]] = 205;
    check(&preprocess(&image).unwrap(), &ONE);
}

#[test]
fn coloured_pixels_become_luma() {
    // Red ink on a pale yellow page, as RGB and as RGBA bytes.
    let (h, w) = (60, 50);
    let mut mask = canvas(h, w, 0);
    draw_one(&mut mask, 20, 10, 4, 1);
    let (ink, page) = ([200u8, 30, 30], [250u8, 240, 200]);
    let rgb: Vec<u8> = mask
        .iter()
        .flat_map(|&m| if m == 1 { ink } else { page })
        .collect();
    check(
        &preprocess(&from_raw_pixels(&rgb, w, h).unwrap()).unwrap(),
        &ONE,
    );
    let rgba: Vec<u8> = rgb
        .chunks(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    check(
        &preprocess(&from_raw_pixels(&rgba, w, h).unwrap()).unwrap(),
        &ONE,
    );
}

fn encode(image: &image::DynamicImage, format: image::ImageOutputFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

fn gray_image(a: &Array2<u8>) -> image::DynamicImage {
    let (h, w) = a.dim();
    let buf = image::GrayImage::from_fn(w as u32, h as u32, |x, y| {
        image::Luma([a[[y as usize, x as usize]]])
    });
    image::DynamicImage::ImageLuma8(buf)
}

#[test]
fn png_files_decode_to_the_same_digit() {
    let mut image = canvas(90, 70, 255);
    draw_one(&mut image, 30, 20, 8, 0);
    let png = encode(&gray_image(&image), image::ImageOutputFormat::Png);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.png");
    std::fs::write(&path, &png).unwrap();
    check(&preprocess(&open_image(&path).unwrap()).unwrap(), &ONE);
    check(&preprocess(&decode_image(&png).unwrap()).unwrap(), &ONE);
}

#[test]
fn transparent_pixels_are_white() {
    // Black strokes on a transparent canvas, as a browser might save them.
    let mut mask = canvas(64, 64, 0);
    draw_one(&mut mask, 12, 30, 8, 1);
    let rgba = image::RgbaImage::from_fn(64, 64, |x, y| {
        if mask[[y as usize, x as usize]] == 1 {
            image::Rgba([0, 0, 0, 255])
        } else {
            image::Rgba([0, 0, 0, 0])
        }
    });
    let png = encode(
        &image::DynamicImage::ImageRgba8(rgba),
        image::ImageOutputFormat::Png,
    );
    let gray = decode_image(&png).unwrap();
    assert_eq!((gray[[0, 0]], gray[[12, 40]]), (255, 0));
    check(&preprocess(&gray).unwrap(), &ONE);
}

#[test]
fn jpeg_files_decode_to_nearly_the_same_digit() {
    // JPEG is lossy: ringing around the edges moves a few grey levels, but
    // every pixel stays on its side of half-ink.
    let mut image = canvas(120, 100, 240);
    draw_one(&mut image, 20, 30, 12, 10);
    let jpeg = encode(&gray_image(&image), image::ImageOutputFormat::Jpeg(90));
    assert_eq!(&jpeg[..2], &[0xff, 0xd8]);
    let digit = preprocess(&decode_image(&jpeg).unwrap()).unwrap();
    let expect = picture(&ONE);
    let flipped = digit
        .iter()
        .zip(&expect)
        .filter(|&(&g, &e)| (g > 127) != (e > 127))
        .count();
    assert_eq!(flipped, 0, "\n{}", show(&digit));
    let worst = digit
        .iter()
        .zip(&expect)
        .map(|(&g, &e)| g.abs_diff(e))
        .max();
    assert!(worst < Some(64), "{worst:?}\n{}", show(&digit));
}

#[test]
fn blank_images_are_errors() {
    let cases = [
        ("white page", canvas(30, 30, 255)),
        ("black page", canvas(30, 30, 0)),
        ("mid grey", canvas(5, 80, 128)),
        (
            "faint noise",
            Array2::from_shape_fn((30, 30), |(y, x)| 200 + ((y * 7 + x * 13) % 21) as u8),
        ),
        ("empty", Array2::zeros((0, 10))),
    ];
    for (name, image) in cases {
        let err = preprocess(&image).unwrap_err();
        assert!(matches!(err, Error::BlankImage { .. }), "{name}: {err}");
        assert!(err.to_string().starts_with("the image is blank"), "{err}");
    }
}

#[test]
fn low_but_sufficient_contrast_is_ink() {
    // Pencil: 40 levels darker than the page is enough, stretched to 255.
    let mut image = canvas(50, 50, 200);
    draw_one(&mut image, 10, 10, 4, 160);
    check(&preprocess(&image).unwrap(), &ONE);
}

/// A PNG that claims `width`×`height` 8-bit gray pixels and holds a few
/// bytes of them.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0x00, 0x00]));
    png.extend(chunk(b"IEND", &[]));
    png
}

#[test]
fn absurd_dimensions_are_refused_from_the_header() {
    // 100000×100000 would be 10 GB decoded; the file is 57 bytes.
    let png = png_claiming(100_000, 100_000);
    assert!(png.len() < 100);
    let err = decode_image(&png).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ImageTooLarge { width: 100_000, height: 100_000, max_pixels, .. } if max_pixels == MAX_IMAGE_PIXELS
        ),
        "{err}"
    );
    // Just under the budget passes the check and fails later, on the data.
    let side = (MAX_IMAGE_PIXELS as f64).sqrt() as u32;
    let err = decode_image(&png_claiming(side, side)).unwrap_err();
    assert!(matches!(err, Error::ImageDecode { .. }), "{err}");
    // Raw pixels too, before their length is looked at.
    let err = from_raw_pixels(&[], 10_000, 5_000).unwrap_err();
    assert!(matches!(err, Error::ImageTooLarge { .. }), "{err}");
}

#[test]
fn unreadable_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("digit.png");
    std::fs::write(&text, "not a picture").unwrap();
    let err = open_image(&text).unwrap_err();
    assert!(matches!(err, Error::ImageDecode { .. }), "{err}");
    assert!(err.to_string().contains("digit.png"), "{err}");

    let mut image = canvas(30, 30, 0);
    draw_one(&mut image, 2, 2, 4, 255);
    let png = encode(&gray_image(&image), image::ImageOutputFormat::Png);
    let err = decode_image(&png[..png.len() / 2]).unwrap_err();
    assert!(matches!(err, Error::ImageDecode { .. }), "{err}");

    let err = open_image(dir.path().join("missing.jpg")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    let err = open_image(dir.path()).unwrap_err();
    assert!(
        matches!(err, Error::ImageDecode { .. } | Error::Io { .. }),
        "{err}"
    );

    let err = from_raw_pixels(&[0; 7], 2, 2).unwrap_err();
    assert!(matches!(err, Error::BadShape { .. }), "{err}");
    let err = from_raw_pixels(&[], 0, 3).unwrap_err();
    assert!(matches!(err, Error::BadShape { .. }), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any picture gives a 28×28 digit whose ink fits in 20×20, or a
    /// blank-image error; never a panic.
    #[test]
    fn any_picture_is_a_digit_or_blank(
        (h, w, pixels) in (1usize..40, 1usize..40).prop_flat_map(|(h, w)| {
            (Just(h), Just(w), proptest::collection::vec(any::<u8>(), h * w))
        })
    ) {
        let image = Array2::from_shape_vec((h, w), pixels).unwrap();
        match preprocess(&image) {
            Ok(digit) => {
                prop_assert_eq!(digit.dim(), (28, 28));
                let ink: Vec<(usize, usize)> = digit
                    .indexed_iter()
                    .filter(|&(_, &p)| p > 0)
                    .map(|(i, _)| i)
                    .collect();
                prop_assert!(!ink.is_empty());
                let rows = ink.iter().map(|p| p.0).max().unwrap() - ink.iter().map(|p| p.0).min().unwrap();
                let cols = ink.iter().map(|p| p.1).max().unwrap() - ink.iter().map(|p| p.1).min().unwrap();
                prop_assert!(rows < 20 && cols < 20, "{rows}×{cols}");
            }
            Err(e) => prop_assert!(matches!(e, Error::BlankImage { .. }), "{e}"),
        }
    }

    /// Decoding arbitrary bytes, or a PNG cut anywhere, never panics.
    #[test]
    fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), cut in 0usize..400) {
        let _ = decode_image(&bytes);
        let png = png_claiming(3, 3);
        let _ = decode_image(&png[..cut.min(png.len())]);
        let mut jpeg_ish = vec![0xff, 0xd8, 0xff];
        jpeg_ish.extend(&bytes);
        let _ = decode_image(&jpeg_ish);
    }
}
