//! Numerical gradients of a network's loss and the gradient check
//! (the book's `TwoLayerNet.numerical_gradient`, §4.5.1, and
//! `gradient_check.py`, §5.7.3).

use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, ArrayViewMut1, Axis, Data, Ix2};
use nn_core::Float;
use rayon::prelude::*;

use crate::data::Targets;
use crate::network::{Gradients, Head, Mlp, cast, sample_loss, softmax_rows};
use crate::{H, Result, numerical_gradient_par};

impl<T: Float> Mlp<T> {
    /// The gradient of [`Mlp::loss`] by central differences, exactly as the
    /// book's `TwoLayerNet.numerical_gradient`: for every parameter array `P`
    /// it calls the any-shape [`numerical_gradient`](crate::numerical_gradient)
    /// (here its parallel twin [`numerical_gradient_par`], which gives the
    /// same numbers) with `f(P) = loss(x, t)`, so each element costs two
    /// full forward passes:
    ///
    /// `∂L/∂p ≈ (L(p + h) − L(p − h)) / 2h`, `h = 10⁻⁴`.
    ///
    /// Slow (the book network with a batch of 100 takes minutes); use it on
    /// small networks, or [`Mlp::numerical_gradient_fast`] for the same
    /// differences computed cleverly. Prefer `f64`: in `f32` the two losses
    /// agree to about 7 digits, so their difference keeps only 2 or 3.
    ///
    /// # Errors
    /// As [`Mlp::loss`].
    ///
    /// ```
    /// use ndarray::array;
    /// use nn_core::{Activation, Output};
    /// use nn_grad::Mlp;
    ///
    /// // A linear regression y = x·w + b with squared error: dL/dw = (y − t)·x.
    /// let net = Mlp::from_layers(vec![(array![[2.0_f64]], array![0.5])], Activation::Identity, Output::Identity)?;
    /// let g = net.numerical_gradient(&array![[3.0]], &array![[1.0]])?;
    /// // y = 6.5, y − t = 5.5: dW = 16.5, db = 5.5.
    /// assert!((g.get("W1").unwrap()[[0, 0]] - 16.5).abs() < 1e-6);
    /// assert!((g.get("b1").unwrap()[0] - 5.5).abs() < 1e-6);
    /// # Ok::<(), nn_grad::Error>(())
    /// ```
    pub fn numerical_gradient<'t, S: Data<Elem = T>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        t: impl Into<Targets<'t, T>>,
    ) -> Result<Gradients<T>>
    where
        T: 't,
    {
        let t = t.into();
        self.check_batch(x.nrows(), x.ncols(), &t)?;
        let x = x.view();
        let mut grads = Gradients::zeros_like(self);
        for (l, g) in grads.layers.iter_mut().enumerate() {
            let layer = &self.layers[l];
            g.weight = numerical_gradient_par(
                |w: &ArrayView2<'_, T>| self.loss_replacing(x, &t, l, Some(w.view()), None),
                &layer.weight,
            );
            g.bias = numerical_gradient_par(
                |b: &ArrayView1<'_, T>| self.loss_replacing(x, &t, l, None, Some(b.view())),
                &layer.bias,
            );
        }
        Ok(grads)
    }

    /// The loss with layer `l`'s weight and/or bias replaced.
    fn loss_replacing(
        &self,
        x: ArrayView2<'_, T>,
        t: &Targets<'_, T>,
        l: usize,
        weight: Option<ArrayView2<'_, T>>,
        bias: Option<ArrayView1<'_, T>>,
    ) -> T {
        let last = self.layers.len() - 1;
        let mut z: Option<Array2<T>> = None;
        for (k, layer) in self.layers.iter().enumerate() {
            let w = match weight {
                Some(w) if k == l => w,
                _ => layer.weight.view(),
            };
            let b = match bias {
                Some(b) if k == l => b,
                _ => layer.bias.view(),
            };
            let mut a = match &z {
                None => x.dot(&w),
                Some(z) => z.dot(&w),
            };
            a += &b;
            if k < last {
                self.hidden.apply_all(&mut a);
            } else if self.head == Head::Softmax {
                softmax_rows(&mut a);
            }
            z = Some(a);
        }
        self.loss_of_output(z.expect("one layer").view(), t)
    }

    /// The same central differences as [`Mlp::numerical_gradient`], computed
    /// by exploiting the network's structure instead of running two full
    /// forward passes per parameter.
    ///
    /// Moving one weight `Wₗ[i, j]` by `±h` moves only unit `j` of layer
    /// `l`, and only in the samples `n` whose input `zₗ₋₁[n, i]` is not zero:
    /// its pre-activation becomes `aₗ[n, j] ± h·zₗ₋₁[n, i]`. So
    ///
    /// `(L(W + h) − L(W − h)) / 2h = Σ_n (ℓₙ⁺ − ℓₙ⁻) / (N · 2h)`
    ///
    /// where `ℓₙ^±` is sample `n`'s loss recomputed from that one changed unit
    /// onwards (for the book network: one sigmoid, ten multiply-adds and a
    /// softmax), and samples with a zero input are skipped (their loss does
    /// not change). MNIST's pixels are about 80 % zeros. The per-sample sum
    /// also avoids subtracting two nearly equal totals, so it is at least as
    /// accurate as the direct version; in `f64` the two agree to about 10⁻¹⁰.
    /// Parameters are split across threads with rayon.
    ///
    /// # Errors
    /// As [`Mlp::loss`].
    ///
    /// ```
    /// use ndarray::array;
    /// use nn_grad::TwoLayerNet;
    /// use rand::SeedableRng;
    ///
    /// let net = TwoLayerNet::<f64>::new(3, 5, 4, 0.3, &mut rand::rngs::StdRng::seed_from_u64(7))?;
    /// let x = array![[0.0, 0.5, 1.0], [0.2, 0.0, 0.0]];
    /// let fast = net.numerical_gradient_fast(&x, &[3, 1])?;
    /// let slow = net.numerical_gradient(&x, &[3, 1])?;
    /// for ((name, a), (_, b)) in fast.iter().zip(slow.iter()) {
    ///     let worst = a.iter().zip(&b).map(|(p, q)| (p - q).abs()).fold(0.0, f64::max);
    ///     assert!(worst < 1e-9, "{name}: {worst}");
    /// }
    /// # Ok::<(), nn_grad::Error>(())
    /// ```
    pub fn numerical_gradient_fast<'t, S: Data<Elem = T>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        t: impl Into<Targets<'t, T>>,
    ) -> Result<Gradients<T>>
    where
        T: 't,
    {
        let t = t.into();
        self.check_batch(x.nrows(), x.ncols(), &t)?;
        let mut grads = Gradients::zeros_like(self);
        self.numerical_gradient_fast_into(x.view(), &t, &mut grads);
        Ok(grads)
    }

    /// [`Mlp::numerical_gradient_fast`] into existing buffers; shapes must
    /// have been checked.
    pub(crate) fn numerical_gradient_fast_into(
        &self,
        x: ArrayView2<'_, T>,
        t: &Targets<'_, T>,
        grads: &mut Gradients<T>,
    ) {
        let cache = Cache::new(self, x);
        let h: T = cast(H);
        let scale = T::one() / (cast::<T>(x.nrows() as f64) * (h + h));
        for (l, g) in grads.layers.iter_mut().enumerate() {
            let input = if l == 0 { x } else { cache.z[l - 1].view() };
            // For every input feature i, the samples where it is non-zero.
            let columns: Vec<Vec<(usize, T)>> = input
                .axis_iter(Axis(1))
                .map(|col| {
                    col.iter()
                        .enumerate()
                        .filter(|&(_, &v)| v != T::zero())
                        .map(|(n, &v)| (n, v))
                        .collect()
                })
                .collect();
            let units = g.bias.len();
            if !g.weight.is_standard_layout() {
                g.weight = Array2::zeros(g.weight.raw_dim());
            }
            g.weight
                .as_slice_mut()
                .expect("standard layout")
                .par_chunks_mut(units)
                .zip(columns.par_iter())
                .for_each_init(
                    || Scratch::new(self),
                    |scratch, (out, samples)| {
                        for (j, o) in out.iter_mut().enumerate() {
                            let mut acc = T::zero();
                            for &(n, v) in samples {
                                let a = cache.a[l][[n, j]];
                                let step = h * v;
                                acc += self.tail_loss(&cache, t, scratch, l, n, j, a + step)
                                    - self.tail_loss(&cache, t, scratch, l, n, j, a - step);
                            }
                            *o = acc * scale;
                        }
                    },
                );
            let rows = x.nrows();
            let bias: Vec<T> = (0..units)
                .into_par_iter()
                .map_init(
                    || Scratch::new(self),
                    |scratch, j| {
                        let mut acc = T::zero();
                        for n in 0..rows {
                            let a = cache.a[l][[n, j]];
                            acc += self.tail_loss(&cache, t, scratch, l, n, j, a + h)
                                - self.tail_loss(&cache, t, scratch, l, n, j, a - h);
                        }
                        acc * scale
                    },
                )
                .collect();
            g.bias = Array1::from(bias);
        }
    }

    /// The loss of sample `n` when the pre-activation of unit `j` of layer
    /// `l` is `a_new` instead of `cache.a[l][n, j]`.
    #[allow(clippy::too_many_arguments)]
    fn tail_loss(
        &self,
        cache: &Cache<T>,
        t: &Targets<'_, T>,
        scratch: &mut Scratch<T>,
        l: usize,
        n: usize,
        j: usize,
        a_new: T,
    ) -> T {
        let last = self.layers.len() - 1;
        let Scratch { cur, next } = scratch;
        if l == last {
            resize(cur, cache.a[last].ncols());
            cur.assign(&cache.a[last].row(n));
            cur[j] = a_new;
        } else {
            // Only z[l][n, j] changes: a[l+1][n, :] moves by Δz · W[l+1][j, :].
            let dz = self.hidden.apply(a_new) - cache.z[l][[n, j]];
            resize(cur, cache.a[l + 1].ncols());
            cur.assign(&cache.a[l + 1].row(n));
            cur.scaled_add(dz, &self.layers[l + 1].weight.row(j));
            for m in l + 1..last {
                // `cur` is layer m's pre-activation: run the rest in full.
                let h = self.hidden;
                cur.mapv_inplace(|v| h.apply(v));
                let layer = &self.layers[m + 1];
                resize(next, layer.bias.len());
                next.assign(&layer.bias);
                ndarray::linalg::general_mat_vec_mul(
                    T::one(),
                    &layer.weight.t(),
                    &*cur,
                    T::one(),
                    next,
                );
                std::mem::swap(cur, next);
            }
        }
        head_loss(self.head, cur.view_mut(), t, n)
    }
}

