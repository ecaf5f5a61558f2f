use std::path::Path;

use mnist_data::{Error, IdxHeader, read_idx_header, read_images, read_labels};

use crate::common::{gz, idx_images, idx_labels, pattern};

#[derive(Clone, Copy, Debug)]
enum Kind {
    Images,
    Labels,
}

fn read(kind: Kind, path: &Path) -> Result<usize, Error> {
    match kind {
        Kind::Images => read_images(path).map(|x| x.nrows()),
        Kind::Labels => read_labels(path).map(|t| t.len()),
    }
}

/// Writes `bytes` to a file and reads it as `kind`; returns the error.
#[track_caller]
fn check_err(kind: Kind, bytes: &[u8], expect: impl Fn(&Error) -> bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file");
    std::fs::write(&path, bytes).unwrap();
    let err = read(kind, &path).expect_err("expected an error");
    assert!(expect(&err), "unexpected error: {err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "{message} does not name the file"
    );
    message.replace(&dir.path().display().to_string(), "<dir>")
}

#[test]
fn raw_and_gzip_files_read_the_same() {
    let images = idx_images(3, 28, 28, pattern);
    let labels = idx_labels(&[7, 2, 1]);
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("raw-images", images.clone()),
        ("gz-images.gz", gz(&images)),
        // the name does not matter: a gzip file without .gz, raw with .gz
        ("gz-images", gz(&images)),
        ("raw-images.gz", images.clone()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let x = read_images(&path).unwrap();
        assert_eq!(x.dim(), (3, 784), "{name}");
        assert_eq!(x[[2, 5]], pattern(2, 5), "{name}");
        assert_eq!(x.as_slice().unwrap(), &images[16..], "{name}");
    }
    for (name, bytes) in [("raw-labels", labels.clone()), ("gz-labels", gz(&labels))] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(
            read_labels(&path).unwrap().to_vec(),
            vec![7, 2, 1],
            "{name}"
        );
    }
}

#[test]
fn header_of_gzip_and_raw_files() {
    let dir = tempfile::tempdir().unwrap();
    let images = idx_images(5, 28, 28, pattern);
    let gz_path = dir.path().join("images.gz");
    std::fs::write(&gz_path, gz(&images)).unwrap();
    let raw_path = dir.path().join("labels");
    std::fs::write(&raw_path, idx_labels(&[1, 2, 3, 4])).unwrap();
    assert_eq!(
        read_idx_header(&gz_path).unwrap(),
        IdxHeader {
            magic: 2051,
            dims: vec![5, 28, 28],
            gzip: true
        }
    );
    assert_eq!(
        read_idx_header(&raw_path).unwrap(),
        IdxHeader {
            magic: 2049,
            dims: vec![4],
            gzip: false
        }
    );
}

#[test]
fn header_reads_only_the_start_of_a_gzip_file() {
    // A large gzip file cut after its first kilobyte: the header is still
    // readable, which shows that the rest is never decompressed.
    let images = idx_images(2000, 28, 28, pattern);
    let compressed = gz(&images);
    assert!(compressed.len() > 4096);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.gz");
    std::fs::write(&path, &compressed[..1024]).unwrap();
    assert_eq!(read_idx_header(&path).unwrap().dims, vec![2000, 28, 28]);
    assert!(read_images(&path).is_err());
}

#[test]
fn empty_file() {
    let msg = check_err(
        Kind::Images,
        &[],
        |e| matches!(e, Error::UnknownFormat { found, .. } if found.is_empty()),
    );
    assert_eq!(
        msg,
        "<dir>/file is neither gzip nor an idx file (it starts with nothing: the file is empty)"
    );
}

#[test]
fn html_page_is_neither_gzip_nor_idx() {
    let msg = check_err(
        Kind::Images,
        b"<!DOCTYPE html><html></html>",
        |e| matches!(e, Error::UnknownFormat { found, .. } if found == b"<!DO"),
    );
    assert_eq!(
        msg,
        "<dir>/file is neither gzip nor an idx file (it starts with 3c 21 44 4f)"
    );
}

#[test]
fn gzip_of_something_else_has_a_bad_magic() {
    check_err(Kind::Images, &gz(b"hello, world, this is not idx"), |e| {
        matches!(
            e,
            Error::BadMagic {
                expected: 2051,
                found: 0x6865_6c6c,
                ..
            }
        )
    });
}

#[test]
fn labels_read_as_images_and_images_as_labels() {
    let msg = check_err(Kind::Images, &idx_labels(&[1, 2]), |e| {
        matches!(
            e,
            Error::BadMagic {
                expected: 2051,
                found: 2049,
                ..
            }
        )
    });
    assert_eq!(
        msg,
        "bad magic number in <dir>/file: expected 2051 (idx images), found 2049"
    );
    check_err(Kind::Labels, &gz(&idx_images(1, 28, 28, pattern)), |e| {
        matches!(
            e,
            Error::BadMagic {
                expected: 2049,
                found: 2051,
                ..
            }
        )
    });
}

#[test]
fn images_must_be_28_by_28() {
    let msg = check_err(Kind::Images, &idx_images(2, 27, 28, pattern), |e| {
        matches!(e, Error::BadDimensions { .. })
    });
    assert_eq!(
        msg,
        "bad dimensions in <dir>/file: expected N×28×28, found 2×27×28"
    );
}

