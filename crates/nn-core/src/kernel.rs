//! The inner loops of the forward pass and of the element-wise functions.
//!
//! Plain Rust that the compiler vectorises, compiled once per instruction
//! set and picked at run time by `pulp` (AVX2 on most x86-64 machines,
//! NEON on aarch64): no `unsafe` here, and no build flag to set.
//!
//! A layer `a = z · W + b` is computed one row at a time as
//! `a = b + Σ_k z_k · W[k, :]` over the **non-zero** `z_k`, in increasing
//! `k`: a weighted sum of rows of `W` whose accumulators stay in registers
//! while the rows stream past. MNIST pixels are about 80 % zeros, so the
//! first layer, the expensive one, does a fifth of the dense work. The terms
//! skipped are exactly the products `0 · w`, which change no finite sum;
//! each row's result is independent of the batch around it, so every batch
//! size gives the same numbers.

use crate::Float;
use crate::network::{Activation, Dense, Output};

/// `eˣ` for `f32`, branch-free so that it vectorises (Cephes' `expf`
/// polynomial after a Cody–Waite reduction `x = n·ln 2 + r`, `|r| ≤ ln 2 / 2`).
///
/// Within 2 ulp of the exact value for `-87.3 < x < 88.37`; `0` below, `+∞`
/// above (the true values there are subnormal, or within 30 % of
/// `f32::MAX`); NaN stays NaN.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const HI: f32 = 88.37; // below 127.5 · ln 2: 2ⁿ stays a normal number
    const LO: f32 = -87.33654; // ln of the smallest normal f32
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2²³: adding it rounds to an integer
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let xc = if x > HI { HI } else { x };
    let xc = if xc < LO { LO } else { xc };
    let t = xc * LOG2E + ROUND;
    let n = t - ROUND;
    let r = xc - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_2e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    // 2ⁿ from the bits: t's low mantissa bits hold n (|n| ≤ 127).
    let n_bits = (t.to_bits() as i32).wrapping_sub(0x4B40_0000);
    let scale = f32::from_bits((n_bits.wrapping_add(127) << 23) as u32);
    let y = y * scale;
    if x > HI {
        f32::INFINITY
    } else if x < LO {
        0.0
    } else {
        y
    }
}

/// `eˣ` for `f64`, branch-free so that it vectorises: the same Cody–Waite
/// reduction `x = n·ln 2 + r`, `|r| ≤ ln 2 / 2`, then `eʳ` from its Taylor
/// series to `r¹³/13!` (the first term left out is below 0.05 ulp), scaled
/// by `2ⁿ` built from the bits.
///
/// Within 1 ulp of the C library's `exp` for `-708.39 < x < 709`; `0` below
/// (the true values are subnormal), `+∞` above (the true values are within
/// a factor 2.2 of `f64::MAX`); NaN stays NaN.
#[inline(always)]
pub(crate) fn exp_f64(x: f64) -> f64 {
    const HI: f64 = 709.0; // n ≤ 1023: 2ⁿ stays finite
    const LO: f64 = -708.396_418_532_264_1; // ln of the smallest normal f64
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const ROUND: f64 = 6_755_399_441_055_744.0; // 1.5 · 2⁵²: adding it rounds to an integer
    // ln 2 in two parts; LN2_HI has 21 trailing zero bits, so n · LN2_HI is exact.
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
    let xc = if x > HI { HI } else { x };
    let xc = if xc < LO { LO } else { xc };
    let t = xc * LOG2E + ROUND;
    let n = t - ROUND;
    let r = xc - n * LN2_HI - n * LN2_LO;
    // 1/13!, 1/12!, …, 1/2!
    let p = 1.0 / 6_227_020_800.0_f64;
    let p = p * r + 1.0 / 479_001_600.0;
    let p = p * r + 1.0 / 39_916_800.0;
    let p = p * r + 1.0 / 3_628_800.0;
    let p = p * r + 1.0 / 362_880.0;
    let p = p * r + 1.0 / 40_320.0;
    let p = p * r + 1.0 / 5_040.0;
    let p = p * r + 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    // 2ⁿ from the bits: t's low mantissa bits hold n (|n| ≤ 1023).
    let n_bits = (t.to_bits() as i64).wrapping_sub(0x4338_0000_0000_0000);
    let scale = f64::from_bits((n_bits.wrapping_add(1023) << 52) as u64);
    let y = y * scale;
    if x > HI {
        f64::INFINITY
    } else if x < LO {
        0.0
    } else {
        y
    }
}

