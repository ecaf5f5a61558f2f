//! A pickle opcode assembler that writes the opcode streams NumPy writes.
//!
//! It follows CPython's pickler: every str, bytes, tuple, global and reduced
//! object is memoized (`BINPUT` up to protocol 3, `MEMOIZE` from 4), and an
//! object seen again is fetched with `BINGET` — NumPy's globals, `b'b'`, and a
//! dtype shared by several arrays. Protocol 4 and 5 wrap everything in one
//! `FRAME`. `asm_matches_real_numpy` in `pickle_read.rs` checks that it
//! reproduces real NumPy pickles byte for byte.

#![allow(dead_code)]

use std::collections::HashMap;

/// Opcodes, named as in CPython's `pickle.py`.
pub(crate) mod op {
    pub(crate) const MARK: u8 = b'(';
    pub(crate) const STOP: u8 = b'.';
    pub(crate) const POP: u8 = b'0';
    pub(crate) const DUP: u8 = b'2';
    pub(crate) const BINFLOAT: u8 = b'G';
    pub(crate) const BININT: u8 = b'J';
    pub(crate) const BININT1: u8 = b'K';
    pub(crate) const BININT2: u8 = b'M';
    pub(crate) const NONE: u8 = b'N';
    pub(crate) const PERSID: u8 = b'P';
    pub(crate) const REDUCE: u8 = b'R';
    pub(crate) const BINSTRING: u8 = b'T';
    pub(crate) const SHORT_BINSTRING: u8 = b'U';
    pub(crate) const BINUNICODE: u8 = b'X';
    pub(crate) const APPEND: u8 = b'a';
    pub(crate) const BUILD: u8 = b'b';
    pub(crate) const GLOBAL: u8 = b'c';
    pub(crate) const DICT: u8 = b'd';
    pub(crate) const EMPTY_DICT: u8 = b'}';
    pub(crate) const APPENDS: u8 = b'e';
    pub(crate) const BINGET: u8 = b'h';
    pub(crate) const LONG_BINGET: u8 = b'j';
    pub(crate) const LIST: u8 = b'l';
    pub(crate) const EMPTY_LIST: u8 = b']';
    pub(crate) const BINPUT: u8 = b'q';
    pub(crate) const LONG_BINPUT: u8 = b'r';
    pub(crate) const SETITEM: u8 = b's';
    pub(crate) const TUPLE: u8 = b't';
    pub(crate) const EMPTY_TUPLE: u8 = b')';
    pub(crate) const SETITEMS: u8 = b'u';
    pub(crate) const PROTO: u8 = 0x80;
    pub(crate) const NEWOBJ: u8 = 0x81;
    pub(crate) const TUPLE1: u8 = 0x85;
    pub(crate) const TUPLE2: u8 = 0x86;
    pub(crate) const TUPLE3: u8 = 0x87;
    pub(crate) const NEWTRUE: u8 = 0x88;
    pub(crate) const NEWFALSE: u8 = 0x89;
    pub(crate) const LONG1: u8 = 0x8a;
    pub(crate) const LONG4: u8 = 0x8b;
    pub(crate) const BINBYTES: u8 = b'B';
    pub(crate) const SHORT_BINBYTES: u8 = b'C';
    pub(crate) const SHORT_BINUNICODE: u8 = 0x8c;
    pub(crate) const BINUNICODE8: u8 = 0x8d;
    pub(crate) const BINBYTES8: u8 = 0x8e;
    pub(crate) const EMPTY_SET: u8 = 0x8f;
    pub(crate) const STACK_GLOBAL: u8 = 0x93;
    pub(crate) const MEMOIZE: u8 = 0x94;
    pub(crate) const FRAME: u8 = 0x95;
    pub(crate) const BYTEARRAY8: u8 = 0x96;
    pub(crate) const NEXT_BUFFER: u8 = 0x97;
}

/// Where NumPy keeps `_reconstruct` and `_frombuffer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Numpy {
    /// `numpy.core.*` (NumPy 1.x).
    V1,
    /// `numpy._core.*` (NumPy 2.x).
    V2,
}

impl Numpy {
    pub(crate) fn multiarray(self) -> &'static str {
        match self {
            Numpy::V1 => "numpy.core.multiarray",
            Numpy::V2 => "numpy._core.multiarray",
        }
    }

    pub(crate) fn numeric(self) -> &'static str {
        match self {
            Numpy::V1 => "numpy.core.numeric",
            Numpy::V2 => "numpy._core.numeric",
        }
    }
}

