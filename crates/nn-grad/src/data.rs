//! What a network trains on: input rows ([`Inputs`]), teacher values
//! ([`Targets`]) and the two together as a [`Dataset`].
//!
//! Nothing here knows about MNIST: inputs are any `(N, D)` float array, or
//! raw `u8` pixels that are normalised to `[0, 1]` (the book's
//! `normalize=True`) only when a batch is copied out, so a whole training set
//! can stay in memory at one byte per value.

use std::sync::Arc;

use ndarray::{Array2, ArrayView2, Axis};
use nn_core::Float;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::sparse::Csr;
use crate::{Error, Result};

/// Input rows `(N, D)`: N samples of D features.
///
/// ```
/// use ndarray::array;
/// use nn_grad::Inputs;
///
/// let pixels = array![[0_u8, 51, 255]];
/// let x = Inputs::<f32>::pixels(pixels.view());
/// assert_eq!((x.nrows(), x.ncols()), (1, 3));
/// // Pixels read as p / 255, as the book's `x.astype(np.float32) / 255.0`.
/// assert_eq!(x.to_array().row(0).to_vec(), vec![0.0, 0.2, 1.0]);
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Inputs<'a, T> {
    /// Float features, used as they are.
    Float(ArrayView2<'a, T>),
    /// Raw 8-bit values `p`, read as `p / 255` (computed in `f32` like the
    /// book's `normalize=True`, then converted to `T`).
    Pixels(ArrayView2<'a, u8>),
}

impl<'a, T: Float> Inputs<'a, T> {
    /// Float features `(N, D)`.
    pub fn float(x: ArrayView2<'a, T>) -> Self {
        Inputs::Float(x)
    }

    /// Raw pixels `(N, D)`, normalised to `p / 255` when read.
    pub fn pixels(x: ArrayView2<'a, u8>) -> Self {
        Inputs::Pixels(x)
    }

    /// Number of samples N.
    pub fn nrows(&self) -> usize {
        match self {
            Inputs::Float(x) => x.nrows(),
            Inputs::Pixels(x) => x.nrows(),
        }
    }

    /// Number of features D.
    pub fn ncols(&self) -> usize {
        match self {
            Inputs::Float(x) => x.ncols(),
            Inputs::Pixels(x) => x.ncols(),
        }
    }

    /// All rows as a float array `(N, D)` (a copy).
    pub fn to_array(&self) -> Array2<T> {
        let mut out = Array2::zeros((self.nrows(), self.ncols()));
        self.gather_into((0..self.nrows()).collect::<Vec<_>>().as_slice(), &mut out);
        out
    }

    /// Copy the rows `rows` (in that order) into `out`, which must have
    /// shape `(rows.len(), D)`; indices must be `< N`.
    pub(crate) fn gather_into(&self, rows: &[usize], out: &mut Array2<T>) {
        debug_assert_eq!(out.dim(), (rows.len(), self.ncols()));
        match self {
            Inputs::Float(x) => {
                for (&r, mut dst) in rows.iter().zip(out.rows_mut()) {
                    dst.assign(&x.row(r));
                }
            }
            Inputs::Pixels(x) => {
                let lut = pixel_table::<T>();
                for (&r, mut dst) in rows.iter().zip(out.rows_mut()) {
                    let src = x.row(r);
                    match (src.as_slice(), dst.as_slice_mut()) {
                        (Some(src), Some(dst)) => {
                            for (d, &p) in dst.iter_mut().zip(src) {
                                *d = lut[usize::from(p)];
                            }
                        }
                        _ => dst.zip_mut_with(&src, |d, &p| *d = lut[usize::from(p)]),
                    }
                }
            }
        }
    }
}

/// `p / 255` for every byte, computed as the book does (`float32` division)
/// and converted to `T`.
fn pixel_table<T: Float>() -> [T; 256] {
    std::array::from_fn(|p| {
        let v = p as f32 / 255.0;
        T::from_f32(v).unwrap_or_else(T::zero)
    })
}

/// The teacher values `t` of a set of samples.
///
/// ```
/// use ndarray::array;
/// use nn_grad::Targets;
///
/// let labels = [2_usize, 0];
/// let t: Targets<'_, f64> = Targets::from(&labels[..]);
/// assert_eq!(t.len(), 2);
/// // The same teacher as one-hot rows (the book's `one_hot_label=True`).
/// let one_hot = array![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]];
/// assert_eq!(Targets::from(&one_hot).len(), 2);
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Targets<'a, T> {
    /// Class indices, one per sample (classification).
    Labels(&'a [usize]),
    /// One row of target values per sample `(N, C)`: one-hot rows for
    /// classification, or the wanted outputs for regression.
    Values(ArrayView2<'a, T>),
}

impl<T> Targets<'_, T> {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Targets::Labels(l) => l.len(),
            Targets::Values(v) => v.nrows(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a, T> From<&'a [usize]> for Targets<'a, T> {
    fn from(labels: &'a [usize]) -> Self {
        Targets::Labels(labels)
    }
}

impl<'a, T> From<&'a Vec<usize>> for Targets<'a, T> {
    fn from(labels: &'a Vec<usize>) -> Self {
        Targets::Labels(labels)
    }
}

impl<'a, T, const N: usize> From<&'a [usize; N]> for Targets<'a, T> {
    fn from(labels: &'a [usize; N]) -> Self {
        Targets::Labels(labels)
    }
}

impl<'a, T> From<ArrayView2<'a, T>> for Targets<'a, T> {
    fn from(values: ArrayView2<'a, T>) -> Self {
        Targets::Values(values)
    }
}

