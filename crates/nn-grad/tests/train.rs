//! Training: backpropagation against central differences, the training
//! loop (determinism, epochs, losses that fall), optimizers and datasets.
//!
//! Every fixture is made here from a seed; nothing is read from disk.

use ndarray::{Array1, Array2, array};
use nn_core::{Activation, Output};
use nn_grad::{
    Dataset, Error, GradientMethod, Gradients, History, Init, Inputs, Mlp, Optimizer,
    OptimizerState, Progress, Targets, TrainConfig, TrainSets, TwoLayerNet, evaluate,
    gradient_check, train,
};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// `n` points in `d` dimensions around `classes` centres, a third of the
/// coordinates exactly zero (so the sparse path is taken), with labels.
fn blobs(n: usize, d: usize, classes: usize, seed: u64) -> (Array2<f64>, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let centres = Array2::from_shape_simple_fn((classes, d), || rng.random_range(-1.0..1.0));
    let labels: Vec<usize> = (0..n).map(|_| rng.random_range(0..classes)).collect();
    let x = Array2::from_shape_fn((n, d), |(i, j)| {
        if (i + j) % 3 == 0 {
            0.0
        } else {
            centres[[labels[i], j]] + 0.3 * rng.random_range(-1.0..1.0)
        }
    });
    (x, labels)
}

/// The largest `|a − b|` over every parameter's gradient, with its name.
fn worst(a: &Gradients<f64>, b: &Gradients<f64>) -> (String, f64) {
    a.iter()
        .zip(b.iter())
        .map(|((name, p), (_, q))| {
            let d = p
                .iter()
                .zip(q.iter())
                .map(|(u, v)| (u - v).abs())
                .fold(0.0, f64::max);
            (name, d)
        })
        .fold((String::new(), 0.0), |m, c| if c.1 > m.1 { c } else { m })
}

fn net(sizes: &[usize], hidden: Activation, output: Output, std: f64, seed: u64) -> Mlp<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    Mlp::new(sizes, hidden, output, Init::Std(std), &mut rng).unwrap()
}

mod gradients {
    use super::*;