/// An array as NumPy pickles it: dtype string, byte order, shape, memory
/// order and raw bytes.
#[derive(Debug, Clone)]
pub(crate) struct NpArray {
    /// `"f4"`, `"f8"`, `"i8"`, `"U5"`, ...
    pub(crate) descr: String,
    /// `'<'`, `'>'` or `'|'`.
    pub(crate) order: char,
    pub(crate) shape: Vec<usize>,
    /// Fortran-contiguous and not C-contiguous (NumPy's `is_fortran`).
    pub(crate) fortran: bool,
    pub(crate) raw: Vec<u8>,
}

impl NpArray {
    /// A float array of `shape` holding `values` (row-major), stored as
    /// `descr` (`"f4"`/`"f8"`) with byte order `order`, in Fortran memory
    /// order when `fortran` (as `np.asfortranarray` does).
    pub(crate) fn float(
        descr: &str,
        order: char,
        shape: &[usize],
        fortran: bool,
        values: &[f64],
    ) -> Self {
        assert_eq!(values.len(), shape.iter().product::<usize>());
        // Fortran order is the row-major order of the reversed shape.
        let memory: Vec<f64> = if fortran {
            (0..values.len())
                .map(|f| values[c_index_of_f(f, shape)])
                .collect()
        } else {
            values.to_vec()
        };
        let mut raw = Vec::new();
        for v in memory {
            match (descr, order) {
                ("f4", '<') => raw.extend((v as f32).to_le_bytes()),
                ("f4", '>') => raw.extend((v as f32).to_be_bytes()),
                ("f8", '<') => raw.extend(v.to_le_bytes()),
                ("f8", '>') => raw.extend(v.to_be_bytes()),
                other => panic!("NpArray::float does not do {other:?}"),
            }
        }
        // NumPy calls a 0-d or 1-d array C-contiguous, never `is_fortran`.
        let fortran = fortran && shape.iter().filter(|&&d| d > 1).count() > 1;
        NpArray {
            descr: descr.into(),
            order,
            shape: shape.to_vec(),
            fortran,
            raw,
        }
    }

    /// Any dtype, with raw bytes as given.
    pub(crate) fn raw(descr: &str, order: char, shape: &[usize], raw: &[u8]) -> Self {
        NpArray {
            descr: descr.into(),
            order,
            shape: shape.to_vec(),
            fortran: false,
            raw: raw.to_vec(),
        }
    }
}

/// The row-major index of the element at Fortran position `f`.
fn c_index_of_f(mut f: usize, shape: &[usize]) -> usize {
    let mut index = vec![0; shape.len()];
    for (i, &d) in shape.iter().enumerate() {
        index[i] = f % d;
        f /= d;
    }
    index.iter().zip(shape).fold(0, |acc, (&i, &d)| acc * d + i)
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Str(String),
    Bytes(Vec<u8>),
    Global(String, String),
    Dtype(String, char),
}

/// The assembler: opcodes appended to `out`.
pub(crate) struct Asm {
    pub(crate) out: Vec<u8>,
    pub(crate) proto: u8,
    memo: HashMap<Key, u32>,
    next_memo: u32,
    frame_at: Option<usize>,
    /// Old NumPy (the book's file) passes `0, 1` to `numpy.dtype`, not
    /// `False, True`.
    pub(crate) int_dtype_flags: bool,
}

impl Asm {
    /// `PROTO proto`, and from protocol 4 a `FRAME` patched by [`Asm::finish`].
    pub(crate) fn new(proto: u8) -> Self {
        let mut asm = Asm {
            out: vec![op::PROTO, proto],
            proto,
            memo: HashMap::new(),
            next_memo: 0,
            frame_at: None,
            int_dtype_flags: false,
        };
        if proto >= 4 {
            asm.frame_at = Some(asm.out.len());
            asm.out.push(op::FRAME);
            asm.out.extend([0; 8]);
        }
        asm
    }

