use mnist_data::{Error, Split, load_split, load_split_chunked, read_images, read_images_chunked};
use ndarray::{Array2, Axis, concatenate};

use crate::common::{gz, idx_images, idx_labels, pattern, write_split};

/// The blocks joined, or the first error (and then nothing else must follow).
fn chunked(path: &std::path::Path, rows: usize) -> Result<(Array2<u8>, Vec<usize>), String> {
    let mut blocks = read_images_chunked(path, rows).map_err(|e| e.to_string())?;
    let mut parts = Vec::new();
    for block in &mut blocks {
        match block {
            Ok(b) => parts.push(b),
            Err(e) => {
                assert!(blocks.next().is_none(), "an error ends the blocks");
                return Err(e.to_string());
            }
        }
    }
    let sizes = parts.iter().map(|b| b.nrows()).collect();
    let views: Vec<_> = parts.iter().map(|b| b.view()).collect();
    let joined = if views.is_empty() {
        Array2::zeros((0, 784))
    } else {
        concatenate(Axis(0), &views).unwrap()
    };
    Ok((joined, sizes))
}

#[test]
fn blocks_join_to_the_whole_array_raw_and_gz() {
    let raw = idx_images(7, 28, 28, pattern);
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [("raw", raw.clone()), ("gz", gz(&raw))] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let whole = read_images(&path).unwrap();
        for (rows, sizes) in [
            (0, vec![1; 7]),
            (1, vec![1; 7]),
            (2, vec![2, 2, 2, 1]),
            (3, vec![3, 3, 1]),
            (7, vec![7]),
            (100, vec![7]),
        ] {
            let (joined, got) = chunked(&path, rows).unwrap();
            assert_eq!(joined, whole, "{name}, {rows} rows");
            assert_eq!(got, sizes, "{name}, {rows} rows");
        }
    }
    // No images: no blocks.
    let path = dir.path().join("empty");
    std::fs::write(&path, idx_images(0, 28, 28, pattern)).unwrap();
    assert_eq!(chunked(&path, 3).unwrap().1, Vec::<usize>::new());
}

#[test]
fn every_error_is_the_one_read_images_gives() {
    let raw = idx_images(5, 28, 28, pattern);
    let zipped = gz(&raw);
    let mut bad_crc = zipped.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 0xff;
    let mut trailing = raw.clone();
    trailing.push(0);
    let mut wrong_dims = raw.clone();
    wrong_dims[11] = 27;
    let mut labels_magic = raw.clone();
    labels_magic[3] = 1;
    let cases: [(&str, Vec<u8>); 8] = [
        (
            "raw cut in the third image",
            raw[..16 + 2 * 784 + 100].to_vec(),
        ),
        ("raw cut in the header", raw[..10].to_vec()),
        ("gz cut short", zipped[..zipped.len() / 2].to_vec()),
        ("gz with a wrong crc", bad_crc),
        ("raw with a trailing byte", trailing),
        (
            "gz of a file with a trailing byte",
            gz(&[raw.as_slice(), &[0]].concat()),
        ),
        ("27 columns", wrong_dims),
        ("a labels file", labels_magic),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (what, bytes) in cases {
        let path = dir.path().join("images");
        std::fs::write(&path, bytes).unwrap();
        let expected = read_images(&path).expect_err(what).to_string();
        for rows in [1, 2, 100] {
            let got = chunked(&path, rows).expect_err(what);
            assert_eq!(got, expected, "{what}, {rows} rows");
        }
    }
}

#[test]
fn a_split_in_blocks_is_the_split() {
    let dir = tempfile::tempdir().unwrap();
    write_split(dir.path(), Split::Test, 9, true);
    let whole = load_split(dir.path(), Split::Test).unwrap();
    let (blocks, labels) = load_split_chunked(dir.path(), Split::Test, 4).unwrap();
    assert_eq!(labels, whole.labels);
    let parts: Vec<_> = blocks.map(Result::unwrap).collect();
    let views: Vec<_> = parts.iter().map(|b| b.view()).collect();
    assert_eq!(concatenate(Axis(0), &views).unwrap(), whole.images);

    // The counts are compared before any pixel is decompressed.
    std::fs::write(
        dir.path().join(Split::Test.labels_file()),
        gz(&idx_labels(&[1, 2, 3])),
    )
    .unwrap();
    let err = load_split_chunked(dir.path(), Split::Test, 4).unwrap_err();
    assert!(
        matches!(
            err,
            Error::CountMismatch {
                image_count: 9,
                label_count: 3,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        load_split(dir.path(), Split::Test).unwrap_err().to_string()
    );

    let empty = tempfile::tempdir().unwrap();
    let err = load_split_chunked(empty.path(), Split::Test, 4).unwrap_err();
    assert!(matches!(err, Error::MissingFiles { .. }), "{err}");
}
