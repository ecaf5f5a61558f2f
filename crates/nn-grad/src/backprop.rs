//! Backpropagation: the analytic gradient of an [`Mlp`]'s loss (the book's
//! `TwoLayerNet.gradient`, §4.5.1, explained in chapter 5).

use ndarray::{Array2, ArrayBase, Data, Ix2, Zip, linalg};
use nn_core::Float;

use crate::Result;
use crate::data::Targets;
use crate::network::{Gradients, Input, Mlp, cast, target_value};

/// Buffers for one forward and backward pass, reused across iterations so
/// that training allocates nothing per step.
#[derive(Debug, Clone)]
pub(crate) struct Workspace<T> {
    /// `z[l]`: output of layer `l` (the last is `y`).
    pub(crate) z: Vec<Array2<T>>,
    /// `delta[l]`: `∂L/∂a` of layer `l`'s pre-activation.
    delta: Vec<Array2<T>>,
}

impl<T: Float> Default for Workspace<T> {
    fn default() -> Self {
        Self {
            z: Vec::new(),
            delta: Vec::new(),
        }
    }
}

impl<T: Float> Mlp<T> {
    /// The gradient of [`Mlp::loss`] with respect to every parameter, by
    /// backpropagation (the book's `TwoLayerNet.gradient`):
    ///
    /// ```text
    /// forward:  z₀ = x, zₗ = h(zₗ₋₁ Wₗ + bₗ), y = σ(z_{L−1} W_L + b_L)
    /// output:   δ_L = (y − t) / N
    /// layer l:  ∂L/∂Wₗ = zₗ₋₁ᵀ δₗ,  ∂L/∂bₗ = Σ_rows δₗ,
    ///           δₗ₋₁ = (δₗ Wₗᵀ) ⊙ h'(aₗ₋₁)   (sigmoid: h' = (1 − z) z)
    /// ```
    ///
    /// `x` is `(N, inputs)`, `t` class labels `(N,)` or rows `(N, outputs)`.
    /// The result has the shapes of the parameters.
    ///
    /// # Errors
    /// [`Error::Core`](crate::Error::Core) when `x` or `t` do not fit the
    /// network or each other; [`Error::InvalidConfig`](crate::Error::InvalidConfig)
    /// for an empty batch.
    ///
    /// ```
    /// use ndarray::array;
    /// use nn_grad::TwoLayerNet;
    /// use rand::SeedableRng;
    ///
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let net = TwoLayerNet::<f64>::new(3, 4, 2, 0.5, &mut rng)?;
    /// let x = array![[0.1, 0.2, 0.3], [0.9, 0.1, -0.4]];
    /// let t = [1, 0];
    /// let backprop = net.gradient(&x, &t)?;
    /// let numerical = net.numerical_gradient(&x, &t)?;
    /// for ((name, b), (_, n)) in backprop.iter().zip(numerical.iter()) {
    ///     let diff = (&b - &n).mapv(f64::abs).mean().unwrap();
    ///     // Backprop ignores the 1e-7 inside cross-entropy's log; the
    ///     // differences are tiny all the same.
    ///     assert!(diff < 1e-6, "{name}: {diff}");
    /// }
    /// # Ok::<(), nn_grad::Error>(())
    /// ```
    pub fn gradient<'t, S: Data<Elem = T>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        t: impl Into<Targets<'t, T>>,
    ) -> Result<Gradients<T>>
    where
        T: 't,
    {
        let t = t.into();
        self.check_batch(x.nrows(), x.ncols(), &t)?;
        let mut ws = Workspace::default();
        let mut grads = Gradients::zeros_like(self);
        self.gradient_into(Input::Dense(x.view()), &t, &mut ws, &mut grads);
        Ok(grads)
    }

    /// Forward and backward pass into reusable buffers; returns the loss of
    /// the batch (before any update). Shapes must have been checked.
    pub(crate) fn gradient_into(
        &self,
        x: Input<'_, T>,
        t: &Targets<'_, T>,
        ws: &mut Workspace<T>,
        grads: &mut Gradients<T>,
    ) -> T {
        self.forward_input(x, &mut ws.z);
        let layers = self.layers.len();
        let y = ws.z[layers - 1].view();
        let loss = self.loss_of_output(y, t);
        ws.delta.resize_with(layers, || Array2::zeros((0, 0)));

        // δ_L = (y − t) / N for both softmax + cross-entropy and identity +
        // squared error.
        let n: T = cast(x.nrows() as f64);
        let out = &mut ws.delta[layers - 1];
        if out.dim() != y.dim() {
            *out = Array2::zeros(y.dim());
        }
        match t {
            Targets::Values(v) => {
                Zip::from(&mut *out)
                    .and(&y)
                    .and(v)
                    .for_each(|d, &p, &q| *d = (p - q) / n);
            }
            Targets::Labels(_) => {
                Zip::indexed(&mut *out).and(&y).for_each(|(i, k), d, &p| {
                    *d = (p - target_value(t, i, k)) / n;
                });
            }
        }

        let h = self.hidden;
        for l in (0..layers).rev() {
            let (below, rest) = ws.delta.split_at_mut(l);
            let delta = &rest[0];
            let input = if l == 0 {
                x.reborrow()
            } else {
                Input::Dense(ws.z[l - 1].view())
            };
            let g = &mut grads.layers[l];
            // ∂L/∂W = inputᵀ δ, ∂L/∂b = Σ_rows δ.
            match input {
                Input::Dense(input) => {
                    linalg::general_mat_mul(T::one(), &input.t(), delta, T::zero(), &mut g.weight);
                }
                Input::Sparse(csr) => {
                    // Row i of inputᵀ δ gathers δ's rows of the samples
                    // whose input i is non-zero.
                    if !g.weight.is_standard_layout() {
                        g.weight = Array2::zeros(g.weight.raw_dim());
                    }
                    let width = g.weight.ncols();
                    let dw = g.weight.as_slice_mut().expect("standard layout");
                    let d = delta.as_slice().expect("a fresh array is row-major");
                    csr.t_matmul(d, width, dw);
                }
            }
            g.bias.fill(T::zero());
            for row in delta.rows() {
                g.bias += &row;
            }
            if l > 0 {
                // δₗ₋₁ = (δₗ Wₗᵀ) ⊙ h'(zₗ₋₁).
                let prev = &mut below[l - 1];
                let dim = ws.z[l - 1].dim();
                if prev.dim() != dim {
                    *prev = Array2::zeros(dim);
                }
                let w = &self.layers[l].weight;
                linalg::general_mat_mul(T::one(), delta, &w.t(), T::zero(), prev);
                Zip::from(prev)
                    .and(&ws.z[l - 1])
                    .for_each(|d, &z| *d *= h.derivative_at_output(z));
            }
        }
        loss
    }
}
