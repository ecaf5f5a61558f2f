//! `nn gradcheck`: the book's `gradient_check.py` (§5.7.3) — backpropagation
//! against central differences on the first images of the training set.

use std::path::PathBuf;
use std::time::Instant;

use clap::ValueEnum;
use mnist_data::Split;
use nn_core::Float;
use nn_grad::{GradientCheck, TwoLayerNet, gradient_check, py_repr};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;

use crate::CliResult;
use crate::cmd::data_dir;

/// Compare backpropagation with numerical gradients (gradient_check.py).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Args {
    /// Directory with the MNIST files [default: $NN_DATA_DIR, else the platform cache dir].
    #[arg(long)]
    pub(crate) data_dir: Option<PathBuf>,
    /// Number of training images (the book takes `x_train[:3]`).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub(crate) batch: u64,
    /// Hidden layer width of the TwoLayerNet.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) hidden: u64,
    /// Seed of the initial weights (0.01 × Gaussian).
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// `direct`: the book's numerical_gradient, two full forward passes per
    /// parameter; `fast`: the same differences from the network's structure.
    #[arg(long, value_enum, default_value_t = MethodArg::Direct)]
    pub(crate) method: MethodArg,
    /// Element type; f32 shows why gradient checks are done in f64.
    #[arg(long, value_enum, default_value_t = DtypeArg::F64)]
    pub(crate) dtype: DtypeArg,
    /// Print one JSON object instead of the book's lines.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum MethodArg {
    Direct,
    Fast,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DtypeArg {
    F32,
    F64,
}

/// The tolerance the check is held to in f64.
const TOLERANCE: f64 = 1e-6;

#[derive(Debug, Serialize)]
struct Report {
    /// `{"W1": diff, ...}` in the order W1, b1, W2, b2.
    diffs: Vec<(String, f64)>,
    max: f64,
    passes: bool,
    tolerance: f64,
    batch: usize,
    hidden: usize,
    seed: u64,
    method: MethodArg,
    dtype: DtypeArg,
    seconds: f64,
}

pub(crate) fn run(args: Args) -> CliResult {
    let (check, report) = match args.dtype {
        DtypeArg::F32 => run_typed::<f32>(&args)?,
        DtypeArg::F64 => run_typed::<f64>(&args)?,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", text(&check, &report));
    }
    Ok(())
}

fn run_typed<T: Float>(args: &Args) -> CliResult<(GradientCheck, Report)> {
    let dir = data_dir(args.data_dir.clone())?;
    let train = mnist_data::load_split(&dir, Split::Train)?;
    let batch = usize::try_from(args.batch)?.min(train.len());
    // x_train[:batch] as the book's normalize=True (float32 / 255.0).
    let x = train
        .images
        .slice(ndarray::s![..batch, ..])
        .mapv(|p| T::from_f32(f32::from(p) / 255.0).unwrap_or_else(T::nan));
    let t: Vec<usize> = train
        .labels
        .iter()
        .take(batch)
        .map(|&l| usize::from(l))
        .collect();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let net = TwoLayerNet::<T>::new(x.ncols(), usize::try_from(args.hidden)?, 10, 0.01, &mut rng)?;
    let start = Instant::now();
    let check = gradient_check(&net, &x, &t, args.method == MethodArg::Fast)?;
    let seconds = start.elapsed().as_secs_f64();
    let report = Report {
        max: check.max(),
        passes: check.passes(TOLERANCE),
        diffs: check.diffs.clone(),
        tolerance: TOLERANCE,
        batch,
        hidden: net.sizes()[1],
        seed: args.seed,
        method: args.method,
        dtype: args.dtype,
        seconds,
    };
    Ok((check, report))
}

/// The book's `print(key + ":" + str(diff))` lines, then a verdict.
fn text(check: &GradientCheck, r: &Report) -> String {
    let mut s = String::new();
    for (key, diff) in &check.diffs {
        s.push_str(&format!("{key}:{}\n", py_repr(*diff)));
    }
    s.push_str(&format!(
        "{}: largest mean difference {:.1e} {} {:.0e} ({} images, {} numerical gradient, {}, {:.2} s)\n",
        if r.passes { "ok" } else { "MISMATCH" },
        r.max,
        if r.passes { "<" } else { ">=" },
        r.tolerance,
        r.batch,
        match r.method {
            MethodArg::Direct => "direct",
            MethodArg::Fast => "fast",
        },
        match r.dtype {
            DtypeArg::F32 => "float32",
            DtypeArg::F64 => "float64",
        },
        r.seconds
    ));
    s
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::cmd::train::tests::write_fake_mnist;

    fn check(dir: &std::path::Path, extra: &[&str]) -> (GradientCheck, Report) {
        let mut argv = vec!["--data-dir", dir.to_str().unwrap()];
        argv.extend(extra);
        let args: Args = crate::cmd::testing::parse(&argv).unwrap();
        match args.dtype {
            DtypeArg::F32 => run_typed::<f32>(&args),
            DtypeArg::F64 => run_typed::<f64>(&args),
        }
        .unwrap()
    }

    #[test]
    fn the_books_check_passes_in_f64() {
        let dir = tempfile::tempdir().unwrap();
        write_fake_mnist(dir.path(), 20, 5);
        // The book's network and batch of 3 (hidden layer narrowed to keep
        // the direct method quick in a debug build).
        let (direct, report) = check(dir.path(), &["--hidden", "10"]);
        let lines = text(&direct, &report);
        let keys: Vec<&str> = lines
            .lines()
            .take(4)
            .map(|l| l.split(':').next().unwrap())
            .collect();
        assert_eq!(keys, ["W1", "b1", "W2", "b2"]);
        assert!(
            lines
                .lines()
                .nth(4)
                .unwrap()
                .starts_with("ok: largest mean difference"),
            "{lines}"
        );
        assert!(report.passes && report.max < 1e-6, "{report:?}");
        assert_eq!((report.batch, report.hidden), (3, 10));
        // The fast method computes the same differences.
        let (fast, _) = check(dir.path(), &["--hidden", "10", "--method", "fast"]);
        for ((k, a), (_, b)) in direct.diffs.iter().zip(&fast.diffs) {
            assert!((a - b).abs() < 1e-9, "{k}: {a} vs {b}");
        }
    }

    #[test]
    fn float32_is_too_coarse_for_central_differences() {
        let dir = tempfile::tempdir().unwrap();
        write_fake_mnist(dir.path(), 20, 5);
        let (_, f32_report) = check(
            dir.path(),
            &["--hidden", "10", "--dtype", "f32", "--method", "fast"],
        );
        let (_, f64_report) = check(dir.path(), &["--hidden", "10", "--method", "fast"]);
        assert!(
            f32_report.max > 100.0 * f64_report.max,
            "{f32_report:?} {f64_report:?}"
        );
    }
}
