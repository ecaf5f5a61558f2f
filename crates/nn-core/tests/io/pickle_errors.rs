//! Every way a pickle can fail to be a dict of float arrays, and no panic or
//! outsized allocation on any input.

use nn_core::Error;
use nn_core::io::read_pickle_bytes;
use proptest::prelude::*;

use crate::asm::{Asm, NpArray, Numpy, numpy_pickle, op};
use crate::numpy_bytes::*;

#[track_caller]
fn error(bytes: &[u8]) -> Error {
    match read_pickle_bytes(bytes, "w.pkl") {
        Ok(t) => panic!("expected an error, got {} arrays", t.len()),
        Err(e) => e,
    }
}

/// The error's message, after checking it is one line naming the file.
#[track_caller]
fn message(bytes: &[u8]) -> String {
    let text = error(bytes).to_string();
    assert!(
        text.contains("w.pkl") && !text.contains('\n') && !text.ends_with('.'),
        "{text}"
    );
    text
}

/// `{key: array}` in protocol 3.
fn one(key: &str, a: &NpArray) -> Vec<u8> {
    numpy_pickle(3, Numpy::V2, &[(key, a.clone())])
}

fn f4(shape: &[usize], raw: &[u8]) -> NpArray {
    NpArray::raw("f4", '<', shape, raw)
}

// --- not a pickle ---

#[test]
fn an_empty_file_is_not_a_pickle() {
    assert_eq!(
        message(b""),
        "w.pkl is not a readable pickle: the file is empty"
    );
}

#[test]
fn text_is_not_a_pickle() {
    assert!(matches!(
        error(b"W1,b1\n0.1,0.2\n"),
        Error::NotAPickle { .. }
    ));
    // A protocol 0 pickle of {} starts with '(' rather than PROTO.
    assert_eq!(
        message(b"(dp0\n."),
        "w.pkl is not a readable pickle: it does not start with the PROTO opcode of pickle \
         protocols 2 to 5"
    );
}

#[test]
fn a_future_protocol_is_refused() {
    assert_eq!(
        message(b"\x80\x06}."),
        "w.pkl is not a readable pickle: unsupported pickle protocol 6"
    );
}

#[test]
fn unsupported_opcodes_are_named() {
    assert_eq!(
        message(b"\x80\x02P0\n."),
        "w.pkl is not a readable pickle: unsupported opcode PERSID (0x50) at byte 2"
    );
    // Out-of-band buffers (protocol 5 with buffer_callback) are not in the file.
    assert_eq!(
        message(b"\x80\x05\x97."),
        "w.pkl is not a readable pickle: unsupported opcode NEXT_BUFFER (0x97) at byte 2"
    );
    assert_eq!(
        message(b"\x80\x02\xff."),
        "w.pkl is not a readable pickle: unknown opcode 0xff at byte 2"
    );
}

#[test]
fn malformed_streams_are_not_pickles() {
    for (bytes, detail) in [
        (&b"\x80\x02."[..], "stack underflow at byte 2"),
        (b"\x80\x02t.", "no MARK before byte 2"),
        (
            b"\x80\x02h\x07.",
            "memo entry 7 is read before it is written (byte 2)",
        ),
        (
            b"\x80\x02X\x02\x00\x00\x00\xff\xfe.",
            "the string at byte 2 is not valid UTF-8",
        ),
        (
            b"\x80\x02(K\x01d.",
            "a dict is given an odd number of keys and values",
        ),
        (b"\x80\x02K\x01K\x02a.", "APPEND to the int 1 at byte 6"),
        (
            b"\x80\x02K\x01K\x02K\x03s.",
            "SETITEM on the int 1 at byte 8",
        ),
        (b"\x80\x02K\x01)R.", "REDUCE at byte 5 calls the int 1"),
        (
            b"\x80\x02cnumpy\ndtype\nK\x01R.",
            "REDUCE at byte 17 is given the int 1 as arguments",
        ),
        (
            b"\x80\x02}}b.",
            "BUILD at byte 4 on a dict is not supported",
        ),
        (
            b"\x80\x04K\x01K\x02\x93.",
            "STACK_GLOBAL at byte 6 is not given two strings",
        ),
        (
            b"\x80\x02T\xff\xff\xff\xff.",
            "negative length -1 at byte 2",
        ),
        (
            b"\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00.",
            "the integer at byte 2 exceeds 64 bits",
        ),
        (
            b"\x80\x02c_codecs\nencode\nX\x02\x00\x00\x00\xc4\x80X\x06\x00\x00\x00latin1\x86R.",
            "a latin-1 byte string holds a char above U+00FF",
        ),
        (
            b"\x80\x02cnumpy\ndtype\n)R.",
            "unexpected arguments to numpy.dtype at byte 16",
        ),
    ] {
        match error(bytes) {
            Error::NotAPickle { detail: got, .. } => assert_eq!(got, detail, "{bytes:?}"),
            other => panic!("{bytes:?}: {other}"),
        }
    }
}