/// `1 / (1 + e⁻ˣ)`, vectorisable.
#[inline(always)]
fn sigmoid_lane<T: Float>(v: T) -> T {
    T::one() / (T::one() + (-v).exp_lane())
}

/// The hidden activation over a slice, in place.
#[inline(always)]
fn activate<T: Float>(h: Activation, a: &mut [T]) {
    match h {
        Activation::Sigmoid => a.iter_mut().for_each(|v| *v = sigmoid_lane(*v)),
        Activation::Relu => a
            .iter_mut()
            .for_each(|v| *v = if *v > T::zero() { *v } else { T::zero() }),
        Activation::Step => a
            .iter_mut()
            .for_each(|v| *v = if *v > T::zero() { T::one() } else { T::zero() }),
        Activation::Identity => {}
    }
}

/// Softmax of one row in place: `exp(a − max) / Σ exp(a − max)`. The
/// maximum and the sum run over eight lanes at a time (a NaN is skipped by
/// the maximum, as by a sequential fold, and then makes the row NaN).
#[inline(always)]
fn softmax_lane<T: Float>(a: &mut [T]) {
    let mut maxes = [T::neg_infinity(); 8];
    let mut chunks = a.chunks_exact(8);
    for c in &mut chunks {
        for (m, &v) in maxes.iter_mut().zip(c) {
            *m = if v > *m { v } else { *m };
        }
    }
    let max = chunks
        .remainder()
        .iter()
        .chain(&maxes)
        .fold(T::neg_infinity(), |m, &v| if v > m { v } else { m });
    a.iter_mut().for_each(|v| *v = (*v - max).exp_lane());
    let mut sums = [T::zero(); 8];
    let mut chunks = a.chunks_exact(8);
    for c in &mut chunks {
        for (s, &v) in sums.iter_mut().zip(c) {
            *s += v;
        }
    }
    let sum = chunks
        .remainder()
        .iter()
        .chain(&sums)
        .fold(T::zero(), |s, &v| s + v);
    a.iter_mut().for_each(|v| *v /= sum);
}

/// [`crate::sigmoid`] of a slice into a new vector, at the machine's best
/// width.
pub(crate) fn sigmoid_map<T: Float>(x: &[T]) -> Vec<T> {
    struct Op<'a, T>(&'a [T]);
    impl<T: Float> pulp::WithSimd for Op<'_, T> {
        type Output = Vec<T>;
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) -> Vec<T> {
            // A plain loop: `collect` would call a function compiled
            // without the instruction set chosen here.
            let mut out = vec![T::zero(); self.0.len()];
            for (o, &v) in out.iter_mut().zip(self.0) {
                *o = sigmoid_lane(v);
            }
            out
        }
    }
    pulp::Arch::new().dispatch(Op(x))
}

/// [`crate::sigmoid`] of a slice in place, at the machine's best width.
pub(crate) fn sigmoid_slice<T: Float>(x: &mut [T]) {
    struct Op<'a, T>(&'a mut [T]);
    impl<T: Float> pulp::WithSimd for Op<'_, T> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) {
            for v in self.0.iter_mut() {
                *v = sigmoid_lane(*v);
            }
        }
    }
    pulp::Arch::new().dispatch(Op(x));
}

