//! fdlibm's `sin`, `cos` and `log` as V8's `src/base/ieee754.cc` computes them in node 20
//! (V8 11.3), so that the Playground's points come out as node's, bit for bit.
//!
//! Ported from `fdlibm.py` of the project's Playground notes (itself a line-by-line port of
//! ieee754.cc: `__ieee754_rem_pio2`'s small and medium ranges, `__kernel_sin`, `__kernel_cos`
//! with its `qx` correction, `log`). Rust's `f64::sin` (glibc) and the `libm` crate
//! (FreeBSD msun's newer kernels and `rint`-based reduction) each differ from it in the last
//! bit for a few percent of arguments.
//!
//! ```text
//! Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
//!
//! Developed at SunSoft, a Sun Microsystems, Inc. business.
//! Permission to use, copy, modify, and distribute this
//! software is freely granted, provided that this notice
//! is preserved.
//! ```
//!
//! The constants are written as their bits (fdlibm gives both: `0x3FE45F30, 0x6DC9C883` beside
//! `6.36619772367581382433e-01`), the decimal above each.
//!
//! `sin` and `cos` reduce arguments up to 2¹⁹·π/2 (≈ 823 550) as fdlibm does; larger ones,
//! which need `__kernel_rem_pio2`'s multi-word π and which no Playground set reaches, fall
//! back to Rust's own `sin`/`cos`.

/// The high 32 bits of `x`'s representation, as a signed word (`GET_HIGH_WORD`).
fn high(x: f64) -> i32 {
    // The shift leaves 32 bits: the cast reinterprets them, as the C does.
    ((x.to_bits() >> 32) as u32) as i32
}

/// `x` with its high word replaced (`SET_HIGH_WORD`).
fn with_high(x: f64, hi: i32) -> f64 {
    // `hi as u32` reinterprets the word's bits.
    f64::from_bits((u64::from(hi as u32) << 32) | (x.to_bits() & 0xffff_ffff))
}

/// The high words of `n·π/2` for n = 1..32, which flag a cancellation in the medium range.
const NPIO2_HW: [i32; 32] = [
    0x3FF921FB, 0x400921FB, 0x4012D97C, 0x401921FB, 0x401F6A7A, 0x4022D97C, 0x4025FDBB, 0x402921FB,
    0x402C463A, 0x402F6A7A, 0x4031475C, 0x4032D97C, 0x40346B9C, 0x4035FDBB, 0x40378FDB, 0x403921FB,
    0x403AB41B, 0x403C463A, 0x403DD85A, 0x403F6A7A, 0x40407E4C, 0x4041475C, 0x4042106C, 0x4042D97C,
    0x4043A28C, 0x40446B9C, 0x404534AC, 0x4045FDBB, 0x4046C6CB, 0x40478FDB, 0x404858EB, 0x404921FB,
];
// 6.36619772367581382433e-01
const INVPIO2: f64 = f64::from_bits(0x3FE4_5F30_6DC9_C883);
// 1.57079632673412561417e+00
const PIO2_1: f64 = f64::from_bits(0x3FF9_21FB_5440_0000);
// 6.07710050650619224932e-11
const PIO2_1T: f64 = f64::from_bits(0x3DD0_B461_1A62_6331);
// 6.07710050630396597660e-11
const PIO2_2: f64 = f64::from_bits(0x3DD0_B461_1A60_0000);
// 2.02226624879595063154e-21
const PIO2_2T: f64 = f64::from_bits(0x3BA3_198A_2E03_7073);
// 2.02226624871116645580e-21
const PIO2_3: f64 = f64::from_bits(0x3BA3_198A_2E00_0000);
// 8.47842766036889956997e-32
const PIO2_3T: f64 = f64::from_bits(0x397B_839A_2520_49C1);

