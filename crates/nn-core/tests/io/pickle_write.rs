//! The pickle writer: exact bytes, bit-exact round trips, and an independent
//! reader (serde-pickle) agreeing on what was written.

use ndarray::{ArrayD, IxDyn, array};
use nn_core::io::{TensorData, Tensors, pickle_bytes, read_pickle_bytes};
use proptest::prelude::*;

fn tiny() -> Tensors {
    Tensors::from([
        ("W".to_owned(), TensorData::from(array![[1.0_f32, -2.0]])),
        ("b".to_owned(), TensorData::from(array![0.5_f64])),
    ])
}

/// One array as the writer emits it, opcode by opcode.
fn golden_array(shape: &[u8], descr: &[u8], data: &[u8]) -> Vec<u8> {
    [
        &b"cnumpy.core.multiarray\n_reconstruct\n"[..], // GLOBAL
        b"cnumpy\nndarray\n",                           // GLOBAL
        b"K\x00\x85",                                   // (0,)
        b"C\x01b",                                      // b'b'
        b"\x87R",                                       // TUPLE3 REDUCE
        b"(K\x01",                                      // MARK 1
        shape,                                          // shape tuple
        b"cnumpy\ndtype\nX\x02\x00\x00\x00",            // numpy.dtype(
        descr,                                          //   'f4' or 'f8',
        b"\x89\x88\x87R",                               //   False, True)
        b"(K\x03X\x01\x00\x00\x00<NNN",                 // BUILD (3, '<', None, None, None,
        b"J\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb",   //        -1, -1, 0)
        b"\x89",                                        // is_fortran = False
        data,                                           // SHORT_BINBYTES raw
        b"tb",                                          // TUPLE BUILD
    ]
    .concat()
}

#[test]
fn the_writer_emits_these_exact_bytes() {
    // Checked once with Python 3.11, NumPy 1.26.4 and 2.4.6 (warnings as
    // errors):
    //     d = pickle.loads(bytes)
    //     d['W'] == np.array([[1., -2.]], 'f4'), d['b'] == np.array([.5])
    let golden = [
        &b"\x80\x03}("[..], // PROTO 3, EMPTY_DICT, MARK
        b"X\x01\x00\x00\x00W",
        &golden_array(
            b"K\x01K\x02\x86",
            b"f4",
            b"C\x08\x00\x00\x80\x3f\x00\x00\x00\xc0",
        ),
        b"X\x01\x00\x00\x00b",
        &golden_array(
            b"K\x01\x85",
            b"f8",
            b"C\x08\x00\x00\x00\x00\x00\x00\xe0\x3f",
        ),
        b"u.", // SETITEMS STOP
    ]
    .concat();
    assert_eq!(pickle_bytes(&tiny()).unwrap(), golden);
}

#[test]
fn an_empty_dict_is_four_bytes() {
    assert_eq!(pickle_bytes(&Tensors::new()).unwrap(), b"\x80\x03}.");
}

/// Bit patterns must survive, not only values: NaN payloads, -0.0,
/// subnormals.
#[track_caller]
fn assert_bits_equal(a: &Tensors, b: &Tensors) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, x) in a {
        let y = &b[k];
        assert_eq!(x.shape(), y.shape(), "{k}");
        match (x, y) {
            (TensorData::F32(x), TensorData::F32(y)) => {
                assert!(
                    x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()),
                    "{k}"
                );
            }
            (TensorData::F64(x), TensorData::F64(y)) => {
                assert!(
                    x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()),
                    "{k}"
                );
            }
            _ => panic!("{k}: dtype {} became {}", x.dtype(), y.dtype()),
        }
    }
}

