//! Reading a pickled dict of NumPy arrays with a small pickle machine.
//!
//! Why not serde-pickle: its value model replaces an object by its `BUILD`
//! state. A NumPy dtype is pickled as `numpy.dtype('f4', False, True)` followed
//! by `BUILD (3, '<', ...)`, so the first array of a file only shows the byte
//! order (`'<'`, but not whether the data is `f4`, `f8` or `i8`), while arrays
//! that share that dtype through the memo only show `('f4', False, True)` (but
//! not the byte order). Protocol 5 arrays (`_frombuffer`) vanish entirely under
//! `replace_unresolved_globals`. Reading the dtype reliably needs the object
//! identity that serde-pickle's model drops, hence this machine.
//!
//! The machine runs the binary opcodes of protocols 2 to 5 (the text opcodes of
//! protocols 0 and 1 are refused) and builds only what a dict of arrays needs:
//! containers, scalars, strings, bytes, and the few NumPy and builtin callables
//! NumPy pickles use. Nothing is ever executed. Every length is checked against
//! the remaining input before it is used, containers nest at most
//! [`MAX_DEPTH`] deep, and shared containers are never copied once they hold
//! items, so memory stays proportional to the input.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::rc::Rc;

use ndarray::{ArrayD, IxDyn, ShapeBuilder};

use super::{TensorData, Tensors};
use crate::Error;

/// How deep tuples, lists and dicts may nest. A NumPy dict of arrays needs 3.
const MAX_DEPTH: usize = 32;

/// The newest pickle protocol this machine knows.
const HIGHEST_PROTOCOL: u8 = 5;

/// Opcodes, named as in CPython's `pickle.py`.
mod op {
    pub(super) const MARK: u8 = b'(';
    pub(super) const STOP: u8 = b'.';
    pub(super) const POP: u8 = b'0';
    pub(super) const POP_MARK: u8 = b'1';
    pub(super) const DUP: u8 = b'2';
    pub(super) const FLOAT: u8 = b'F';
    pub(super) const INT: u8 = b'I';
    pub(super) const BININT: u8 = b'J';
    pub(super) const BININT1: u8 = b'K';
    pub(super) const LONG: u8 = b'L';
    pub(super) const BININT2: u8 = b'M';
    pub(super) const NONE: u8 = b'N';
    pub(super) const PERSID: u8 = b'P';
    pub(super) const BINPERSID: u8 = b'Q';
    pub(super) const REDUCE: u8 = b'R';
    pub(super) const STRING: u8 = b'S';
    pub(super) const BINSTRING: u8 = b'T';
    pub(super) const SHORT_BINSTRING: u8 = b'U';
    pub(super) const UNICODE: u8 = b'V';
    pub(super) const BINUNICODE: u8 = b'X';
    pub(super) const APPEND: u8 = b'a';
    pub(super) const BUILD: u8 = b'b';
    pub(super) const GLOBAL: u8 = b'c';
    pub(super) const DICT: u8 = b'd';
    pub(super) const EMPTY_DICT: u8 = b'}';
    pub(super) const APPENDS: u8 = b'e';
    pub(super) const GET: u8 = b'g';
    pub(super) const BINGET: u8 = b'h';
    pub(super) const INST: u8 = b'i';
    pub(super) const LONG_BINGET: u8 = b'j';
    pub(super) const LIST: u8 = b'l';
    pub(super) const EMPTY_LIST: u8 = b']';
    pub(super) const OBJ: u8 = b'o';
    pub(super) const PUT: u8 = b'p';
    pub(super) const BINPUT: u8 = b'q';
    pub(super) const LONG_BINPUT: u8 = b'r';
    pub(super) const SETITEM: u8 = b's';
    pub(super) const TUPLE: u8 = b't';
    pub(super) const EMPTY_TUPLE: u8 = b')';
    pub(super) const SETITEMS: u8 = b'u';
    pub(super) const BINFLOAT: u8 = b'G';
    // protocol 2
    pub(super) const PROTO: u8 = 0x80;
    pub(super) const NEWOBJ: u8 = 0x81;
    pub(super) const EXT1: u8 = 0x82;
    pub(super) const EXT2: u8 = 0x83;
    pub(super) const EXT4: u8 = 0x84;
    pub(super) const TUPLE1: u8 = 0x85;
    pub(super) const TUPLE2: u8 = 0x86;
    pub(super) const TUPLE3: u8 = 0x87;
    pub(super) const NEWTRUE: u8 = 0x88;
    pub(super) const NEWFALSE: u8 = 0x89;
    pub(super) const LONG1: u8 = 0x8a;
    pub(super) const LONG4: u8 = 0x8b;
    // protocol 3
    pub(super) const BINBYTES: u8 = b'B';
    pub(super) const SHORT_BINBYTES: u8 = b'C';
    // protocol 4
    pub(super) const SHORT_BINUNICODE: u8 = 0x8c;
    pub(super) const BINUNICODE8: u8 = 0x8d;
    pub(super) const BINBYTES8: u8 = 0x8e;
    pub(super) const EMPTY_SET: u8 = 0x8f;
    pub(super) const ADDITEMS: u8 = 0x90;
    pub(super) const FROZENSET: u8 = 0x91;
    pub(super) const NEWOBJ_EX: u8 = 0x92;
    pub(super) const STACK_GLOBAL: u8 = 0x93;
    pub(super) const MEMOIZE: u8 = 0x94;
    pub(super) const FRAME: u8 = 0x95;
    // protocol 5
    pub(super) const BYTEARRAY8: u8 = 0x96;
    pub(super) const NEXT_BUFFER: u8 = 0x97;
    pub(super) const READONLY_BUFFER: u8 = 0x98;
}

