use ndarray::{Array1, array};
use nn_grad::{NamedFunction, function_2, gradient_descent, saddle};

// init_x = np.array([-3.0, 4.0])
// gradient_descent(|x| function_2(x), init_x=init_x, lr=0.1, step_num=100)
//     -> array([-6.11110793e-10,  8.14814391e-10])  (repr: -6.111107928998789e-10, 8.148143905314271e-10)
// gradient_descent(|x| function_2(x), init_x=init_x, lr=10.0, step_num=100)
//     -> array([-2.58983747e+13, -1.29524862e+12])  (repr: -25898374737328.363, -1295248616896.5398)
// gradient_descent(|x| function_2(x), init_x=init_x, lr=1e-10, step_num=100)
//     -> array([-2.99999994,  3.99999992])          (repr: -2.999999939999995, 3.9999999199999934)
#[test]
fn gradient_descent_matches_the_book() {
    #[track_caller]
    fn check(lr: f64, expect: [f64; 2]) {
        let run = gradient_descent(|x| function_2(x), &array![-3.0, 4.0], lr, 100);
        assert_eq!(run.x.to_vec(), expect.to_vec(), "lr = {lr}");
        assert_eq!(run.diverged_at(), None, "lr = {lr}");
    }
    check(0.1, [-6.111107928998789e-10, 8.148143905314271e-10]);
    check(10.0, [-25898374737328.363, -1295248616896.5398]);
    check(1e-10, [-2.999999939999995, 3.9999999199999934]);
}

#[test]
fn history_holds_the_point_before_each_step() {
    let init = array![-3.0, 4.0];
    let run = gradient_descent(|x| function_2(x), &init, 0.1, 3);
    assert_eq!(run.history.shape(), &[3, 2]);
    assert_eq!(run.history.row(0), init);
    // Each row is one step on from the previous; the last step gives x.
    for k in 1..3 {
        let one = gradient_descent(|x| function_2(x), &run.history.row(k - 1), 0.1, 1);
        assert_eq!(one.x, run.history.row(k));
    }
    let last = gradient_descent(|x| function_2(x), &run.history.row(2), 0.1, 1);
    assert_eq!(last.x, run.x);
    // init_x is untouched.
    assert_eq!(init, array![-3.0, 4.0]);
}

#[test]
fn zero_steps_return_the_start() {
    let run = gradient_descent(|x| function_2(x), &array![1.0, 2.0], 0.1, 0);
    assert_eq!(run.x, array![1.0, 2.0]);
    assert_eq!(run.history.shape(), &[0, 2]);
    assert_eq!(run.diverged_at(), None);
}

#[test]
fn overflow_is_reported_as_divergence() {
    #[track_caller]
    fn check(lr: f64, init: Array1<f64>, expect: Option<usize>) {
        let run = gradient_descent(|x| function_2(x), &init, lr, 10);
        assert_eq!(run.diverged_at(), expect, "lr = {lr}, init = {init}");
    }
    // A huge step lands near 1e201; there x0^2 overflows, inf - inf = NaN.
    check(1e200, array![-3.0, 4.0], Some(2));
    check(0.1, array![f64::NAN, 0.0], Some(0));
    check(0.1, array![-3.0, 4.0], None);
    // An infinite learning rate: the first step already gives infinities.
    check(f64::INFINITY, array![-3.0, 4.0], Some(1));
}

// The book's warning (§4.4.1): where the gradient is zero descent stops, even
// at a saddle point. Started on the x0 axis, descent on x0^2 - x1^2 never
// feels the x1 direction and walks into the saddle at the origin.
#[test]
fn descent_stops_at_a_saddle_point() {
    let run = gradient_descent(|x| saddle(x), &array![-3.0_f64, 0.0], 0.1, 100);
    assert!(run.x[0].abs() < 1e-8 && run.x[1] == 0.0, "{}", run.x);
    // Moved off the axis by a hair, the same run escapes downhill.
    let run = gradient_descent(|x| saddle(x), &array![-3.0, 1e-6], 0.1, 100);
    assert!(run.x[1] > 10.0, "{}", run.x);
    let f = NamedFunction::Saddle;
    assert!(f.eval(&run.x) < -100.0);
}

#[test]
fn descent_on_rosenbrock_heads_for_one_one() {
    let f = NamedFunction::Rosenbrock;
    let run = gradient_descent(|x| f.eval(x), &array![-1.5_f64, 2.0], 1e-3, 20_000);
    assert!(
        (run.x[0] - 1.0).abs() < 0.05 && (run.x[1] - 1.0).abs() < 0.1,
        "{}",
        run.x
    );
}