    /// The book's gradient check (§5.7.3) on its network shape with a batch
    /// of 3 sparse "images": every mean difference is far below 1e-6.
    ///
    /// ```python
    /// diff = np.average(np.abs(grad_backprop[key] - grad_numerical[key]))
    /// # W1:4.3e-10 b1:2.2e-09 W2:5.3e-09 b2:1.4e-07 (book, ch05)
    /// ```
    #[test]
    fn book_gradient_check_passes_in_f64() {
        let mut rng = StdRng::seed_from_u64(0);
        let net = TwoLayerNet::<f64>::new(784, 50, 10, 0.01, &mut rng).unwrap();
        let x = Array2::from_shape_fn((3, 784), |(i, j)| {
            if (j / 28 + i) % 4 == 0 && j % 28 > 6 && j % 28 < 21 {
                ((i * 784 + j) % 255) as f64 / 255.0
            } else {
                0.0
            }
        });
        let check = gradient_check(&net, &x, &[7, 2, 1], true).unwrap();
        let names: Vec<&str> = check.diffs.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["W1", "b1", "W2", "b2"]);
        assert!(check.passes(1e-6), "{check:?}");
    }

    #[test]
    fn structured_numerical_gradient_equals_the_direct_one() {
        // Three layers, ReLU (zeros in hidden inputs), labels and one-hot.
        let (x, labels) = blobs(7, 9, 4, 1);
        let one_hot = Array2::from_shape_fn((7, 4), |(i, k)| f64::from(u8::from(labels[i] == k)));
        for hidden in [Activation::Sigmoid, Activation::Relu, Activation::Identity] {
            let n = net(&[9, 6, 5, 4], hidden, Output::Softmax, 0.5, 2);
            for t in [Targets::from(&labels), Targets::from(&one_hot)] {
                let fast = n.numerical_gradient_fast(&x, t).unwrap();
                let direct = n.numerical_gradient(&x, t).unwrap();
                let (name, d) = worst(&fast, &direct);
                assert!(d < 1e-9, "{hidden:?}: {name} differs by {d}");
            }
        }
        // Regression head.
        let y = Array2::from_shape_fn((7, 2), |(i, k)| x[[i, k]] - x[[i, k + 2]]);
        let n = net(&[9, 5, 2], Activation::Sigmoid, Output::Identity, 0.5, 3);
        let (name, d) = worst(
            &n.numerical_gradient_fast(&x, &y).unwrap(),
            &n.numerical_gradient(&x, &y).unwrap(),
        );
        assert!(d < 1e-9, "{name} differs by {d}");
    }

    /// The smallest `|a|` over the hidden pre-activations of a ReLU net.
    fn closest_to_kink(n: &Mlp<f64>, x: &Array2<f64>) -> f64 {
        let mut z = x.clone();
        let mut closest = f64::INFINITY;
        let layers = n.layers();
        for layer in &layers[..layers.len() - 1] {
            let a = z.dot(&layer.weight) + &layer.bias;
            closest = a.iter().fold(closest, |m, v| m.min(v.abs()));
            z = a.mapv(|v| v.max(0.0));
        }
        closest
    }

    fn shapes() -> impl Strategy<Value = (Vec<usize>, usize, u64, u8, bool)> {
        (
            proptest::collection::vec(1usize..6, 2..5),
            1usize..6,
            any::<u64>(),
            0u8..3,
            any::<bool>(),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        // Backpropagation equals central differences (f64, 1e-6) on small
        // random networks: any depth, activation, output and batch.
        #[test]
        fn backprop_matches_numerical((sizes, batch, seed, act, regression) in shapes()) {
            let hidden = [Activation::Sigmoid, Activation::Relu, Activation::Identity][act as usize];
            let outputs = *sizes.last().unwrap();
            let (x, _) = blobs(batch, sizes[0], 2, seed);
            let mut n = net(&sizes, hidden, if regression { Output::Identity } else { Output::Softmax }, 0.7, seed ^ 1);
            let mut rng = StdRng::seed_from_u64(seed);
            // Biases away from 0, so that no ReLU input sits on the kink
            // (all-zero inputs would put it exactly there).
            for layer in n.layers_mut() {
                layer.bias.mapv_inplace(|_| rng.random_range(0.05..0.5) * if rng.random() { 1.0 } else { -1.0 });
            }
            // Central differences across a ReLU kink see half the slope:
            // keep every hidden pre-activation well away from 0.
            if hidden == Activation::Relu {
                prop_assume!(closest_to_kink(&n, &x) > 1e-3);
            }
            // Backprop's (y − t)/N ignores the 1e-7 the loss adds inside its
            // log, which moves the numerical gradient by about 1e-7/y_t
            // relative: take the predicted classes as labels, so y_t ≥ 1/C.
            let y = n.predict(&x).unwrap();
            let labels: Vec<usize> = y.rows().into_iter().map(|r| nn_core::argmax(r.iter().copied())).collect();
            let values = Array2::from_shape_fn((batch, outputs), |_| rng.random_range(-1.0..1.0));
            let t = if regression { Targets::from(&values) } else { Targets::from(&labels) };
            let backprop = n.gradient(&x, t).unwrap();
            let numerical = n.numerical_gradient(&x, t).unwrap();
            // The gradient check's measure: mean |backprop − numerical|.
            for ((name, b), (_, q)) in backprop.iter().zip(numerical.iter()) {
                let d = (&b - &q).mapv(f64::abs).mean().unwrap();
                prop_assert!(d < 1e-6, "{}: {} (sizes {:?}, {:?})", name, d, sizes, hidden);
            }
        }
    }

    #[test]
    fn gradients_have_the_parameters_names_and_shapes() {
        let n = net(&[4, 3, 2], Activation::Sigmoid, Output::Softmax, 0.1, 0);
        let g = n.gradient(&Array2::ones((5, 4)), &[0, 1, 0, 1, 1]).unwrap();
        let shapes: Vec<(String, Vec<usize>)> =
            g.iter().map(|(k, v)| (k, v.shape().to_vec())).collect();
        assert_eq!(
            shapes,
            [
                ("W1".to_string(), vec![4, 3]),
                ("b1".into(), vec![3]),
                ("W2".into(), vec![3, 2]),
                ("b2".into(), vec![2])
            ]
        );
        assert!(g.get("W3").is_none() && g.get("w1").is_none() && g.get("W0").is_none());
    }

    #[test]
    fn bad_batches_are_errors() {
        let n = net(&[4, 3, 2], Activation::Sigmoid, Output::Softmax, 0.1, 0);
        let x = Array2::<f64>::ones((2, 4));
        assert!(matches!(
            n.gradient(&Array2::<f64>::ones((2, 5)), &[0, 1]),
            Err(Error::Core(_))
        ));
        assert!(matches!(n.gradient(&x, &[0]), Err(Error::Core(_))));
        assert!(matches!(
            n.loss(&x, &[0, 2]),
            Err(Error::Core(nn_core::Error::LabelOutOfRange {
                row: 1,
                label: 2,
                classes: 2
            }))
        ));
        assert!(matches!(
            n.numerical_gradient(&x, &Array2::<f64>::zeros((2, 3))),
            Err(Error::Core(_))
        ));
        assert!(matches!(
            n.accuracy(&Array2::<f64>::ones((0, 4)), &[]),
            Err(Error::InvalidConfig(_))
        ));
        assert!(matches!(
            Mlp::<f64>::new(
                &[3],
                Activation::Relu,
                Output::Softmax,
                Init::He,
                &mut StdRng::seed_from_u64(0)
            ),
            Err(Error::InvalidConfig(_))
        ));
        assert!(matches!(
            Mlp::<f64>::new(
                &[3, 0, 2],
                Activation::Relu,
                Output::Softmax,
                Init::He,
                &mut StdRng::seed_from_u64(0)
            ),
            Err(Error::InvalidConfig(_))
        ));
    }
}

