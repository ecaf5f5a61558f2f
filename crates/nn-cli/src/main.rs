//! The `nn` command.
fn main() {}