/// The name of an opcode this machine refuses, for error messages.
fn refused_name(code: u8) -> Option<&'static str> {
    Some(match code {
        op::FLOAT => "FLOAT",
        op::INT => "INT",
        op::LONG => "LONG",
        op::PERSID => "PERSID",
        op::BINPERSID => "BINPERSID",
        op::STRING => "STRING",
        op::UNICODE => "UNICODE",
        op::GET => "GET",
        op::INST => "INST",
        op::OBJ => "OBJ",
        op::PUT => "PUT",
        op::NEWOBJ => "NEWOBJ",
        op::EXT1 => "EXT1",
        op::EXT2 => "EXT2",
        op::EXT4 => "EXT4",
        op::EMPTY_SET => "EMPTY_SET",
        op::ADDITEMS => "ADDITEMS",
        op::FROZENSET => "FROZENSET",
        op::NEWOBJ_EX => "NEWOBJ_EX",
        op::NEXT_BUFFER => "NEXT_BUFFER",
        op::READONLY_BUFFER => "READONLY_BUFFER",
        _ => return None,
    })
}

/// What went wrong, before the file name is attached.
#[derive(Debug)]
enum Fail {
    /// The input ended before `STOP`.
    Truncated,
    /// Not a pickle this machine can run.
    Malformed(String),
    /// A pickle, but not of a dict of arrays.
    NotDict(String),
    /// An array whose parts do not fit together.
    BadArray { key: String, detail: String },
    /// An array of an element type other than float32/float64.
    Dtype { key: String, dtype: String },
}

impl Fail {
    fn into_error(self, path: &Path) -> Error {
        let path = path.to_path_buf();
        match self {
            Fail::Truncated => Error::Truncated { path },
            Fail::Malformed(detail) => Error::NotAPickle { path, detail },
            Fail::NotDict(found) => Error::NotADictOfArrays { path, found },
            Fail::BadArray { key, detail } => Error::BadArray { path, key, detail },
            Fail::Dtype { key, dtype } => Error::UnsupportedDtype { path, key, dtype },
        }
    }
}

type Step<T> = std::result::Result<T, Fail>;

fn malformed<T>(detail: String) -> Step<T> {
    Err(Fail::Malformed(detail))
}

/// Bytes: borrowed from the input, or decoded (protocol 2 `_codecs.encode`).
#[derive(Debug, Clone)]
enum Buf<'a> {
    Borrowed(&'a [u8]),
    Owned(Rc<[u8]>),
}

impl Buf<'_> {
    fn as_slice(&self) -> &[u8] {
        match self {
            Buf::Borrowed(b) => b,
            Buf::Owned(b) => b,
        }
    }
}

/// A value on the pickle stack. Cloning is cheap (reference counts).
#[derive(Debug, Clone)]
enum Value<'a> {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
    Bytes(Buf<'a>),
    Tuple(Rc<Seq<'a>>),
    List(Rc<Seq<'a>>),
    Dict(Rc<Map<'a>>),
    Global(&'a str, &'a str),
    Array(Rc<ArrayObj<'a>>),
    Dtype(Rc<DtypeObj>),
}

impl Value<'_> {
    /// Nesting depth: 0 for everything but tuples, lists and dicts.
    fn depth(&self) -> usize {
        match self {
            Value::Tuple(s) | Value::List(s) => s.depth,
            Value::Dict(m) => m.depth,
            _ => 0,
        }
    }

    /// "a list", "the int 3": for error messages.
    fn describe(&self) -> String {
        match self {
            Value::None => "None".into(),
            Value::Bool(b) => format!("the bool {}", if *b { "True" } else { "False" }),
            Value::Int(i) => format!("the int {i}"),
            Value::Float(f) => format!("the float {f}"),
            Value::Str(_) => "a str".into(),
            Value::Bytes(_) => "bytes".into(),
            Value::Tuple(_) => "a tuple".into(),
            Value::List(_) => "a list".into(),
            Value::Dict(_) => "a dict".into(),
            Value::Global(m, n) => format!("the global {m}.{n}"),
            Value::Array(_) => "a numpy array".into(),
            Value::Dtype(_) => "a numpy dtype".into(),
        }
    }

    /// A Python `str`, or a Python 2 `str` (bytes) holding UTF-8.
    fn as_text(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::Bytes(b) => std::str::from_utf8(b.as_slice()).ok(),
            _ => None,
        }
    }

    /// An int, or a bool (Python's `True == 1`).
    fn as_int(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i),
            Value::Bool(b) => Some(i64::from(b)),
            _ => None,
        }
    }
}

