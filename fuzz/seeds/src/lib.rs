//! What the fuzz targets share, and the seed corpora.
//!
//! Each `check_*` runs one parser on any bytes and panics (which libFuzzer
//! reports as a crash) if it panics itself or if a successful parse breaks an
//! invariant: written back by the project's own writer and parsed again it
//! gives the same arrays, bit for bit, and it holds no more data than the
//! input could. Each input runs under an allocation budget (see [`within`]).

use std::alloc::System;
use std::io::Write;
use std::mem::discriminant;

use cap::Cap;
use flate2::Compression;
use flate2::write::GzEncoder;
use nn_core::io::{
    TensorData, Tensors, pickle_bytes, read_pickle_bytes, read_safetensors_bytes, safetensors_bytes,
};

/// Every allocation is counted, so that each input can run under a budget.
/// (libFuzzer's `-malloc_limit_mb` needs a sanitizer's malloc hooks, which
/// `--sanitizer none` builds do not have.)
#[global_allocator]
static ALLOC: Cap<System> = Cap::new(System, usize::MAX);

/// Bytes any input may allocate on top of what it justifies.
const BASE_BUDGET: usize = 32 << 20;

/// Runs `f` with at most `budget` more bytes allocated at any one time. Past
/// it an allocation fails and the process aborts ("memory allocation of N
/// bytes failed"), which libFuzzer reports as a crash: a parser allocated
/// more than its input justifies.
pub fn within(budget: usize, f: impl FnOnce()) {
    let _ = ALLOC.set_limit(ALLOC.allocated().saturating_add(budget));
    f();
    let _ = ALLOC.set_limit(usize::MAX);
}

/// An IDX file of unsigned bytes: magic `0x0000_08NN` (`NN` = `dims.len()`),
/// the dimensions as big-endian `u32`, then `data`.
pub fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend(data);
    bytes
}

/// `bytes` gzip-compressed.
pub fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).expect("writing to a Vec");
    encoder.finish().expect("writing to a Vec")
}

/// Same names, shapes, dtypes and element bits (NaN payloads included).
pub fn same_bits(a: &Tensors, b: &Tensors) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((ka, ta), (kb, tb))| {
            ka == kb
                && ta.shape() == tb.shape()
                && match (ta, tb) {
                    (TensorData::F32(x), TensorData::F32(y)) => {
                        x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits())
                    }
                    (TensorData::F64(x), TensorData::F64(y)) => {
                        x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits())
                    }
                    _ => false,
                }
        })
}

/// Bytes of array data in `t`.
pub fn data_bytes(t: &Tensors) -> usize {
    t.values()
        .map(|d| {
            let item = if matches!(d, TensorData::F32(_)) {
                4
            } else {
                8
            };
            d.shape().iter().product::<usize>() * item
        })
        .sum()
}

/// IDX: the bytes as they are, and gzip-compressed. Budget: a gzip stream
/// inflates at most 1032-fold, and the check copies what it parses twice.
pub fn check_idx(data: &[u8]) {
    within(BASE_BUDGET + 4 * 1032 * data.len(), || {
        check_idx_unbounded(data)
    });
}

fn check_idx_unbounded(data: &[u8]) {
    let raw = check_idx_once(data);
    let packed = gz(data);
    let zipped = check_idx_once(&packed);
    // A raw IDX file and its gzip give the same answer (an input that is not
    // raw IDX gives `UnknownFormat` raw, but its gzip is parsed further).
    if mnist_data::read_idx_header_bytes(data, "raw").is_ok() && !data.starts_with(&[0x1f, 0x8b]) {
        same_outcome(&raw.0, &zipped.0);
        same_outcome(&raw.1, &zipped.1);
    }
}

type IdxOutcome = (
    mnist_data::Result<ndarray::Array2<u8>>,
    mnist_data::Result<ndarray::Array1<u8>>,
);

fn same_outcome<T: PartialEq + std::fmt::Debug>(
    a: &mnist_data::Result<T>,
    b: &mnist_data::Result<T>,
) {
    match (a, b) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "raw and gzip parse differently"),
        (Err(x), Err(y)) => assert_eq!(
            discriminant(x),
            discriminant(y),
            "raw and gzip fail differently: {x} / {y}"
        ),
        _ => panic!("raw and gzip disagree: {a:?} / {b:?}"),
    }
}

fn check_idx_once(data: &[u8]) -> IdxOutcome {
    let header = mnist_data::read_idx_header_bytes(data, "fuzz");
    let gzip = data.starts_with(&[0x1f, 0x8b]);
    let images = mnist_data::read_images_bytes(data, "fuzz");
    if let Ok(x) = &images {
        let h = header
            .as_ref()
            .expect("images parse but the header does not");
        assert_eq!(h.dims, [x.nrows(), 28, 28]);
        let rewritten = idx(&[x.nrows() as u32, 28, 28], x.as_slice().unwrap());
        if !gzip {
            assert_eq!(rewritten, data, "images written back differ");
        }
        let again = mnist_data::read_images_bytes(&rewritten, "again").unwrap();
        assert_eq!(&again, x);
    }
    let labels = mnist_data::read_labels_bytes(data, "fuzz");
    if let Ok(y) = &labels {
        let h = header
            .as_ref()
            .expect("labels parse but the header does not");
        assert_eq!(h.dims, [y.len()]);
        assert!(y.iter().all(|&l| l < 10));
        let rewritten = idx(&[y.len() as u32], y.as_slice().unwrap());
        if !gzip {
            assert_eq!(rewritten, data, "labels written back differ");
        }
        assert_eq!(
            &mnist_data::read_labels_bytes(&rewritten, "again").unwrap(),
            y
        );
    }
    (images, labels)
}

