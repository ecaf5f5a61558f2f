use ndarray::{Array1, Array2, ArrayView2, array};
use nn_core::{cross_entropy_error, softmax};
use nn_grad::{numerical_gradient, numerical_gradient_par};

// class simpleNet:
//     def predict(self, x):
//         return np.dot(x, self.W)
//     def loss(self, x, t):
//         z = self.predict(x)
//         y = softmax(z)
//         loss = cross_entropy_error(y, t)
//         return loss
// net = simpleNet()      # the book's draw of np.random.randn(2, 3):
// print(net.W)           # [[ 0.47355232  0.9977393   0.84668094]
//                        #  [ 0.85557411  0.03563661  0.69422093]]
// x = np.array([0.6, 0.9])
// p = net.predict(x)     # [ 1.05414809  0.63071653  1.1328074 ]
// t = np.array([0, 0, 1])
// net.loss(x, t)         # 0.92806853663411326 (0.9280685366341133 as f64)
// f = lambda w: net.loss(x, t)
// dW = numerical_gradient(f, net.W)
// print(dW)              # [[ 0.21924763  0.14356247 -0.36281009]
//                        #  [ 0.32887144  0.21534371 -0.54421514]]
fn book_w() -> Array2<f64> {
    array![
        [0.47355232, 0.9977393, 0.84668094],
        [0.85557411, 0.03563661, 0.69422093]
    ]
}

fn loss(w: &ArrayView2<f64>, x: &Array1<f64>, label: usize) -> f64 {
    let z = x.dot(w);
    let y = softmax(&z);
    cross_entropy_error(&y, &label).unwrap()
}

#[test]
fn simple_net_loss_and_gradient_match_the_book() {
    let (w, x) = (book_w(), array![0.6, 0.9]);
    // W is printed to 8 decimals, so the book's values agree to about 1e-8.
    let p = x.dot(&w);
    assert!(
        (&p - &array![1.05414809, 0.63071653, 1.1328074])
            .iter()
            .all(|d| d.abs() < 1e-7)
    );
    // The book's printed loss is -log(y_2) without the 1e-7 guard inside the
    // logarithm (same W to 8 decimals: 0.9280685387); with the guard of
    // `common/functions.py` the loss is 1e-7 / y_2 = 2.5e-7 lower.
    let y = softmax(&p);
    assert!((-y[2].ln() - 0.9280685366341133).abs() < 1e-8);
    let l = loss(&w.view(), &x, 2);
    assert!((l - (-(y[2] + 1e-7).ln())).abs() < 1e-15);
    assert!((l - 0.9280685366341133).abs() < 3e-7, "{l}");

    let book = array![
        [0.21924763, 0.14356247, -0.36281009],
        [0.32887144, 0.21534371, -0.54421514]
    ];
    // Its printed gradient, too, is that of the unguarded loss.
    let unguarded = |w: &ArrayView2<f64>| -softmax(&x.dot(w))[2].ln();
    let dw = numerical_gradient(unguarded, &w);
    assert!((&dw - &book).iter().all(|d| d.abs() < 2e-8), "{dw}");
    let dw = numerical_gradient(|w| loss(w, &x, 2), &w);
    assert!((&dw - &book).iter().all(|d| d.abs() < 2e-7), "{dw}");
    assert_eq!(numerical_gradient_par(|w| loss(w, &x, 2), &w), dw);
}

#[test]
fn simple_net_gradient_rows_sum_to_zero_and_match_the_analytic_gradient() {
    let (w, x, label) = (book_w(), array![0.6, 0.9], 2);
    let dw = numerical_gradient(|w| loss(w, &x, label), &w);
    // Softmax is invariant to adding a constant to every score, so moving a
    // whole row of W together does not change the loss.
    for row in dw.rows() {
        assert!(row.sum().abs() < 1e-9, "{row}");
    }
    // Analytic: E = -log(y_t + 1e-7) gives dE/dz_j = y_t / (y_t + 1e-7) * (y_j - [j = t])
    // and dE/dW = outer(x, dE/dz).
    let y = softmax(&x.dot(&w));
    let scale = y[label] / (y[label] + 1e-7);
    let mut dz = y.mapv(|v| scale * v);
    dz[label] -= scale;
    let exact = Array2::from_shape_fn((2, 3), |(i, j)| x[i] * dz[j]);
    let worst = (&dw - &exact).iter().fold(0.0_f64, |m, d| m.max(d.abs()));
    assert!(worst < 1e-6, "largest difference {worst:e}");
}
