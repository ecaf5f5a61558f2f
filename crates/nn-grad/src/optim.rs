//! Parameter updates: plain SGD (the book's chapter 4 loop) and the
//! chapter 6 optimizers of `common/optimizer.py`.

use std::fmt;

use nn_core::Float;

use crate::network::{Gradients, Mlp, cast};
use crate::{Error, Result};

/// How parameters `W` move along their gradients `∂L/∂W` (the book's
/// `SGD`, `Momentum`, `AdaGrad` and `Adam` classes, §6.1).
///
/// ```
/// use nn_grad::Optimizer;
/// assert_eq!(Optimizer::Sgd { lr: 0.1 }.to_string(), "sgd(lr=0.1)");
/// assert_eq!(Optimizer::adam(0.001).to_string(), "adam(lr=0.001, beta1=0.9, beta2=0.999)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Optimizer {
    /// `W ← W − lr · ∂L/∂W` (chapter 4's `network.params[key] -= learning_rate * grad[key]`).
    Sgd {
        /// The learning rate.
        lr: f64,
    },
    /// `v ← momentum · v − lr · ∂L/∂W`, `W ← W + v`.
    Momentum {
        /// The learning rate.
        lr: f64,
        /// How much of the previous step is kept (the book's 0.9).
        momentum: f64,
    },
    /// `h ← h + (∂L/∂W)²`, `W ← W − lr · ∂L/∂W / (√h + 10⁻⁷)`.
    AdaGrad {
        /// The learning rate.
        lr: f64,
    },
    /// Adam as in the book: with `i` the step number,
    /// `lrᵢ = lr · √(1 − β₂ⁱ) / (1 − β₁ⁱ)`, `m ← m + (1 − β₁)(g − m)`,
    /// `v ← v + (1 − β₂)(g² − v)`, `W ← W − lrᵢ · m / (√v + 10⁻⁷)`.
    Adam {
        /// The learning rate.
        lr: f64,
        /// Decay of the mean `m` (0.9).
        beta1: f64,
        /// Decay of the square mean `v` (0.999).
        beta2: f64,
    },
}

impl Default for Optimizer {
    /// The book's chapter 4: SGD with `learning_rate = 0.1`.
    fn default() -> Self {
        Optimizer::Sgd { lr: 0.1 }
    }
}

impl Optimizer {
    /// `Momentum(lr, momentum=0.9)`.
    pub fn momentum(lr: f64) -> Self {
        Optimizer::Momentum { lr, momentum: 0.9 }
    }

    /// `Adam(lr, beta1=0.9, beta2=0.999)`.
    pub fn adam(lr: f64) -> Self {
        Optimizer::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
        }
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        match *self {
            Optimizer::Sgd { lr }
            | Optimizer::Momentum { lr, .. }
            | Optimizer::AdaGrad { lr }
            | Optimizer::Adam { lr, .. } => lr,
        }
    }

    /// Check the hyper-parameters: a finite positive learning rate,
    /// momentum and betas in `[0, 1)`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the bad value.
    pub fn validate(&self) -> Result<()> {
        let lr = self.lr();
        if !(lr.is_finite() && lr > 0.0) {
            return Err(Error::InvalidConfig(format!(
                "learning rate must be positive, got {lr}"
            )));
        }
        let unit = |name: &str, v: f64| {
            if (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(Error::InvalidConfig(format!(
                    "{name} must be in [0, 1), got {v}"
                )))
            }
        };
        match *self {
            Optimizer::Momentum { momentum, .. } => unit("momentum", momentum),
            Optimizer::Adam { beta1, beta2, .. } => {
                unit("beta1", beta1)?;
                unit("beta2", beta2)
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Optimizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Optimizer::Sgd { lr } => write!(f, "sgd(lr={lr})"),
            Optimizer::Momentum { lr, momentum } => {
                write!(f, "momentum(lr={lr}, momentum={momentum})")
            }
            Optimizer::AdaGrad { lr } => write!(f, "adagrad(lr={lr})"),
            Optimizer::Adam { lr, beta1, beta2 } => {
                write!(f, "adam(lr={lr}, beta1={beta1}, beta2={beta2})")
            }
        }
    }
}

/// An [`Optimizer`] with its running state (velocities, square sums, step
/// count) for one network.
///
/// ```
/// use ndarray::array;
/// use nn_core::{Activation, Output};
/// use nn_grad::{Mlp, Optimizer, OptimizerState};
///
/// let mut net = Mlp::from_layers(vec![(array![[1.0_f64]], array![0.0])], Activation::Identity, Output::Identity)?;
/// let mut opt = OptimizerState::new(Optimizer::Sgd { lr: 0.5 }, &net)?;
/// let grads = net.gradient(&array![[1.0]], &array![[3.0]])?; // y − t = −2
/// opt.update(&mut net, &grads)?;
/// assert_eq!(net.param("W1").unwrap()[[0, 0]], 2.0);
/// assert_eq!(net.param("b1").unwrap()[0], 1.0);
/// # Ok::<(), nn_grad::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct OptimizerState<T> {
    optimizer: Optimizer,
    /// First moment / velocity / square sum, one buffer per parameter.
    first: Vec<Vec<T>>,
    /// Second moment (Adam).
    second: Vec<Vec<T>>,
    step: i32,
}