/// Written back by both writers and read again: the same arrays.
fn check_round_trips(t: &Tensors, input_len: usize) {
    assert!(
        data_bytes(t) <= input_len,
        "{} bytes of arrays from {input_len} bytes of input",
        data_bytes(t)
    );
    let p = pickle_bytes(t).expect("a parsed dict pickles");
    let back = read_pickle_bytes(&p, "again.pkl").expect("our pickle reads back");
    assert!(same_bits(t, &back), "pickle round trip changed the arrays");
    if !t.contains_key("__metadata__") {
        let s = safetensors_bytes(t).expect("parsed arrays encode as safetensors");
        let back = read_safetensors_bytes(&s, "again.safetensors").expect("reads back");
        assert!(
            same_bits(t, &back),
            "safetensors round trip changed the arrays"
        );
    }
}

/// NumPy pickles.
pub fn check_pickle(data: &[u8]) {
    within(BASE_BUDGET + 16 * data.len(), || {
        if let Ok(t) = read_pickle_bytes(data, "fuzz.pkl") {
            check_round_trips(&t, data.len());
        }
    });
}

/// safetensors.
pub fn check_safetensors(data: &[u8]) {
    within(BASE_BUDGET + 16 * data.len(), || {
        if let Ok(t) = read_safetensors_bytes(data, "fuzz.safetensors") {
            check_round_trips(&t, data.len());
        }
    });
}

/// Hand-broken variants of a good input: cut at a few places, one byte
/// flipped at a few places.
fn broken(name: &str, good: &[u8], out: &mut Vec<(String, Vec<u8>)>) {
    let n = good.len();
    for cut in [0, 1, 4, 8, n / 2, n.saturating_sub(1)] {
        if cut < n {
            out.push((format!("{name}-cut{cut}"), good[..cut].to_vec()));
        }
    }
    for at in [3, 7, 9, n / 3, n / 2, n.saturating_sub(1)] {
        if at < n {
            let mut b = good.to_vec();
            b[at] ^= 0x80;
            out.push((format!("{name}-flip{at}"), b));
        }
    }
    out.push((name.to_owned(), good.to_vec()));
}

fn tensors(nan: bool) -> Tensors {
    let w = ndarray::Array2::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as f32 * 0.25 - 1.0);
    let mut b = ndarray::Array1::from(vec![0.5_f64, -2.0, 1e-300]);
    if nan {
        b[1] = f64::from_bits(0x7ff8_0000_dead_beef);
    }
    let w_t = w.t().to_owned(); // a copy in C order: shapes differ
    Tensors::from([
        ("W1".to_owned(), TensorData::from(w)),
        ("W2".to_owned(), TensorData::from(w_t)),
        ("b1".to_owned(), TensorData::from(b)),
        ("s".to_owned(), TensorData::from(ndarray::arr0(3.5_f32))),
        (
            "e".to_owned(),
            TensorData::from(ndarray::Array2::<f64>::zeros((0, 5))),
        ),
    ])
}

/// The seed corpora: `(target, name, bytes)`.
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    // IDX: images and labels as written, their gzip, and broken variants.
    let mut idx_seeds = Vec::new();
    let pixels: Vec<u8> = (0..2 * 784).map(|i| (i * 7 % 256) as u8).collect();
    let images = idx(&[2, 28, 28], &pixels);
    let labels = idx(&[5], &[7, 2, 1, 0, 9]);
    for (name, good) in [("images", &images), ("labels", &labels)] {
        broken(name, good, &mut idx_seeds);
        broken(&format!("{name}-gz"), &gz(good), &mut idx_seeds);
    }
    idx_seeds.push(("images-empty".into(), idx(&[0, 28, 28], &[])));
    idx_seeds.push(("images-huge".into(), idx(&[u32::MAX, 28, 28], &pixels)));
    idx_seeds.push(("labels-huge".into(), idx(&[u32::MAX], &[1, 2, 3])));
    idx_seeds.push(("ndim-255".into(), idx(&[1; 255], &[0])));
    idx_seeds.push(("labels-10".into(), idx(&[1], &[10])));
    idx_seeds.push(("labels-trailing".into(), idx(&[1], &[1, 2])));
    out.extend(idx_seeds.into_iter().map(|(n, b)| ("idx", n, b)));

    // Weights: our two writers, NaN payloads included.
    for (nan, tag) in [(false, "plain"), (true, "nan")] {
        let t = tensors(nan);
        let mut p = Vec::new();
        broken(&format!("pickle-{tag}"), &pickle_bytes(&t).unwrap(), &mut p);
        out.extend(p.into_iter().map(|(n, b)| ("pickle", n, b)));
        let mut s = Vec::new();
        broken(
            &format!("safetensors-{tag}"),
            &safetensors_bytes(&t).unwrap(),
            &mut s,
        );
        out.extend(s.into_iter().map(|(n, b)| ("safetensors", n, b)));
    }
    // Huge dimensions declared in tiny files.
    let mut huge = b"\x80\x03}q\x00X\x02\x00\x00\x00W1q\x01".to_vec();
    huge.extend(b"cnumpy.core.multiarray\n_reconstruct\nq\x02.");
    out.push(("pickle", "pickle-prefix".into(), huge));
    let header = r#"{"W":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#;
    let mut st = (header.len() as u64).to_le_bytes().to_vec();
    st.extend(header.as_bytes());
    st.extend([0; 4]);
    out.push(("safetensors", "safetensors-huge-shape".into(), st));
    out
}
