//! Numerical differentiation, gradients, gradient descent and training.
#![doc(test(attr(deny(warnings))))]