impl<'a, T> From<&'a Array2<T>> for Targets<'a, T> {
    fn from(values: &'a Array2<T>) -> Self {
        Targets::Values(values.view())
    }
}

/// The teacher values of one mini-batch, copied out of a [`Targets`].
#[derive(Debug, Clone)]
pub(crate) enum TargetBuf<T> {
    Labels(Vec<usize>),
    Values(Array2<T>),
}

impl<T: Float> TargetBuf<T> {
    /// An empty buffer of the same kind as `t`.
    pub(crate) fn like(t: &Targets<'_, T>) -> Self {
        match t {
            Targets::Labels(_) => TargetBuf::Labels(Vec::new()),
            Targets::Values(v) => TargetBuf::Values(Array2::zeros((0, v.ncols()))),
        }
    }

    /// The buffer as a [`Targets`].
    pub(crate) fn view(&self) -> Targets<'_, T> {
        match self {
            TargetBuf::Labels(l) => Targets::Labels(l),
            TargetBuf::Values(v) => Targets::Values(v.view()),
        }
    }

    /// Copy rows `rows` of `t` (of the same kind) into the buffer.
    pub(crate) fn gather(&mut self, t: &Targets<'_, T>, rows: &[usize]) {
        match (self, t) {
            (TargetBuf::Labels(dst), Targets::Labels(src)) => {
                dst.clear();
                dst.extend(rows.iter().map(|&r| src[r]));
            }
            (TargetBuf::Values(dst), Targets::Values(src)) => {
                if dst.dim() != (rows.len(), src.ncols()) {
                    *dst = Array2::zeros((rows.len(), src.ncols()));
                }
                for (&r, mut d) in rows.iter().zip(dst.rows_mut()) {
                    d.assign(&src.row(r));
                }
            }
            (me, t) => {
                *me = TargetBuf::like(t);
                me.gather(t, rows);
            }
        }
    }
}

/// Inputs and targets of the same samples, optionally restricted to a
/// subset of their rows (a training/validation split without copying).
///
/// ```
/// use ndarray::Array2;
/// use nn_grad::{Dataset, Inputs, Targets};
///
/// let x = Array2::<f64>::zeros((10, 3));
/// let labels: Vec<usize> = (0..10).map(|i| i % 2).collect();
/// let all = Dataset::new(Inputs::float(x.view()), Targets::from(&labels))?;
/// assert_eq!(all.len(), 10);
/// assert_eq!(all.head(4)?.len(), 4);
/// let (train, validation) = all.split_validation(0.3, 0)?;
/// assert_eq!((train.len(), validation.len()), (7, 3));
/// # Ok::<(), nn_grad::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Dataset<'a, T> {
    x: Inputs<'a, T>,
    t: Targets<'a, T>,
    /// Rows of `x`/`t` that belong to the set; `None` means all rows.
    rows: Option<Arc<[usize]>>,
    /// The non-zero pixels of every row of `x`, packed once for quick
    /// batches (see [`Dataset::packed`]).
    packed: Option<Arc<PackedPixels>>,
}

