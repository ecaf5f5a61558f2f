//! `nn show`: the book's `mnist_show.py`, drawing the digit in the terminal
//! instead of a window.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::ValueEnum;
use mnist_data::Split;
use ndarray::ArrayView2;

use crate::CliResult;
use crate::cmd::data_dir;

/// Draw one MNIST image in the terminal, with its label.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Directory with the MNIST files [default: $NN_DATA_DIR, else the platform cache dir].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Which split.
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    split: SplitArg,
    /// Index of the image in the split (0 is the book's first image).
    #[arg(long)]
    index: usize,
    /// Plain ASCII shades instead of Unicode blocks.
    #[arg(long)]
    ascii: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SplitArg {
    /// the 10000 test images (t10k).
    Test,
    /// the 60000 training images.
    Train,
}

pub(crate) fn run(args: Args) -> CliResult {
    let dir = data_dir(args.data_dir)?;
    let split = match args.split {
        SplitArg::Test => Split::Test,
        SplitArg::Train => Split::Train,
    };
    let data = mnist_data::load_split(&dir, split)?;
    let (image, label) = data.image(args.index)?;
    let shades = if args.ascii { ASCII } else { UNICODE };
    println!(
        "label {label} ({} image {} of {})",
        split.name(),
        args.index,
        data.len()
    );
    print!("{}", render(image, shades));
    Ok(())
}

/// Darkest to brightest; each pixel is drawn two characters wide so that the
/// digit keeps its proportions.
const UNICODE: &[char] = &[' ', '░', '▒', '▓', '█'];
const ASCII: &[char] = &[' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];

/// The shade of pixel value `p` (0–255) among `shades`.
fn shade(p: u8, shades: &[char]) -> char {
    let i = usize::from(p) * shades.len() / 256;
    shades[i.min(shades.len() - 1)]
}

/// The image in a frame, one text line per pixel row.
fn render(image: ArrayView2<'_, u8>, shades: &[char]) -> String {
    let border = format!("+{}+\n", "-".repeat(2 * image.ncols()));
    let mut out = border.clone();
    for row in image.rows() {
        out.push('|');
        for &p in row {
            let c = shade(p, shades);
            out.push(c);
            out.push(c);
        }
        out.push_str("|\n");
    }
    let _ = write!(out, "{border}");
    out
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;

    #[track_caller]
    fn check(p: u8, shades: &[char], expect: char) {
        assert_eq!(shade(p, shades), expect, "pixel {p}");
    }

    #[test]
    fn shades_cover_the_range() {
        check(0, UNICODE, ' ');
        check(50, UNICODE, ' ');
        check(52, UNICODE, '░');
        check(128, UNICODE, '▒');
        check(200, UNICODE, '▓');
        check(255, UNICODE, '█');
        check(0, ASCII, ' ');
        check(26, ASCII, '.');
        check(255, ASCII, '@');
    }

    #[test]
    fn renders_a_framed_picture() {
        // A 3×4 image: a bright diagonal on black, one grey pixel.
        let mut image = Array2::<u8>::zeros((3, 4));
        image[[0, 0]] = 255;
        image[[1, 1]] = 255;
        image[[2, 2]] = 255;
        image[[2, 3]] = 128;
        let expect = "\
+--------+
|@@      |
|  @@    |
|    @@++|
+--------+
";
        assert_eq!(render(image.view(), ASCII), expect);
    }
}
