use nn_grad::{CriticalKind, Error, NamedFunction, numerical_gradient};

#[test]
fn names_round_trip() {
    for f in NamedFunction::ALL {
        assert_eq!(f.name().parse::<NamedFunction>().unwrap(), f);
        assert_eq!(f.to_string(), f.name());
    }
}

#[test]
fn unknown_names_list_the_choices() {
    let err = "cubic".parse::<NamedFunction>().unwrap_err();
    assert!(matches!(&err, Error::UnknownFunction { name, .. } if name == "cubic"));
    assert_eq!(
        err.to_string(),
        r#"unknown function "cubic", expected one of: quadratic, sphere, saddle, rosenbrock"#
    );
}

#[test]
fn dimensions_are_checked() {
    #[track_caller]
    fn check(f: NamedFunction, n: usize, expect: Option<&str>) {
        let got = f.check_dim(n).map_err(|e| e.to_string()).err();
        assert_eq!(got.as_deref(), expect, "{f} with {n} coordinates");
    }
    check(NamedFunction::Quadratic, 1, None);
    check(
        NamedFunction::Quadratic,
        2,
        Some("function quadratic takes 1 coordinates, got 2"),
    );
    check(
        NamedFunction::Sphere,
        0,
        Some("function sphere takes at least 1 coordinates, got 0"),
    );
    check(NamedFunction::Sphere, 5, None);
    check(
        NamedFunction::Saddle,
        1,
        Some("function saddle takes at least 2 coordinates, got 1"),
    );
    check(NamedFunction::Rosenbrock, 2, None);
}

#[test]
fn critical_points_have_zero_gradient() {
    for f in NamedFunction::ALL {
        for point in f.critical_points() {
            let x = ndarray::Array1::from(point.at.to_vec());
            f.check_dim(x.len()).unwrap();
            let g = numerical_gradient(|x| f.eval(x), &x);
            // The truncation error h²/6·f''' is 4e-6 for Rosenbrock at (1, 1).
            assert!(g.iter().all(|v| v.abs() < 1e-5), "{f} at {x}: {g}");
        }
    }
    assert_eq!(
        NamedFunction::Saddle.critical_points()[0].kind,
        CriticalKind::Saddle
    );
}

#[test]
fn values_at_known_points() {
    #[track_caller]
    fn check(f: NamedFunction, x: &[f64], expect: f64) {
        let x = ndarray::Array1::from(x.to_vec());
        assert_eq!(f.eval(&x), expect, "{f} at {x}");
    }
    check(NamedFunction::Quadratic, &[10.0], 2.0);
    check(NamedFunction::Sphere, &[3.0, 4.0], 25.0);
    check(NamedFunction::Saddle, &[3.0, 4.0], -7.0);
    check(NamedFunction::Saddle, &[2.0, 1.0, 1.0], 2.0);
    check(NamedFunction::Rosenbrock, &[1.0, 1.0], 0.0);
    check(NamedFunction::Rosenbrock, &[-1.0, 1.0], 4.0);
    check(NamedFunction::Rosenbrock, &[0.0, 0.0, 0.0], 2.0);
    // Defined (and not panicking) for short points.
    check(NamedFunction::Rosenbrock, &[], 0.0);
    check(NamedFunction::Saddle, &[], 0.0);
}
