//! Project automation, run as `cargo xtask <task>` (see `.cargo/config.toml`).
//!
//! A thin conductor in the style of matklad's cargo-xtask: it builds the `nn`
//! binary, drives it (`nn fetch`, `nn eval`) and runs the end-to-end test
//! package with the data directory set; `bench` runs the Rust benchmarks
//! and the NumPy reference in turn. It has no dependency but `mnist-data`
//! (for the one data-directory rule), so it compiles quickly.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod bench;
mod fuzz;
mod train_check;
mod web;

const HELP: &str = "\
cargo xtask <task> [options]

tasks:
  eval          fetch the test set and the book's sample_weight.pkl, evaluate
                the 784-50-100-10 network (the book's Accuracy:0.9352) and run
                the snapshot-tested end-to-end checks
  bench         time the book's workloads in Rust and, when a Python with
                NumPy is at hand, in the NumPy reference bench/numpy_reference.py,
                in turn on this machine; check that both compute the same
                values; print the table of medians (see BENCHMARKS.md)
  web-check     draw digits on the `nn serve` page in headless Chromium and
                check the verdicts it shows (installs chromium and
                chromium-driver with apt-get when missing)
  train-check   train the book's two-layer network on the real MNIST (seed 0,
                10 000 iterations) and check test accuracy >= 0.942; reads
                the training set from --data-dir, fetching it when missing
  fuzz          write the seed corpora and run each cargo-fuzz target in fuzz/
                (idx, pickle, safetensors) in turn on one core; fails on a
                crash and names the input (needs `cargo install cargo-fuzz`)
  help          this text

options (eval, bench, web-check, train-check):
  --mirror URL_OR_DIR   fetch from this mirror instead of the internet
                        (also NN_MIRROR), e.g. ../shared/data
  --data-dir DIR        where the data lives (also NN_DATA_DIR; default: the
                        platform cache directory)

options (fuzz):
  --seconds N           how long each target runs (default 30)
  --target NAME         only this target

options (bench):
  --python PATH         the Python to run NumPy with (default: target/bench-venv,
                        created from PyPI when python3 is on PATH)
  --no-python           the Rust column only
  --rounds N            alternating rounds per row (default 5; 3 for the
                        half-minute rows)
  --quick               skip the numerical gradients and the training runs
  --out FILE            also write the table there (default target/bench/results.md)
";

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let mut args = env::args().skip(1);
    let task = args.next();
    let rest: Vec<String> = args.collect();
    let result = match task.as_deref() {
        Some("eval") => eval(&rest),
        Some("bench") => bench::bench(&rest),
        Some("web-check") => web::web_check(&rest),
        Some("train-check") => train_check::train_check(&rest),
        Some("fuzz") => fuzz::fuzz(&rest),
        Some("help" | "--help" | "-h") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task `{other}`; run `cargo xtask help`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Options shared by the tasks that need data.
struct DataOptions {
    mirror: Option<String>,
    data_dir: PathBuf,
}

/// One command-line option: `--key value` or `--key=value` (a value), or
/// a flag (`None`).
type Opt = (String, Option<String>);

/// Splits `args` into options; the keys in `valued` take a value, the
/// others are flags.
fn options(args: &[String], valued: &[&str]) -> Result<Vec<Opt>> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) => (k, Some(v.to_owned())),
            None => (arg.as_str(), None),
        };
        let value = if valued.contains(&key) {
            let value = inline.or_else(|| it.next().cloned());
            Some(value.ok_or(format!("{key} needs a value"))?)
        } else if inline.is_some() {
            return Err(format!("{key} takes no value"));
        } else {
            None
        };
        out.push((key.to_owned(), value));
    }
    Ok(out)
}

/// The error for an option no task knows.
fn unknown(key: &str) -> String {
    format!("unknown option `{key}`; run `cargo xtask help`")
}

/// The options [`data_options`] takes.
const DATA_OPTIONS: [&str; 2] = ["--mirror", "--data-dir"];

fn parse_data_options(args: &[String]) -> Result<DataOptions> {
    data_options(options(args, &DATA_OPTIONS)?)
}

/// `--mirror` and `--data-dir` (with `NN_MIRROR` and the default data
/// directory); any other option is an error.
fn data_options(opts: Vec<Opt>) -> Result<DataOptions> {
    let mut mirror = env::var("NN_MIRROR").ok().filter(|m| !m.is_empty());
    let mut data_dir = None;
    for (key, value) in opts {
        match (key.as_str(), value) {
            ("--mirror", Some(v)) => mirror = Some(v),
            ("--data-dir", Some(v)) => data_dir = Some(PathBuf::from(v)),
            _ => return Err(unknown(&key)),
        }
    }
    // A relative mirror directory is meant relative to where the user typed
    // the command; cargo runs us from there, and we pass absolute paths on.
    if let Some(m) = &mirror {
        if !m.contains("://") {
            mirror = Some(absolute(Path::new(m))?.display().to_string());
        }
    }
    let data_dir = match data_dir {
        Some(d) => absolute(&d)?,
        None => mnist_data::default_data_dir().map_err(|e| e.to_string())?,
    };
    Ok(DataOptions { mirror, data_dir })
}

