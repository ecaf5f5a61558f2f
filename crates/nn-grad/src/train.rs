//! Mini-batch training (the book's `train_neuralnet.py`, §4.5.2–4.5.3) and
//! evaluation of whole datasets.

use std::ops::Range;

use nn_core::Float;
use rand::Rng;
use rayon::prelude::*;

use crate::backprop::Workspace;
use crate::data::{Batch, Dataset};
use crate::network::{Gradients, Head, Mlp, count_correct, sample_loss};
use crate::optim::{Optimizer, OptimizerState};
use crate::{Error, Result};

/// How the training loop computes gradients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum GradientMethod {
    /// Backpropagation, [`Mlp::gradient`] (the book's `network.gradient`).
    #[default]
    Backprop,
    /// Central differences computed from the network's structure,
    /// [`Mlp::numerical_gradient_fast`]: the book's
    /// `network.numerical_gradient`, practical for the book network (about
    /// a second per iteration rather than half a minute). Use `f64`.
    Numerical,
    /// Central differences with two full forward passes per parameter,
    /// [`Mlp::numerical_gradient`]: exactly the book's code, for tiny
    /// networks only.
    NumericalDirect,
}

/// The settings of [`train`]. The default is the book's
/// `train_neuralnet.py`: 10 000 iterations, batches of 100, SGD with
/// learning rate 0.1, backpropagation.
///
/// The element type is the network's (`Mlp<f32>` or `Mlp<f64>`). On the
/// book's configuration both reach the same accuracy (test 0.9452 with seed
/// 0, the same to four digits), and `f32` gets there in about 30 % less
/// CPU time (its vectors hold twice as many numbers), so `f32` is the
/// default of `nn train`. Gradient checks and numerical gradients want
/// `f64`: central differences keep only 2–3 digits in `f32`.
///
/// ```
/// let c = nn_grad::TrainConfig::default();
/// assert_eq!((c.iters, c.batch_size, c.optimizer.lr()), (10_000, 100, 0.1));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Number of updates (`iters_num`).
    pub iters: usize,
    /// Samples per mini-batch (`batch_size`), drawn with replacement.
    pub batch_size: usize,
    /// The update rule (`learning_rate` of plain SGD in the book).
    pub optimizer: Optimizer,
    /// Backpropagation or central differences.
    pub gradient: GradientMethod,
    /// Rows evaluated at a time when measuring whole sets (bounds memory;
    /// chunks run in parallel). Results do not depend on it.
    pub eval_chunk: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            iters: 10_000,
            batch_size: 100,
            optimizer: Optimizer::default(),
            gradient: GradientMethod::Backprop,
            eval_chunk: 1000,
        }
    }
}

/// The sets of a training run: the training set the batches are drawn
/// from, and optionally a validation set and a test set that are only
/// measured (nothing is chosen by the test set).
#[derive(Debug, Clone)]
pub struct TrainSets<'a, T> {
    /// Mini-batches are drawn from it; measured once per epoch.
    pub train: Dataset<'a, T>,
    /// Measured once per epoch, for choosing hyper-parameters.
    pub validation: Option<Dataset<'a, T>>,
    /// Measured once per epoch, for reporting.
    pub test: Option<Dataset<'a, T>>,
}

/// The loss and accuracy of a network on a whole set.
///
/// ```
/// let m = nn_grad::Metrics { loss: 0.25, correct: 9467, total: 10000, accuracy: Some(0.9467) };
/// assert_eq!(m.accuracy, Some(0.9467));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// Mean loss per sample (cross-entropy or half the squared error).
    pub loss: f64,
    /// Samples whose arg-max output equals the target class.
    pub correct: usize,
    /// Samples measured.
    pub total: usize,
    /// `correct / total` for a softmax output; `None` for an identity
    /// output (regression), where arg-max accuracy means nothing.
    pub accuracy: Option<f64>,
}

/// What was measured at the end of an epoch (the book prints
/// `train acc, test acc | …` at these points).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochRecord {
    /// 0 for the first measurement.
    pub epoch: usize,
    /// Updates done so far.
    pub iteration: usize,
    /// On the training set.
    pub train: Metrics,
    /// On the validation set, if any.
    pub validation: Option<Metrics>,
    /// On the test set, if any.
    pub test: Option<Metrics>,
}

