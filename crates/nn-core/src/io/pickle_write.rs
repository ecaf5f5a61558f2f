//! Writing a dict of arrays as a protocol 3 pickle NumPy can load.
//!
//! serde cannot emit the `GLOBAL`/`REDUCE`/`BUILD` opcodes an `ndarray` needs,
//! so the opcodes are written by hand, in the shape NumPy itself writes:
//!
//! ```text
//! numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b')
//!     BUILD (1, shape, numpy.dtype('f4', False, True) BUILD (3, '<', ...), False, raw)
//! ```
//!
//! `numpy.core` is the module path of NumPy 1.x; NumPy 2.x maps it to
//! `numpy._core` when unpickling without a warning. Data is little-endian
//! and row-major. Nothing is memoized: the memo is optional for readers.

use super::{TensorData, Tensors};
use crate::{Error, Result};

const PROTO: u8 = 0x80;
const EMPTY_DICT: u8 = b'}';
const MARK: u8 = b'(';
const SETITEMS: u8 = b'u';
const STOP: u8 = b'.';
const GLOBAL: u8 = b'c';
const BININT: u8 = b'J';
const BININT1: u8 = b'K';
const BININT2: u8 = b'M';
const LONG1: u8 = 0x8a;
const NONE: u8 = b'N';
const NEWTRUE: u8 = 0x88;
const NEWFALSE: u8 = 0x89;
const BINUNICODE: u8 = b'X';
const SHORT_BINBYTES: u8 = b'C';
const BINBYTES: u8 = b'B';
const EMPTY_TUPLE: u8 = b')';
const TUPLE1: u8 = 0x85;
const TUPLE2: u8 = 0x86;
const TUPLE3: u8 = 0x87;
const TUPLE: u8 = b't';
const REDUCE: u8 = b'R';
const BUILD: u8 = b'b';

/// Serialize `tensors` as a protocol 3 pickle of a dict of NumPy arrays.
pub(crate) fn to_bytes(tensors: &Tensors) -> Result<Vec<u8>> {
    let data_len: usize = tensors
        .iter()
        .map(|(k, t)| k.len() + t.len_elements() * t.itemsize() + 256)
        .sum();
    let mut out = Vec::with_capacity(data_len + 4);
    out.extend([PROTO, 3, EMPTY_DICT]);
    if !tensors.is_empty() {
        out.push(MARK);
        for (key, tensor) in tensors {
            unicode(&mut out, key, key)?;
            array(&mut out, key, tensor)?;
        }
        out.push(SETITEMS);
    }
    out.push(STOP);
    Ok(out)
}

fn too_large(key: &str, what: &str, len: usize) -> Error {
    Error::InvalidArgument(format!(
        "array '{key}': its {what} has {len} bytes, more than a protocol 3 pickle holds (4 GiB)"
    ))
}

fn unicode(out: &mut Vec<u8>, text: &str, key: &str) -> Result<()> {
    let len = u32::try_from(text.len()).map_err(|_| too_large(key, "name", text.len()))?;
    out.push(BINUNICODE);
    out.extend(len.to_le_bytes());
    out.extend(text.as_bytes());
    Ok(())
}

fn int(out: &mut Vec<u8>, n: i64) {
    if let Ok(n) = u8::try_from(n) {
        out.extend([BININT1, n]);
    } else if let Ok(n) = u16::try_from(n) {
        out.push(BININT2);
        out.extend(n.to_le_bytes());
    } else if let Ok(n) = i32::try_from(n) {
        out.push(BININT);
        out.extend(n.to_le_bytes());
    } else {
        out.extend([LONG1, 8]);
        out.extend(n.to_le_bytes());
    }
}

fn global(out: &mut Vec<u8>, module: &str, name: &str) {
    out.push(GLOBAL);
    for part in [module, name] {
        out.extend(part.as_bytes());
        out.push(b'\n');
    }
}

fn array(out: &mut Vec<u8>, key: &str, tensor: &TensorData) -> Result<()> {
    // _reconstruct(ndarray, (0,), b'b')
    global(out, "numpy.core.multiarray", "_reconstruct");
    global(out, "numpy", "ndarray");
    int(out, 0);
    out.push(TUPLE1);
    out.extend([SHORT_BINBYTES, 1, b'b']);
    out.extend([TUPLE3, REDUCE]);
    // BUILD (1, shape, dtype, is_fortran, raw)
    out.push(MARK);
    int(out, 1);
    let shape = tensor.shape();
    if shape.len() > 3 {
        out.push(MARK);
    }
    for &d in shape {
        // An array never has more than isize::MAX elements.
        int(out, i64::try_from(d).unwrap_or(i64::MAX));
    }
    out.push(match shape.len() {
        0 => EMPTY_TUPLE,
        1 => TUPLE1,
        2 => TUPLE2,
        3 => TUPLE3,
        _ => TUPLE,
    });
    dtype(out, if tensor.itemsize() == 4 { "f4" } else { "f8" }, key)?;
    out.push(NEWFALSE);
    let raw = tensor.to_le_bytes();
    if let Ok(len) = u8::try_from(raw.len()) {
        out.extend([SHORT_BINBYTES, len]);
    } else {
        let len = u32::try_from(raw.len()).map_err(|_| too_large(key, "data", raw.len()))?;
        out.push(BINBYTES);
        out.extend(len.to_le_bytes());
    }
    out.extend(raw);
    out.extend([TUPLE, BUILD]);
    Ok(())
}

/// `numpy.dtype(descr, False, True)` BUILD `(3, '<', None, None, None, -1, -1, 0)`.
fn dtype(out: &mut Vec<u8>, descr: &str, key: &str) -> Result<()> {
    global(out, "numpy", "dtype");
    unicode(out, descr, key)?;
    out.extend([NEWFALSE, NEWTRUE, TUPLE3, REDUCE]);
    out.push(MARK);
    int(out, 3);
    unicode(out, "<", key)?;
    out.extend([NONE, NONE, NONE]);
    int(out, -1);
    int(out, -1);
    int(out, 0);
    out.extend([TUPLE, BUILD]);
    Ok(())
}
