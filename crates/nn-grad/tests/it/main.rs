//! Integration tests of `nn-grad`: one binary, one module per area.

// `|x| function_2(x)` is needed: the bare generic fn fixes the view's lifetime
// and is not general enough for the `for<'a> Fn(&ArrayView<'a, ..>)` bound.
#![allow(clippy::redundant_closure)]

// The book's worked numbers for derivatives, tangents and gradients (§4.3-4.4).
mod numerical;
// Gradient descent from (-3, 4) with the book's three learning rates (§4.4.1).
mod descent;
// Python's float repr, character for character.
mod repr;
// The named functions the command line offers.
mod functions;
// The book's simpleNet: a gradient with respect to a weight matrix (§4.4.2).
mod simple_net;
// Invariants over random inputs (proptest).
mod properties;
