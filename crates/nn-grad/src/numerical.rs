//! Numerical differentiation: derivatives, tangent lines and gradients by
//! central differences (the book's section 4.3 and 4.4).
//!
//! Every function here evaluates in exactly the book's order of float
//! operations, `(f(x + h) - f(x - h)) / (2 * h)` with `h = 1e-4`, so `f64`
//! results agree with the book's NumPy output to the last printed digit.

use ndarray::{Array, Array2, ArrayBase, ArrayView, ArrayView1, Data, Dimension, Ix1, Ix2};
use nn_core::Float;
use rayon::prelude::*;

/// The step of every central difference in this module: `h = 1e-4`.
///
/// Small enough for a good approximation, large enough that `x + h` and
/// `x - h` still differ from `x` in `f64` (the book's section 4.3.1 explains
/// why `1e-50` fails). In `f32` it is the nearest `f32` to `1e-4`.
pub const H: f64 = 1e-4;

/// `value` converted to `T`; every `f64` literal used here fits f32 and f64.
pub(crate) fn lit<T: Float>(value: f64) -> T {
    T::from_f64(value).expect("f32 and f64 can represent every f64 constant")
}

/// The derivative of a function of one variable by central difference.
///
/// `(f(x + h) - f(x - h)) / (2h)` with `h = 1e-4` ([`H`]), evaluated in the
/// book's order so `f64` results match NumPy bit for bit.
///
/// ```
/// use nn_grad::{function_1, numerical_diff};
///
/// // print(numerical_diff(function_1, 5))   # 0.1999999999990898
/// assert_eq!(numerical_diff(function_1, 5.0), 0.1999999999990898);
/// // The exact derivative 0.02x + 0.1 is 0.2 at 5.
/// assert!((numerical_diff(function_1, 5.0_f64) - 0.2).abs() < 1e-9);
/// ```
pub fn numerical_diff<T, F>(mut f: F, x: T) -> T
where
    T: Float,
    F: FnMut(T) -> T,
{
    let h: T = lit(H);
    let fxh1 = f(x + h);
    let fxh2 = f(x - h);
    (fxh1 - fxh2) / (h + h)
}

/// A straight line `y = slope * t + intercept`, as returned by
/// [`tangent_line`].
///
/// ```
/// use nn_grad::TangentLine;
///
/// let line = TangentLine { slope: 2.0, intercept: -1.0 };
/// assert_eq!(line.at(3.0), 5.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TangentLine<T> {
    /// The derivative at the point of contact.
    pub slope: T,
    /// Where the line crosses `t = 0`: `f(x) - slope * x`.
    pub intercept: T,
}

impl<T: Float> TangentLine<T> {
    /// The line's value at `t`: `slope * t + intercept` (the book's lambda).
    ///
    /// ```
    /// use nn_grad::{function_1, tangent_line};
    ///
    /// let line = tangent_line(function_1, 5.0);
    /// // The tangent touches the curve at x = 5.
    /// assert!((line.at(5.0_f64) - function_1(5.0)).abs() < 1e-12);
    /// ```
    pub fn at(&self, t: T) -> T {
        self.slope * t + self.intercept
    }
}

/// The tangent of `f` at `x`, with the slope from [`numerical_diff`].
///
/// The book's `tangent_line(f, x)` returns a lambda; this returns the line as
/// a value whose [`TangentLine::at`] evaluates it: `d * t + (f(x) - d * x)`.
///
/// ```
/// use nn_grad::{function_1, tangent_line};
///
/// // tf = tangent_line(function_1, 5)   # prints 0.1999999999990898
/// let line = tangent_line(function_1, 5.0);
/// assert_eq!(line.slope, 0.1999999999990898);
/// // y = function_1(5) - d*5   # -0.24999999999544897
/// assert_eq!(line.intercept, -0.24999999999544897);
/// assert_eq!(line.at(10.0), 1.749999999995449); // tf(10)
/// ```
pub fn tangent_line<T, F>(mut f: F, x: T) -> TangentLine<T>
where
    T: Float,
    F: FnMut(T) -> T,
{
    let slope = numerical_diff(&mut f, x);
    TangentLine {
        slope,
        intercept: f(x) - slope * x,
    }
}

