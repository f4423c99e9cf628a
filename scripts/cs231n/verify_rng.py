#!/usr/bin/env python3
"""Checks, bit for bit, a pure-Python model of numpy's legacy np.random.randn.

This is the algorithm a Rust port has to copy. The script builds the model,
compares every normal the case study draws (seed 0 and seed 1) with numpy,
and prints checkpoint values to use in Rust unit tests.

Model (numpy.random legacy RandomState, MT19937):
  seed(s), s an int in [0, 2**32): the plain MT19937 init_genrand
      mt[0] = s; mt[i] = (1812433253 * (mt[i-1] ^ (mt[i-1] >> 30)) + i) & 0xffffffff
      (init_by_array is NOT used for a scalar seed), pos = 624, no cached gauss.
  next_u32: standard MT19937 genrand_int32 (twist when pos == 624, temper).
  next_double: a = u32 >> 5, b = u32 >> 6 (a drawn first);
      (a * 67108864.0 + b) / 9007199254740992.0
  gauss (polar Box-Muller with one cached value):
      if cached: return the cached value and clear the cache
      loop: x1 = 2*next_double() - 1; x2 = 2*next_double() - 1
            r2 = x1*x1 + x2*x2; repeat while r2 >= 1.0 or r2 == 0.0
      f = sqrt(-2.0 * log(r2) / r2); cache f*x1; return f*x2
  randn(d0, d1, ...) fills a C-order (row-major) array with successive gauss().
"""
import math
import sys

import numpy as np


class LegacyMT:
    def __init__(self, seed):
        mt = [0] * 624
        mt[0] = seed & 0xffffffff
        for i in range(1, 624):
            mt[i] = (1812433253 * (mt[i - 1] ^ (mt[i - 1] >> 30)) + i) & 0xffffffff
        self.mt, self.pos = mt, 624
        self.cached = None
        self.u32_count = 0
        self.rejections = 0

    def _twist(self):
        mt = self.mt
        for i in range(624):
            yy = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff)
            mt[i] = mt[(i + 397) % 624] ^ (yy >> 1) ^ (0x9908b0df if yy & 1 else 0)
        self.pos = 0

    def next_u32(self):
        if self.pos >= 624:
            self._twist()
        yy = self.mt[self.pos]
        self.pos += 1
        yy ^= yy >> 11
        yy ^= (yy << 7) & 0x9d2c5680
        yy ^= (yy << 15) & 0xefc60000
        yy ^= yy >> 18
        self.u32_count += 1
        return yy

    def next_double(self):
        a = self.next_u32() >> 5
        b = self.next_u32() >> 6
        return (a * 67108864.0 + b) / 9007199254740992.0

    def gauss(self):
        if self.cached is not None:
            v, self.cached = self.cached, None
            return v
        while True:
            x1 = 2.0 * self.next_double() - 1.0
            x2 = 2.0 * self.next_double() - 1.0
            r2 = x1 * x1 + x2 * x2
            if r2 < 1.0 and r2 != 0.0:
                break
            self.rejections += 1
        f = math.sqrt(-2.0 * math.log(r2) / r2)
        self.cached = f * x1
        return f * x2

    def randn(self, *shape):
        n = int(np.prod(shape))
        return np.array([self.gauss() for _ in range(n)]).reshape(shape)


def check(seed):
    ok = True
    # Draw sequence of a fresh two-layer run: 3 x randn(100), randn(2,100), randn(100,3).
    # A fresh linear run draws the same 3 x randn(100), then randn(2,3).
    np.random.seed(seed)
    ref = [np.random.randn(100) for _ in range(3)] + [np.random.randn(2, 100), np.random.randn(100, 3)]
    np.random.seed(seed)
    ref_lin = [np.random.randn(100) for _ in range(3)] + [np.random.randn(2, 3)]
    m = LegacyMT(seed)
    got = [m.randn(100) for _ in range(3)]
    after_data = (m.u32_count, m.rejections, m.cached is not None)
    m_lin = LegacyMT(seed)
    got_lin = [m_lin.randn(100) for _ in range(3)] + [m_lin.randn(2, 3)]
    got += [m.randn(2, 100), m.randn(100, 3)]
    for a, b in zip(ref + ref_lin, got + got_lin):
        if a.shape != b.shape or a.tobytes() != b.tobytes():
            ok = False
    print("seed %d: pure-Python model %s numpy bit for bit (%d normals)"
          % (seed, "MATCHES" if ok else "DIFFERS FROM", sum(a.size for a in ref + ref_lin)))
    print("  after data: %d u32 used, %d polar rejections, gauss cached: %s"
          % after_data)
    print("  two-layer end: %d u32 used, %d rejections; linear end: %d u32 used, %d rejections"
          % (m.u32_count, m.rejections, m_lin.u32_count, m_lin.rejections))
    print("  first u32 after seed: %d" % LegacyMT(seed).next_u32())
    print("  noise class0[0..3] (before *0.2): %s" % [repr(float(v)) for v in ref[0][:3]])
    print("  linear randn(2,3) (before *0.01): %s" % [repr(float(v)) for v in ref_lin[3].ravel()])
    print("  two-layer randn(2,100)[0,0..3]: %s" % [repr(float(v)) for v in ref[3][0, :3]])
    print("  two-layer randn(100,3)[0,:]: %s" % [repr(float(v)) for v in ref[4][0]])
    # data checkpoints (same code as cs231n_case_study.make_data)
    np.random.seed(seed)
    sys.path.insert(0, __file__.rsplit("/", 1)[0] if "/" in __file__ else ".")
    from cs231n_case_study import make_data
    X, y = make_data()
    for i in (0, 1, 99, 100, 150, 299):
        print("  X[%d] = [%s, %s]  y=%d" % (i, repr(float(X[i, 0])), repr(float(X[i, 1])), y[i]))
    return ok


if __name__ == "__main__":
    print("numpy", np.__version__)
    good = all([check(0), check(1)])
    sys.exit(0 if good else 1)
