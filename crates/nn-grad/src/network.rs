//! Trainable fully connected networks: the general [`Mlp`] and the book's
//! [`TwoLayerNet`] (§4.5.1 `two_layer_net.py`).

use std::ops::{Deref, DerefMut};

use ndarray::{Array1, Array2, ArrayBase, ArrayView2, ArrayViewD, Data, Ix2, linalg};
use nn_core::{Accuracy, Activation, Dense, Float, Network, Output};
use rand::Rng;
use rand_distr::StandardNormal;

use crate::data::{Batch, Targets, check_targets, shape_error};
use crate::sparse::Csr;
use crate::{Error, Result};

/// How the weights of a new network are drawn (biases always start at 0).
///
/// Every weight is `std · N(0, 1)`, with `N(0, 1)` a standard Gaussian draw.
///
/// ```
/// use nn_grad::Init;
/// assert_eq!(Init::Std(0.01).std(784), 0.01);
/// // He: sqrt(2 / n) for n inputs (ReLU networks, the book's §6.2.3).
/// assert_eq!(Init::He.std(50), 0.2);
/// // Xavier: sqrt(1 / n) (sigmoid networks, §6.2.2).
/// assert_eq!(Init::Xavier.std(100), 0.1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Init {
    /// A fixed standard deviation: the book's `weight_init_std = 0.01`.
    Std(f64),
    /// `sqrt(2 / n)` for a layer with `n` inputs (He et al.).
    He,
    /// `sqrt(1 / n)` for a layer with `n` inputs (Glorot & Bengio).
    Xavier,
}

impl Default for Init {
    /// The book's `weight_init_std = 0.01`.
    fn default() -> Self {
        Init::Std(0.01)
    }
}

impl Init {
    /// The standard deviation for a layer with `inputs` inputs.
    pub fn std(&self, inputs: usize) -> f64 {
        match *self {
            Init::Std(s) => s,
            Init::He => (2.0 / inputs as f64).sqrt(),
            Init::Xavier => (1.0 / inputs as f64).sqrt(),
        }
    }
}

/// The hidden activations this crate can differentiate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hidden {
    Sigmoid,
    Relu,
    Step,
    Identity,
}

impl Hidden {
    fn new(a: Activation) -> Result<Self> {
        Ok(match a {
            Activation::Sigmoid => Hidden::Sigmoid,
            Activation::Relu => Hidden::Relu,
            Activation::Step => Hidden::Step,
            Activation::Identity => Hidden::Identity,
            other => {
                return Err(Error::InvalidConfig(format!(
                    "cannot differentiate the activation {other:?}"
                )));
            }
        })
    }

    fn activation(self) -> Activation {
        match self {
            Hidden::Sigmoid => Activation::Sigmoid,
            Hidden::Relu => Activation::Relu,
            Hidden::Step => Activation::Step,
            Hidden::Identity => Activation::Identity,
        }
    }

    /// `h(a)`, with the book's formulas (`1 / (1 + exp(-a))` for sigmoid,
    /// with nn-core's `exp`, so that one value and a whole layer, see
    /// [`Hidden::apply_all`], agree bit for bit).
    #[inline]
    pub(crate) fn apply<T: Float>(self, a: T) -> T {
        match self {
            Hidden::Sigmoid => nn_core::sigmoid_scalar(a),
            Hidden::Relu => {
                if a > T::zero() {
                    a
                } else {
                    T::zero()
                }
            }
            Hidden::Step => {
                if a > T::zero() {
                    T::one()
                } else {
                    T::zero()
                }
            }
            Hidden::Identity => a,
        }
    }

    /// `h(a)` of every entry of `a`, in place (vectorised for sigmoid).
    pub(crate) fn apply_all<T: Float>(self, a: &mut Array2<T>) {
        match self {
            Hidden::Sigmoid => nn_core::sigmoid_inplace(a),
            h => a.mapv_inplace(|v| h.apply(v)),
        }
    }

