//! Everything of the host engine that the compiler cannot check for it, in one file: loops
//! compiled for the widest vector instructions the CPU has, AVX-512's intrinsics, gemm's raw
//! pointers, and vectors written before they are read. No other file of [`crate::host`]
//! holds an `unsafe` block (a test checks).
//!
//! The crate is built for the x86-64 baseline (SSE2), so a plain loop over `f32`s moves four
//! at a time. [`Isa::widest`] finds what the CPU running it has, and [`vectorized!`] runs an
//! expression inside a function compiled for that instruction set: the macro wraps it in an
//! `#[inline(always)]` closure, so that it is inlined there and its loops are vectorised 16
//! (AVX-512) or 8 (AVX2) wide (a closure that is not inlined is compiled for the baseline,
//! whatever the CPU). Every vector loop goes through the macro, never through [`Isa::call_inlined`]
//! itself (a test checks). The compiler never fuses a multiplication and an addition by
//! itself, so the same loop rounds alike in every build; the tests hold each build to the
//! baseline bit for bit.

use std::mem::MaybeUninit;

use gemm::Parallelism;
use rayon::prelude::*;

use super::real::Real;

/// `$body` computed by code compiled for the instruction set `$isa` ([`Isa`]): the expression
/// becomes an `#[inline(always)]` closure given to [`Isa::call_inlined`], which calls it from a function
/// compiled for that set.
macro_rules! vectorized {
    ($isa:expr, $body:expr) => {
        $isa.call_inlined(
            #[inline(always)]
            || $body,
        )
    };
}
pub(in crate::host) use vectorized;

/// An instruction set that this CPU has: only [`Isa::widest`] and [`Isa::all`] make one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::host) struct Isa(Set);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Set {
    Baseline,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Isa {
    /// The widest instruction set this CPU has.
    pub(in crate::host) fn widest() -> Self {
        Self::all().pop().unwrap_or(Self(Set::Baseline))
    }

    /// Every instruction set this CPU has, narrowest (the baseline) first.
    pub(in crate::host) fn all() -> Vec<Self> {
        #[allow(unused_mut)]
        let mut sets = vec![Self(Set::Baseline)];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                sets.push(Self(Set::Avx2));
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                sets.push(Self(Set::Avx512));
            }
        }
        sets
    }

    /// `f()`, compiled for this instruction set, where `f` is inlined: only [`vectorized!`]
    /// calls it, with an `#[inline(always)]` closure.
    #[inline(always)]
    pub(in crate::host) fn call_inlined<T>(self, f: impl FnOnce() -> T) -> T {
        match self.0 {
            Set::Baseline => f(),
            // SAFETY: an `Isa` is only made for a set that the CPU has (`all` detects it).
            #[cfg(target_arch = "x86_64")]
            Set::Avx2 => unsafe { run_avx2(f) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Set::Avx512 => unsafe { run_avx512(f) },
        }
    }

    /// Writes the nonzero entries of `row` to the front of `index` (their positions in `row`)
    /// and `values`, in order, and returns how many there are; `None` where this instruction
    /// set has no compressing store (only AVX-512 has one), for the caller's own loop. Each
    /// block of 16 entries is one vector compare and two compressed vectors stored whole, so
    /// the 16 slots past the last entry may be overwritten too.
    ///
    /// # Panics
    /// If `index` or `values` has fewer than 16 slots past an entry to write.
    pub(in crate::host) fn nonzero_f32(
        self,
        row: &[f32],
        index: &mut [u32],
        values: &mut [f32],
    ) -> Option<usize> {
        match self.0 {
            // SAFETY: an `Isa` is only made for a set that the CPU has.
            #[cfg(target_arch = "x86_64")]
            Set::Avx512 => Some(unsafe { nonzero_f32_avx512(row, index, values) }),
            _ => None,
        }
    }
}