/// [`crate::softmax`] of each consecutive `width`-long row of `a`, in place.
pub(crate) fn softmax_rows<T: Float>(a: &mut [T], width: usize) {
    struct Op<'a, T>(&'a mut [T], usize);
    impl<T: Float> pulp::WithSimd for Op<'_, T> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) {
            self.0.chunks_exact_mut(self.1).for_each(softmax_lane);
        }
    }
    if width > 0 {
        pulp::Arch::new().dispatch(Op(a, width));
    }
}

/// A layer's `W` and `b` with every row padded with zeros to a whole
/// number of SIMD registers (32 bytes), so that the column blocks of
/// [`weighted_rows_add`] need no scalar tail.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Packed<T> {
    w: Vec<T>,
    b: Vec<T>,
    outputs: usize,
    stride: usize,
}

impl<T: Float> Packed<T> {
    pub(crate) fn new(layer: &Dense<T>) -> Self {
        let (inputs, outputs) = layer.weight.dim();
        let lanes = 32 / size_of::<T>();
        let stride = outputs.next_multiple_of(lanes);
        let mut w = vec![T::zero(); inputs * stride];
        for (dst, src) in w.chunks_exact_mut(stride).zip(layer.weight.rows()) {
            dst.iter_mut().zip(src).for_each(|(d, s)| *d = *s);
        }
        let mut b = vec![T::zero(); stride];
        b.iter_mut().zip(&layer.bias).for_each(|(d, s)| *d = *s);
        Self {
            w,
            b,
            outputs,
            stride,
        }
    }
}

/// Buffers one thread reuses from row to row.
#[derive(Debug, Default)]
pub(crate) struct Scratch<T> {
    /// Indices of the non-zeros of the current group's inputs, a row each.
    first: Vec<u32>,
    /// The current group's inputs, when the caller's rows are not contiguous.
    rows: Vec<T>,
    /// Layer outputs, ping-ponged.
    a: Vec<T>,
    b: Vec<T>,
}

/// Rows whose inputs are scanned for non-zeros before their arithmetic.
const GROUP: usize = 8;

/// The network's layers, borrowed for a forward pass.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Forward<'n, T> {
    pub(crate) layers: &'n [Packed<T>],
    pub(crate) hidden: Activation,
    pub(crate) output: Output,
}

/// Runs `op` compiled for the best instruction set of this machine; the
/// `FMA` flag says whether `a · b + c` may be one fused instruction (x86-64
/// with AVX2 and FMA). With FMA the products round once instead of twice,
/// as in NumPy's BLAS; either way each output is the same for every batch.
fn dispatch<Op: WithFma>(op: Op) -> Op::Output {
    struct Plain<Op>(Op);
    impl<Op: WithFma> pulp::WithSimd for Plain<Op> {
        type Output = Op::Output;
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) -> Op::Output {
            self.0.run::<false>(None)
        }
    }
    #[cfg(target_arch = "x86_64")]
    struct Fused<Op>(Op, pulp::x86::V3);
    #[cfg(target_arch = "x86_64")]
    impl<Op: WithFma> pulp::WithSimd for Fused<Op> {
        type Output = Op::Output;
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) -> Op::Output {
            self.0.run::<true>(Some(self.1))
        }
    }
    match pulp::Arch::new() {
        #[cfg(target_arch = "x86_64")]
        pulp::Arch::V3(simd) => pulp::Simd::vectorize(simd, Fused(op, simd)),
        arch => arch.dispatch(Plain(op)),
    }
}

/// The AVX2 token on x86-64 machines that have it, for the few steps that
/// need an instruction the compiler does not find by itself.
#[cfg(target_arch = "x86_64")]
type Avx2 = Option<pulp::x86::V3>;
#[cfg(not(target_arch = "x86_64"))]
type Avx2 = Option<std::convert::Infallible>;

/// A computation for [`dispatch`]; `run` must be `#[inline(always)]`.
trait WithFma {
    type Output;
    fn run<const FMA: bool>(self, avx2: Avx2) -> Self::Output;
}