    /// `h'(a)` written with the output `z = h(a)`: `(1 − z) z` for sigmoid,
    /// `1` where `z > 0` for ReLU, `0` for the step function, `1` for the
    /// identity.
    #[inline]
    pub(crate) fn derivative_at_output<T: Float>(self, z: T) -> T {
        match self {
            Hidden::Sigmoid => (T::one() - z) * z,
            Hidden::Relu => {
                if z > T::zero() {
                    T::one()
                } else {
                    T::zero()
                }
            }
            Hidden::Step => T::zero(),
            Hidden::Identity => T::one(),
        }
    }
}

/// The output layer with its loss: softmax with cross-entropy, or identity
/// with sum of squares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Head {
    /// Softmax output, `L = −(1/N) Σ_n Σ_k t_nk log(y_nk + 1e-7)`.
    Softmax,
    /// Identity output, `L = (1/N) Σ_n ½ Σ_k (y_nk − t_nk)²`.
    Identity,
}

impl Head {
    fn new(o: Output) -> Result<Self> {
        Ok(match o {
            Output::Softmax => Head::Softmax,
            Output::Identity => Head::Identity,
            other => {
                return Err(Error::InvalidConfig(format!(
                    "cannot train with the output function {other:?}"
                )));
            }
        })
    }

    fn output(self) -> Output {
        match self {
            Head::Softmax => Output::Softmax,
            Head::Identity => Output::Identity,
        }
    }
}

/// A multi-layer perceptron that can be trained: [`Dense`] layers, a hidden
/// [`Activation`] after every layer but the last, and an [`Output`] function
/// with its loss after the last.
///
/// * `Output::Softmax` (classification): `y = softmax(a)`, loss
///   `L = −(1/N) Σ_n Σ_k t_nk log(y_nk + 10⁻⁷)` (the book's
///   `cross_entropy_error`).
/// * `Output::Identity` (regression): `y = a`, loss
///   `L = (1/N) Σ_n ½ Σ_k (y_nk − t_nk)²` (the book's `sum_squared_error`
///   per sample, averaged over the batch so that the learning rate does not
///   depend on the batch size).
///
/// Both pairs have the same output gradient `∂L/∂a = (y − t) / N`, which is
/// where backpropagation ([`Mlp::gradient`]) starts.
///
/// Parameters are named as in the book: `W1`, `b1`, `W2`, `b2`, … with `Wl`
/// of shape `(inputs, outputs)` and `bl` of shape `(outputs,)`.
/// [`TwoLayerNet`] builds the book's two-layer instance. All weights are
/// kept in standard (row-major) layout.
///
/// ```
/// use ndarray::array;
/// use nn_core::{Activation, Output};
/// use nn_grad::Mlp;
///
/// // One hidden unit, two classes.
/// let net = Mlp::from_layers(
///     vec![
///         (array![[1.0_f64], [-1.0]], array![0.0]),
///         (array![[2.0, -2.0]], array![0.0, 0.0]),
///     ],
///     Activation::Relu,
///     Output::Softmax,
/// )?;
/// let x = array![[3.0, 1.0]]; // h = relu(3 - 1) = 2, a = [4, -4]
/// let y = net.predict(&x)?;
/// assert!((y[[0, 0]] - 1.0 / (1.0 + (-8.0_f64).exp())).abs() < 1e-15);
/// assert_eq!(net.accuracy(&x, &[0])?.correct, 1);
/// # Ok::<(), nn_grad::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp<T> {
    pub(crate) layers: Vec<Dense<T>>,
    pub(crate) hidden: Hidden,
    pub(crate) head: Head,
}

/// Parameter gradients, shaped and named like the network's parameters
/// (`W1`, `b1`, …): `layers[l].weight` is `∂L/∂W(l+1)`, `layers[l].bias`
/// is `∂L/∂b(l+1)`.
///
/// ```
/// use ndarray::array;
/// use nn_grad::Gradients;
/// use nn_core::Dense;
///
/// let g = Gradients { layers: vec![Dense { weight: array![[1.0, 2.0]], bias: array![3.0, 4.0] }] };
/// assert_eq!(g.get("b1").unwrap().sum(), 7.0);
/// let names: Vec<String> = g.iter().map(|(name, _)| name).collect();
/// assert_eq!(names, ["W1", "b1"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients<T> {
    /// One `(∂L/∂W, ∂L/∂b)` pair per layer, first layer first.
    pub layers: Vec<Dense<T>>,
}

