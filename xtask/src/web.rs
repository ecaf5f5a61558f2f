//! `cargo xtask web-check`: the drawing page of `nn serve` in a real headless
//! Chromium.
//!
//! Installs Debian's `chromium` and `chromium-driver` with apt-get when they
//! are missing, builds `nn`, fetches the book's weights, then runs the
//! browser test (`tests/e2e/web.rs`), which starts `nn serve` and
//! `chromedriver` itself and stops them when it ends. Screenshots of each
//! drawn digit land in `<target>/web-check/`.

use std::env;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use crate::{Result, build_nn, cargo, parse_data_options, project_root, run, step, target_dir};

pub(crate) fn web_check(args: &[String]) -> Result {
    let opts = parse_data_options(args)?;
    let root = project_root();
    let (chrome, chromedriver) = browser()?;

    let nn = build_nn(&root)?;
    let target_dir = target_dir(&root);

    let data = opts.data_dir.display().to_string();
    step(&format!("fetching the book's weights into {data}"));
    let mut a = vec!["fetch", "--data-dir", &data, "--what", "weights"];
    if let Some(m) = &opts.mirror {
        a.extend(["--mirror", m.as_str()]);
    }
    run(Command::new(&nn).args(&a))?;

    let shots = target_dir.join("web-check");
    step(&format!(
        "drawing digits in headless Chromium (screenshots in {})",
        shots.display()
    ));
    cargo(
        &root,
        &[
            "test",
            "--release",
            "--quiet",
            "--package",
            "e2e",
            "--test",
            "e2e",
            "web::",
            "--",
            "--nocapture",
        ],
        &[
            ("NN_WEB_CHECK", "1".into()),
            ("NN_DATA_DIR", opts.data_dir.clone().into_os_string()),
            ("NN_BIN", nn.into_os_string()),
            ("CHROME", chrome.into_os_string()),
            ("CHROMEDRIVER", chromedriver.into_os_string()),
            ("NN_WEB_SHOTS", shots.into_os_string()),
        ],
    )?;
    step("web-check: the page classified the digits drawn in Chromium");
    Ok(())
}

/// Chromium and chromedriver: `$CHROME` / `$CHROMEDRIVER`, else on `PATH`,
/// else installed with apt-get (Debian's `chromium` and `chromium-driver`).
fn browser() -> Result<(PathBuf, PathBuf)> {
    let find = || {
        let chrome = from_env("CHROME").or_else(|| {
            ["chromium", "chromium-browser", "google-chrome"]
                .iter()
                .find_map(|n| on_path(n))
        });
        let driver = from_env("CHROMEDRIVER").or_else(|| on_path("chromedriver"));
        chrome.zip(driver)
    };
    if let Some(found) = find() {
        return Ok(found);
    }
    step("installing chromium and chromium-driver (apt-get)");
    let apt = |args: &[&str]| {
        run(Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive"))
    };
    apt(&["update", "-qq"])
        .and_then(|()| apt(&["install", "-y", "-qq", "chromium", "chromium-driver"]))
        .map_err(|e| {
            format!(
                "{e}; install Chromium and its WebDriver yourself (Debian: apt-get install \
                 chromium chromium-driver) or set CHROME and CHROMEDRIVER"
            )
        })?;
    find().ok_or_else(|| "chromium or chromedriver still not found after apt-get".to_owned())
}

fn from_env(name: &str) -> Option<PathBuf> {
    env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path: OsString = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
