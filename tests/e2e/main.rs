//! End-to-end checks on real data.
