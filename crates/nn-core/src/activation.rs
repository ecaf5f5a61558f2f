//! Activation and output functions (book §3.2, §3.5).
//!
//! All are element-wise except [`softmax`], which works over the last axis.
//! They accept any array by reference (owned or view, any dimension) and
//! return a new owned array of the same shape.

use ndarray::{Array, ArrayBase, Axis, Data, DataMut, Dimension};

use crate::Float;

/// The identity function, the output layer of a regression network (§3.5).
///
/// `h(x) = x`
///
/// ```
/// use ndarray::array;
/// let y = nn_core::identity_function(&array![-1.0, 0.5, 2.0]);
/// assert_eq!(y, array![-1.0, 0.5, 2.0]);
/// ```
pub fn identity_function<T, S, D>(x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    x.to_owned()
}

/// The step function of the perceptron (§3.2.2).
///
/// `h(x) = 1 if x > 0, else 0` (as the book's `np.array(x > 0, dtype=np.int)`,
/// but in the input's float type).
///
/// ```
/// use ndarray::array;
/// let y = nn_core::step_function(&array![-1.0, 0.0, 2.0]);
/// assert_eq!(y, array![0.0, 0.0, 1.0]);
/// ```
pub fn step_function<T, S, D>(x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    x.mapv(|v| if v > T::zero() { T::one() } else { T::zero() })
}

/// The sigmoid function (§3.2.4).
///
/// `h(x) = 1 / (1 + exp(−x))`
///
/// ```
/// use ndarray::array;
/// let y = nn_core::sigmoid(&array![-1.0_f64, 1.0, 2.0]);
/// // Python: sigmoid(np.array([-1.0, 1.0, 2.0])) -> [0.26894142 0.73105858 0.88079708]
/// assert!((y[0] - 0.2689414213699951).abs() < 1e-15);
/// assert!((y[1] - 0.7310585786300049).abs() < 1e-15);
/// assert!((y[2] - 0.8807970779778823).abs() < 1e-15);
/// ```
pub fn sigmoid<T, S, D>(x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    match x.as_slice_memory_order() {
        // Same memory order in and out: one vectorised pass.
        Some(s) if x.is_standard_layout() => {
            Array::from_shape_vec(x.raw_dim(), crate::kernel::sigmoid_map(s))
                .expect("as many values as the shape holds")
        }
        _ => x.mapv(sigmoid_scalar),
    }
}

/// [`sigmoid`] of one value: `1 / (1 + exp(−x))`, bit for bit what the
/// array version and the networks' forward pass compute (the same
/// vectorisable `exp`: f32 within 2 ulp, f64 within 1 ulp of the C
/// library's).
///
/// ```
/// let y = nn_core::sigmoid_scalar(1.0_f64);
/// assert_eq!(y, nn_core::sigmoid(&ndarray::array![1.0_f64])[0]);
/// assert!((y - 0.7310585786300049).abs() < 1e-15);
/// ```
#[inline]
pub fn sigmoid_scalar<T: Float>(v: T) -> T {
    T::one() / (T::one() + (-v).exp_lane())
}

/// [`sigmoid`] in place, for callers that own the array (a layer's
/// activations): the same values, vectorised, without a new array.
///
/// ```
/// let mut a = ndarray::array![[-1.0_f64, 0.0], [1.0, 2.0]];
/// let expected = nn_core::sigmoid(&a);
/// nn_core::sigmoid_inplace(&mut a);
/// assert_eq!(a, expected);
/// assert_eq!(a[[0, 1]], 0.5);
/// ```
pub fn sigmoid_inplace<T, S, D>(x: &mut ArrayBase<S, D>)
where
    T: Float,
    S: DataMut<Elem = T>,
    D: Dimension,
{
    match x.as_slice_memory_order_mut() {
        Some(s) => crate::kernel::sigmoid_slice(s),
        None => x.mapv_inplace(sigmoid_scalar),
    }
}

/// The derivative of [`sigmoid`] (book `common/functions.py`).
///
/// `h'(x) = (1 − σ(x)) σ(x)`
///
/// ```
/// use ndarray::array;
/// let g = nn_core::sigmoid_grad(&array![0.0_f64]);
/// assert_eq!(g[0], 0.25);
/// ```
pub fn sigmoid_grad<T, S, D>(x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    x.mapv(|v| {
        let s = sigmoid_scalar(v);
        (T::one() - s) * s
    })
}