/// `__ieee754_rem_pio2` for `π/4 < |x| ≤ 2¹⁹·π/2`: `x = n·π/2 + (y0 + y1)`, returning
/// `(n, y0, y1)`; `None` beyond the medium range.
fn rem_pio2(x: f64) -> Option<(i32, f64, f64)> {
    let hx = high(x);
    let ix = hx & 0x7fff_ffff;
    if ix < 0x4002_D97C {
        // |x| < 3π/4: n = ±1, with a second step when |x| is close to π/2.
        let (sign, n) = if hx > 0 { (1.0, 1) } else { (-1.0, -1) };
        let mut z = x - sign * PIO2_1;
        let (y0, y1) = if ix != 0x3FF9_21FB {
            let y0 = z - sign * PIO2_1T;
            (y0, (z - y0) - sign * PIO2_1T)
        } else {
            z -= sign * PIO2_2;
            let y0 = z - sign * PIO2_2T;
            (y0, (z - y0) - sign * PIO2_2T)
        };
        return Some((n, y0, y1));
    }
    if ix > 0x4139_21FB {
        return None;
    }
    // Medium size: n = (int)(|x|·2/π + ½), truncated as C's cast does.
    let t = x.abs();
    let n = (t * INVPIO2 + 0.5) as i32;
    let f_n = f64::from(n);
    let mut r = t - f_n * PIO2_1;
    // 1st round, good to 85 bits.
    let mut w = f_n * PIO2_1T;
    let mut y0 = r - w;
    // n ≥ 1 here (|x| ≥ 3π/4), so `n − 1` indexes the table.
    let cancels = n >= 32 || usize::try_from(n - 1).is_ok_and(|k| ix == NPIO2_HW[k]);
    if cancels {
        let j = ix >> 20;
        let i = j - ((high(y0) >> 20) & 0x7ff);
        if i > 16 {
            // 2nd round, good to 118 bits.
            let t = r;
            w = f_n * PIO2_2;
            r = t - w;
            w = f_n * PIO2_2T - ((t - r) - w);
            y0 = r - w;
            let i = j - ((high(y0) >> 20) & 0x7ff);
            if i > 49 {
                // 3rd round, good to 151 bits.
                let t = r;
                w = f_n * PIO2_3;
                r = t - w;
                w = f_n * PIO2_3T - ((t - r) - w);
                y0 = r - w;
            }
        }
    }
    let y1 = (r - y0) - w;
    Some(if hx < 0 { (-n, -y0, -y1) } else { (n, y0, y1) })
}

/// `__kernel_sin(x, y, iy)` on `[−π/4, π/4]`; `y` is the tail of `x`, `iy = 0` when it is zero.
fn kernel_sin(x: f64, y: f64, iy: bool) -> f64 {
    // -1.66666666666666324348e-01
    const S1: f64 = f64::from_bits(0xBFC5_5555_5555_5549);
    // 8.33333333332248946124e-03
    const S2: f64 = f64::from_bits(0x3F81_1111_1110_F8A6);
    // -1.98412698298579493134e-04
    const S3: f64 = f64::from_bits(0xBF2A_01A0_19C1_61D5);
    // 2.75573137070700676789e-06
    const S4: f64 = f64::from_bits(0x3EC7_1DE3_57B1_FE7D);
    // -2.50507602534068634195e-08
    const S5: f64 = f64::from_bits(0xBE5A_E5E6_8A2B_9CEB);
    // 1.58969099521155010221e-10
    const S6: f64 = f64::from_bits(0x3DE5_D93A_5ACF_D57C);
    // |x| < 2⁻²⁷ (`(int)x == 0` is then always true): sin x = x, inexact.
    if high(x) & 0x7fff_ffff < 0x3E40_0000 {
        return x;
    }
    let z = x * x;
    let v = z * x;
    let r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
    if iy {
        x - ((z * (0.5 * y - v * r) - y) - v * S1)
    } else {
        x + v * (S1 + z * r)
    }
}

