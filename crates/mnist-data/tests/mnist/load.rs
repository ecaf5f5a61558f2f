use mnist_data::{
    Dataset, Error, Images, Labels, LoadOptions, Split, flatten, label_counts, load_mnist,
    load_split, normalize, one_hot_label, unflatten,
};
use ndarray::{Array1, Array2, ArrayD, array};

use crate::common::{files_in, fixture_labels, gz, idx_images, idx_labels, pattern, write_split};

const TRAIN_N: u32 = 12;
const TEST_N: u32 = 5;

fn fixture_dir(gzip: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_split(dir.path(), Split::Train, TRAIN_N, gzip);
    write_split(dir.path(), Split::Test, TEST_N, gzip);
    dir
}

#[test]
fn defaults_are_the_books() {
    // Python: def load_mnist(normalize=True, flatten=True, one_hot_label=False)
    assert_eq!(
        LoadOptions::default(),
        LoadOptions {
            normalize: true,
            flatten: true,
            one_hot_label: false
        }
    );
}

/// Loads the fixture with `options` and checks shapes, dtypes, values.
#[track_caller]
fn check(options: LoadOptions) {
    let dir = fixture_dir(true);
    let ((x_train, t_train), (x_test, t_test)) = load_mnist(dir.path(), options).unwrap();
    for (x, t, n) in [(x_train, t_train, TRAIN_N), (x_test, t_test, TEST_N)] {
        let n = n as usize;
        let shape: &[usize] = if options.flatten {
            &[n, 784]
        } else {
            &[n, 1, 28, 28]
        };
        assert_eq!(x.shape(), shape, "{options:?}");
        // Pixel (i, p) in C order, whatever the shape.
        match (&x, options.normalize) {
            (Images::F32(a), true) => {
                assert!(a.iter().all(|&v| (0.0..=1.0).contains(&v)));
                let flat: Vec<f32> = a.iter().copied().collect();
                assert_eq!(flat[3 * 784 + 100], f32::from(pattern(3, 100)) / 255.0);
                assert_eq!(a.iter().cloned().fold(f32::MIN, f32::max), 1.0);
            }
            (Images::U8(a), false) => {
                let flat: Vec<u8> = a.iter().copied().collect();
                assert_eq!(flat[3 * 784 + 100], pattern(3, 100));
                assert_eq!(a.iter().max(), Some(&255));
            }
            _ => panic!("wrong dtype for {options:?}: {x:?}"),
        }
        let labels = fixture_labels(n);
        match (&t, options.one_hot_label) {
            (Labels::OneHot(a), true) => {
                assert_eq!(a.dim(), (n, 10));
                for (row, &label) in a.rows().into_iter().zip(&labels) {
                    assert_eq!(row.sum(), 1.0);
                    assert_eq!(row[usize::from(label)], 1.0);
                }
            }
            (Labels::Index(a), false) => assert_eq!(a.to_vec(), labels),
            _ => panic!("wrong labels for {options:?}: {t:?}"),
        }
    }
}

#[test]
fn normalize_flatten() {
    check(LoadOptions {
        normalize: true,
        flatten: true,
        one_hot_label: false,
    });
}

#[test]
fn normalize_no_flatten() {
    check(LoadOptions {
        normalize: true,
        flatten: false,
        one_hot_label: false,
    });
}

#[test]
fn raw_flatten() {
    check(LoadOptions {
        normalize: false,
        flatten: true,
        one_hot_label: false,
    });
}

#[test]
fn raw_no_flatten() {
    check(LoadOptions {
        normalize: false,
        flatten: false,
        one_hot_label: false,
    });
}

#[test]
fn one_hot_with_each_image_form() {
    for (normalize, flatten) in [(true, true), (true, false), (false, true), (false, false)] {
        check(LoadOptions {
            normalize,
            flatten,
            one_hot_label: true,
        });
    }
}

#[test]
fn typed_accessors() {
    let dir = fixture_dir(false);
    let ((x_train, t_train), _) = load_mnist(dir.path(), LoadOptions::default()).unwrap();
    assert_eq!(x_train.len(), 12);
    assert!(x_train.as_u8().is_none());
    assert_eq!(x_train.clone().into_f32_4d(), None);
    assert_eq!(x_train.into_f32_2d().unwrap().dim(), (12, 784));
    assert_eq!(t_train.as_index().unwrap()[11], 1);
    let options = LoadOptions {
        normalize: false,
        flatten: false,
        one_hot_label: true,
    };
    let (_, (x_test, t_test)) = load_mnist(dir.path(), options).unwrap();
    assert_eq!(x_test.into_u8_4d().unwrap().dim(), (5, 1, 28, 28));
    assert_eq!(t_test.into_one_hot().unwrap().dim(), (5, 10));
}