/// The rectified linear unit (§3.2.7).
///
/// `h(x) = max(0, x)`
///
/// ```
/// use ndarray::array;
/// let y = nn_core::relu(&array![-1.0, 0.0, 2.5]);
/// assert_eq!(y, array![0.0, 0.0, 2.5]);
/// ```
pub fn relu<T, S, D>(x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    x.mapv(|v| if v > T::zero() { v } else { T::zero() })
}

/// The derivative of [`relu`].
///
/// `h'(x) = 1 if x > 0, else 0` (the subgradient 0 is taken at `x = 0`, as
/// the book's `Relu` layer does in its backward pass).
///
/// ```
/// use ndarray::array;
/// let g = nn_core::relu_grad(&array![-1.0, 0.0, 2.5]);
/// assert_eq!(g, array![0.0, 0.0, 1.0]);
/// ```
pub fn relu_grad<T, S, D>(x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    step_function(x)
}

/// The softmax function, the output layer of a classifier (§3.5.2), made
/// overflow-free by subtracting the maximum (§3.5.2, "注意点").
///
/// `y_k = exp(a_k − max a) / Σ_i exp(a_i − max a)`
///
/// A 1-D input is one vector; for 2-D (`(N, C)`, N the batch) and higher
/// inputs the function works on each lane of the **last** axis, so every row
/// of a batch sums to 1. A row containing `+∞` or NaN gives NaN in that row;
/// every finite input gives finite output.
///
/// ```
/// use ndarray::array;
/// // Python: softmax(np.array([1010, 1000, 990]))
/// //   -> [9.99954600e-01 4.53978686e-05 2.06106005e-09]
/// let y = nn_core::softmax(&array![1010.0_f64, 1000.0, 990.0]);
/// assert!((y[0] - 9.99954600e-01).abs() < 1e-9);
/// assert!((y[1] - 4.53978686e-05).abs() < 1e-13);
/// assert!((y[2] - 2.06106005e-09).abs() < 1e-17);
///
/// let batch = nn_core::softmax(&array![[0.3_f32, 2.9, 4.0], [1e4, -1e4, 0.0]]);
/// assert!((batch.row(0).sum() - 1.0).abs() < 1e-6);
/// assert_eq!(batch.row(1).to_vec(), vec![1.0, 0.0, 0.0]);
/// ```
#[doc(alias = "softmax_activation")]
pub fn softmax<T, S, D>(x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    let mut y = x.to_owned();
    softmax_inplace(&mut y);
    y
}

