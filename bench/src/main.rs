//! The Rust side of `cargo xtask bench`.
//!
//! Runs the same workloads as `bench/numpy_reference.py`, with the same
//! command line, so that the xtask can run the two in turn:
//!
//! ```text
//! nn-bench tasks                                  the task names, one a line
//! nn-bench time TASK… --data-dir D [--repeat N] [--warmup W]
//!                                                 `TASK s1 s2 …` (seconds) per task
//! nn-bench check --data-dir D                     the values the NumPy script checks (JSON)
//! nn-bench peak [--seconds S]                     `peak f32 GFLOPS f64 GFLOPS threads`
//! ```
//!
//! Every task prepares its inputs first; only the work is timed
//! (`std::time::Instant`). Inputs that must agree with NumPy's are made by
//! formulas both sides evaluate in the same floating-point operations.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use mnist_data::Split;
use ndarray::{Array1, Array2, ArrayView2, s};
use nn_core::{Activation, Network, Output, sigmoid, softmax};
use nn_grad::{
    Dataset, Gradients, Inputs, Mlp, Optimizer, OptimizerState, Targets, TrainConfig, TrainSets,
    train as train_loop,
};
use rand::SeedableRng;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The tasks, as named on both sides.
const TASKS: &[&str] = &[
    "sigmoid-100x10",
    "sigmoid-10000x100",
    "softmax-100x10",
    "softmax-10000x100",
    "load-test",
    "load-full",
    "infer-1",
    "infer-100",
    "infer-10000",
    "train-step",
    "numgrad",
    "numgrad-fast",
];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nn-bench: error: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    data_dir: Option<PathBuf>,
    repeat: usize,
    warmup: usize,
    seconds: f64,
    names: Vec<String>,
}

fn run() -> Result {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let mut o = Options {
        data_dir: std::env::var_os("NN_DATA_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from),
        repeat: 5,
        warmup: 1,
        seconds: 0.5,
        names: Vec::new(),
    };
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--data-dir" => o.data_dir = Some(PathBuf::from(value()?)),
            "--repeat" => o.repeat = value()?.parse()?,
            "--warmup" => o.warmup = value()?.parse()?,
            "--seconds" => o.seconds = value()?.parse()?,
            _ if a.starts_with("--") => return Err(format!("unknown option {a}").into()),
            _ => o.names.push(a),
        }
    }
    let dir = || o.data_dir.clone().ok_or("set --data-dir or NN_DATA_DIR");
    match command.as_str() {
        "tasks" => TASKS.iter().for_each(|t| println!("{t}")),
        "time" => {
            for name in &o.names {
                let times = time_task(name, &dir()?, o.repeat, o.warmup)?;
                let line: Vec<String> = times.iter().map(|t| format!("{t:.6}")).collect();
                println!("{name} {}", line.join(" "));
            }
        }
        "check" => println!("{}", check(&dir()?)?),
        "peak" => {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let f32s = peak(false, threads, o.seconds);
            let f64s = peak(true, threads, o.seconds);
            println!(
                "peak f32 {:.1} GFLOPS f64 {:.1} GFLOPS threads {threads}",
                f32s / 1e9,
                f64s / 1e9
            );
        }
        _ => return Err(format!("unknown command `{command}` (tasks, time, check, peak)").into()),
    }
    Ok(())
}

/// Runs `work` `warmup + repeat` times and returns the last `repeat` times.
fn repeat(repeat: usize, warmup: usize, mut work: impl FnMut()) -> Vec<f64> {
    (0..warmup + repeat)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64()
        })
        .skip(warmup)
        .collect()
}

/// `((i·31 + j·17) mod 1601) / 100 − 8` in f32: values in [−8, 8].
fn activation_input(rows: usize, cols: usize) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        ((i * 31 + j * 17) % 1601) as f32 / 100.0 - 8.0
    })
}

/// Deterministic weights `scale · (((i·7 + j·13) mod 17) − 8) / 8` in f64.
fn weights(rows: usize, cols: usize, scale: f64) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        scale * (((i * 7 + j * 13) % 17) as f64 - 8.0) / 8.0
    })
}

/// The two-layer network of the gradient tasks: `input-hidden-10`, sigmoid,
/// softmax, [`weights`] with scale 0.01 and zero biases.
fn two_layer(input: usize, hidden: usize) -> Result<Mlp<f64>> {
    Ok(Mlp::from_layers(
        vec![
            (weights(input, hidden, 0.01), Array1::zeros(hidden)),
            (weights(hidden, 10, 0.01), Array1::zeros(10)),
        ],
        Activation::Sigmoid,
        Output::Softmax,
    )?)
}

