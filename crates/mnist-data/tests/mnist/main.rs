//! Tests of `mnist-data`, one module per area. Fixtures are written by the
//! tests themselves; the real data is only read when `NN_DATA_DIR` is set.

/// Reading images in blocks, as `nn eval` does while it classifies.
mod chunked;
/// Writing tiny IDX files (gz and raw) and data directories.
mod common;
/// Downloads against a local HTTP server on 127.0.0.1, and local mirrors.
#[cfg(feature = "fetch")]
mod fetch;
/// Parsing IDX files and every structural error.
mod idx;
/// `load_split`, `load_mnist` and its four option combinations.
mod load;
/// Preprocessing your own digit: synthetic digits against 28×28 pictures.
#[cfg(feature = "image")]
mod preprocess;
/// Parsing never panics, whatever the bytes.
mod props;
/// The real MNIST in `NN_DATA_DIR` (skipped when unset).
mod real_data;
