//! The element types the library computes with.

/// A floating-point element type: implemented for `f32` and `f64`, and only
/// for them (the trait is sealed: the forward pass has kernels for each).
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
    ndarray::NdFloat
    + num_traits::Float
    + num_traits::FromPrimitive
    + Default
    + Send
    + Sync
    + 'static
    + sealed::Sealed
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

pub(crate) mod sealed {
    /// What the kernels need to know of each element type. Not nameable
    /// outside the crate, so no other type can implement [`super::Float`].
    #[allow(unreachable_pub)]
    pub trait Sealed: Copy {
        /// `eˣ` in a form the compiler can vectorise: no call, no branch.
        fn exp_lane(self) -> Self;
    }

    impl Sealed for f32 {
        #[inline(always)]
        fn exp_lane(self) -> f32 {
            crate::kernel::exp_f32(self)
        }
    }

    impl Sealed for f64 {
        /// The C library's `exp`: float64 keeps full precision (it is the
        /// type of the gradient checks, not of the fast inference).
        #[inline(always)]
        fn exp_lane(self) -> f64 {
            self.exp()
        }
    }
}
