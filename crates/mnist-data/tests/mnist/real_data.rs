use std::path::PathBuf;

use mnist_data::{LoadOptions, Split, label_counts, load_mnist, load_split, read_idx_header};

fn data_dir() -> Option<PathBuf> {
    match std::env::var_os("NN_DATA_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            eprintln!("skipping: set NN_DATA_DIR");
            None
        }
    }
}

#[test]
fn test_split_statistics() {
    let Some(dir) = data_dir() else { return };
    let test = load_split(&dir, Split::Test).unwrap();
    assert_eq!(test.images.dim(), (10000, 784));
    assert_eq!(
        label_counts(&test.labels),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    // Python: (x_test, t_test) from load_mnist(normalize=True); x_test.mean()
    // -> 0.13251460584233699 (float64 accumulation)
    let x = test.normalized_images();
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / x.len() as f64;
    assert!((mean - 0.132_514_6).abs() < 1e-6, "mean pixel {mean}");
    assert_eq!(test.labels[0], 7);
}

#[test]
fn headers_of_the_real_files() {
    let Some(dir) = data_dir() else { return };
    let h = read_idx_header(dir.join(Split::Test.images_file())).unwrap();
    assert_eq!((h.magic, h.dims, h.gzip), (2051, vec![10000, 28, 28], true));
    let h = read_idx_header(dir.join(Split::Test.labels_file())).unwrap();
    assert_eq!((h.magic, h.dims), (2049, vec![10000]));
}

#[test]
fn full_load_mnist() {
    let Some(dir) = data_dir() else { return };
    if !dir.join(Split::Train.images_file()).exists() {
        eprintln!("skipping: no training set in {}", dir.display());
        return;
    }
    let ((x_train, t_train), (x_test, t_test)) = load_mnist(&dir, LoadOptions::default()).unwrap();
    assert_eq!(x_train.shape(), &[60000, 784]);
    assert_eq!(x_test.shape(), &[10000, 784]);
    let t_train = t_train.into_index().unwrap();
    // The training label counts of MNIST.
    assert_eq!(
        label_counts(&t_train),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(t_test.len(), 10000);
    // Python: x_train.mean() -> 0.13066062 (the reconstructed copy is within 1/255 per pixel)
    let x = x_train.into_f32_2d().unwrap();
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / x.len() as f64;
    assert!((mean - 0.1307).abs() < 5e-4, "mean pixel {mean}");
}

/// The `nn fetch --mirror NN_DATA_DIR` paths: the test files verify; the
/// training images verify only if they are the official file (the shared copy
/// is a reconstruction, so there it must be a checksum error, leaving nothing).
#[cfg(feature = "fetch")]
#[test]
fn fetch_from_the_data_dir_as_a_mirror() {
    use mnist_data::Error;
    use mnist_data::fetch::{FetchOptions, Source, TRAIN_IMAGES, What, fetch, verify_file};

    let Some(dir) = data_dir() else { return };
    let options = FetchOptions {
        mirror: Some(Source::Dir(dir.clone())),
        ..FetchOptions::default()
    };
    let out = tempfile::tempdir().unwrap();
    let paths = fetch(out.path(), What::Test, &options, &mut |_| {}).unwrap();
    assert_eq!(paths.len(), 2);
    assert_eq!(load_split(out.path(), Split::Test).unwrap().len(), 10000);

    let train_images = dir.join(TRAIN_IMAGES.name);
    if !train_images.exists() {
        return;
    }
    let official = verify_file(&train_images, &TRAIN_IMAGES).is_ok();
    let before = crate::common::files_in(out.path());
    match fetch(out.path(), What::Train, &options, &mut |_| {}) {
        Ok(_) => assert!(official, "a non-official train-images file was accepted"),
        Err(err) => {
            assert!(!official, "{err}");
            let Error::Checksum {
                file,
                expected,
                actual,
                ..
            } = &err
            else {
                panic!("{err:?}")
            };
            assert_eq!(file, TRAIN_IMAGES.name);
            assert_eq!(expected, TRAIN_IMAGES.sha256);
            assert_ne!(actual, expected);
            assert_eq!(
                crate::common::files_in(out.path()),
                before,
                "something was left behind"
            );
        }
    }
}