/// [`softmax`] in place over the last axis, for callers that own the array
/// (a network's output layer): the same values, without a new array.
///
/// ```
/// let mut a = ndarray::array![[0.3_f64, 2.9, 4.0], [0.0, 0.0, 0.0]];
/// let expected = nn_core::softmax(&a);
/// nn_core::softmax_inplace(&mut a);
/// assert_eq!(a, expected);
/// assert!((a[[1, 0]] - 1.0 / 3.0).abs() < 1e-16);
/// ```
pub fn softmax_inplace<T, S, D>(y: &mut ArrayBase<S, D>)
where
    T: Float,
    S: DataMut<Elem = T>,
    D: Dimension,
{
    if y.ndim() == 0 {
        y.fill(T::one());
        return;
    }
    let last = Axis(y.ndim() - 1);
    let width = y.len_of(last);
    if let Some(s) = y.as_slice_mut() {
        crate::kernel::softmax_rows(s, width);
        return;
    }
    for mut lane in y.lanes_mut(last) {
        let max = lane.fold(T::neg_infinity(), |m, &v| if v > m { v } else { m });
        let mut sum = T::zero();
        lane.mapv_inplace(|v| {
            let e = (v - max).exp_lane();
            sum += e;
            e
        });
        lane.mapv_inplace(|e| e / sum);
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, array};

    use super::*;

    #[track_caller]
    fn check(actual: &[f64], expected: &[f64], tol: f64) {
        assert_eq!(actual.len(), expected.len());
        for (a, e) in actual.iter().zip(expected) {
            assert!((a - e).abs() <= tol, "{actual:?} != {expected:?}");
        }
    }

    #[test]
    fn step_sigmoid_relu_on_the_books_inputs() {
        // Python (§3.2): x = np.array([-1.0, 1.0, 2.0])
        let x = array![-1.0, 1.0, 2.0];
        check(step_function(&x).as_slice().unwrap(), &[0.0, 1.0, 1.0], 0.0);
        // sigmoid(x) -> array([0.26894142, 0.73105858, 0.88079708])
        check(
            sigmoid(&x).as_slice().unwrap(),
            &[0.26894142, 0.73105858, 0.88079708],
            5e-9,
        );
        check(relu(&x).as_slice().unwrap(), &[0.0, 1.0, 2.0], 0.0);
        check(
            identity_function(&x).as_slice().unwrap(),
            &[-1.0, 1.0, 2.0],
            0.0,
        );
    }

    #[test]
    fn sigmoid_saturates_without_nan() {
        let y = sigmoid(&array![-1000.0_f32, 1000.0, 0.0]);
        assert_eq!(y.to_vec(), vec![0.0, 1.0, 0.5]);
    }

    #[test]
    fn gradients_match_central_differences() {
        let x = array![-2.0, -0.3, 0.7, 3.0];
        let h = 1e-6;
        let num_sig = (sigmoid(&(&x + h)) - sigmoid(&(&x - h))) / (2.0 * h);
        check(
            sigmoid_grad(&x).as_slice().unwrap(),
            num_sig.as_slice().unwrap(),
            1e-9,
        );
        check(
            relu_grad(&x).as_slice().unwrap(),
            &[0.0, 0.0, 1.0, 1.0],
            0.0,
        );
    }

    #[test]
    fn softmax_of_the_books_example() {
        // Python (§3.5.1): a = np.array([0.3, 2.9, 4.0]); softmax(a)
        //   -> [0.01821127 0.24519181 0.73659691]
        let y = softmax(&array![0.3, 2.9, 4.0]);
        check(
            y.as_slice().unwrap(),
            &[0.01821127, 0.24519181, 0.73659691],
            5e-9,
        );
    }

    #[test]
    fn softmax_batch_is_row_wise_and_views_work() {
        let x: Array2<f64> = array![[1.0, 2.0, 3.0], [1010.0, 1000.0, 990.0]];
        let y = softmax(&x.view());
        check(
            y.row(0).as_slice().unwrap(),
            softmax(&array![1.0, 2.0, 3.0]).as_slice().unwrap(),
            0.0,
        );
        check(
            y.row(1).as_slice().unwrap(),
            &[9.99954600e-01, 4.53978686e-05, 2.06106005e-09],
            1e-9,
        );
    }

    #[test]
    fn softmax_handles_extremes_and_scalars() {
        let y = softmax(&array![[1e4_f32, -1e4], [-1e4, -1e4]]);
        assert_eq!(y, array![[1.0, 0.0], [0.5, 0.5]]);
        let s = softmax(&ndarray::arr0(3.0_f64));
        assert_eq!(s.into_scalar(), 1.0);
        let empty = softmax(&Array2::<f64>::zeros((0, 3)));
        assert_eq!(empty.shape(), &[0, 3]);
    }
}

#[cfg(test)]
mod properties {
    use ndarray::Array2;
    use proptest::prelude::*;

    use super::softmax;

    fn batch() -> impl Strategy<Value = Array2<f64>> {
        (1usize..6, 1usize..12).prop_flat_map(|(n, c)| {
            proptest::collection::vec(-1e4f64..1e4, n * c)
                .prop_map(move |v| Array2::from_shape_vec((n, c), v).unwrap())
        })
    }

    proptest! {
        #[test]
        fn rows_sum_to_one_and_stay_finite(x in batch()) {
            let y = softmax(&x);
            for row in y.rows() {
                prop_assert!((row.sum() - 1.0).abs() < 1e-6);
                prop_assert!(row.iter().all(|v| v.is_finite() && *v >= 0.0));
            }
        }

        #[test]
        fn invariant_to_adding_a_constant(x in batch(), c in -1e3f64..1e3) {
            let y = softmax(&x);
            let z = softmax(&(&x + c));
            for (a, b) in y.iter().zip(z.iter()) {
                prop_assert!((a - b).abs() < 1e-6, "{} vs {}", a, b);
            }
        }

        #[test]
        fn f32_rows_sum_to_one(v in proptest::collection::vec(-1e4f32..1e4, 1..20)) {
            let y = softmax(&ndarray::Array1::from(v));
            prop_assert!((y.sum() - 1.0).abs() < 1e-5);
            prop_assert!(y.iter().all(|v| v.is_finite()));
        }
    }
}
