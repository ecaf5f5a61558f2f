use mnist_data::{normalize, read_idx_header, read_images, read_labels};
use ndarray::Array1;
use proptest::prelude::*;

use crate::common::gz;

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
