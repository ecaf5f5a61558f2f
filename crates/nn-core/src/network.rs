//! Fully connected forward networks (book §3.4, §3.6).

use std::fmt;

use ndarray::{Array, Array1, Array2, ArrayBase, ArrayView2, Data, Dimension, Ix2};

use crate::kernel::{Forward, Packed, Rows, Scratch};
use crate::{Error, Float, Result};

/// Rows per task of the forward pass: large enough that splitting the work
/// costs little (about 0.1 ms of work for the book's network), small
/// enough that both halves of a 10 000-row batch keep every core busy.
const TASK_ROWS: usize = 128;

/// The activation `h` applied after every hidden layer (§3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Activation {
    /// [`crate::sigmoid`], the book's chapter 3 choice.
    #[default]
    Sigmoid,
    /// [`crate::relu`].
    Relu,
    /// [`crate::step_function`].
    Step,
    /// [`crate::identity_function`] (a purely linear network).
    Identity,
}

/// The output function `σ` of the last layer (§3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Output {
    /// [`crate::softmax`]: classification.
    #[default]
    Softmax,
    /// [`crate::identity_function`]: regression.
    Identity,
}

/// One fully connected layer: `a = x · W + b`.
///
/// `weight` is `(inputs, outputs)` as in the book, `bias` is `(outputs,)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense<T> {
    /// `W`, shape `(inputs, outputs)`.
    pub weight: Array2<T>,
    /// `b`, shape `(outputs,)`.
    pub bias: Array1<T>,
}

/// A feed-forward network of [`Dense`] layers: every layer but the last is
/// followed by the hidden [`Activation`], the last by the [`Output`] function.
///
/// The book's chapter 3 network (784-50-100-10, sigmoid, softmax) is one
/// instance; its weights load with `Network::from_tensors` (feature `io`).
///
/// ```
/// use ndarray::array;
/// use nn_core::{Activation, Network, Output};
/// // The book's §3.4.3 example: init_network() and forward(network, x).
/// let net = Network::new(
///     vec![
///         (array![[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]], array![0.1, 0.2, 0.3]),
///         (array![[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]], array![0.1, 0.2]),
///         (array![[0.1, 0.3], [0.2, 0.4]], array![0.1, 0.2]),
///     ],
///     Activation::Sigmoid,
///     Output::Identity,
/// )?;
/// let y = net.predict(&array![1.0_f64, 0.5])?;
/// // Python: print(y) -> [0.31682708 0.69627909]
/// assert!((y[0] - 0.31682708).abs() < 1e-8 && (y[1] - 0.69627909).abs() < 1e-8);
/// # Ok::<(), nn_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Network<T> {
    layers: Vec<Dense<T>>,
    /// The same weights laid out for the forward pass's kernels.
    packed: Vec<Packed<T>>,
    hidden: Activation,
    output: Output,
}

/// How many of how many predictions were right; see [`Network::accuracy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Accuracy {
    /// Rows whose arg-max equals the label.
    pub correct: usize,
    /// Rows evaluated.
    pub total: usize,
}

impl Accuracy {
    /// `correct / total` (0 for an empty set).
    ///
    /// ```
    /// let a = nn_core::Accuracy { correct: 9352, total: 10000 };
    /// assert_eq!(a.ratio(), 0.9352);
    /// assert_eq!(a.to_string(), "0.9352");
    /// ```
    pub fn ratio(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }
}

impl fmt::Display for Accuracy {
    /// Formats like Python's `str(float)` of the ratio (the book prints
    /// `"Accuracy:" + str(float(accuracy_cnt) / len(x))`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.ratio();
        if r.fract() == 0.0 {
            write!(f, "{r:.1}")
        } else {
            write!(f, "{r}")
        }
    }
}