#[test]
fn unzipped_files_load_too() {
    let dir = fixture_dir(false);
    assert!(files_in(dir.path()).iter().all(|f| !f.ends_with(".gz")));
    let test = load_split(dir.path(), Split::Test).unwrap();
    assert_eq!(test.images.dim(), (5, 784));
    assert_eq!(test.labels.to_vec(), vec![0, 1, 2, 3, 4]);
}

#[test]
fn test_split_does_not_touch_the_training_files() {
    let dir = tempfile::tempdir().unwrap();
    write_split(dir.path(), Split::Test, TEST_N, true);
    // Corrupt training files: loading the test split must not read them.
    std::fs::write(dir.path().join(Split::Train.images_file()), b"garbage").unwrap();
    std::fs::write(dir.path().join(Split::Train.labels_file()), b"garbage").unwrap();
    let test = load_split(dir.path(), Split::Test).unwrap();
    assert_eq!(test.len(), 5);
    assert!(matches!(
        load_split(dir.path(), Split::Train),
        Err(Error::UnknownFormat { .. })
    ));
}

#[test]
fn missing_test_files_say_how_to_fetch_them() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_split(dir.path(), Split::Test).unwrap_err();
    let Error::MissingFiles { files, what, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        files,
        &["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    );
    assert_eq!(*what, "test");
    let d = dir.path().display();
    assert_eq!(
        err.to_string(),
        format!(
            "missing mnist test files in {d}: expected t10k-images-idx3-ubyte.gz, \
             t10k-labels-idx1-ubyte.gz; fetch them with `nn fetch --data-dir {d} --what test`"
        )
    );
}

#[test]
fn missing_files_of_load_mnist() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing at all: all four, fetch `all`.
    let err = load_mnist(dir.path(), LoadOptions::default()).unwrap_err();
    assert!(
        matches!(&err, Error::MissingFiles { files, what: "all", .. } if files.len() == 4),
        "{err:?}"
    );
    // Only the training labels missing: that one file, fetch `train`.
    write_split(dir.path(), Split::Test, 2, true);
    write_split(dir.path(), Split::Train, 2, true);
    std::fs::remove_file(dir.path().join(Split::Train.labels_file())).unwrap();
    let err = load_mnist(dir.path(), LoadOptions::default()).unwrap_err();
    let Error::MissingFiles { files, what, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (files.as_slice(), *what),
        (&["train-labels-idx1-ubyte.gz".to_owned()][..], "train")
    );
    // A directory that does not exist is the same error.
    let err = load_split(dir.path().join("nowhere"), Split::Train).unwrap_err();
    assert!(matches!(err, Error::MissingFiles { .. }), "{err:?}");
}

