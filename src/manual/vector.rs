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
}
