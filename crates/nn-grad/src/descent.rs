//! Gradient descent with numerical gradients (the book's section 4.4.1).

use ndarray::{Array1, Array2, ArrayBase, ArrayView1, Data, Ix1};
use nn_core::Float;

use crate::numerical_gradient;

/// The result of [`gradient_descent`]: the final point and the path to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Descent<T> {
    /// The point after the last step, shape `(D,)`.
    pub x: Array1<T>,
    /// The point before each step, shape `(step_num, D)`: row 0 is `init_x`,
    /// row `i` the point after `i` steps. The final point is not included,
    /// as in the book's `x_history`.
    pub history: Array2<T>,
}

impl<T: Float> Descent<T> {
    /// After how many steps a coordinate first became infinite or NaN, or
    /// `None` if every point of the run is finite.
    ///
    /// A learning rate that is too large can make the iteration overflow; the
    /// book's code then carries on with `nan` silently, this lets a caller
    /// say that the run diverged.
    ///
    /// ```
    /// use ndarray::array;
    /// use nn_grad::{function_2, gradient_descent};
    ///
    /// let ok = gradient_descent(|x| function_2(x), &array![-3.0, 4.0], 0.1, 100);
    /// assert_eq!(ok.diverged_at(), None);
    /// // One step of lr = 1e200 lands near 1e201, where x0² overflows: the
    /// // next gradient is inf - inf = NaN.
    /// let bad = gradient_descent(|x| function_2(x), &array![-3.0, 4.0], 1e200, 100);
    /// assert!(bad.history.row(1).iter().all(|v: &f64| v.is_finite()));
    /// assert_eq!(bad.diverged_at(), Some(2));
    /// ```
    pub fn diverged_at(&self) -> Option<usize> {
        let finite = |p: ArrayView1<'_, T>| p.iter().all(|v| v.is_finite());
        self.history
            .rows()
            .into_iter()
            .position(|p| !finite(p))
            .or_else(|| (!finite(self.x.view())).then_some(self.history.nrows()))
    }
}

/// Gradient descent: `step_num` steps of `x -= lr * grad f(x)` from `init_x`,
/// with the gradient from [`numerical_gradient`].
///
/// Returns the final point and the history of points visited (see
/// [`Descent`]); `init_x` (shape `(D,)`) is not modified. The update is the
/// book's `x -= lr * grad`, so `f64` results match NumPy to the last digit.
/// Nothing is checked: a learning rate that is too large diverges (see
/// [`Descent::diverged_at`]), one that is too small barely moves.
///
/// ```
/// use ndarray::array;
/// use nn_grad::{function_2, gradient_descent};
///
/// // init_x = np.array([-3.0, 4.0])
/// // gradient_descent(function_2, init_x=init_x, lr=0.1, step_num=100)
/// // array([-6.11110793e-10,  8.14814391e-10])
/// let run = gradient_descent(|x| function_2(x), &array![-3.0, 4.0], 0.1, 100);
/// assert_eq!(run.x, array![-6.111107928998789e-10, 8.148143905314271e-10]);
/// assert_eq!(run.history.shape(), &[100, 2]);
/// assert_eq!(run.history.row(0), array![-3.0, 4.0]);
/// ```
#[doc(alias = "sgd")]
pub fn gradient_descent<T, S, F>(
    mut f: F,
    init_x: &ArrayBase<S, Ix1>,
    lr: T,
    step_num: usize,
) -> Descent<T>
where
    T: Float,
    S: Data<Elem = T>,
    F: FnMut(&ArrayView1<'_, T>) -> T,
{
    let mut x = init_x.to_owned();
    let mut history = Array2::zeros((step_num, x.len()));
    for mut row in history.rows_mut() {
        row.assign(&x);
        let grad = numerical_gradient(&mut f, &x);
        x.zip_mut_with(&grad, |xi, &g| *xi -= lr * g);
    }
    Descent { x, history }
}