mod network {
    use super::*;

    #[test]
    fn two_layer_net_is_the_books() {
        let mut rng = StdRng::seed_from_u64(5);
        let net = TwoLayerNet::<f64>::new(6, 4, 3, 0.01, &mut rng).unwrap();
        assert_eq!(net.sizes(), [6, 4, 3]);
        assert_eq!(net.activation(), Activation::Sigmoid);
        assert_eq!(net.output(), Output::Softmax);
        let names: Vec<String> = net.params().map(|(k, _)| k).collect();
        assert_eq!(names, ["W1", "b1", "W2", "b2"]);
        assert!(net.param("b1").unwrap().iter().all(|&b| b == 0.0));
        // predict = softmax(sigmoid(x W1 + b1) W2 + b2), by hand.
        let x = array![[0.5, -1.0, 0.0, 2.0, 0.25, 1.0]];
        let w1 = net
            .param("W1")
            .unwrap()
            .into_dimensionality::<ndarray::Ix2>()
            .unwrap();
        let w2 = net
            .param("W2")
            .unwrap()
            .into_dimensionality::<ndarray::Ix2>()
            .unwrap();
        let z = x.dot(&w1).mapv(|a| 1.0 / (1.0 + (-a).exp()));
        let a = z.dot(&w2);
        let e = a.mapv(f64::exp);
        let y = &e / e.sum();
        let got = net.predict(&x).unwrap();
        for (p, q) in got.iter().zip(&y) {
            assert!((p - q).abs() < 1e-15);
        }
    }

    #[test]
    fn converts_to_and_from_nn_core() {
        let n = net(&[5, 4, 3, 2], Activation::Relu, Output::Softmax, 0.3, 9);
        let core = n.to_network();
        assert_eq!(core.sizes(), [5, 4, 3, 2]);
        assert_eq!(core.hidden(), Activation::Relu);
        let x = Array2::from_shape_fn((3, 5), |(i, j)| (i as f64 - j as f64) / 4.0);
        assert_eq!(core.predict(&x).unwrap(), n.predict(&x).unwrap());
        assert_eq!(Mlp::from_network(&core).unwrap(), n);
    }

    #[test]
    fn init_scales_the_weights() {
        for (init, inputs, std) in [
            (Init::He, 200, (2.0_f64 / 200.0).sqrt()),
            (Init::Xavier, 200, (1.0_f64 / 200.0).sqrt()),
            (Init::Std(0.5), 200, 0.5),
        ] {
            let n = Mlp::<f64>::new(
                &[inputs, 300, 2],
                Activation::Relu,
                Output::Softmax,
                init,
                &mut StdRng::seed_from_u64(1),
            )
            .unwrap();
            let w = n.param("W1").unwrap();
            let s = (w.mapv(|v| v * v).sum() / w.len() as f64).sqrt();
            assert!((s / std - 1.0).abs() < 0.02, "{init:?}: {s} vs {std}");
        }
    }
}

mod training {
    use super::*;

