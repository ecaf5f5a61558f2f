//! Every form of NumPy pickle of a dict of arrays loads to the same values.

use ndarray::{ArrayD, IxDyn};
use nn_core::io::{TensorData, Tensors, read_pickle_bytes};

use crate::asm::{Asm, NpArray, Numpy, numpy_pickle, op};
use crate::numpy_bytes::*;

/// The dict of `numpy_bytes.rs`.
fn fixture_entries() -> Vec<(&'static str, NpArray)> {
    vec![
        ("b", NpArray::float("f4", '<', &[2], false, &[1.5, -2.0])),
        (
            "a",
            NpArray::float("f8", '>', &[2, 3], true, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
        ),
        ("c", NpArray::float("f4", '<', &[2], false, &[0.25, 4.0])),
    ]
}

fn f32s(shape: &[usize], values: &[f64]) -> TensorData {
    let v = values.iter().map(|&x| x as f32).collect();
    TensorData::F32(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}

fn f64s(shape: &[usize], values: &[f64]) -> TensorData {
    TensorData::F64(ArrayD::from_shape_vec(IxDyn(shape), values.to_vec()).unwrap())
}

fn fixture_tensors() -> Tensors {
    Tensors::from([
        (
            "a".to_owned(),
            f64s(&[2, 3], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
        ),
        ("b".to_owned(), f32s(&[2], &[1.5, -2.0])),
        ("c".to_owned(), f32s(&[2], &[0.25, 4.0])),
    ])
}

const REAL: [(u8, Numpy, &[u8]); 8] = [
    (2, Numpy::V1, NUMPY1_PROTOCOL_2),
    (3, Numpy::V1, NUMPY1_PROTOCOL_3),
    (4, Numpy::V1, NUMPY1_PROTOCOL_4),
    (5, Numpy::V1, NUMPY1_PROTOCOL_5),
    (2, Numpy::V2, NUMPY2_PROTOCOL_2),
    (3, Numpy::V2, NUMPY2_PROTOCOL_3),
    (4, Numpy::V2, NUMPY2_PROTOCOL_4),
    (5, Numpy::V2, NUMPY2_PROTOCOL_5),
];

#[track_caller]
fn check(bytes: &[u8], expect: &Tensors) {
    match read_pickle_bytes(bytes, "test.pkl") {
        Ok(got) => assert_eq!(&got, expect),
        Err(e) => panic!("expected arrays, got error: {e}"),
    }
}

#[test]
fn real_numpy_pickles_load() {
    for (proto, numpy, bytes) in REAL {
        println!("protocol {proto}, {numpy:?}");
        check(bytes, &fixture_tensors());
    }
}

#[test]
fn asm_matches_real_numpy() {
    // The assembler writes what NumPy writes, so the fixtures below that
    // only it can produce (every combination) are faithful too.
    for (proto, numpy, bytes) in REAL {
        let asm = numpy_pickle(proto, numpy, &fixture_entries());
        assert!(
            asm == bytes,
            "protocol {proto}, {numpy:?}:\n{asm:?}\n{bytes:?}"
        );
    }
}

#[test]
fn every_form_loads_the_same_values() {
    let w = [0.1, -0.2, 0.3, 1e-3, 2.5, -7.25];
    let b = [0.5, -1.5, 2.0];
    let t: Vec<f64> = (0..24).map(|i| f64::from(i) * 0.5 - 3.0).collect();
    let mut combinations = 0;
    for proto in 2..=5 {
        for numpy in [Numpy::V1, Numpy::V2] {
            for descr in ["f4", "f8"] {
                for order in ['<', '>'] {
                    for fortran in [false, true] {
                        for reverse in [false, true] {
                            let mut entries = vec![
                                ("W1", NpArray::float(descr, order, &[2, 3], fortran, &w)),
                                ("b1", NpArray::float(descr, order, &[3], fortran, &b)),
                                ("T", NpArray::float(descr, order, &[2, 3, 4], fortran, &t)),
                                ("s", NpArray::float(descr, order, &[], fortran, &[3.5])),
                                ("e", NpArray::float(descr, order, &[0, 3], fortran, &[])),
                            ];
                            if reverse {
                                entries.reverse();
                            }
                            let make = if descr == "f4" { f32s } else { f64s };
                            let expect = Tensors::from([
                                ("W1".to_owned(), make(&[2, 3], &w)),
                                ("b1".to_owned(), make(&[3], &b)),
                                ("T".to_owned(), make(&[2, 3, 4], &t)),
                                ("s".to_owned(), make(&[], &[3.5])),
                                ("e".to_owned(), make(&[0, 3], &[])),
                            ]);
                            let bytes = numpy_pickle(proto, numpy, &entries);
                            println!("protocol {proto} {numpy:?} {order}{descr} fortran={fortran}");
                            check(&bytes, &expect);
                            combinations += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(combinations, 128);
}

#[test]
fn fortran_order_is_not_read_as_row_major() {
    // np.asfortranarray([[1, 2, 3], [4, 5, 6]], 'f4'): memory 1 4 2 5 3 6.
    let a = NpArray::float("f4", '<', &[2, 3], true, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let memory: Vec<f32> = a
        .raw
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(memory, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    let got = read_pickle_bytes(&numpy_pickle(3, Numpy::V1, &[("W", a)]), "w.pkl").unwrap();
    let TensorData::F32(w) = &got["W"] else {
        panic!("not float32")
    };
    assert!(w.is_standard_layout());
    assert_eq!(
        w.iter().copied().collect::<Vec<_>>(),
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    );
}

#[test]
fn the_books_old_style_dtype_flags_load() {
    // sample_weight.pkl was written by an old NumPy: numpy.dtype('f4', 0, 1).
    for proto in 2..=4 {
        let mut asm = Asm::new(proto);
        asm.int_dtype_flags = true;
        asm.dict(
            Numpy::V1,
            &[
                ("b2", NpArray::float("f4", '<', &[2], false, &[0.5, 0.25])),
                (
                    "W1",
                    NpArray::float("f4", '<', &[2, 2], true, &[1.0, 2.0, 3.0, 4.0]),
                ),
            ],
        );
        check(
            &asm.finish(),
            &Tensors::from([
                ("W1".to_owned(), f32s(&[2, 2], &[1.0, 2.0, 3.0, 4.0])),
                ("b2".to_owned(), f32s(&[2], &[0.5, 0.25])),
            ]),
        );
    }
}

#[test]
fn a_shared_big_endian_dtype_keeps_its_byte_order() {
    // The second array references the dtype memoized before its BUILD set
    // the byte order: the order must still be '>'.
    let entries = [
        ("x", NpArray::float("f8", '>', &[1], false, &[1.0])),
        ("y", NpArray::float("f8", '>', &[1], false, &[-2.0])),
    ];
    for proto in 2..=5 {
        let bytes = numpy_pickle(proto, Numpy::V2, &entries);
        check(
            &bytes,
            &Tensors::from([
                ("x".to_owned(), f64s(&[1], &[1.0])),
                ("y".to_owned(), f64s(&[1], &[-2.0])),
            ]),
        );
    }
}

#[test]
fn a_single_entry_dict_uses_setitem() {
    let bytes = numpy_pickle(
        4,
        Numpy::V2,
        &[("b", NpArray::float("f4", '<', &[1], false, &[7.0]))],
    );
    assert_eq!(bytes[bytes.len() - 2], op::SETITEM);
    check(
        &bytes,
        &Tensors::from([("b".to_owned(), f32s(&[1], &[7.0]))]),
    );
}

#[test]
fn an_empty_dict_gives_no_arrays() {
    for proto in 2..=5 {
        check(&numpy_pickle(proto, Numpy::V2, &[]), &Tensors::new());
    }
}

#[test]
fn many_arrays_use_long_memo_indices() {
    // Over 256 memo slots: LONG_BINPUT and LONG_BINGET in protocols 2 and 3.
    let names: Vec<String> = (0..40).map(|i| format!("layer{i:02}")).collect();
    let entries: Vec<(&str, NpArray)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                n.as_str(),
                NpArray::float("f4", '<', &[2], false, &[i as f64, -(i as f64)]),
            )
        })
        .collect();
    let expect: Tensors = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), f32s(&[2], &[i as f64, -(i as f64)])))
        .collect();
    for proto in [2, 3] {
        let bytes = numpy_pickle(proto, Numpy::V1, &entries);
        assert!(bytes.contains(&op::LONG_BINPUT) && bytes.contains(&op::LONG_BINGET));
        check(&bytes, &expect);
    }
}

#[test]
fn large_arrays_use_four_byte_lengths() {
    let values: Vec<f64> = (0..1000).map(f64::from).collect();
    let entries = [("big", NpArray::float("f8", '<', &[10, 100], true, &values))];
    for proto in 2..=5 {
        check(
            &numpy_pickle(proto, Numpy::V2, &entries),
            &Tensors::from([("big".to_owned(), f64s(&[10, 100], &values))]),
        );
    }
}

#[test]
fn empty_arrays_in_protocol_2_use_builtins_bytes() {
    // Python 3, protocol 2, b'': `c__builtin__\nbytes\n)R` (no _codecs).
    let mut asm = Asm::new(2);
    asm.op(op::EMPTY_DICT).str_unshared("e");
    asm.global("numpy.core.multiarray", "_reconstruct");
    asm.tuple(3, |a| {
        a.global("numpy", "ndarray");
        a.tuple(1, |a| {
            a.int(0);
        });
        a.bytes(b"b", true);
    });
    asm.op(op::REDUCE);
    asm.tuple(5, |a| {
        a.int(1).shape(&[0]).dtype("f4", '<').bool(false);
        a.global("__builtin__", "bytes")
            .op(op::EMPTY_TUPLE)
            .op(op::REDUCE);
    });
    asm.op(op::BUILD).op(op::SETITEM);
    check(
        &asm.finish(),
        &Tensors::from([("e".to_owned(), f32s(&[0], &[]))]),
    );
}

#[test]
fn python2_byte_strings_load() {
    // Python 2 writes str keys, dtype strings and data as SHORT_BINSTRING
    // and BINSTRING.
    let mut asm = Asm::new(2);
    asm.op(op::EMPTY_DICT)
        .op(op::SHORT_BINSTRING)
        .raw(&[2])
        .raw(b"W1");
    asm.global("numpy.core.multiarray", "_reconstruct");
    asm.global("numpy", "ndarray")
        .int(0)
        .op(op::TUPLE1)
        .op(op::SHORT_BINSTRING)
        .raw(b"\x01b");
    asm.op(op::TUPLE3).op(op::REDUCE);
    asm.op(op::MARK).int(1).int(2).op(op::TUPLE1);
    asm.global("numpy", "dtype")
        .op(op::SHORT_BINSTRING)
        .raw(b"\x02f4")
        .int(0)
        .int(1)
        .op(op::TUPLE3)
        .op(op::REDUCE);
    asm.op(op::MARK)
        .int(3)
        .op(op::SHORT_BINSTRING)
        .raw(b"\x01<")
        .none()
        .none()
        .none();
    asm.int(-1).int(-1).int(0).op(op::TUPLE).op(op::BUILD);
    asm.int(0).op(op::BINSTRING).raw(&8u32.to_le_bytes());
    asm.raw(&1.0_f32.to_le_bytes())
        .raw(&(-1.0_f32).to_le_bytes());
    asm.op(op::TUPLE).op(op::BUILD).op(op::SETITEM);
    check(
        &asm.finish(),
        &Tensors::from([("W1".to_owned(), f32s(&[2], &[1.0, -1.0]))]),
    );
}

#[test]
fn dict_and_ordered_dict_opcodes_load() {
    let a = NpArray::float("f4", '<', &[1], false, &[2.0]);
    let expect = Tensors::from([("k".to_owned(), f32s(&[1], &[2.0]))]);
    // MARK key value DICT
    let mut asm = Asm::new(3);
    asm.op(op::MARK).str_unshared("k");
    asm.array(Numpy::V2, &a);
    asm.op(op::DICT);
    check(&asm.finish(), &expect);
    // collections.OrderedDict() + SETITEMS, as pickle writes an OrderedDict.
    let mut asm = Asm::new(3);
    asm.global("collections", "OrderedDict")
        .op(op::EMPTY_TUPLE)
        .op(op::REDUCE);
    asm.op(op::MARK).str_unshared("k");
    asm.array(Numpy::V2, &a);
    asm.op(op::SETITEMS);
    check(&asm.finish(), &expect);
}

#[test]
fn a_later_duplicate_key_wins() {
    let mut asm = Asm::new(3);
    asm.op(op::EMPTY_DICT).op(op::MARK);
    asm.str_unshared("k");
    asm.array(Numpy::V1, &NpArray::float("f4", '<', &[1], false, &[1.0]));
    asm.str_unshared("k");
    asm.array(Numpy::V1, &NpArray::float("f8", '<', &[1], false, &[2.0]));
    asm.op(op::SETITEMS);
    check(
        &asm.finish(),
        &Tensors::from([("k".to_owned(), f64s(&[1], &[2.0]))]),
    );
}

#[test]
fn one_array_under_two_keys_loads_twice() {
    // {'a': x, 'b': x}: the second value is a BINGET of the first array.
    let mut asm = Asm::new(3);
    asm.op(op::EMPTY_DICT).str_unshared("a");
    asm.array(
        Numpy::V1,
        &NpArray::float("f4", '<', &[2], false, &[1.0, 2.0]),
    );
    let x = asm.memoize();
    asm.op(op::SETITEM).str_unshared("b").get(x).op(op::SETITEM);
    let v = f32s(&[2], &[1.0, 2.0]);
    check(
        &asm.finish(),
        &Tensors::from([("a".to_owned(), v.clone()), ("b".to_owned(), v)]),
    );
}