/// The items of a tuple or list and their nesting depth.
#[derive(Debug, Clone, Default)]
struct Seq<'a> {
    items: Vec<Value<'a>>,
    depth: usize,
}

/// The items of a dict, in file order, and their nesting depth.
#[derive(Debug, Clone, Default)]
struct Map<'a> {
    items: Vec<(Value<'a>, Value<'a>)>,
    depth: usize,
}

fn checked_depth(depth: usize) -> Step<usize> {
    if depth > MAX_DEPTH {
        return malformed(format!("containers nest deeper than {MAX_DEPTH} levels"));
    }
    Ok(depth)
}

impl<'a> Seq<'a> {
    fn new(items: Vec<Value<'a>>) -> Step<Rc<Self>> {
        let depth = checked_depth(1 + items.iter().map(Value::depth).max().unwrap_or(0))?;
        Ok(Rc::new(Seq { items, depth }))
    }

    fn extend(&mut self, items: impl IntoIterator<Item = Value<'a>>) -> Step<()> {
        for item in items {
            self.depth = checked_depth(self.depth.max(1 + item.depth()))?;
            self.items.push(item);
        }
        Ok(())
    }
}

impl<'a> Map<'a> {
    fn empty() -> Rc<Self> {
        Rc::new(Map {
            items: Vec::new(),
            depth: 1,
        })
    }

    fn new(pairs: Vec<Value<'a>>) -> Step<Rc<Self>> {
        let mut map = Map {
            items: Vec::new(),
            depth: 1,
        };
        map.extend(pairs)?;
        Ok(Rc::new(map))
    }

    /// Add `key, value, key, value, ...`.
    fn extend(&mut self, pairs: Vec<Value<'a>>) -> Step<()> {
        if pairs.len() % 2 != 0 {
            return malformed("a dict is given an odd number of keys and values".into());
        }
        let mut pairs = pairs.into_iter();
        while let (Some(k), Some(v)) = (pairs.next(), pairs.next()) {
            self.depth = checked_depth(self.depth.max(1 + k.depth().max(v.depth())))?;
            self.items.push((k, v));
        }
        Ok(())
    }
}

/// A NumPy dtype: its type string (`"f4"`) and, once `BUILD` ran, its byte
/// order (`'<'`, `'>'`, `'|'` or `'='`).
#[derive(Debug)]
struct DtypeObj {
    descr: String,
    order: OnceCell<char>,
}

/// The element types this crate loads.
#[derive(Debug, Clone, Copy)]
enum Element {
    F32,
    F64,
}

impl DtypeObj {
    /// The element type and whether it is big-endian, or the NumPy name of the
    /// unsupported dtype.
    fn element(&self) -> std::result::Result<(Element, bool), String> {
        // A dtype never given a state is native-endian, as in NumPy.
        let order = self.order.get().copied().unwrap_or('=');
        let element = match self.descr.as_str() {
            "f4" => Element::F32,
            "f8" => Element::F64,
            _ => return Err(numpy_name(&self.descr, order)),
        };
        let big_endian = match order {
            '<' => false,
            '>' => true,
            '=' => cfg!(target_endian = "big"),
            _ => return Err(format!("{order}{}", self.descr)),
        };
        Ok((element, big_endian))
    }
}

/// NumPy's name for a dtype: `int64` for `i8`, `<U5` for text.
fn numpy_name(descr: &str, order: char) -> String {
    let name = match descr {
        "b1" => "bool",
        "i1" => "int8",
        "i2" => "int16",
        "i4" => "int32",
        "i8" => "int64",
        "u1" => "uint8",
        "u2" => "uint16",
        "u4" => "uint32",
        "u8" => "uint64",
        "f2" => "float16",
        "f12" => "float96",
        "f16" => "float128",
        "c8" => "complex64",
        "c16" => "complex128",
        "O4" | "O8" => "object",
        _ => return format!("{order}{descr}"),
    };
    name.into()
}

/// An `ndarray`: empty until `BUILD` gives it its state (protocols 2 to 4),
/// or complete at once (`_frombuffer`, protocol 5). The state is checked when
/// it arrives, but a problem is only reported once the array's key is known.
#[derive(Debug, Default)]
struct ArrayObj<'a> {
    state: OnceCell<std::result::Result<ArrayState<'a>, String>>,
}

#[derive(Debug)]
struct ArrayState<'a> {
    dtype: Rc<DtypeObj>,
    /// Checked after the dtype, so an object array reports its dtype.
    layout: std::result::Result<Layout<'a>, String>,
}

#[derive(Debug)]
struct Layout<'a> {
    shape: Vec<usize>,
    fortran: bool,
    data: Buf<'a>,
}