#[test]
fn images_and_labels_must_agree_in_count() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(Split::Test.images_file()),
        gz(&idx_images(3, 28, 28, pattern)),
    )
    .unwrap();
    std::fs::write(
        dir.path().join(Split::Test.labels_file()),
        gz(&idx_labels(&[1, 2])),
    )
    .unwrap();
    let err = load_split(dir.path(), Split::Test).unwrap_err();
    assert!(
        matches!(
            err,
            Error::CountMismatch {
                image_count: 3,
                label_count: 2,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("t10k-images-idx3-ubyte.gz holds 3 images"),
        "{msg}"
    );
    assert!(
        msg.contains("t10k-labels-idx1-ubyte.gz holds 2 labels"),
        "{msg}"
    );
}

#[test]
fn an_error_in_either_split_is_reported_by_load_mnist() {
    let dir = fixture_dir(true);
    std::fs::write(
        dir.path().join(Split::Test.labels_file()),
        gz(&idx_labels(&[0, 1, 2, 3, 12])),
    )
    .unwrap();
    let err = load_mnist(dir.path(), LoadOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::LabelOutOfRange {
                index: 4,
                label: 12,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn normalize_is_the_books_f32_division() {
    // Python: x = np.arange(256, dtype=np.uint8).astype(np.float32); x /= 255.0
    let x: Array1<u8> = (0..=255).collect();
    let y = normalize(&x);
    for (p, v) in x.iter().zip(&y) {
        assert_eq!(*v, f32::from(*p) / 255.0);
    }
    assert_eq!((y[0], y[51], y[255]), (0.0, 0.2, 1.0));
    // Large enough to be split across threads; non-contiguous input too.
    let big = Array2::from_shape_fn((3000, 784), |(i, p)| pattern(i, p));
    let n = normalize(&big);
    assert_eq!(n[[2999, 783]], f32::from(pattern(2999, 783)) / 255.0);
    assert_eq!(n, big.mapv(|p| f32::from(p) / 255.0));
    let t = normalize(&big.t());
    assert_eq!(t, n.t());
}

#[test]
fn one_hot_label_rows() {
    // Python: _change_one_hot_label(np.array([7, 2, 1]))
    let t = one_hot_label(&array![7u8, 2, 1]).unwrap();
    assert_eq!(t.dim(), (3, 10));
    assert_eq!(t.sum_axis(ndarray::Axis(1)).to_vec(), vec![1.0; 3]);
    assert_eq!(
        (t[[0, 7]], t[[1, 2]], t[[2, 1]], t[[0, 0]]),
        (1.0, 1.0, 1.0, 0.0)
    );
    assert!(matches!(
        one_hot_label(&array![1u8, 10]),
        Err(Error::InvalidLabel {
            index: 1,
            label: 10
        })
    ));
}

#[test]
fn flatten_and_unflatten_round_trip() {
    let x = Array2::from_shape_fn((4, 784), |(i, p)| pattern(i, p));
    let nchw = unflatten(&x).unwrap();
    assert_eq!(nchw.dim(), (4, 1, 28, 28));
    assert_eq!(nchw[[2, 0, 3, 5]], x[[2, 3 * 28 + 5]]);
    assert_eq!(flatten(&nchw), x);
    // Fortran-ordered input keeps its logical order.
    let f = x.t().as_standard_layout().t().to_owned();
    assert_eq!(unflatten(&f).unwrap(), nchw);
    assert!(matches!(
        unflatten(&Array2::<u8>::zeros((2, 783))),
        Err(Error::BadShape { .. })
    ));
    assert_eq!(flatten(&ArrayD::<u8>::zeros(vec![2, 3, 4])).dim(), (2, 12));
}

#[test]
fn dataset_image_and_counts() {
    let images = Array2::from_shape_fn((3, 784), |(i, p)| pattern(i, p));
    let ds = Dataset {
        images,
        labels: array![5, 0, 5],
    };
    let (image, label) = ds.image(2).unwrap();
    assert_eq!((image.dim(), label), ((28, 28), 5));
    assert_eq!(image[[27, 27]], pattern(2, 783));
    assert!(matches!(
        ds.image(3),
        Err(Error::IndexOutOfRange { index: 3, len: 3 })
    ));
    assert_eq!(label_counts(&ds.labels), [1, 0, 0, 0, 0, 2, 0, 0, 0, 0]);
}

#[test]
fn large_splits_normalise_like_the_raw_pixels() {
    // Over a million pixels: the path that prepares the f32 output on
    // another thread and converts in parallel.
    let dir = tempfile::tempdir().unwrap();
    write_split(dir.path(), Split::Train, 1400, true);
    write_split(dir.path(), Split::Test, 3, true);
    let ((x, _), _) = load_mnist(dir.path(), LoadOptions::default()).unwrap();
    let raw = LoadOptions {
        normalize: false,
        ..LoadOptions::default()
    };
    let ((raw, _), _) = load_mnist(dir.path(), raw).unwrap();
    let x = x.into_f32_2d().unwrap();
    assert_eq!(x.dim(), (1400, 784));
    assert_eq!(x, raw.into_u8_2d().unwrap().mapv(|p| f32::from(p) / 255.0));
}

#[test]
fn normalised_loading_equals_normalize_of_the_raw_pixels() {
    // load_mnist(normalize=True) decompresses and normalises in blocks of
    // 2048 images on two threads: 4100 images cross two block boundaries.
    let dir = tempfile::tempdir().unwrap();
    write_split(dir.path(), Split::Train, 4100, true);
    write_split(dir.path(), Split::Test, 3, false);
    let load = |normalize| {
        let options = LoadOptions {
            normalize,
            ..LoadOptions::default()
        };
        load_mnist(dir.path(), options).unwrap()
    };
    let ((x, t), (x_test, _)) = load(true);
    let ((raw, t_raw), (raw_test, _)) = load(false);
    let (Images::F32(x), Images::U8(raw)) = (x, raw) else {
        panic!("wrong dtypes");
    };
    assert_eq!(x, normalize(&raw));
    assert_eq!(x.shape(), [4100, 784]);
    assert_eq!(t, t_raw);
    let (Images::F32(x_test), Images::U8(raw_test)) = (x_test, raw_test) else {
        panic!("wrong dtypes");
    };
    assert_eq!(x_test, normalize(&raw_test));

    // A file cut inside the second block: the error of a whole read.
    let images = dir.path().join(Split::Train.images_file());
    let unzipped = idx_images(4100, 28, 28, pattern);
    std::fs::write(&images, gz(&unzipped[..16 + 3000 * 784])).unwrap();
    let err = load_mnist(dir.path(), LoadOptions::default()).unwrap_err();
    assert!(
        matches!(err, Error::Truncated { found, .. } if found == 16 + 3000 * 784),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        mnist_data::read_images(&images).unwrap_err().to_string()
    );
}
