//! The floating-point types the manual engine's host code runs in (`f32` and `f64`), and a
//! vectorisable `exp` and `ln` for f32.

use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

use burn::tensor::Tensor;

use crate::error::Result;
use crate::tensor::{HostValues, Precision, host_values_as};

/// The floating-point types the kernel runs in: `f32` and `f64`.
pub trait Real:
    Copy
    + Send
    + Sync
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// The smallest positive normal number (below it, arithmetic on subnormals is slow).
    const MIN_NORMAL: Self;
    /// The burnprop precision of this type.
    const PRECISION: Precision;
    /// The nearest value to `v` (rounding f64 to f32, as burn rounds a scalar operand).
    fn of(v: f64) -> Self;
    /// The value as `f64` (exact).
    fn to_f64(self) -> f64;
    /// A tensor's values, converted to this type (without a copy when they already are).
    fn host_values<const D: usize>(tensor: Tensor<D>) -> Result<Vec<Self>>;
    /// `values`, where they are of this type.
    fn host_slice(values: &HostValues) -> Option<&[Self]>;
    /// `values` as f32s, where this type is f32 (for the loops written for f32 lanes).
    fn as_f32(values: &[Self]) -> Option<&[f32]>;
    /// `values` as f32s, where this type is f32.
    fn as_f32_mut(values: &mut [Self]) -> Option<&mut [f32]>;
    /// `eˣ`.
    fn exp(self) -> Self;
    /// `ln(1 + x)`.
    fn ln_1p(self) -> Self;
    /// `ln x`.
    fn ln(self) -> Self;
    /// `tanh x`.
    fn tanh(self) -> Self;
    /// `|x|`.
    fn abs(self) -> Self;
}

macro_rules! real {
    ($t:ty, $precision:expr, $variant:path, $exp:path, $ln:path, $v:ident => $f32s:expr) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const MIN_NORMAL: Self = <$t>::MIN_POSITIVE;
            const PRECISION: Precision = $precision;
            fn of(v: f64) -> Self {
                v as $t
            }
            fn to_f64(self) -> f64 {
                f64::from(self)
            }
            fn host_values<const D: usize>(tensor: Tensor<D>) -> Result<Vec<Self>> {
                host_values_as(tensor)
            }
            fn host_slice(values: &HostValues) -> Option<&[Self]> {
                match values {
                    $variant(v) => Some(v),
                    _ => None,
                }
            }
            fn as_f32($v: &[Self]) -> Option<&[f32]> {
                $f32s
            }
            fn as_f32_mut($v: &mut [Self]) -> Option<&mut [f32]> {
                $f32s
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $exp(self)
            }
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                $ln(self)
            }
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
        }
    };
}

real!(f32, Precision::F32, HostValues::F32, exp_f32, ln_f32, values => Some(values));
real!(f64, Precision::F64, HostValues::F64, f64::exp, f64::ln, _values => None);

/// `eˣ` in f32, in plain arithmetic the compiler vectorises across lanes (the standard
/// library's `expf` is a call per value): Cephes' `expf`. Write `x = n·ln 2 + r` with `n` the
/// nearest integer to `x·log₂e` and `|r| ≤ ½ ln 2`; then `eˣ = 2ⁿ·eʳ`, with `eʳ` from a
/// degree-7 polynomial (Cephes' minimax coefficients) and `2ⁿ` built in the exponent bits.
/// Within 2 ulp of the exact value on the clamped range `[−87, 88]`, whose ends give the
/// smallest and largest results (about 1.6e−38 and 1.7e38, where `expf` gives 0 and ∞
/// only beyond ±88.7); NaN stays NaN.
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split so that n·LN2_HI is exact for |n| ≤ 127
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5·2²³: adding it rounds to the nearest integer n and leaves n in the low bits of the
    // sum (SSE2 has neither a rounding instruction nor a vector float-to-int conversion that
    // Rust's saturating `as` would use)
    const ROUND: f32 = 12_582_912.0;
    let x = if x > 88.0 { 88.0 } else { x };
    let x = if x < -87.0 { -87.0 } else { x };
    let shifted = x * LOG2E + ROUND;
    let n = shifted - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e_r = p * (r * r) + r + 1.0;
    // 2ⁿ: n + 127 in the exponent field (n ∈ [−126, 127] on the clamped range)
    let n_bits = shifted.to_bits().wrapping_sub(ROUND.to_bits());
    let two_n = f32::from_bits(n_bits.wrapping_add(127) << 23);
    e_r * two_n
}

