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

        /// Bit `i` set when `c[i] != 0` (NaN counts as non-zero), with AVX.
        #[cfg(target_arch = "x86_64")]
        fn nonzero_mask8(simd: pulp::x86::V3, c: &[Self; 8]) -> u32;
    }

    impl Sealed for f32 {
        #[inline(always)]
        fn exp_lane(self) -> f32 {
            crate::kernel::exp_f32(self)
        }

        #[cfg(target_arch = "x86_64")]
        #[inline(always)]
        fn nonzero_mask8(simd: pulp::x86::V3, c: &[f32; 8]) -> u32 {
            use core::arch::x86_64::{__m256, _CMP_NEQ_UQ};
            let v: __m256 = pulp::cast(*c);
            let zero = simd.avx._mm256_setzero_ps();
            let ne = simd.avx._mm256_cmp_ps::<_CMP_NEQ_UQ>(v, zero);
            simd.avx._mm256_movemask_ps(ne) as u32
        }
    }

    impl Sealed for f64 {
        /// Within 1 ulp of the C library's `exp`, and vectorised: the
        /// gradient checks keep their precision, and float64 training is
        /// not held up by a library call per hidden unit.
        #[inline(always)]
        fn exp_lane(self) -> f64 {
            crate::kernel::exp_f64(self)
        }

        #[cfg(target_arch = "x86_64")]
        #[inline(always)]
        fn nonzero_mask8(simd: pulp::x86::V3, c: &[f64; 8]) -> u32 {
            use core::arch::x86_64::{__m256d, _CMP_NEQ_UQ};
            let [lo, hi]: [__m256d; 2] = pulp::cast(*c);
            let zero = simd.avx._mm256_setzero_pd();
            let lo = simd.avx._mm256_cmp_pd::<_CMP_NEQ_UQ>(lo, zero);
            let hi = simd.avx._mm256_cmp_pd::<_CMP_NEQ_UQ>(hi, zero);
            (simd.avx._mm256_movemask_pd(lo) | simd.avx._mm256_movemask_pd(hi) << 4) as u32
        }
    }
}