    fn sets<'a>(x: &'a Array2<f64>, labels: &'a [usize]) -> TrainSets<'a, f64> {
        let all = Dataset::new(Inputs::float(x.view()), Targets::from(labels)).unwrap();
        let (train, test) = all.split_validation(0.25, 7).unwrap();
        TrainSets {
            train,
            validation: None,
            test: Some(test),
        }
    }

    fn run(seed: u64, iters: usize, method: GradientMethod) -> (History, Mlp<f64>) {
        let (x, labels) = blobs(120, 8, 3, 11);
        let sets = sets(&x, &labels);
        let mut rng = StdRng::seed_from_u64(seed);
        let mut n = TwoLayerNet::<f64>::new(8, 6, 3, 0.1, &mut rng)
            .unwrap()
            .into_mlp();
        let config = TrainConfig {
            iters,
            batch_size: 10,
            optimizer: Optimizer::Sgd { lr: 0.5 },
            gradient: method,
            eval_chunk: 7,
        };
        let h = train(&mut n, &sets, &config, &mut rng, |_| ()).unwrap();
        (h, n)
    }

    #[test]
    fn same_seed_same_run_bit_for_bit() {
        let (a, na) = run(3, 60, GradientMethod::Backprop);
        let (b, nb) = run(3, 60, GradientMethod::Backprop);
        assert_eq!(a, b);
        assert_eq!(na, nb);
        let (c, _) = run(4, 60, GradientMethod::Backprop);
        assert_ne!(a.loss, c.loss);
    }

    #[test]
    fn one_measurement_per_epoch_after_the_update() {
        // 90 training samples, batches of 10: 9 iterations per epoch.
        let (h, _) = run(0, 40, GradientMethod::Backprop);
        assert_eq!(h.iter_per_epoch, 9);
        assert_eq!(h.loss.len(), 40);
        let at: Vec<(usize, usize)> = h.epochs.iter().map(|r| (r.epoch, r.iteration)).collect();
        assert_eq!(at, [(0, 1), (1, 10), (2, 19), (3, 28), (4, 37)]);
        assert_eq!((h.last.epoch, h.last.iteration), (5, 40));
        assert_eq!(h.last.train.total, 90);
        assert_eq!(h.last.test.unwrap().total, 30);
        // Ending on an epoch boundary reuses that measurement.
        let (h, _) = run(0, 37, GradientMethod::Backprop);
        assert_eq!(h.last, *h.epochs.last().unwrap());
    }

    #[test]
    fn loss_falls_and_accuracy_rises() {
        let (h, _) = run(1, 400, GradientMethod::Backprop);
        let first: f64 = h.loss[..20].iter().sum::<f64>() / 20.0;
        let last: f64 = h.loss[380..].iter().sum::<f64>() / 20.0;
        assert!(last < 0.5 * first, "{first} -> {last}");
        assert!(h.last.train.accuracy.unwrap() > 0.9, "{:?}", h.last);
        assert!(h.last.train.accuracy > h.epochs[0].train.accuracy);
    }

    #[test]
    fn numerical_gradients_really_train() {
        // Both numerical methods follow backprop's path closely (their
        // gradients agree to about 1e-7) and lower the loss.
        let (b, nb) = run(2, 30, GradientMethod::Backprop);
        for method in [GradientMethod::Numerical, GradientMethod::NumericalDirect] {
            let (h, n) = run(2, 30, method);
            assert!(h.loss[29] < h.loss[0], "{method:?}");
            for ((_, p), (_, q)) in n.params().zip(nb.params()) {
                let d = (&p - &q).mapv(f64::abs).fold(0.0, |m: f64, &v| m.max(v));
                assert!(d < 1e-5, "{method:?}: {d}");
            }
            assert_eq!(h.last.train.correct, b.last.train.correct, "{method:?}");
        }
    }

