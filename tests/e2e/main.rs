//! End-to-end checks on the real data, run by `cargo xtask eval`.
//!
//! One test binary (ripgrep's `tests/tests.rs` layout); one module per area.

// The MNIST test set as mnist-data loads it: shapes, mean pixel, label counts.
mod mnist;
// The book's network with sample_weight.pkl: accuracy, probabilities, misclassified images.
mod inference;
// The `nn` binary itself: the eval report, snapshot-tested.
mod cli;
// `nn predict` on digits rendered from the bundled font, and its errors.
mod predict;
// `nn serve` in headless Chromium: digits drawn with the mouse (NN_WEB_CHECK=1).
mod web;
