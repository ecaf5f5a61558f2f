//! The in-memory form of a weight file: named arrays in their stored type.

use std::collections::BTreeMap;

use ndarray::{Array, ArrayD, Dimension};

use crate::Float;

/// An n-dimensional array as read from a file, in the element type it was
/// stored in.
///
/// After loading, the array is always in standard (row-major, C) layout,
/// whatever order the file stored it in.
///
/// ```
/// use ndarray::array;
/// use nn_core::io::TensorData;
///
/// let t = TensorData::from(array![[1.0_f32, 2.0], [3.0, 4.0]]);
/// assert_eq!(t.shape(), &[2, 2]);
/// assert_eq!(t.dtype(), "float32");
/// assert_eq!(t.to_f64()[[1, 0]], 3.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// NumPy `float32` (safetensors `F32`).
    F32(ArrayD<f32>),
    /// NumPy `float64` (safetensors `F64`).
    F64(ArrayD<f64>),
}

impl TensorData {
    /// The shape, e.g. `[784, 50]` for the book's `W1`.
    ///
    /// ```
    /// use nn_core::io::TensorData;
    /// let t = TensorData::from(ndarray::Array1::<f64>::zeros(7));
    /// assert_eq!(t.shape(), &[7]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        match self {
            TensorData::F32(a) => a.shape(),
            TensorData::F64(a) => a.shape(),
        }
    }

    /// The NumPy name of the stored element type: `"float32"` or `"float64"`
    /// (the same strings as [`Float::DTYPE`]).
    ///
    /// ```
    /// use nn_core::{Float, io::TensorData};
    /// let t = TensorData::from(ndarray::Array1::<f64>::zeros(2));
    /// assert_eq!(t.dtype(), f64::DTYPE);
    /// ```
    pub fn dtype(&self) -> &'static str {
        match self {
            TensorData::F32(_) => f32::DTYPE,
            TensorData::F64(_) => f64::DTYPE,
        }
    }

    /// A copy converted to `T`. Converting `float64` to `float32` rounds to
    /// nearest; values beyond `f32`'s range become infinite.
    ///
    /// ```
    /// use nn_core::io::TensorData;
    /// let t = TensorData::from(ndarray::array![0.1_f64, 1e300]);
    /// let a = t.cast::<f32>();
    /// assert_eq!(a[[0]], 0.1_f32);
    /// assert!(a[[1]].is_infinite());
    /// assert_eq!(t.cast::<f64>()[[0]], 0.1);
    /// ```
    pub fn cast<T: Float>(&self) -> ArrayD<T> {
        // Float-to-float conversions in num-traits always succeed (they
        // saturate to ±∞); NaN is only a fallback for a foreign `Float` type.
        match self {
            TensorData::F32(a) => a.mapv(|v| T::from_f32(v).unwrap_or_else(T::nan)),
            TensorData::F64(a) => a.mapv(|v| T::from_f64(v).unwrap_or_else(T::nan)),
        }
    }

    /// A copy as `f32` (see [`TensorData::cast`]).
    ///
    /// ```
    /// use nn_core::io::TensorData;
    /// let t = TensorData::from(ndarray::array![1.5_f64]);
    /// assert_eq!(t.to_f32()[[0]], 1.5_f32);
    /// ```
    pub fn to_f32(&self) -> ArrayD<f32> {
        self.cast()
    }

    /// A copy as `f64` (exact for `float32` data).
    ///
    /// ```
    /// use nn_core::io::TensorData;
    /// let t = TensorData::from(ndarray::array![0.1_f32]);
    /// assert_eq!(t.to_f64()[[0]], f64::from(0.1_f32));
    /// ```
    pub fn to_f64(&self) -> ArrayD<f64> {
        self.cast()
    }

    /// The number of elements.
    pub(crate) fn len_elements(&self) -> usize {
        match self {
            TensorData::F32(a) => a.len(),
            TensorData::F64(a) => a.len(),
        }
    }

    /// The number of bytes one element takes in a file (4 or 8).
    pub(crate) fn itemsize(&self) -> usize {
        match self {
            TensorData::F32(_) => 4,
            TensorData::F64(_) => 8,
        }
    }

    /// The elements in row-major order as little-endian bytes.
    pub(crate) fn to_le_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len_elements() * self.itemsize());
        match self {
            TensorData::F32(a) => a
                .iter()
                .for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
            TensorData::F64(a) => a
                .iter()
                .for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        }
        out
    }
}

impl<D: Dimension> From<Array<f32, D>> for TensorData {
    fn from(a: Array<f32, D>) -> Self {
        TensorData::F32(a.into_dyn())
    }
}

impl<D: Dimension> From<Array<f64, D>> for TensorData {
    fn from(a: Array<f64, D>) -> Self {
        TensorData::F64(a.into_dyn())
    }
}

/// Named arrays, ordered by name: the order of keys in a file does not matter.
///
/// ```
/// use nn_core::io::{TensorData, Tensors};
/// let mut t = Tensors::new();
/// t.insert("b1".into(), TensorData::from(ndarray::Array1::<f32>::zeros(3)));
/// t.insert("W1".into(), TensorData::from(ndarray::Array2::<f32>::zeros((2, 3))));
/// assert_eq!(t.keys().collect::<Vec<_>>(), ["W1", "b1"]);
/// ```
pub type Tensors = BTreeMap<String, TensorData>;
