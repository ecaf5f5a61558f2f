//! Mostly-zero input batches (MNIST pixels are about 80 % zeros) and the
//! two products of the first layer computed on their non-zeros only:
//! `x · W` (forward) and `xᵀ · δ` (the weight gradient).
//!
//! Both skip exactly the terms `0 · w`, so they compute the same sums as
//! the dense products (in a fixed order, so results are reproducible).

use nn_core::Float;

/// Rows in compressed sparse row form: row `n` has the values
/// `values[indptr[n]..indptr[n + 1]]` in columns `indices[…]`, in
/// increasing column order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Csr<T> {
    indptr: Vec<usize>,
    /// Only the first `nnz` entries of `indices` and `values` are in use;
    /// the rest is room kept from earlier batches.
    indices: Vec<u32>,
    values: Vec<T>,
    nnz: usize,
    ncols: usize,
    /// The same entries column by column (built on demand).
    by_col: Csc<T>,
}

/// Columns in compressed form: column `i` has the entries
/// `rows[colptr[i]..colptr[i + 1]]` with values `values[…]`, in increasing
/// row order.
#[derive(Debug, Clone, Default)]
struct Csc<T> {
    colptr: Vec<usize>,
    rows: Vec<u32>,
    values: Vec<T>,
}

impl<T: Float> Csr<T> {
    /// Forget all rows; new rows will have `ncols` columns.
    pub(crate) fn clear(&mut self, ncols: usize) {
        self.indptr.clear();
        self.indptr.push(0);
        self.nnz = 0;
        self.ncols = ncols;
        self.by_col.colptr.clear();
    }