/// The book's `sample_weight.pkl` network, float32.
fn sample_network(dir: &Path) -> Result<Network<f32>> {
    let tensors = nn_core::io::read_tensors(dir.join("sample_weight.pkl"))?;
    Ok(Network::from_tensors(
        &tensors,
        Activation::Sigmoid,
        Output::Softmax,
    )?)
}

/// The first `n` training images as f64 in [0, 1], with their labels.
fn train_head(dir: &Path, n: usize) -> Result<(Array2<f64>, Vec<usize>)> {
    let train = mnist_data::load_split(dir, Split::Train)?;
    let x = train.normalized_images().slice(s![..n, ..]).mapv(f64::from);
    let t = train
        .labels
        .iter()
        .take(n)
        .map(|&l| usize::from(l))
        .collect();
    Ok((x, t))
}

fn time_task(name: &str, dir: &Path, n: usize, warmup: usize) -> Result<Vec<f64>> {
    let times = match name {
        "sigmoid-100x10" | "sigmoid-10000x100" | "softmax-100x10" | "softmax-10000x100" => {
            let x = if name.ends_with("100x10") {
                activation_input(100, 10)
            } else {
                activation_input(10_000, 100)
            };
            if name.starts_with("sigmoid") {
                repeat(n, warmup, || {
                    black_box(sigmoid(&x));
                })
            } else {
                repeat(n, warmup, || {
                    black_box(softmax(&x));
                })
            }
        }
        "load-test" => repeat(n, warmup, || {
            let test = mnist_data::load_split(dir, Split::Test).expect("test split");
            black_box((test.normalized_images(), test.labels));
        }),
        "load-full" => repeat(n, warmup, || {
            let both = mnist_data::load_mnist(dir, mnist_data::LoadOptions::default());
            black_box(both.expect("MNIST"));
        }),
        "infer-1" | "infer-100" | "infer-10000" => {
            let batch: usize = name["infer-".len()..].parse()?;
            let net = sample_network(dir)?;
            let test = mnist_data::load_split(dir, Split::Test)?;
            let x = test.normalized_images();
            let mut correct = 0;
            let times = repeat(n, warmup, || {
                let classes = net.predict_classes(&x, batch).expect("shapes checked");
                correct = classes
                    .iter()
                    .zip(&test.labels)
                    .filter(|&(&c, &l)| c == usize::from(l))
                    .count();
            });
            if correct != 9352 {
                return Err(format!("{name}: {correct} correct, expected 9352").into());
            }
            times
        }
        "train-step" => {
            // One iteration of train_neuralnet.py as `nn train` runs it
            // (f64, batches of 100 drawn from the 60 000 raw-pixel images,
            // backprop, SGD, loss): training runs of 600 and of 1
            // iterations both evaluate once at i = 0, so their difference
            // over 599 is one iteration without the evaluation.
            let train = mnist_data::load_split(dir, Split::Train)?;
            let labels: Vec<usize> = train.labels.iter().map(|&l| usize::from(l)).collect();
            let sets = TrainSets {
                train: Dataset::new(
                    Inputs::<f64>::pixels(train.images.view()),
                    Targets::from(&labels),
                )?,
                validation: None,
                test: None,
            };
            let run = |iters: usize| -> f64 {
                let mut net = two_layer(784, 50).expect("valid sizes");
                let config = TrainConfig {
                    iters,
                    ..TrainConfig::default()
                };
                let mut rng = rand::rngs::StdRng::seed_from_u64(0);
                let start = Instant::now();
                black_box(train_loop(&mut net, &sets, &config, &mut rng, |_| ()).expect("fits"));
                start.elapsed().as_secs_f64()
            };
            (0..warmup + n)
                .map(|_| (run(600) - run(1)) / 599.0)
                .skip(warmup)
                .collect()
        }
        "numgrad" | "numgrad-fast" => {
            let (x, t) = train_head(dir, 100)?;
            let net = two_layer(784, 50)?;
            repeat(n, warmup, || {
                let g = if name == "numgrad" {
                    net.numerical_gradient(&x, &t)
                } else {
                    net.numerical_gradient_fast(&x, &t)
                };
                black_box(g.expect("shapes"));
            })
        }
        _ => return Err(format!("unknown task `{name}`; see `nn-bench tasks`").into()),
    };
    Ok(times)
}

