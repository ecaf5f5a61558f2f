#![doc = include_str!("../../README.md")]
//!
//! ---
//!
//! This crate's own part: helpers for the end-to-end checks in `e2e/`: where the real data is and
//! where the built `nn` binary is.
//!
//! The checks need the real MNIST test set and the book's
//! `sample_weight.pkl`. They are gated on `NN_DATA_DIR`: without it every
//! check prints `skipping: set NN_DATA_DIR` and passes, so the offline test
//! command stays offline. `cargo xtask eval` fetches the data and runs them
//! with `NN_DATA_DIR` and `NN_BIN` set.

use std::path::PathBuf;

/// The data directory from `NN_DATA_DIR`, or `None` (after printing why the
/// caller is skipping) when it is not set.
pub fn data_dir() -> Option<PathBuf> {
    match std::env::var_os("NN_DATA_DIR") {
        Some(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => {
            eprintln!("skipping: set NN_DATA_DIR (cargo xtask eval does)");
            None
        }
    }
}

/// The `nn` binary from `NN_BIN` (set by `cargo xtask eval`), or `None`
/// after printing why the caller is skipping.
pub fn nn_bin() -> Option<PathBuf> {
    match std::env::var_os("NN_BIN") {
        Some(b) if !b.is_empty() => Some(PathBuf::from(b)),
        _ => {
            eprintln!("skipping: set NN_BIN to the nn binary (cargo xtask eval does)");
            None
        }
    }
}
