//! `cargo xtask bench`: the Rust side and the NumPy reference
//! (`bench/numpy_reference.py`), in turn on the same machine, as one table.
//!
//! In-process work is timed by each side itself (`nn-bench time` and the
//! script's `time`, the same task names); whole programs (`nn eval`, `nn
//! train` against the script's `eval` and `train`) are timed here with
//! `std::time`, and their peak memory read with `/usr/bin/time -v` where it
//! exists. Rounds alternate Rust, NumPy, Rust, NumPy… so that a change of
//! the machine's speed hits both; every figure is a median.

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{
    DATA_OPTIONS, DataOptions, Result, build_release, data_options, options, project_root, run,
    step, target_dir,
};

/// Multiply-adds of the 784-50-100-10 network for one image, × 2 FLOP.
const INFER_FLOP_PER_IMAGE: f64 = 2.0 * (784.0 * 50.0 + 50.0 * 100.0 + 100.0 * 10.0);
/// One loss of the 784-50-10 network on a batch of 100, × 2 per parameter.
const NUMGRAD_FLOP: f64 = 2.0 * 2.0 * 100.0 * (784.0 * 50.0 + 50.0 * 10.0) * 39_760.0;

struct Options {
    data: DataOptions,
    python: Option<PathBuf>,
    no_python: bool,
    rounds: usize,
    quick: bool,
    out: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut rest = Vec::new();
    let mut o = Options {
        data: DataOptions {
            mirror: None,
            data_dir: PathBuf::new(),
        },
        python: None,
        no_python: false,
        rounds: 5,
        quick: false,
        out: None,
    };
    let valued = [&["--python", "--rounds", "--out"][..], &DATA_OPTIONS].concat();
    for (key, value) in options(args, &valued)? {
        match (key.as_str(), value) {
            ("--python", Some(v)) => o.python = Some(PathBuf::from(v)),
            ("--no-python", None) => o.no_python = true,
            ("--rounds", Some(v)) => {
                o.rounds = v.parse().map_err(|e| format!("--rounds: {e}"))?;
                o.rounds = o.rounds.max(1);
            }
            ("--quick", None) => o.quick = true,
            ("--out", Some(v)) => o.out = Some(PathBuf::from(v)),
            (_, value) => rest.push((key, value)),
        }
    }
    o.data = data_options(rest)?;
    Ok(o)
}

/// A program of either side, with what to remove from its environment.
struct Side {
    program: PathBuf,
    prefix: Vec<String>,
    env_remove: Vec<&'static str>,
}

