//! Weight files: NumPy pickles of a dict of arrays, and safetensors.
//!
//! The book ships its trained network as `sample_weight.pkl`, a pickled
//! Python dict `{'W1': ndarray, 'b1': ndarray, ...}` of float32 arrays
//! (`W1`, `W2`, `W3` stored in Fortran order). [`read_pickle`] loads such
//! files whatever protocol (2 to 5), NumPy version (1.x or 2.x), element
//! type (float32 or float64), byte order or memory order they were written
//! with; [`write_pickle`] writes files Python's `pickle.load` turns back into
//! a dict of NumPy arrays. [`read_tensors`] and [`write_tensors`] choose
//! between pickle and safetensors by file extension.
//!
//! Arrays come back as [`TensorData`] in the type they were stored in,
//! row-major, in a [`Tensors`] map ordered by name.
//!
//! ```
//! use ndarray::array;
//! use nn_core::io::{self, TensorData, Tensors};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("weights.pkl");
//! let mut tensors = Tensors::new();
//! tensors.insert("W1".into(), TensorData::from(array![[0.1_f32, 0.3, 0.5], [0.2, 0.4, 0.6]]));
//! tensors.insert("b1".into(), TensorData::from(array![0.1_f32, 0.2, 0.3]));
//! io::write_tensors(&path, &tensors)?;
//!
//! let loaded = io::read_tensors(&path)?;
//! assert_eq!(loaded, tensors);
//! assert_eq!(io::require(&loaded, "W1", &path)?.shape(), &[2, 3]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod pickle_read;
mod pickle_write;
mod safetensors;
mod tensor;

use std::io::Write;
use std::path::Path;

pub use tensor::{TensorData, Tensors};

use crate::{Error, Result};

/// The weight-file formats, chosen by extension.
///
/// ```
/// use nn_core::io::Format;
/// assert_eq!(Format::from_path("sample_weight.pkl")?, Format::Pickle);
/// assert_eq!(Format::from_path("model.SafeTensors")?, Format::SafeTensors);
/// assert!(Format::from_path("weights.npz").is_err());
/// # Ok::<(), nn_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A pickled dict of NumPy arrays: `.pkl` or `.pickle`.
    Pickle,
    /// A safetensors file: `.safetensors`.
    SafeTensors,
}

impl Format {
    /// The format of `path` from its extension (ASCII case ignored).
    ///
    /// # Errors
    /// [`Error::UnknownExtension`] for any other extension, or none.
    ///
    /// ```
    /// use nn_core::io::Format;
    /// let err = Format::from_path("weights/model.npz").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "weights/model.npz: unknown weight-file extension '.npz' \
    ///      (expected .pkl, .pickle or .safetensors)"
    /// );
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("pkl" | "pickle") => Ok(Format::Pickle),
            Some("safetensors") => Ok(Format::SafeTensors),
            _ => Err(Error::UnknownExtension {
                path: path.to_path_buf(),
                extension: match path.extension() {
                    Some(e) => format!("'.{}'", e.to_string_lossy()),
                    None => "(none)".into(),
                },
            }),
        }
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Write `bytes` to a temporary file next to `path`, then rename it over
/// `path`: readers never see a half-written file.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".nn-weights-");
    // As a plain `File::create` would: 0o666 less the umask, not 0o600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(dir).map_err(io_error)?;
    file.write_all(bytes).map_err(io_error)?;
    file.as_file().sync_all().map_err(io_error)?;
    file.persist(path).map_err(|e| io_error(e.error))?;
    Ok(())
}

/// Load a pickled dict of NumPy arrays, such as the book's `sample_weight.pkl`.
///
/// Accepts pickle protocols 2 to 5 as written by NumPy 1.x and 2.x, float32
/// and float64 arrays of either byte order, in C or Fortran order. Nothing in
/// the file is executed.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read, and every error of
/// [`read_pickle_bytes`]; all name `path`.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("w.pkl");
/// # let mut t = nn_core::io::Tensors::new();
/// # t.insert("b1".into(), nn_core::io::TensorData::from(ndarray::array![1.0_f32]));
/// # nn_core::io::write_pickle(&path, &t)?;
/// let tensors = nn_core::io::read_pickle(&path)?;
/// assert_eq!(tensors["b1"].shape(), &[1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_pickle(path: impl AsRef<Path>) -> Result<Tensors> {
    let path = path.as_ref();
    pickle_read::read(&read_file(path)?, path)
}

