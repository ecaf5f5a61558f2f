//! The one error type of `nn-grad`.

/// Everything that can go wrong in `nn-grad`.
///
/// Messages are one lowercase line without a trailing period.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from `nn-core` (shapes, labels, networks).
    #[error(transparent)]
    Core(#[from] nn_core::Error),
    /// A name that is not one of the [`NamedFunction`](crate::NamedFunction)s.
    #[error("unknown function {name:?}, expected one of: {expected}")]
    UnknownFunction {
        /// The name that was given.
        name: String,
        /// The accepted names, comma-separated.
        expected: String,
    },
    /// A point with the wrong number of coordinates for a function.
    #[error("function {function} takes {expected} coordinates, got {got}")]
    Dimension {
        /// The function's name.
        function: &'static str,
        /// How many coordinates it takes, in words (`"1"`, `"at least 2"`).
        expected: &'static str,
        /// How many the point has.
        got: usize,
    },
    /// A network, dataset or training setting that cannot work (a zero
    /// size, an empty batch, a fraction outside `(0, 1)`, …).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

/// `Result` with [`enum@Error`] as the error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
