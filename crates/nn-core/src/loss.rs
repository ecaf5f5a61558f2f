//! Loss functions (book §4.2).
//!
//! Two arrays whose shapes must agree are user data, so these return
//! [`Result`] instead of panicking on a mismatch.

use ndarray::{ArrayBase, ArrayView2, Data, Dimension, Ix2, Zip};

use crate::activation::softmax;
use crate::sum::pairwise_sum;
use crate::{Error, Float, Result};

/// The guard added inside the logarithm of [`cross_entropy_error`] so that
/// `log(0)` never happens (the book's `delta = 1e-7`).
pub const CROSS_ENTROPY_DELTA: f64 = 1e-7;

/// Sum of squared errors (§4.2.1).
///
/// `E = ½ Σ_k (y_k − t_k)²`, summed over every element (for a batch, over
/// all rows as well).
///
/// # Errors
/// [`Error::ShapeMismatch`] when `y` and `t` differ in shape.
///
/// ```
/// use ndarray::array;
/// let t = array![0., 0., 1., 0., 0., 0., 0., 0., 0., 0.];
/// let y = array![0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0];
/// // Python: sum_squared_error(np.array(y), np.array(t)) -> 0.09750000000000003
/// assert_eq!(nn_core::sum_squared_error(&y, &t)?, 0.09750000000000003);
/// # Ok::<(), nn_core::Error>(())
/// ```
#[doc(alias = "sse")]
pub fn sum_squared_error<T, S1, S2, D>(y: &ArrayBase<S1, D>, t: &ArrayBase<S2, D>) -> Result<T>
where
    T: Float,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D: Dimension,
{
    same_shape("sum_squared_error", y.shape(), t.shape())?;
    // Squares in memory order, then NumPy's pairwise sum: the book's digits.
    let mut squares = Vec::with_capacity(y.len());
    Zip::from(y)
        .and(t)
        .for_each(|&a, &b| squares.push((a - b) * (a - b)));
    Ok(T::from(0.5).unwrap() * pairwise_sum(&squares))
}

/// The book's other name for [`sum_squared_error`]: §4.2.1 calls
/// `½ Σ (y − t)²` *mean squared error* (`mean_squared_error` in its code).
/// It is the **same function**: half the sum, not divided by the count.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `y` and `t` differ in shape.
///
/// ```
/// use ndarray::array;
/// let t = array![0., 0., 1., 0., 0., 0., 0., 0., 0., 0.];
/// let y = array![0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0];
/// // Python: mean_squared_error(np.array(y), np.array(t)) -> 0.5975
/// assert_eq!(nn_core::mean_squared_error(&y, &t)?, 0.5975);
/// # Ok::<(), nn_core::Error>(())
/// ```
#[doc(alias = "mse")]
pub fn mean_squared_error<T, S1, S2, D>(y: &ArrayBase<S1, D>, t: &ArrayBase<S2, D>) -> Result<T>
where
    T: Float,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D: Dimension,
{
    sum_squared_error(y, t)
}

/// What [`cross_entropy_error`] accepts as the teacher `t`: one-hot rows (an
/// array of the same shape as `y`), or class indices (one per row of `y`).
///
/// Implemented for float arrays (one-hot), `usize` (one label for a 1-D `y`),
/// and slices or vectors of `usize` or `u8` labels (MNIST's label type).
pub trait Targets<T: Float> {
    /// `−Σ t log(y + δ) / N` for `y` seen as `(N, C)`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] or [`Error::LabelOutOfRange`].
    fn cross_entropy(&self, y: ArrayView2<'_, T>) -> Result<T>;
}

impl<T, S, D> Targets<T> for ArrayBase<S, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    fn cross_entropy(&self, y: ArrayView2<'_, T>) -> Result<T> {
        let t = as_rows(self)?;
        same_shape("cross_entropy_error", y.shape(), t.shape())?;
        let delta = T::from(CROSS_ENTROPY_DELTA).unwrap();
        let mut terms = Vec::with_capacity(y.len());
        Zip::from(&y).and(&t).for_each(|&p, &q| {
            // 0 · log(y + δ) is 0 even where y + δ underflows: skip it.
            terms.push(if q == T::zero() {
                T::zero()
            } else {
                q * (p + delta).ln()
            });
        });
        Ok(-pairwise_sum(&terms) / T::from(y.nrows().max(1)).unwrap())
    }
}

fn labels_cross_entropy<T: Float>(
    y: ArrayView2<'_, T>,
    labels: impl ExactSizeIterator<Item = usize>,
) -> Result<T> {
    if labels.len() != y.nrows() {
        return Err(Error::ShapeMismatch {
            context: "cross_entropy_error labels".into(),
            expected: format!("{} labels (one per row of y)", y.nrows()),
            got: format!("{} labels", labels.len()),
        });
    }
    let delta = T::from(CROSS_ENTROPY_DELTA).unwrap();
    let mut terms = Vec::with_capacity(labels.len());
    for (row, label) in labels.enumerate() {
        let p = *y.get((row, label)).ok_or(Error::LabelOutOfRange {
            row,
            label,
            classes: y.ncols(),
        })?;
        terms.push((p + delta).ln());
    }
    Ok(-pairwise_sum(&terms) / T::from(y.nrows().max(1)).unwrap())
}

