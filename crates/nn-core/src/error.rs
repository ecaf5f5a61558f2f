//! The one error type of `nn-core`.

/// Everything that can go wrong in `nn-core`.
///
/// Messages are one lowercase line without a trailing period, and name the
/// file when one is involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two arrays whose shapes must agree do not.
    #[error("shape mismatch in {context}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// Which function or argument.
        context: String,
        /// The shape that was required, in words or as `[a, b]`.
        expected: String,
        /// The shape that was given.
        got: String,
    },
    /// A class label is not smaller than the number of classes.
    #[error("label {label} at row {row} is out of range for {classes} classes")]
    LabelOutOfRange {
        /// The row of the batch.
        row: usize,
        /// The label found.
        label: usize,
        /// The number of classes (columns of `y`).
        classes: usize,
    },
    /// A network must have at least one layer, and layers must chain.
    #[error("invalid network: {0}")]
    InvalidNetwork(String),
    /// A batch size of zero or another invalid argument.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// `Result` with [`enum@Error`] as the error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
