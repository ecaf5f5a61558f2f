//! Training speed of the book's network (784-50-10, sigmoid, batch 100) on
//! MNIST-shaped synthetic data: u8 pixels, about a fifth of them non-zero,
//! like MNIST's.
//!
//! The targets (the book's NumPy on the same 2-core machine): a training
//! iteration 0.79 ms, a whole-set evaluation (70 000 images) 0.33-0.41 s,
//! one `numerical_gradient` of the network with a batch of 100 28-31 s.
//! The whole `train_neuralnet.py` run (10 000 iterations, 17 evaluations)
//! takes about 17 s; `nn train` is measured end to end on the real data.
//!
//! Run with `cargo bench -p nn-grad --bench train`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use nn_grad::{
    Dataset, Inputs, Mlp, Targets, TrainConfig, TrainSets, TwoLayerNet, evaluate, train,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// `n` 28×28 "images": a blob of strokes in the centre (MNIST digits cover
/// about 19 % of the pixels), labels 0-9.
fn images(n: usize, seed: u64) -> (Array2<u8>, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((n, 784), |(_, j)| {
        let (r, c) = (j / 28, j % 28);
        let centre = (6..22).contains(&r) && (6..22).contains(&c);
        if centre && rng.random_bool(0.5) {
            rng.random_range(1..=255)
        } else {
            0
        }
    });
    let t = (0..n).map(|_| rng.random_range(0..10)).collect();
    (x, t)
}

fn book_net<T: nn_core::Float>() -> Mlp<T> {
    TwoLayerNet::new(784, 50, 10, 0.01, &mut StdRng::seed_from_u64(0))
        .unwrap()
        .into_mlp()
}

fn bench(c: &mut Criterion) {
    let (x, t) = images(10_000, 1);
    let mut group = c.benchmark_group("train");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));

    // 200 SGD iterations with batches drawn from 10 000 images; the epoch is
    // longer than the run, so only the first and last measurements (on 1 000
    // images) are included.
    let (probe_x, probe_t) = images(1_000, 2);
    for dtype in ["f32", "f64"] {
        group.bench_function(format!("200_iterations_{dtype}"), |b| {
            b.iter(|| {
                let config = TrainConfig {
                    iters: 200,
                    ..TrainConfig::default()
                };
                let mut rng = StdRng::seed_from_u64(0);
                if dtype == "f32" {
                    let sets = TrainSets {
                        train: Dataset::new(Inputs::<f32>::pixels(x.view()), Targets::from(&t))
                            .unwrap(),
                        validation: None,
                        test: Some(
                            Dataset::new(Inputs::pixels(probe_x.view()), Targets::from(&probe_t))
                                .unwrap(),
                        ),
                    };
                    let mut net = book_net::<f32>();
                    black_box(train(&mut net, &sets, &config, &mut rng, |_| ()).unwrap());
                } else {
                    let sets = TrainSets {
                        train: Dataset::new(Inputs::<f64>::pixels(x.view()), Targets::from(&t))
                            .unwrap(),
                        validation: None,
                        test: Some(
                            Dataset::new(Inputs::pixels(probe_x.view()), Targets::from(&probe_t))
                                .unwrap(),
                        ),
                    };
                    let mut net = book_net::<f64>();
                    black_box(train(&mut net, &sets, &config, &mut rng, |_| ()).unwrap());
                }
            });
        });
    }

    // Accuracy and loss of 10 000 images (a seventh of the book's
    // per-epoch evaluation of the training and test sets).
    let net = book_net::<f32>();
    let set = Dataset::new(Inputs::<f32>::pixels(x.view()), Targets::from(&t)).unwrap();
    group.bench_function("evaluate_10000_f32", |b| {
        b.iter(|| black_box(evaluate(&net, &set, 1000).unwrap()));
    });

    // One gradient of a batch of 100, backprop and the structured numerical
    // gradient (f64, as a gradient check is done).
    let xb = x
        .slice(ndarray::s![..100, ..])
        .mapv(|p| f64::from(f32::from(p) / 255.0));
    let tb = &t[..100];
    let net = book_net::<f64>();
    group.bench_function("backprop_batch100_f64", |b| {
        b.iter(|| black_box(net.gradient(&xb, tb).unwrap()));
    });
    group.bench_function("numerical_gradient_fast_batch100_f64", |b| {
        b.iter(|| black_box(net.numerical_gradient_fast(&xb, tb).unwrap()));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
