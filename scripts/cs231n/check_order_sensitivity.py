#!/usr/bin/env python3
"""How much do the fixtures move when the summation order changes?

This is a diagnostic, not a fixture generator. It reruns the fresh-run
training from cs231n_case_study.py (same seed, data and draws), replacing
every matrix product and every full-array np.sum with a plain left-to-right
sum (what a naive Rust loop does). It then compares the result with the
numpy/OpenBLAS run recorded in tests/fixtures/cs231n/<model>_seed<S>_full.txt. exp and log stay
numpy's unless --libm is given; then the training loop uses Python's math.exp
and math.log (the C library's, as Rust's f64::exp/ln on Linux), one element at
a time. The data's sin/cos always stay numpy's.

Usage: check_order_sensitivity.py --seed 0 --model linear|two-layer [--libm]
"""
import argparse
import math
import os

import numpy as np

from cs231n_case_study import make_data, D, K


EXP, LOG = np.exp, np.log


def seqdot(A, B):
    # C[i,j] = ((A[i,0]*B[0,j] + A[i,1]*B[1,j]) + A[i,2]*B[2,j]) + ...
    C = A[:, 0:1] * B[0:1, :]
    for k in range(1, A.shape[1]):
        C = C + A[:, k:k + 1] * B[k:k + 1, :]
    return C


def seqsum(v):
    return np.cumsum(np.ravel(v))[-1]


def seqsum_rows(M):  # sum over axis 0, left to right over rows
    out = M[0:1, :].copy()
    for i in range(1, M.shape[0]):
        out = out + M[i:i + 1, :]
    return out


def run(seed, model):
    np.random.seed(seed)
    X, y = make_data()
    n = X.shape[0]
    step_size, reg = 1e-0, 1e-3
    losses = []
    if model == "linear":
        W = 0.01 * np.random.randn(D, K); b = np.zeros((1, K))
        for i in range(200):
            scores = seqdot(X, W) + b
            e = EXP(scores); probs = e / np.sum(e, axis=1, keepdims=True)
            loss = seqsum(-LOG(probs[range(n), y])) / n + 0.5 * reg * seqsum(W * W)
            losses.append(float(loss))
            d = probs; d[range(n), y] -= 1; d /= n
            dW = seqdot(X.T, d); db = seqsum_rows(d); dW += reg * W
            W += -step_size * dW; b += -step_size * db
        pc = np.argmax(seqdot(X, W) + b, axis=1)
    else:
        h = 100
        W = 0.01 * np.random.randn(D, h); b = np.zeros((1, h))
        W2 = 0.01 * np.random.randn(h, K); b2 = np.zeros((1, K))
        for i in range(10000):
            hl = np.maximum(0, seqdot(X, W) + b); scores = seqdot(hl, W2) + b2
            e = EXP(scores); probs = e / np.sum(e, axis=1, keepdims=True)
            loss = (seqsum(-LOG(probs[range(n), y])) / n
                    + 0.5 * reg * seqsum(W * W) + 0.5 * reg * seqsum(W2 * W2))
            losses.append(float(loss))
            d = probs; d[range(n), y] -= 1; d /= n
            dW2 = seqdot(hl.T, d); db2 = seqsum_rows(d)
            dh = seqdot(d, W2.T); dh[hl <= 0] = 0
            dW = seqdot(X.T, dh); db = seqsum_rows(dh)
            dW2 += reg * W2; dW += reg * W
            W += -step_size * dW; b += -step_size * db
            W2 += -step_size * dW2; b2 += -step_size * db2
        pc = np.argmax(seqdot(np.maximum(0, seqdot(X, W) + b), W2) + b2, axis=1)
    return losses, int(np.sum(pc == y)), n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", choices=["linear", "two-layer"], required=True)
    ap.add_argument("--libm", action="store_true")
    a = ap.parse_args()
    if a.libm:
        global EXP, LOG
        EXP = np.vectorize(math.exp, otypes=[float])
        LOG = np.vectorize(math.log, otypes=[float])
    losses, correct, n = run(a.seed, a.model)
    here = os.path.dirname(os.path.abspath(__file__))
    fixtures = os.path.join(here, "..", "..", "tests", "fixtures", "cs231n")
    fname = os.path.join(fixtures, "%s_seed%d_full.txt" % (a.model.replace("-", "_"), a.seed))
    ref, ref_acc = [], None
    for line in open(fname):
        p = line.split()
        if p[0] == "loss":
            ref.append(float(p[2]))
        elif p[0] == "accuracy":
            ref_acc = p[1]
    every = 10 if a.model == "linear" else 1000
    diffs = [abs(u - v) for u, v in zip(losses, ref)]
    rel = [abs(u - v) / abs(v) for u, v in zip(losses, ref)]
    printed_changed = [i for i in range(0, len(ref), every)
                       if "%f" % losses[i] != "%f" % ref[i]]
    first_diff = next((i for i, dd in enumerate(diffs) if dd != 0.0), None)
    print("%s seed %d: sequential-order%s vs numpy/OpenBLAS"
          % (a.model, a.seed, " + libm exp/log" if a.libm else ""))
    print("  iterations with bit-identical loss: %d/%d (first difference at iteration %s)"
          % (sum(dd == 0.0 for dd in diffs), len(diffs), first_diff))
    print("  max |dloss| = %.3e, max rel = %.3e, at final iteration |dloss| = %.3e"
          % (max(diffs), max(rel), diffs[-1]))
    print("  printed '%%f' lines that change: %s" % (printed_changed or "none"))
    print("  accuracy: sequential %d/%d vs fixture %s" % (correct, n, ref_acc))


if __name__ == "__main__":
    main()