/// `ln x` in f32, in plain arithmetic the compiler vectorises across lanes (the standard
/// library's `logf` is a call per value): Cephes' `logf`. Write `x = 2ᵉ·f` with `f` in
/// `[√½, √2)`; then `ln x = e·ln 2 + ln f`, with `ln(1 + r)`, `r = f − 1`, from a degree-9
/// polynomial (Cephes' minimax coefficients) and `e·ln 2` added in two parts. Every branch is
/// a select on each lane: subnormal `x` is scaled by 2²³ first; `ln 0 = −∞`, `ln ∞ = ∞`, and
/// negative `x` and NaN give NaN, as `logf` does. Within 2 ulp of the exact value (a test
/// sweeps from the smallest subnormal to the largest float).
#[inline(always)]
fn ln_f32(x: f32) -> f32 {
    const SQRT_HALF: f32 = std::f32::consts::FRAC_1_SQRT_2;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const TWO_23: f32 = 8_388_608.0;
    let subnormal = x < f32::MIN_POSITIVE;
    let scaled = if subnormal { x * TWO_23 } else { x };
    let bits = scaled.to_bits();
    // x = 2ᵉ·f with f in [½, 1): the exponent field less 126, and f's bits with exponent −1
    let biased = ((bits >> 23) & 0xff) as i32;
    let mut e = (biased - 126 - if subnormal { 23 } else { 0 }) as f32;
    let f = f32::from_bits((bits & 0x807f_ffff) | 0x3f00_0000);
    // f in [√½, √2): r = f − 1 stays small on both sides of 1
    let below = f < SQRT_HALF;
    let r = if below { f + f - 1.0 } else { f - 1.0 };
    if below {
        e -= 1.0;
    }
    let z = r * r;
    let mut p = 7.037_683_6e-2_f32;
    p = p * r - 1.151_461e-1;
    p = p * r + 1.167_699_9e-1;
    p = p * r - 1.242_014_1e-1;
    p = p * r + 1.424_932_3e-1;
    p = p * r - 1.666_805_8e-1;
    p = p * r + 2.000_071_4e-1;
    p = p * r - 2.499_999_4e-1;
    p = p * r + 3.333_333e-1;
    let y = p * r * z + e * LN2_LO - 0.5 * z;
    let ln = r + y + e * LN2_HI;
    if x > 0.0 && x < f32::INFINITY {
        ln
    } else if x == 0.0 {
        f32::NEG_INFINITY
    } else if x == f32::INFINITY {
        x
    } else {
        f32::NAN
    }
}

/// `max(a, b)`; `b` when they are unordered.
pub(crate) fn max<R: Real>(a: R, b: R) -> R {
    if a > b { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cephes' bound for its `expf`, in units of the result's last place.
    const EXP_ULPS: f64 = 2.0;

    fn ulps(approx: f32, exact: f64) -> f64 {
        let ulp = f64::from(f32::EPSILON) * exact.abs();
        (f64::from(approx) - exact).abs() / ulp
    }

    /// Cephes' bound for its `logf`, in units of the result's last place.
    const LN_ULPS: f64 = 2.0;

    #[test]
    fn ln_f32_is_within_two_ulps_from_the_smallest_to_the_largest_float() {
        let mut worst = 0.0_f64;
        // x = 2^(k/1000) for k from −149000 (subnormals) to 127999, and the values near 1,
        // where ln x is smallest and its relative error largest
        let powers = (-149_000..128_000).map(|k| 2f64.powf(f64::from(k) / 1000.0) as f32);
        let near_one = (-20_000..20_000).map(|k| 1.0 + k as f32 * f32::EPSILON);
        for x in powers.chain(near_one).filter(|&x| x != 1.0) {
            let exact = f64::from(x).ln();
            let ulp = f64::from(f32::EPSILON) * exact.abs().max(f64::from(f32::MIN_POSITIVE));
            let error = (f64::from(ln_f32(x)) - exact).abs() / ulp;
            assert!(
                error <= LN_ULPS,
                "ln({x:e}) = {} is {error} ulp from {exact}",
                ln_f32(x)
            );
            worst = worst.max(error);
        }
        assert!(worst > 0.0, "the sweep compared something");
        assert_eq!(ln_f32(1.0), 0.0);
        assert_eq!(ln_f32(0.0), f32::NEG_INFINITY);
        assert_eq!(ln_f32(f32::INFINITY), f32::INFINITY);
        assert!(ln_f32(-1.0).is_nan() && ln_f32(f32::NAN).is_nan());
        assert!(
            ln_f32(f32::from_bits(1)) < -103.0,
            "the smallest subnormal, ln ≈ −103.28"
        );
    }

    #[test]
    fn exp_f32_is_within_two_ulps_over_its_range() {
        let mut worst = 0.0_f64;
        let steps = 200_000;
        for i in 0..=steps {
            let x = -87.0 + 175.0 * f64::from(i) / f64::from(steps);
            let x = x as f32;
            worst = worst.max(ulps(exp_f32(x), f64::from(x).exp()));
        }
        assert!(worst <= EXP_ULPS, "worst error {worst} ulp");
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(f32::NAN).is_nan());
        // Beyond the clamp the result saturates at the ends, finite and ordered.
        assert_eq!(exp_f32(-1000.0), exp_f32(-87.0));
        assert_eq!(exp_f32(1000.0), exp_f32(88.0));
        assert!(exp_f32(88.0).is_finite() && exp_f32(-87.0) > 0.0);
    }
}
