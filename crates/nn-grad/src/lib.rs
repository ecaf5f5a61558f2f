//! Numerical differentiation, gradients, gradient descent and training: the
//! book's chapter 4.
//!
//! Everything is generic over [`nn_core::Float`] (`f32` and `f64`). The
//! examples use `f64`: with `h = 1e-4` a central difference loses about half
//! of `f32`'s digits, and the book's NumPy computes in float64. In `f64`,
//! every function here performs the book's float operations in the book's
//! order, so results match its printed numbers to the last digit.
//!
//! ```
//! use ndarray::array;
//! use nn_grad::{function_2, gradient_descent, numerical_gradient};
//!
//! let g = numerical_gradient(|x| function_2(x), &array![3.0, 4.0]);
//! assert_eq!(g, array![6.00000000000378, 7.999999999999119]);
//!
//! let run = gradient_descent(|x| function_2(x), &array![-3.0, 4.0], 0.1, 100);
//! assert!(run.x.iter().all(|v: &f64| v.abs() < 1e-9));
//! ```
//!
//! # The book's Python and this crate
//!
//! | Book (chapter 4) | Python | Rust |
//! |---|---|---|
//! | 4.3.1 | `numerical_diff(f, x)` | [`numerical_diff`] |
//! | 4.3.2 | `function_1(x)` | [`function_1`] |
//! | 4.3.2 | `tangent_line(f, x)` (a lambda) | [`tangent_line`] → [`TangentLine::at`] |
//! | 4.3.3 | `function_2(x)` | [`function_2`] |
//! | 4.4 | `_numerical_gradient_no_batch(f, x)` (1-D `x`) | [`numerical_gradient`] |
//! | 4.4 | `numerical_gradient(f, X)` on a 2-D batch of points (`gradient_2d.py`) | [`numerical_gradient_rows`] |
//! | 4.4.2 | `numerical_gradient(f, W)` for any shape (`common/gradient.py`) | [`numerical_gradient`], [`numerical_gradient_par`] |
//! | 4.4.1 | `gradient_descent(f, init_x, lr, step_num)` → `x, x_history` | [`gradient_descent`] → [`Descent`] |
//! | — | `print(x)` of a float | [`py_repr`] |
//! | 4.5.1 | `TwoLayerNet(input_size, hidden_size, output_size)`, `params` | [`TwoLayerNet::new`], [`Mlp::params`] |
//! | 4.5.1 | `predict`, `loss`, `accuracy` | [`Mlp::predict`], [`Mlp::loss`], [`Mlp::accuracy`] |
//! | 4.5.1 | `numerical_gradient(x, t)` | [`Mlp::numerical_gradient`] (and [`Mlp::numerical_gradient_fast`]) |
//! | 4.5.1, 5.7 | `gradient(x, t)` (backpropagation) | [`Mlp::gradient`] |
//! | 4.5.2–4.5.3 | `train_neuralnet.py` | [`train`] with [`TrainConfig`] → [`History`] |
//! | 5.7.3 | `gradient_check.py` | [`gradient_check`] |
//! | 6.1 | `SGD`, `Momentum`, `AdaGrad`, `Adam` | [`Optimizer`], [`OptimizerState`] |
//!
//! Extra functions for exploring descent: [`saddle`], [`rosenbrock`], and
//! [`NamedFunction`] to pick one by name.
//!
//! Training takes [`Inputs`] (float rows, or `u8` pixels normalised per
//! batch) and [`Targets`] (labels or rows) as a [`Dataset`]; the network is
//! the general [`Mlp`] (any depth, sigmoid/ReLU, softmax or identity
//! output), which converts to `nn_core::Network` for inference and saving.
#![doc(test(attr(deny(warnings))))]

mod backprop;
mod data;
mod descent;
mod error;
mod functions;
mod gradcheck;
mod network;
mod numerical;
mod optim;
mod repr;
mod sparse;
mod train;

pub use data::{Dataset, Inputs, Targets};
pub use descent::{Descent, gradient_descent};
pub use error::{Error, Result};
pub use functions::{
    CriticalKind, CriticalPoint, NamedFunction, function_1, function_2, rosenbrock, saddle,
};
pub use gradcheck::{GradientCheck, gradient_check};
pub use network::{Gradients, Init, Mlp, TwoLayerNet};
pub use numerical::{
    H, TangentLine, numerical_diff, numerical_gradient, numerical_gradient_par,
    numerical_gradient_rows, tangent_line,
};
pub use optim::{Optimizer, OptimizerState};
pub use repr::py_repr;
pub use train::{
    EpochRecord, GradientMethod, History, Metrics, Progress, TrainConfig, TrainSets, evaluate,
    train,
};
