//! `nn train`: the book's `train_neuralnet.py` (§4.5), with its data lessons
//! (training-set size, validation split, batch size) and beyond-the-book
//! options (ReLU, He init, deeper networks, momentum, Adam).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use mnist_data::Split;
use nn_core::{Activation, Float, Output};
use nn_grad::{
    Dataset, EpochRecord, GradientMethod, History, Init, Inputs, Metrics, Mlp, Optimizer, Progress,
    Targets, TrainConfig, TrainSets,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;

use crate::CliResult;
use crate::cmd::data_dir;

/// Train a network on MNIST with mini-batch gradient descent
/// (train_neuralnet.py).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Args {
    /// Directory with the MNIST files [default: $NN_DATA_DIR, else the platform cache dir].
    #[arg(long)]
    pub(crate) data_dir: Option<PathBuf>,
    /// Number of updates (iters_num).
    #[arg(long, default_value_t = 10_000)]
    pub(crate) iters: usize,
    /// Images per mini-batch, drawn with replacement.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) batch_size: u64,
    /// Learning rate.
    #[arg(long, default_value_t = 0.1)]
    pub(crate) lr: f64,
    /// Hidden layer widths; several (`--hidden 100,50`) make a deeper network.
    #[arg(long, value_delimiter = ',', default_value = "50", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) hidden: Vec<u64>,
    /// Seed of the random generator (weights and mini-batches).
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// How gradients are computed. `numerical` really trains with central
    /// differences, computed from the network's structure (about 0.1 s per
    /// iteration for the book network in f64, against NumPy's 30 s: still
    /// slow, use few iterations); `numerical-direct` is the book's code,
    /// two full forward passes per parameter (~10 s per iteration), for
    /// tiny networks.
    #[arg(long, value_enum, default_value_t = GradArg::Backprop)]
    pub(crate) grad: GradArg,
    /// Hidden activation.
    #[arg(long, value_enum, default_value_t = ActivationArg::Sigmoid)]
    pub(crate) activation: ActivationArg,
    /// Weight initialisation: `std` (the book's 0.01 × Gaussian, see
    /// --weight-init-std), `he` (sqrt(2/n), for ReLU) or `xavier` (sqrt(1/n)).
    #[arg(long, value_enum, default_value_t = InitArg::Std)]
    pub(crate) init: InitArg,
    /// Standard deviation of the initial weights with `--init std`.
    #[arg(long, default_value_t = 0.01)]
    pub(crate) weight_init_std: f64,
    /// Update rule.
    #[arg(long, value_enum, default_value_t = OptimizerArg::Sgd)]
    pub(crate) optimizer: OptimizerArg,
    /// Element type. f32 reaches the same accuracy as f64 in about 30 % less
    /// time; numerical gradients want f64.
    #[arg(long, value_enum, default_value_t = DtypeArg::F32)]
    pub(crate) dtype: DtypeArg,
    /// Train on the first N training images only (300 shows overfitting).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) train_size: Option<u64>,
    /// Hold out this fraction of the training images (shuffled by the seed)
    /// and report validation accuracy each epoch.
    #[arg(long)]
    pub(crate) validation: Option<f64>,
    /// Save the trained weights (W1 b1 W2 b2 …): .pkl (NumPy pickle) or .safetensors.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Write the loss of every iteration and the accuracies of every epoch as CSV.
    #[arg(long)]
    pub(crate) log: Option<PathBuf>,
    /// Draw accuracy per epoch and loss per iteration: .png or .svg.
    #[arg(long)]
    pub(crate) plot: Option<PathBuf>,
    /// Print one JSON object at the end instead of the report.
    #[arg(long)]
    pub(crate) json: bool,
    /// No progress bar.
    #[arg(long)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum GradArg {
    Backprop,
    Numerical,
    NumericalDirect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ActivationArg {
    Sigmoid,
    Relu,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum InitArg {
    Std,
    He,
    Xavier,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum OptimizerArg {
    Sgd,
    Momentum,
    Adagrad,
    Adam,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DtypeArg {
    F32,
    F64,
}

/// What `--json` prints: everything but the timings is the same for the
/// same arguments.
#[derive(Debug, Serialize)]
struct Report {
    config: ConfigReport,
    train_acc: Option<f64>,
    validation_acc: Option<f64>,
    test_acc: Option<f64>,
    train_loss: f64,
    validation_loss: Option<f64>,
    test_loss: Option<f64>,
    iterations: usize,
    iter_per_epoch: usize,
    epochs: Vec<EpochReport>,
    /// Mean mini-batch loss of the first and last epoch (see `mean_loss`).
    first_epoch_loss: f64,
    last_epoch_loss: f64,
    seconds: f64,
    seconds_loading: f64,
    seconds_training: f64,
}

#[derive(Debug, Serialize)]
struct ConfigReport {
    sizes: Vec<usize>,
    activation: ActivationArg,
    init: String,
    optimizer: String,
    grad: GradArg,
    dtype: DtypeArg,
    batch_size: usize,
    seed: u64,
    train_size: usize,
    validation_size: Option<usize>,
    test_size: usize,
    out: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct EpochReport {
    epoch: usize,
    iteration: usize,
    train_acc: Option<f64>,
    validation_acc: Option<f64>,
    test_acc: Option<f64>,
    train_loss: f64,
    validation_loss: Option<f64>,
    test_loss: Option<f64>,
}

impl From<&EpochRecord> for EpochReport {
    fn from(r: &EpochRecord) -> Self {
        Self {
            epoch: r.epoch,
            iteration: r.iteration,
            train_acc: r.train.accuracy,
            validation_acc: r.validation.and_then(|m| m.accuracy),
            test_acc: r.test.and_then(|m| m.accuracy),
            train_loss: r.train.loss,
            validation_loss: r.validation.map(|m| m.loss),
            test_loss: r.test.map(|m| m.loss),
        }
    }
}

pub(crate) fn run(args: Args) -> CliResult {
    let mut print = |line: &str| println!("{line}");
    let report = match args.dtype {
        DtypeArg::F32 => run_typed::<f32>(&args, &mut print)?,
        DtypeArg::F64 => run_typed::<f64>(&args, &mut print)?,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    }
    Ok(())
}

/// Train as `args` say; the report lines (unless `--json`) go to `say`.
fn run_typed<T: Float>(args: &Args, say: &mut dyn FnMut(&str)) -> CliResult<Report> {
    let start = Instant::now();
    if let Some(f) = args.validation
        && !(f > 0.0 && f < 1.0)
    {
        return Err(format!("--validation must be between 0 and 1, got {f}").into());
    }
    // Check the output paths before spending minutes on training.
    if let Some(out) = &args.out {
        nn_core::io::Format::from_path(out)?;
    }
    if let Some(plot) = &args.plot {
        crate::plotting::Format::from_path(plot)?;
    }

    let dir = data_dir(args.data_dir.clone())?;
    let train_split = mnist_data::load_split(&dir, Split::Train)?;
    let test_split = mnist_data::load_split(&dir, Split::Test)?;
    let train_labels: Vec<usize> = train_split.labels.iter().map(|&l| usize::from(l)).collect();
    let test_labels: Vec<usize> = test_split.labels.iter().map(|&l| usize::from(l)).collect();
    let train_all = Dataset::new(
        Inputs::<T>::pixels(train_split.images.view()),
        Targets::from(&train_labels),
    )?;
    let test = Dataset::new(
        Inputs::<T>::pixels(test_split.images.view()),
        Targets::from(&test_labels),
    )?;
    let mut train = match args.train_size {
        Some(n) => train_all.head(usize::try_from(n)?)?,
        None => train_all,
    };
    let mut validation = None;
    if let Some(f) = args.validation {
        let (t, v) = train.split_validation(f, args.seed)?;
        train = t;
        validation = Some(v);
    }
    let loaded = start.elapsed();

    let mut sizes = vec![train.input_size()];
    for &h in &args.hidden {
        sizes.push(usize::try_from(h)?);
    }
    sizes.push(10);
    let activation = match args.activation {
        ActivationArg::Sigmoid => Activation::Sigmoid,
        ActivationArg::Relu => Activation::Relu,
    };
    let init = match args.init {
        InitArg::Std => Init::Std(args.weight_init_std),
        InitArg::He => Init::He,
        InitArg::Xavier => Init::Xavier,
    };
    let optimizer = match args.optimizer {
        OptimizerArg::Sgd => Optimizer::Sgd { lr: args.lr },
        OptimizerArg::Momentum => Optimizer::momentum(args.lr),
        OptimizerArg::Adagrad => Optimizer::AdaGrad { lr: args.lr },
        OptimizerArg::Adam => Optimizer::adam(args.lr),
    };
    let config = TrainConfig {
        iters: args.iters,
        batch_size: usize::try_from(args.batch_size)?,
        optimizer,
        gradient: match args.grad {
            GradArg::Backprop => GradientMethod::Backprop,
            GradArg::Numerical => GradientMethod::Numerical,
            GradArg::NumericalDirect => GradientMethod::NumericalDirect,
        },
        ..TrainConfig::default()
    };
    // One generator for the initial weights and then the mini-batches, as
    // the book's np.random.seed(0) does.
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut net = Mlp::<T>::new(&sizes, activation, Output::Softmax, init, &mut rng)?;

    let sets = TrainSets {
        train,
        validation,
        test: Some(test),
    };
    let bar = progress_bar(args);
    let text = !args.json;
    if args.grad != GradArg::Backprop && args.dtype == DtypeArg::F32 {
        eprintln!(
            "note: central differences keep only 2-3 digits in float32; --dtype f64 follows backprop"
        );
    }
    if text {
        say(&format!(
            "training {} ({}, {}, {}) on {} images, {} iterations of batch {}{}",
            sizes_text(&sizes),
            args.activation
                .to_possible_value()
                .map_or_else(String::new, |v| v.get_name().to_owned()),
            optimizer,
            T::DTYPE,
            sets.train.len(),
            config.iters,
            config.batch_size,
            sets.validation
                .as_ref()
                .map_or_else(String::new, |v| format!(
                    ", {} held out for validation",
                    v.len()
                )),
        ));
    }
    let train_start = Instant::now();
    let history = nn_grad::train(&mut net, &sets, &config, &mut rng, |p| match p {
        Progress::Iteration { iteration, loss } => {
            bar.set_position(iteration as u64);
            if iteration % 50 == 0 || iteration == config.iters {
                bar.set_message(format!("loss {loss:.4}"));
            }
        }
        // Printed above the progress bar (which is on stderr).
        Progress::Epoch(r) if text => bar.suspend(|| say(&epoch_line(r))),
        _ => {}
    })?;
    let trained = train_start.elapsed();
    bar.finish_and_clear();

    if let Some(out) = &args.out {
        nn_core::io::write_tensors(out, &net.to_network().to_tensors())?;
    }
    if let Some(log) = &args.log {
        write_atomic(log, csv(&history).as_bytes())?;
    }
    if let Some(plot) = &args.plot {
        let title = format!(
            "{} {}, {} images, batch {}, {}",
            sizes_text(&sizes),
            args.activation
                .to_possible_value()
                .map_or_else(String::new, |v| v.get_name().to_owned()),
            sets.train.len(),
            config.batch_size,
            optimizer
        );
        plot::save(&history, &title, plot)?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let last = &history.last;
    let report = Report {
        config: ConfigReport {
            sizes: sizes.clone(),
            activation: args.activation,
            init: format!("{init:?}"),
            optimizer: optimizer.to_string(),
            grad: args.grad,
            dtype: args.dtype,
            batch_size: config.batch_size,
            seed: args.seed,
            train_size: sets.train.len(),
            validation_size: sets.validation.as_ref().map(Dataset::len),
            test_size: sets.test.as_ref().map_or(0, Dataset::len),
            out: args.out.clone(),
        },
        train_acc: last.train.accuracy,
        validation_acc: last.validation.and_then(|m| m.accuracy),
        test_acc: last.test.and_then(|m| m.accuracy),
        train_loss: last.train.loss,
        validation_loss: last.validation.map(|m| m.loss),
        test_loss: last.test.map(|m| m.loss),
        iterations: config.iters,
        iter_per_epoch: history.iter_per_epoch,
        epochs: history.epochs.iter().map(EpochReport::from).collect(),
        first_epoch_loss: mean_loss(&history, true),
        last_epoch_loss: mean_loss(&history, false),
        seconds,
        seconds_loading: loaded.as_secs_f64(),
        seconds_training: trained.as_secs_f64(),
    };
    if text {
        for line in final_text(last, &history, config.iters, trained.as_secs_f64(), seconds).lines()
        {
            say(line);
        }
        if let Some(out) = &args.out {
            say(&format!("weights saved to {}", out.display()));
        }
    }
    Ok(report)
}

fn sizes_text(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("-")
}

fn progress_bar(args: &Args) -> ProgressBar {
    if args.quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(args.iters as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} iterations  {msg}  {per_sec}  eta {eta}",
        )
        .expect("a valid template"),
    );
    bar
}

fn acc(m: Option<Metrics>) -> String {
    match m.and_then(|m| m.accuracy) {
        Some(a) => format!("{a:.4}"),
        None => "-".into(),
    }
}

/// The book's per-epoch line, `train acc, test acc | 0.xxxx, 0.xxxx`.
fn epoch_line(r: &EpochRecord) -> String {
    let mut values = vec![acc(Some(r.train))];
    if r.validation.is_some() {
        values.push(acc(r.validation));
    }
    values.push(acc(r.test));
    let names = if r.validation.is_some() {
        "train acc, val acc, test acc"
    } else {
        "train acc, test acc"
    };
    format!("{names} | {}", values.join(", "))
}

/// Mean mini-batch loss of the first (or last) epoch, or of the first (or
/// last) half of a run shorter than two epochs.
fn mean_loss(h: &History, first: bool) -> f64 {
    let k = h.iter_per_epoch.min(h.loss.len() / 2).max(1);
    let part = if first {
        &h.loss[..k.min(h.loss.len())]
    } else {
        &h.loss[h.loss.len().saturating_sub(k)..]
    };
    if part.is_empty() {
        f64::NAN
    } else {
        part.iter().sum::<f64>() / part.len() as f64
    }
}

fn final_text(last: &EpochRecord, h: &History, iters: usize, trained: f64, total: f64) -> String {
    let mut s = String::new();
    let _ = write!(s, "final: train acc {}", acc(Some(last.train)));
    if last.validation.is_some() {
        let _ = write!(s, ", val acc {}", acc(last.validation));
    }
    let _ = writeln!(s, ", test acc {}", acc(last.test));
    let _ = writeln!(
        s,
        "loss: {:.4} (mean of the first epoch) -> {:.4} (of the last)",
        mean_loss(h, true),
        mean_loss(h, false)
    );
    if let (Some(tr), Some(te)) = (last.train.accuracy, last.test.and_then(|m| m.accuracy))
        && tr - te > 0.05
    {
        let _ = writeln!(
            s,
            "overfitting: train accuracy is {:.1} points above test accuracy",
            100.0 * (tr - te)
        );
    }
    let _ = writeln!(
        s,
        "time: {trained:.2} s training ({iters} iterations, {} evaluation{}), {total:.2} s in all",
        h.epochs.len(),
        if h.epochs.len() == 1 { "" } else { "s" }
    );
    s
}

/// `iteration,loss,train_acc,validation_acc,test_acc`: one row per
/// iteration, accuracies on the rows where an epoch was measured.
fn csv(h: &History) -> String {
    let mut s = String::from("iteration,loss,train_acc,validation_acc,test_acc\n");
    let mut epochs = h.epochs.iter().peekable();
    let opt = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
    for (i, loss) in h.loss.iter().enumerate() {
        let _ = write!(s, "{},{loss}", i + 1);
        match epochs.peek() {
            Some(r) if r.iteration == i + 1 => {
                let _ = writeln!(
                    s,
                    ",{},{},{}",
                    opt(r.train.accuracy),
                    opt(r.validation.and_then(|m| m.accuracy)),
                    opt(r.test.and_then(|m| m.accuracy))
                );
                epochs.next();
            }
            _ => s.push_str(",,,\n"),
        }
    }
    s
}

/// Write `bytes` to a temporary file next to `path`, then rename it.
fn write_atomic(path: &Path, bytes: &[u8]) -> CliResult {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".nn-train-")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.persist(path)
        .map_err(|e| format!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}

/// `--plot`: the book's Figure 4-11 (accuracy per epoch) next to the loss
/// curve of Figure 4-12 (loss per iteration), with the gap between training
/// and test accuracy shaded so overfitting is plain to see.
mod plot {
    use std::path::Path;

    use plotters::coord::Shift;
    use plotters::prelude::*;

    use crate::CliResult;
    use crate::plotting::{self, Chart2d, Figure, font, legend, titled};
    use nn_grad::History;

    const TRAIN: RGBColor = RGBColor(31, 119, 180);
    const TEST: RGBColor = RGBColor(255, 127, 14);
    const VALIDATION: RGBColor = RGBColor(44, 160, 44);

    struct Curves<'a> {
        history: &'a History,
        title: &'a str,
    }

    pub(super) fn save(history: &History, title: &str, path: &Path) -> CliResult {
        plotting::save(&Curves { history, title }, path, (1200, 480))?;
        Ok(())
    }

    impl Figure for Curves<'_> {
        fn draw<DB: DrawingBackend>(
            &self,
            root: &DrawingArea<DB, Shift>,
        ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
            root.fill(&WHITE)?;
            let h = self.history;
            let last = h.last;
            let mut summary = format!(
                "after {} iterations: train acc {}",
                last.iteration,
                pct(last.train.accuracy)
            );
            if last.validation.is_some() {
                summary.push_str(&format!(
                    ", validation acc {}",
                    pct(last.validation.and_then(|m| m.accuracy))
                ));
            }
            summary.push_str(&format!(
                ", test acc {}",
                pct(last.test.and_then(|m| m.accuracy))
            ));
            let area = titled(root, self.title, &summary)?;
            let (left, right) = area.split_horizontally(area.dim_in_pixel().0 / 2);
            self.accuracy(&left)?;
            self.loss(&right)
        }
    }

    /// The shared chart style, with whole numbers on the x axis (epochs
    /// and iterations are counts).
    fn axes<'a, DB: DrawingBackend>(
        area: &'a DrawingArea<DB, Shift>,
        x: std::ops::Range<f64>,
        y: std::ops::Range<f64>,
        names: (&str, &str),
    ) -> Result<Chart2d<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
        let mut chart = ChartBuilder::on(area)
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(64)
            .build_cartesian_2d(x, y)?;
        chart
            .configure_mesh()
            .x_desc(names.0)
            .y_desc(names.1)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .label_style(font(15.0))
            .axis_desc_style(font(19.0))
            .bold_line_style(BLACK.mix(0.12))
            .max_light_lines(1)
            .light_line_style(BLACK.mix(0.04))
            .draw()?;
        Ok(chart)
    }

    fn pct(a: Option<f64>) -> String {
        a.map_or_else(|| "-".into(), |a| format!("{:.2}%", 100.0 * a))
    }

    impl Curves<'_> {
        fn accuracy<DB: DrawingBackend>(
            &self,
            area: &DrawingArea<DB, Shift>,
        ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
            let epochs = &self.history.epochs;
            // At most about 400 points per curve: thousands of epochs in a
            // few hundred pixels only draw spikes.
            let step = epochs.len().div_ceil(400).max(1);
            let series = |f: &dyn Fn(&nn_grad::EpochRecord) -> Option<f64>| -> Vec<(f64, f64)> {
                epochs
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % step == 0 || i + 1 == epochs.len())
                    .filter_map(|(_, r)| f(r).map(|a| (r.epoch as f64, a)))
                    .collect()
            };
            let train = series(&|r| r.train.accuracy);
            let test = series(&|r| r.test.and_then(|m| m.accuracy));
            let val = series(&|r| r.validation.and_then(|m| m.accuracy));
            let x_max = (epochs.len().max(2) - 1) as f64;
            let lowest = train
                .iter()
                .chain(&test)
                .chain(&val)
                .map(|p| p.1)
                .fold(1.0, f64::min);
            // The book's figure shows 0 to 1; zoom in when everything is high.
            let y_min = if lowest > 0.8 {
                ((lowest - 0.02) * 20.0).floor() / 20.0
            } else {
                0.0
            };
            let mut c = axes(area, 0.0..x_max, y_min..1.0, ("epoch", "accuracy"))?;
            if train.len() == test.len() && !train.is_empty() {
                // The generalisation gap: shaded between the two curves.
                let mut poly = train.clone();
                poly.extend(test.iter().rev());
                c.draw_series(std::iter::once(Polygon::new(poly, TEST.mix(0.15).filled())))?
                    .label("gap (train − test)")
                    .legend(|(x, y)| {
                        Rectangle::new([(x, y - 6), (x + 20, y + 6)], TEST.mix(0.15).filled())
                    });
            }
            c.draw_series(LineSeries::new(
                train.iter().copied(),
                TRAIN.stroke_width(3),
            ))?
            .label("train acc")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], TRAIN.stroke_width(3)));
            if !val.is_empty() {
                c.draw_series(LineSeries::new(
                    val.iter().copied(),
                    VALIDATION.stroke_width(3),
                ))?
                .label("validation acc")
                .legend(|(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], VALIDATION.stroke_width(3))
                });
            }
            if !test.is_empty() {
                c.draw_series(DashedLineSeries::new(
                    test.iter().copied(),
                    10,
                    6,
                    TEST.stroke_width(3),
                ))?
                .label("test acc")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], TEST.stroke_width(3)));
            }
            legend(&mut c, SeriesLabelPosition::LowerRight)
        }

        fn loss<DB: DrawingBackend>(
            &self,
            area: &DrawingArea<DB, Shift>,
        ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
            let loss = &self.history.loss;
            let finite: Vec<f64> = loss.iter().copied().filter(|v| v.is_finite()).collect();
            let y_max = finite.iter().copied().fold(0.0, f64::max).max(1e-3) * 1.05;
            let x_max = loss.len().max(2) as f64;
            let mut c = axes(area, 0.0..x_max, 0.0..y_max, ("iteration", "loss"))?;
            // The spread of the mini-batch losses: the lowest and highest of
            // each of at most 400 runs of iterations, as one band (small
            // files, and the noise the book's figure shows).
            let per = loss.len().div_ceil(400).max(1);
            let mut upper = Vec::new();
            let mut lower = Vec::new();
            for (b, run) in loss.chunks(per).enumerate() {
                let finite = run.iter().copied().filter(|v| v.is_finite());
                let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
                if lo.is_finite() {
                    let x = (b * per) as f64 + (run.len() as f64 + 1.0) / 2.0;
                    upper.push((x, hi));
                    lower.push((x, lo));
                }
            }
            upper.extend(lower.into_iter().rev());
            c.draw_series(std::iter::once(Polygon::new(
                upper,
                TRAIN.mix(0.45).filled(),
            )))?
            .label("mini-batch loss")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 6), (x + 20, y + 6)], TRAIN.mix(0.45).filled())
            });
            // A running mean (over an epoch, or a 50th of the run if that is
            // longer) shows the trend through the noise.
            let k = self
                .history
                .iter_per_epoch
                .max(loss.len() / 50)
                .clamp(1, loss.len().max(1));
            if loss.len() >= 2 * k && k > 1 {
                let mut sum: f64 = loss[..k].iter().sum();
                let mut avg = vec![((k as f64 + 1.0) / 2.0, sum / k as f64)];
                for i in k..loss.len() {
                    sum += loss[i] - loss[i - k];
                    avg.push(((i + 1) as f64 - (k as f64 - 1.0) / 2.0, sum / k as f64));
                }
                c.draw_series(LineSeries::new(avg, BLACK.stroke_width(2)))?
                    .label(format!("running mean of {k}"))
                    .legend(|(x, y)| {
                        PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(2))
                    });
            }
            legend(&mut c, SeriesLabelPosition::UpperRight)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::fs;

    use nn_core::Network;

    use super::*;

    /// Writes a small fake MNIST (raw IDX files, which the loader accepts
    /// without `.gz`): image `i` has label `(7i + salt) % 10` (salt 0 for train,
    /// 7 for test) drawn as a bright bar
    /// on rows `2k + 2 .. 2k + 5`, plus a few noise pixels.
    pub(crate) fn write_fake_mnist(dir: &Path, train: usize, test: usize) {
        for (split, n, salt) in [("train", train, 0), ("t10k", test, 7)] {
            let labels: Vec<u8> = (0..n).map(|i| ((i * 7 + salt) % 10) as u8).collect();
            let images = nn_testkit::idx::images(n as u32, 28, 28, |i, p| {
                let (k, r, c) = (usize::from(labels[i]), p / 28, p % 28);
                let bar = (2 * k + 2..2 * k + 5).contains(&r) && (4..24).contains(&c);
                let noise = (i * 31 + r * 17 + c * 13) % 23 == 0;
                if bar {
                    200 + ((i + c) % 56) as u8
                } else if noise {
                    90
                } else {
                    0
                }
            });
            let labels = nn_testkit::idx::labels(&labels);
            fs::write(dir.join(format!("{split}-images-idx3-ubyte")), images).unwrap();
            fs::write(dir.join(format!("{split}-labels-idx1-ubyte")), labels).unwrap();
        }
    }

    fn args(dir: &Path, extra: &[&str]) -> Args {
        let mut argv = vec!["--data-dir", dir.to_str().unwrap(), "--quiet"];
        argv.extend(extra);
        crate::cmd::testing::parse(&argv).unwrap()
    }

    fn train_lines(args: &Args) -> (Report, Vec<String>) {
        let mut lines = Vec::new();
        let mut say = |l: &str| lines.push(l.to_owned());
        let report = match args.dtype {
            DtypeArg::F32 => run_typed::<f32>(args, &mut say),
            DtypeArg::F64 => run_typed::<f64>(args, &mut say),
        }
        .unwrap();
        (report, lines)
    }

    fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write_fake_mnist(dir.path(), 200, 50);
        dir
    }

    const SHORT: &[&str] = &[
        "--iters",
        "40",
        "--batch-size",
        "20",
        "--hidden",
        "16",
        "--lr",
        "1",
        "--seed",
        "1",
    ];

    #[test]
    fn a_short_run_prints_the_books_lines() {
        let dir = fixture();
        let (report, lines) = train_lines(&args(dir.path(), SHORT));
        // Timings change from run to run; everything else is fixed.
        let shown: Vec<&String> = lines.iter().filter(|l| !l.starts_with("time:")).collect();
        insta::assert_snapshot!(
            shown
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert_eq!(report.epochs.len(), 4);
        assert!(report.test_acc.unwrap() > 0.5, "{report:?}");
    }

    #[test]
    fn json_is_the_same_for_the_same_seed_but_timings() {
        let dir = fixture();
        let mut a = args(dir.path(), SHORT);
        a.json = true;
        let strip = |r: &Report| {
            let mut v = serde_json::to_value(r).unwrap();
            let o = v.as_object_mut().unwrap();
            for key in ["seconds", "seconds_loading", "seconds_training"] {
                assert!(o.remove(key).unwrap().is_number(), "{key}");
            }
            v
        };
        let (first, lines) = train_lines(&a);
        assert!(lines.is_empty(), "--json prints nothing but the object");
        let (second, _) = train_lines(&a);
        assert_eq!(strip(&first), strip(&second));
        let v = strip(&first);
        for key in ["train_acc", "test_acc", "epochs", "config"] {
            assert!(v.get(key).is_some(), "{key}");
        }
        a.seed = 2;
        assert_ne!(strip(&train_lines(&a).0), v);
    }

    #[test]
    fn saved_weights_reload_and_score_the_same() {
        let dir = fixture();
        let test = mnist_data::load_split(dir.path(), Split::Test).unwrap();
        let x = test.normalized_images();
        for (file, dtype) in [
            ("w.pkl", "f32"),
            ("w.safetensors", "f32"),
            ("w64.pkl", "f64"),
        ] {
            let out = dir.path().join(file);
            let mut extra = SHORT.to_vec();
            extra.extend(["--out", out.to_str().unwrap(), "--dtype", dtype]);
            let (report, lines) = train_lines(&args(dir.path(), &extra));
            assert!(lines.last().unwrap().starts_with("weights saved to"));
            let tensors = nn_core::io::read_tensors(&out).unwrap();
            let names: Vec<&String> = tensors.keys().collect();
            assert_eq!(names, ["W1", "W2", "b1", "b2"]);
            let net: Network<f32> =
                Network::from_tensors(&tensors, Activation::Sigmoid, Output::Softmax).unwrap();
            let acc = net
                .accuracy(&x, test.labels.as_slice().unwrap(), 100)
                .unwrap();
            assert_eq!(Some(acc.ratio()), report.test_acc, "{file}");
        }
    }

    #[test]
    fn numerical_gradients_train_end_to_end() {
        // A tiny network on 30 images, 3 iterations per epoch: --grad
        // numerical (and the book's direct version) follow backprop.
        let dir = fixture();
        let run = |grad: &str| {
            let a = args(
                dir.path(),
                &[
                    "--grad",
                    grad,
                    "--dtype",
                    "f64",
                    "--hidden",
                    "3",
                    "--train-size",
                    "30",
                ],
            );
            let a = Args {
                iters: 15,
                batch_size: 10,
                lr: 2.0,
                ..a
            };
            train_lines(&a).0
        };
        let backprop = run("backprop");
        for grad in ["numerical", "numerical-direct"] {
            let report = run(grad);
            assert!(
                report.last_epoch_loss < report.first_epoch_loss,
                "{grad}: {report:?}"
            );
            assert!(
                (report.train_loss - backprop.train_loss).abs() < 1e-5,
                "{grad}: {report:?}"
            );
            assert_eq!(report.test_acc, backprop.test_acc, "{grad}");
        }
    }

    #[test]
    fn data_lessons_flags() {
        let dir = fixture();
        let mut extra = SHORT.to_vec();
        extra.extend(["--train-size", "100", "--validation", "0.2"]);
        let (report, lines) = train_lines(&args(dir.path(), &extra));
        assert_eq!(report.config.train_size, 80);
        assert_eq!(report.config.validation_size, Some(20));
        assert_eq!(report.config.test_size, 50);
        assert!(report.validation_acc.is_some());
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("train acc, val acc, test acc | ")),
            "{lines:?}"
        );
    }

    #[test]
    fn log_and_plots_are_written() {
        let dir = fixture();
        let log = dir.path().join("run.csv");
        let png = dir.path().join("run.png");
        let svg = dir.path().join("run.svg");
        for plot in [&png, &svg] {
            let mut extra = SHORT.to_vec();
            extra.extend([
                "--log",
                log.to_str().unwrap(),
                "--plot",
                plot.to_str().unwrap(),
            ]);
            train_lines(&args(dir.path(), &extra));
        }
        let csv = fs::read_to_string(&log).unwrap();
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows[0], "iteration,loss,train_acc,validation_acc,test_acc");
        assert_eq!(rows.len(), 41);
        // Epochs are measured after iterations 1, 11, 21, 31.
        assert!(rows[1].starts_with("1,") && !rows[1].ends_with(",,,"));
        assert!(rows[2].ends_with(",,,") && !rows[11].ends_with(",,,"));
        assert!(fs::read(&png).unwrap().starts_with(b"\x89PNG"));
        assert!(fs::read_to_string(&svg).unwrap().contains("<svg"));
    }

    #[test]
    fn bad_arguments_fail_before_training() {
        let dir = fixture();
        let mut say = |_: &str| {};
        for extra in [
            vec!["--validation", "1.5"],
            vec!["--out", "weights.npz"],
            vec!["--plot", "curves.jpg"],
            vec!["--train-size", "500"],
            vec!["--lr=-1"],
        ] {
            let a = args(dir.path(), &extra);
            assert!(run_typed::<f32>(&a, &mut say).is_err(), "{extra:?}");
        }
        let missing = args(&dir.path().join("nowhere"), &[]);
        assert!(run_typed::<f32>(&missing, &mut say).is_err());
        assert!(crate::cmd::testing::parse::<Args>(&["--batch-size", "0"]).is_err());
        assert!(crate::cmd::testing::parse::<Args>(&["--hidden", "0"]).is_err());
    }
}
