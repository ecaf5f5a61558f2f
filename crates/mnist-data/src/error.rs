//! The one error type of `mnist-data`.

use std::path::PathBuf;

/// Everything that can go wrong while finding, parsing or fetching MNIST.
///
/// Messages are one lowercase line without a trailing period, and name the
/// file (or URL) involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Files of a split are not in the data directory.
    #[error(
        "missing mnist {what} files in {dir}: expected {files}; fetch them with `nn fetch --data-dir {dir} --what {what}`",
        dir = dir.display(),
        files = files.join(", ")
    )]
    MissingFiles {
        /// The directory that was searched.
        dir: PathBuf,
        /// The file names that were not found (the `.gz` name; the unzipped
        /// name without `.gz` is accepted too).
        files: Vec<String>,
        /// What to fetch to get them: `test`, `train` or `all`.
        what: &'static str,
    },
    /// No data directory was given and none could be worked out.
    #[error("no data directory: set NN_DATA_DIR or pass one explicitly (no home directory found)")]
    NoDataDir,
    /// Reading or writing a file failed.
    #[error("cannot access {path}: {source}", path = path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file is neither gzip-compressed nor a raw IDX file.
    #[error(
        "{path} is neither gzip nor an idx file (it starts with {found})",
        path = path.display(),
        found = hex_bytes(found)
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// Its first bytes (up to four).
        found: Vec<u8>,
    },
    /// A gzip stream is corrupt (bad deflate data or checksum).
    #[error("corrupt gzip data in {path}: {source}", path = path.display())]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        source: std::io::Error,
    },
    /// A file (after decompression) is shorter than its header says.
    #[error(
        "{path} is truncated: expected {expected} bytes (uncompressed), found {found}",
        path = path.display()
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header promises (header included).
        expected: u64,
        /// Bytes actually there (header included).
        found: u64,
    },
    /// A file (after decompression) is longer than its header says.
    #[error(
        "{path} has data after the {expected} bytes its header announces",
        path = path.display()
    )]
    TrailingData {
        /// The file.
        path: PathBuf,
        /// Bytes the header promises (header included).
        expected: u64,
    },
    /// The IDX magic number is not the one expected for the file's role.
    #[error(
        "bad magic number in {path}: expected {expected} ({what}), found {found}",
        path = path.display(),
        what = magic_name(*expected)
    )]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// 2051 for images, 2049 for labels.
        expected: u32,
        /// The number in the file.
        found: u32,
    },
    /// The IDX dimensions are not those of MNIST (28×28 images).
    #[error("bad dimensions in {path}: expected {expected}, found {found}", path = path.display())]
    BadDimensions {
        /// The file.
        path: PathBuf,
        /// What was expected, e.g. `N×28×28`.
        expected: String,
        /// What the header says.
        found: String,
    },
    /// The images file and the labels file disagree in count.
    #[error(
        "count mismatch: {images} holds {image_count} images but {labels} holds {label_count} labels",
        images = images.display(),
        labels = labels.display()
    )]
    CountMismatch {
        /// The images file.
        images: PathBuf,
        /// Number of images.
        image_count: usize,
        /// The labels file.
        labels: PathBuf,
        /// Number of labels.
        label_count: usize,
    },
    /// A label is not a digit 0–9.
    #[error(
        "label {label} at index {index} in {path} is out of range 0-9",
        path = path.display()
    )]
    LabelOutOfRange {
        /// The labels file.
        path: PathBuf,
        /// Position of the label in the file.
        index: usize,
        /// The value found.
        label: u8,
    },
    /// A class index given to [`one_hot_label`](crate::one_hot_label) is not
    /// a digit 0–9.
    #[error("label {label} at index {index} is out of range 0-9")]
    InvalidLabel {
        /// Position of the label.
        index: usize,
        /// The value found.
        label: u8,
    },
    /// An array does not have the shape of MNIST images.
    #[error("bad shape: expected {expected}, found {found}")]
    BadShape {
        /// The shape required, e.g. `(N, 784)`.
        expected: String,
        /// The shape given.
        found: String,
    },
    /// An index past the end of a data set.
    #[error("index {index} is out of range for {len} items")]
    IndexOutOfRange {
        /// The index asked for.
        index: usize,
        /// How many items there are.
        len: usize,
    },
    /// A downloaded or copied file does not have its pinned SHA-256.
    #[cfg(feature = "fetch")]
    #[error(
        "checksum mismatch for {file} from {from}: expected sha256 {expected} ({expected_size} bytes), got {actual} ({actual_size} bytes)"
    )]
    Checksum {
        /// The file name.
        file: String,
        /// The URL or path it came from.
        from: String,
        /// The pinned SHA-256 (hex).
        expected: String,
        /// The SHA-256 of what arrived (hex).
        actual: String,
        /// The pinned size in bytes.
        expected_size: u64,
        /// The size of what arrived.
        actual_size: u64,
    },
    /// A download is cut short or announced (or runs) longer than the pinned
    /// size, or a file already present has the wrong size.
    #[cfg(feature = "fetch")]
    #[error("size mismatch for {file} from {from}: expected {expected} bytes, got {actual}")]
    Size {
        /// The file name.
        file: String,
        /// The URL or path it came from.
        from: String,
        /// The pinned size in bytes.
        expected: u64,
        /// The size that arrived (or that the server announced).
        actual: u64,
    },
    /// A server answered with an HTTP error status.
    #[cfg(feature = "fetch")]
    #[error("http status {status} from {url}")]
    HttpStatus {
        /// The URL asked for.
        url: String,
        /// The status code.
        status: u16,
    },
    /// A server answered 200 with an HTML page instead of the file.
    #[cfg(feature = "fetch")]
    #[error("{url} answered with an html page ({content_type}), not the file")]
    NotAFile {
        /// The URL asked for.
        url: String,
        /// The Content-Type the server sent.
        content_type: String,
    },
    /// The connection failed, timed out or was dropped.
    #[cfg(feature = "fetch")]
    #[error("download of {url} failed: {reason}")]
    Network {
        /// The URL asked for.
        url: String,
        /// What the HTTP client reported.
        reason: String,
    },
    /// Every mirror failed for a file; each attempt's error is kept.
    #[cfg(feature = "fetch")]
    #[error(
        "could not fetch {file} from any of {n} mirrors: {reasons}",
        n = attempts.len(),
        reasons = attempts.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    AllMirrorsFailed {
        /// The file name.
        file: String,
        /// One error per mirror, in the order they were tried.
        attempts: Vec<Error>,
    },
    /// A file or a request body is not an image this crate can decode
    /// (feature `image`: PNG and JPEG).
    #[cfg(feature = "image")]
    #[error("cannot decode {what} as an image: {reason}")]
    ImageDecode {
        /// The file, or what the bytes were (e.g. `image data`).
        what: String,
        /// What the decoder reported.
        reason: String,
    },
    /// An image has more pixels than
    /// [`MAX_IMAGE_PIXELS`](crate::preprocess::MAX_IMAGE_PIXELS); refused from
    /// its header, before decoding.
    #[cfg(feature = "image")]
    #[error(
        "{what} is {width}×{height} pixels, over the budget of {max_pixels} pixels; scale it down first"
    )]
    ImageTooLarge {
        /// The file, or what the bytes were.
        what: String,
        /// Width in pixels.
        width: u64,
        /// Height in pixels.
        height: u64,
        /// The budget.
        max_pixels: u64,
    },
    /// Nothing stands out from the background: no digit to classify.
    #[cfg(feature = "image")]
    #[error(
        "the image is blank: its darkest and lightest pixels differ from the background by at most {contrast} of 255 (need {min})",
        min = crate::preprocess::MIN_CONTRAST
    )]
    BlankImage {
        /// The largest difference from the background level, 0-255.
        contrast: u8,
    },
}

/// `Result` with [`enum@Error`] as the error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

fn hex_bytes(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing: the file is empty".to_owned();
    }
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn magic_name(magic: u32) -> &'static str {
    match magic {
        crate::idx::IMAGES_MAGIC => "idx images",
        crate::idx::LABELS_MAGIC => "idx labels",
        _ => "idx",
    }
}