impl<T: Float> Network<T> {
    /// Build a network from `(W, b)` pairs, first layer first.
    ///
    /// # Errors
    /// [`Error::InvalidNetwork`] when there are no layers, a bias length
    /// differs from its weight's output width, or a layer's input width
    /// differs from the previous layer's output width.
    ///
    /// ```
    /// use ndarray::{Array1, Array2};
    /// use nn_core::{Activation, Network, Output};
    /// let bad = Network::<f32>::new(
    ///     vec![(Array2::zeros((4, 3)), Array1::zeros(3)), (Array2::zeros((2, 1)), Array1::zeros(1))],
    ///     Activation::Sigmoid,
    ///     Output::Softmax,
    /// );
    /// assert_eq!(
    ///     bad.unwrap_err().to_string(),
    ///     "invalid network: W2 has 2 rows but layer 1 has 3 outputs"
    /// );
    /// ```
    pub fn new(
        layers: Vec<(Array2<T>, Array1<T>)>,
        hidden: Activation,
        output: Output,
    ) -> Result<Self> {
        if layers.is_empty() {
            return Err(Error::InvalidNetwork(
                "a network needs at least one layer".into(),
            ));
        }
        for (i, (w, b)) in layers.iter().enumerate() {
            let n = i + 1;
            if w.nrows() == 0 || w.ncols() == 0 {
                return Err(Error::InvalidNetwork(format!(
                    "W{n} has an empty shape {:?}",
                    w.shape()
                )));
            }
            if b.len() != w.ncols() {
                return Err(Error::InvalidNetwork(format!(
                    "b{n} has {} elements but W{n} has {} columns",
                    b.len(),
                    w.ncols()
                )));
            }
            if i > 0 {
                let prev = layers[i - 1].0.ncols();
                if w.nrows() != prev {
                    return Err(Error::InvalidNetwork(format!(
                        "W{n} has {} rows but layer {i} has {prev} outputs",
                        w.nrows()
                    )));
                }
            }
        }
        let layers = layers
            .into_iter()
            .map(|(w, b)| Dense {
                // Fortran-ordered weights (the book's W1..W3) are copied once
                // into row-major layout: the matrix products read rows.
                weight: if w.is_standard_layout() {
                    w
                } else {
                    w.as_standard_layout().into_owned()
                },
                bias: b,
            })
            .collect::<Vec<_>>();
        Ok(Self {
            packed: layers.iter().map(Packed::new).collect(),
            layers,
            hidden,
            output,
        })
    }

    /// The layers, first first.
    pub fn layers(&self) -> &[Dense<T>] {
        &self.layers
    }

    /// The hidden activation.
    pub fn hidden(&self) -> Activation {
        self.hidden
    }

    /// The output function.
    pub fn output(&self) -> Output {
        self.output
    }

    /// Input width (rows of `W1`): 784 for MNIST.
    pub fn input_size(&self) -> usize {
        self.layers[0].weight.nrows()
    }

    /// Output width (columns of the last `W`): 10 for MNIST.
    pub fn output_size(&self) -> usize {
        self.layers[self.layers.len() - 1].weight.ncols()
    }

    /// Layer widths, input first: `[784, 50, 100, 10]` for the book's network.
    pub fn sizes(&self) -> Vec<usize> {
        std::iter::once(self.input_size())
            .chain(self.layers.iter().map(|l| l.weight.ncols()))
            .collect()
    }