#[test]
fn a_dtype_state_without_byte_order_is_refused() {
    let bytes = b"\x80\x02cnumpy\ndtype\nX\x02\x00\x00\x00f4\x89\x88\x87RK\x03\x85b.";
    assert_eq!(
        message(bytes),
        "w.pkl is not a readable pickle: BUILD at byte 29 gives a dtype a tuple, not a state \
         with a byte order"
    );
}

#[test]
fn building_an_object_twice_is_refused() {
    let mut asm = Asm::new(3);
    asm.dtype("f4", '<');
    asm.tuple(8, |a| {
        a.int(3)
            .str("<")
            .none()
            .none()
            .none()
            .int(-1)
            .int(-1)
            .int(0);
    });
    asm.op(op::BUILD);
    let detail = match error(&asm.finish()) {
        Error::NotAPickle { detail, .. } => detail,
        other => panic!("{other}"),
    };
    assert!(detail.ends_with("sets a dtype twice"), "{detail}");
}

#[test]
fn deep_nesting_is_refused_without_recursion() {
    // 100 nested lists, and a million nested tuples: refused at depth 33.
    let mut bytes = b"\x80\x02".to_vec();
    bytes.extend([op::EMPTY_LIST].repeat(100));
    bytes.extend([op::APPEND].repeat(99));
    bytes.push(op::STOP);
    assert_eq!(
        message(&bytes),
        "w.pkl is not a readable pickle: containers nest deeper than 32 levels"
    );
    let mut bytes = b"\x80\x02)".to_vec();
    bytes.extend([op::TUPLE1].repeat(1_000_000));
    bytes.push(op::STOP);
    assert!(matches!(error(&bytes), Error::NotAPickle { .. }));
}

#[test]
fn a_shared_container_that_holds_items_is_not_copied() {
    // [1] memoized, then fetched and appended to: Python would mutate the
    // shared list; copying it each time would let a small file grow memory
    // quadratically, so it is refused.
    let bytes = b"\x80\x02]K\x01aq\x00h\x00K\x02a.";
    assert_eq!(
        message(bytes),
        "w.pkl is not a readable pickle: byte 12 adds items to a non-empty container shared \
         through the memo"
    );
}

// --- truncated ---

#[test]
fn every_truncation_of_a_real_pickle_is_reported() {
    for bytes in [
        NUMPY1_PROTOCOL_2,
        NUMPY1_PROTOCOL_3,
        NUMPY2_PROTOCOL_4,
        NUMPY2_PROTOCOL_5,
    ] {
        for len in 1..bytes.len() {
            match error(&bytes[..len]) {
                Error::Truncated { .. } => {}
                other => panic!("prefix of {len} bytes: {other}"),
            }
        }
    }
    assert_eq!(
        message(&NUMPY1_PROTOCOL_3[..100]),
        "w.pkl is truncated: the pickle ends before its STOP opcode"
    );
}

#[test]
fn lengths_beyond_the_input_are_refused_before_allocating() {
    // BINBYTES of 4 GiB, BINUNICODE8 and FRAME of 2^64 - 1 bytes, in a
    // handful of bytes.
    for bytes in [
        &b"\x80\x03B\xff\xff\xff\xff\x00"[..],
        b"\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\xff\x00",
        b"\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\xff}.",
        b"\x80\x05\x96\x00\x00\x00\x00\x00\x00\x00\x80.",
        b"\x80\x02cnumpy\ndtype",
    ] {
        assert!(matches!(error(bytes), Error::Truncated { .. }), "{bytes:?}");
    }
}

// --- not a dict of arrays ---