/// Decode the bytes of a pickled dict of NumPy arrays; `name` is the file
/// name errors mention.
///
/// # Errors
/// - [`Error::NotAPickle`]: not a pickle of protocol 2 to 5, or one using
///   opcodes a dict of arrays does not need;
/// - [`Error::Truncated`]: the bytes end before the pickle does;
/// - [`Error::NotADictOfArrays`]: anything else than a dict from strings to
///   NumPy arrays;
/// - [`Error::UnsupportedDtype`]: an array that is not float32 or float64;
/// - [`Error::BadArray`]: an array whose data does not match its shape, or
///   arrays repeated under several keys adding up to more than the input.
///
/// ```
/// use nn_core::{Error, io::read_pickle_bytes};
/// let err = read_pickle_bytes(b"\x80\x03}q\x00(X\x02\x00\x00", "w.pkl").unwrap_err();
/// assert!(matches!(err, Error::Truncated { .. }));
/// assert_eq!(err.to_string(), "w.pkl is truncated: the pickle ends before its STOP opcode");
/// ```
pub fn read_pickle_bytes(bytes: &[u8], name: impl AsRef<Path>) -> Result<Tensors> {
    pickle_read::read(bytes, name.as_ref())
}

/// Serialize named arrays as a pickle (protocol 3) that Python's
/// `pickle.load` turns into a dict of NumPy arrays, with NumPy 1.x or 2.x.
///
/// Arrays are written little-endian in C order, keys in name order.
///
/// # Errors
/// [`Error::InvalidArgument`] for an array of more than 4 GiB, the most one
/// protocol 3 pickle entry holds.
///
/// ```
/// use nn_core::io::{TensorData, Tensors, pickle_bytes, read_pickle_bytes};
/// let mut t = Tensors::new();
/// t.insert("b".into(), TensorData::from(ndarray::array![0.5_f64, -1.0]));
/// let bytes = pickle_bytes(&t)?;
/// assert_eq!(&bytes[..3], b"\x80\x03}"); // PROTO 3, EMPTY_DICT
/// assert_eq!(read_pickle_bytes(&bytes, "b.pkl")?, t);
/// # Ok::<(), nn_core::Error>(())
/// ```
pub fn pickle_bytes(tensors: &Tensors) -> Result<Vec<u8>> {
    pickle_write::to_bytes(tensors)
}

/// Write named arrays to `path` as a pickle (see [`pickle_bytes`]),
/// atomically: through a temporary file renamed over `path`.
///
/// # Errors
/// [`Error::Io`] naming `path`, and the errors of [`pickle_bytes`].
///
/// ```
/// use nn_core::io::{TensorData, Tensors, read_pickle, write_pickle};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("w.pkl");
/// let mut t = Tensors::new();
/// t.insert("W".into(), TensorData::from(ndarray::array![[1.0_f32, 2.0]]));
/// write_pickle(&path, &t)?;
/// assert_eq!(read_pickle(&path)?, t);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_pickle(path: impl AsRef<Path>, tensors: &Tensors) -> Result<()> {
    write_atomic(path.as_ref(), &pickle_bytes(tensors)?)
}

/// Load a `.safetensors` file of `F32` and `F64` tensors.
///
/// # Errors
/// [`Error::Io`], [`Error::SafeTensors`] for a malformed file, and
/// [`Error::UnsupportedDtype`] for any other element type (named as
/// safetensors names it, e.g. `I64`); all name `path`.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("w.safetensors");
/// # let mut t = nn_core::io::Tensors::new();
/// # t.insert("b1".into(), nn_core::io::TensorData::from(ndarray::array![1.0_f64, 2.0]));
/// # nn_core::io::write_safetensors(&path, &t)?;
/// let tensors = nn_core::io::read_safetensors(&path)?;
/// assert_eq!(tensors["b1"].dtype(), "float64");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_safetensors(path: impl AsRef<Path>) -> Result<Tensors> {
    let path = path.as_ref();
    safetensors::read(&read_file(path)?, path)
}

/// Decode the bytes of a safetensors file; `name` is the file name errors
/// mention.
///
/// # Errors
/// As [`read_safetensors`], without [`Error::Io`].
///
/// ```
/// use nn_core::{Error, io::read_safetensors_bytes};
/// let err = read_safetensors_bytes(b"\x02", "m.safetensors").unwrap_err();
/// assert!(matches!(err, Error::SafeTensors { .. }));
/// assert_eq!(err.to_string(), "m.safetensors is not a readable safetensors file: header too small");
/// ```
pub fn read_safetensors_bytes(bytes: &[u8], name: impl AsRef<Path>) -> Result<Tensors> {
    safetensors::read(bytes, name.as_ref())
}

/// Serialize named arrays in the safetensors format (`F32`/`F64`).
///
/// # Errors
/// [`Error::InvalidArgument`] for an array named `__metadata__`, which the
/// format reserves.
///
/// ```
/// use nn_core::io::{TensorData, Tensors, read_safetensors_bytes, safetensors_bytes};
/// let mut t = Tensors::new();
/// t.insert("W".into(), TensorData::from(ndarray::array![[1.0_f32], [2.0]]));
/// let bytes = safetensors_bytes(&t)?;
/// assert_eq!(read_safetensors_bytes(&bytes, "w.safetensors")?, t);
/// # Ok::<(), nn_core::Error>(())
/// ```
pub fn safetensors_bytes(tensors: &Tensors) -> Result<Vec<u8>> {
    safetensors::to_bytes(tensors)
}