/// [`Isa::nonzero_f32`] in AVX-512. The compressed vectors are stored whole, with a plain
/// store: AMD's Zen 4 runs a compressing store to memory in microcode, a hundred times slower.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn nonzero_f32_avx512(row: &[f32], index: &mut [u32], values: &mut [f32]) -> usize {
    use std::arch::x86_64::*;
    let iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    let mut next = 0;
    for (block, entries) in row.chunks(16).enumerate() {
        let lanes = u16::MAX >> (16 - entries.len());
        // SAFETY: the masked load reads the block's entries only.
        let v = unsafe { _mm512_maskz_loadu_ps(lanes, entries.as_ptr()) };
        // Lanes past the block are 0; NaN ≠ 0, as in `v != 0.0`.
        let nonzero = _mm512_cmpneq_ps_mask(v, _mm512_setzero_ps());
        if nonzero == 0 {
            continue;
        }
        assert!(
            next + 16 <= index.len() && next + 16 <= values.len(),
            "no room for 16 entries at {next}"
        );
        let positions = _mm512_add_epi32(iota, _mm512_set1_epi32((16 * block) as i32));
        // SAFETY: both stores write 16 slots from `next`, which the assertion has checked.
        unsafe {
            _mm512_storeu_ps(
                values.as_mut_ptr().add(next),
                _mm512_maskz_compress_ps(nonzero, v),
            );
            _mm512_storeu_si512(
                index.as_mut_ptr().add(next).cast(),
                _mm512_maskz_compress_epi32(nonzero, positions),
            );
        }
        next += nonzero.count_ones() as usize;
    }
    next
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn run_avx2<T>(f: impl FnOnce() -> T) -> T {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn run_avx512<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// A matrix viewed in a slice: entry `(i, j)` at `i·row_stride + j·col_stride`.
#[derive(Clone, Copy)]
pub(in crate::host) struct Matrix<'a, R> {
    data: &'a [R],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a, R> Matrix<'a, R> {
    /// `data` as a row-major `rows × cols` matrix.
    pub(in crate::host) fn row_major(data: &'a [R], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose, without a copy.
    pub(in crate::host) fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// Whether every entry lies inside `data`.
    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
                < self.data.len()
    }
}

/// `out = a·b`, or `out += a·b` with `accumulate`, `out` row-major `a.rows × b.cols`, by the
/// `gemm` crate on rayon's threads. gemm splits a product's output between threads and never
/// its inner dimension, so each entry is the same sum whatever the number of threads.
pub(in crate::host) fn product<R: Real>(
    out: &mut [R],
    a: Matrix<R>,
    b: Matrix<R>,
    accumulate: bool,
) {
    assert!(
        a.cols == b.rows && a.fits() && b.fits() && out.len() == a.rows * b.cols,
        "a product of mismatched matrices: {}×{} by {}×{} into {}",
        a.rows,
        a.cols,
        b.rows,
        b.cols,
        out.len()
    );
    if out.is_empty() {
        return;
    }
    let stride = |s: usize| s as isize;
    // SAFETY: the assertion above keeps every entry gemm reads (`(i, k)` of `a`, `(k, j)` of
    // `b`) and writes (`(i, j)` of `out`, at `i·b.cols + j`) inside its slice; `out` is borrowed
    // mutably, so it overlaps neither input. gemm computes `out ← 1·out + 1·a·b` when it reads
    // `out` and `out ← 1·a·b` when it does not.
    unsafe {
        gemm::gemm(
            a.rows,
            b.cols,
            a.cols,
            out.as_mut_ptr(),
            1,
            stride(b.cols),
            accumulate,
            a.data.as_ptr(),
            stride(a.col_stride),
            stride(a.row_stride),
            b.data.as_ptr(),
            stride(b.col_stride),
            stride(b.row_stride),
            R::ONE,
            R::ONE,
            false,
            false,
            false,
            Parallelism::Rayon(0),
        );
    }
}

/// The slots of one task of [`filled_in_parallel`], written front to back.
pub(in crate::host) struct Slots<'a, R> {
    slots: &'a mut [MaybeUninit<R>],
    written: usize,
}

impl<R: Copy> Slots<'_, R> {
    /// Writes `values` into the next slots.
    ///
    /// # Panics
    /// If fewer slots than `values` are left.
    #[inline(always)]
    pub(in crate::host) fn push(&mut self, values: &[R]) {
        let end = self.written + values.len();
        self.slots[self.written..end].write_copy_of_slice(values);
        self.written = end;
    }

    /// How many slots this task has, written or not.
    pub(in crate::host) fn len(&self) -> usize {
        self.slots.len()
    }
}