/// `(shape, dtype, is_fortran, raw)` of `ndarray.__setstate__`, or the
/// `(buffer, dtype, shape, order)` arguments of `_frombuffer`.
fn array_state<'a>(
    dtype: &Value<'a>,
    shape: &Value<'a>,
    fortran: std::result::Result<bool, String>,
    data: &Value<'a>,
) -> std::result::Result<ArrayState<'a>, String> {
    let Value::Dtype(dtype) = dtype else {
        return Err(format!("its dtype slot holds {}", dtype.describe()));
    };
    let layout = (|| {
        let dims = match shape {
            Value::Tuple(s) | Value::List(s) => &s.items,
            other => return Err(format!("its shape is {}, not a tuple", other.describe())),
        };
        let shape = dims
            .iter()
            .map(|d| d.as_int().and_then(|i| usize::try_from(i).ok()))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| "its shape holds something other than non-negative ints".to_owned())?;
        let data = match data {
            Value::Bytes(b) => b.clone(),
            other => return Err(format!("its data is {}, not bytes", other.describe())),
        };
        Ok(Layout {
            shape,
            fortran: fortran?,
            data,
        })
    })();
    Ok(ArrayState {
        dtype: dtype.clone(),
        layout,
    })
}

fn ndarray_state<'a>(state: &Value<'a>) -> std::result::Result<ArrayState<'a>, String> {
    let Value::Tuple(t) = state else {
        return Err(format!("its state is {}, not a tuple", state.describe()));
    };
    // (version, shape, dtype, is_fortran, raw); NumPy also accepts the
    // version-less 4-tuple of its oldest pickles.
    let ([_, shape, dtype, fortran, raw] | [shape, dtype, fortran, raw]) = &t.items[..] else {
        return Err(format!("its state has {} items, expected 5", t.items.len()));
    };
    let fortran = match fortran.as_int() {
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        _ => Err(format!("its is_fortran flag is {}", fortran.describe())),
    };
    array_state(dtype, shape, fortran, raw)
}

fn frombuffer_state<'a>(args: &[Value<'a>]) -> std::result::Result<ArrayState<'a>, String> {
    let [buffer, dtype, shape, order] = args else {
        return Err(format!(
            "_frombuffer has {} arguments, expected 4",
            args.len()
        ));
    };
    let fortran = match order.as_text() {
        Some("C") => Ok(false),
        Some("F") => Ok(true),
        _ => Err(format!(
            "its order is {}, expected 'C' or 'F'",
            order.describe()
        )),
    };
    array_state(dtype, shape, fortran, buffer)
}

/// Python's `str.encode('latin1')`: each char becomes one byte.
fn latin1(text: &str) -> Step<Buf<'static>> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect::<Option<Vec<u8>>>()
        .map(|b| Buf::Owned(b.into()))
        .ok_or_else(|| Fail::Malformed("a latin-1 byte string holds a char above U+00FF".into()))
}

/// A little-endian two's-complement integer of `LONG1`/`LONG4`, if it fits
/// in an `i64`.
fn long_from_le(bytes: &[u8]) -> Option<i64> {
    let Some(&last) = bytes.last() else {
        return Some(0);
    };
    let fill = if last & 0x80 != 0 { 0xff } else { 0 };
    let mut buf = [fill; 8];
    if bytes.len() > 8 {
        let (low, high) = bytes.split_at(8);
        // The dropped bytes must only repeat the sign of the kept ones.
        if high.iter().any(|&b| b != fill) || (low[7] ^ fill) & 0x80 != 0 {
            return None;
        }
        buf.copy_from_slice(low);
    } else {
        buf[..bytes.len()].copy_from_slice(bytes);
    }
    Some(i64::from_le_bytes(buf))
}

/// The pickle virtual machine over one input.
struct Machine<'a> {
    input: &'a [u8],
    pos: usize,
    stack: Vec<Value<'a>>,
    /// Stacks saved by `MARK`.
    marks: Vec<Vec<Value<'a>>>,
    memo: HashMap<u32, Value<'a>>,
}

impl<'a> Machine<'a> {
    fn new(input: &'a [u8]) -> Self {
        Machine {
            input,
            pos: 0,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: HashMap::new(),
        }
    }

    fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Step<&'a [u8]> {
        let input = self.input;
        let end = self.pos.checked_add(n).ok_or(Fail::Truncated)?;
        let bytes = input.get(self.pos..end).ok_or(Fail::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn fixed<const N: usize>(&mut self) -> Step<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn byte(&mut self) -> Step<u8> {
        Ok(self.fixed::<1>()?[0])
    }

    /// A length that must fit in what is left of the input.
    fn length(&mut self, n: u64) -> Step<usize> {
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.remaining())
            .ok_or(Fail::Truncated)
    }

    fn u32_length(&mut self) -> Step<usize> {
        let n = u32::from_le_bytes(self.fixed()?);
        self.length(n.into())
    }

    fn u64_length(&mut self) -> Step<usize> {
        let n = u64::from_le_bytes(self.fixed()?);
        self.length(n)
    }

