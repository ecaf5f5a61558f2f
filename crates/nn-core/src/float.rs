//! The element types the library computes with.

/// A floating-point element type: implemented for `f32` and `f64`.
///
/// Everything in `nn-core` and `nn-grad` is generic over it, so the same code
/// runs the book's float32 inference and the float64 gradient checks.
///
/// ```
/// fn half<T: nn_core::Float>(x: T) -> T {
///     x * T::from(0.5).unwrap()
/// }
/// assert_eq!(half(3.0_f32), 1.5);
/// assert_eq!(half(3.0_f64), 1.5);
/// ```
pub trait Float:
    ndarray::NdFloat + num_traits::Float + num_traits::FromPrimitive + Default + Send + Sync + 'static
{
    /// The NumPy dtype name of this type (`"float32"` or `"float64"`).
    const DTYPE: &'static str;
}

impl Float for f32 {
    const DTYPE: &'static str = "float32";
}

impl Float for f64 {
    const DTYPE: &'static str = "float64";
}
