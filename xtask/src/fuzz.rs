//! `cargo xtask fuzz`: writes the seed corpora, then runs each cargo-fuzz
//! target in `fuzz/` for a while, one after another on one core.
//!
//! libFuzzer needs no nightly here: `--sanitizer none` leaves out
//! `-Zsanitizer`, and the coverage flags cargo-fuzz passes are stable.

use std::fs::File;
use std::path::Path;
use std::process::Command;

use crate::{Result, cargo, options, project_root, step, target_dir, unknown};

/// The targets, in the order they run (see `fuzz/fuzz_targets/`).
const TARGETS: [&str; 3] = ["idx", "pickle", "safetensors"];

/// libFuzzer's limits: memory, and seconds per input (a hang is a crash).
/// A single allocation larger than an input justifies is caught by the
/// targets' own allocation budget (`nn_fuzz_seeds::within`):
/// `-malloc_limit_mb` needs a sanitizer's malloc hooks, absent here.
const LIBFUZZER_LIMITS: [&str; 2] = ["-rss_limit_mb=512", "-timeout=10"];

pub(crate) fn fuzz(args: &[String]) -> Result {
    let mut seconds = 30u64;
    let mut only: Option<String> = None;
    for (key, value) in options(args, &["--seconds", "--target"])? {
        match (key.as_str(), value) {
            ("--seconds", Some(v)) => {
                seconds = v
                    .parse()
                    .map_err(|_| format!("--seconds wants a whole number, not `{v}`"))?;
            }
            ("--target", Some(v)) => only = Some(v),
            _ => return Err(unknown(&key)),
        }
    }
    let targets: Vec<&str> = match &only {
        Some(t) if TARGETS.contains(&t.as_str()) => vec![t.as_str()],
        Some(t) => {
            return Err(format!(
                "unknown fuzz target `{t}` (the targets are {})",
                TARGETS.join(", ")
            ));
        }
        None => TARGETS.to_vec(),
    };

    let cargo_bin = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let installed = Command::new(&cargo_bin)
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        return Err(
            "cargo-fuzz is not installed; install it with `cargo install cargo-fuzz`".into(),
        );
    }

    let root = project_root();
    let fuzz_dir = root.join("fuzz");
    let corpus = fuzz_dir.join("corpus");
    step("writing the seed corpora (fuzz/seeds)");
    cargo(
        &root,
        &[
            "run",
            "--quiet",
            "--manifest-path",
            "fuzz/Cargo.toml",
            "--package",
            "nn-fuzz-seeds",
            "--",
            &corpus.display().to_string(),
        ],
        &[],
    )?;

    let logs = target_dir(&root).join("fuzz");
    std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
    let mut crashes = Vec::new();
    let mut rows = Vec::new();
    for target in targets {
        step(&format!("fuzzing {target} for {seconds} s"));
        let log_path = logs.join(format!("{target}.log"));
        let log = File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let total_time = format!("-max_total_time={seconds}");
        let status = Command::new(&cargo_bin)
            .current_dir(&root)
            .args(["fuzz", "run", "--sanitizer", "none", "--fuzz-dir"])
            .arg(&fuzz_dir)
            .args([target, "--", &total_time, "-print_final_stats=1"])
            .args(LIBFUZZER_LIMITS)
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .status()
            .map_err(|e| format!("cannot start cargo fuzz: {e}"))?;
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let execs = stat(&text, "stat::number_of_executed_units:").unwrap_or_default();
        let found: Vec<String> = text
            .lines()
            .filter_map(|l| {
                l.split_once("Test unit written to ")
                    .map(|(_, p)| p.trim().to_owned())
            })
            .collect();
        let size = corpus_size(&corpus.join(target));
        println!(
            "{target}: {execs} executions, corpus of {size} inputs (log: {})",
            log_path.display()
        );
        if !status.success() || !found.is_empty() {
            for line in text.lines().filter(|l| is_crash_line(l)).take(20) {
                println!("    {line}");
            }
            let what = if found.is_empty() {
                format!(
                    "{target}: cargo fuzz failed ({status}); see {}",
                    log_path.display()
                )
            } else {
                format!("{target}: crash input {}", found.join(", "))
            };
            crashes.push(what);
        }
        rows.push((target, execs, size));
    }
    println!("\n| target | seconds | executions | corpus |\n|---|---:|---:|---:|");
    for (target, execs, size) in rows {
        println!("| {target} | {seconds} | {execs} | {size} |");
    }
    if crashes.is_empty() {
        step("fuzz: no crash");
        Ok(())
    } else {
        Err(format!(
            "{} target(s) crashed:\n  {}",
            crashes.len(),
            crashes.join("\n  ")
        ))
    }
}

/// The number after `key` in libFuzzer's final statistics.
fn stat(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .rev()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().parse().ok())
}

fn corpus_size(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

/// Lines of a libFuzzer log worth showing when a target fails.
fn is_crash_line(line: &str) -> bool {
    [
        "panicked",
        "ERROR:",
        "SUMMARY:",
        "Test unit written",
        "out-of-memory",
        "malloc(",
        "Reproduce",
        "cargo fuzz run",
    ]
    .iter()
    .any(|k| line.contains(k))
}