/// Write named arrays to `path` in the safetensors format, atomically.
///
/// # Errors
/// [`Error::Io`] naming `path`, and the errors of [`safetensors_bytes`].
///
/// ```
/// use nn_core::io::{TensorData, Tensors, read_safetensors, write_safetensors};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("w.safetensors");
/// let mut t = Tensors::new();
/// t.insert("b".into(), TensorData::from(ndarray::array![3.0_f64]));
/// write_safetensors(&path, &t)?;
/// assert_eq!(read_safetensors(&path)?, t);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_safetensors(path: impl AsRef<Path>, tensors: &Tensors) -> Result<()> {
    write_atomic(path.as_ref(), &safetensors_bytes(tensors)?)
}

/// Load a weight file, pickle or safetensors by its extension (see
/// [`Format::from_path`]).
///
/// # Errors
/// [`Error::UnknownExtension`], and the errors of [`read_pickle`] or
/// [`read_safetensors`].
///
/// ```
/// use nn_core::{Error, io::read_tensors};
/// let err = read_tensors("no/such/dir/w.pkl").unwrap_err();
/// assert!(matches!(err, Error::Io { .. }));
/// assert!(err.to_string().starts_with("i/o error on no/such/dir/w.pkl"));
/// ```
pub fn read_tensors(path: impl AsRef<Path>) -> Result<Tensors> {
    let path = path.as_ref();
    match Format::from_path(path)? {
        Format::Pickle => read_pickle(path),
        Format::SafeTensors => read_safetensors(path),
    }
}

/// Checks that every value of every array is finite: weights holding NaN or
/// ±infinity (a training that diverged, a corrupted file) make every
/// prediction NaN, which `argmax` would silently turn into class 0.
///
/// # Errors
/// [`Error::NonFinite`] naming `path`, the first array (by name) with such a
/// value, its index and the value.
///
/// ```
/// use nn_core::io::{TensorData, Tensors, check_finite};
/// let mut t = Tensors::new();
/// t.insert("W1".into(), TensorData::from(ndarray::array![[0.5_f32, 1.0], [2.0, f32::NAN]]));
/// let err = check_finite(&t, "w.pkl").unwrap_err();
/// assert_eq!(err.to_string(), "array 'W1' in w.pkl holds NaN at [1, 1]: the weights are unusable");
/// t.insert("W1".into(), TensorData::from(ndarray::array![[0.5_f32, 1.0]]));
/// assert!(check_finite(&t, "w.pkl").is_ok());
/// ```
pub fn check_finite(tensors: &Tensors, path: impl AsRef<Path>) -> Result<()> {
    fn first_bad<T: crate::Float>(a: &ndarray::ArrayD<T>) -> Option<(Vec<usize>, String)> {
        a.indexed_iter()
            .find(|(_, v)| !v.is_finite())
            .map(|(i, v)| (ndarray::Dimension::slice(&i).to_vec(), format!("{v:?}")))
    }
    for (key, tensor) in tensors {
        let bad = match tensor {
            TensorData::F32(a) => first_bad(a),
            TensorData::F64(a) => first_bad(a),
        };
        if let Some((index, value)) = bad {
            return Err(Error::NonFinite {
                path: path.as_ref().to_path_buf(),
                key: key.clone(),
                index,
                value,
            });
        }
    }
    Ok(())
}

/// Write a weight file, pickle or safetensors by its extension, atomically.
///
/// # Errors
/// [`Error::UnknownExtension`], and the errors of [`write_pickle`] or
/// [`write_safetensors`].
///
/// ```
/// use nn_core::io::{TensorData, Tensors, read_tensors, write_tensors};
/// let dir = tempfile::tempdir()?;
/// let mut t = Tensors::new();
/// t.insert("b".into(), TensorData::from(ndarray::array![3.0_f32]));
/// for name in ["w.pkl", "w.pickle", "w.safetensors"] {
///     write_tensors(dir.path().join(name), &t)?;
///     assert_eq!(read_tensors(dir.path().join(name))?, t);
/// }
/// assert!(write_tensors(dir.path().join("w.txt"), &t).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_tensors(path: impl AsRef<Path>, tensors: &Tensors) -> Result<()> {
    let path = path.as_ref();
    match Format::from_path(path)? {
        Format::Pickle => write_pickle(path, tensors),
        Format::SafeTensors => write_safetensors(path, tensors),
    }
}

/// The array named `key`, or [`Error::MissingKey`] naming `key` and the file
/// it was loaded from.
///
/// # Errors
/// [`Error::MissingKey`] when `tensors` has no `key`.
///
/// ```
/// use nn_core::io::{Tensors, require};
/// let err = require(&Tensors::new(), "W1", "sample_weight.pkl").unwrap_err();
/// assert_eq!(err.to_string(), "sample_weight.pkl has no array named 'W1'");
/// ```
pub fn require<'t>(
    tensors: &'t Tensors,
    key: &str,
    path: impl AsRef<Path>,
) -> Result<&'t TensorData> {
    tensors.get(key).ok_or_else(|| Error::MissingKey {
        path: path.as_ref().to_path_buf(),
        key: key.to_owned(),
    })
}