/// The inputs of a forward pass: rows of `T`, or rows of bytes that a
/// 256-entry table maps to `T` as they are read (MNIST's raw pixels, without
/// a normalised copy of the whole batch).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rows<'x, T> {
    /// The inputs themselves.
    Values(ndarray::ArrayView2<'x, T>),
    /// Input `k` of row `i` is `table[x[[i, k]]]`.
    Bytes {
        x: ndarray::ArrayView2<'x, u8>,
        table: &'x [T; 256],
    },
}

impl<'x, T: Float> Rows<'x, T> {
    pub(crate) fn nrows(&self) -> usize {
        match self {
            Rows::Values(x) => x.nrows(),
            Rows::Bytes { x, .. } => x.nrows(),
        }
    }

    pub(crate) fn ncols(&self) -> usize {
        match self {
            Rows::Values(x) => x.ncols(),
            Rows::Bytes { x, .. } => x.ncols(),
        }
    }

    /// Rows `start..end`.
    pub(crate) fn slice(self, start: usize, end: usize) -> Self {
        match self {
            Rows::Values(x) => Rows::Values(x.slice_move(ndarray::s![start..end, ..])),
            Rows::Bytes { x, table } => Rows::Bytes {
                x: x.slice_move(ndarray::s![start..end, ..]),
                table,
            },
        }
    }

    /// Row `i` in place, when it is a contiguous row of `T`s.
    #[inline(always)]
    fn direct(&self, i: usize) -> Option<&'x [T]> {
        match self {
            Rows::Values(x) => x.index_axis_move(ndarray::Axis(0), i).to_slice(),
            Rows::Bytes { .. } => None,
        }
    }

    /// Writes row `i`, as `T`s, to `dst`.
    #[inline(always)]
    fn fill(&self, i: usize, dst: &mut [T]) {
        match self {
            Rows::Values(x) => dst.iter_mut().zip(x.row(i)).for_each(|(d, s)| *d = *s),
            Rows::Bytes { x, table } => {
                let row = x.row(i);
                let Some(src) = row.as_slice() else {
                    dst.iter_mut()
                        .zip(row)
                        .for_each(|(d, &p)| *d = table[usize::from(p)]);
                    return;
                };
                // Most pixels are 0: eight of them cost one test.
                let mut d8 = dst.chunks_exact_mut(8);
                let mut s8 = src.chunks_exact(8);
                for (d, s) in (&mut d8).zip(&mut s8) {
                    let s: &[u8; 8] = s.try_into().expect("8 bytes");
                    if u64::from_ne_bytes(*s) == 0 {
                        d.fill(table[0]);
                    } else {
                        d.iter_mut()
                            .zip(s)
                            .for_each(|(d, &p)| *d = table[usize::from(p)]);
                    }
                }
                d8.into_remainder()
                    .iter_mut()
                    .zip(s8.remainder())
                    .for_each(|(d, &p)| *d = table[usize::from(p)]);
            }
        }
    }

    /// Asks for row `i` to be brought into cache.
    #[inline(always)]
    fn prefetch(&self, avx2: Avx2, i: usize) {
        match self {
            Rows::Values(x) => prefetch(avx2, x.row(i)),
            Rows::Bytes { x, .. } => prefetch(avx2, x.row(i)),
        }
    }
}

