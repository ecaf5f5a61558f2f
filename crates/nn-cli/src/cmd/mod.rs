//! One module per subcommand: its clap `Args` and a `run(args) -> CliResult`.

pub(crate) mod descent;
pub(crate) mod diff;
pub(crate) mod eval;
pub(crate) mod fetch;
pub(crate) mod grad;
pub(crate) mod gradcheck;
pub(crate) mod plot;
pub(crate) mod predict;
pub(crate) mod serve;
pub(crate) mod show;
pub(crate) mod train;

use std::path::PathBuf;

/// The data directory: `--data-dir` > `NN_DATA_DIR` > the platform cache
/// directory (see [`mnist_data::default_data_dir`]).
///
/// A path that exists but is not a directory is refused here, with a message
/// that says so, rather than as "missing files" or "file exists" later.
pub(crate) fn data_dir(arg: Option<PathBuf>) -> crate::CliResult<PathBuf> {
    let dir = match arg {
        Some(dir) => dir,
        None => mnist_data::default_data_dir()?,
    };
    if dir.exists() && !dir.is_dir() {
        return Err(format!(
            "data directory {} is a file, not a directory",
            dir.display()
        )
        .into());
    }
    Ok(dir)
}

/// Test support: a subcommand's `Args` parsed from words, as clap parses them
/// after `nn <subcommand>`.
#[cfg(test)]
pub(crate) mod testing {
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli<A: clap::Args> {
        #[command(flatten)]
        args: A,
    }

    /// `A` parsed from `words` (without the program name).
    pub(crate) fn parse<A: clap::Args>(words: &[&str]) -> Result<A, clap::Error> {
        Cli::<A>::try_parse_from(std::iter::once("nn").chain(words.iter().copied()))
            .map(|cli| cli.args)
    }

    /// What a subcommand prints for `words`: `render`'s output, its error
    /// as `error: …`, or the kind of a usage error.
    pub(crate) fn output<A: clap::Args>(
        words: &[&str],
        render: impl Fn(&A) -> crate::CliResult<String>,
    ) -> String {
        match parse::<A>(words) {
            Ok(args) => render(&args).unwrap_or_else(|e| format!("error: {e}\n")),
            Err(e) => format!("usage error: {:?}\n", e.kind()),
        }
    }
}