    #[test]
    fn progress_reports_every_update_and_epoch() {
        let (x, labels) = blobs(50, 4, 2, 0);
        let sets = TrainSets {
            train: Dataset::new(Inputs::float(x.view()), Targets::from(&labels)).unwrap(),
            validation: None,
            test: None,
        };
        let mut n = net(&[4, 3, 2], Activation::Sigmoid, Output::Softmax, 0.1, 0);
        let mut seen = Vec::new();
        let config = TrainConfig {
            iters: 12,
            batch_size: 10,
            ..TrainConfig::default()
        };
        let h = train(
            &mut n,
            &sets,
            &config,
            &mut StdRng::seed_from_u64(0),
            |p| match p {
                Progress::Iteration { iteration, loss } => {
                    seen.push(format!("i{iteration}:{}", loss.is_finite()))
                }
                Progress::Epoch(r) => seen.push(format!("e{}@{}", r.epoch, r.iteration)),
                _ => {}
            },
        )
        .unwrap();
        let iterations = seen.iter().filter(|s| s.starts_with('i')).count();
        let epochs: Vec<&String> = seen.iter().filter(|s| s.starts_with('e')).collect();
        assert_eq!(iterations, 12);
        assert_eq!(epochs, ["e0@1", "e1@6", "e2@11"]);
        assert!(seen.iter().all(|s| !s.ends_with("false")));
        assert_eq!(h.epochs.len(), 3);
        // The first epoch's report comes after its update (maybe later).
        assert_eq!(seen[0], "i1:true");
    }

    #[test]
    fn regression_with_identity_output_fits_a_line() {
        // y = 2x − 1 + noise, one input, identity output, squared error.
        let mut rng = StdRng::seed_from_u64(0);
        let x = Array2::from_shape_fn((200, 1), |_| rng.random_range(-1.0..1.0_f64));
        let y = x.mapv(|v| 2.0 * v - 1.0 + 0.05 * rng.random_range(-1.0..1.0));
        let sets = TrainSets {
            train: Dataset::new(Inputs::float(x.view()), Targets::from(&y)).unwrap(),
            validation: None,
            test: None,
        };
        let mut n = Mlp::new(
            &[1, 8, 1],
            Activation::Sigmoid,
            Output::Identity,
            Init::Xavier,
            &mut rng,
        )
        .unwrap();
        let config = TrainConfig {
            iters: 1500,
            batch_size: 20,
            optimizer: Optimizer::adam(0.05),
            ..TrainConfig::default()
        };
        let h = train(&mut n, &sets, &config, &mut rng, |_| ()).unwrap();
        assert_eq!(h.last.train.accuracy, None);
        assert!(
            h.last.train.loss < 0.01 * h.epochs[0].train.loss,
            "{} -> {}",
            h.epochs[0].train.loss,
            h.last.train.loss
        );
        let p = n.predict(&array![[0.5]]).unwrap()[[0, 0]];
        assert!((p - 0.0).abs() < 0.1, "f(0.5) = {p}");
    }

    #[test]
    fn pixel_inputs_train_like_their_floats() {
        // u8 pixels normalised per batch give the same run as the f32 floats
        // the book's load_mnist(normalize=True) returns. 16 and 19 columns
        // (a partial chunk of 8), with runs of 8 zeros as MNIST has.
        for cols in [16, 19] {
            let mut rng = StdRng::seed_from_u64(0);
            let pixels = Array2::from_shape_fn((60, cols), |(i, j)| {
                if (i + j) % 3 == 0 || (j < 8 && i % 2 == 0) {
                    0
                } else {
                    rng.random::<u8>()
                }
            });
            let labels: Vec<usize> = (0..60)
                .map(|i| usize::from(pixels[[i, 9]] > pixels[[i, 10]]))
                .collect();
            let floats = pixels.mapv(|p| p as f32 / 255.0);
            let mut runs = Vec::new();
            for inputs in [Inputs::pixels(pixels.view()), Inputs::float(floats.view())] {
                let sets = TrainSets {
                    train: Dataset::new(inputs, Targets::from(&labels)).unwrap(),
                    validation: None,
                    test: None,
                };
                let mut rng = StdRng::seed_from_u64(1);
                let mut n = TwoLayerNet::<f32>::new(cols, 5, 2, 0.1, &mut rng)
                    .unwrap()
                    .into_mlp();
                let config = TrainConfig {
                    iters: 50,
                    batch_size: 8,
                    ..TrainConfig::default()
                };
                runs.push(train(&mut n, &sets, &config, &mut rng, |_| ()).unwrap());
            }
            assert_eq!(runs[0], runs[1], "{cols} columns");
        }
    }