#[test]
fn things_other_than_a_dict_of_arrays_are_named() {
    let array = NpArray::float("f4", '<', &[1], false, &[1.0]);
    let mut lone_array = Asm::new(3);
    lone_array.array(Numpy::V1, &array);
    let mut int_key = Asm::new(3);
    int_key.op(op::EMPTY_DICT).int(1);
    int_key.array(Numpy::V1, &array);
    int_key.op(op::SETITEM);
    for (bytes, found) in [
        (b"\x80\x03]K\x01a.".to_vec(), "a list"),
        (b"\x80\x03N.".to_vec(), "None"),
        (lone_array.finish(), "a numpy array"),
        (int_key.finish(), "a key that is the int 1"),
        (
            b"\x80\x03}X\x01\x00\x00\x00xK\x03s.".to_vec(),
            "the int 3 under key 'x'",
        ),
        (
            b"\x80\x03}X\x01\x00\x00\x00xG?\xf8\x00\x00\x00\x00\x00\x00s.".to_vec(),
            "the float 1.5 under key 'x'",
        ),
        (
            b"\x80\x03}X\x01\x00\x00\x00x\x88s.".to_vec(),
            "the bool True under key 'x'",
        ),
        (
            b"\x80\x03}X\x01\x00\x00\x00xcnumpy\ndtype\ns.".to_vec(),
            "the global numpy.dtype under key 'x'",
        ),
    ] {
        assert_eq!(
            message(&bytes),
            format!("w.pkl does not hold a dict of arrays: found {found}")
        );
    }
}

#[test]
fn other_objects_are_not_built() {
    // A PyTorch checkpoint stores tensors through torch._utils; nothing of
    // it is run, and the error says what was found.
    let bytes = b"\x80\x02}X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n)Rs.";
    assert_eq!(
        message(bytes),
        "w.pkl does not hold a dict of arrays: found an object built by \
         torch._utils._rebuild_tensor_v2"
    );
    // np.matrix is an ndarray subclass with its own class in _reconstruct.
    let bytes = b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy.matrixlib.defmatrix\nmatrix\nK\x00\x85C\x01b\x87R.";
    assert_eq!(
        message(bytes),
        "w.pkl does not hold a dict of arrays: found an array of class numpy.matrixlib.defmatrix.matrix"
    );
}

// --- unsupported dtypes ---

#[test]
fn unsupported_dtypes_are_named_as_numpy_names_them() {
    for (descr, order, raw, name) in [
        ("i8", '<', &[0u8; 16][..], "int64"),
        ("i4", '>', &[0; 8], "int32"),
        ("u1", '|', &[0; 2], "uint8"),
        ("b1", '|', &[0; 2], "bool"),
        ("f2", '<', &[0; 4], "float16"),
        ("c16", '<', &[0; 32], "complex128"),
        ("U5", '<', &[0; 40], "<U5"),
        ("f4", '|', &[0; 8], "|f4"),
    ] {
        for proto in [2, 5] {
            let bytes = numpy_pickle(
                proto,
                Numpy::V2,
                &[("labels", NpArray::raw(descr, order, &[2], raw))],
            );
            match error(&bytes) {
                Error::UnsupportedDtype { key, dtype, .. } => {
                    assert_eq!((key.as_str(), dtype.as_str()), ("labels", name));
                }
                other => panic!("{descr}: {other}"),
            }
        }
    }
    let bytes = one("labels", &NpArray::raw("i8", '<', &[1], &[0; 8]));
    assert_eq!(
        message(&bytes),
        "array 'labels' in w.pkl has unsupported dtype int64 (expected float32 or float64)"
    );
}

#[test]
fn an_object_array_reports_its_dtype() {
    // np.array([None], dtype=object): the data slot holds a list.
    let mut asm = Asm::new(3);
    asm.op(op::EMPTY_DICT).str_unshared("o");
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
        a.int(1).shape(&[1]).dtype("O8", '|').bool(false);
        a.op(op::EMPTY_LIST).none().op(op::APPEND);
    });
    asm.op(op::BUILD).op(op::SETITEM);
    match error(&asm.finish()) {
        Error::UnsupportedDtype { dtype, .. } => assert_eq!(dtype, "object"),
        other => panic!("{other}"),
    }
}

// --- malformed arrays ---

#[test]
fn data_that_does_not_fit_the_shape_is_refused() {
    assert_eq!(
        message(&one("W1", &f4(&[2, 3], &[0; 20]))),
        "array 'W1' in w.pkl is malformed: its shape [2, 3] of float32 needs 24 bytes but it holds 20"
    );
    // A header claiming 10^9 elements in a tiny file: refused before any
    // allocation, whatever the protocol.
    for proto in 2..=5 {
        let bytes = numpy_pickle(proto, Numpy::V1, &[("W1", f4(&[1_000_000_000], &[0; 8]))]);
        assert!(matches!(error(&bytes), Error::BadArray { .. }));
    }
    // A shape whose size overflows.
    let huge = 1 << 40;
    assert_eq!(
        message(&one("W1", &f4(&[huge, huge], &[0; 8]))),
        format!("array 'W1' in w.pkl is malformed: its shape [{huge}, {huge}] is too large")
    );
}

