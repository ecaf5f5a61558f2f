//! `nn predict`: classify your own handwriting, one image file of one digit.
//!
//! The picture goes through MNIST's own preparation
//! ([`mnist_data::preprocess`]) and then the network, like the book's
//! `neuralnet_mnist.py` does with a test image.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use mnist_data::preprocess::{open_image, preprocess};
use ndarray::{Array2, ArrayBase, Data, Ix2};
use nn_core::{Activation, Network, Output};
use serde::Serialize;

use crate::CliResult;
use crate::cmd::data_dir;

/// Classify a picture of one handwritten digit (PNG or JPEG).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The picture: PNG or JPEG, any size, colours or background, one digit.
    #[arg(long)]
    image: PathBuf,
    #[command(flatten)]
    weights: WeightsArgs,
    /// Print `{"class": k, "probabilities": [10 values]}` instead of the report.
    #[arg(long)]
    json: bool,
}

/// Which network to load; shared with `nn serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct WeightsArgs {
    /// Weights: a pickle of NumPy arrays (W1 b1 W2 b2 ...) or .safetensors
    /// [default: sample_weight.pkl in $NN_DATA_DIR, else in the platform cache dir].
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Hidden-layer activation of the network in the file.
    #[arg(long, value_enum, default_value_t = HiddenArg::Sigmoid)]
    activation: HiddenArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum HiddenArg {
    Sigmoid,
    Relu,
}

/// What `nn predict --json` prints.
#[derive(Debug, Serialize)]
struct Report<'a> {
    class: usize,
    probabilities: &'a [f32],
}

pub(crate) fn run(args: Args) -> CliResult {
    // The picture first: its errors are the likeliest, and quick to report.
    let digit = preprocess(&open_image(&args.image)?)
        .map_err(|e| format!("{}: {e}", args.image.display()))?;
    let classifier = Classifier::load(&args.weights)?;
    let prediction = classifier.classify_digit(digit)?;
    if args.json {
        let report = Report {
            class: prediction.class,
            probabilities: &prediction.probabilities,
        };
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    let mut out = String::new();
    if std::io::stdout().is_terminal() {
        out.push_str("what the network sees (28×28):\n");
        out.push_str(&render(&prediction.image));
    }
    out.push_str(&prediction.top_three(&args.image));
    print!("{out}");
    Ok(())
}

/// A network that takes 28×28 images, loaded once.
#[derive(Debug)]
pub(crate) struct Classifier {
    net: Network<f32>,
}

/// One classified picture.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prediction {
    /// The most probable digit.
    pub(crate) class: usize,
    /// The network's output, one value per class.
    pub(crate) probabilities: Vec<f32>,
    /// The preprocessed 28×28 image the network saw (ink 255 on black 0).
    pub(crate) image: Array2<u8>,
}

impl Classifier {
    /// Reads the weights (by default the book's, from the data directory).
    pub(crate) fn load(args: &WeightsArgs) -> CliResult<Self> {
        let path = match &args.weights {
            Some(p) => p.clone(),
            None => data_dir(None)?.join("sample_weight.pkl"),
        };
        let hidden = match args.activation {
            HiddenArg::Sigmoid => Activation::Sigmoid,
            HiddenArg::Relu => Activation::Relu,
        };
        let tensors = nn_core::io::read_tensors(&path).map_err(|e| weights_hint(e, &path))?;
        nn_core::io::check_finite(&tensors, &path)?;
        let net = Network::from_tensors(&tensors, hidden, Output::Softmax)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Self::new(net).map_err(|e| format!("{}: {e}", path.display()).into())
    }

    /// Checks that the network takes 784 = 28×28 inputs.
    pub(crate) fn new(net: Network<f32>) -> CliResult<Self> {
        let inputs = mnist_data::PIXELS;
        if net.input_size() != inputs {
            return Err(format!(
                "the network takes {} inputs, not {inputs} (28×28 pixels)",
                net.input_size()
            )
            .into());
        }
        Ok(Self { net })
    }

    /// Preprocesses a grayscale picture like MNIST and runs the network on
    /// it, pixels scaled to `[0, 1]` as in the book's `normalize=True`.
    pub(crate) fn classify<S: Data<Elem = u8>>(
        &self,
        gray: &ArrayBase<S, Ix2>,
    ) -> Result<Prediction, ClassifyError> {
        Ok(self.classify_digit(preprocess(gray)?)?)
    }

    /// Runs the network on a preprocessed 28×28 image.
    pub(crate) fn classify_digit(&self, image: Array2<u8>) -> Result<Prediction, nn_core::Error> {
        let x: ndarray::Array1<f32> = image.iter().map(|&p| f32::from(p) / 255.0).collect();
        let probabilities = self.net.predict(&x)?.to_vec();
        let class = nn_core::argmax(probabilities.iter().copied());
        Ok(Prediction {
            class,
            probabilities,
            image,
        })
    }
}

/// Why a picture could not be classified: the picture (the user's to fix) or
/// the network.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClassifyError {
    #[error(transparent)]
    Image(#[from] mnist_data::Error),
    #[error(transparent)]
    Network(#[from] nn_core::Error),
}

impl Prediction {
    /// The three most probable classes, best first: `(class, probability)`.
    pub(crate) fn ranked(&self) -> Vec<(usize, f32)> {
        let mut ranked: Vec<(usize, f32)> =
            self.probabilities.iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(3);
        ranked
    }

    /// The report: the verdict, then the top three with bars.
    fn top_three(&self, path: &Path) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{}: {}", path.display(), self.class);
        for (k, p) in self.ranked() {
            let bar = "█".repeat((p * 40.0).round() as usize);
            let _ = writeln!(s, "  {k}  {p:.4}  {bar}");
        }
        s
    }
}

