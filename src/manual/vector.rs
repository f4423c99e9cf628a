//! Host loops compiled for the widest vector instructions the CPU has.
//!
//! The crate is built for the x86-64 baseline (SSE2), so a plain loop over `f32`s moves four
//! at a time. [`Isa::widest`] finds what the CPU running it has, and [`Isa::run`] calls an
//! `#[inline(always)]` closure from a function compiled for that instruction set: the closure
//! is inlined there
//! and its loops are vectorised 16 (AVX-512) or 8 (AVX2) wide. The compiler never fuses a
//! multiplication and an addition by itself, so the same loop rounds alike in every build; the
//! tests hold each build to the baseline bit for bit.

/// An instruction set that this CPU has: only [`Isa::widest`] and [`Isa::all`] make one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::manual) struct Isa(Set);

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
    pub(in crate::manual) fn widest() -> Self {
        Self::all().pop().unwrap_or(Self(Set::Baseline))
    }

    /// Every instruction set this CPU has, narrowest (the baseline) first.
    pub(in crate::manual) fn all() -> Vec<Self> {
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

    /// `f()`, compiled for this instruction set. `f` must be an `#[inline(always)]` closure:
    /// one that is not inlined is compiled for the baseline.
    #[inline(always)]
    pub(in crate::manual) fn run<T>(self, f: impl FnOnce() -> T) -> T {
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
    pub(in crate::manual) fn nonzero_f32(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_comes_first_and_the_widest_last() {
        let all = Isa::all();
        assert_eq!(all[0], Isa(Set::Baseline));
        assert_eq!(Isa::widest(), *all.last().expect("at least the baseline"));
        assert_eq!(Isa::widest().run(|| 6 * 7), 42);
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
}