/// The non-zero pixels of all rows of a `u8` input array: row `r` has
/// `values[indptr[r]..indptr[r + 1]]` in columns `indices[…]`. Three bytes
/// per non-zero pixel (MNIST: 27 MB for the training set, against 47 MB of
/// raw pixels), and a batch is copied out without scanning the zeros.
#[derive(Debug)]
struct PackedPixels {
    indptr: Vec<usize>,
    indices: Vec<u16>,
    values: Vec<u8>,
}

impl<'a, T: Float> Dataset<'a, T> {
    /// Pair inputs with targets.
    ///
    /// # Errors
    /// [`Error::Core`] with a shape mismatch when `x` and `t` have different
    /// numbers of rows. (Labels are checked against a network's outputs
    /// when it trains on or is evaluated with the set.)
    pub fn new(x: Inputs<'a, T>, t: Targets<'a, T>) -> Result<Self> {
        if x.nrows() != t.len() {
            return Err(shape_error(
                "dataset",
                format!("{} targets (one per input row)", x.nrows()),
                format!("{}", t.len()),
            ));
        }
        Ok(Self {
            x,
            t,
            rows: None,
            packed: None,
        })
    }

    /// Number of samples in the set.
    pub fn len(&self) -> usize {
        self.rows.as_ref().map_or(self.x.nrows(), |r| r.len())
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Input width D.
    pub fn input_size(&self) -> usize {
        self.x.ncols()
    }

    /// The inputs (all rows, ignoring any subset).
    pub fn inputs(&self) -> Inputs<'a, T> {
        self.x
    }