    /// The forward pass (§3.4.3 `forward`, §3.6.2 `predict`).
    ///
    /// `z₀ = x`, `zᵢ = h(zᵢ₋₁ · Wᵢ + bᵢ)` for hidden layers, `y = σ(z · Wₙ + bₙ)`.
    ///
    /// `x` is one sample `(inputs,)` giving `(outputs,)`, or a batch
    /// `(N, inputs)` giving `(N, outputs)`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `x` is not 1-D or 2-D or its width is
    /// not [`Network::input_size`].
    ///
    /// ```
    /// use ndarray::{array, Array1, Array2};
    /// use nn_core::{Activation, Network, Output};
    /// let net = Network::new(vec![(Array2::<f64>::eye(2), Array1::zeros(2))], Activation::Sigmoid, Output::Softmax)?;
    /// let one = net.predict(&array![1.0, 1.0])?;
    /// assert_eq!(one, array![0.5, 0.5]);
    /// let batch = net.predict(&array![[1.0, 1.0], [0.0, 0.0]])?;
    /// assert_eq!(batch.shape(), &[2, 2]);
    /// assert!(net.predict(&array![1.0, 2.0, 3.0]).is_err());
    /// # Ok::<(), nn_core::Error>(())
    /// ```
    pub fn predict<S, D>(&self, x: &ArrayBase<S, D>) -> Result<Array<T, D>>
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        let rows = match x.ndim() {
            1 => x
                .view()
                .into_shape_with_order((1, x.len()))
                .expect("1-D reshapes to a row"),
            2 => x.view().into_dimensionality::<Ix2>().expect("ndim checked"),
            _ => {
                return Err(Error::ShapeMismatch {
                    context: "predict".into(),
                    expected: format!("(N, {}) or ({},)", self.input_size(), self.input_size()),
                    got: format!("{:?}", x.shape()),
                });
            }
        };
        let y = self.predict_rows(rows)?;
        let y = if x.ndim() == 1 {
            y.into_shape_with_order(self.output_size())
                .unwrap()
                .into_dyn()
        } else {
            y.into_dyn()
        };
        Ok(y.into_dimensionality::<D>()
            .expect("same ndim as the input"))
    }

    /// The forward pass of a batch `(N, inputs)` → `(N, outputs)`.
    fn predict_rows(&self, x: ArrayView2<'_, T>) -> Result<Array2<T>> {
        self.check_width(x.ncols())?;
        let width = self.output_size();
        let mut y = Array2::zeros((x.nrows(), width));
        let out = y.as_slice_mut().expect("a new array is contiguous");
        self.forward_tasks(Rows::Values(x), TASK_ROWS, out, width, |p, o| {
            o.copy_from_slice(p);
        });
        Ok(y)
    }

    fn check_width(&self, got: usize) -> Result<()> {
        if got != self.input_size() {
            return Err(Error::ShapeMismatch {
                context: "predict".into(),
                expected: format!("{} input values per sample", self.input_size()),
                got: format!("{got}"),
            });
        }
        Ok(())
    }

    /// Runs the forward pass over the rows of `x` in tasks of `task_rows`
    /// rows (on every core with the `parallel` feature), calling
    /// `write(y, out_row)` with each row's output and its `per_row` slots of
    /// `out`.
    fn forward_tasks<R: Send>(
        &self,
        x: Rows<'_, T>,
        task_rows: usize,
        out: &mut [R],
        per_row: usize,
        write: impl Fn(&[T], &mut [R]) + Sync,
    ) {
        let forward = Forward {
            layers: &self.packed,
            hidden: self.hidden,
            output: self.output,
        };
        let task = |scratch: &mut Scratch<T>, (t, out): (usize, &mut [R])| {
            let start = t * task_rows;
            let rows = x.slice(start, start + out.len() / per_row);
            forward.rows(rows, scratch, |i, y| {
                write(y, &mut out[i * per_row..(i + 1) * per_row]);
            });
        };
        let chunk = task_rows * per_row;
        #[cfg(feature = "parallel")]
        if out.len() > chunk {
            use rayon::prelude::*;
            out.par_chunks_mut(chunk)
                .enumerate()
                .for_each_init(Scratch::default, task);
            return;
        }
        let mut scratch = Scratch::default();
        out.chunks_mut(chunk.max(1))
            .enumerate()
            .for_each(|c| task(&mut scratch, c));
    }

    /// The predicted class of every row of `x` (`argmax` of the output,
    /// the first index on ties, as NumPy's `np.argmax`), computed `batch_size`
    /// rows at a time (§3.6.3). `batch_size = 1` is the book's
    /// one-image-at-a-time loop of `neuralnet_mnist.py`.
    ///
    /// Rows are computed independently of each other, so the classes are the
    /// same for every batch size; with the `parallel` feature (default) the
    /// batches run on every core.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `batch_size == 0`; as [`Network::predict`].
    ///
    /// ```
    /// use ndarray::{array, Array1};
    /// use nn_core::{Activation, Network, Output};
    /// let w = array![[1.0_f32, -1.0], [-1.0, 1.0]];
    /// let net = Network::new(vec![(w, Array1::zeros(2))], Activation::Sigmoid, Output::Softmax)?;
    /// let x = array![[1.0, 0.0], [0.0, 1.0], [0.0, 2.0]];
    /// assert_eq!(net.predict_classes(&x, 1)?, vec![0, 1, 1]);
    /// assert_eq!(net.predict_classes(&x, 2)?, vec![0, 1, 1]);
    /// # Ok::<(), nn_core::Error>(())
    /// ```
    pub fn predict_classes<S>(&self, x: &ArrayBase<S, Ix2>, batch_size: usize) -> Result<Vec<usize>>
    where
        S: Data<Elem = T>,
    {
        self.classes(Rows::Values(x.view()), batch_size)
    }

    /// The predicted classes of byte inputs mapped to `T` one by one:
    /// exactly `predict_classes(&x.mapv(&input), batch_size)`, without
    /// making the mapped `(N, inputs)` array. MNIST's raw pixels go straight
    /// in with `input = |p| p as f32 / 255.0`, the book's normalisation: for
    /// the 10 000 test images that skips writing (and paging in) 31 MB of
    /// f32, a quarter of the memory traffic.
    ///
    /// `input` is called once per byte value (a 256-entry table).
    ///
    /// # Errors
    /// As [`Network::predict_classes`].
    ///
    /// ```
    /// use ndarray::{array, Array1};
    /// use nn_core::{Activation, Network, Output};
    /// let w = array![[1.0_f32, -1.0], [-1.0, 1.0]];
    /// let net = Network::new(vec![(w, Array1::zeros(2))], Activation::Sigmoid, Output::Softmax)?;
    /// let pixels = array![[255u8, 0], [0, 255], [3, 200]];
    /// let scale = |p: u8| f32::from(p) / 255.0;
    /// let classes = net.predict_classes_u8(&pixels, scale, 2)?;
    /// assert_eq!(classes, vec![0, 1, 1]);
    /// assert_eq!(classes, net.predict_classes(&pixels.mapv(scale), 2)?);
    /// # Ok::<(), nn_core::Error>(())
    /// ```
    pub fn predict_classes_u8<S>(
        &self,
        x: &ArrayBase<S, Ix2>,
        input: impl Fn(u8) -> T,
        batch_size: usize,
    ) -> Result<Vec<usize>>
    where
        S: Data<Elem = u8>,
    {
        let table: [T; 256] = std::array::from_fn(|p| input(p as u8));
        self.classes(
            Rows::Bytes {
                x: x.view(),
                table: &table,
            },
            batch_size,
        )
    }

    fn classes(&self, x: Rows<'_, T>, batch_size: usize) -> Result<Vec<usize>> {
        if batch_size == 0 {
            return Err(Error::InvalidArgument(
                "batch size must be at least 1".into(),
            ));
        }
        self.check_width(x.ncols())?;
        // A task is whole batches, or a piece of a batch larger than a task.
        let task_rows = if batch_size >= TASK_ROWS {
            TASK_ROWS
        } else {
            batch_size * (TASK_ROWS / batch_size)
        };
        let mut classes = vec![0; x.nrows()];
        self.forward_tasks(x, task_rows, &mut classes, 1, |y, c| {
            c[0] = argmax(y.iter().copied());
        });
        Ok(classes)
    }

    /// How many rows of `x` the network classifies as their label
    /// (§3.6.2–3.6.3), `batch_size` rows at a time. The count is the same
    /// for every batch size.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `labels` and `x` differ in length;
    /// as [`Network::predict_classes`].
    ///
    /// ```
    /// use ndarray::{array, Array1};
    /// use nn_core::{Activation, Network, Output};
    /// let w = array![[1.0_f32, -1.0], [-1.0, 1.0]];
    /// let net = Network::new(vec![(w, Array1::zeros(2))], Activation::Sigmoid, Output::Softmax)?;
    /// let x = array![[1.0, 0.0], [0.0, 1.0], [0.0, 2.0]];
    /// let acc = net.accuracy(&x, &[0u8, 1, 0], 2)?;
    /// assert_eq!((acc.correct, acc.total), (2, 3));
    /// # Ok::<(), nn_core::Error>(())
    /// ```
    pub fn accuracy<S, L>(
        &self,
        x: &ArrayBase<S, Ix2>,
        labels: &[L],
        batch_size: usize,
    ) -> Result<Accuracy>
    where
        S: Data<Elem = T>,
        L: Copy + Into<usize>,
    {
        if labels.len() != x.nrows() {
            return Err(Error::ShapeMismatch {
                context: "accuracy".into(),
                expected: format!("{} labels (one per row of x)", x.nrows()),
                got: format!("{} labels", labels.len()),
            });
        }
        let classes = self.predict_classes(x, batch_size)?;
        let correct = classes
            .iter()
            .zip(labels)
            .filter(|&(&c, &l)| c == l.into())
            .count();
        Ok(Accuracy {
            correct,
            total: labels.len(),
        })
    }
}

