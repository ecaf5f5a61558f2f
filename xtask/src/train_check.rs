//! `cargo xtask train-check`: the book's training run on the real MNIST.

use std::process::Command;

use crate::{Result, build_nn, parse_data_options, project_root, run, step};

/// The book's `train_neuralnet.py` (784-50-10, sigmoid, lr 0.1, batch 100,
/// 10 000 iterations, seed 0) must reach this test accuracy; the book's
/// NumPy code reaches 0.9469 with `np.random.seed(0)`, ours 0.9452.
const MIN_TEST_ACC: f64 = 0.942;

pub(crate) fn train_check(args: &[String]) -> Result {
    let opts = parse_data_options(args)?;
    let nn = build_nn(&project_root())?;
    let data = opts.data_dir.display().to_string();
    let train_present = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"]
        .iter()
        .all(|f| {
            opts.data_dir.join(f).is_file() || opts.data_dir.join(format!("{f}.gz")).is_file()
        });
    if !train_present {
        step(&format!("fetching train into {data}"));
        let mut a = vec!["fetch", "--data-dir", &data, "--what", "train"];
        if let Some(m) = &opts.mirror {
            a.extend(["--mirror", m.as_str()]);
        }
        run(Command::new(&nn).args(&a))?;
    }
    step("nn train (the book's configuration, seed 0)");
    let out = Command::new(&nn)
        .args([
            "train",
            "--data-dir",
            &data,
            "--seed",
            "0",
            "--quiet",
            "--json",
        ])
        .output()
        .map_err(|e| format!("cannot start {}: {e}", nn.display()))?;
    if !out.status.success() {
        return Err(format!(
            "nn train failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let json = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> Result<f64> {
        let key = format!("\"{name}\":");
        let start = json
            .find(&key)
            .ok_or(format!("no {name} in nn train --json output"))?
            + key.len();
        let end = json[start..]
            .find([',', '}'])
            .map_or(json.len(), |e| start + e);
        json[start..end]
            .trim()
            .parse()
            .map_err(|e| format!("{name}: {e}"))
    };
    let (train_acc, test_acc, seconds) =
        (field("train_acc")?, field("test_acc")?, field("seconds")?);
    println!("train acc {train_acc:.4}, test acc {test_acc:.4}, {seconds:.1} s");
    if test_acc < MIN_TEST_ACC {
        return Err(format!("test accuracy {test_acc} is below {MIN_TEST_ACC}"));
    }
    step("train-check: passed");
    Ok(())
}
