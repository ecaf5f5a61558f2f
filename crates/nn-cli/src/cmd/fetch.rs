//! `nn fetch`: the book's `download_mnist` (`dataset/mnist.py`), with
//! mirrors, pinned SHA-256 and atomic writes.

use std::io::IsTerminal;
use std::path::PathBuf;

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
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
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
        ..FetchOptions::default()
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