impl<T: Float> Gradients<T> {
    /// Zeros shaped like the parameters of `net`.
    pub fn zeros_like(net: &Mlp<T>) -> Self {
        Self {
            layers: net
                .layers
                .iter()
                .map(|l| Dense {
                    weight: Array2::zeros(l.weight.raw_dim()),
                    bias: Array1::zeros(l.bias.raw_dim()),
                })
                .collect(),
        }
    }

    /// `(name, gradient)` pairs in the order `W1, b1, W2, b2, …`.
    pub fn iter(&self) -> impl Iterator<Item = (String, ArrayViewD<'_, T>)> {
        named(&self.layers)
    }

    /// The gradient of the parameter called `name` (`"W1"`, `"b2"`, …).
    pub fn get(&self, name: &str) -> Option<ArrayViewD<'_, T>> {
        lookup(&self.layers, name)
    }
}

/// `(name, array)` for every weight and bias, book names.
fn named<T>(layers: &[Dense<T>]) -> impl Iterator<Item = (String, ArrayViewD<'_, T>)> {
    layers.iter().enumerate().flat_map(|(i, l)| {
        [
            (format!("W{}", i + 1), l.weight.view().into_dyn()),
            (format!("b{}", i + 1), l.bias.view().into_dyn()),
        ]
    })
}

/// Parse `W3` / `b1` into `(layer index, is_weight)`.
pub(crate) fn parse_name(name: &str) -> Option<(usize, bool)> {
    let (is_weight, rest) = match name.as_bytes().first()? {
        b'W' => (true, &name[1..]),
        b'b' => (false, &name[1..]),
        _ => return None,
    };
    if rest.starts_with('0') || rest.starts_with('+') {
        return None;
    }
    let n: usize = rest.parse().ok()?;
    Some((n.checked_sub(1)?, is_weight))
}

fn lookup<'a, T>(layers: &'a [Dense<T>], name: &str) -> Option<ArrayViewD<'a, T>> {
    let (l, is_weight) = parse_name(name)?;
    let layer = layers.get(l)?;
    Some(if is_weight {
        layer.weight.view().into_dyn()
    } else {
        layer.bias.view().into_dyn()
    })
}

/// `value` as `T` (every constant used here fits f32 and f64).
pub(crate) fn cast<T: Float>(value: f64) -> T {
    T::from_f64(value).unwrap_or_else(T::nan)
}