impl<T: Float> Targets<T> for usize {
    fn cross_entropy(&self, y: ArrayView2<'_, T>) -> Result<T> {
        labels_cross_entropy(y, std::iter::once(*self))
    }
}

impl<T: Float> Targets<T> for [usize] {
    fn cross_entropy(&self, y: ArrayView2<'_, T>) -> Result<T> {
        labels_cross_entropy(y, self.iter().copied())
    }
}

impl<T: Float> Targets<T> for [u8] {
    fn cross_entropy(&self, y: ArrayView2<'_, T>) -> Result<T> {
        labels_cross_entropy(y, self.iter().map(|&l| usize::from(l)))
    }
}

impl<T: Float> Targets<T> for Vec<usize> {
    fn cross_entropy(&self, y: ArrayView2<'_, T>) -> Result<T> {
        self.as_slice().cross_entropy(y)
    }
}

impl<T: Float> Targets<T> for Vec<u8> {
    fn cross_entropy(&self, y: ArrayView2<'_, T>) -> Result<T> {
        self.as_slice().cross_entropy(y)
    }
}

/// Cross-entropy error (§4.2.2, §4.2.4 batch version), averaged over the batch.
///
/// `E = −(1/N) Σ_n Σ_k t_nk log(y_nk + δ)`, δ = 1e-7 ([`CROSS_ENTROPY_DELTA`]).
///
/// `y` is one vector `(C,)` (then N = 1) or a batch `(N, C)`. `t` is either
/// one-hot rows of the same shape (soft targets work too), or the class
/// index of each row: a `usize` for a 1-D `y`, a slice/`Vec` of `usize` or
/// `u8` for a batch (see [`Targets`]).
///
/// # Errors
/// [`Error::ShapeMismatch`] when `t` does not fit `y` or `y` is not 1-D or
/// 2-D; [`Error::LabelOutOfRange`] for a label `≥ C`.
///
/// ```
/// use ndarray::array;
/// let y = array![0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0];
/// let t = array![0., 0., 1., 0., 0., 0., 0., 0., 0., 0.];
/// // Python: cross_entropy_error(np.array(y), np.array(t)) -> 0.510825457099338
/// assert_eq!(nn_core::cross_entropy_error(&y, &t)?, 0.510825457099338);
/// assert_eq!(nn_core::cross_entropy_error(&y, &2)?, 0.510825457099338);
/// // t = class 7 -> 2.302584092994546
/// assert_eq!(nn_core::cross_entropy_error(&y, &7)?, 2.302584092994546);
///
/// let batch = array![[0.1_f64, 0.9], [0.8, 0.2]];
/// let labels: &[u8] = &[1, 0];
/// let e = nn_core::cross_entropy_error(&batch, labels)?;
/// // Python: -(math.log(0.9 + 1e-7) + math.log(0.8 + 1e-7)) / 2 -> 0.1642519154304695
/// assert!((e - 0.1642519154304695).abs() < 1e-15);
/// # Ok::<(), nn_core::Error>(())
/// ```
#[doc(alias = "cross_entropy", alias = "nll_loss")]
pub fn cross_entropy_error<T, S, D, Tg>(y: &ArrayBase<S, D>, t: &Tg) -> Result<T>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
    Tg: Targets<T> + ?Sized,
{
    let y = as_rows(y)?;
    t.cross_entropy(y)
}

/// Softmax followed by cross-entropy: the loss of a classifier from its
/// scores (the book's `SoftmaxWithLoss` forward pass).
///
/// `E = cross_entropy_error(softmax(x), t)`
///
/// # Errors
/// As [`cross_entropy_error`].
///
/// ```
/// use ndarray::array;
/// // Python (§4.4.2 simpleNet): x = [0.6, 0.9], W as printed, t = [0, 0, 1]
/// let x = array![0.6_f64, 0.9];
/// let w = array![[0.47355232, 0.9977393, 0.84668094], [0.85557411, 0.03563661, 0.69422093]];
/// let loss = nn_core::softmax_loss(&x.dot(&w), &array![0.0, 0.0, 1.0])?;
/// // Python: net.loss(x, t) -> 0.9280682857864075
/// assert!((loss - 0.9280682857864075).abs() < 1e-9);
/// # Ok::<(), nn_core::Error>(())
/// ```
pub fn softmax_loss<T, S, D, Tg>(x: &ArrayBase<S, D>, t: &Tg) -> Result<T>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
    Tg: Targets<T> + ?Sized,
{
    cross_entropy_error(&softmax(x), t)
}

