//! Fuzz target: see `nn_fuzz_seeds::check_safetensors` for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nn_fuzz_seeds::check_safetensors(data));