impl Side {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.prefix);
        for k in &self.env_remove {
            cmd.env_remove(k);
        }
        cmd
    }

    /// Runs `ARGS` and returns its standard output.
    fn output(&self, args: &[&str]) -> Result<String> {
        let mut cmd = self.command();
        cmd.args(args).stderr(Stdio::inherit());
        let out = cmd
            .output()
            .map_err(|e| format!("cannot start {}: {e}", self.program.display()))?;
        if !out.status.success() {
            return Err(format!(
                "`{} {}` failed ({})",
                self.program.display(),
                args.join(" "),
                out.status
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `time TASK --repeat N`: the seconds of each repetition.
    fn time(&self, task: &str, data: &str, repeat: usize, warmup: usize) -> Result<Vec<f64>> {
        let (r, w) = (repeat.to_string(), warmup.to_string());
        let out = self.output(&[
            "time",
            task,
            "--data-dir",
            data,
            "--repeat",
            &r,
            "--warmup",
            &w,
        ])?;
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(task))
            .ok_or(format!("no timing line for {task} in {out:?}"))?;
        line.split_whitespace()
            .skip(1)
            .map(|s| s.parse::<f64>().map_err(|e| format!("{task}: {s}: {e}")))
            .collect()
    }

    /// Wall-clock seconds of one run of the whole program.
    fn process_seconds(&self, args: &[&str]) -> Result<f64> {
        let mut cmd = self.command();
        cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
        let start = Instant::now();
        let status = cmd
            .status()
            .map_err(|e| format!("cannot start {}: {e}", self.program.display()))?;
        let t = start.elapsed().as_secs_f64();
        if !status.success() {
            return Err(format!("`{}` failed ({status})", args.join(" ")));
        }
        Ok(t)
    }

    /// Peak resident memory of one run, in MB, from `/usr/bin/time -v`.
    fn peak_mb(&self, args: &[&str]) -> Option<f64> {
        let time = Path::new("/usr/bin/time");
        if !time.exists() {
            return None;
        }
        let mut cmd = Command::new(time);
        cmd.arg("-v")
            .arg(&self.program)
            .args(&self.prefix)
            .args(args)
            .stdout(Stdio::null());
        for k in &self.env_remove {
            cmd.env_remove(k);
        }
        let out = cmd.output().ok()?;
        let text = String::from_utf8_lossy(&out.stderr);
        let kb: f64 = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))?
            .trim()
            .parse()
            .ok()?;
        Some(kb / 1024.0)
    }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Finds or makes a Python with NumPy; `Err` says why there is none.
fn python(o: &Options, root: &Path, target: &Path) -> std::result::Result<PathBuf, String> {
    if o.no_python {
        return Err("--no-python".into());
    }
    let has_numpy = |py: &Path| {
        Command::new(py)
            .args(["-c", "import numpy"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if let Some(py) = &o.python {
        return if has_numpy(py) {
            Ok(py.clone())
        } else {
            Err(format!("{} cannot import numpy", py.display()))
        };
    }
    let venv = target.join("bench-venv");
    let venv_py = if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    };
    if has_numpy(&venv_py) {
        return Ok(venv_py);
    }
    let system = ["python3", "python"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| {
            Command::new(p)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .ok_or("no python3 on PATH (or name one with --python)")?;
    step(&format!(
        "creating {} with numpy and threadpoolctl from PyPI",
        venv.display()
    ));
    let made = Command::new(&system)
        .current_dir(root)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new(&venv_py)
            .args(["-m", "pip", "install", "--quiet", "numpy", "threadpoolctl"])
            .status()
            .is_ok_and(|s| s.success());
    if made && has_numpy(&venv_py) {
        Ok(venv_py)
    } else {
        Err(format!(
            "could not install numpy into {} (offline? name a Python with --python)",
            venv.display()
        ))
    }
}

/// One line of the table.
struct Row {
    work: String,
    rust: Option<f64>,
    numpy: Option<f64>,
    unit: Unit,
    /// Extra column: FLOP rate and share of peak, memory, …
    note: String,
    goal: String,
}

#[derive(Clone, Copy)]
enum Unit {
    Seconds,
    Megabytes,
}

impl Unit {
    fn show(self, v: f64) -> String {
        match self {
            Unit::Megabytes => format!("{v:.0} MB"),
            Unit::Seconds if v >= 1.0 => format!("{v:.2} s"),
            Unit::Seconds if v >= 1e-3 => format!("{:.2} ms", v * 1e3),
            Unit::Seconds => format!("{:.1} µs", v * 1e6),
        }
    }
}

/// `cargo xtask bench`.
pub(crate) fn bench(args: &[String]) -> Result {
    let o = parse(args)?;
    let root = project_root();
    let target = crate::absolute(&target_dir(&root))?;
    step("building nn and nn-bench (release)");
    let [nn, nn_bench] = build_release(&root, [("nn-cli", "nn"), ("nn-bench", "nn-bench")])?;
    let data = o.data.data_dir.display().to_string();
    // Fetch what is missing only: a file that is present is used as it is
    // (a locally rebuilt copy would fail the official checksums).
    let groups: [(&str, &[&str]); 3] = [
        (
            "test",
            &["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"],
        ),
        (
            "train",
            &["train-images-idx3-ubyte", "train-labels-idx1-ubyte"],
        ),
        ("weights", &["sample_weight.pkl"]),
    ];
    for (what, files) in groups {
        let present = files.iter().all(|f| {
            let p = o.data.data_dir.join(f);
            p.exists() || p.with_file_name(format!("{f}.gz")).exists()
        });
        if present {
            continue;
        }
        step(&format!("fetching {what} into {data}"));
        let mut a = vec!["fetch", "--data-dir", &data, "--what", what];
        if let Some(m) = &o.data.mirror {
            a.extend(["--mirror", m.as_str()]);
        }
        run(Command::new(&nn).args(&a))?;
    }
    let rust = Side {
        program: nn_bench,
        prefix: vec![],
        env_remove: vec![],
    };
    let nn_side = Side {
        program: nn,
        prefix: vec![],
        env_remove: vec![],
    };
    let work_dir = target.join("bench");
    std::fs::create_dir_all(&work_dir).map_err(|e| format!("{}: {e}", work_dir.display()))?;
    let cache = work_dir.join("numpy-cache").display().to_string();

    // The NumPy side, with OpenBLAS left to pick its best kernel.
    const OPENBLAS_VARS: [&str; 2] = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];
    let removed: Vec<String> = OPENBLAS_VARS
        .iter()
        .filter_map(|k| env::var(k).ok().map(|v| format!("{k}={v}")))
        .collect();
    let numpy = match python(&o, &root, &target) {
        Ok(py) => Some(Side {
            program: py,
            prefix: vec![
                root.join("bench")
                    .join("numpy_reference.py")
                    .display()
                    .to_string(),
            ],
            env_remove: OPENBLAS_VARS.to_vec(),
        }),
        Err(why) => {
            step(&format!("no NumPy column: {why}"));
            None
        }
    };
    let mut machine = machine_lines();
    let mut numpy_why_empty = String::new();
    if let Some(py) = &numpy {
        let info = py.output(&["info"])?;
        machine.extend(info.lines().map(|l| format!("NumPy side: {l}")));
        if !removed.is_empty() {
            machine.push(format!(
                "NumPy side: unset for its runs (they slow current OpenBLAS): {}",
                removed.join(" ")
            ));
        }
        step("check: the NumPy reference computes what the Rust side computes");
        let expect = work_dir.join("rust-check.json");
        let json = rust.output(&["check", "--data-dir", &data])?;
        std::fs::write(&expect, json).map_err(|e| format!("{}: {e}", expect.display()))?;
        let out = py.output(&[
            "check",
            "--data-dir",
            &data,
            "--expect",
            &expect.display().to_string(),
        ])?;
        print!("{out}");
    } else {
        numpy_why_empty = "NumPy column empty: no Python with NumPy".into();
    }

    // The best of three calls (each the best of three runs): a busy
    // machine can only make the figure read low. Measured again at the end
    // for the record.
    let measure_peak = || -> Result<(f64, f64)> {
        step("peak FLOP rate (fused multiply-add loop on every core)");
        let mut best = (0.0_f64, 0.0_f64);
        for _ in 0..3 {
            let peak = rust.output(&["peak"])?;
            let words: Vec<&str> = peak.split_whitespace().collect();
            let at = |i: usize| words.get(i).and_then(|w| w.parse::<f64>().ok());
            best.0 = best.0.max(at(2).unwrap_or(0.0) * 1e9);
            best.1 = best.1.max(at(5).unwrap_or(0.0) * 1e9);
        }
        println!(
            "peak f32 {:.1} GFLOPS f64 {:.1} GFLOPS",
            best.0 / 1e9,
            best.1 / 1e9
        );
        Ok(best)
    };
    let (peak_f32, peak_f64) = measure_peak()?;
    let mut rows = Vec::new();
    let rounds = o.rounds;
    // (label, rust task, numpy task, repeats per round, warm-ups, goal)
    let mut tasks: Vec<(&str, &str, &str, usize, usize, &str)> = vec![
        (
            "sigmoid, 100×10 f32",
            "sigmoid-100x10",
            "sigmoid-100x10",
            200,
            20,
            "",
        ),
        (
            "sigmoid, 10 000×100 f32",
            "sigmoid-10000x100",
            "sigmoid-10000x100",
            5,
            1,
            "",
        ),
        (
            "softmax, 100×10 f32",
            "softmax-100x10",
            "softmax-100x10",
            200,
            20,
            "",
        ),
        (
            "softmax, 10 000×100 f32",
            "softmax-10000x100",
            "softmax-10000x100",
            5,
            1,
            "",
        ),
        (
            "load + normalize test set (gz)",
            "load-test",
            "load-test",
            1,
            1,
            "",
        ),
        (
            "load + normalize full MNIST vs NumPy's first run (gz → pickle → arrays)",
            "load-full",
            "load-full-first",
            1,
            1,
            "≥ 5×",
        ),
        (
            "load + normalize full MNIST vs NumPy's cached pickle reload",
            "load-full",
            "load-full-cached",
            1,
            1,
            "> 1×",
        ),
        (
            "inference loop, 10 000 images, batch 1",
            "infer-1",
            "infer-1",
            1,
            1,
            "≥ 8×",
        ),
        (
            "inference loop, 10 000 images, batch 100",
            "infer-100",
            "infer-100",
            3,
            1,
            "≥ 2×, ≥ 40 % of f32 peak",
        ),
        (
            "inference loop, 10 000 images, batch 10 000",
            "infer-10000",
            "infer-10000",
            3,
            1,
            "",
        ),
        (
            "one training iteration (batch 100, backprop, SGD; f64)",
            "train-step",
            "train-step",
            5,
            1,
            "",
        ),
    ];
    if !o.quick {
        tasks.push((
            "numerical_gradient of the two-layer net (batch 100, 39 760 params)",
            "numgrad",
            "numgrad",
            1,
            0,
            "≥ 2.5×, ≥ 50 % of f64 peak",
        ));
        tasks.push((
            "the network's structured numerical gradient vs NumPy's numerical_gradient",
            "numgrad-fast",
            "numgrad",
            1,
            0,
            "≥ 20×",
        ));
    }
    // NumPy's numerical gradient takes half a minute: measure it once per
    // round and share it between the two rows that compare with it.
    let mut numpy_cache: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (label, rtask, ptask, repeat, warmup, goal) in tasks {
        step(&format!("{label}: {rounds} rounds"));
        let slow = rtask.starts_with("numgrad");
        let rounds = if slow { rounds.min(3) } else { rounds };
        let (mut r, mut p) = (Vec::new(), Vec::new());
        let shared = numpy_cache.get(ptask).cloned();
        for _ in 0..rounds {
            r.extend(rust.time(rtask, &data, repeat, warmup)?);
            if let (Some(py), None) = (&numpy, &shared) {
                p.extend(py.time(ptask, &data, repeat, warmup)?);
            }
        }
        if let Some(s) = shared {
            p = s;
        } else if slow {
            numpy_cache.insert(ptask.to_string(), p.clone());
        }
        let rust_med = median(&r);
        let mut note = String::new();
        if let Some(batch) = rtask.strip_prefix("infer-") {
            let rate = 10_000.0 * INFER_FLOP_PER_IMAGE / rust_med;
            let _ = write!(
                note,
                "{:.1} GFLOP/s, {:.0} % of f32 peak",
                rate / 1e9,
                100.0 * rate / peak_f32
            );
            if batch == "100" && !p.is_empty() {
                let np = 10_000.0 * INFER_FLOP_PER_IMAGE / median(&p);
                let _ = write!(note, " (NumPy {:.0} %)", 100.0 * np / peak_f32);
            }
        }
        if rtask == "numgrad" {
            let rate = NUMGRAD_FLOP / rust_med;
            let _ = write!(
                note,
                "{:.1} GFLOP/s, {:.0} % of f64 peak",
                rate / 1e9,
                100.0 * rate / peak_f64
            );
        }
        rows.push(Row {
            work: label.to_string(),
            rust: Some(rust_med),
            numpy: (!p.is_empty()).then(|| median(&p)),
            unit: Unit::Seconds,
            note,
            goal: goal.to_string(),
        });
    }

    // Whole programs.
    let weights = o
        .data
        .data_dir
        .join("sample_weight.pkl")
        .display()
        .to_string();
    let eval_rust = [
        "eval",
        "--weights",
        weights.as_str(),
        "--data-dir",
        data.as_str(),
        "--batch-size",
        "100",
    ];
    let eval_numpy = [
        "eval",
        "--data-dir",
        data.as_str(),
        "--cache",
        cache.as_str(),
        "--batch-size",
        "100",
    ];
    step(&format!(
        "whole `nn eval` process vs the NumPy script: {rounds} rounds"
    ));
    let (mut r, mut p) = (Vec::new(), Vec::new());
    nn_side.process_seconds(&eval_rust)?; // warm the page cache
    if let Some(py) = &numpy {
        py.process_seconds(&eval_numpy)?; // builds the pickle cache
    }
    for _ in 0..rounds.max(5) {
        r.push(nn_side.process_seconds(&eval_rust)?);
        if let Some(py) = &numpy {
            p.push(py.process_seconds(&eval_numpy)?);
        }
    }
    rows.push(Row {
        work: "whole `nn eval` process, batch 100 (NumPy: neuralnet_mnist_batch.py, pickle cache warm)".into(),
        rust: Some(median(&r)),
        numpy: (!p.is_empty()).then(|| median(&p)),
        unit: Unit::Seconds,
        note: String::new(),
        goal: "≥ 8×".into(),
    });
    let mem_r = nn_side.peak_mb(&eval_rust);
    let mem_p = numpy.as_ref().and_then(|py| py.peak_mb(&eval_numpy));
    rows.push(Row {
        work: "peak memory of the eval process".into(),
        rust: mem_r,
        numpy: mem_p,
        unit: Unit::Megabytes,
        note: String::new(),
        goal: "Rust ≤ 64 MB".into(),
    });

    if !o.quick {
        let train_rust = |dtype: &'static str| {
            vec![
                "train",
                "--data-dir",
                &data,
                "--dtype",
                dtype,
                "--seed",
                "0",
                "--quiet",
            ]
        };
        let train_numpy = [
            "train",
            "--data-dir",
            data.as_str(),
            "--cache",
            cache.as_str(),
        ];
        let train_rounds = rounds.min(3);
        step(&format!(
            "training, the book's configuration (10 000 iterations, evaluation every epoch): {train_rounds} rounds"
        ));
        let (mut r64, mut r32, mut p) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..train_rounds {
            r64.push(nn_side.process_seconds(&train_rust("f64"))?);
            if let Some(py) = &numpy {
                p.push(py.process_seconds(&train_numpy)?);
            }
            r32.push(nn_side.process_seconds(&train_rust("f32"))?);
        }
        let numpy_train = (!p.is_empty()).then(|| median(&p));
        rows.push(Row {
            work: "training process, book configuration, f64 (as NumPy computes it)".into(),
            rust: Some(median(&r64)),
            numpy: numpy_train,
            unit: Unit::Seconds,
            note: String::new(),
            goal: "≥ 5×".into(),
        });
        rows.push(Row {
            work: "training process, book configuration, f32 (`nn train` default)".into(),
            rust: Some(median(&r32)),
            numpy: numpy_train,
            unit: Unit::Seconds,
            note: String::new(),
            goal: "".into(),
        });
        rows.push(Row {
            work: "peak memory of the training process (f64)".into(),
            rust: nn_side.peak_mb(&train_rust("f64")),
            numpy: numpy.as_ref().and_then(|py| py.peak_mb(&train_numpy)),
            unit: Unit::Megabytes,
            note: String::new(),
            goal: "≤ 1/3 of NumPy's".into(),
        });
    }

    let (end_f32, end_f64) = measure_peak()?;
    machine.push(format!(
        "measured peak (FMA loop, both cores; start / end of the run): f32 {:.1} / {:.1} GFLOP/s, f64 {:.1} / {:.1} GFLOP/s; shares of peak above use the start figures",
        peak_f32 / 1e9,
        end_f32 / 1e9,
        peak_f64 / 1e9,
        end_f64 / 1e9
    ));
    let table = render(&rows, &machine, &numpy_why_empty);
    println!("\n{table}");
    let out = o.out.unwrap_or_else(|| work_dir.join("results.md"));
    std::fs::write(&out, &table).map_err(|e| format!("{}: {e}", out.display()))?;
    step(&format!("table written to {}", out.display()));
    Ok(())
}

/// What the machine is: CPU model, cores, clock, as the OS reports them.
fn machine_lines() -> Vec<String> {
    let mut lines = Vec::new();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    let model = field("model name").unwrap_or_else(|| env::consts::ARCH.to_string());
    let mhz = field("cpu MHz").map_or(String::new(), |m| format!(", {m} MHz"));
    let flags = field("flags").unwrap_or_default();
    let simd: Vec<&str> = ["avx2", "fma", "avx512f"]
        .into_iter()
        .filter(|f| flags.split_whitespace().any(|x| x == *f))
        .collect();
    lines.push(format!(
        "CPU: {model}, {cores} cores{mhz}, {}",
        if simd.is_empty() {
            "SIMD flags unknown".to_string()
        } else {
            simd.join(" ")
        }
    ));
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let l: Vec<&str> = load.split_whitespace().take(3).collect();
        lines.push(format!("load average at the start: {}", l.join(" ")));
    }
    lines
}

fn render(rows: &[Row], machine: &[String], why_empty: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| work | Rust (median) | NumPy (median) | NumPy / Rust | goal | notes |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---|---|");
    for r in rows {
        let show = |v: Option<f64>| v.map_or("–".to_string(), |v| r.unit.show(v));
        let ratio = match (r.rust, r.numpy) {
            (Some(a), Some(b)) if a > 0.0 => format!("{:.1}×", b / a),
            _ => "–".into(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            r.work,
            show(r.rust),
            show(r.numpy),
            ratio,
            r.goal,
            r.note
        );
    }
    let _ = writeln!(s);
    for l in machine {
        let _ = writeln!(s, "- {l}");
    }
    if !why_empty.is_empty() {
        let _ = writeln!(s, "- {why_empty}");
    }
    s
}