/// `y` as `(N, C)`: a 1-D vector becomes one row.
fn as_rows<T, S, D>(y: &ArrayBase<S, D>) -> Result<ArrayView2<'_, T>>
where
    S: Data<Elem = T>,
    D: Dimension,
{
    match y.ndim() {
        1 => Ok(y
            .view()
            .into_shape_with_order((1, y.len()))
            .expect("1-D view reshapes to one row")),
        2 => Ok(y.view().into_dimensionality::<Ix2>().expect("ndim checked")),
        _ => Err(Error::ShapeMismatch {
            context: "cross_entropy_error".into(),
            expected: "a 1-D vector or a 2-D batch (N, C)".into(),
            got: format!("{:?}", y.shape()),
        }),
    }
}

fn same_shape(context: &str, expected: &[usize], got: &[usize]) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            context: context.into(),
            expected: format!("{expected:?}"),
            got: format!("{got:?}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, array};

    use super::*;

    fn book_y(hot: usize) -> Array1<f64> {
        let mut y = array![0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0];
        y[hot] = 0.6;
        y
    }

    fn one_hot(k: usize) -> Array1<f64> {
        let mut t = Array1::zeros(10);
        t[k] = 1.0;
        t
    }

    // Python (§4.2.1, §4.2.2):
    // t = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    // y = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
    // mean_squared_error(np.array(y), np.array(t))   -> 0.09750000000000003
    // cross_entropy_error(np.array(y), np.array(t))  -> 0.510825457099338
    // y = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]
    // mean_squared_error(...)   -> 0.5975
    // cross_entropy_error(...)  -> 2.302584092994546
    #[test]
    fn the_books_numbers() {
        let t = one_hot(2);
        assert_eq!(
            sum_squared_error(&book_y(2), &t).unwrap(),
            0.09750000000000003
        );
        assert_eq!(sum_squared_error(&book_y(7), &t).unwrap(), 0.5975);
        assert_eq!(
            cross_entropy_error(&book_y(2), &t).unwrap(),
            0.510825457099338
        );
        assert_eq!(
            cross_entropy_error(&book_y(7), &t).unwrap(),
            2.302584092994546
        );
        assert_eq!(
            cross_entropy_error(&book_y(7), &2).unwrap(),
            2.302584092994546
        );
    }

    #[test]
    fn batch_mean_agrees_between_one_hot_and_labels() {
        let y = ndarray::stack![ndarray::Axis(0), book_y(2), book_y(7)];
        let t = ndarray::stack![ndarray::Axis(0), one_hot(2), one_hot(2)];
        let a = cross_entropy_error(&y, &t).unwrap();
        let b = cross_entropy_error(&y, &vec![2usize, 2]).unwrap();
        let c = cross_entropy_error(&y, &[2u8, 2][..]).unwrap();
        assert!((a - (0.510825457099338 + 2.302584092994546) / 2.0).abs() < 1e-15);
        assert_eq!(a, b);
        assert_eq!(b, c);
    }

    #[test]
    fn finite_when_y_has_zeros() {
        let y = array![[0.0_f32, 1.0], [1.0, 0.0]];
        let e = cross_entropy_error(&y, &[0usize, 1][..]).unwrap();
        assert!(e.is_finite());
        // -ln(1e-7) = 16.118095...
        assert!((e - 16.118095).abs() < 1e-3);
    }

    #[test]
    fn mismatches_are_errors() {
        let y = array![[0.5, 0.5]];
        assert!(matches!(
            cross_entropy_error(&y, &array![[1.0, 0.0, 0.0]]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            cross_entropy_error(&y, &vec![0usize, 1]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            cross_entropy_error(&y, &vec![2usize]),
            Err(Error::LabelOutOfRange {
                row: 0,
                label: 2,
                classes: 2
            })
        ));
        assert!(matches!(
            sum_squared_error(&y, &array![[1.0, 0.0, 0.0]]),
            Err(Error::ShapeMismatch { .. })
        ));
        let cube = ndarray::Array3::<f64>::zeros((1, 1, 2));
        assert!(matches!(
            cross_entropy_error(&cube, &0),
            Err(Error::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn error_messages_read_as_one_line() {
        let err = cross_entropy_error(&array![[0.5, 0.5]], &vec![0usize, 1]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "shape mismatch in cross_entropy_error labels: expected 1 labels (one per row of y), got 2 labels"
        );
    }
}

#[cfg(test)]
mod properties {
    use ndarray::Array2;
    use proptest::prelude::*;

    use super::cross_entropy_error;

    proptest! {
        #[test]
        fn cross_entropy_is_finite_even_with_zeros(
            (n, c, v) in (1usize..5, 2usize..8).prop_flat_map(|(n, c)| {
                (Just(n), Just(c), proptest::collection::vec(prop_oneof![Just(0.0f64), 0.0f64..1.0], n * c))
            }),
            seed in 0usize..100,
        ) {
            let y = Array2::from_shape_vec((n, c), v).unwrap();
            let labels: Vec<usize> = (0..n).map(|i| (i + seed) % c).collect();
            let e = cross_entropy_error(&y, &labels).unwrap();
            prop_assert!(e.is_finite() && e >= 0.0);
            let e32 = cross_entropy_error(&y.mapv(|v| v as f32), &labels).unwrap();
            prop_assert!(e32.is_finite());
        }
    }
}
