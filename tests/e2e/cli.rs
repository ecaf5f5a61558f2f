use std::path::Path;
use std::process::{Command, Output};

fn nn(bin: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .output()
        .expect("the nn binary runs")
}

/// The report without the line that holds wall-clock figures.
fn without_timing(stdout: &[u8]) -> String {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| !l.starts_with("speed:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn eval_report_batch_100_and_1() {
    let (Some(dir), Some(bin)) = (e2e::data_dir(), e2e::nn_bin()) else {
        return;
    };
    let weights = dir.join("sample_weight.pkl");
    let (w, d) = (weights.to_str().unwrap(), dir.to_str().unwrap());
    for batch in ["100", "1"] {
        let out = nn(
            &bin,
            &[
                "eval",
                "--weights",
                w,
                "--data-dir",
                d,
                "--batch-size",
                batch,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = without_timing(&out.stdout);
        assert!(text.starts_with("Accuracy:0.9352\n"), "{text}");
        insta::assert_snapshot!(format!("eval_report_batch_{batch}"), text);
    }
}

#[test]
fn eval_json_has_the_numbers() {
    let (Some(dir), Some(bin)) = (e2e::data_dir(), e2e::nn_bin()) else {
        return;
    };
    let weights = dir.join("sample_weight.pkl");
    let out = nn(
        &bin,
        &[
            "eval",
            "--weights",
            weights.to_str().unwrap(),
            "--data-dir",
            dir.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["accuracy"], 0.9352);
    assert_eq!(v["correct"], 9352);
    assert_eq!(v["total"], 10000);
}

#[test]
fn missing_weights_say_how_to_fetch_them() {
    let (Some(dir), Some(bin)) = (e2e::data_dir(), e2e::nn_bin()) else {
        return;
    };
    let tmp = std::env::temp_dir().join("nn-e2e-no-such-dir");
    let missing = tmp.join("sample_weight.pkl");
    let out = nn(
        &bin,
        &[
            "eval",
            "--weights",
            missing.to_str().unwrap(),
            "--data-dir",
            dir.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("sample_weight.pkl") && err.contains("nn fetch"),
        "{err}"
    );
}
