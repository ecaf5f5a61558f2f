//! Summation in NumPy's order, so results match the book to the last digit.

use crate::Float;

/// Sum a slice the way NumPy's `np.sum` does for contiguous data: pairwise
/// summation with an 8-way unrolled base case (blocks of at most 128).
///
/// Sequential summation (`iter().sum()`) differs from NumPy in the last bits;
/// the book's printed values (for example `0.5975` for the second
/// sum-squared-error example, where a left-to-right sum gives
/// `0.5974999999999999`) come from this order. It is also more accurate:
/// the error grows with `O(log n)` instead of `O(n)`.
///
/// ```
/// let sq = [0.01, 0.0025, 0.81, 0.0, 0.0025, 0.01, 0.0, 0.36, 0.0, 0.0];
/// assert_eq!(0.5 * nn_core::pairwise_sum(&sq), 0.5975);
/// assert_eq!(0.5 * sq.iter().sum::<f64>(), 0.5974999999999999);
/// ```
pub fn pairwise_sum<T: Float>(a: &[T]) -> T {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        let mut res = T::zero();
        for &v in a {
            res += v;
        }
        res
    } else if n <= BLOCK {
        let mut r = [T::zero(); 8];
        r.copy_from_slice(&a[..8]);
        let whole = n - n % 8;
        let mut i = 8;
        while i < whole {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[whole..] {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

#[cfg(test)]
mod tests {
    use super::pairwise_sum;

    #[test]
    fn exact_on_small_integers_and_stable_on_many_values() {
        let v: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(pairwise_sum(&v), 500500.0);
        for n in 0..40 {
            let v: Vec<f32> = (0..n).map(|i| i as f32).collect();
            assert_eq!(pairwise_sum(&v), (n * (n.max(1) - 1) / 2) as f32, "n = {n}");
        }
        // A sum of 10^6 × 0.1 in f32: sequential drifts by ~1%, pairwise stays close.
        let v = vec![0.1_f32; 1_000_000];
        assert!((pairwise_sum(&v) - 100_000.0).abs() < 1.0);
    }
}