/// The values `numpy_reference.py check` recomputes, as JSON.
fn check(dir: &Path) -> Result<String> {
    use serde_json::json;
    let net = sample_network(dir)?;
    let test = mnist_data::load_split(dir, Split::Test)?;
    let x = test.normalized_images();
    let head = x.slice(s![..1000, ..]);
    let labels: Vec<u8> = test.labels.iter().take(1000).copied().collect();
    let acc = net.accuracy(&head, &labels, 100)?;
    let p0 = net.predict(&x.row(0))?;
    let a = activation_input(4, 5);

    // A small two-layer network on five training images: loss, both
    // gradients, and the loss after one SGD step (lr 0.1) with backprop.
    let (xs, ts) = train_head(dir, 5)?;
    let mut small = two_layer(784, 8)?;
    let loss = small.loss(&xs, &ts)?;
    let numerical = small.numerical_gradient(&xs, &ts)?;
    let backprop = small.gradient(&xs, &ts)?;
    OptimizerState::new(Optimizer::Sgd { lr: 0.1 }, &small)?.update(&mut small, &backprop)?;
    let loss_after = small.loss(&xs, &ts)?;
    let grads = |g: &Gradients<f64>| {
        g.iter()
            .map(|(k, v)| (k, json!(v.iter().copied().collect::<Vec<f64>>())))
            .collect::<serde_json::Map<_, _>>()
    };
    Ok(json!({
        "correct_first_1000": acc.correct,
        "probabilities_0": p0.to_vec(),
        "sigmoid_4x5": flat(sigmoid(&a).view()),
        "softmax_4x5": flat(softmax(&a).view()),
        "small_loss": loss,
        "small_numerical": grads(&numerical),
        "small_backprop": grads(&backprop),
        "small_loss_after_step": loss_after,
    })
    .to_string())
}

fn flat(a: ArrayView2<'_, f32>) -> Vec<f32> {
    a.iter().copied().collect()
}

/// Measured peak FLOP rate of `threads` threads running independent chains
/// of fused multiply-adds (12 vector registers, enough to hide the
/// instruction's latency) at the widest width `pulp` picks, for about
/// `seconds`. `f64s` picks the element type.
fn peak(f64s: bool, threads: usize, seconds: f64) -> f64 {
    /// `(iterations, f64?)` → `(checksum, FLOP done)`.
    struct Chains(usize, bool);
    impl pulp::WithSimd for Chains {
        type Output = (f64, f64);
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, simd: S) -> (f64, f64) {
            let Chains(iters, f64s) = self;
            if f64s {
                let (m, c) = (black_box(simd.splat_f64s(0.999_999)), simd.splat_f64s(1e-6));
                let mut acc = [simd.splat_f64s(1.0); 12];
                for _ in 0..iters {
                    for a in acc.iter_mut() {
                        *a = simd.mul_add_f64s(*a, m, c);
                    }
                }
                let sum = acc.iter().map(|&a| simd.reduce_sum_f64s(a)).sum();
                (sum, (2 * 12 * S::F64_LANES * iters) as f64)
            } else {
                let (m, c) = (black_box(simd.splat_f32s(0.999_999)), simd.splat_f32s(1e-6));
                let mut acc = [simd.splat_f32s(1.0); 12];
                for _ in 0..iters {
                    for a in acc.iter_mut() {
                        *a = simd.mul_add_f32s(*a, m, c);
                    }
                }
                let sum = acc
                    .iter()
                    .map(|&a| f64::from(simd.reduce_sum_f32s(a)))
                    .sum();
                (sum, (2 * 12 * S::F32_LANES * iters) as f64)
            }
        }
    }
    let run = |iters: usize| -> (f64, f64) {
        let start = Instant::now();
        let flop: f64 = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| scope.spawn(move || pulp::Arch::new().dispatch(Chains(iters, f64s))))
                .collect();
            workers
                .into_iter()
                .map(|w| black_box(w.join().expect("no panic")).1)
                .sum()
        });
        (flop, start.elapsed().as_secs_f64())
    };
    let probe = 1_000_000;
    let (_, t) = run(probe);
    let iters = ((seconds / t.max(1e-6)) * probe as f64).max(probe as f64) as usize;
    // The best of three: the figure is a ceiling, not a typical rate.
    (0..3)
        .map(|_| {
            let (flop, t) = run(iters);
            flop / t
        })
        .fold(0.0, f64::max)
}