/// Opcodes added to an assembly.
type Edit = fn(&mut Asm);

#[test]
fn malformed_array_states_are_refused() {
    let array = |state: Edit| {
        let mut asm = Asm::new(3);
        asm.op(op::EMPTY_DICT).str_unshared("x");
        asm.global("numpy.core.multiarray", "_reconstruct");
        asm.global("numpy", "ndarray").tuple(1, |a| {
            a.int(0);
        });
        asm.bytes(b"b", true).op(op::TUPLE3).op(op::REDUCE);
        state(&mut asm);
        asm.op(op::SETITEM);
        asm.finish()
    };
    let cases: [(Edit, &str); 6] = [
        (|_| {}, "it never receives its data (no BUILD)"),
        (
            |a| {
                a.int(7).op(op::BUILD);
            },
            "its state is the int 7, not a tuple",
        ),
        (
            |a| {
                a.tuple(2, |a| {
                    a.int(1).int(2);
                })
                .op(op::BUILD);
            },
            "its state has 2 items, expected 5",
        ),
        (
            |a| {
                a.tuple(5, |a| {
                    a.int(1)
                        .shape(&[1])
                        .int(0)
                        .bool(false)
                        .bytes(&[0; 4], false);
                })
                .op(op::BUILD);
            },
            "its dtype slot holds the int 0",
        ),
        (
            |a| {
                a.tuple(5, |a| {
                    a.int(1)
                        .int(-1)
                        .op(op::TUPLE1)
                        .dtype("f4", '<')
                        .bool(false)
                        .bytes(&[0; 4], false);
                })
                .op(op::BUILD);
            },
            "its shape holds something other than non-negative ints",
        ),
        (
            |a| {
                a.tuple(5, |a| {
                    a.int(1)
                        .shape(&[1])
                        .dtype("f4", '<')
                        .int(2)
                        .bytes(&[0; 4], false);
                })
                .op(op::BUILD);
            },
            "its is_fortran flag is the int 2",
        ),
    ];
    for (state, detail) in cases {
        assert_eq!(
            message(&array(state)),
            format!("array 'x' in w.pkl is malformed: {detail}")
        );
    }
    // `_frombuffer` with an order other than 'C' or 'F'.
    let mut asm = Asm::new(5);
    asm.op(op::EMPTY_DICT)
        .str("x")
        .global("numpy._core.numeric", "_frombuffer");
    asm.tuple(4, |a| {
        a.bytes(&[0; 4], false)
            .dtype("f4", '<')
            .shape(&[1])
            .str("K");
    });
    asm.op(op::REDUCE).op(op::SETITEM);
    assert_eq!(
        message(&asm.finish()),
        "array 'x' in w.pkl is malformed: its order is a str, expected 'C' or 'F'"
    );
}

#[test]
fn aliases_may_not_add_up_to_more_than_the_file() {
    // One 4000-byte array under three keys would decode to 12000 bytes from
    // a file of about 4200.
    let mut asm = Asm::new(3);
    asm.op(op::EMPTY_DICT).str_unshared("a");
    asm.array(
        Numpy::V1,
        &NpArray::float("f8", '<', &[500], false, &[0.5; 500]),
    );
    let x = asm.memoize();
    asm.op(op::SETITEM);
    asm.str_unshared("b").get(x).op(op::SETITEM);
    asm.str_unshared("c").get(x).op(op::SETITEM);
    let bytes = asm.finish();
    assert!(bytes.len() < 8000);
    match error(&bytes) {
        Error::BadArray { key, detail, .. } => {
            assert_eq!(key, "b");
            assert_eq!(
                detail,
                "arrays shared between keys add up to more than the file"
            );
        }
        other => panic!("{other}"),
    }
}

// --- no panic on any bytes ---

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mutated_real_pickles_never_panic(
        which in 0..4usize,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = [NUMPY1_PROTOCOL_2, NUMPY1_PROTOCOL_3, NUMPY2_PROTOCOL_4, NUMPY2_PROTOCOL_5][which].to_vec();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let _ = read_pickle_bytes(&bytes, "fuzz.pkl");
    }

    #[test]
    fn any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = read_pickle_bytes(&bytes, "fuzz.pkl");
    }

    #[test]
    fn random_opcodes_never_panic(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut bytes = vec![0x80, 0x04];
        bytes.extend(body);
        let _ = read_pickle_bytes(&bytes, "fuzz.pkl");
    }
}