impl<T: Float> OptimizerState<T> {
    /// A fresh state for the parameters of `net`.
    ///
    /// # Errors
    /// As [`Optimizer::validate`].
    pub fn new(optimizer: Optimizer, net: &Mlp<T>) -> Result<Self> {
        optimizer.validate()?;
        let zeros = || -> Vec<Vec<T>> {
            net.layers
                .iter()
                .flat_map(|l| {
                    [
                        vec![T::zero(); l.weight.len()],
                        vec![T::zero(); l.bias.len()],
                    ]
                })
                .collect()
        };
        let (first, second) = match optimizer {
            Optimizer::Sgd { .. } => (Vec::new(), Vec::new()),
            Optimizer::Momentum { .. } | Optimizer::AdaGrad { .. } => (zeros(), Vec::new()),
            Optimizer::Adam { .. } => (zeros(), zeros()),
        };
        Ok(Self {
            optimizer,
            first,
            second,
            step: 0,
        })
    }

    /// The optimizer.
    pub fn optimizer(&self) -> Optimizer {
        self.optimizer
    }

    /// Move every parameter of `net` by its gradient in `grads` (shaped like
    /// `net`'s parameters, as [`Mlp::gradient`] returns them).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `grads` or `net` are not shaped like the
    /// network this state was made for; nothing is changed then.
    pub fn update(&mut self, net: &mut Mlp<T>, grads: &Gradients<T>) -> Result<()> {
        let fits = net.layers.len() == grads.layers.len()
            && net.layers.iter().zip(&grads.layers).all(|(p, g)| {
                p.weight.shape() == g.weight.shape() && p.bias.shape() == g.bias.shape()
            })
            && (self.first.is_empty()
                || net
                    .params()
                    .zip(&self.first)
                    .all(|((_, p), s)| p.len() == s.len()));
        if !fits {
            return Err(Error::InvalidConfig(
                "gradients and optimizer state must be shaped like the network".into(),
            ));
        }
        self.step = self.step.saturating_add(1);
        for l in &mut net.layers {
            // Weights put in through `layers_mut` may be in any layout.
            if !l.weight.is_standard_layout() {
                l.weight = l.weight.as_standard_layout().into_owned();
            }
        }
        let params = net.layers.iter_mut().flat_map(|l| {
            [
                l.weight.as_slice_mut().expect("made row-major above"),
                l.bias
                    .as_slice_mut()
                    .expect("a 1-D owned array is contiguous"),
            ]
        });
        let gs = grads.layers.iter().flat_map(|l| {
            [
                l.weight.as_standard_layout().into_dyn(),
                l.bias.as_standard_layout().into_dyn(),
            ]
        });
        let eps: T = cast(1e-7);
        for (k, (p, g)) in params.zip(gs).enumerate() {
            let g = g.as_slice().expect("standard layout is contiguous");
            match self.optimizer {
                Optimizer::Sgd { lr } => {
                    let lr: T = cast(lr);
                    for (w, &d) in p.iter_mut().zip(g) {
                        *w -= lr * d;
                    }
                }
                Optimizer::Momentum { lr, momentum } => {
                    let (lr, mu): (T, T) = (cast(lr), cast(momentum));
                    for ((w, &d), v) in p.iter_mut().zip(g).zip(&mut self.first[k]) {
                        *v = mu * *v - lr * d;
                        *w += *v;
                    }
                }
                Optimizer::AdaGrad { lr } => {
                    let lr: T = cast(lr);
                    for ((w, &d), h) in p.iter_mut().zip(g).zip(&mut self.first[k]) {
                        *h += d * d;
                        *w -= lr * d / (h.sqrt() + eps);
                    }
                }
                Optimizer::Adam { lr, beta1, beta2 } => {
                    let i = self.step;
                    let lr_t: T = cast(lr * (1.0 - beta2.powi(i)).sqrt() / (1.0 - beta1.powi(i)));
                    let (b1, b2): (T, T) = (cast(1.0 - beta1), cast(1.0 - beta2));
                    let (first, second) = (&mut self.first[k], &mut self.second[k]);
                    for (((w, &d), m), v) in p.iter_mut().zip(g).zip(first).zip(second) {
                        *m += b1 * (d - *m);
                        *v += b2 * (d * d - *v);
                        *w -= lr_t * *m / (v.sqrt() + eps);
                    }
                }
            }
        }
        Ok(())
    }
}
