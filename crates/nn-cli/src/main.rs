//! The `nn` command: the book's chapter 3-4 programs as subcommands.
//!
//! Only this crate talks to the terminal; the libraries return values and
//! errors, and `main` prints an error chain on one line and exits non-zero.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod plotting;

/// Deep Learning from Scratch, chapters 3-4, in Rust.
#[derive(Debug, Parser)]
#[command(name = "nn", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Evaluate weights on the MNIST test set (the book's Accuracy:0.9352).
    Eval(cmd::eval::Args),
    /// Download MNIST and the book's weights; verify SHA-256; cache them.
    Fetch(cmd::fetch::Args),
    /// Draw one MNIST image in the terminal with its label (mnist_show.py).
    Show(cmd::show::Args),
    /// Train a network on MNIST with mini-batch SGD (train_neuralnet.py).
    Train(cmd::train::Args),
    /// Check backpropagation against numerical gradients (gradient_check.py).
    Gradcheck(cmd::gradcheck::Args),
    /// The derivative of a function of one variable (the book's numerical_diff).
    Diff(cmd::diff::Args),
    /// The gradient of a function at a point (the book's numerical_gradient).
    Grad(cmd::grad::Args),
    /// Gradient descent from a point, optionally plotted (gradient_method.py).
    Descent(cmd::descent::Args),
    /// Draw one of chapter 4's figures to a PNG or SVG file.
    Plot(cmd::plot::Args),
    /// Classify a picture of your own handwritten digit (PNG or JPEG).
    Predict(cmd::predict::Args),
    /// Serve a page to draw digits on, classified as you draw.
    Serve(cmd::serve::Args),
}

/// What every subcommand returns: any error, printed as one line by `main`.
pub(crate) type CliResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Eval(args) => cmd::eval::run(args),
        Command::Fetch(args) => cmd::fetch::run(args),
        Command::Show(args) => cmd::show::run(args),
        Command::Train(args) => cmd::train::run(args),
        Command::Gradcheck(args) => cmd::gradcheck::run(args),
        Command::Diff(args) => cmd::diff::run(args),
        Command::Grad(args) => cmd::grad::run(args),
        Command::Descent(args) => cmd::descent::run(args),
        Command::Plot(args) => cmd::plot::run(args),
        Command::Predict(args) => cmd::predict::run(args),
        Command::Serve(args) => cmd::serve::run(args),
    }
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", error_chain(err.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// `nn train --json | head -c 100` closes our stdout early. Rust ignores
/// SIGPIPE, so `println!` then panics with "failed printing to stdout:
/// Broken pipe". Like a C tool killed by SIGPIPE, end quietly with status
/// 141 (128 + SIGPIPE) instead of printing a panic; any other panic keeps
/// the default report.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

/// `outer: inner: innermost`, skipping a source whose text the outer message
/// already contains (thiserror's `transparent` and `{0}` variants repeat it).
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = s.source();
    }
    line
}
