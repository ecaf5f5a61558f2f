//! MNIST as the book's `load_mnist` gives it.
#![doc(test(attr(deny(warnings))))]