/// A vector of `len` entries written `chunk` at a time on rayon's threads, task `t` writing
/// entries `t·chunk..` through `fill(t, slots)`: never zeroed first, each entry written once.
///
/// # Panics
/// If a task leaves a slot unwritten.
pub(in crate::host) fn filled_in_parallel<R: Copy + Send + Sync>(
    len: usize,
    chunk: usize,
    fill: impl Fn(usize, &mut Slots<'_, R>) + Sync,
) -> Vec<R> {
    let mut out = Vec::with_capacity(len);
    (out.spare_capacity_mut()[..len].par_chunks_mut(chunk.max(1)))
        .enumerate()
        .for_each(|(task, slots)| {
            let mut slots = Slots { slots, written: 0 };
            fill(task, &mut slots);
            assert_eq!(slots.written, slots.len(), "a task left slots unwritten");
        });
    // SAFETY: the chunks cover the first `len` slots, and every task has written each of its
    // slots (`Slots::push` writes them front to back, and the assertion checks it reached the
    // end); a task that panicked has ended this function before this line.
    unsafe { out.set_len(len) };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_comes_first_and_the_widest_last() {
        let all = Isa::all();
        assert_eq!(all[0], Isa(Set::Baseline));
        assert_eq!(Isa::widest(), *all.last().expect("at least the baseline"));
        assert_eq!(vectorized!(Isa::widest(), 6 * 7), 42);
    }

    #[test]
    fn the_nonzero_entries_of_a_row_are_those_a_filter_finds() {
        // Rows from 0 to 40 entries long (whole blocks of 16 and parts of one), with zeros,
        // negative zeros, NaN and subnormals, from a fixed xorshift stream.
        let mut state = 0x9E37_79B9_u32;
        let mut draw = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let specials = [0.0, -0.0, f32::NAN, f32::MIN_POSITIVE / 4.0, 1.5, -2.0];
        #[cfg(target_arch = "x86_64")]
        let avx512 = std::arch::is_x86_feature_detected!("avx512f");
        #[cfg(not(target_arch = "x86_64"))]
        let avx512 = false;
        for len in 0..=40 {
            let row: Vec<f32> = (0..len)
                .map(|_| match draw() % 3 {
                    0 => 0.0,
                    _ => specials[(draw() % 6) as usize],
                })
                .collect();
            let expected: Vec<(u32, u32)> = (0u32..)
                .zip(&row)
                .filter(|&(_, &v)| v != 0.0)
                .map(|(k, &v)| (k, v.to_bits()))
                .collect();
            for isa in Isa::all() {
                let (mut index, mut values) = (vec![u32::MAX; len + 16], vec![-1.0; len + 16]);
                let Some(count) = isa.nonzero_f32(&row, &mut index, &mut values) else {
                    continue;
                };
                let found: Vec<(u32, u32)> = index[..count]
                    .iter()
                    .zip(&values[..count])
                    .map(|(&k, v)| (k, v.to_bits()))
                    .collect();
                assert_eq!(found, expected, "{isa:?}, {len} entries");
            }
            // AVX-512 is the one build that compresses; it must, where the CPU has it.
            let widest =
                Isa::widest().nonzero_f32(&row, &mut vec![0; len + 16], &mut vec![0.0; len + 16]);
            assert_eq!(widest.is_some(), avx512);
        }
    }

    /// The two rules of the module doc: `unsafe` only in this file, and vector code compiled
    /// only through `vectorized!`, never by a call of `Isa::call_inlined` that could be given a closure
    /// that is not inlined.
    #[test]
    fn unsafe_code_and_isa_dispatch_stay_in_this_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/host");
        let mut files = vec![dir.clone()];
        let mut checked = 0;
        while let Some(path) = files.pop() {
            if path.is_dir() {
                let entries = std::fs::read_dir(&path).expect("src/host is readable");
                files.extend(entries.map(|e| e.expect("a directory entry").path()));
                continue;
            }
            if path.file_name().is_some_and(|name| name == "simd.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                let at = format!("{}:{}", path.display(), n + 1);
                assert!(
                    !code.contains("unsafe"),
                    "unsafe code outside simd.rs: {at}"
                );
                let call = code.contains("call_inlined");
                assert!(!call, "Isa::call_inlined outside vectorized!: {at}");
            }
            checked += 1;
        }
        assert!(checked >= 5, "only {checked} files of src/host were read");
    }
}