#[test]
fn truncated_raw_data() {
    let images = idx_images(2, 28, 28, pattern);
    let msg = check_err(Kind::Images, &images[..images.len() - 10], |e| {
        matches!(
            e,
            Error::Truncated {
                expected: 1584,
                found: 1574,
                ..
            }
        )
    });
    assert_eq!(
        msg,
        "<dir>/file is truncated: expected 1584 bytes (uncompressed), found 1574"
    );
}

#[test]
fn truncated_header() {
    check_err(Kind::Labels, &[0, 0, 8, 1, 0, 0], |e| {
        matches!(
            e,
            Error::Truncated {
                expected: 8,
                found: 6,
                ..
            }
        )
    });
    check_err(Kind::Labels, &gz(&[0, 0, 8, 1, 0]), |e| {
        matches!(
            e,
            Error::Truncated {
                expected: 8,
                found: 5,
                ..
            }
        )
    });
}

#[test]
fn truncated_gzip_data() {
    // Valid gzip whose content is shorter than the header says.
    let labels = idx_labels(&[1, 2, 3]);
    check_err(Kind::Labels, &gz(&labels[..labels.len() - 1]), |e| {
        matches!(
            e,
            Error::Truncated {
                expected: 11,
                found: 10,
                ..
            }
        )
    });
}

#[test]
fn gzip_file_cut_short() {
    // The compressed file itself cut in the middle of the deflate stream.
    let compressed = gz(&idx_images(50, 28, 28, pattern));
    check_err(Kind::Images, &compressed[..compressed.len() / 2], |e| {
        matches!(e, Error::Truncated { .. } | Error::Gzip { .. })
    });
    // ... or in its 8-byte trailer (CRC and length).
    check_err(Kind::Images, &compressed[..compressed.len() - 4], |e| {
        matches!(e, Error::Gzip { .. })
    });
}

#[test]
fn header_count_far_beyond_the_data() {
    // 4 billion images announced, a few bytes present: an error, and no
    // attempt to allocate 3 TB.
    let mut bytes = vec![0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28];
    bytes.extend([0u8; 100]);
    check_err(Kind::Images, &bytes, |e| {
        matches!(e, Error::Truncated { found: 116, .. })
    });
    check_err(Kind::Images, &gz(&bytes), |e| {
        matches!(e, Error::Truncated { found: 116, .. })
    });
}

#[test]
fn trailing_data() {
    let mut labels = idx_labels(&[1, 2, 3]);
    labels.push(4);
    let msg = check_err(Kind::Labels, &labels, |e| {
        matches!(e, Error::TrailingData { expected: 11, .. })
    });
    assert_eq!(
        msg,
        "<dir>/file has data after the 11 bytes its header announces"
    );
    check_err(Kind::Labels, &gz(&labels), |e| {
        matches!(e, Error::TrailingData { .. })
    });
}

#[test]
fn corrupt_gzip_crc() {
    let mut compressed = gz(&idx_labels(&[1, 2, 3]));
    let n = compressed.len();
    compressed[n - 8] ^= 0xff; // first byte of the CRC-32
    let msg = check_err(Kind::Labels, &compressed, |e| {
        matches!(e, Error::Gzip { .. })
    });
    assert!(
        msg.starts_with("corrupt gzip data in <dir>/file: "),
        "{msg}"
    );
}

#[test]
fn corrupt_deflate_stream() {
    // Garbage in the middle of the deflate data: the header decodes, then
    // the decoder fails, or the data comes out wrong and the CRC says so.
    let mut compressed = gz(&idx_images(20, 28, 28, pattern));
    let mid = compressed.len() / 2;
    for b in &mut compressed[mid..mid + 16] {
        *b = 0xff;
    }
    check_err(Kind::Images, &compressed, |e| {
        matches!(
            e,
            Error::Gzip { .. } | Error::Truncated { .. } | Error::TrailingData { .. }
        )
    });
}

#[test]
fn labels_must_be_digits() {
    let msg = check_err(Kind::Labels, &gz(&idx_labels(&[0, 9, 3, 10, 255])), |e| {
        matches!(
            e,
            Error::LabelOutOfRange {
                index: 3,
                label: 10,
                ..
            }
        )
    });
    assert_eq!(msg, "label 10 at index 3 in <dir>/file is out of range 0-9");
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = read_images(dir.path().join("nope.gz")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("nope.gz"));
}

#[test]
fn header_accepts_any_ubyte_idx_and_rejects_other_types() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file");
    std::fs::write(
        &path,
        [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6],
    )
    .unwrap();
    assert_eq!(read_idx_header(&path).unwrap().dims, vec![2, 3]);
    // 0x0D is float32 in IDX: not MNIST, and not sniffed as raw IDX.
    std::fs::write(&path, [0, 0, 0x0d, 1, 0, 0, 0, 0]).unwrap();
    assert!(matches!(
        read_idx_header(&path),
        Err(Error::UnknownFormat { .. })
    ));
    std::fs::write(&path, gz(&[0, 0, 0x0d, 1, 0, 0, 0, 0])).unwrap();
    assert!(matches!(
        read_idx_header(&path),
        Err(Error::BadMagic { found: 0xd01, .. })
    ));
}