    /// `BINSTRING` and `LONG4` store a signed 32-bit length.
    fn i32_length(&mut self, at: usize) -> Step<usize> {
        let n = i32::from_le_bytes(self.fixed()?);
        match u64::try_from(n) {
            Ok(n) => self.length(n),
            Err(_) => malformed(format!("negative length {n} at byte {at}")),
        }
    }

    fn text(&mut self, len: usize, at: usize) -> Step<Value<'a>> {
        let bytes = self.take(len)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Value::Str(s)),
            Err(_) => malformed(format!("the string at byte {at} is not valid UTF-8")),
        }
    }

    fn bytes(&mut self, len: usize) -> Step<Value<'a>> {
        Ok(Value::Bytes(Buf::Borrowed(self.take(len)?)))
    }

    /// A `\n`-terminated name of `GLOBAL`.
    fn line(&mut self, at: usize) -> Step<&'a str> {
        let input = self.input;
        let rest = input.get(self.pos..).unwrap_or_default();
        let len = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(Fail::Truncated)?;
        let line = self.take(len)?;
        self.pos += 1;
        std::str::from_utf8(line)
            .map_err(|_| Fail::Malformed(format!("the GLOBAL name at byte {at} is not UTF-8")))
    }

    fn push(&mut self, value: Value<'a>) {
        self.stack.push(value);
    }

    fn pop(&mut self, at: usize) -> Step<Value<'a>> {
        match self.stack.pop() {
            Some(v) => Ok(v),
            None => malformed(format!("stack underflow at byte {at}")),
        }
    }

    fn top(&mut self, at: usize) -> Step<&mut Value<'a>> {
        match self.stack.last_mut() {
            Some(v) => Ok(v),
            None => malformed(format!("stack underflow at byte {at}")),
        }
    }

    fn pop_mark(&mut self, at: usize) -> Step<Vec<Value<'a>>> {
        match self.marks.pop() {
            Some(below) => Ok(std::mem::replace(&mut self.stack, below)),
            None => malformed(format!("no MARK before byte {at}")),
        }
    }

    fn memo_put(&mut self, index: u32, at: usize) -> Step<()> {
        let top = self.top(at)?.clone();
        self.memo.insert(index, top);
        Ok(())
    }

    fn memo_get(&mut self, index: u32, at: usize) -> Step<()> {
        match self.memo.get(&index) {
            Some(v) => {
                let v = v.clone();
                self.push(v);
                Ok(())
            }
            None => malformed(format!(
                "memo entry {index} is read before it is written (byte {at})"
            )),
        }
    }

    fn tuple(&mut self, items: Vec<Value<'a>>) -> Step<()> {
        let seq = Seq::new(items)?;
        self.push(Value::Tuple(seq));
        Ok(())
    }

    fn pop_n(&mut self, n: usize, at: usize) -> Step<Vec<Value<'a>>> {
        let Some(split) = self.stack.len().checked_sub(n) else {
            return malformed(format!("stack underflow at byte {at}"));
        };
        Ok(self.stack.split_off(split))
    }

    /// The list on top of the stack, ready to be appended to.
    fn top_list(&mut self, at: usize) -> Step<&mut Seq<'a>> {
        match self.top(at)? {
            Value::List(rc) => writable(rc, at),
            other => malformed(format!("APPEND to {} at byte {at}", other.describe())),
        }
    }

    /// The dict on top of the stack, ready for `SETITEM`.
    fn top_dict(&mut self, at: usize) -> Step<&mut Map<'a>> {
        match self.top(at)? {
            Value::Dict(rc) => writable(rc, at),
            other => malformed(format!("SETITEM on {} at byte {at}", other.describe())),
        }
    }

    /// Run until `STOP` and return the value it pops.
    fn run(&mut self) -> Step<Value<'a>> {
        loop {
            let at = self.pos;
            match self.byte()? {
                op::PROTO => {
                    let version = self.byte()?;
                    if version > HIGHEST_PROTOCOL {
                        return malformed(format!("unsupported pickle protocol {version}"));
                    }
                }
                op::FRAME => {
                    // Frames only group opcodes; their length must fit.
                    self.u64_length()?;
                }
                op::STOP => return self.pop(at),
                op::MARK => {
                    let stack = std::mem::take(&mut self.stack);
                    self.marks.push(stack);
                }
                op::POP => {
                    if self.stack.pop().is_none() {
                        self.pop_mark(at)?;
                    }
                }
                op::POP_MARK => {
                    self.pop_mark(at)?;
                }
                op::DUP => {
                    let top = self.top(at)?.clone();
                    self.push(top);
                }
                op::NONE => self.push(Value::None),
                op::NEWTRUE => self.push(Value::Bool(true)),
                op::NEWFALSE => self.push(Value::Bool(false)),
                op::BININT => {
                    let i = i32::from_le_bytes(self.fixed()?);
                    self.push(Value::Int(i.into()));
                }
                op::BININT1 => {
                    let i = self.byte()?;
                    self.push(Value::Int(i.into()));
                }
                op::BININT2 => {
                    let i = u16::from_le_bytes(self.fixed()?);
                    self.push(Value::Int(i.into()));
                }
                code @ (op::LONG1 | op::LONG4) => {
                    let len = if code == op::LONG1 {
                        usize::from(self.byte()?)
                    } else {
                        self.i32_length(at)?
                    };
                    let bytes = self.take(len)?;
                    match long_from_le(bytes) {
                        Some(i) => self.push(Value::Int(i)),
                        None => {
                            return malformed(format!("the integer at byte {at} exceeds 64 bits"));
                        }
                    }
                }
                op::BINFLOAT => {
                    let f = f64::from_be_bytes(self.fixed()?);
                    self.push(Value::Float(f));
                }
                op::SHORT_BINUNICODE => {
                    let len = usize::from(self.byte()?);
                    let v = self.text(len, at)?;
                    self.push(v);
                }
                op::BINUNICODE => {
                    let len = self.u32_length()?;
                    let v = self.text(len, at)?;
                    self.push(v);
                }
                op::BINUNICODE8 => {
                    let len = self.u64_length()?;
                    let v = self.text(len, at)?;
                    self.push(v);
                }
                op::SHORT_BINBYTES | op::SHORT_BINSTRING => {
                    let len = usize::from(self.byte()?);
                    let v = self.bytes(len)?;
                    self.push(v);
                }
                op::BINBYTES => {
                    let len = self.u32_length()?;
                    let v = self.bytes(len)?;
                    self.push(v);
                }
                op::BINSTRING => {
                    let len = self.i32_length(at)?;
                    let v = self.bytes(len)?;
                    self.push(v);
                }
                op::BINBYTES8 | op::BYTEARRAY8 => {
                    let len = self.u64_length()?;
                    let v = self.bytes(len)?;
                    self.push(v);
                }
                op::EMPTY_TUPLE => self.tuple(Vec::new())?,
                code @ (op::TUPLE1 | op::TUPLE2 | op::TUPLE3) => {
                    let items = self.pop_n(usize::from(code - op::TUPLE1 + 1), at)?;
                    self.tuple(items)?;
                }
                op::TUPLE => {
                    let items = self.pop_mark(at)?;
                    self.tuple(items)?;
                }
                op::EMPTY_LIST => self.push(Value::List(Rc::default())),
                op::LIST => {
                    let items = self.pop_mark(at)?;
                    let seq = Seq::new(items)?;
                    self.push(Value::List(seq));
                }
                op::APPEND => {
                    let item = self.pop(at)?;
                    self.top_list(at)?.extend([item])?;
                }
                op::APPENDS => {
                    let items = self.pop_mark(at)?;
                    self.top_list(at)?.extend(items)?;
                }
                op::EMPTY_DICT => self.push(Value::Dict(Map::empty())),
                op::DICT => {
                    let pairs = self.pop_mark(at)?;
                    let map = Map::new(pairs)?;
                    self.push(Value::Dict(map));
                }
                op::SETITEM => {
                    let pair = self.pop_n(2, at)?;
                    self.top_dict(at)?.extend(pair)?;
                }
                op::SETITEMS => {
                    let pairs = self.pop_mark(at)?;
                    self.top_dict(at)?.extend(pairs)?;
                }
                op::GLOBAL => {
                    let module = self.line(at)?;
                    let name = self.line(at)?;
                    self.push(Value::Global(module, name));
                }
                op::STACK_GLOBAL => {
                    let name = self.pop(at)?;
                    let module = self.pop(at)?;
                    let (Value::Str(module), Value::Str(name)) = (module, name) else {
                        return malformed(format!(
                            "STACK_GLOBAL at byte {at} is not given two strings"
                        ));
                    };
                    self.push(Value::Global(module, name));
                }
                op::REDUCE => {
                    let args = self.pop(at)?;
                    let callable = self.pop(at)?;
                    let Value::Tuple(args) = args else {
                        return malformed(format!(
                            "REDUCE at byte {at} is given {} as arguments",
                            args.describe()
                        ));
                    };
                    let Value::Global(module, name) = callable else {
                        return malformed(format!(
                            "REDUCE at byte {at} calls {}",
                            callable.describe()
                        ));
                    };
                    let v = reduce(module, name, &args.items, at)?;
                    self.push(v);
                }
                op::BUILD => {
                    let state = self.pop(at)?;
                    build(self.top(at)?, &state, at)?;
                }
                op::BINPUT => {
                    let index = self.byte()?;
                    self.memo_put(index.into(), at)?;
                }
                op::LONG_BINPUT => {
                    let index = u32::from_le_bytes(self.fixed()?);
                    self.memo_put(index, at)?;
                }
                op::MEMOIZE => {
                    let Ok(index) = u32::try_from(self.memo.len()) else {
                        return malformed("the memo is full".into());
                    };
                    self.memo_put(index, at)?;
                }
                op::BINGET => {
                    let index = self.byte()?;
                    self.memo_get(index.into(), at)?;
                }
                op::LONG_BINGET => {
                    let index = u32::from_le_bytes(self.fixed()?);
                    self.memo_get(index, at)?;
                }
                code => {
                    return malformed(match refused_name(code) {
                        Some(name) => {
                            format!("unsupported opcode {name} (0x{code:02x}) at byte {at}")
                        }
                        None => format!("unknown opcode 0x{code:02x} at byte {at}"),
                    });
                }
            }
        }
    }
}

