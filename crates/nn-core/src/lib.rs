//! Arrays, activations, losses and forward networks from chapters 3 and 4 of
//! *Deep Learning from Scratch*.
#![doc(test(attr(deny(warnings))))]

mod error;
mod float;

pub use error::{Error, Result};
pub use float::Float;
pub use ndarray;