/// Everything [`train`] recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// Iterations between measurements: `max(train_size / batch_size, 1)`
    /// (integer division).
    pub iter_per_epoch: usize,
    /// The mini-batch loss of every iteration (`train_loss_list`).
    pub loss: Vec<f64>,
    /// One record per epoch (`train_acc_list`, `test_acc_list`).
    pub epochs: Vec<EpochRecord>,
    /// The measurement after the last iteration (the same as the last
    /// epoch record when the run ends on an epoch boundary).
    pub last: EpochRecord,
}

/// What [`train`] reports to its progress callback.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// An update is done.
    Iteration {
        /// Updates done so far (1 after the first).
        iteration: usize,
        /// Of the mini-batch, computed before the update.
        loss: f64,
    },
    /// An epoch's measurement is done.
    Epoch(&'a EpochRecord),
}

/// The loss and accuracy of `net` on every sample of `data`, computed
/// `chunk` rows at a time, chunks in parallel. The result does not depend
/// on `chunk` or on the number of threads.
///
/// # Errors
/// [`Error::InvalidConfig`] for `chunk == 0` or an empty set;
/// [`Error::Core`] when the inputs or targets do not fit the network.
///
/// ```
/// use ndarray::{array, Array1};
/// use nn_core::{Activation, Output};
/// use nn_grad::{Dataset, Inputs, Mlp, Targets, evaluate};
///
/// let net = Mlp::from_layers(vec![(array![[1.0_f64, -1.0], [-1.0, 1.0]], Array1::zeros(2))], Activation::Sigmoid, Output::Softmax)?;
/// let x = array![[1.0, 0.0], [0.0, 1.0], [0.0, 2.0]];
/// let labels = vec![0, 1, 0];
/// let m = evaluate(&net, &Dataset::new(Inputs::float(x.view()), Targets::from(&labels))?, 2)?;
/// assert_eq!((m.correct, m.total), (2, 3));
/// # Ok::<(), nn_grad::Error>(())
/// ```
pub fn evaluate<T: Float>(net: &Mlp<T>, data: &Dataset<'_, T>, chunk: usize) -> Result<Metrics> {
    evaluate_with(net, data, chunk, true)
}

/// [`evaluate`] on rayon's threads or on the calling thread only; the
/// numbers are the same.
fn evaluate_with<T: Float>(
    net: &Mlp<T>,
    data: &Dataset<'_, T>,
    chunk: usize,
    parallel: bool,
) -> Result<Metrics> {
    if chunk == 0 {
        return Err(Error::InvalidConfig(
            "evaluation chunk must be at least 1 row".into(),
        ));
    }
    if data.is_empty() {
        return Err(Error::InvalidConfig("cannot evaluate an empty set".into()));
    }
    net.check_inputs(data.input_size())?;
    data.check_targets(net.output_size())?;
    let n = data.len();
    let ranges: Vec<Range<usize>> = (0..n)
        .step_by(chunk)
        .map(|s| s..(s + chunk).min(n))
        .collect();
    let parts: Vec<(usize, Vec<f64>)> = if parallel {
        ranges
            .into_par_iter()
            .map_init(
                || (Workspace::default(), Batch::new(data)),
                |(ws, batch), range| chunk_metrics(net, data, range, ws, batch),
            )
            .collect()
    } else {
        let (mut ws, mut batch) = (Workspace::default(), Batch::new(data));
        ranges
            .into_iter()
            .map(|range| chunk_metrics(net, data, range, &mut ws, &mut batch))
            .collect()
    };
    let correct = parts.iter().map(|p| p.0).sum();
    // Per-sample losses summed in sample order: the same for every chunking.
    let loss = parts.iter().flat_map(|p| &p.1).sum::<f64>() / n as f64;
    Ok(Metrics {
        loss,
        correct,
        total: n,
        accuracy: (net.head == Head::Softmax).then(|| correct as f64 / n as f64),
    })
}

/// Wait for an epoch's measurement, report it and keep it.
fn deliver<F: FnMut(Progress<'_>)>(
    handle: std::thread::ScopedJoinHandle<'_, Result<EpochRecord>>,
    epochs: &mut Vec<EpochRecord>,
    progress: &mut F,
) -> Result<()> {
    // A panic in the thread is a bug: pass it on unchanged.
    let record = handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    progress(Progress::Epoch(&record));
    epochs.push(record);
    Ok(())
}