/// Index of the largest value, the first one on ties; NaN counts as largest
/// (as `np.argmax`). 0 for an empty input.
///
/// ```
/// assert_eq!(nn_core::argmax([0.1, 0.7, 0.7, 0.2]), 1);
/// assert_eq!(nn_core::argmax([0.1, f64::NAN, 0.9]), 1);
/// ```
pub fn argmax<T: Float>(values: impl IntoIterator<Item = T>) -> usize {
    let mut best = 0;
    let mut best_v: Option<T> = None;
    for (i, v) in values.into_iter().enumerate() {
        match best_v {
            None => {
                best = i;
                best_v = Some(v);
            }
            Some(b) if b.is_nan() => break,
            Some(b) => {
                if v.is_nan() || v > b {
                    best = i;
                    best_v = Some(v);
                }
            }
        }
    }
    best
}

#[cfg(feature = "io")]
impl<T: Float> Network<T> {
    /// Build a network from named arrays as read by
    /// [`crate::io::read_tensors`]: `W1, b1, W2, b2, …` (the book's
    /// `sample_weight.pkl` keys), converted to `T`. Layers are taken while
    /// `W{n}` exists; other keys are ignored.
    ///
    /// # Errors
    /// [`Error::InvalidNetwork`] naming a missing key (`W1`, or the `b{n}` of
    /// a present `W{n}`), an array of the wrong dimensionality, or layers that
    /// do not chain (see [`Network::new`]).
    ///
    /// ```
    /// use ndarray::{array, Array1};
    /// use nn_core::io::{TensorData, Tensors};
    /// use nn_core::{Activation, Network, Output};
    /// let mut t = Tensors::new();
    /// t.insert("W1".into(), TensorData::from(array![[1.0_f32, 0.0], [0.0, 1.0]]));
    /// t.insert("b1".into(), TensorData::from(Array1::<f32>::zeros(2)));
    /// let net: Network<f64> = Network::from_tensors(&t, Activation::Sigmoid, Output::Softmax)?;
    /// assert_eq!(net.sizes(), vec![2, 2]);
    /// t.remove("b1");
    /// let err = Network::<f32>::from_tensors(&t, Activation::Sigmoid, Output::Softmax).unwrap_err();
    /// assert_eq!(err.to_string(), "invalid network: missing key b1 (found keys: W1)");
    /// # Ok::<(), nn_core::Error>(())
    /// ```
    pub fn from_tensors(
        tensors: &crate::io::Tensors,
        hidden: Activation,
        output: Output,
    ) -> Result<Self> {
        let missing = |key: &str| {
            let found: Vec<&str> = tensors.keys().map(String::as_str).collect();
            Error::InvalidNetwork(format!(
                "missing key {key} (found keys: {})",
                found.join(", ")
            ))
        };
        let mut layers = Vec::new();
        for n in 1.. {
            let (wk, bk) = (format!("W{n}"), format!("b{n}"));
            let Some(w) = tensors.get(&wk) else {
                if n == 1 {
                    return Err(missing(&wk));
                }
                break;
            };
            let b = tensors.get(&bk).ok_or_else(|| missing(&bk))?;
            let w = w.cast::<T>().into_dimensionality::<Ix2>().map_err(|_| {
                Error::InvalidNetwork(format!(
                    "{wk} must be 2-D (inputs, outputs), found shape {:?}",
                    w.shape()
                ))
            })?;
            let b = b
                .cast::<T>()
                .into_dimensionality::<ndarray::Ix1>()
                .map_err(|_| {
                    Error::InvalidNetwork(format!(
                        "{bk} must be 1-D (outputs,), found shape {:?}",
                        b.shape()
                    ))
                })?;
            layers.push((w, b));
        }
        Self::new(layers, hidden, output)
    }