/// The loss of one sample from its output pre-activation `a` (overwritten).
fn head_loss<T: Float>(head: Head, mut a: ArrayViewMut1<'_, T>, t: &Targets<'_, T>, n: usize) -> T {
    if head == Head::Softmax {
        let m = a.fold(T::neg_infinity(), |m, &v| if v > m { v } else { m });
        let mut s = T::zero();
        a.mapv_inplace(|v| {
            let e = (v - m).exp();
            s += e;
            e
        });
        a.mapv_inplace(|e| e / s);
    }
    sample_loss(head, a.view(), t, n)
}

fn resize<T: Float>(v: &mut Array1<T>, len: usize) {
    if v.len() != len {
        *v = Array1::zeros(len);
    }
}

/// Pre-activations `a[l]` and outputs `z[l]` of every layer for a batch.
struct Cache<T> {
    a: Vec<Array2<T>>,
    z: Vec<Array2<T>>,
}

impl<T: Float> Cache<T> {
    fn new(net: &Mlp<T>, x: ArrayView2<'_, T>) -> Self {
        let mut a: Vec<Array2<T>> = Vec::new();
        let mut z: Vec<Array2<T>> = Vec::new();
        for l in 0..net.layers.len() {
            let mut pre = Array2::zeros((0, 0));
            let input = if l == 0 { x } else { z[l - 1].view() };
            net.layer_forward(l, input, &mut pre);
            let h = net.hidden;
            z.push(pre.mapv(|v| h.apply(v)));
            a.push(pre);
        }
        Self { a, z }
    }
}