/// `(correct, per-sample losses)` of the samples `range` of `data`.
fn chunk_metrics<T: Float>(
    net: &Mlp<T>,
    data: &Dataset<'_, T>,
    range: Range<usize>,
    ws: &mut Workspace<T>,
    batch: &mut Batch<T>,
) -> (usize, Vec<f64>) {
    let samples: Vec<usize> = range.collect();
    data.gather_batch(&samples, batch, false);
    net.forward_input(batch.input(), &mut ws.z);
    let y = ws.z.last().expect("one layer").view();
    let t = batch.t.view();
    let correct = count_correct(y, &t, 0);
    let losses = (0..y.nrows())
        .map(|i| {
            sample_loss(net.head, y.row(i), &t, i)
                .to_f64()
                .unwrap_or(f64::NAN)
        })
        .collect();
    (correct, losses)
}

/// Mini-batch gradient descent, the book's `train_neuralnet.py`:
///
/// ```text
/// for i in 0..iters:
///     batch  = batch_size indices drawn uniformly with replacement from rng
///     grad   = gradient of the loss on the batch (backprop or numerical)
///     params = optimizer step (SGD: W ← W − lr · grad)
///     record the batch loss
///     if i % iter_per_epoch == 0: measure train / validation / test sets
/// ```
///
/// with `iter_per_epoch = max(train_size / batch_size, 1)`. The first
/// measurement is after the first update, as in the book; one more is made
/// after the last update ([`History::last`]).
///
/// Two differences from the book's script, both to save work: the recorded
/// loss is the one computed in the forward pass of the gradient (before the
/// update) rather than a second forward pass after it, and the batch is
/// normalised from `u8` pixels into a reused buffer when
/// [`Inputs::Pixels`](crate::Inputs::Pixels) are given.
///
/// The same `net`, data, `config` and `rng` state give the same run, bit
/// for bit (evaluation is split into fixed chunks whose results are summed
/// in order). With `rand::rngs::StdRng::seed_from_u64(seed)` a seed names a
/// run, for a given version of `rand` (StdRng's algorithm may change between
/// versions; `Cargo.lock` pins it).
///
/// `progress` is called after every update and every measurement.
///
/// # Errors
/// [`Error::InvalidConfig`] for a zero batch size or evaluation chunk, an
/// empty set, or bad optimizer settings; [`Error::Core`] when a set does not
/// fit the network.
///
/// ```
/// use ndarray::Array2;
/// use nn_grad::{Dataset, Inputs, Optimizer, Targets, TrainConfig, TrainSets, TwoLayerNet, train};
/// use rand::SeedableRng;
///
/// // Two classes: is the first feature larger than the second?
/// let x = Array2::from_shape_fn((200, 2), |(i, j)| ((i * 37 + j * 11) % 100) as f64 / 100.0);
/// let labels: Vec<usize> = x.rows().into_iter().map(|r| usize::from(r[0] > r[1])).collect();
/// let sets = TrainSets {
///     train: Dataset::new(Inputs::float(x.view()), Targets::from(&labels))?,
///     validation: None,
///     test: None,
/// };
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let mut net = TwoLayerNet::<f64>::new(2, 10, 2, 1.0, &mut rng)?;
/// let config = TrainConfig { iters: 2000, batch_size: 20, optimizer: Optimizer::Sgd { lr: 1.0 }, ..Default::default() };
/// let history = train(&mut net, &sets, &config, &mut rng, |_| ())?;
/// assert_eq!(history.iter_per_epoch, 10);
/// assert_eq!(history.epochs.len(), 200);
/// assert!(history.last.train.accuracy.unwrap() > 0.95);
/// # Ok::<(), nn_grad::Error>(())
/// ```
pub fn train<T, R, F>(
    net: &mut Mlp<T>,
    sets: &TrainSets<'_, T>,
    config: &TrainConfig,
    rng: &mut R,
    mut progress: F,
) -> Result<History>
where
    T: Float,
    R: Rng + ?Sized,
    F: FnMut(Progress<'_>),
{
    if config.batch_size == 0 {
        return Err(Error::InvalidConfig("batch size must be at least 1".into()));
    }
    if config.eval_chunk == 0 {
        return Err(Error::InvalidConfig(
            "evaluation chunk must be at least 1 row".into(),
        ));
    }
    // Pack the pixels of every set once: batches and evaluations then copy
    // only the non-zeros.
    let packed_sets;
    let sets = if matches!(sets.train.inputs(), crate::Inputs::Pixels(_)) {
        let train = sets.train.packed();
        packed_sets = TrainSets {
            validation: sets.validation.as_ref().map(|v| v.packed_like(&train)),
            test: sets.test.as_ref().map(|t| t.packed_like(&train)),
            train,
        };
        &packed_sets
    } else {
        sets
    };
    let train = &sets.train;
    for set in std::iter::once(train)
        .chain(&sets.validation)
        .chain(&sets.test)
    {
        if set.is_empty() {
            return Err(Error::InvalidConfig(
                "a training, validation or test set is empty".into(),
            ));
        }
        net.check_inputs(set.input_size())?;
        set.check_targets(net.output_size())?;
    }
    let mut opt = OptimizerState::new(config.optimizer, net)?;
    let n = train.len();
    let iter_per_epoch = (n / config.batch_size).max(1);

    let mut ws = Workspace::default();
    let mut grads = Gradients::zeros_like(net);
    let mut b = Batch::new(train);
    let need_dense = config.gradient != GradientMethod::Backprop;
    let mut batch = vec![0; config.batch_size];
    let mut loss = Vec::with_capacity(config.iters);
    let mut epochs = Vec::new();

    let measure = |net: &Mlp<T>, epoch: usize, iteration: usize, parallel: bool| {
        let eval = |d: &Dataset<'_, T>| evaluate_with(net, d, config.eval_chunk, parallel);
        Ok::<_, Error>(EpochRecord {
            epoch,
            iteration,
            train: eval(train)?,
            validation: sets.validation.as_ref().map(eval).transpose()?,
            test: sets.test.as_ref().map(eval).transpose()?,
        })
    };

    // When measuring takes much longer than an epoch of training (small
    // training sets), the measurement may use every thread; otherwise one
    // thread, next to the training.
    let eval_rows: usize = std::iter::once(train)
        .chain(&sets.validation)
        .chain(&sets.test)
        .map(Dataset::len)
        .sum();
    let eval_parallel = 4 * iter_per_epoch * config.batch_size < eval_rows;
    // Each epoch's measurement runs on a copy of the network in a thread of
    // its own while training goes on (on two cores the whole-set
    // evaluations then cost almost no wall time). Records are delivered in
    // order: at most one measurement is in flight.
    let last = std::thread::scope(|scope| -> Result<EpochRecord> {
        let mut in_flight: Option<std::thread::ScopedJoinHandle<'_, Result<EpochRecord>>> = None;
        for i in 0..config.iters {
            for b in &mut batch {
                *b = rng.random_range(0..n);
            }
            train.gather_batch(&batch, &mut b, need_dense);
            if b.sparse {
                b.csr.build_columns();
            }
            let t = b.t.view();
            let xb = &b.dense;
            let batch_loss = match config.gradient {
                GradientMethod::Backprop => net.gradient_into(b.input(), &t, &mut ws, &mut grads),
                GradientMethod::Numerical => {
                    net.numerical_gradient_fast_into(xb.view(), &t, &mut grads);
                    net.forward(xb.view(), &mut ws.z);
                    net.loss_of_output(ws.z.last().expect("one layer").view(), &t)
                }
                GradientMethod::NumericalDirect => {
                    grads = net.numerical_gradient(xb, t)?;
                    net.forward(xb.view(), &mut ws.z);
                    net.loss_of_output(ws.z.last().expect("one layer").view(), &t)
                }
            };
            opt.update(net, &grads)?;
            let batch_loss = batch_loss.to_f64().unwrap_or(f64::NAN);
            loss.push(batch_loss);
            progress(Progress::Iteration {
                iteration: i + 1,
                loss: batch_loss,
            });
            if in_flight.as_ref().is_some_and(|h| h.is_finished()) {
                deliver(
                    in_flight.take().expect("checked"),
                    &mut epochs,
                    &mut progress,
                )?;
            }
            if i % iter_per_epoch == 0 {
                if let Some(h) = in_flight.take() {
                    deliver(h, &mut epochs, &mut progress)?;
                }
                let snapshot = net.clone();
                let epoch = epochs.len();
                in_flight =
                    Some(scope.spawn(move || measure(&snapshot, epoch, i + 1, eval_parallel)));
            }
        }
        if let Some(h) = in_flight.take() {
            deliver(h, &mut epochs, &mut progress)?;
        }
        match epochs.last() {
            Some(r) if r.iteration == config.iters => Ok(*r),
            _ => measure(net, epochs.len(), config.iters, true),
        }
    })?;
    Ok(History {
        iter_per_epoch,
        loss,
        epochs,
        last,
    })
}