/// A container about to be mutated. One the memo also holds is copied first
/// (Python would mutate the shared object; a NumPy dict of arrays is
/// memoized while empty and never read back). Copying a container that
/// already holds items is refused, so repeated copies cannot inflate memory.
fn writable<T: Clone + HasLen>(rc: &mut Rc<T>, at: usize) -> Step<&mut T> {
    if Rc::strong_count(rc) > 1 && rc.len() > 0 {
        return malformed(format!(
            "byte {at} adds items to a non-empty container shared through the memo"
        ));
    }
    Ok(Rc::make_mut(rc))
}

trait HasLen {
    fn len(&self) -> usize;
}

impl HasLen for Seq<'_> {
    fn len(&self) -> usize {
        self.items.len()
    }
}

impl HasLen for Map<'_> {
    fn len(&self) -> usize {
        self.items.len()
    }
}

/// Call one of the few callables a NumPy pickle uses.
fn reduce<'a>(module: &'a str, name: &'a str, args: &[Value<'a>], at: usize) -> Step<Value<'a>> {
    let bad_args = || {
        Fail::Malformed(format!(
            "unexpected arguments to {module}.{name} at byte {at}"
        ))
    };
    match (module, name) {
        ("numpy.core.multiarray" | "numpy._core.multiarray", "_reconstruct") => {
            match args.first() {
                Some(Value::Global("numpy", "ndarray")) => Ok(Value::Array(Rc::default())),
                Some(Value::Global(m, n)) => {
                    Err(Fail::NotDict(format!("an array of class {m}.{n}")))
                }
                _ => Err(bad_args()),
            }
        }
        ("numpy.core.numeric" | "numpy._core.numeric", "_frombuffer") => {
            let state = OnceCell::from(frombuffer_state(args));
            Ok(Value::Array(Rc::new(ArrayObj { state })))
        }
        ("numpy", "dtype") => {
            let descr = args.first().and_then(Value::as_text).ok_or_else(bad_args)?;
            Ok(Value::Dtype(Rc::new(DtypeObj {
                descr: descr.to_owned(),
                order: OnceCell::new(),
            })))
        }
        // Protocol 2 stores bytes as `_codecs.encode(str, 'latin1')`.
        ("_codecs", "encode") => match args {
            [Value::Str(text), Value::Str("latin1" | "latin-1")] => Ok(Value::Bytes(latin1(text)?)),
            _ => Err(bad_args()),
        },
        ("builtins" | "__builtin__", "bytes" | "bytearray") => match args {
            [] => Ok(Value::Bytes(Buf::Borrowed(&[]))),
            [Value::Bytes(b)] => Ok(Value::Bytes(b.clone())),
            [Value::Str(text), Value::Str("latin1" | "latin-1")] => Ok(Value::Bytes(latin1(text)?)),
            _ => Err(bad_args()),
        },
        ("collections", "OrderedDict") if args.is_empty() => Ok(Value::Dict(Map::empty())),
        _ => Err(Fail::NotDict(format!("an object built by {module}.{name}"))),
    }
}