impl<T: Float> Forward<'_, T> {
    /// The forward pass of every row of `x`: `sink(i, y)` receives row `i`'s
    /// output `y` (a scratch slice, valid during the call).
    pub(crate) fn rows<F: FnMut(usize, &[T])>(
        self,
        x: Rows<'_, T>,
        scratch: &mut Scratch<T>,
        sink: F,
    ) {
        struct Op<'a, 'x, 'n, T, F> {
            f: Forward<'n, T>,
            x: Rows<'x, T>,
            scratch: &'a mut Scratch<T>,
            sink: F,
        }
        impl<T: Float, F: FnMut(usize, &[T])> WithFma for Op<'_, '_, '_, T, F> {
            type Output = ();
            #[inline(always)]
            fn run<const FMA: bool>(self, avx2: Avx2) {
                let Op {
                    f,
                    x,
                    scratch,
                    mut sink,
                } = self;
                let cols = x.ncols();
                let widest = f.layers.iter().map(|l| l.stride).max().unwrap_or(0);
                let room = cols.max(widest) + 8;
                for v in [&mut scratch.a, &mut scratch.b] {
                    if v.len() < room {
                        v.resize(room, T::zero());
                    }
                }
                // Each row's indices get 8 entries of room.
                let room_first = cols + 8;
                if scratch.first.len() < GROUP * room_first {
                    scratch.first.resize(GROUP * room_first, 0);
                }
                if scratch.rows.len() < GROUP * cols {
                    scratch.rows.resize(GROUP * cols, T::zero());
                }
                // Rows go in groups: first the inputs' non-zeros of the whole
                // group (a streaming read of memory), then the arithmetic.
                let rows = x.nrows();
                let mut counts = [0; GROUP];
                for start in (0..rows).step_by(GROUP) {
                    let group = GROUP.min(rows - start);
                    let Scratch {
                        first, rows: copy, ..
                    } = &mut *scratch;
                    for r in 0..group {
                        let input = match x.direct(start + r) {
                            Some(v) => v,
                            None => {
                                let dst = &mut copy[r * cols..(r + 1) * cols];
                                x.fill(start + r, dst);
                                dst
                            }
                        };
                        counts[r] =
                            nonzeros(avx2, input, &mut first[r * room_first..][..room_first]);
                    }
                    for (r, &count) in counts.iter().enumerate().take(group) {
                        let input = match x.direct(start + r) {
                            Some(v) => v,
                            None => &scratch.rows[r * cols..(r + 1) * cols],
                        };
                        // While this row computes, the same row of the next
                        // group comes from memory (x is read only once).
                        let ahead = start + GROUP + r;
                        if ahead < rows {
                            x.prefetch(avx2, ahead);
                        }
                        let first = &scratch.first[r * room_first..][..count];
                        let y = f.row::<FMA>(input, first, &mut scratch.a, &mut scratch.b);
                        sink(start + r, y);
                    }
                }
            }
        }
        dispatch(Op {
            f: self,
            x,
            scratch,
            sink,
        });
    }

    /// One row through every layer, given the indices of its non-zeros;
    /// the output is left in `a` or `b`.
    #[inline(always)]
    fn row<'s, const FMA: bool>(
        &self,
        input: &[T],
        first: &[u32],
        a: &'s mut [T],
        b: &'s mut [T],
    ) -> &'s [T] {
        let last = self.layers.len() - 1;
        let (mut out, mut prev) = (&mut a[..], &mut b[..]);
        for (l, layer) in self.layers.iter().enumerate() {
            if l > 0 {
                std::mem::swap(&mut out, &mut prev);
            }
            let o = &mut out[..layer.stride];
            o.copy_from_slice(&layer.b);
            if l == 0 {
                weighted_rows_add::<T, FMA, false>(first, input, &layer.w, layer.stride, o);
            } else {
                // Hidden values are rarely zero: every row of W, no indices.
                let z = &prev[..self.layers[l - 1].outputs];
                weighted_rows_add::<T, FMA, true>(&[], z, &layer.w, layer.stride, o);
            }
            if l < last {
                // The padding too (never read): whole registers only.
                activate(self.hidden, o);
            } else if self.output == Output::Softmax {
                softmax_lane(&mut o[..layer.outputs]);
            }
        }
        let outputs = self.layers[last].outputs;
        if last % 2 == 0 {
            &a[..outputs]
        } else {
            &b[..outputs]
        }
    }
}

