//! `nn predict` on digits rendered here from the bundled DejaVu Sans, in
//! varied sizes, colours and formats, with the book's `sample_weight.pkl`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ab_glyph::{Font, FontRef, PxScale, point};
use image::{ImageOutputFormat, Rgb, RgbImage};

/// How one picture is drawn: glyph height in px, ink, paper, margin, format.
struct Style {
    px: f32,
    ink: [u8; 3],
    paper: [u8; 3],
    margin: u32,
    jpeg: bool,
}

const fn style(px: f32, ink: [u8; 3], paper: [u8; 3], margin: u32, jpeg: bool) -> Style {
    Style {
        px,
        ink,
        paper,
        margin,
        jpeg,
    }
}

/// Ten ways to put a digit on a page: from 32 px to 200 px, dark on light
/// and light on dark, grey, coloured, PNG and JPEG.
const STYLES: [Style; 10] = [
    style(48.0, [0, 0, 0], [255, 255, 255], 10, false),
    style(120.0, [255, 255, 255], [0, 0, 0], 30, false),
    style(200.0, [20, 30, 120], [250, 245, 200], 60, true),
    style(32.0, [200, 20, 20], [255, 255, 255], 6, false),
    style(90.0, [240, 240, 240], [20, 80, 40], 25, true),
    style(64.0, [0, 0, 0], [210, 210, 210], 40, false),
    style(150.0, [250, 220, 40], [10, 20, 70], 15, false),
    style(40.0, [90, 90, 90], [255, 255, 255], 12, true),
    style(110.0, [0, 0, 0], [255, 255, 255], 3, false),
    style(72.0, [255, 255, 255], [100, 40, 140], 20, false),
];

fn font_bytes() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/nn-cli/assets/DejaVuSans.ttf");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The digit `c` drawn in `style`, anti-aliased: glyph coverage blends ink
/// over paper.
fn render(font: &FontRef<'_>, c: char, style: &Style) -> RgbImage {
    // Scale so that the digit's height (about 0.73 em in DejaVu Sans) is
    // `style.px`.
    let scale = PxScale::from(style.px / 0.73);
    let glyph = font
        .glyph_id(c)
        .with_scale_and_position(scale, point(0.0, 0.0));
    let outline = font.outline_glyph(glyph).expect("digits have outlines");
    let bounds = outline.px_bounds();
    let (w, h) = (bounds.width().ceil() as u32, bounds.height().ceil() as u32);
    let m = style.margin;
    let mut image = RgbImage::from_pixel(w + 2 * m + m / 2, h + 2 * m, Rgb(style.paper));
    outline.draw(|x, y, coverage| {
        let blend = |i: usize| {
            let (ink, paper) = (f32::from(style.ink[i]), f32::from(style.paper[i]));
            (paper + (ink - paper) * coverage).round().clamp(0.0, 255.0) as u8
        };
        image.put_pixel(x + m, y + m, Rgb([blend(0), blend(1), blend(2)]));
    });
    image
}

fn write(image: &RgbImage, dir: &Path, name: &str, jpeg: bool) -> PathBuf {
    let (ext, format) = if jpeg {
        ("jpg", ImageOutputFormat::Jpeg(85))
    } else {
        ("png", ImageOutputFormat::Png)
    };
    let path = dir.join(format!("{name}.{ext}"));
    let mut file = std::fs::File::create(&path).unwrap();
    image.write_to(&mut file, format).unwrap();
    path
}

fn nn(bin: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .output()
        .expect("the nn binary runs")
}

/// `nn predict --json`: the class and the probabilities.
fn predict(bin: &Path, weights: &Path, image: &Path) -> (usize, Vec<f64>) {
    let out = nn(
        bin,
        &[
            "predict",
            "--json",
            "--weights",
            weights.to_str().unwrap(),
            "--image",
            image.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}: {}",
        image.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let class = v["class"].as_u64().unwrap() as usize;
    let p: Vec<f64> = v["probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    (class, p)
}

#[test]
fn font_digits_are_recognised() {
    let (Some(data), Some(bin)) = (e2e::data_dir(), e2e::nn_bin()) else {
        return;
    };
    let weights = data.join("sample_weight.pkl");
    let font_data = font_bytes();
    let font = FontRef::try_from_slice(&font_data).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Digit d in style d: the "8 of 10".
    let mut correct = 0;
    let mut lines = Vec::new();
    for d in 0..10u8 {
        let style = &STYLES[usize::from(d)];
        let c = char::from(b'0' + d);
        let path = write(
            &render(&font, c, style),
            dir.path(),
            &format!("digit-{d}"),
            style.jpeg,
        );
        let (class, p) = predict(&bin, &weights, &path);
        assert_eq!(p.len(), 10);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-4, "{p:?}");
        correct += usize::from(class == usize::from(d));
        lines.push(format!(
            "  {d} ({} px, {}): {class} ({:.3})",
            style.px,
            if style.jpeg { "jpeg" } else { "png" },
            p[class]
        ));
    }
    eprintln!(
        "font digits through nn predict: {correct}/10\n{}",
        lines.join("\n")
    );
    assert!(correct >= 8, "only {correct}/10 font digits recognised");
}

#[test]
fn font_digits_in_every_style() {
    // Every digit in every style: 100 pictures. Preprocessing should make
    // the style irrelevant: each digit gets the same verdict in (nearly)
    // every style; and 80 % are right, as above.
    let (Some(data), Some(bin)) = (e2e::data_dir(), e2e::nn_bin()) else {
        return;
    };
    let weights = data.join("sample_weight.pkl");
    let font_data = font_bytes();
    let font = FontRef::try_from_slice(&font_data).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut per_digit = [0usize; 10];
    let mut verdicts = [[0usize; 10]; 10];
    let mut confusions = Vec::new();
    for (s, style) in STYLES.iter().enumerate() {
        for d in 0..10u8 {
            let image = render(&font, char::from(b'0' + d), style);
            let path = write(&image, dir.path(), &format!("s{s}-d{d}"), style.jpeg);
            let (class, _) = predict(&bin, &weights, &path);
            verdicts[usize::from(d)][class] += 1;
            if class == usize::from(d) {
                per_digit[usize::from(d)] += 1;
            } else {
                confusions.push(format!("{d}→{class} (style {s})"));
            }
        }
    }
    let total: usize = per_digit.iter().sum();
    eprintln!(
        "font digits in 10 styles: {total}/100; per digit {per_digit:?}; wrong: {}",
        confusions.join(", ")
    );
    assert!(total >= 80, "only {total}/100");
    for (d, v) in verdicts.iter().enumerate() {
        let agree = v.iter().max().copied().unwrap_or(0);
        assert!(
            agree >= 9,
            "digit {d}: verdicts by class {v:?} depend on the style"
        );
    }
}

#[test]
fn bad_pictures_are_one_line_errors() {
    let Some(bin) = e2e::nn_bin() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let blank = dir.path().join("blank.png");
    RgbImage::from_pixel(50, 40, Rgb([255, 255, 255]))
        .save(&blank)
        .unwrap();
    let text = dir.path().join("notes.jpg");
    std::fs::write(&text, "not a picture").unwrap();
    let missing = dir.path().join("missing.png");
    for (path, words) in [
        (&blank, "the image is blank"),
        (&text, "cannot decode"),
        (&missing, "cannot access"),
    ] {
        let out = nn(
            &bin,
            &[
                "predict",
                "--image",
                path.to_str().unwrap(),
                "--weights",
                "none.pkl",
            ],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(err.starts_with("error: ") && err.contains(words), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