    /// `STOP`, and the frame length filled in.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.out.push(op::STOP);
        if let Some(at) = self.frame_at {
            let len = (self.out.len() - at - 9) as u64;
            self.out[at + 1..at + 9].copy_from_slice(&len.to_le_bytes());
        }
        self.out
    }

    pub(crate) fn op(&mut self, code: u8) -> &mut Self {
        self.out.push(code);
        self
    }

    pub(crate) fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.out.extend(bytes);
        self
    }

    /// Store the top of the stack in the next memo slot.
    pub(crate) fn memoize(&mut self) -> u32 {
        let index = self.next_memo;
        self.next_memo += 1;
        if self.proto >= 4 {
            self.out.push(op::MEMOIZE);
        } else if let Ok(i) = u8::try_from(index) {
            self.out.extend([op::BINPUT, i]);
        } else {
            self.out.push(op::LONG_BINPUT);
            self.out.extend(index.to_le_bytes());
        }
        index
    }

    pub(crate) fn get(&mut self, index: u32) -> &mut Self {
        if let Ok(i) = u8::try_from(index) {
            self.out.extend([op::BINGET, i]);
        } else {
            self.out.push(op::LONG_BINGET);
            self.out.extend(index.to_le_bytes());
        }
        self
    }

    /// Fetch `key` from the memo, or write it and memoize it.
    fn shared(&mut self, key: Key, write: impl FnOnce(&mut Self)) -> &mut Self {
        if let Some(&index) = self.memo.get(&key) {
            return self.get(index);
        }
        write(self);
        let index = self.memoize();
        self.memo.insert(key, index);
        self
    }

    /// An int the way CPython picks its opcode.
    pub(crate) fn int(&mut self, n: i64) -> &mut Self {
        if let Ok(n) = u8::try_from(n) {
            self.out.extend([op::BININT1, n]);
        } else if let Ok(n) = u16::try_from(n) {
            self.out.push(op::BININT2);
            self.out.extend(n.to_le_bytes());
        } else if let Ok(n) = i32::try_from(n) {
            self.out.push(op::BININT);
            self.out.extend(n.to_le_bytes());
        } else {
            let bytes = n.to_le_bytes();
            self.out.extend([op::LONG1, 8]);
            self.out.extend(bytes);
        }
        self
    }

    pub(crate) fn bool(&mut self, b: bool) -> &mut Self {
        self.op(if b { op::NEWTRUE } else { op::NEWFALSE })
    }

    pub(crate) fn none(&mut self) -> &mut Self {
        self.op(op::NONE)
    }

    /// A str, memoized and shared by value (CPython interns the short names
    /// NumPy pickles).
    pub(crate) fn str(&mut self, s: &str) -> &mut Self {
        self.shared(Key::Str(s.into()), |asm| {
            asm.str_unshared(s);
        })
    }

    /// A str opcode without memo.
    pub(crate) fn str_unshared(&mut self, s: &str) -> &mut Self {
        if asm_short(self.proto, s.len()) {
            self.out.extend([op::SHORT_BINUNICODE, s.len() as u8]);
        } else {
            self.out.push(op::BINUNICODE);
            self.out.extend((s.len() as u32).to_le_bytes());
        }
        self.out.extend(s.as_bytes());
        self
    }

    /// A bytes object, memoized; shared by value only when `shared` (as
    /// NumPy's `b'b'` is).
    pub(crate) fn bytes(&mut self, b: &[u8], shared: bool) -> &mut Self {
        let write = |asm: &mut Self| {
            if asm.proto < 3 {
                // Protocol 2: _codecs.encode('<latin-1 text>', 'latin1').
                asm.global("_codecs", "encode");
                let text: String = b.iter().map(|&c| char::from(c)).collect();
                asm.str_unshared(&text);
                asm.memoize();
                asm.str("latin1");
                asm.op(op::TUPLE2);
                asm.memoize();
                asm.op(op::REDUCE);
            } else if let Ok(len) = u8::try_from(b.len()) {
                asm.out.extend([op::SHORT_BINBYTES, len]);
                asm.out.extend(b);
            } else {
                asm.out.push(op::BINBYTES);
                asm.out.extend((b.len() as u32).to_le_bytes());
                asm.out.extend(b);
            }
        };
        if shared {
            self.shared(Key::Bytes(b.to_vec()), write)
        } else {
            write(self);
            self.memoize();
            self
        }
    }

    /// `module.name`: `GLOBAL`, or from protocol 4 two strs and `STACK_GLOBAL`.
    pub(crate) fn global(&mut self, module: &str, name: &str) -> &mut Self {
        self.shared(Key::Global(module.into(), name.into()), |asm| {
            if asm.proto >= 4 {
                asm.str(module);
                asm.str(name);
                asm.op(op::STACK_GLOBAL);
            } else {
                asm.op(op::GLOBAL);
                asm.out.extend(format!("{module}\n{name}\n").as_bytes());
            }
        })
    }

    /// A tuple of `n` items written by `items`, memoized as CPython does.
    pub(crate) fn tuple(&mut self, n: usize, items: impl FnOnce(&mut Self)) -> &mut Self {
        match n {
            0 => {
                items(self);
                return self.op(op::EMPTY_TUPLE);
            }
            1..=3 => {
                items(self);
                self.op([op::TUPLE1, op::TUPLE2, op::TUPLE3][n - 1]);
            }
            _ => {
                self.op(op::MARK);
                items(self);
                self.op(op::TUPLE);
            }
        }
        self.memoize();
        self
    }

    pub(crate) fn shape(&mut self, shape: &[usize]) -> &mut Self {
        self.tuple(shape.len(), |asm| {
            for &d in shape {
                asm.int(d as i64);
            }
        })
    }

    /// `numpy.dtype(descr, False, True)` + `BUILD (3, order, None, None,
    /// None, elsize, alignment, flags)`; shared by `(descr, order)`.
    pub(crate) fn dtype(&mut self, descr: &str, order: char) -> &mut Self {
        let key = Key::Dtype(descr.into(), order);
        if let Some(&index) = self.memo.get(&key) {
            return self.get(index);
        }
        self.global("numpy", "dtype");
        let int_flags = self.int_dtype_flags;
        self.tuple(3, |asm| {
            asm.str(descr);
            if int_flags {
                asm.int(0).int(1);
            } else {
                asm.bool(false).bool(true);
            }
        });
        self.op(op::REDUCE);
        // Memoized before BUILD: later references carry no state.
        let index = self.memoize();
        self.memo.insert(key, index);
        // NumPy stores the item size only for flexible types such as 'U5'.
        let (elsize, align, flags) =
            match descr.strip_prefix('U').and_then(|n| n.parse::<i64>().ok()) {
                Some(chars) => (4 * chars, 4, 8),
                None => (-1, -1, 0),
            };
        self.tuple(8, |asm| {
            asm.int(3).str(&order.to_string()).none().none().none();
            asm.int(elsize).int(align).int(flags);
        });
        self.op(op::BUILD)
    }

    /// An ndarray: `_reconstruct` + `BUILD` up to protocol 4, `_frombuffer`
    /// with a `BYTEARRAY8` in protocol 5.
    pub(crate) fn array(&mut self, numpy: Numpy, a: &NpArray) -> &mut Self {
        if self.proto >= 5 {
            self.global(numpy.numeric(), "_frombuffer");
            self.tuple(4, |asm| {
                asm.op(op::BYTEARRAY8);
                asm.out.extend((a.raw.len() as u64).to_le_bytes());
                asm.out.extend(&a.raw);
                asm.memoize();
                asm.dtype(&a.descr, a.order);
                asm.shape(&a.shape);
                asm.str(if a.fortran { "F" } else { "C" });
            });
            self.op(op::REDUCE);
            self.memoize();
            return self;
        }
        self.global(numpy.multiarray(), "_reconstruct");
        self.tuple(3, |asm| {
            asm.global("numpy", "ndarray");
            asm.tuple(1, |asm| {
                asm.int(0);
            });
            asm.bytes(b"b", true);
        });
        self.op(op::REDUCE);
        self.memoize();
        self.tuple(5, |asm| {
            asm.int(1);
            asm.shape(&a.shape);
            asm.dtype(&a.descr, a.order);
            asm.bool(a.fortran);
            asm.bytes(&a.raw, false);
        });
        self.op(op::BUILD)
    }

    /// `{key: array, ...}` in the given order, as `pickle.dump` writes it.
    pub(crate) fn dict(&mut self, numpy: Numpy, entries: &[(&str, NpArray)]) -> &mut Self {
        self.op(op::EMPTY_DICT);
        self.memoize();
        if entries.len() > 1 {
            self.op(op::MARK);
        }
        for (key, a) in entries {
            self.str_unshared(key);
            self.memoize();
            self.array(numpy, a);
        }
        match entries.len() {
            0 => self,
            1 => self.op(op::SETITEM),
            _ => self.op(op::SETITEMS),
        }
    }
}

fn asm_short(proto: u8, len: usize) -> bool {
    proto >= 4 && len < 256
}

/// A whole pickle of `entries` as NumPy writes it.
pub(crate) fn numpy_pickle(proto: u8, numpy: Numpy, entries: &[(&str, NpArray)]) -> Vec<u8> {
    let mut asm = Asm::new(proto);
    asm.dict(numpy, entries);
    asm.finish()
}
