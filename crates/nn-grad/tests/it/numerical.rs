use ndarray::{Array, Array1, ArrayView1, Axis, IxDyn, ShapeBuilder, array};
use nn_grad::{
    function_1, function_2, numerical_diff, numerical_gradient, numerical_gradient_par,
    numerical_gradient_rows, tangent_line,
};

// def function_1(x):
//     return 0.01*x**2 + 0.1*x
// print(numerical_diff(function_1, 5))    # 0.1999999999990898
// print(numerical_diff(function_1, 10))   # 0.2999999999986347
#[test]
fn numerical_diff_of_function_1_matches_the_book() {
    #[track_caller]
    fn check(x: f64, expect: f64) {
        assert_eq!(numerical_diff(function_1, x), expect, "at x = {x}");
    }
    check(5.0, 0.1999999999990898);
    check(10.0, 0.2999999999986347);
}

// tf = tangent_line(function_1, 5)
// y2 = tf(x)          # y = d*x + (function_1(5) - d*5)
// function_1(5) - 0.1999999999990898*5   # -0.24999999999544897
// function_1(10) - 0.2999999999986347*10 # -0.9999999999863469
#[test]
fn tangent_line_matches_the_book() {
    #[track_caller]
    fn check(x: f64, slope: f64, intercept: f64) {
        let line = tangent_line(function_1, x);
        assert_eq!(
            (line.slope, line.intercept),
            (slope, intercept),
            "at x = {x}"
        );
        // It touches the curve at x.
        assert!((line.at(x) - function_1(x)).abs() < 1e-12);
    }
    check(5.0, 0.1999999999990898, -0.24999999999544897);
    check(10.0, 0.2999999999986347, -0.9999999999863469);
}

// def function_2(x):
//     return np.sum(x**2)
// numerical_gradient(|x| function_2(x), np.array([3.0, 4.0]))  # array([6.00000000000378, 7.999999999999119])
// numerical_gradient(|x| function_2(x), np.array([0.0, 2.0]))  # array([0.        , 4.000000000004])
// numerical_gradient(|x| function_2(x), np.array([3.0, 0.0]))  # array([6.000000000012662, 0.        ])
#[test]
fn numerical_gradient_of_function_2_matches_the_book() {
    #[track_caller]
    fn check(at: [f64; 2], expect: [f64; 2]) {
        let x = Array1::from(at.to_vec());
        let g = numerical_gradient(|x| function_2(x), &x);
        assert_eq!(g.to_vec(), expect.to_vec(), "sequential at {at:?}");
        let g = numerical_gradient_par(|x| function_2(x), &x);
        assert_eq!(g.to_vec(), expect.to_vec(), "parallel at {at:?}");
        let g = numerical_gradient_rows(|p| function_2(p), &x.view().insert_axis(Axis(0)));
        assert_eq!(g.row(0).to_vec(), expect.to_vec(), "rows at {at:?}");
    }
    check([3.0, 4.0], [6.00000000000378, 7.999999999999119]);
    check([0.0, 2.0], [0.0, 4.000000000004]);
    check([3.0, 0.0], [6.000000000012662, 0.0]);
}

// gradient_2d.py: grad = numerical_gradient(|x| function_2(x), np.array([X, Y]).T)
#[test]
fn numerical_gradient_rows_gives_one_gradient_per_point() {
    let points = array![[3.0, 4.0], [0.0, 2.0], [3.0, 0.0], [-1.5, 0.25]];
    let g = numerical_gradient_rows(|p: &ArrayView1<f64>| function_2(p), &points);
    assert_eq!(g.shape(), &[4, 2]);
    for (row, point) in g.rows().into_iter().zip(points.rows()) {
        assert_eq!(row, numerical_gradient(|x| function_2(x), &point));
    }
    // A non-contiguous batch (points as columns, transposed) gives the same.
    let columns = points.t().to_owned();
    assert_eq!(numerical_gradient_rows(|p| function_2(p), &columns.t()), g);
}

