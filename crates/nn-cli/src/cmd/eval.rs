//! `nn eval`: the book's `neuralnet_mnist.py` / `neuralnet_mnist_batch.py`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::ValueEnum;
use mnist_data::{PIXELS, Split, normalize_pixel};
use nn_core::{Activation, Float, Network, Output};
use serde::Serialize;

use crate::CliResult;
use crate::cmd::data_dir;

/// Evaluate a network on the MNIST test set (the book's Accuracy:0.9352).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Weights: a pickle of NumPy arrays (W1 b1 W2 b2 ...) or .safetensors.
    #[arg(long)]
    weights: PathBuf,
    /// Directory with the MNIST files [default: $NN_DATA_DIR, else the platform cache dir].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Images per forward pass; 1 is the book's one-image-at-a-time loop.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    batch_size: u64,
    /// Element type of the computation (the book uses float32).
    #[arg(long, value_enum, default_value_t = Dtype::F32)]
    dtype: Dtype,
    /// Hidden-layer activation of the network in the file.
    #[arg(long, value_enum, default_value_t = HiddenArg::Sigmoid)]
    activation: HiddenArg,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Dtype {
    F32,
    F64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum HiddenArg {
    Sigmoid,
    Relu,
}

/// What `nn eval --json` prints.
#[derive(Debug, Serialize)]
struct Report {
    accuracy: f64,
    correct: usize,
    total: usize,
    batch_size: usize,
    dtype: &'static str,
    /// Layer widths, input first.
    sizes: Vec<usize>,
    /// `per_class[k]` = [correct, total] for label k.
    per_class: Vec<[usize; 2]>,
    /// `confusion[label][predicted]`.
    confusion: Vec<Vec<usize>>,
    /// Indices of the misclassified test images, in order.
    misclassified: Vec<usize>,
    seconds: f64,
    images_per_second: f64,
}

pub(crate) fn run(args: Args) -> CliResult {
    let dir = data_dir(args.data_dir.clone())?;
    // At least 1 (clap checks).
    let batch = usize::try_from(args.batch_size)?;
    // Blocks of whole batches, about 1000 images: the first ones are
    // classified while the rest are still being decompressed.
    let rows = BLOCK_ROWS.div_ceil(batch) * batch;
    let (blocks, labels) = mnist_data::load_split_chunked(&dir, Split::Test, rows)?;
    let hidden = match args.activation {
        HiddenArg::Sigmoid => Activation::Sigmoid,
        HiddenArg::Relu => Activation::Relu,
    };
    let tensors =
        nn_core::io::read_tensors(&args.weights).map_err(|e| weights_hint(e, &args.weights))?;
    // NaN weights would make every prediction class 0: refuse them.
    nn_core::io::check_finite(&tensors, &args.weights)?;
    // The raw pixels go in; each is normalised as it is read, the same f32
    // as `load_mnist(normalize=True)` gives (then widened for f64).
    let (classes, elapsed, sizes) = match args.dtype {
        Dtype::F32 => classify(
            &tensors,
            &args.weights,
            hidden,
            blocks,
            batch,
            normalize_pixel,
        )?,
        Dtype::F64 => classify(&tensors, &args.weights, hidden, blocks, batch, |p| {
            f64::from(normalize_pixel(p))
        })?,
    };
    let labels: Vec<usize> = labels.iter().map(|&l| usize::from(l)).collect();
    let report = Report::new(&classes, &labels, batch, args.dtype, sizes, elapsed);
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(())
}

/// Images per block handed from the decompressing thread to the network
/// (rounded up to whole batches).
const BLOCK_ROWS: usize = 1000;

/// The classes of every image of `blocks`, and the time spent classifying:
/// this thread decompresses, another one (with the network's own threads)
/// classifies each block as it arrives. Rows are independent, so the
/// classes are those of one pass over the whole set.
fn classify<T: Float>(
    tensors: &nn_core::io::Tensors,
    path: &std::path::Path,
    hidden: Activation,
    blocks: mnist_data::ImageChunks,
    batch: usize,
    input: impl Fn(u8) -> T + Sync,
) -> CliResult<(Vec<usize>, Duration, Vec<usize>)> {
    let net: Network<T> = Network::from_tensors(tensors, hidden, Output::Softmax)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if net.input_size() != PIXELS {
        return Err(format!(
            "{}: the network takes {} inputs, but MNIST images have {PIXELS} pixels",
            path.display(),
            net.input_size(),
        )
        .into());
    }
    let net = &net;
    let (classes, busy) = blocks.consume_on_thread(|blocks| {
        let mut classes = Vec::new();
        let mut busy = Duration::ZERO;
        for block in blocks {
            let start = Instant::now();
            classes.extend(net.predict_classes_u8(&block, &input, batch)?);
            busy += start.elapsed();
        }
        Ok::<_, nn_core::Error>((classes, busy))
    })??;
    Ok((classes, busy, net.sizes()))
}

/// A missing weights file gets the command that fetches the book's.
fn weights_hint(
    e: nn_core::Error,
    path: &std::path::Path,
) -> Box<dyn std::error::Error + Send + Sync> {
    if path.exists() {
        e.into()
    } else {
        format!(
            "{e} (the book's weights: `nn fetch --what weights --data-dir {}`)",
            path.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."))
                .display()
        )
        .into()
    }
}

impl Report {
    fn new(
        classes: &[usize],
        labels: &[usize],
        batch_size: usize,
        dtype: Dtype,
        sizes: Vec<usize>,
        elapsed: Duration,
    ) -> Self {
        let n_classes = sizes
            .last()
            .copied()
            .unwrap_or(10)
            .max(labels.iter().max().map_or(0, |m| m + 1));
        let mut confusion = vec![vec![0usize; n_classes]; n_classes];
        let mut misclassified = Vec::new();
        for (i, (&c, &l)) in classes.iter().zip(labels).enumerate() {
            confusion[l][c] += 1;
            if c != l {
                misclassified.push(i);
            }
        }
        let per_class: Vec<[usize; 2]> = confusion
            .iter()
            .enumerate()
            .map(|(k, row)| [row[k], row.iter().sum()])
            .collect();
        let correct = per_class.iter().map(|c| c[0]).sum();
        let total = labels.len();
        let seconds = elapsed.as_secs_f64();
        Report {
            accuracy: nn_core::Accuracy { correct, total }.ratio(),
            correct,
            total,
            batch_size,
            dtype: match dtype {
                Dtype::F32 => "float32",
                Dtype::F64 => "float64",
            },
            sizes,
            per_class,
            confusion,
            misclassified,
            seconds,
            images_per_second: if seconds > 0.0 {
                total as f64 / seconds
            } else {
                0.0
            },
        }
    }

    /// The human report: the book's line first, then what a learner wants next.
    fn text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let acc = nn_core::Accuracy {
            correct: self.correct,
            total: self.total,
        };
        let sizes: Vec<String> = self.sizes.iter().map(ToString::to_string).collect();
        let _ = writeln!(s, "Accuracy:{acc}");
        let _ = writeln!(
            s,
            "correct: {} / {} (network {}, {}, batch size {})",
            self.correct,
            self.total,
            sizes.join("-"),
            self.dtype,
            self.batch_size
        );
        let _ = writeln!(s, "per class:");
        for (k, [c, t]) in self.per_class.iter().enumerate() {
            let r = if *t == 0 { 0.0 } else { *c as f64 / *t as f64 };
            let _ = writeln!(s, "  {k}: {r:.4} ({c}/{t})");
        }
        let _ = writeln!(s, "confusion matrix (rows: label, columns: predicted):");
        let _ = write!(s, "     ");
        for k in 0..self.confusion.len() {
            let _ = write!(s, "{k:>6}");
        }
        let _ = writeln!(s);
        for (k, row) in self.confusion.iter().enumerate() {
            let _ = write!(s, "  {k:>3}");
            for v in row {
                let _ = write!(s, "{v:>6}");
            }
            let _ = writeln!(s);
        }
        let first: Vec<String> = self
            .misclassified
            .iter()
            .take(10)
            .map(ToString::to_string)
            .collect();
        let _ = writeln!(
            s,
            "misclassified: {} (first: {})",
            self.misclassified.len(),
            first.join(", ")
        );
        let _ = writeln!(
            s,
            "speed: {} images in {:.1} ms ({:.0} images/s)",
            self.total,
            self.seconds * 1e3,
            self.images_per_second
        );
        s
    }
}