#[test]
fn special_values_and_shapes_round_trip_bit_exactly() {
    let f32s = [
        0.0,
        -0.0,
        f32::MIN_POSITIVE,
        f32::MIN_POSITIVE / 8.0,
        f32::MAX,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::from_bits(0x7fc0_1234),
    ];
    let f64s = f32s.map(|v| f64::from(v) * 3.0).map(|v| {
        if v.is_nan() {
            f64::from_bits(0x7ff8_dead_beef_0001)
        } else {
            v
        }
    });
    let t = Tensors::from([
        (
            "scalar".to_owned(),
            TensorData::from(ndarray::arr0(-1.25_f64)),
        ),
        (
            "empty".to_owned(),
            TensorData::from(ndarray::Array2::<f32>::zeros((0, 3))),
        ),
        (
            "f32".to_owned(),
            TensorData::from(ndarray::Array::from(f32s.to_vec())),
        ),
        (
            "f64".to_owned(),
            TensorData::from(
                ndarray::Array::from(f64s.to_vec())
                    .into_shape_with_order((2, 1, 2, 2))
                    .unwrap(),
            ),
        ),
        // 70000 needs a 4-byte int; 300 a 2-byte one.
        (
            "long".to_owned(),
            TensorData::from(ndarray::Array2::<f32>::ones((1, 70_000))),
        ),
        (
            "wide".to_owned(),
            TensorData::from(ndarray::Array2::<f64>::from_elem((300, 1), 0.1)),
        ),
        (
            "key with spaces and ü".to_owned(),
            TensorData::from(array![1.0_f32]),
        ),
    ]);
    let bytes = pickle_bytes(&t).unwrap();
    assert_bits_equal(&read_pickle_bytes(&bytes, "w.pkl").unwrap(), &t);
}

#[test]
fn non_standard_layouts_are_written_in_row_major_order() {
    let m = array![[1.0_f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let t = Tensors::from([("T".to_owned(), TensorData::F32(m.t().to_owned().into_dyn()))]);
    let fortran = Tensors::from([(
        "T".to_owned(),
        TensorData::F32(m.t().as_standard_layout().into_owned().into_dyn()),
    )]);
    let back = read_pickle_bytes(&pickle_bytes(&t).unwrap(), "w.pkl").unwrap();
    assert_eq!(back, fortran);
    let TensorData::F32(a) = &back["T"] else {
        panic!()
    };
    assert_eq!(
        a.iter().copied().collect::<Vec<_>>(),
        [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
    );
}

#[test]
fn an_independent_reader_sees_the_arrays() {
    // serde-pickle keeps each array's BUILD state (1, shape, dtype,
    // is_fortran, raw) when asked to; the raw bytes are little-endian.
    use serde_pickle::{DeOptions, HashableValue, Value};
    let bytes = pickle_bytes(&tiny()).unwrap();
    let value =
        serde_pickle::value_from_slice(&bytes, DeOptions::new().keep_restore_state()).unwrap();
    let Value::Dict(dict) = value else {
        panic!("{value:?}")
    };
    let state = |key: &str| match &dict[&HashableValue::String(key.into())] {
        Value::Tuple(t) => t.clone(),
        other => panic!("{other:?}"),
    };
    let w = state("W");
    assert_eq!(w[0], Value::I64(1));
    assert_eq!(w[1], Value::Tuple(vec![Value::I64(1), Value::I64(2)]));
    assert_eq!(w[3], Value::Bool(false));
    assert_eq!(
        w[4],
        Value::Bytes([1.0_f32.to_le_bytes(), (-2.0_f32).to_le_bytes()].concat())
    );
    let b = state("b");
    assert_eq!(b[4], Value::Bytes(0.5_f64.to_le_bytes().to_vec()));
}

fn shapes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..5usize, 0..5)
}

proptest! {
    #[test]
    fn any_arrays_round_trip(
        shape32 in shapes(),
        shape64 in shapes(),
        bits32 in prop::collection::vec(any::<u32>(), 1024),
        bits64 in prop::collection::vec(any::<u64>(), 1024),
    ) {
        let n32 = shape32.iter().product();
        let n64 = shape64.iter().product();
        let a32 = ArrayD::from_shape_vec(IxDyn(&shape32), bits32[..n32].iter().map(|&b| f32::from_bits(b)).collect()).unwrap();
        let a64 = ArrayD::from_shape_vec(IxDyn(&shape64), bits64[..n64].iter().map(|&b| f64::from_bits(b)).collect()).unwrap();
        let t = Tensors::from([("a".to_owned(), TensorData::F32(a32)), ("z".to_owned(), TensorData::F64(a64))]);
        let back = read_pickle_bytes(&pickle_bytes(&t).unwrap(), "p.pkl").unwrap();
        assert_bits_equal(&back, &t);
    }
}