    /// The targets (all rows, ignoring any subset).
    pub fn targets(&self) -> Targets<'a, T> {
        self.t
    }

    /// The first `n` samples of the set.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `n` is 0 or larger than the set.
    pub fn head(&self, n: usize) -> Result<Self> {
        if n == 0 || n > self.len() {
            return Err(Error::InvalidConfig(format!(
                "cannot take the first {n} of {} samples",
                self.len()
            )));
        }
        let rows: Arc<[usize]> = (0..n).map(|i| self.row(i)).collect();
        Ok(Self {
            rows: Some(rows),
            ..self.clone()
        })
    }

    /// Hold out a random fraction of the set for validation: the samples
    /// are shuffled with a generator seeded by `seed`, the first
    /// `round(fraction · len)` become the validation set and the rest the
    /// training set (the book's chapter 6 `shuffle_dataset` and
    /// `validation_rate`). Returns `(train, validation)`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `0 < fraction < 1` and both parts
    /// are non-empty.
    pub fn split_validation(&self, fraction: f64, seed: u64) -> Result<(Self, Self)> {
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(Error::InvalidConfig(format!(
                "validation fraction must be between 0 and 1 (exclusive), got {fraction}"
            )));
        }
        let n = self.len();
        let held = (fraction * n as f64).round() as usize;
        if held == 0 || held == n {
            return Err(Error::InvalidConfig(format!(
                "a validation fraction of {fraction} of {n} samples leaves an empty set"
            )));
        }
        let mut order: Vec<usize> = (0..n).map(|i| self.row(i)).collect();
        order.shuffle(&mut StdRng::seed_from_u64(seed));
        let validation: Arc<[usize]> = order[..held].into();
        let train: Arc<[usize]> = order[held..].into();
        Ok((
            Self {
                rows: Some(train),
                ..self.clone()
            },
            Self {
                rows: Some(validation),
                ..self.clone()
            },
        ))
    }

    /// The same set with the non-zero pixels of its rows packed, so that
    /// batches are copied out faster; a no-op for float inputs, inputs wider
    /// than 65 536 columns, or sets where more than half the pixels are
    /// non-zero. Costs one pass over the pixels and about 3 bytes per
    /// non-zero pixel.
    pub(crate) fn packed(&self) -> Self {
        let Inputs::Pixels(x) = self.x else {
            return self.clone();
        };
        if self.packed.is_some() || x.ncols() > usize::from(u16::MAX) + 1 {
            return self.clone();
        }
        let nonzero = match x.as_slice() {
            // A flat count vectorises; ndarray's 2-D iterator does not.
            Some(all) => all.iter().filter(|&&p| p != 0).count(),
            None => x.iter().filter(|&&p| p != 0).count(),
        };
        if nonzero > x.len() / 2 {
            return self.clone();
        }
        let mut indptr = Vec::with_capacity(x.nrows() + 1);
        let mut indices = Vec::with_capacity(nonzero);
        let mut values = Vec::with_capacity(nonzero);
        indptr.push(0);
        for row in x.rows() {
            let mut push = |j: usize, p: u8| {
                if p != 0 {
                    indices.push(j as u16);
                    values.push(p);
                }
            };
            match row.as_slice() {
                Some(r) => {
                    // Most pixels are 0: eight of them cost one test.
                    for (c, chunk) in r.chunks(8).enumerate() {
                        let zero =
                            <[u8; 8]>::try_from(chunk).is_ok_and(|b| u64::from_ne_bytes(b) == 0);
                        if !zero {
                            chunk
                                .iter()
                                .enumerate()
                                .for_each(|(k, &p)| push(c * 8 + k, p));
                        }
                    }
                }
                None => row.iter().enumerate().for_each(|(j, &p)| push(j, p)),
            }
            indptr.push(values.len());
        }
        let packed = PackedPixels {
            indptr,
            indices,
            values,
        };
        Self {
            packed: Some(Arc::new(packed)),
            ..self.clone()
        }
    }

    /// [`Dataset::packed`], reusing the packing of `other` when both sets
    /// are parts of the same pixel array (a training/validation split).
    pub(crate) fn packed_like(&self, other: &Self) -> Self {
        match (self.x, other.x, &other.packed) {
            (Inputs::Pixels(a), Inputs::Pixels(b), Some(p))
                if a.as_ptr() == b.as_ptr() && a.dim() == b.dim() && a.strides() == b.strides() =>
            {
                Self {
                    packed: Some(Arc::clone(p)),
                    ..self.clone()
                }
            }
            _ => self.packed(),
        }
    }

    /// The row of `x`/`t` of sample `i` of the set.
    pub(crate) fn row(&self, i: usize) -> usize {
        self.rows.as_ref().map_or(i, |r| r[i])
    }

    /// Copy samples `samples` into `batch`: inputs as compressed rows when
    /// at most half of the values are non-zero (MNIST: about a fifth), as
    /// a dense array otherwise or when `need_dense`; targets alongside.
    pub(crate) fn gather_batch(&self, samples: &[usize], batch: &mut Batch<T>, need_dense: bool) {
        let cols = self.x.ncols();
        let csr = &mut batch.csr;
        csr.clear(cols);
        let budget = samples.len() * cols / 2;
        let mut sparse = true;
        match self.x {
            Inputs::Pixels(_) if self.packed.is_some() => {
                let packed = self.packed.as_deref().expect("checked");
                let lut = pixel_table::<T>();
                // Rows are drawn at random from tens of megabytes: touch one
                // value per cache line of every row first, so the memory
                // system fetches them all at once instead of row by row.
                let mut touched = 0usize;
                for &i in samples {
                    let r = self.row(i);
                    for k in (packed.indptr[r]..packed.indptr[r + 1]).step_by(32) {
                        touched ^= usize::from(packed.indices[k]) ^ usize::from(packed.values[k]);
                    }
                }
                std::hint::black_box(touched);
                for &i in samples {
                    let r = self.row(i);
                    let span = packed.indptr[r]..packed.indptr[r + 1];
                    csr.push_packed(&packed.indices[span.clone()], &packed.values[span], &lut);
                    if csr.nnz() > budget {
                        sparse = false;
                        break;
                    }
                }
            }
            Inputs::Pixels(x) => {
                let lut = pixel_table::<T>();
                for &i in samples {
                    let row = x.row(self.row(i));
                    match row.as_slice() {
                        Some(r) => csr.push_pixels(r, &lut),
                        None => csr.push_row(row.iter().map(|&p| lut[usize::from(p)])),
                    }
                    if csr.nnz() > budget {
                        sparse = false;
                        break;
                    }
                }
            }
            Inputs::Float(x) => {
                for &i in samples {
                    csr.push_row(x.row(self.row(i)).iter().copied());
                    if csr.nnz() > budget {
                        sparse = false;
                        break;
                    }
                }
            }
        }
        batch.sparse = sparse;
        let dim = (samples.len(), cols);
        if batch.dense.dim() != dim {
            batch.dense = Array2::zeros(dim);
        }
        if !sparse {
            let rows: Vec<usize> = samples.iter().map(|&i| self.row(i)).collect();
            self.x.gather_into(&rows, &mut batch.dense);
        } else if need_dense {
            batch.dense.fill(T::zero());
            for (n, mut row) in batch.dense.rows_mut().into_iter().enumerate() {
                let (idx, vals) = batch.csr.row(n);
                for (&j, &v) in idx.iter().zip(vals) {
                    row[j as usize] = v;
                }
            }
        }
        let rows: Vec<usize> = samples.iter().map(|&i| self.row(i)).collect();
        batch.t.gather(&self.t, &rows);
    }

    /// Check that every target fits a network with `outputs` outputs.
    pub(crate) fn check_targets(&self, outputs: usize) -> Result<()> {
        check_targets(&self.t, outputs, self.rows.as_deref())
    }
}

