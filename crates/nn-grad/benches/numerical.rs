//! The gradient of the book's two-layer network loss by central differences
//! (chapter 4, `TwoLayerNet.numerical_gradient`): 784-50-10, batch 100,
//! 39 760 parameters, 79 520 loss evaluations.
//!
//! One loss evaluation is two matrix products, 2·100·784·50 + 2·100·50·10 =
//! 7.94 MFLOP, so a full gradient is about 631 GFLOP of f64 work. The book's
//! NumPy takes 28-31 s for it. Run with `cargo bench -p nn-grad`; filter with
//! e.g. `cargo bench -p nn-grad -- gradient/parallel`. The NumPy figure:
//! `python3 bench/numpy_reference.py time numgrad --data-dir DIR` (or
//! `cargo xtask bench`, which runs both sides in turn).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use nn_grad::{numerical_gradient, numerical_gradient_par};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

const INPUT: usize = 784;
const HIDDEN: usize = 50;
const OUTPUT: usize = 10;
const BATCH: usize = 100;
/// Multiply-adds of one forward pass, counted as 2 FLOP each.
const FLOP_PER_LOSS: f64 = 2.0 * (BATCH * INPUT * HIDDEN + BATCH * HIDDEN * OUTPUT) as f64;

/// The book's `TwoLayerNet` parameters (weights ~ 0.01·N(0, 1), zero biases)
/// and a random batch: pixels in [0, 1), labels in 0..10.
struct Problem {
    w1: Array2<f64>,
    b1: Array1<f64>,
    w2: Array2<f64>,
    b2: Array1<f64>,
    x: Array2<f64>,
    t: Vec<usize>,
}

impl Problem {
    fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let normal = Normal::new(0.0, 0.01).unwrap();
        let mut weights =
            |shape: (usize, usize)| Array2::from_shape_simple_fn(shape, || normal.sample(&mut rng));
        let w1 = weights((INPUT, HIDDEN));
        let w2 = weights((HIDDEN, OUTPUT));
        let x = Array2::from_shape_simple_fn((BATCH, INPUT), || rng.random::<f64>());
        let t = (0..BATCH).map(|_| rng.random_range(0..OUTPUT)).collect();
        Self {
            w1,
            b1: Array1::zeros(HIDDEN),
            w2,
            b2: Array1::zeros(OUTPUT),
            x,
            t,
        }
    }

    /// `cross_entropy_error(softmax(sigmoid(x·W1 + b1)·W2 + b2), t)`: the
    /// book's `predict` and `loss` in plain ndarray.
    fn loss(
        &self,
        w1: &ArrayView2<f64>,
        b1: &ArrayView1<f64>,
        w2: &ArrayView2<f64>,
        b2: &ArrayView1<f64>,
    ) -> f64 {
        let mut a1 = self.x.dot(w1);
        a1 += b1;
        a1.mapv_inplace(|v| 1.0 / (1.0 + (-v).exp()));
        let mut a2 = a1.dot(w2);
        a2 += b2;
        let mut total = 0.0;
        for (row, &label) in a2.rows().into_iter().zip(&self.t) {
            let max = row.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
            let sum: f64 = row.iter().map(|&v| (v - max).exp()).sum();
            let y = (row[label] - max).exp() / sum;
            total -= (y + 1e-7).ln();
        }
        total / self.t.len() as f64
    }

    fn params(&self) -> usize {
        self.w1.len() + self.b1.len() + self.w2.len() + self.b2.len()
    }

    /// The gradient of every parameter, as the book's
    /// `TwoLayerNet.numerical_gradient` computes it.
    fn gradient_par(&self) -> [f64; 4] {
        let (w1, b1, w2, b2) = (
            self.w1.view(),
            self.b1.view(),
            self.w2.view(),
            self.b2.view(),
        );
        let g_w1 = numerical_gradient_par(|w| self.loss(w, &b1, &w2, &b2), &w1);
        let g_b1 = numerical_gradient_par(|b| self.loss(&w1, b, &w2, &b2), &b1);
        let g_w2 = numerical_gradient_par(|w| self.loss(&w1, &b1, w, &b2), &w2);
        let g_b2 = numerical_gradient_par(|b| self.loss(&w1, &b1, &w2, b), &b2);
        [g_w1.sum(), g_b1.sum(), g_w2.sum(), g_b2.sum()]
    }

    fn gradient_seq(&self) -> [f64; 4] {
        let (w1, b1, w2, b2) = (
            self.w1.view(),
            self.b1.view(),
            self.w2.view(),
            self.b2.view(),
        );
        let g_w1 = numerical_gradient(|w| self.loss(w, &b1, &w2, &b2), &w1);
        let g_b1 = numerical_gradient(|b| self.loss(&w1, b, &w2, &b2), &b1);
        let g_w2 = numerical_gradient(|w| self.loss(&w1, &b1, w, &b2), &w2);
        let g_b2 = numerical_gradient(|b| self.loss(&w1, &b1, &w2, b), &b2);
        [g_w1.sum(), g_b1.sum(), g_w2.sum(), g_b2.sum()]
    }
}

fn bench(c: &mut Criterion) {
    let p = Problem::new(42);
    assert_eq!(p.params(), 39_760);

    let mut one = c.benchmark_group("loss");
    one.throughput(Throughput::Elements(FLOP_PER_LOSS as u64));
    one.bench_function("784-50-10 batch 100", |b| {
        b.iter(|| p.loss(&p.w1.view(), &p.b1.view(), &p.w2.view(), &p.b2.view()))
    });
    one.finish();

    // Whole gradients take seconds: few samples, no warm-up to speak of.
    let mut full = c.benchmark_group("gradient");
    full.sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(60))
        .throughput(Throughput::Elements(p.params() as u64));
    full.bench_function("parallel 784-50-10", |b| {
        b.iter(|| black_box(p.gradient_par()))
    });
    full.bench_function("sequential 784-50-10", |b| {
        b.iter(|| black_box(p.gradient_seq()))
    });
    full.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