/// `BUILD`: give an array its data, or a dtype its byte order.
fn build<'a>(object: &mut Value<'a>, state: &Value<'a>, at: usize) -> Step<()> {
    match object {
        Value::Array(array) => {
            let parsed = ndarray_state(state);
            array
                .state
                .set(parsed)
                .map_err(|_| Fail::Malformed(format!("BUILD at byte {at} sets an array twice")))
        }
        Value::Dtype(dtype) => {
            let order = match state {
                Value::Tuple(t) => t.items.get(1).and_then(Value::as_text),
                _ => None,
            };
            let mut chars = order.unwrap_or_default().chars();
            let order = match (chars.next(), chars.next()) {
                (Some(c @ ('<' | '>' | '|' | '=')), None) => c,
                _ => {
                    return malformed(format!(
                        "BUILD at byte {at} gives a dtype {}, not a state with a byte order",
                        state.describe()
                    ));
                }
            };
            dtype
                .order
                .set(order)
                .map_err(|_| Fail::Malformed(format!("BUILD at byte {at} sets a dtype twice")))
        }
        other => malformed(format!(
            "BUILD at byte {at} on {} is not supported",
            other.describe()
        )),
    }
}

/// Decode a pickle of a dict of arrays; errors name `path`.
pub(crate) fn read(bytes: &[u8], path: &Path) -> crate::Result<Tensors> {
    parse(bytes).map_err(|fail| fail.into_error(path))
}