/// A mini-batch: inputs (dense, or compressed when mostly zeros) and
/// targets, in buffers reused from batch to batch.
#[derive(Debug, Clone)]
pub(crate) struct Batch<T> {
    /// `(N, D)` inputs; valid when `!sparse` or when asked for.
    pub(crate) dense: Array2<T>,
    /// The same rows compressed; valid when `sparse`.
    pub(crate) csr: Csr<T>,
    /// Whether `csr` holds the batch.
    pub(crate) sparse: bool,
    /// The targets.
    pub(crate) t: TargetBuf<T>,
}

impl<T: Float> Batch<T> {
    /// Empty buffers for batches of `set`.
    pub(crate) fn new(set: &Dataset<'_, T>) -> Self {
        Self {
            dense: Array2::zeros((0, set.input_size())),
            csr: Csr::default(),
            sparse: false,
            t: TargetBuf::like(&set.targets()),
        }
    }
}

/// Check labels `< outputs` or value rows `outputs` wide.
pub(crate) fn check_targets<T>(
    t: &Targets<'_, T>,
    outputs: usize,
    rows: Option<&[usize]>,
) -> Result<()> {
    match t {
        Targets::Labels(labels) => {
            let bad = match rows {
                None => labels.iter().enumerate().find(|&(_, &l)| l >= outputs),
                Some(rows) => rows
                    .iter()
                    .map(|&r| (r, &labels[r]))
                    .find(|&(_, &l)| l >= outputs),
            };
            if let Some((row, &label)) = bad {
                return Err(nn_core::Error::LabelOutOfRange {
                    row,
                    label,
                    classes: outputs,
                }
                .into());
            }
            Ok(())
        }
        Targets::Values(v) => {
            if v.len_of(Axis(1)) != outputs {
                return Err(shape_error(
                    "targets",
                    format!("{outputs} values per row (one per output)"),
                    format!("{}", v.ncols()),
                ));
            }
            Ok(())
        }
    }
}

/// A shape mismatch as nn-core reports it.
pub(crate) fn shape_error(context: &str, expected: String, got: String) -> Error {
    nn_core::Error::ShapeMismatch {
        context: context.into(),
        expected,
        got,
    }
    .into()
}