/// Asks for `row` to be brought into the level-2 cache, a hint that never
/// fails; nothing happens without AVX2 or when the row is not contiguous.
#[inline(always)]
fn prefetch<T>(avx2: Avx2, row: ndarray::ArrayView1<'_, T>) {
    #[cfg(target_arch = "x86_64")]
    if let (Some(simd), Some(v)) = (avx2, row.as_slice()) {
        let p = v.as_ptr().cast::<i8>();
        for offset in (0..size_of_val(v)).step_by(64) {
            simd.sse
                ._mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T1 }>(p.wrapping_add(offset));
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (avx2, row);
}

/// `NZ_LUT[m]` lists the positions of the set bits of `m`, lowest first.
#[cfg(target_arch = "x86_64")]
static NZ_LUT: [[u32; 8]; 256] = {
    let mut t = [[0u32; 8]; 256];
    let mut m = 0;
    while m < 256 {
        let (mut i, mut k) = (0, 0);
        while i < 8 {
            if m & (1 << i) != 0 {
                t[m][k] = i as u32;
                k += 1;
            }
            i += 1;
        }
        m += 1;
    }
    t
};

/// The indices of the non-zero entries of `x`, in increasing order, written
/// to the front of `idx` (at least `x.len() + 8` long); returns how many.
/// With AVX2, eight entries at a time and without branches: a bit mask of
/// the non-zeros picks their positions from a table. Otherwise a chunk of
/// eight zeros costs one test and other chunks are compacted one by one.
#[inline(always)]
fn nonzeros<T: Float>(avx2: Avx2, x: &[T], idx: &mut [u32]) -> usize {
    let idx = &mut idx[..x.len() + 8];
    let zero = T::zero();
    let mut k = 0;
    let mut start = 0u32;
    let mut chunks = x.chunks_exact(8);
    #[cfg(target_arch = "x86_64")]
    if let Some(simd) = avx2 {
        use core::arch::x86_64::__m256i;
        for c in &mut chunks {
            let m = T::nonzero_mask8(simd, c.try_into().expect("8 entries"));
            let at: __m256i = pulp::cast(NZ_LUT[m as usize]);
            let at = simd
                .avx2
                ._mm256_add_epi32(at, simd.avx._mm256_set1_epi32(start as i32));
            let dst: &mut [u32; 8] = (&mut idx[k..k + 8]).try_into().expect("room");
            *dst = pulp::cast(at);
            k += m.count_ones() as usize;
            start += 8;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = avx2;
    for c in &mut chunks {
        let any = (c[0] != zero)
            | (c[1] != zero)
            | (c[2] != zero)
            | (c[3] != zero)
            | (c[4] != zero)
            | (c[5] != zero)
            | (c[6] != zero)
            | (c[7] != zero);
        if any {
            for (i, v) in (start..).zip(c) {
                idx[k] = i;
                k += usize::from(*v != zero);
            }
        }
        start += 8;
    }
    for (i, v) in (start..).zip(chunks.remainder()) {
        idx[k] = i;
        k += usize::from(*v != zero);
    }
    k
}

/// `out += Σ_i x[i] · w[i * stride..][..stride]` over the indices `i` in
/// `idx`, for a row-major `w` of `stride` columns (a multiple of 32 bytes),
/// in column blocks of at most 256 bytes whose accumulators stay in
/// registers while the rows stream past. Narrow blocks keep 2 or 4 partial
/// sums (terms alternate between them), so that enough multiply-adds are in
/// flight to hide their latency.
#[inline(always)]
fn weighted_rows_add<T: Float, const FMA: bool, const DENSE: bool>(
    idx: &[u32],
    x: &[T],
    w: &[T],
    stride: usize,
    out: &mut [T],
) {
    let lanes = 32 / size_of::<T>();
    let mut col = 0;
    while col < stride {
        let regs = ((stride - col) / lanes).min(8);
        let f32s = size_of::<T>() == 4;
        let a = (idx, x, w, stride, col);
        match (f32s, regs) {
            (true, 1) => block::<T, DENSE, 8, 4, FMA>(a, out),
            (true, 2) => block::<T, DENSE, 16, 4, FMA>(a, out),
            (true, 3) => block::<T, DENSE, 24, 4, FMA>(a, out),
            (true, 4) => block::<T, DENSE, 32, 2, FMA>(a, out),
            (true, 5) => block::<T, DENSE, 40, 2, FMA>(a, out),
            (true, 6) => block::<T, DENSE, 48, 2, FMA>(a, out),
            (true, 7) => block::<T, DENSE, 56, 2, FMA>(a, out),
            (true, _) => block::<T, DENSE, 64, 1, FMA>(a, out),
            (false, 1) => block::<T, DENSE, 4, 4, FMA>(a, out),
            (false, 2) => block::<T, DENSE, 8, 4, FMA>(a, out),
            (false, 3) => block::<T, DENSE, 12, 4, FMA>(a, out),
            (false, 4) => block::<T, DENSE, 16, 2, FMA>(a, out),
            (false, 5) => block::<T, DENSE, 20, 2, FMA>(a, out),
            (false, 6) => block::<T, DENSE, 24, 2, FMA>(a, out),
            (false, 7) => block::<T, DENSE, 28, 2, FMA>(a, out),
            (false, _) => block::<T, DENSE, 32, 1, FMA>(a, out),
        }
        col += regs * lanes;
    }
}

/// Columns `col..col + B` of [`weighted_rows_add`], with `P` partial sums:
/// the `q`-th index of `idx` goes to sum `q mod P`, and the sums are added
/// in order at the end (the first starts from `out`).
#[inline(always)]
fn block<T: Float, const DENSE: bool, const B: usize, const P: usize, const FMA: bool>(
    (idx, x, w, stride, col): (&[u32], &[T], &[T], usize, usize),
    out: &mut [T],
) {
    #[inline(always)]
    fn step<T: Float, const B: usize, const FMA: bool>(acc: &mut [T; B], v: T, row: &[T; B]) {
        for b in 0..B {
            acc[b] = if FMA {
                v.mul_add(row[b], acc[b])
            } else {
                acc[b] + v * row[b]
            };
        }
    }
    let out: &mut [T; B] = (&mut out[col..col + B]).try_into().expect("B columns");
    let w = &w[col..];
    let row = |i: u32| -> &[T; B] {
        let start = i as usize * stride;
        w[start..start + B].try_into().expect("B columns")
    };
    let mut acc = [[T::zero(); B]; P];
    acc[0] = *out;
    if DENSE {
        let mut xs = x.chunks_exact(P);
        for (q, xc) in (&mut xs).enumerate() {
            for p in 0..P {
                step::<T, B, FMA>(&mut acc[p], xc[p], row((q * P + p) as u32));
            }
        }
        let done = x.len() - xs.remainder().len();
        for (p, &v) in xs.remainder().iter().enumerate() {
            step::<T, B, FMA>(&mut acc[p], v, row((done + p) as u32));
        }
    } else {
        let mut chunks = idx.chunks_exact(P);
        for c in &mut chunks {
            for p in 0..P {
                step::<T, B, FMA>(&mut acc[p], x[c[p] as usize], row(c[p]));
            }
        }
        for (p, &i) in chunks.remainder().iter().enumerate() {
            step::<T, B, FMA>(&mut acc[p], x[i as usize], row(i));
        }
    }
    let (first, rest) = acc.split_at_mut(1);
    for partial in rest {
        for (a, p) in first[0].iter_mut().zip(partial.iter()) {
            *a += *p;
        }
    }
    *out = acc[0];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_f32_is_within_two_ulp() {
        let mut worst = 0.0_f64;
        let mut x = -87.0_f32;
        while x < 88.3 {
            let exact = f64::from(x).exp();
            let got = f64::from(exp_f32(x));
            let ulp = f64::from(f32::EPSILON) * exact.abs();
            worst = worst.max((got - exact).abs() / ulp);
            x += 0.001_37;
        }
        assert!(worst <= 2.0, "worst error {worst} ulp");
    }

    #[test]
    fn exp_f64_is_within_one_ulp_of_libm() {
        let mut worst = 0.0_f64;
        let mut x = -708.0_f64;
        while x < 709.0 {
            for x in [x, x * 1e-3, x * 1e-9] {
                let exact = x.exp();
                let ulp = f64::EPSILON * exact.abs();
                worst = worst.max((exp_f64(x) - exact).abs() / ulp);
            }
            x += 0.000_713;
        }
        assert!(worst <= 1.0, "worst error {worst} ulp");
    }

    #[test]
    fn exp_f64_edges() {
        assert_eq!(exp_f64(0.0), 1.0);
        assert!((exp_f64(1.0) - std::f64::consts::E).abs() <= 4.0 * f64::EPSILON);
        assert_eq!(exp_f64(-1000.0), 0.0);
        assert_eq!(exp_f64(1000.0), f64::INFINITY);
        assert_eq!(exp_f64(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp_f64(f64::NEG_INFINITY), 0.0);
        assert!(exp_f64(f64::NAN).is_nan());
        assert!(exp_f64(708.9).is_finite());
        assert!(exp_f64(-708.3) > 0.0);
    }

    #[test]
    fn exp_f32_edges() {
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(-1000.0), 0.0);
        assert_eq!(exp_f32(1000.0), f32::INFINITY);
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert!(exp_f32(f32::NAN).is_nan());
    }

    #[test]
    fn nonzeros_keeps_order_and_values() {
        let x: Vec<f32> = (0..21)
            .map(|i| if i % 3 == 0 { i as f32 } else { 0.0 })
            .collect();
        let mut idx = vec![0; 29];
        let n = nonzeros(None, &x, &mut idx);
        assert_eq!(idx[..n], [3, 6, 9, 12, 15, 18]);
        #[cfg(target_arch = "x86_64")]
        if let Some(simd) = pulp::x86::V3::try_new() {
            let n = nonzeros(Some(simd), &x, &mut idx);
            assert_eq!(idx[..n], [3, 6, 9, 12, 15, 18]);
            let y: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
            let n = nonzeros(Some(simd), &y, &mut idx);
            assert_eq!(idx[..n], [3, 6, 9, 12, 15, 18]);
        }
        assert_eq!(idx[..n], [3, 6, 9, 12, 15, 18]);
    }

    #[test]
    fn packed_layers_match_a_plain_product_for_every_width() {
        fn check<T: Float + std::fmt::Debug>() {
            for width in [1, 2, 3, 7, 10, 31, 50, 63, 64, 65, 100, 130] {
                let k = 19;
                let layer = Dense {
                    weight: ndarray::Array2::from_shape_fn((k, width), |(i, j)| {
                        T::from((i * width + j) % 13).unwrap() - T::from(6).unwrap()
                    }),
                    bias: ndarray::Array1::from_elem(width, T::from(0.5).unwrap()),
                };
                let x: Vec<T> = (0..k)
                    .map(|i| T::from(if i % 4 == 1 { 0 } else { i }).unwrap())
                    .collect();
                let p = Packed::new(&layer);
                let mut idx = vec![0; k + 8];
                let n = nonzeros(None, &x, &mut idx);
                let mut out = p.b.clone();
                weighted_rows_add::<T, false, false>(&idx[..n], &x, &p.w, p.stride, &mut out);
                let mut dense = p.b.clone();
                weighted_rows_add::<T, true, true>(&[], &x, &p.w, p.stride, &mut dense);
                assert_eq!(dense, out, "dense and sparse, width {width}");
                for (j, o) in out.iter().enumerate() {
                    let mut expect = if j < width { layer.bias[j] } else { T::zero() };
                    for (i, &xi) in x.iter().enumerate() {
                        if j < width && xi != T::zero() {
                            expect += xi * layer.weight[[i, j]];
                        }
                    }
                    assert_eq!(*o, expect, "width {width}, column {j}");
                }
            }
        }
        check::<f32>();
        check::<f64>();
    }
}