/// Per-thread buffers for [`Mlp::tail_loss`].
struct Scratch<T> {
    cur: Array1<T>,
    next: Array1<T>,
}

impl<T: Float> Scratch<T> {
    fn new(net: &Mlp<T>) -> Self {
        Self {
            cur: Array1::zeros(net.output_size()),
            next: Array1::zeros(net.output_size()),
        }
    }
}

/// The result of [`gradient_check`]: for every parameter, the mean absolute
/// difference between its backpropagated and numerical gradients.
///
/// ```
/// use nn_grad::GradientCheck;
/// let check = GradientCheck { diffs: vec![("W1".into(), 4e-10), ("b1".into(), 2e-9)] };
/// assert_eq!(check.max(), 2e-9);
/// assert!(check.passes(1e-6));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GradientCheck {
    /// `(name, mean |backprop − numerical|)` in the order `W1, b1, W2, …`.
    pub diffs: Vec<(String, f64)>,
}

impl GradientCheck {
    /// The largest difference.
    pub fn max(&self) -> f64 {
        self.diffs.iter().map(|&(_, d)| d).fold(0.0, f64::max)
    }

    /// Whether every difference is below `tolerance` (NaN fails).
    pub fn passes(&self, tolerance: f64) -> bool {
        self.diffs.iter().all(|&(_, d)| d < tolerance)
    }
}