    #[test]
    fn optimizers_all_learn() {
        for opt in [
            Optimizer::Sgd { lr: 0.5 },
            Optimizer::momentum(0.1),
            Optimizer::AdaGrad { lr: 0.1 },
            Optimizer::adam(0.01),
        ] {
            let (x, labels) = blobs(120, 8, 3, 11);
            let sets = sets(&x, &labels);
            let mut rng = StdRng::seed_from_u64(0);
            let mut n = Mlp::new(
                &[8, 10, 3],
                Activation::Relu,
                Output::Softmax,
                Init::He,
                &mut rng,
            )
            .unwrap();
            let config = TrainConfig {
                iters: 300,
                batch_size: 10,
                optimizer: opt,
                ..TrainConfig::default()
            };
            let h = train(&mut n, &sets, &config, &mut rng, |_| ()).unwrap();
            assert!(
                h.last.train.accuracy.unwrap() > 0.85,
                "{opt}: {:?}",
                h.last.train
            );
        }
    }

    #[test]
    fn bad_settings_are_errors() {
        let (x, labels) = blobs(20, 4, 2, 0);
        let good = || TrainSets {
            train: Dataset::new(Inputs::float(x.view()), Targets::from(&labels)).unwrap(),
            validation: None,
            test: None,
        };
        let mut n = net(&[4, 3, 2], Activation::Sigmoid, Output::Softmax, 0.1, 0);
        let mut rng = StdRng::seed_from_u64(0);
        let mut try_config =
            |c: TrainConfig, s: TrainSets<'_, f64>| train(&mut n, &s, &c, &mut rng, |_| ());
        assert!(matches!(
            try_config(
                TrainConfig {
                    batch_size: 0,
                    ..TrainConfig::default()
                },
                good()
            ),
            Err(Error::InvalidConfig(_))
        ));
        assert!(matches!(
            try_config(
                TrainConfig {
                    eval_chunk: 0,
                    ..TrainConfig::default()
                },
                good()
            ),
            Err(Error::InvalidConfig(_))
        ));
        assert!(matches!(
            try_config(
                TrainConfig {
                    optimizer: Optimizer::Sgd { lr: -1.0 },
                    ..TrainConfig::default()
                },
                good()
            ),
            Err(Error::InvalidConfig(_))
        ));
        assert!(matches!(
            try_config(
                TrainConfig {
                    optimizer: Optimizer::Momentum {
                        lr: 0.1,
                        momentum: 1.0
                    },
                    ..TrainConfig::default()
                },
                good()
            ),
            Err(Error::InvalidConfig(_))
        ));
        let wide = Array2::<f64>::zeros((20, 5));
        let s = TrainSets {
            train: Dataset::new(Inputs::float(wide.view()), Targets::from(&labels)).unwrap(),
            validation: None,
            test: None,
        };
        assert!(matches!(
            try_config(TrainConfig::default(), s),
            Err(Error::Core(_))
        ));
        let three: Vec<usize> = (0..20).map(|i| i % 3).collect();
        let s = TrainSets {
            train: Dataset::new(Inputs::float(x.view()), Targets::from(&three)).unwrap(),
            validation: None,
            test: None,
        };
        assert!(matches!(
            try_config(TrainConfig::default(), s),
            Err(Error::Core(nn_core::Error::LabelOutOfRange { .. }))
        ));
        // Nothing ran: no update happened.
        assert_eq!(
            n,
            net(&[4, 3, 2], Activation::Sigmoid, Output::Softmax, 0.1, 0)
        );
    }
}

mod datasets {
    use super::*;