impl<T: Float> Mlp<T> {
    /// A new network with layer widths `sizes` (input first: `[784, 50, 10]`
    /// is the book's two-layer network), weights drawn by `init` from `rng`
    /// in the order `W1` (row by row), `W2`, …, and zero biases.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for fewer than two sizes, a zero size, or an
    /// activation or output function this crate cannot differentiate.
    ///
    /// ```
    /// use nn_core::{Activation, Output};
    /// use nn_grad::{Init, Mlp};
    /// use rand::SeedableRng;
    ///
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let net = Mlp::<f32>::new(&[784, 100, 50, 10], Activation::Relu, Output::Softmax, Init::He, &mut rng)?;
    /// assert_eq!(net.sizes(), [784, 100, 50, 10]);
    /// assert_eq!(net.param_count(), 784 * 100 + 100 + 100 * 50 + 50 + 50 * 10 + 10);
    /// # Ok::<(), nn_grad::Error>(())
    /// ```
    pub fn new<R: Rng + ?Sized>(
        sizes: &[usize],
        hidden: Activation,
        output: Output,
        init: Init,
        rng: &mut R,
    ) -> Result<Self> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(Error::InvalidConfig(format!(
                "a network needs at least two non-zero layer sizes, got {sizes:?}"
            )));
        }
        let layers = sizes
            .windows(2)
            .map(|w| {
                let std = init.std(w[0]);
                let weight = Array2::from_shape_simple_fn((w[0], w[1]), || {
                    let g: f64 = rng.sample(StandardNormal);
                    cast(std * g)
                });
                (weight, Array1::zeros(w[1]))
            })
            .collect();
        Self::from_layers(layers, hidden, output)
    }

    /// A network from `(W, b)` pairs, first layer first.
    ///
    /// # Errors
    /// As [`Network::new`] (shapes that do not chain), and
    /// [`Error::InvalidConfig`] for an activation or output function this
    /// crate cannot differentiate.
    pub fn from_layers(
        layers: Vec<(Array2<T>, Array1<T>)>,
        hidden: Activation,
        output: Output,
    ) -> Result<Self> {
        let hidden = Hidden::new(hidden)?;
        let head = Head::new(output)?;
        // Network::new checks the shapes and makes the weights row-major.
        let checked = Network::new(layers, hidden.activation(), head.output())?;
        Ok(Self {
            layers: checked.layers().to_vec(),
            hidden,
            head,
        })
    }

    /// The same network as a trainable one.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an activation or output function this
    /// crate cannot differentiate.
    pub fn from_network(net: &Network<T>) -> Result<Self> {
        Ok(Self {
            layers: net.layers().to_vec(),
            hidden: Hidden::new(net.hidden())?,
            head: Head::new(net.output())?,
        })
    }

    /// The trained network as an `nn_core` [`Network`] (for inference,
    /// saving and `nn eval`).
    ///
    /// ```
    /// use nn_grad::TwoLayerNet;
    /// use rand::SeedableRng;
    /// let net = TwoLayerNet::<f64>::new(4, 3, 2, 0.01, &mut rand::rngs::StdRng::seed_from_u64(1))?;
    /// let x = ndarray::Array2::from_elem((2, 4), 0.5);
    /// let core = net.to_network();
    /// assert_eq!(core.predict(&x)?, net.predict(&x)?);
    /// # Ok::<(), nn_grad::Error>(())
    /// ```
    pub fn to_network(&self) -> Network<T> {
        let layers = self
            .layers
            .iter()
            .map(|l| (l.weight.clone(), l.bias.clone()))
            .collect();
        Network::new(layers, self.hidden.activation(), self.head.output())
            .expect("an Mlp's layers always form a valid network")
    }

    /// The layers, first first.
    pub fn layers(&self) -> &[Dense<T>] {
        &self.layers
    }

    /// The hidden activation.
    pub fn activation(&self) -> Activation {
        self.hidden.activation()
    }

    /// The output function.
    pub fn output(&self) -> Output {
        self.head.output()
    }

    /// Layer widths, input first.
    pub fn sizes(&self) -> Vec<usize> {
        std::iter::once(self.input_size())
            .chain(self.layers.iter().map(|l| l.weight.ncols()))
            .collect()
    }

    /// Input width (rows of `W1`).
    pub fn input_size(&self) -> usize {
        self.layers[0].weight.nrows()
    }

    /// Output width (columns of the last `W`).
    pub fn output_size(&self) -> usize {
        self.layers[self.layers.len() - 1].weight.ncols()
    }

    /// Total number of weights and biases.
    pub fn param_count(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weight.len() + l.bias.len())
            .sum()
    }

    /// `(name, parameter)` pairs in the order `W1, b1, W2, b2, …` (the
    /// book's `network.params`).
    pub fn params(&self) -> impl Iterator<Item = (String, ArrayViewD<'_, T>)> {
        named(&self.layers)
    }

    /// The parameter called `name` (`"W1"`, `"b2"`, …).
    pub fn param(&self, name: &str) -> Option<ArrayViewD<'_, T>> {
        lookup(&self.layers, name)
    }

    /// The layers, mutably (for optimizers and tests). Shapes must not be
    /// changed.
    pub fn layers_mut(&mut self) -> &mut [Dense<T>] {
        &mut self.layers
    }

    /// The forward pass of a batch `(N, inputs)` → `(N, outputs)`:
    /// `z₀ = x`, `zₗ = h(zₗ₋₁ Wₗ + bₗ)`, `y = σ(z_{L−1} W_L + b_L)`.
    ///
    /// # Errors
    /// [`Error::Core`] with a shape mismatch when `x` is not `inputs` wide.
    pub fn predict<S: Data<Elem = T>>(&self, x: &ArrayBase<S, Ix2>) -> Result<Array2<T>> {
        self.check_inputs(x.ncols())?;
        let mut z = Vec::new();
        self.forward(x.view(), &mut z);
        Ok(z.pop().expect("at least one layer"))
    }

    /// The loss of a batch: cross-entropy error for a softmax output, the
    /// mean over the batch of the sum of squared errors for an identity
    /// output (see [`Mlp`]). `t` is class labels or one row per sample.
    ///
    /// # Errors
    /// [`Error::Core`] when `x` or `t` do not fit the network or each other.
    ///
    /// ```
    /// use ndarray::{array, Array1, Array2};
    /// use nn_core::{Activation, Output};
    /// use nn_grad::Mlp;
    ///
    /// // All-zero weights: y = softmax(0) = [0.5, 0.5].
    /// let net = Mlp::from_layers(vec![(Array2::<f64>::zeros((2, 2)), Array1::zeros(2))], Activation::Sigmoid, Output::Softmax)?;
    /// let loss = net.loss(&array![[1.0, 2.0]], &[1])?;
    /// assert!((loss - (-(0.5_f64 + 1e-7).ln())).abs() < 1e-15);
    /// # Ok::<(), nn_grad::Error>(())
    /// ```
    pub fn loss<'t, S: Data<Elem = T>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        t: impl Into<Targets<'t, T>>,
    ) -> Result<T>
    where
        T: 't,
    {
        let t = t.into();
        self.check_batch(x.nrows(), x.ncols(), &t)?;
        let mut z = Vec::new();
        self.forward(x.view(), &mut z);
        Ok(self.loss_of_output(z.last().expect("one layer").view(), &t))
    }

    /// How many rows of `x` are classified as their target: the arg-max of
    /// the output against the label, or against the arg-max of a one-hot
    /// row (the book's `accuracy`, as a count; [`Accuracy::ratio`] gives the
    /// fraction).
    ///
    /// # Errors
    /// [`Error::Core`] when `x` or `t` do not fit the network or each other.
    pub fn accuracy<'t, S: Data<Elem = T>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        t: impl Into<Targets<'t, T>>,
    ) -> Result<Accuracy>
    where
        T: 't,
    {
        let t = t.into();
        self.check_batch(x.nrows(), x.ncols(), &t)?;
        let y = self.predict(x)?;
        Ok(Accuracy {
            correct: count_correct(y.view(), &t, 0),
            total: x.nrows(),
        })
    }

    pub(crate) fn check_inputs(&self, cols: usize) -> Result<()> {
        if cols != self.input_size() {
            return Err(shape_error(
                "network input",
                format!("{} values per sample", self.input_size()),
                format!("{cols}"),
            ));
        }
        Ok(())
    }

    /// Check a batch of `rows × cols` inputs with targets `t`.
    pub(crate) fn check_batch(&self, rows: usize, cols: usize, t: &Targets<'_, T>) -> Result<()> {
        self.check_inputs(cols)?;
        if t.len() != rows {
            return Err(shape_error(
                "targets",
                format!("{rows} targets (one per input row)"),
                format!("{}", t.len()),
            ));
        }
        if rows == 0 {
            return Err(Error::InvalidConfig("an empty batch has no loss".into()));
        }
        check_targets(t, self.output_size(), None)
    }

    /// The forward pass into reusable buffers: `z[l]` is the output of layer
    /// `l` (the last one is `y`). Shapes must have been checked.
    pub(crate) fn forward(&self, x: ArrayView2<'_, T>, z: &mut Vec<Array2<T>>) {
        self.forward_input(Input::Dense(x), z);
    }

    /// [`Mlp::forward`] from dense or compressed inputs.
    pub(crate) fn forward_input(&self, x: Input<'_, T>, z: &mut Vec<Array2<T>>) {
        z.resize_with(self.layers.len(), || Array2::zeros((0, 0)));
        let last = self.layers.len() - 1;
        for l in 0..self.layers.len() {
            let (done, rest) = z.split_at_mut(l);
            let out = &mut rest[0];
            let input = if l == 0 {
                x.reborrow()
            } else {
                Input::Dense(done[l - 1].view())
            };
            self.layer_forward_input(l, input, out);
            if l < last {
                self.hidden.apply_all(out);
            } else if self.head == Head::Softmax {
                softmax_rows(out);
            }
        }
    }

    /// `out = input · W + b` (pre-activation) for layer `l`.
    pub(crate) fn layer_forward(&self, l: usize, input: ArrayView2<'_, T>, out: &mut Array2<T>) {
        self.layer_forward_input(l, Input::Dense(input), out);
    }

    /// `out = input · W + b` from dense or compressed inputs.
    fn layer_forward_input(&self, l: usize, input: Input<'_, T>, out: &mut Array2<T>) {
        let layer = &self.layers[l];
        let dim = (input.nrows(), layer.weight.ncols());
        if out.dim() != dim {
            *out = Array2::zeros(dim);
        }
        for mut row in out.rows_mut() {
            row.assign(&layer.bias);
        }
        match input {
            Input::Dense(x) => {
                linalg::general_mat_mul(T::one(), &x, &layer.weight, T::one(), out);
            }
            Input::Sparse(csr) => {
                // Row n of the product is the sum of the weight rows of its
                // non-zero inputs, each scaled by the input.
                let w = layer.weight.as_slice().expect("weights are row-major");
                let o = out.as_slice_mut().expect("a fresh array is row-major");
                csr.matmul_add(w, layer.weight.ncols(), o);
            }
        }
    }

    /// The loss of an output `y` (already checked against `t`).
    pub(crate) fn loss_of_output(&self, y: ArrayView2<'_, T>, t: &Targets<'_, T>) -> T {
        let n: T = cast(y.nrows() as f64);
        let total =
            (0..y.nrows()).fold(T::zero(), |s, i| s + sample_loss(self.head, y.row(i), t, i));
        total / n
    }
}