fn parse(bytes: &[u8]) -> Step<Tensors> {
    match bytes.first() {
        None => return malformed("the file is empty".into()),
        Some(&op::PROTO) => {}
        Some(_) => {
            return malformed(
                "it does not start with the PROTO opcode of pickle protocols 2 to 5".into(),
            );
        }
    }
    let top = Machine::new(bytes).run()?;
    let Value::Dict(map) = top else {
        return Err(Fail::NotDict(top.describe()));
    };
    // Later keys win, as in a Python dict.
    let mut arrays = BTreeMap::new();
    for (key, value) in &map.items {
        let Some(name) = key.as_text() else {
            return Err(Fail::NotDict(format!("a key that is {}", key.describe())));
        };
        let Value::Array(array) = value else {
            return Err(Fail::NotDict(format!(
                "{} under key '{name}'",
                value.describe()
            )));
        };
        arrays.insert(name.to_owned(), Rc::clone(array));
    }
    // Arrays share data only when one array sits under several keys; the
    // copies may not add up to more than the file itself.
    let mut budget = bytes.len();
    arrays
        .into_iter()
        .map(|(key, array)| {
            let tensor = decode(&key, &array, &mut budget)?;
            Ok((key, tensor))
        })
        .collect()
}

fn decode(key: &str, array: &ArrayObj<'_>, budget: &mut usize) -> Step<TensorData> {
    let bad = |detail: String| Fail::BadArray {
        key: key.to_owned(),
        detail,
    };
    let state = match array.state.get() {
        None => return Err(bad("it never receives its data (no BUILD)".into())),
        Some(Err(detail)) => return Err(bad(detail.clone())),
        Some(Ok(state)) => state,
    };
    let (element, big_endian) = state.dtype.element().map_err(|dtype| Fail::Dtype {
        key: key.to_owned(),
        dtype,
    })?;
    let layout = state
        .layout
        .as_ref()
        .map_err(|detail| bad(detail.clone()))?;
    let (itemsize, dtype): (usize, &str) = match element {
        Element::F32 => (4, "float32"),
        Element::F64 => (8, "float64"),
    };
    let data = layout.data.as_slice();
    let needed = layout
        .shape
        .iter()
        .try_fold(itemsize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| bad(format!("its shape {:?} is too large", layout.shape)))?;
    if needed != data.len() {
        return Err(bad(format!(
            "its shape {:?} of {dtype} needs {needed} bytes but it holds {}",
            layout.shape,
            data.len()
        )));
    }
    *budget = budget
        .checked_sub(needed)
        .ok_or_else(|| bad("arrays shared between keys add up to more than the file".into()))?;
    let dim = IxDyn(&layout.shape).set_f(layout.fortran);
    let tensor = match (element, big_endian) {
        (Element::F32, false) => to_array(dim, data, f32::from_le_bytes).map(TensorData::F32),
        (Element::F32, true) => to_array(dim, data, f32::from_be_bytes).map(TensorData::F32),
        (Element::F64, false) => to_array(dim, data, f64::from_le_bytes).map(TensorData::F64),
        (Element::F64, true) => to_array(dim, data, f64::from_be_bytes).map(TensorData::F64),
    };
    tensor.map_err(|e| bad(e.to_string()))
}

/// Elements of `N` bytes, laid out in C or Fortran order as `dim` says, copied
/// into a row-major array.
fn to_array<const N: usize, T: Clone>(
    dim: ndarray::Shape<IxDyn>,
    data: &[u8],
    from_bytes: fn([u8; N]) -> T,
) -> std::result::Result<ArrayD<T>, ndarray::ShapeError> {
    let elements = data
        .chunks_exact(N)
        .map(|c| {
            let mut b = [0; N];
            b.copy_from_slice(c);
            from_bytes(b)
        })
        .collect();
    let array = ArrayD::from_shape_vec(dim, elements)?;
    Ok(if array.is_standard_layout() {
        array
    } else {
        array.as_standard_layout().into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::long_from_le;

    #[test]
    fn long_integers_decode_like_python() {
        // Python: pickle.encode_long(n) for each n below.
        assert_eq!(long_from_le(b""), Some(0));
        assert_eq!(long_from_le(&[0xff]), Some(-1));
        assert_eq!(long_from_le(&[0x80]), Some(-128));
        assert_eq!(long_from_le(&[0x80, 0x00]), Some(128));
        assert_eq!(long_from_le(&[0x00, 0x00, 0x00, 0x80, 0x00]), Some(1 << 31));
        // 2**63 needs 9 bytes and does not fit; -2**63 fits in 8.
        assert_eq!(long_from_le(&[0, 0, 0, 0, 0, 0, 0, 0x80, 0]), None);
        assert_eq!(long_from_le(&[0, 0, 0, 0, 0, 0, 0, 0x80]), Some(i64::MIN));
        // 2**63 - 1 written with a redundant sign byte.
        assert_eq!(
            long_from_le(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00]),
            Some(i64::MAX)
        );
        assert_eq!(long_from_le(&[0, 0, 0, 0, 0, 0, 0, 0, 1]), None);
    }
}