/// `cargo xtask eval`: the project's main job.
fn eval(args: &[String]) -> Result {
    let opts = parse_data_options(args)?;
    let root = project_root();
    let nn = build_nn(&root)?;

    let data = opts.data_dir.display().to_string();
    for what in ["test", "weights"] {
        step(&format!("fetching {what} into {data}"));
        let mut a = vec!["fetch", "--data-dir", &data, "--what", what];
        if let Some(m) = &opts.mirror {
            a.extend(["--mirror", m.as_str()]);
        }
        run(Command::new(&nn).args(&a))?;
    }

    let weights = opts
        .data_dir
        .join("sample_weight.pkl")
        .display()
        .to_string();
    for batch in ["100", "1"] {
        step(&format!("nn eval --batch-size {batch}"));
        run(Command::new(&nn).args([
            "eval",
            "--weights",
            &weights,
            "--data-dir",
            &data,
            "--batch-size",
            batch,
        ]))?;
    }

    step("end-to-end checks (tests/, insta snapshots)");
    let nn_bin: OsString = nn.into_os_string();
    let data_env = ("NN_DATA_DIR", opts.data_dir.as_os_str().to_owned());
    cargo(
        &root,
        &["test", "--release", "--quiet", "--package", "e2e"],
        &[data_env.clone(), ("NN_BIN", nn_bin)],
    )?;
    // Needs the real sample_weight.pkl (its pinned checksum): two `nn fetch`
    // processes download it into one directory at once from a slow server.
    step("two nn fetch processes into one data dir");
    cargo(
        &root,
        &[
            "test",
            "--release",
            "--quiet",
            "--package",
            "nn-cli",
            "--test",
            "reliability",
            "two_nn_fetch_processes_on_the_real_weights",
        ],
        &[data_env],
    )?;
    step("eval: all checks passed");
    Ok(())
}

/// Build `nn` in release and return its path.
pub(crate) fn build_nn(root: &Path) -> Result<PathBuf> {
    step("building the nn binary (release)");
    let [nn] = build_release(root, [("nn-cli", "nn")])?;
    Ok(nn)
}

/// Builds the binaries `(package, bin)` in release, in one cargo run, and
/// returns their absolute paths in the same order.
pub(crate) fn build_release<const N: usize>(
    root: &Path,
    bins: [(&str, &str); N],
) -> Result<[PathBuf; N]> {
    let mut args = vec!["build", "--release", "--quiet"];
    for (package, bin) in bins {
        args.extend(["--package", package, "--bin", bin]);
    }
    cargo(root, &args, &[])?;
    let dir = absolute(&target_dir(root))?.join("release");
    Ok(bins.map(|(_, bin)| dir.join(format!("{bin}{}", env::consts::EXE_SUFFIX))))
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` or `<root>/target`.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

fn step(what: &str) {
    println!("==> {what}");
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the root")
        .to_path_buf()
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(|e| format!("{}: {e}", p.display()))
}

fn cargo(root: &Path, args: &[&str], envs: &[(&str, OsString)]) -> Result {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root).args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

fn run(cmd: &mut Command) -> Result {
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        let line: Vec<String> = std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        Err(format!("`{}` failed ({status})", line.join(" ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn options_take_values_inline_or_next_and_flags() {
        let got = options(&words("--a 1 --b=2 --flag --a=x=y"), &["--a", "--b"]).unwrap();
        let pair = |k: &str, v: Option<&str>| (k.to_owned(), v.map(String::from));
        assert_eq!(
            got,
            [
                pair("--a", Some("1")),
                pair("--b", Some("2")),
                pair("--flag", None),
                pair("--a", Some("x=y")),
            ]
        );
        assert_eq!(
            options(&words("--a"), &["--a"]).unwrap_err(),
            "--a needs a value"
        );
        assert_eq!(
            options(&words("--flag=1"), &["--a"]).unwrap_err(),
            "--flag takes no value"
        );
        let data = data_options(vec![pair("--data-dir", Some("/d")), pair("--x", None)]);
        assert_eq!(
            data.err().unwrap(),
            "unknown option `--x`; run `cargo xtask help`"
        );
    }
}