/// The loss of one sample from its output row (softmax already applied for
/// classification).
#[inline]
pub(crate) fn sample_loss<T: Float>(
    head: Head,
    y: ndarray::ArrayView1<'_, T>,
    t: &Targets<'_, T>,
    row: usize,
) -> T {
    let delta: T = cast(nn_core::CROSS_ENTROPY_DELTA);
    match (head, t) {
        (Head::Softmax, Targets::Labels(l)) => -(y[l[row]] + delta).ln(),
        (Head::Softmax, Targets::Values(v)) => {
            let mut s = T::zero();
            for (&p, &q) in y.iter().zip(v.row(row)) {
                if q != T::zero() {
                    s += q * (p + delta).ln();
                }
            }
            -s
        }
        (Head::Identity, t) => {
            let half: T = cast(0.5);
            let mut s = T::zero();
            for (k, &p) in y.iter().enumerate() {
                let d = p - target_value(t, row, k);
                s += d * d;
            }
            half * s
        }
    }
}

/// `t[row, k]`, with labels read as one-hot rows.
#[inline]
pub(crate) fn target_value<T: Float>(t: &Targets<'_, T>, row: usize, k: usize) -> T {
    match t {
        Targets::Labels(l) => {
            if l[row] == k {
                T::one()
            } else {
                T::zero()
            }
        }
        Targets::Values(v) => v[[row, k]],
    }
}