/// The gradient check of §5.7.3 (`gradient_check.py`): backpropagation
/// against central differences on the same batch,
///
/// `diff[key] = mean(|grad_backprop[key] − grad_numerical[key]|)`
///
/// for every parameter. `fast` picks [`Mlp::numerical_gradient_fast`]
/// instead of the book's direct [`Mlp::numerical_gradient`] (same
/// differences, much quicker on large networks).
///
/// # Errors
/// As [`Mlp::loss`].
///
/// ```
/// use ndarray::Array2;
/// use nn_grad::{TwoLayerNet, gradient_check};
/// use rand::SeedableRng;
///
/// let mut rng = rand::rngs::StdRng::seed_from_u64(3);
/// let net = TwoLayerNet::<f64>::new(6, 5, 3, 0.01, &mut rng)?;
/// let x = Array2::from_shape_fn((3, 6), |(i, j)| ((i * 6 + j) % 5) as f64 / 4.0);
/// let check = gradient_check(&net, &x, &[0, 2, 1], false)?;
/// assert_eq!(check.diffs.len(), 4);
/// assert!(check.passes(1e-6), "{check:?}");
/// # Ok::<(), nn_grad::Error>(())
/// ```
pub fn gradient_check<'t, T, S>(
    net: &Mlp<T>,
    x: &ArrayBase<S, Ix2>,
    t: impl Into<Targets<'t, T>>,
    fast: bool,
) -> Result<GradientCheck>
where
    T: Float + 't,
    S: Data<Elem = T>,
{
    let t = t.into();
    let backprop = net.gradient(x, t)?;
    let numerical = if fast {
        net.numerical_gradient_fast(x, t)?
    } else {
        net.numerical_gradient(x, t)?
    };
    let diffs = backprop
        .iter()
        .zip(numerical.iter())
        .map(|((name, b), (_, n))| {
            let total = b.iter().zip(n.iter()).fold(0.0, |s, (&p, &q)| {
                s + (p - q).abs().to_f64().unwrap_or(f64::NAN)
            });
            (name, total / b.len() as f64)
        })
        .collect();
    Ok(GradientCheck { diffs })
}