/// The gradient of `f` at `x`: one central difference per element of `x`,
/// for an array of any shape.
///
/// `grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)` for every index `i` of
/// `x`, with `h = 1e-4`. The result has the shape of `x`.
///
/// This is the book's `numerical_gradient`: for a 1-D `x` it is
/// `_numerical_gradient_no_batch` of `ch04/gradient_2d.py` (a gradient at one
/// point), for any shape it is `common/gradient.py`, used on weight matrices.
/// For the `gradient_2d.py` behaviour on a 2-D array of points (one gradient
/// per row) use [`numerical_gradient_rows`]; for a parallel version of this
/// function use [`numerical_gradient_par`].
///
/// `f` receives a working copy of `x` in which one element at a time is set
/// to `x[i] + h`, then `x[i] - h`, then restored to exactly `x[i]` (not
/// recomputed, so no rounding creeps in); `x` itself is not touched. The copy
/// is made once: nothing is allocated per element.
///
/// ```
/// use ndarray::array;
/// use nn_grad::{function_2, numerical_gradient};
///
/// // numerical_gradient(function_2, np.array([3.0, 4.0]))
/// // array([6.00000000000378, 7.999999999999119])
/// let g = numerical_gradient(|x| function_2(x), &array![3.0, 4.0]);
/// assert_eq!(g, array![6.00000000000378, 7.999999999999119]);
///
/// // A weight matrix: f(W) = sum(W^2) has gradient 2W, shape (2, 3).
/// let w = array![[1.0_f64, -2.0, 0.5], [0.0, 3.0, -1.0]];
/// let g = numerical_gradient(|w| w.mapv(|v| v * v).sum(), &w);
/// assert_eq!(g.shape(), &[2, 3]);
/// assert!((&g - 2.0 * &w).iter().all(|d| d.abs() < 1e-9));
/// ```
#[doc(alias = "gradient")]
#[doc(alias = "grad")]
pub fn numerical_gradient<T, S, D, F>(mut f: F, x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
    F: FnMut(&ArrayView<'_, T, D>) -> T,
{
    let mut work = standard_copy(x);
    let mut grad = Array::zeros(x.raw_dim());
    let out = grad
        .as_slice_mut()
        .expect("Array::zeros is in standard layout");
    central_differences(&mut f, &mut work, 0, out);
    grad
}

/// [`numerical_gradient`] split across threads with rayon.
///
/// The same numbers, bit for bit, as the sequential function (each element's
/// difference is computed by the same operations on the same inputs), but
/// the elements are divided into a few contiguous ranges per thread and each
/// range works on its own copy of `x`, made once per range, so nothing is
/// allocated per element. `f` must be `Fn + Sync` because several threads
/// call it at once; a function that needs `FnMut` (it mutates a buffer or a
/// counter) must use the sequential [`numerical_gradient`].
///
/// Use it on parameter arrays where `f` is a whole network's loss: there, the
/// two evaluations per element dominate and the speed-up is close to the
/// number of cores.
///
/// ```
/// use ndarray::Array;
/// use nn_grad::{numerical_gradient, numerical_gradient_par};
///
/// let w = Array::linspace(-1.0_f64, 1.0, 12).into_shape_with_order((3, 4)).unwrap();
/// let loss = |w: &ndarray::ArrayView2<f64>| w.mapv(|v| v.powi(4)).sum();
/// let par = numerical_gradient_par(loss, &w);
/// assert_eq!(par, numerical_gradient(loss, &w));
/// // d/dw w^4 = 4w^3
/// assert!((&par - w.mapv(|v| 4.0 * v.powi(3))).iter().all(|d| d.abs() < 1e-7));
/// ```
#[doc(alias = "gradient")]
#[doc(alias = "grad")]
pub fn numerical_gradient_par<T, S, D, F>(f: F, x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
    F: Fn(&ArrayView<'_, T, D>) -> T + Sync,
{
    let base = standard_copy(x);
    let mut grad = Array::zeros(x.raw_dim());
    let out = grad
        .as_slice_mut()
        .expect("Array::zeros is in standard layout");
    // A few ranges per thread so a thread slowed by another process does not
    // hold the others up; each range costs one copy of `x`.
    let ranges = 4 * rayon::current_num_threads();
    let chunk = out.len().div_ceil(ranges).max(1);
    out.par_chunks_mut(chunk).enumerate().for_each_init(
        || base.clone(),
        |work, (k, out)| central_differences(&mut &f, work, k * chunk, out),
    );
    grad
}

/// The gradient of a function of one point at each row of a 2-D array: the
/// book's `numerical_gradient` of `ch04/gradient_2d.py` on a batch.
///
/// For `x` of shape `(N, D)`, N points of D coordinates, the result has shape
/// `(N, D)` and row `n` is [`numerical_gradient`] of `f` at `x.row(n)`. The
/// book uses it to draw the gradient field of `x0² + x1²` (Figure 4-9).
///
/// ```
/// use ndarray::array;
/// use nn_grad::{function_2, numerical_gradient_rows};
///
/// let points = array![[3.0, 4.0], [0.0, 2.0], [3.0, 0.0]];
/// let g = numerical_gradient_rows(|p| function_2(p), &points);
/// assert_eq!(
///     g,
///     array![
///         [6.00000000000378, 7.999999999999119],
///         [0.0, 4.000000000004],
///         [6.000000000012662, 0.0],
///     ]
/// );
/// ```
pub fn numerical_gradient_rows<T, S, F>(mut f: F, x: &ArrayBase<S, Ix2>) -> Array2<T>
where
    T: Float,
    S: Data<Elem = T>,
    F: FnMut(&ArrayView1<'_, T>) -> T,
{
    let mut grad = Array2::zeros(x.raw_dim());
    let mut work = Array::zeros(x.ncols());
    for (row, mut grad_row) in x.rows().into_iter().zip(grad.rows_mut()) {
        work.assign(&row);
        let out = grad_row
            .as_slice_mut()
            .expect("rows of a standard-layout array are contiguous");
        central_differences::<T, Ix1, _>(&mut f, &mut work, 0, out);
    }
    grad
}

/// `x` copied into a fresh array in standard (row-major) layout, so that the
/// element with logical index `i` is `as_slice()[i]`.
fn standard_copy<T, S, D>(x: &ArrayBase<S, D>) -> Array<T, D>
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    x.as_standard_layout().into_owned()
}

/// Central differences for the elements `start..start + out.len()` (in
/// logical row-major order) of `work`, written to `out`. `work` is left
/// exactly as it was found.
fn central_differences<T, D, F>(f: &mut F, work: &mut Array<T, D>, start: usize, out: &mut [T])
where
    T: Float,
    D: Dimension,
    F: FnMut(&ArrayView<'_, T, D>) -> T,
{
    let h: T = lit(H);
    let two_h = h + h;
    for (i, grad) in (start..).zip(out.iter_mut()) {
        let tmp_val = slice_mut(work)[i];
        slice_mut(work)[i] = tmp_val + h;
        let fxh1 = f(&work.view());
        slice_mut(work)[i] = tmp_val - h;
        let fxh2 = f(&work.view());
        *grad = (fxh1 - fxh2) / two_h;
        slice_mut(work)[i] = tmp_val;
    }
}

fn slice_mut<T, D: Dimension>(work: &mut Array<T, D>) -> &mut [T] {
    work.as_slice_mut()
        .expect("working copies are made in standard layout")
}