/// Rows whose arg-max matches the target; `offset` is the row of `t` that
/// row 0 of `y` belongs to.
pub(crate) fn count_correct<T: Float>(
    y: ArrayView2<'_, T>,
    t: &Targets<'_, T>,
    offset: usize,
) -> usize {
    y.rows()
        .into_iter()
        .enumerate()
        .filter(|(i, row)| {
            let predicted = nn_core::argmax(row.iter().copied());
            let wanted = match t {
                Targets::Labels(l) => l[offset + i],
                Targets::Values(v) => nn_core::argmax(v.row(offset + i).iter().copied()),
            };
            predicted == wanted
        })
        .count()
}

/// The inputs of a batch: a dense array, or compressed rows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Input<'a, T> {
    Dense(ArrayView2<'a, T>),
    Sparse(&'a Csr<T>),
}

impl<T: Float> Input<'_, T> {
    /// The same inputs with a shorter lifetime (array views are invariant).
    pub(crate) fn reborrow(&self) -> Input<'_, T> {
        match self {
            Input::Dense(x) => Input::Dense(x.view()),
            Input::Sparse(c) => Input::Sparse(c),
        }
    }

    pub(crate) fn nrows(&self) -> usize {
        match self {
            Input::Dense(x) => x.nrows(),
            Input::Sparse(c) => c.nrows(),
        }
    }
}