    /// Number of rows.
    pub(crate) fn nrows(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    /// Number of stored (non-zero) values.
    pub(crate) fn nnz(&self) -> usize {
        self.nnz
    }

    /// Make room for one more row of `ncols` entries.
    fn reserve_row(&mut self) {
        let need = self.nnz + self.ncols;
        if self.values.len() < need {
            // Grow geometrically, without writing the room on every row.
            let room = need.max(2 * self.values.len());
            self.values.resize(room, T::zero());
            self.indices.resize(room, 0);
        }
    }

    /// The column indices and values of row `n`.
    #[inline(always)]
    pub(crate) fn row(&self, n: usize) -> (&[u32], &[T]) {
        let r = self.indptr[n]..self.indptr[n + 1];
        (&self.indices[r.clone()], &self.values[r])
    }

    /// Append a row of `ncols` values, keeping the non-zeros.
    pub(crate) fn push_row(&mut self, row: impl Iterator<Item = T>) {
        self.reserve_row();
        let mut k = self.nnz;
        for (j, v) in row.take(self.ncols).enumerate() {
            self.values[k] = v;
            self.indices[k] = j as u32;
            k += usize::from(v != T::zero());
        }
        self.nnz = k;
        self.indptr.push(k);
    }

    /// Append a row of raw pixels, each read as `lut[p]`, keeping the
    /// non-zero pixels. Runs of eight zero bytes are skipped at once and the
    /// rest is compacted without branches (zeros and non-zeros of a digit's
    /// stroke alternate unpredictably).
    pub(crate) fn push_pixels(&mut self, row: &[u8], lut: &[T; 256]) {
        self.reserve_row();
        let row = &row[..row.len().min(self.ncols)];
        let base = self.nnz;
        let values = &mut self.values[base..base + row.len()];
        let indices = &mut self.indices[base..base + row.len()];
        let mut k = 0;
        let mut j = 0;
        for chunk in row.chunks(8) {
            if let Ok(word) = <[u8; 8]>::try_from(chunk)
                && u64::from_ne_bytes(word) == 0
            {
                j += 8;
                continue;
            }
            for &p in chunk {
                // k <= j < row.len(): the writes stay in the row's room.
                values[k] = lut[usize::from(p)];
                indices[k] = j as u32;
                k += usize::from(p != 0);
                j += 1;
            }
        }
        self.nnz = base + k;
        self.indptr.push(self.nnz);
    }

    /// Append a row given by its non-zero pixels (columns `indices`, raw
    /// values `pixels`, each read as `lut[p]`).
    pub(crate) fn push_packed(&mut self, indices: &[u16], pixels: &[u8], lut: &[T; 256]) {
        let base = self.nnz;
        let end = base + pixels.len();
        if self.values.len() < end {
            let room = end.max(2 * self.values.len());
            self.values.resize(room, T::zero());
            self.indices.resize(room, 0);
        }
        for (v, &p) in self.values[base..end].iter_mut().zip(pixels) {
            *v = lut[usize::from(p)];
        }
        for (j, &i) in self.indices[base..end].iter_mut().zip(indices) {
            *j = u32::from(i);
        }
        self.nnz = end;
        self.indptr.push(end);
    }

    /// `out[n, :] += x[n, :] · w` for every row `n`, with `w` row-major
    /// `(ncols, width)` and `out` row-major `(nrows, width)`.
    pub(crate) fn matmul_add(&self, w: &[T], width: usize, out: &mut [T]) {
        pulp::Arch::new().dispatch(RowsTimes {
            csr: self,
            m: w,
            width,
            out,
        });
    }

    /// `out = xᵀ · d` with `d` row-major `(nrows, width)` and `out`
    /// row-major `(ncols, width)`: row `i` of `out` sums the rows of `d`
    /// of the samples whose value `i` is non-zero, scaled by it.
    /// Call [`Csr::build_columns`] after the last row is pushed, or this
    /// falls back to scattering row by row.
    pub(crate) fn t_matmul(&self, d: &[T], width: usize, out: &mut [T]) {
        let csc = &self.by_col;
        if csc.colptr.len() != self.ncols + 1 || csc.rows.len() != self.nnz {
            out.fill(T::zero());
            for (n, dn) in d.chunks_exact(width).enumerate() {
                let (idx, vals) = self.row(n);
                for (&i, &v) in idx.iter().zip(vals) {
                    let o = &mut out[i as usize * width..(i as usize + 1) * width];
                    for (o, &x) in o.iter_mut().zip(dn) {
                        *o += v * x;
                    }
                }
            }
            return;
        }
        pulp::Arch::new().dispatch(ColumnsTimes {
            csc,
            m: d,
            width,
            out,
        });
    }

    /// Index the entries by column too (a counting sort), for
    /// [`Csr::t_matmul`].
    pub(crate) fn build_columns(&mut self) {
        let csc = &mut self.by_col;
        csc.colptr.clear();
        csc.colptr.resize(self.ncols + 1, 0);
        for &j in &self.indices[..self.nnz] {
            csc.colptr[j as usize + 1] += 1;
        }
        for i in 0..self.ncols {
            csc.colptr[i + 1] += csc.colptr[i];
        }
        csc.rows.resize(self.nnz, 0);
        csc.values.resize(self.nnz, T::zero());
        let mut next = csc.colptr.clone();
        for n in 0..self.indptr.len().saturating_sub(1) {
            for k in self.indptr[n]..self.indptr[n + 1] {
                let j = self.indices[k] as usize;
                let at = next[j];
                csc.rows[at] = n as u32;
                csc.values[at] = self.values[k];
                next[j] += 1;
            }
        }
    }
}

/// `out[n, :] += Σ_k x[n, k] · m[k, :]` for the rows `n` of a [`Csr`],
/// compiled for the best instruction set of the machine (AVX2 and FMA where
/// present: `pulp` checks once and picks; the arithmetic is the same
/// unfused multiply-then-add on every machine).
struct RowsTimes<'a, T> {
    csr: &'a Csr<T>,
    m: &'a [T],
    width: usize,
    out: &'a mut [T],
}

impl<T: Float> pulp::WithSimd for RowsTimes<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        for (n, o) in self.out.chunks_exact_mut(self.width).enumerate() {
            let (idx, vals) = self.csr.row(n);
            weighted_rows_add(idx, vals, self.m, self.width, o);
        }
    }
}

/// `out[i, :] = Σ_n x[n, i] · m[n, :]` for the columns `i` of a [`Csc`],
/// dispatched like [`RowsTimes`].
struct ColumnsTimes<'a, T> {
    csc: &'a Csc<T>,
    m: &'a [T],
    width: usize,
    out: &'a mut [T],
}

impl<T: Float> pulp::WithSimd for ColumnsTimes<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        let csc = self.csc;
        for (i, o) in self.out.chunks_exact_mut(self.width).enumerate() {
            o.fill(T::zero());
            let r = csc.colptr[i]..csc.colptr[i + 1];
            weighted_rows_add(&csc.rows[r.clone()], &csc.values[r], self.m, self.width, o);
        }
    }
}

