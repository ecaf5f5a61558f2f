//! `nn fetch`: the book's `download_mnist` (`dataset/mnist.py`), with
//! mirrors, pinned SHA-256 and atomic writes.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use mnist_data::fetch::{FetchEvent, FetchOptions, Source, What};

use crate::CliResult;
use crate::cmd::data_dir;

/// Download MNIST (and the book's sample_weight.pkl), verify and cache it.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Directory to fetch into [default: $NN_DATA_DIR, else the platform cache dir].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Replace the default mirrors with one: an http(s) base URL or a local
    /// directory (e.g. ../shared/data).
    #[arg(long, env = "NN_MIRROR", value_name = "URL_OR_DIR")]
    mirror: Option<String>,
    /// What to fetch.
    #[arg(long, value_enum, default_value_t = WhatArg::All)]
    what: WhatArg,
    /// Longest wait for a connection to a mirror, in seconds.
    #[arg(long, value_name = "SECS", default_value = "15", value_parser = seconds)]
    connect_timeout: Duration,
    /// Longest wait for the response headers, and for each read of the
    /// body, in seconds: a mirror that stalls longer is given up on.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    read_timeout: Duration,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

/// A positive, finite number of seconds, fractions allowed (`0.5`).
pub(crate) fn seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if secs.is_nan() || secs <= 0.0 {
        return Err(format!("{s:?}: the timeout must be above 0 seconds"));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| format!("{s:?} is too many seconds"))
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum WhatArg {
    /// t10k images and labels.
    Test,
    /// train images and labels.
    Train,
    /// the book's sample_weight.pkl.
    Weights,
    /// all of the above.
    All,
}

impl From<WhatArg> for What {
    fn from(w: WhatArg) -> What {
        match w {
            WhatArg::Test => What::Test,
            WhatArg::Train => What::Train,
            WhatArg::Weights => What::Weights,
            WhatArg::All => What::All,
        }
    }
}

pub(crate) fn run(args: Args) -> CliResult {
    let dir = data_dir(args.data_dir)?;
    let options = FetchOptions {
        mirror: args.mirror.as_deref().map(Source::parse),
        connect_timeout: args.connect_timeout,
        read_timeout: args.read_timeout,
    };
    let mode = if args.quiet {
        Mode::Quiet
    } else if std::io::stderr().is_terminal() {
        Mode::Bars
    } else {
        Mode::Lines
    };
    let mut reporter = Reporter { mode, bar: None };
    let result = mnist_data::fetch::fetch(&dir, args.what.into(), &options, &mut |e| {
        reporter.event(e);
    });
    reporter.clear();
    let paths = result?;
    if !args.quiet {
        println!("{} file(s) ready in {}", paths.len(), dir.display());
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing.
    Quiet,
    /// One plain line per event (not a terminal).
    Lines,
    /// A progress bar per transfer (a terminal).
    Bars,
}

/// Renders fetch events on stderr.
struct Reporter {
    mode: Mode,
    bar: Option<ProgressBar>,
}

impl Reporter {
    fn event(&mut self, event: &FetchEvent<'_>) {
        if self.mode == Mode::Quiet {
            return;
        }
        match event {
            FetchEvent::Start { file, from, size } => {
                if self.mode == Mode::Bars {
                    self.clear();
                    self.line(format!("{file}: fetching {from}"));
                    self.bar = Some(new_bar(file, *size));
                } else {
                    self.line(format!("{file}: fetching {from} ({size} bytes)"));
                }
            }
            FetchEvent::Progress { bytes, .. } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(*bytes);
                }
            }
            FetchEvent::Done { file, path } => {
                self.clear();
                self.line(format!("{file}: verified, saved to {}", path.display()));
            }
            FetchEvent::AlreadyPresent { file, .. } => {
                self.line(format!("{file}: already present and verified"));
            }
            FetchEvent::RemovedStale { file, path } => {
                self.line(format!(
                    "{file}: removed {}, left by an interrupted fetch",
                    path.display()
                ));
            }
            FetchEvent::Replacing { file, reason, .. } => {
                self.line(format!("{file}: present but {reason}; fetching it again"));
            }
            FetchEvent::Fallback {
                file, reason, next, ..
            } => {
                self.clear();
                self.line(format!("{file}: {reason}; trying {next}"));
            }
            _ => {}
        }
    }

    fn line(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn new_bar(file: &str, size: u64) -> ProgressBar {
    let bar = ProgressBar::new(size);
    if let Ok(style) = ProgressStyle::with_template(
        "{prefix} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(file.to_owned());
    bar
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn args(data_dir: &Path, mirror: &Path, what: WhatArg) -> Args {
        Args {
            data_dir: Some(data_dir.to_owned()),
            mirror: Some(mirror.display().to_string()),
            what,
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(30),
            quiet: true,
        }
    }

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(seconds("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(seconds("30"), Ok(Duration::from_secs(30)));
        for bad in ["0", "-1", "nan", "inf", "1e30", "soon"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_timeouts_are_the_librarys() {
        let args: Args = crate::cmd::testing::parse(&[]).unwrap();
        let defaults = FetchOptions::default();
        assert_eq!(args.connect_timeout, defaults.connect_timeout);
        assert_eq!(args.read_timeout, defaults.read_timeout);
        let args: Args = crate::cmd::testing::parse(&["--read-timeout", "0.5"]).unwrap();
        assert_eq!(args.read_timeout, Duration::from_millis(500));
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn a_mirror_with_the_wrong_files_is_refused_and_leaves_nothing() {
        let mirror = tempfile::tempdir().unwrap();
        std::fs::write(
            mirror.path().join("t10k-images-idx3-ubyte.gz"),
            b"not mnist",
        )
        .unwrap();
        let data = tempfile::tempdir().unwrap();
        let err = run(args(data.path(), mirror.path(), WhatArg::Test)).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("checksum mismatch for t10k-images-idx3-ubyte.gz"),
            "{msg}"
        );
        assert!(files_in(data.path()).is_empty());
    }

    /// `nn fetch --mirror $NN_DATA_DIR`: the test set verifies; the shared
    /// copy's training images are a reconstruction, so they must not.
    #[test]
    fn fetch_from_the_real_data_dir() {
        let Some(real) = std::env::var_os("NN_DATA_DIR").filter(|d| !d.is_empty()) else {
            eprintln!("skipping: set NN_DATA_DIR");
            return;
        };
        let real = PathBuf::from(real);
        let data = tempfile::tempdir().unwrap();
        run(args(data.path(), &real, WhatArg::Test)).unwrap();
        assert_eq!(
            files_in(data.path()),
            ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
        );
        let train = real.join("train-images-idx3-ubyte.gz");
        let official = mnist_data::fetch::verify_file(&train, &mnist_data::fetch::TRAIN_IMAGES);
        if train.exists() && official.is_err() {
            let err = run(args(data.path(), &real, WhatArg::Train)).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("checksum mismatch for train-images-idx3-ubyte.gz"),
                "{err}"
            );
            assert_eq!(files_in(data.path()).len(), 2, "something was left behind");
        }
    }
}
