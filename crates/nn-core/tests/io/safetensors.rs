//! safetensors: hand-made files, round trips and errors.

use ndarray::array;
use nn_core::Error;
use nn_core::io::{TensorData, Tensors, read_safetensors_bytes, safetensors_bytes};

/// A safetensors file: 8-byte little-endian header length, JSON header,
/// then the data.
fn file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

#[test]
fn a_hand_made_file_loads() {
    let mut data = Vec::new();
    for v in [1.0_f64, -2.0] {
        data.extend(v.to_le_bytes());
    }
    for v in [0.5_f32, 0.25, 0.125, 4.0] {
        data.extend(v.to_le_bytes());
    }
    let bytes = file(
        r#"{"__metadata__":{"from":"hand"},"b":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"W":{"dtype":"F32","shape":[2,2],"data_offsets":[16,32]}}"#,
        &data,
    );
    let t = read_safetensors_bytes(&bytes, "m.safetensors").unwrap();
    assert_eq!(
        t,
        Tensors::from([
            (
                "W".to_owned(),
                TensorData::from(array![[0.5_f32, 0.25], [0.125, 4.0]])
            ),
            ("b".to_owned(), TensorData::from(array![1.0_f64, -2.0])),
        ])
    );
}

#[test]
fn arrays_round_trip_bit_exactly() {
    let nan = f32::from_bits(0x7fc0_0001);
    let t = Tensors::from([
        (
            "W1".to_owned(),
            TensorData::from(array![[nan, -0.0], [f32::MIN_POSITIVE / 4.0, f32::MAX]]),
        ),
        ("b1".to_owned(), TensorData::from(array![0.1_f64, -1e-300])),
        ("s".to_owned(), TensorData::from(ndarray::arr0(2.5_f32))),
        (
            "e".to_owned(),
            TensorData::from(ndarray::Array2::<f64>::zeros((0, 4))),
        ),
    ]);
    let back = read_safetensors_bytes(&safetensors_bytes(&t).unwrap(), "m.safetensors").unwrap();
    assert_eq!(
        back.keys().collect::<Vec<_>>(),
        t.keys().collect::<Vec<_>>()
    );
    let (TensorData::F32(a), TensorData::F32(b)) = (&t["W1"], &back["W1"]) else {
        panic!()
    };
    assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()));
    for key in ["b1", "s", "e"] {
        assert_eq!(t[key], back[key]);
    }
}

#[test]
fn other_dtypes_are_named_as_safetensors_names_them() {
    let bytes = file(
        r#"{"labels":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#,
        &[0; 8],
    );
    let err = read_safetensors_bytes(&bytes, "m.safetensors").unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedDtype { key, dtype, .. } if key == "labels" && dtype == "I64")
    );
    assert_eq!(
        err.to_string(),
        "array 'labels' in m.safetensors has unsupported dtype I64 (expected float32 or float64)"
    );
}

fn huge_header() -> String {
    let size = (1u64 << 61) - 1;
    let entries: Vec<String> = (0..8u64)
        .map(|i| {
            format!(
                r#""t{i}":{{"dtype":"U8","shape":[{size}],"data_offsets":[{},{}]}}"#,
                i * size,
                (i + 1) * size
            )
        })
        .collect();
    format!("{{{}}}", entries.join(","))
}

#[test]
fn malformed_files_are_refused() {
    for (bytes, detail) in [
        (b"".to_vec(), "header too small"),
        (
            b"\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
            "header too large",
        ),
        (
            file("{", b""),
            "invalid JSON in header: EOF while parsing an object at line 1 column 1",
        ),
        (
            file(
                r#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                &[0; 4],
            ),
            "incomplete metadata, file not fully covered",
        ),
        (
            file(
                r#"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
                &[0; 8],
            ),
            "invalid shape, data type, or offset for tensor",
        ),
        // Eight tensors of 2^61 - 1 bytes end at 2^64 - 8: the safetensors
        // crate adds the header length to that unchecked (a panic in debug
        // builds) unless the offsets are refused first.
        (
            file(&huge_header(), &[]),
            "tensor 't0' has a data offset beyond the end of the file",
        ),
    ] {
        match read_safetensors_bytes(&bytes, "m.safetensors") {
            Err(Error::SafeTensors { detail: got, .. }) => assert_eq!(got, detail),
            other => panic!("{bytes:?}: {other:?}"),
        }
    }
    let err = read_safetensors_bytes(b"\x02", "m.safetensors").unwrap_err();
    assert_eq!(
        err.to_string(),
        "m.safetensors is not a readable safetensors file: header too small"
    );
}

#[test]
fn the_metadata_key_cannot_name_an_array() {
    let t = Tensors::from([("__metadata__".to_owned(), TensorData::from(array![1.0_f32]))]);
    assert!(matches!(
        safetensors_bytes(&t),
        Err(Error::InvalidArgument(_))
    ));
}

proptest::proptest! {
    #[test]
    fn mutated_files_never_panic(
        edits in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 1..4),
    ) {
        let t = Tensors::from([("W".to_owned(), TensorData::from(array![[1.0_f32, 2.0]]))]);
        let mut bytes = safetensors_bytes(&t).unwrap();
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let _ = read_safetensors_bytes(&bytes, "fuzz.safetensors");
    }
}

fn shapes() -> impl proptest::strategy::Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0..5usize, 0..5)
}

proptest::proptest! {
    /// Any bytes, and any bytes behind a plausible header length: `Ok` or a
    /// typed error, never a panic.
    #[test]
    fn any_bytes_never_panic(
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        header_len in proptest::option::of(0..300u64),
    ) {
        let mut bytes = header_len.map(|n| n.to_le_bytes().to_vec()).unwrap_or_default();
        bytes.extend(body);
        let _ = read_safetensors_bytes(&bytes, "fuzz.safetensors");
    }

    /// parse(write(x)) == x bit for bit: any shapes, both dtypes, any bit
    /// patterns (NaN payloads, subnormals, -0.0).
    #[test]
    fn any_arrays_round_trip(
        shape32 in shapes(),
        shape64 in shapes(),
        bits32 in proptest::collection::vec(proptest::prelude::any::<u32>(), 1024),
        bits64 in proptest::collection::vec(proptest::prelude::any::<u64>(), 1024),
    ) {
        use ndarray::{ArrayD, IxDyn};
        let n32 = shape32.iter().product();
        let n64 = shape64.iter().product();
        let a32 = ArrayD::from_shape_vec(IxDyn(&shape32), bits32[..n32].iter().map(|&b| f32::from_bits(b)).collect()).unwrap();
        let a64 = ArrayD::from_shape_vec(IxDyn(&shape64), bits64[..n64].iter().map(|&b| f64::from_bits(b)).collect()).unwrap();
        let t = Tensors::from([("a".to_owned(), TensorData::F32(a32)), ("z".to_owned(), TensorData::F64(a64))]);
        let back = read_safetensors_bytes(&safetensors_bytes(&t).unwrap(), "m.safetensors").unwrap();
        proptest::prop_assert_eq!(back.keys().collect::<Vec<_>>(), t.keys().collect::<Vec<_>>());
        for (k, x) in &t {
            let y = &back[k];
            proptest::prop_assert_eq!(x.shape(), y.shape());
            let same = match (x, y) {
                (TensorData::F32(x), TensorData::F32(y)) => x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()),
                (TensorData::F64(x), TensorData::F64(y)) => x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()),
                _ => false,
            };
            proptest::prop_assert!(same, "{k} changed");
        }
    }
}
