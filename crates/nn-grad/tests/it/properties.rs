use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use nn_grad::{numerical_gradient, numerical_gradient_par, py_repr};
use proptest::prelude::*;

/// A random quadratic `f(x) = ½ xᵀAx + bᵀx` (A symmetric) and a point.
fn quadratic() -> impl Strategy<Value = (Array2<f64>, Array1<f64>, Array1<f64>)> {
    (1usize..7).prop_flat_map(|n| {
        (
            proptest::collection::vec(-5.0..5.0_f64, n * n),
            proptest::collection::vec(-5.0..5.0_f64, n),
            proptest::collection::vec(-5.0..5.0_f64, n),
        )
            .prop_map(move |(a, b, x)| {
                let a = Array2::from_shape_vec((n, n), a).unwrap();
                let a = (&a + &a.t()) / 2.0;
                (a, Array1::from(b), Array1::from(x))
            })
    })
}

fn eval(a: &Array2<f64>, b: &Array1<f64>, x: &ArrayView1<f64>) -> f64 {
    0.5 * x.dot(&a.dot(x)) + b.dot(x)
}

proptest! {
    // Central differences are exact for quadratics up to rounding, so the
    // numerical gradient matches Ax + b to 1e-6 relative.
    #[test]
    fn numerical_matches_exact_gradient_of_quadratics((a, b, x) in quadratic()) {
        let g = numerical_gradient(|x| eval(&a, &b, x), &x);
        let exact = a.dot(&x) + &b;
        for (num, ex) in g.iter().zip(&exact) {
            prop_assert!((num - ex).abs() <= 1e-6 * ex.abs().max(1.0), "{num} vs {ex}");
        }
    }

    // Threads change nothing: every element runs the same float operations.
    #[test]
    fn parallel_equals_sequential_bit_for_bit(
        rows in 1usize..9,
        cols in 1usize..9,
        seed in proptest::collection::vec(-3.0..3.0_f64, 64),
    ) {
        let w = Array2::from_shape_fn((rows, cols), |(i, j)| seed[(i * cols + j) % 64] + i as f64);
        let f = |w: &ArrayView2<f64>| {
            w.indexed_iter().map(|((i, j), &v)| (v * (i + 2 * j + 1) as f64).sin()).sum::<f64>()
                * w.sum().cosh()
        };
        let seq = numerical_gradient(f, &w);
        let par = numerical_gradient_par(f, &w);
        prop_assert_eq!(seq.mapv(f64::to_bits), par.mapv(f64::to_bits));
    }

    // What Python prints reads back as the same float.
    #[test]
    fn py_repr_round_trips(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        let s = py_repr(x);
        prop_assert_eq!(s.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{}", s);
        prop_assert!(s.contains('.') || s.contains('e'), "{}", s);
    }
}