/// `__kernel_cos(x, y)` on `[−π/4, π/4]`, fdlibm's original with the `qx` correction.
fn kernel_cos(x: f64, y: f64) -> f64 {
    // 4.16666666666666019037e-02
    const C1: f64 = f64::from_bits(0x3FA5_5555_5555_554C);
    // -1.38888888888741095749e-03
    const C2: f64 = f64::from_bits(0xBF56_C16C_16C1_5177);
    // 2.48015872894767294178e-05
    const C3: f64 = f64::from_bits(0x3EFA_01A0_19CB_1590);
    // -2.75573143513906633035e-07
    const C4: f64 = f64::from_bits(0xBE92_7E4F_809C_52AD);
    // 2.08757232129817482790e-09
    const C5: f64 = f64::from_bits(0x3E21_EE9E_BDB4_B1C4);
    // -1.13596475577881948265e-11
    const C6: f64 = f64::from_bits(0xBDA8_FAE9_BE88_38D4);
    let ix = high(x) & 0x7fff_ffff;
    // |x| < 2⁻²⁷: cos x = 1, inexact.
    if ix < 0x3E40_0000 {
        return 1.0;
    }
    let z = x * x;
    let r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
    if ix < 0x3FD3_3333 {
        // |x| < 0.3
        return 1.0 - (0.5 * z - (z * r - x * y));
    }
    // qx = |x|/4 with its low word cleared, or 0.28125 above 0.78125.
    let qx = if ix > 0x3FE9_0000 {
        0.28125
    } else {
        f64::from_bits(u64::from((ix - 0x0020_0000) as u32) << 32)
    };
    let hz = 0.5 * z - qx;
    let a = 1.0 - qx;
    a - (hz - (z * r - x * y))
}

/// fdlibm's `sin`.
pub fn sin(x: f64) -> f64 {
    let ix = high(x) & 0x7fff_ffff;
    if ix <= 0x3FE9_21FB {
        return kernel_sin(x, 0.0, false);
    }
    if ix >= 0x7FF0_0000 {
        // sin(±∞) and sin(NaN) are NaN (fdlibm's `x - x`).
        return f64::NAN;
    }
    match rem_pio2(x) {
        Some((n, y0, y1)) => match n & 3 {
            0 => kernel_sin(y0, y1, true),
            1 => kernel_cos(y0, y1),
            2 => -kernel_sin(y0, y1, true),
            _ => -kernel_cos(y0, y1),
        },
        None => x.sin(),
    }
}

/// fdlibm's `cos`.
pub fn cos(x: f64) -> f64 {
    let ix = high(x) & 0x7fff_ffff;
    if ix <= 0x3FE9_21FB {
        return kernel_cos(x, 0.0);
    }
    if ix >= 0x7FF0_0000 {
        return f64::NAN;
    }
    match rem_pio2(x) {
        Some((n, y0, y1)) => match n & 3 {
            0 => kernel_cos(y0, y1),
            1 => -kernel_sin(y0, y1, true),
            2 => -kernel_cos(y0, y1),
            _ => kernel_sin(y0, y1, true),
        },
        None => x.cos(),
    }
}

