use mnist_data::{
    normalize, read_idx_header, read_idx_header_bytes, read_images, read_images_bytes, read_labels,
    read_labels_bytes,
};
use ndarray::Array1;
use proptest::prelude::*;

use crate::common::{gz, idx_images, idx_labels};

/// Bytes that often look like IDX: a plausible header then anything.
fn idx_like() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![Just(1u8), Just(3u8), 0u8..=255],
        prop::collection::vec(0u8..=40, 0..16),
        prop::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(ndim, dims, rest)| {
            let mut bytes = vec![0, 0, 8, ndim];
            bytes.extend(dims);
            bytes.extend(rest);
            bytes
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsing_never_panics(
        bytes in prop_oneof![idx_like(), prop::collection::vec(any::<u8>(), 0..64)],
        compress in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        std::fs::write(&path, if compress { gz(&bytes) } else { bytes }).unwrap();
        // Any result is fine; a panic fails the test.
        let _ = read_idx_header(&path);
        let _ = read_images(&path);
        if let Ok(t) = read_labels(&path) {
            prop_assert!(t.iter().all(|&l| l < 10));
        }
    }

    /// The in-memory parsers give what the file parsers give, error
    /// messages included (both name the same file).
    #[test]
    fn bytes_and_files_parse_alike(
        bytes in prop_oneof![idx_like(), prop::collection::vec(any::<u8>(), 0..64)],
        compress in any::<bool>(),
    ) {
        let bytes = if compress { gz(&bytes) } else { bytes };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        std::fs::write(&path, &bytes).unwrap();
        let text = |r: Result<String, mnist_data::Error>| r.map_err(|e| e.to_string());
        prop_assert_eq!(
            text(read_idx_header(&path).map(|h| format!("{h:?}"))),
            text(read_idx_header_bytes(&bytes, &path).map(|h| format!("{h:?}")))
        );
        prop_assert_eq!(
            text(read_images(&path).map(|x| format!("{x:?}"))),
            text(read_images_bytes(&bytes, &path).map(|x| format!("{x:?}")))
        );
        prop_assert_eq!(
            text(read_labels(&path).map(|x| format!("{x:?}"))),
            text(read_labels_bytes(&bytes, &path).map(|x| format!("{x:?}")))
        );
    }

    /// Any bytes, raw, gzip-compressed or behind the gzip magic alone: `Ok`
    /// or a typed error, never a panic; what parses agrees with its header.
    #[test]
    fn any_bytes_in_memory(bytes in prop::collection::vec(any::<u8>(), 0..256), mode in 0..3u8) {
        let bytes = match mode {
            0 => bytes,
            1 => gz(&bytes),
            _ => [&[0x1f, 0x8b][..], &bytes].concat(),
        };
        let header = read_idx_header_bytes(&bytes, "fuzz");
        if let Ok(x) = read_images_bytes(&bytes, "fuzz") {
            prop_assert_eq!(header.as_ref().unwrap().dims.clone(), vec![x.nrows(), 28, 28]);
        }
        if let Ok(t) = read_labels_bytes(&bytes, "fuzz") {
            prop_assert_eq!(header.as_ref().unwrap().dims.clone(), vec![t.len()]);
            prop_assert!(t.iter().all(|&l| l < 10));
        }
    }

    /// parse(write(x)) == x, raw and gzip-compressed.
    #[test]
    fn written_idx_reads_back(
        n in 0..4u32,
        pixels in prop::collection::vec(any::<u8>(), 4 * 784),
        labels in prop::collection::vec(0..10u8, 0..50),
        compress in any::<bool>(),
    ) {
        let pack = |b: Vec<u8>| if compress { gz(&b) } else { b };
        let images = pack(idx_images(n, 28, 28, |i, p| pixels[i * 784 + p]));
        let x = read_images_bytes(&images, "images").unwrap();
        prop_assert_eq!(x.dim(), (n as usize, 784));
        prop_assert_eq!(x.as_slice().unwrap(), &pixels[..n as usize * 784]);
        let t = read_labels_bytes(&pack(idx_labels(&labels)), "labels").unwrap();
        prop_assert_eq!(t.to_vec(), labels);
    }

    #[test]
    fn normalize_stays_in_unit_interval_and_keeps_order(pixels in prop::collection::vec(any::<u8>(), 0..2000)) {
        let x = Array1::from(pixels);
        let y = normalize(&x);
        prop_assert_eq!(y.len(), x.len());
        for (&p, &v) in x.iter().zip(&y) {
            prop_assert!((0.0..=1.0).contains(&v));
            prop_assert!((v * 255.0 - f32::from(p)).abs() < 1e-4);
        }
    }
}
