//! End-to-end checks; see `e2e/main.rs`.