#[test]
fn numerical_gradient_of_a_weight_matrix_is_elementwise() {
    // f(W) = sum(W**2) * (1 + W[0, 1]): the gradient of each element differs.
    let w = array![[0.5, -1.0, 2.0], [1.5, 0.0, -0.25]];
    let f = |w: &ndarray::ArrayView2<f64>| w.mapv(|v| v * v).sum() * (1.0 + w[[0, 1]]);
    let g = numerical_gradient(f, &w);
    let s = w.mapv(|v| v * v).sum();
    let mut exact = w.mapv(|v| 2.0 * v * (1.0 + w[[0, 1]]));
    exact[[0, 1]] += s;
    assert_eq!(g.shape(), &[2, 3]);
    assert!(
        (&g - &exact).iter().all(|d| d.abs() < 1e-7),
        "{g} vs {exact}"
    );
}

#[test]
fn gradients_of_any_layout_follow_logical_order() {
    // Fortran order, a transposed view and a 3-D dynamic-dimension array all
    // give the gradient at the same logical index.
    let f = |x: &ndarray::ArrayView2<f64>| {
        x.indexed_iter()
            .map(|(i, &v)| (i.0 + 1) as f64 * v * v)
            .sum::<f64>()
    };
    let c = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let fortran = {
        let mut a = Array::zeros((2, 3).f());
        a.assign(&c);
        a
    };
    let expect = numerical_gradient(f, &c);
    assert_eq!(numerical_gradient(f, &fortran), expect);
    assert_eq!(numerical_gradient_par(f, &fortran), expect);
    let t = c.t().to_owned();
    assert_eq!(numerical_gradient(f, &t.t()), expect);
    assert_eq!(numerical_gradient_par(f, &t.t()), expect);

    let cube = Array::from_shape_fn(IxDyn(&[2, 3, 4]), |i| {
        (i[0] * 12 + i[1] * 4 + i[2]) as f64 / 10.0
    });
    let g = numerical_gradient_par(|x| function_2(x), &cube);
    assert_eq!(g.shape(), &[2, 3, 4]);
    assert!((&g - &(2.0 * &cube)).iter().all(|d| d.abs() < 1e-9));
}

#[test]
fn empty_arrays_have_empty_gradients() {
    let empty = Array1::<f64>::zeros(0);
    assert_eq!(numerical_gradient(|x| function_2(x), &empty).len(), 0);
    assert_eq!(numerical_gradient_par(|x| function_2(x), &empty).len(), 0);
    let no_points = ndarray::Array2::<f64>::zeros((0, 2));
    assert_eq!(
        numerical_gradient_rows(|p| function_2(p), &no_points).shape(),
        &[0, 2]
    );
}

#[test]
fn f32_gradients_are_close_but_coarse() {
    // In f32 the central difference loses about half the digits: (x+h)^2 and
    // (x-h)^2 differ by 1.6e-3 out of 25 and carry errors of 2e-6 each.
    let g = numerical_gradient(|x| function_2(x), &array![3.0_f32, 4.0]);
    assert!(
        (g[0] - 6.0).abs() < 0.05 && (g[1] - 8.0).abs() < 0.05,
        "{g}"
    );
    assert_ne!(g, array![6.0_f32, 8.0]);
    assert!((numerical_diff(function_1, 5.0_f32) - 0.2).abs() < 0.01);
}

#[test]
fn the_function_sees_one_element_moved_by_h_then_restored_exactly() {
    let x = array![[0.1, 0.2], [0.3, 1e-5], [-7.0, 1e8]];
    let mut calls = Vec::new();
    numerical_gradient(
        |w: &ndarray::ArrayView2<f64>| {
            calls.push(w.to_owned());
            0.0
        },
        &x,
    );
    assert_eq!(calls.len(), 2 * x.len());
    let flat: Vec<f64> = x.iter().copied().collect();
    for (k, seen) in calls.iter().enumerate() {
        let i = k / 2;
        for (j, (&s, &orig)) in seen.iter().zip(&flat).enumerate() {
            let expect = match (j == i, k % 2) {
                (false, _) => orig,
                (true, 0) => orig + 1e-4,
                (true, _) => orig - 1e-4,
            };
            assert_eq!(s.to_bits(), expect.to_bits(), "call {k}, element {j}");
        }
    }
}