/// `out += Σ_k vals[k] · m[idx[k], :]` for a row-major `m` of `width`
/// columns: column blocks of fixed sizes (32, 16, 8, 4, 2, 1) whose
/// accumulators stay in registers while the entries stream past. For each
/// output the terms are added in the order of `idx`.
#[inline(always)]
fn weighted_rows_add<T: Float>(idx: &[u32], vals: &[T], m: &[T], width: usize, out: &mut [T]) {
    let mut start = 0;
    while width - start >= 32 {
        block_add::<T, 32>(idx, vals, m, width, start, out);
        start += 32;
    }
    for size in [16, 8, 4, 2, 1] {
        if width - start >= size {
            match size {
                16 => block_add::<T, 16>(idx, vals, m, width, start, out),
                8 => block_add::<T, 8>(idx, vals, m, width, start, out),
                4 => block_add::<T, 4>(idx, vals, m, width, start, out),
                2 => block_add::<T, 2>(idx, vals, m, width, start, out),
                _ => block_add::<T, 1>(idx, vals, m, width, start, out),
            }
            start += size;
        }
    }
}

/// Columns `start..start + B` of [`weighted_rows_add`].
#[inline(always)]
fn block_add<T: Float, const B: usize>(
    idx: &[u32],
    vals: &[T],
    m: &[T],
    width: usize,
    start: usize,
    out: &mut [T],
) {
    let mut acc: [T; B] = out[start..start + B].try_into().expect("a full block");
    for (&i, &v) in idx.iter().zip(vals) {
        let from = i as usize * width + start;
        let row: &[T; B] = m[from..from + B].try_into().expect("a full block");
        for b in 0..B {
            acc[b] += v * row[b];
        }
    }
    out[start..start + B].copy_from_slice(&acc);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(rows: &[&[f64]]) -> Csr<f64> {
        let mut c = Csr::default();
        c.clear(rows[0].len());
        for r in rows {
            c.push_row(r.iter().copied());
        }
        c
    }

    #[test]
    fn products_match_dense_ones() {
        // 3 × 20 inputs, weights 20 × 19 (one full block and a tail).
        let rows: Vec<Vec<f64>> = (0..3)
            .map(|n| {
                (0..20)
                    .map(|j| {
                        if (n + j) % 3 == 0 {
                            (n * 20 + j) as f64 / 7.0
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        let refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
        let mut c = dense(&refs);
        let mut unindexed = vec![0.0; 20 * 19];
        let x = ndarray::Array2::from_shape_fn((3, 20), |(n, j)| rows[n][j]);
        let w = ndarray::Array2::from_shape_fn((20, 19), |(i, j)| (i as f64 - j as f64) / 3.0);
        let mut out = vec![0.0; 3 * 19];
        c.matmul_add(w.as_slice().unwrap(), 19, &mut out);
        let expect = x.dot(&w);
        for (a, b) in out.iter().zip(expect.iter()) {
            assert!((a - b).abs() < 1e-12);
        }
        let d = ndarray::Array2::from_shape_fn((3, 19), |(n, j)| (n * 19 + j) as f64 / 11.0);
        c.t_matmul(d.as_slice().unwrap(), 19, &mut unindexed);
        c.build_columns();
        let mut g = vec![1.0; 20 * 19];
        c.t_matmul(d.as_slice().unwrap(), 19, &mut g);
        assert_eq!(g, unindexed);
        let expect = x.t().dot(&d);
        for (a, b) in g.iter().zip(expect.iter()) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn pixels_are_compressed_like_values() {
        let lut: [f64; 256] = std::array::from_fn(|p| p as f64);
        let row: Vec<u8> = (0..30)
            .map(|j| if j % 4 == 1 || j > 25 { j as u8 } else { 0 })
            .collect();
        let mut a = Csr::default();
        a.clear(30);
        a.push_pixels(&row, &lut);
        a.push_pixels(&[0; 30], &lut);
        let mut b = Csr::default();
        b.clear(30);
        b.push_row(row.iter().map(|&p| f64::from(p)));
        b.push_row(std::iter::repeat_n(0.0, 30));
        assert_eq!(a.row(0), b.row(0));
        assert_eq!(a.row(1), b.row(1));
        assert_eq!(a.nnz(), 11);
    }
}
