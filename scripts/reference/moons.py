#!/usr/bin/env python3
"""Writes tests/fixtures/moons/moons_seed{1337,42}.txt (see that directory's README).

Used by src/data/moons.rs's tests (the moons data against scikit-learn, bit for bit). scikit-learn's make_moons(n_samples=100, noise=0.1) drawn from numpy's
global legacy generator after np.random.seed(S) (scikit-learn 1.9.1, numpy 2.4.6).

    pip install numpy scikit-learn && cd tests/fixtures/moons && python3 ../../../scripts/reference/moons.py
"""
import numpy as np
from sklearn.datasets import make_moons

for s in (1337, 42):
    np.random.seed(s)
    X, y = make_moons(n_samples=100, noise=0.1)
    with open(f"moons_seed{s}.txt", "w") as f:
        f.write(f"# make_moons(n_samples=100, noise=0.1) after np.random.seed({s}); numpy 2.4.6 sklearn 1.9.1\n")
        f.write("# index x0 x1 y   (repr of float64; y already mapped to -1/+1)\n")
        for i, (x, t) in enumerate(zip(X.tolist(), (y * 2 - 1).tolist())):
            f.write(f"{i} {x[0]!r} {x[1]!r} {t}\n")