    /// The weights as named arrays `W1, b1, …` in `T`'s dtype, ready for
    /// [`crate::io::write_tensors`] (a pickle Python loads, or safetensors).
    ///
    /// ```
    /// use ndarray::{array, Array1};
    /// use nn_core::{Activation, Network, Output};
    /// let net = Network::new(vec![(array![[1.0_f32, 2.0]], Array1::zeros(2))], Activation::Relu, Output::Identity)?;
    /// let t = net.to_tensors();
    /// assert_eq!(t.keys().collect::<Vec<_>>(), ["W1", "b1"]);
    /// assert_eq!(t["W1"].dtype(), "float32");
    /// let back: Network<f32> = Network::from_tensors(&t, Activation::Relu, Output::Identity)?;
    /// assert_eq!(back, net);
    /// # Ok::<(), nn_core::Error>(())
    /// ```
    pub fn to_tensors(&self) -> crate::io::Tensors {
        use crate::io::TensorData;
        fn data<T: Float, D: ndarray::Dimension>(a: &Array<T, D>) -> TensorData {
            if T::DTYPE == f32::DTYPE {
                TensorData::F32(a.mapv(|v| v.to_f32().unwrap_or(f32::NAN)).into_dyn())
            } else {
                TensorData::F64(a.mapv(|v| v.to_f64().unwrap_or(f64::NAN)).into_dyn())
            }
        }
        let mut t = crate::io::Tensors::new();
        for (i, layer) in self.layers.iter().enumerate() {
            t.insert(format!("W{}", i + 1), data(&layer.weight));
            t.insert(format!("b{}", i + 1), data(&layer.bias));
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, ShapeBuilder, array};

    use super::*;

    fn book_3_4_3() -> Network<f64> {
        Network::new(
            vec![
                (
                    array![[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]],
                    array![0.1, 0.2, 0.3],
                ),
                (array![[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]], array![0.1, 0.2]),
                (array![[0.1, 0.3], [0.2, 0.4]], array![0.1, 0.2]),
            ],
            Activation::Sigmoid,
            Output::Identity,
        )
        .unwrap()
    }

    #[test]
    fn batch_and_single_predictions_agree() {
        let net = book_3_4_3();
        let x = array![[1.0, 0.5], [-0.3, 2.0], [0.0, 0.0]];
        let batch = net.predict(&x).unwrap();
        for (i, row) in x.rows().into_iter().enumerate() {
            let one = net.predict(&row).unwrap();
            assert_eq!(one, batch.row(i));
        }
        assert_eq!(net.sizes(), vec![2, 3, 2, 2]);
    }

    #[test]
    fn fortran_weights_give_the_same_network() {
        let w = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let f = {
            let mut f = Array2::zeros((2, 3).f());
            f.assign(&w);
            f
        };
        assert!(!f.is_standard_layout());
        let a = Network::new(
            vec![(w, Array1::zeros(3))],
            Activation::Relu,
            Output::Identity,
        )
        .unwrap();
        let b = Network::new(
            vec![(f, Array1::zeros(3))],
            Activation::Relu,
            Output::Identity,
        )
        .unwrap();
        let x = array![[0.5, -1.0]];
        assert_eq!(a.predict(&x).unwrap(), b.predict(&x).unwrap());
    }

    #[test]
    fn accuracy_is_the_same_for_every_batch_size() {
        let net = Network::new(
            vec![(
                array![[0.3, -0.2, 0.1], [0.05, 0.4, -0.3]],
                array![0.0, 0.1, -0.1],
            )],
            Activation::Sigmoid,
            Output::Softmax,
        )
        .unwrap();
        let x = Array2::from_shape_fn((17, 2), |(i, j)| ((i * 7 + j * 3) % 11) as f64 - 5.0);
        let labels: Vec<usize> = (0..17).map(|i| i % 3).collect();
        let reference = net.accuracy(&x, &labels, 1).unwrap();
        for bs in [2, 3, 5, 16, 17, 100] {
            assert_eq!(
                net.accuracy(&x, &labels, bs).unwrap(),
                reference,
                "batch size {bs}"
            );
        }
    }

    #[test]
    fn byte_inputs_give_the_classes_of_their_mapped_values() {
        // 3 layers, 19 inputs (not a multiple of 8), mostly-zero bytes.
        let w = |r: usize, c: usize, k: usize| {
            Array2::from_shape_fn((r, c), |(i, j)| {
                (((i * i * 31 + j * 17 + i * j * k + k) % 13) as f32 - 6.0) / 2.0
            })
        };
        let net = Network::new(
            vec![
                (w(19, 12, 0), Array1::from_elem(12, 0.1)),
                (w(12, 7, 1), Array1::zeros(7)),
                (w(7, 5, 2), Array1::from_elem(5, -0.2)),
            ],
            Activation::Sigmoid,
            Output::Softmax,
        )
        .unwrap();
        let bytes = Array2::from_shape_fn((301, 19), |(i, j)| {
            if (i * 7 + j * 5) % 5 < 3 {
                0
            } else {
                ((i * 13 + j * 29) % 256) as u8
            }
        });
        let scale = |p: u8| f32::from(p) / 255.0;
        let expected = net.predict_classes(&bytes.mapv(scale), 1).unwrap();
        assert!(
            expected.iter().any(|&c| c != expected[0]),
            "a test that can fail"
        );
        for batch in [1, 3, 8, 100, 301, 1000] {
            assert_eq!(
                net.predict_classes_u8(&bytes, scale, batch).unwrap(),
                expected
            );
        }
        // A view whose rows are not contiguous (every other column of a wider array).
        let wide = Array2::from_shape_fn((301, 38), |(i, j)| bytes[[i, j / 2]]);
        let strided = wide.slice(ndarray::s![.., ..;2]);
        assert_eq!(
            net.predict_classes_u8(&strided, scale, 7).unwrap(),
            expected
        );
        // A map where 0 is not 0.
        let shifted = |p: u8| f32::from(p) / 255.0 - 0.5;
        assert_eq!(
            net.predict_classes_u8(&bytes, shifted, 10).unwrap(),
            net.predict_classes(&bytes.mapv(shifted), 10).unwrap()
        );
        assert!(net.predict_classes_u8(&bytes, scale, 0).is_err());
        assert!(net.predict_classes_u8(&wide, scale, 1).is_err());
    }

    #[test]
    fn bad_inputs_are_errors() {
        let net = book_3_4_3();
        assert!(matches!(
            net.predict(&array![1.0, 2.0, 3.0]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            net.predict(&ndarray::Array3::<f64>::zeros((1, 1, 2))),
            Err(Error::ShapeMismatch { .. })
        ));
        let x = array![[1.0, 0.5]];
        assert!(matches!(
            net.accuracy(&x, &[0usize, 1], 1),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            net.accuracy(&x, &[0usize], 0),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            Network::<f64>::new(vec![], Activation::Sigmoid, Output::Softmax),
            Err(Error::InvalidNetwork(_))
        ));
        let e = Network::<f64>::new(
            vec![(Array2::zeros((2, 3)), Array1::zeros(2))],
            Activation::Sigmoid,
            Output::Softmax,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid network: b1 has 2 elements but W1 has 3 columns"
        );
    }

    #[test]
    fn argmax_follows_numpy() {
        assert_eq!(argmax(Vec::<f64>::new()), 0);
        assert_eq!(argmax([3.0, 3.0]), 0);
        assert_eq!(argmax([f64::NAN, 5.0]), 0);
        assert_eq!(argmax([-1.0_f32, -0.5]), 1);
    }
}
