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
    /// A weight file could not be read or written.
    #[error("i/o error on {}: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system reported.
        source: std::io::Error,
    },
    /// Not a pickle of protocol 2 to 5, or one this crate cannot run.
    #[error("{} is not a readable pickle: {detail}", path.display())]
    NotAPickle {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong, with the byte offset when there is one.
        detail: String,
    },
    /// The file ends before the pickle does.
    #[error("{} is truncated: the pickle ends before its STOP opcode", path.display())]
    Truncated {
        /// The file.
        path: std::path::PathBuf,
    },
    /// A pickle of something other than a dict from names to NumPy arrays.
    #[error("{} does not hold a dict of arrays: found {found}", path.display())]
    NotADictOfArrays {
        /// The file.
        path: std::path::PathBuf,
        /// What was found instead, e.g. `a list`.
        found: String,
    },
    /// An array whose element type is not float32 or float64.
    #[error(
        "array '{key}' in {} has unsupported dtype {dtype} (expected float32 or float64)",
        path.display()
    )]
    UnsupportedDtype {
        /// The file.
        path: std::path::PathBuf,
        /// The array's name.
        key: String,
        /// The dtype, as NumPy (`int64`, `<U5`) or safetensors (`I64`) names it.
        dtype: String,
    },
    /// An array whose parts do not fit together, e.g. fewer bytes than its
    /// shape needs.
    #[error("array '{key}' in {} is malformed: {detail}", path.display())]
    BadArray {
        /// The file.
        path: std::path::PathBuf,
        /// The array's name.
        key: String,
        /// What does not fit.
        detail: String,
    },
    /// An array holds NaN or an infinity (see [`crate::io::check_finite`]).
    #[error(
        "array '{key}' in {} holds {value} at {index:?}: the weights are unusable",
        path.display()
    )]
    NonFinite {
        /// The file.
        path: std::path::PathBuf,
        /// The array's name.
        key: String,
        /// The first such element's index.
        index: Vec<usize>,
        /// The value: `NaN`, `inf` or `-inf`.
        value: String,
    },
    /// A weight file lacks an array that is needed.
    #[error("{} has no array named '{key}'", path.display())]
    MissingKey {
        /// The file.
        path: std::path::PathBuf,
        /// The missing name, e.g. `W1`.
        key: String,
    },
    /// A weight-file name whose extension names no known format.
    #[error(
        "{}: unknown weight-file extension {extension} (expected .pkl, .pickle or .safetensors)",
        path.display()
    )]
    UnknownExtension {
        /// The file.
        path: std::path::PathBuf,
        /// The extension found, quoted, or `(none)`.
        extension: String,
    },
    /// A malformed safetensors file.
    #[error("{} is not a readable safetensors file: {detail}", path.display())]
    SafeTensors {
        /// The file.
        path: std::path::PathBuf,
        /// What the safetensors crate reported.
        detail: String,
    },
}

/// `Result` with [`enum@Error`] as the error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