    #[test]
    fn validation_split_is_disjoint_seeded_and_complete() {
        // Sample i has input i and target 0; a network that outputs its
        // input has loss ½i² on it, so a set's summed loss is ½ Σ i².
        let x = Array2::from_shape_fn((50, 1), |(i, _)| i as f64);
        let zeros = Array2::<f64>::zeros((50, 1));
        let all = Dataset::new(Inputs::float(x.view()), Targets::from(&zeros)).unwrap();
        let id = Mlp::from_layers(
            vec![(array![[1.0]], array![0.0])],
            Activation::Identity,
            Output::Identity,
        )
        .unwrap();
        let sum = |d: &Dataset<'_, f64>| {
            let m = evaluate(&id, d, 4).unwrap();
            m.loss * m.total as f64
        };
        let (train, validation) = all.split_validation(0.2, 42).unwrap();
        assert_eq!((train.len(), validation.len()), (40, 10));
        assert!((sum(&train) + sum(&validation) - sum(&all)).abs() < 1e-9);
        // Same seed, same split; another seed, another split.
        let (_, again) = all.split_validation(0.2, 42).unwrap();
        assert_eq!(sum(&again), sum(&validation));
        let (_, other) = all.split_validation(0.2, 43).unwrap();
        assert_ne!(sum(&other), sum(&validation));
        // The first n samples of a split are a prefix of it.
        assert_eq!(
            all.head(3).map(|h| sum(&h)).unwrap(),
            0.5 * (0.0 + 1.0 + 4.0)
        );
    }

    #[test]
    fn head_and_split_check_their_arguments() {
        let x = Array2::<f64>::zeros((10, 2));
        let labels = vec![0; 10];
        let all = Dataset::new(Inputs::float(x.view()), Targets::from(&labels)).unwrap();
        assert_eq!(all.head(10).unwrap().len(), 10);
        assert!(matches!(all.head(0), Err(Error::InvalidConfig(_))));
        assert!(matches!(all.head(11), Err(Error::InvalidConfig(_))));
        for f in [0.0, 1.0, -0.5, f64::NAN, 0.01] {
            assert!(
                matches!(all.split_validation(f, 0), Err(Error::InvalidConfig(_))),
                "{f}"
            );
        }
        assert!(matches!(
            Dataset::new(Inputs::float(x.view()), Targets::from(&labels[..9])),
            Err(Error::Core(_))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

        // Chunking (and the threads it allows) changes nothing.
        #[test]
        fn evaluation_does_not_depend_on_the_chunk(chunk in 1usize..40, seed in any::<u64>()) {
            let (x, labels) = blobs(37, 5, 3, seed);
            let d = Dataset::new(Inputs::float(x.view()), Targets::from(&labels)).unwrap();
            let n = net(&[5, 4, 3], Activation::Relu, Output::Softmax, 0.5, seed);
            let whole = evaluate(&n, &d, 37).unwrap();
            prop_assert_eq!(evaluate(&n, &d, chunk).unwrap(), whole);
            prop_assert_eq!(whole.correct, n.accuracy(&x, &labels).unwrap().correct);
        }
    }
}

mod optimizers {
    use super::*;

    /// One weight `w = 1`, gradient `g = −2` (y = w·1, t = 3, identity).
    fn step(opt: Optimizer, steps: usize) -> f64 {
        let mut n = Mlp::from_layers(
            vec![(array![[1.0_f64]], Array1::zeros(1))],
            Activation::Identity,
            Output::Identity,
        )
        .unwrap();
        let mut state = OptimizerState::new(opt, &n).unwrap();
        for _ in 0..steps {
            let mut g = n.gradient(&array![[1.0]], &array![[3.0]]).unwrap();
            g.layers[0].weight[[0, 0]] = -2.0;
            state.update(&mut n, &g).unwrap();
        }
        n.param("W1").unwrap()[[0, 0]]
    }

    #[test]
    fn updates_follow_the_books_formulas() {
        // SGD: w − lr·g.
        assert_eq!(step(Optimizer::Sgd { lr: 0.1 }, 1), 1.2);
        // Momentum: v = 0.9v − lr·g; two steps: v1 = 0.2, v2 = 0.38.
        assert!((step(Optimizer::momentum(0.1), 2) - 1.58).abs() < 1e-12);
        // AdaGrad: h = 4, w += 0.1·2/(2 + 1e-7).
        assert!(
            (step(Optimizer::AdaGrad { lr: 0.1 }, 1) - (1.0 + 0.2 / (2.0 + 1e-7))).abs() < 1e-12
        );
        // Adam's first step moves by lr (bias-corrected m/√v = ±1).
        assert!((step(Optimizer::adam(0.001), 1) - 1.001).abs() < 1e-8);
    }

    #[test]
    fn mismatched_gradients_are_rejected() {
        let mut n = net(&[3, 2], Activation::Sigmoid, Output::Softmax, 0.1, 0);
        let other = net(&[3, 4, 2], Activation::Sigmoid, Output::Softmax, 0.1, 0);
        let mut state = OptimizerState::new(Optimizer::adam(0.1), &n).unwrap();
        let before = n.clone();
        assert!(matches!(
            state.update(&mut n, &Gradients::zeros_like(&other)),
            Err(Error::InvalidConfig(_))
        ));
        assert_eq!(n, before);
    }
}