/// fdlibm's `log` (`__ieee754_log`).
pub fn log(x: f64) -> f64 {
    // 6.93147180369123816490e-01
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    // 1.90821492927058770002e-10
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
    // 1.80143985094819840000e+16
    const TWO54: f64 = f64::from_bits(0x4350_0000_0000_0000);
    // 6.666666666666735130e-01
    const LG1: f64 = f64::from_bits(0x3FE5_5555_5555_5593);
    // 3.999999999940941908e-01
    const LG2: f64 = f64::from_bits(0x3FD9_9999_9997_FA04);
    // 2.857142874366239149e-01
    const LG3: f64 = f64::from_bits(0x3FD2_4924_9422_9359);
    // 2.222219843214978396e-01
    const LG4: f64 = f64::from_bits(0x3FCC_71C5_1D8E_78AF);
    // 1.818357216161805012e-01
    const LG5: f64 = f64::from_bits(0x3FC7_4664_96CB_03DE);
    // 1.531383769920937332e-01
    const LG6: f64 = f64::from_bits(0x3FC3_9A09_D078_C69F);
    // 1.479819860511658591e-01
    const LG7: f64 = f64::from_bits(0x3FC2_F112_DF3E_5244);
    // 0.33333333333333333
    const THIRD: f64 = f64::from_bits(0x3FD5_5555_5555_5555);
    let mut x = x;
    let mut hx = high(x);
    let lx = x.to_bits() & 0xffff_ffff;
    let mut k: i32 = 0;
    if hx < 0x0010_0000 {
        // x < 2⁻¹⁰²²: zero, negative or subnormal.
        if (hx & 0x7fff_ffff) == 0 && lx == 0 {
            return f64::NEG_INFINITY;
        }
        if hx < 0 {
            return f64::NAN;
        }
        // Scale a subnormal up.
        k -= 54;
        x *= TWO54;
        hx = high(x);
    }
    if hx >= 0x7FF0_0000 {
        return x + x;
    }
    k += (hx >> 20) - 1023;
    hx &= 0x000F_FFFF;
    // Normalise x or x/2 into [√2/2, √2).
    let i = (hx + 0x95F64) & 0x10_0000;
    x = with_high(x, hx | (i ^ 0x3FF0_0000));
    k += i >> 20;
    let f = x - 1.0;
    let dk = f64::from(k);
    if (0x000F_FFFF & (2 + hx)) < 3 {
        // |f| < 2⁻²⁰
        if f == 0.0 {
            return if k == 0 {
                0.0
            } else {
                dk * LN2_HI + dk * LN2_LO
            };
        }
        let r = f * f * (0.5 - THIRD * f);
        return if k == 0 {
            f - r
        } else {
            dk * LN2_HI - ((r - dk * LN2_LO) - f)
        };
    }
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let i = (hx - 0x6147A) | (0x6B851 - hx);
    let r = t2 + t1;
    if i > 0 {
        let hfsq = 0.5 * f * f;
        if k == 0 {
            f - (hfsq - s * (hfsq + r))
        } else {
            dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f)
        }
    } else if k == 0 {
        f - s * (f - r)
    } else {
        dk * LN2_HI - ((s * (f - r) - dk * LN2_LO) - f)
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_2, FRAC_PI_4, LN_2, PI, TAU};

    use super::*;

    #[test]
    fn sin_and_cos_match_node() {
        // node v20.20.2 (V8 11.3): node -e 'for (const x of [1e-9, 0.5, …, 823549])
        //   console.log(x, Math.sin(x), Math.cos(x))', across fdlibm's ranges: |x| < 2⁻²⁷,
        // |x| ≤ π/4, < 3π/4 (and π/2 itself), the medium range up to its end, 2¹⁹·π/2 ≈ 823550.
        // Where node printed the shortest digits of a `std::f64::consts` value, the constant
        // stands for them (π/4 is 0.7853981633974483, 1/√2 0.7071067811865476).
        let cases = [
            (1e-9, 1e-9, 1.0),
            (0.5, 0.479425538604203, 0.8775825618903728),
            (-0.5, -0.479425538604203, 0.8775825618903728),
            (FRAC_PI_4, 0.7071067811865475, FRAC_1_SQRT_2),
            (FRAC_PI_2, 1.0, 6.123233995736766e-17),
            (2.0, 0.9092974268256817, -0.4161468365471424),
            (-2.0, -0.9092974268256817, -0.4161468365471424),
            (PI, 1.2246467991473532e-16, -1.0),
            (4.71238898038469, -1.0, -1.8369701987210297e-16),
            (TAU, -2.4492935982947064e-16, 1.0),
            (10.0, -0.5440211108893698, -0.8390715290764524),
            (-100.0, 0.5063656411097588, 0.8623188722876839),
            (12345.678, -0.7040813137533816, 0.7101193587160628),
            (823549.0, -0.6167306535771907, 0.787174250682942),
        ];
        for (x, s, c) in cases {
            assert_eq!(sin(x).to_bits(), f64::to_bits(s), "sin({x})");
            assert_eq!(cos(x).to_bits(), f64::to_bits(c), "cos({x})");
        }
    }

    #[test]
    fn log_matches_node() {
        // node v20.20.2: node -e 'for (const x of [1e-310, 0.5, 0.7, …]) console.log(x, Math.log(x))':
        // a subnormal, both sides of √2/2 and of 1, |f| < 2⁻²⁰, large arguments (LN_2 stands for
        // node's ±0.6931471805599453).
        let cases = [
            (1e-310, -713.8013788281542),
            (0.5, -LN_2),
            (0.7, -0.35667494393873245),
            (0.72, -0.3285040669720361),
            (1.0, 0.0),
            (1.0000001, 9.999999505838704e-8),
            (2.0, LN_2),
            (123456.789, 11.723646487185881),
            (1e300, 690.7755278982137),
        ];
        for (x, expected) in cases {
            assert_eq!(log(x).to_bits(), f64::to_bits(expected), "log({x})");
        }
        assert_eq!(log(0.0), f64::NEG_INFINITY);
        assert!(log(-1.0).is_nan());
    }
}
