//! Weight files: NumPy pickles and safetensors (`nn_core::io`).
//!
//! Every fixture is made in code: pickles are assembled opcode by opcode
//! (`asm`), or copied byte for byte from real NumPy output (`numpy_bytes`).

// A pickle opcode assembler that writes NumPy's opcode streams.
mod asm;
// Pickles written by NumPy 1.26 and 2.4, as byte literals.
mod numpy_bytes;
// Every protocol, NumPy version, dtype, byte order and memory order loads.
mod pickle_read;
// Every error, and no panic on any bytes.
mod pickle_errors;
// The writer: golden bytes, round trips, an independent reader.
mod pickle_write;
// safetensors: round trips and errors.
mod safetensors;
// Files: extension dispatch, atomic writes, the book's sample_weight.pkl.
mod files;
