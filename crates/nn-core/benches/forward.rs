//! The forward pass's hot paths: the activations on batches, and inference
//! over the MNIST test set with the book's `sample_weight.pkl`.
//!
//! The inference group reads `NN_DATA_DIR` (the gz files and the pickle) and
//! is skipped when it is unset:
//!
//! ```text
//! NN_DATA_DIR=../shared/data cargo bench -p nn-core --bench forward
//! cargo xtask bench            # the same work side by side with NumPy
//! ```

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use ndarray::Array2;
use nn_core::{Activation, Network, Output, sigmoid, softmax};

/// A deterministic batch of values in about [-8, 8].
fn batch(rows: usize, cols: usize) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        ((i * 31 + j * 17) % 1601) as f32 / 100.0 - 8.0
    })
}

fn activations(c: &mut Criterion) {
    let mut group = c.benchmark_group("activation");
    for (rows, cols) in [(100, 10), (10_000, 100)] {
        let x = batch(rows, cols);
        let id = format!("{rows}x{cols}");
        group.throughput(Throughput::Elements((rows * cols) as u64));
        group.bench_with_input(BenchmarkId::new("sigmoid f32", &id), &x, |b, x| {
            b.iter(|| black_box(sigmoid(x)));
        });
        group.bench_with_input(BenchmarkId::new("softmax f32", &id), &x, |b, x| {
            b.iter(|| black_box(softmax(x)));
        });
    }
    group.finish();
}

fn inference(c: &mut Criterion, dir: &Path) {
    let test = mnist_data::load_split(dir, mnist_data::Split::Test).unwrap();
    let x = test.normalized_images();
    let tensors = nn_core::io::read_tensors(dir.join("sample_weight.pkl")).unwrap();
    let net: Network<f32> =
        Network::from_tensors(&tensors, Activation::Sigmoid, Output::Softmax).unwrap();
    let mut group = c.benchmark_group("inference");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(x.nrows() as u64));
    // The book's loops over the 10 000 test images: argmax of each forward pass.
    for batch in [1, 100, 10_000] {
        group.bench_function(
            BenchmarkId::new("predict_classes 10000 images", batch),
            |b| {
                b.iter(|| black_box(net.predict_classes(&x, batch).unwrap()));
            },
        );
    }
    // One forward pass of a batch of 100, probabilities out.
    let x100 = x.slice(ndarray::s![..100, ..]);
    group.throughput(Throughput::Elements(100));
    group.bench_function("predict batch 100", |b| {
        b.iter(|| black_box(net.predict(&x100).unwrap()));
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    activations(&mut c);
    match std::env::var_os("NN_DATA_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => inference(&mut c, Path::new(&dir)),
        None => println!("skipping the inference benches: set NN_DATA_DIR"),
    }
    c.final_summary();
}
