//! Arrays, activations, losses and forward networks from chapters 3 and 4 of
//! *Deep Learning from Scratch*.
#![doc(test(attr(deny(warnings))))]

mod activation;
mod error;
mod float;
#[cfg(feature = "io")]
pub mod io;
mod kernel;
mod loss;
mod network;
mod sum;

pub use activation::{
    identity_function, relu, relu_grad, sigmoid, sigmoid_grad, sigmoid_inplace, sigmoid_scalar,
    softmax, softmax_inplace, step_function,
};
pub use error::{Error, Result};
pub use float::Float;
pub use loss::{
    CROSS_ENTROPY_DELTA, Targets, cross_entropy_error, mean_squared_error, softmax_loss,
    sum_squared_error,
};
pub use ndarray;
pub use network::{Accuracy, Activation, Dense, Network, Output, argmax};
pub use sum::pairwise_sum;