impl<T: Float> Batch<T> {
    /// The batch's inputs in whichever form is valid.
    pub(crate) fn input(&self) -> Input<'_, T> {
        if self.sparse {
            Input::Sparse(&self.csr)
        } else {
            Input::Dense(self.dense.view())
        }
    }
}

/// Softmax of every row in place: `exp(a − max) / Σ exp(a − max)`, nn-core's
/// (so an [`Mlp`] and the [`Network`] made from it agree bit for bit).
pub(crate) fn softmax_rows<T: Float>(a: &mut Array2<T>) {
    nn_core::softmax_inplace(a);
}

/// The book's `TwoLayerNet` (§4.5.1): `input → hidden (sigmoid) → output
/// (softmax)` with parameters `W1 (input, hidden)`, `b1 (hidden,)`,
/// `W2 (hidden, output)`, `b2 (output,)`.
///
/// A thin wrapper: it dereferences to [`Mlp`], which has `predict`,
/// `loss`, `accuracy`, `gradient` and `numerical_gradient`.
///
/// ```
/// use nn_grad::TwoLayerNet;
/// use rand::SeedableRng;
///
/// // net = TwoLayerNet(input_size=784, hidden_size=100, output_size=10)
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let net = TwoLayerNet::<f32>::new(784, 100, 10, 0.01, &mut rng)?;
/// assert_eq!(net.param("W1").unwrap().shape(), [784, 100]);
/// assert_eq!(net.param("b1").unwrap().shape(), [100]);
/// assert_eq!(net.param("W2").unwrap().shape(), [100, 10]);
/// assert_eq!(net.param("b2").unwrap().shape(), [10]);
/// // weight_init_std * np.random.randn(...): small weights, zero biases.
/// let w1 = net.param("W1").unwrap();
/// let std = (w1.mapv(|v| v * v).sum() / w1.len() as f32).sqrt();
/// assert!((std - 0.01).abs() < 0.0005);
/// # Ok::<(), nn_grad::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TwoLayerNet<T>(Mlp<T>);

impl<T: Float> TwoLayerNet<T> {
    /// `TwoLayerNet(input_size, hidden_size, output_size,
    /// weight_init_std=0.01)`: Gaussian weights times `weight_init_std`,
    /// zero biases, sigmoid hidden layer, softmax output.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when a size is zero.
    pub fn new<R: Rng + ?Sized>(
        input_size: usize,
        hidden_size: usize,
        output_size: usize,
        weight_init_std: f64,
        rng: &mut R,
    ) -> Result<Self> {
        Mlp::new(
            &[input_size, hidden_size, output_size],
            Activation::Sigmoid,
            Output::Softmax,
            Init::Std(weight_init_std),
            rng,
        )
        .map(Self)
    }

    /// The general network inside.
    pub fn into_mlp(self) -> Mlp<T> {
        self.0
    }
}

impl<T> Deref for TwoLayerNet<T> {
    type Target = Mlp<T>;
    fn deref(&self) -> &Mlp<T> {
        &self.0
    }
}

impl<T> DerefMut for TwoLayerNet<T> {
    fn deref_mut(&mut self) -> &mut Mlp<T> {
        &mut self.0
    }
}

impl<T> From<TwoLayerNet<T>> for Mlp<T> {
    fn from(net: TwoLayerNet<T>) -> Self {
        net.0
    }
}
