//! Files: format by extension, atomic writes, errors naming the path, and
//! the book's own sample_weight.pkl when NN_DATA_DIR is set.

use std::path::{Path, PathBuf};

use ndarray::array;
use nn_core::Error;
use nn_core::io::{
    Format, TensorData, Tensors, read_pickle, read_safetensors, read_tensors, require,
    write_pickle, write_tensors,
};

fn sample() -> Tensors {
    Tensors::from([
        (
            "W1".to_owned(),
            TensorData::from(array![[0.1_f32, 0.3, 0.5], [0.2, 0.4, 0.6]]),
        ),
        ("b1".to_owned(), TensorData::from(array![0.1_f64, 0.2, 0.3])),
    ])
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_extension_chooses_the_format() {
    let dir = tempfile::tempdir().unwrap();
    for (name, format) in [
        ("w.pkl", Format::Pickle),
        ("w.PKL", Format::Pickle),
        ("w.pickle", Format::Pickle),
        ("w.safetensors", Format::SafeTensors),
    ] {
        assert_eq!(Format::from_path(name).unwrap(), format);
        let path = dir.path().join(name);
        write_tensors(&path, &sample()).unwrap();
        assert_eq!(read_tensors(&path).unwrap(), sample(), "{name}");
    }
    // Each file is in its own format.
    assert_eq!(read_pickle(dir.path().join("w.pickle")).unwrap(), sample());
    assert_eq!(
        read_safetensors(dir.path().join("w.safetensors")).unwrap(),
        sample()
    );
    assert!(matches!(
        read_pickle(dir.path().join("w.safetensors")),
        Err(Error::NotAPickle { .. })
    ));
}

#[test]
fn unknown_extensions_are_named() {
    for (name, message) in [
        (
            "w.npz",
            "w.npz: unknown weight-file extension '.npz' (expected .pkl, .pickle or .safetensors)",
        ),
        (
            "weights",
            "weights: unknown weight-file extension (none) (expected .pkl, .pickle or .safetensors)",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let err = write_tensors(dir.path().join(name), &sample()).unwrap_err();
        assert!(matches!(err, Error::UnknownExtension { .. }));
        assert!(file_names(dir.path()).is_empty(), "nothing written");
        assert_eq!(read_tensors(name).unwrap_err().to_string(), message);
    }
}

#[test]
fn writing_replaces_the_file_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.pkl");
    std::fs::write(&path, b"old contents").unwrap();
    write_pickle(&path, &sample()).unwrap();
    assert_eq!(read_pickle(&path).unwrap(), sample());
    assert_eq!(file_names(dir.path()), ["w.pkl"]);
}

#[cfg(unix)]
#[test]
fn written_files_get_the_usual_permissions() {
    // Not the 0o600 of a temporary file: what File::create gives here.
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference");
    std::fs::File::create(&reference).unwrap();
    let path = dir.path().join("w.safetensors");
    write_tensors(&path, &sample()).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), mode(&reference));
}

#[test]
fn io_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pkl");
    let err = read_pickle(&missing).unwrap_err();
    assert!(matches!(&err, Error::Io { path, .. } if *path == missing));
    assert_eq!(
        err.to_string(),
        format!(
            "i/o error on {}: No such file or directory (os error 2)",
            missing.display()
        )
    );
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("No such file"), "{source}");

    let nowhere = dir.path().join("no/such/dir/w.safetensors");
    assert!(
        matches!(write_tensors(&nowhere, &sample()), Err(Error::Io { path, .. }) if path == nowhere)
    );
}

#[test]
fn a_missing_key_is_named() {
    let t = sample();
    assert_eq!(require(&t, "W1", "w.pkl").unwrap().shape(), &[2, 3]);
    let err = require(&t, "W2", "w.pkl").unwrap_err();
    assert!(matches!(&err, Error::MissingKey { key, .. } if key == "W2"));
    assert_eq!(err.to_string(), "w.pkl has no array named 'W2'");
}

/// The book's `sample_weight.pkl` in `NN_DATA_DIR`, if there.
fn sample_weight() -> Option<PathBuf> {
    let dir = std::env::var_os("NN_DATA_DIR")?;
    let path = Path::new(&dir).join("sample_weight.pkl");
    path.is_file().then_some(path)
}

#[test]
fn the_books_sample_weights_load() {
    let Some(path) = sample_weight() else {
        println!("skipping: set NN_DATA_DIR");
        return;
    };
    let t = read_pickle(&path).unwrap();
    let shapes: Vec<(&str, &[usize], &str)> = t
        .iter()
        .map(|(k, v)| (k.as_str(), v.shape(), v.dtype()))
        .collect();
    assert_eq!(
        shapes,
        [
            ("W1", &[784, 50][..], "float32"),
            ("W2", &[50, 100], "float32"),
            ("W3", &[100, 10], "float32"),
            ("b1", &[50], "float32"),
            ("b2", &[100], "float32"),
            ("b3", &[10], "float32"),
        ]
    );
    let get = |k: &str, i: &[usize]| match &t[k] {
        TensorData::F32(a) => a[i].to_bits(),
        TensorData::F64(_) => panic!("{k} is float64"),
    };
    // Bit patterns printed by NumPy 2.4:
    //     d = pickle.load(open('sample_weight.pkl', 'rb'))
    //     d['W1'][0, 1].view(np.uint32)   # and so on
    // W1[0, 1] = -0.007904391 and W1[1, 0] = -0.01029745: reading the
    // Fortran-ordered bytes as row-major would swap them.
    assert_eq!(get("W1", &[0, 1]), 3_154_215_275);
    assert_eq!(get("W1", &[1, 0]), 3_156_784_803);
    assert_eq!(f32::from_bits(get("W1", &[783, 49])), -0.040_211_476);
    assert_eq!(get("W2", &[0, 99]), 1_025_662_996);
    assert_eq!(get("W2", &[1, 0]), 1_050_224_045);
    assert_eq!(get("W3", &[99, 9]), 1_023_550_227);
    assert_eq!(get("b3", &[0]), 3_178_675_727);
    assert_eq!(get("b3", &[9]), 1_029_311_326);
    // Written back and read again, nothing changes.
    let dir = tempfile::tempdir().unwrap();
    for name in ["copy.pkl", "copy.safetensors"] {
        let copy = dir.path().join(name);
        write_tensors(&copy, &t).unwrap();
        assert_eq!(read_tensors(&copy).unwrap(), t);
    }
}
