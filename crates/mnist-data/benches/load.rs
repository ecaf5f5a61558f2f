//! Loading MNIST from the gz files, against the book's NumPy `load_mnist`.
//!
//! Reads the files in `NN_DATA_DIR` (prints a skip message when unset):
//!
//! ```text
//! NN_DATA_DIR=../shared/data cargo bench -p mnist-data --bench load
//! python3 bench/numpy_reference.py time load-test load-full-first load-full-cached \
//!     --data-dir ../shared/data   # the NumPy figures (cargo xtask bench runs both sides)
//! ```

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::Criterion;
use mnist_data::{LoadOptions, Split, load_mnist, load_split, normalize, read_images};

fn benches(c: &mut Criterion, dir: &Path) {
    let mut group = c.benchmark_group("mnist");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    // The book's `load_mnist()` with its defaults: train and test, f32 / 255.
    group.bench_function("load_mnist train+test, normalize (from gz)", |b| {
        b.iter(|| black_box(load_mnist(dir, LoadOptions::default()).unwrap()));
    });
    // What inference needs: the test split as (10000, 784) f32.
    group.bench_function("test split + normalize (from gz)", |b| {
        b.iter(|| {
            let test = load_split(dir, Split::Test).unwrap();
            black_box((normalize(&test.images), test.labels))
        });
    });
    // What training keeps: raw u8 pixels.
    group.bench_function("train split, raw u8 (from gz)", |b| {
        b.iter(|| black_box(load_split(dir, Split::Train).unwrap()));
    });
    group.bench_function("inflate + parse train images only", |b| {
        let path = dir.join(Split::Train.images_file());
        b.iter(|| black_box(read_images(&path).unwrap()));
    });
    let train = load_split(dir, Split::Train).unwrap();
    group.bench_function("normalize train images (60000x784)", |b| {
        b.iter(|| black_box(normalize(&train.images)));
    });
    group.finish();
}

fn main() {
    let Some(dir) = std::env::var_os("NN_DATA_DIR").filter(|d| !d.is_empty()) else {
        println!("skipping: set NN_DATA_DIR");
        return;
    };
    let dir = PathBuf::from(dir);
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c, &dir);
    c.final_summary();
}