/// The 28×28 image in a frame, two characters a pixel (as `nn show`).
fn render(image: &Array2<u8>) -> String {
    const SHADES: [char; 5] = [' ', '░', '▒', '▓', '█'];
    let border = format!("+{}+\n", "-".repeat(2 * image.ncols()));
    let mut out = border.clone();
    for row in image.rows() {
        out.push('|');
        for &p in row {
            let c = SHADES[(usize::from(p) * SHADES.len() / 256).min(SHADES.len() - 1)];
            out.push(c);
            out.push(c);
        }
        out.push_str("|\n");
    }
    out.push_str(&border);
    out
}

/// A missing weights file gets the command that fetches the book's.
fn weights_hint(e: nn_core::Error, path: &Path) -> Box<dyn std::error::Error + Send + Sync> {
    if path.exists() {
        return e.into();
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    format!(
        "{e} (the book's weights: `nn fetch --what weights --data-dir {}`)",
        dir.display()
    )
    .into()
}

#[cfg(test)]
pub(crate) mod tests {
    use ndarray::{Array1, s};

    use super::*;

    /// A 784-10 network that looks at where the ink is: class 1 for ink in
    /// the middle columns, class 0 for ink in the outer ones, 7 for the top
    /// rows. Sigmoid is unused (one layer), softmax makes probabilities.
    pub(crate) fn toy_classifier() -> Classifier {
        let mut w = Array2::<f32>::zeros((784, 10));
        for y in 0..28 {
            for x in 0..28 {
                let i = y * 28 + x;
                if (12..16).contains(&x) {
                    w[[i, 1]] = 0.1;
                } else {
                    w[[i, 0]] = 0.1;
                }
                if y < 8 {
                    w[[i, 7]] = 0.15;
                }
            }
        }
        let net = Network::new(
            vec![(w, Array1::zeros(10))],
            Activation::Sigmoid,
            Output::Softmax,
        )
        .unwrap();
        Classifier::new(net).unwrap()
    }

    /// A dark vertical stroke on a light page: a "1".
    pub(crate) fn one_on_paper() -> Array2<u8> {
        let mut page = Array2::from_elem((120, 90), 235u8);
        page.slice_mut(s![20..100, 40..52]).fill(15);
        page
    }

    #[test]
    fn a_stroke_is_a_one_for_the_toy_network() {
        let p = toy_classifier().classify(&one_on_paper()).unwrap();
        assert_eq!(p.class, 1);
        assert_eq!(p.probabilities.len(), 10);
        let sum: f32 = p.probabilities.iter().sum();
        assert!((sum - 1.0).abs() < 1e-5, "{sum}");
        assert_eq!(p.ranked()[0].0, 1);
        // The network saw the stroke 20 px tall, centred, bright on black.
        assert_eq!(p.image[[4, 13]], 255);
        assert_eq!(p.image[[0, 0]], 0);
    }

    #[test]
    fn ranked_is_best_first_and_ties_by_class() {
        let p = Prediction {
            class: 2,
            probabilities: vec![0.1, 0.1, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3],
            image: Array2::zeros((28, 28)),
        };
        assert_eq!(p.ranked(), vec![(2, 0.5), (9, 0.3), (0, 0.1)]);
        let text = p.top_three(Path::new("digit.png"));
        assert_eq!(
            text,
            format!(
                "digit.png: 2\n  2  0.5000  {}\n  9  0.3000  {}\n  0  0.1000  {}\n",
                "█".repeat(20),
                "█".repeat(12),
                "█".repeat(4)
            )
        );
    }

    #[test]
    fn blank_pictures_are_image_errors() {
        let err = toy_classifier()
            .classify(&Array2::from_elem((50, 50), 255u8))
            .unwrap_err();
        assert!(
            matches!(
                err,
                ClassifyError::Image(mnist_data::Error::BlankImage { .. })
            ),
            "{err}"
        );
    }

    #[test]
    fn networks_must_take_28_by_28() {
        let net = Network::new(
            vec![(Array2::<f32>::zeros((10, 3)), Array1::zeros(3))],
            Activation::Sigmoid,
            Output::Softmax,
        )
        .unwrap();
        let err = Classifier::new(net).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the network takes 10 inputs, not 784 (28×28 pixels)"
        );
    }

    #[test]
    fn missing_weights_say_how_to_fetch_them() {
        let dir = tempfile::tempdir().unwrap();
        let args = WeightsArgs {
            weights: Some(dir.path().join("sample_weight.pkl")),
            activation: HiddenArg::Sigmoid,
        };
        let err = Classifier::load(&args).unwrap_err().to_string();
        assert!(err.contains("nn fetch --what weights --data-dir"), "{err}");
    }

    #[test]
    fn weights_load_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("toy.safetensors");
        nn_core::io::write_tensors(&path, &toy_classifier().net.to_tensors()).unwrap();
        let args = WeightsArgs {
            weights: Some(path),
            activation: HiddenArg::Sigmoid,
        };
        let p = Classifier::load(&args)
            .unwrap()
            .classify(&one_on_paper())
            .unwrap();
        assert_eq!(p.class, 1);
    }

    #[test]
    fn the_picture_is_framed_two_characters_a_pixel() {
        let mut image = Array2::<u8>::zeros((28, 28));
        image[[0, 0]] = 255;
        image[[0, 1]] = 128;
        let text = render(&image);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 30);
        assert_eq!(lines[0], format!("+{}+", "-".repeat(56)));
        assert!(lines[1].starts_with("|██▒▒  "), "{}", lines[1]);
        assert!(lines.iter().all(|l| l.chars().count() == 58));
    }
}
