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
pub(crate) fn data_dir(arg: Option<PathBuf>) -> crate::CliResult<PathBuf> {
    match arg {
        Some(dir) => Ok(dir),
        None => Ok(mnist_data::default_data_dir()?),
    }
}
