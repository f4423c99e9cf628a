#!/usr/bin/env python3
"""Copied from the project's shared reference scripts so that the figures the tests cite can be
regenerated from a clone. Used by tests/it/notebooks.rs (circles_first_steps_follow_the_notebook_update_in_f64:
`--iterations 3 --loss-every 1`, the losses at θ0 and after each update; circles_sits_on_the_plateau_then_escapes_like_the_notebook:
`--iterations 7000 --loss-every 1000`, the loss at 3000 and 7000, in its loss_trace) and tests/it/examples.rs (the circles example's loss at θ0).
(pip install numpy scikit-learn.)

Reference for notebook 000 ("How to use backpropagation to train a feedforward NN").

Faithful numpy port of the notebook's workload (the cells missing from the text
dump -- data generation, forward_prop, hidden-layer gradients, update_momentum --
are taken from the original ML4T notebook, 01_build_and_train_feedforward_nn):

  np.random.seed(42)
  X, y = make_circles(n_samples=50000, shuffle=True, factor=0.1, noise=0.1)
         # no random_state in the notebook: it draws from the global numpy RNG
         # seeded with 42 (use --random-state to pass an explicit one instead)
  Y = one-hot(y)
  gradient check (eps=1e-4) on a FIRST initialize_weights() draw
  train_network(iterations=50000, lr=1e-4, mf=0.5) on a SECOND draw:
      Ms = [mf * M - lr * grad]; params = [P + M]
      loss recorded after every update (an extra forward pass per iteration)

Loss is the summed (not averaged) cross-entropy over all N samples.
Prints one JSON line at the end.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time
from copy import deepcopy

import numpy as np
import sklearn
from sklearn.datasets import make_circles


def logistic(z):
    return 1 / (1 + np.exp(-z))


def hidden_layer(input_data, weights, bias):
    return logistic(input_data @ weights + bias)


def softmax(z):
    return np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)


def output_layer(hidden_activations, weights, bias):
    return softmax(hidden_activations @ weights + bias)


def forward_prop(data, hidden_weights, hidden_bias, output_weights, output_bias):
    hidden_activations = hidden_layer(data, hidden_weights, hidden_bias)
    return output_layer(hidden_activations, output_weights, output_bias)


def loss(y_hat, y_true):
    return -(y_true * np.log(y_hat)).sum()


def loss_gradient(y_hat, y_true):
    return y_hat - y_true


def output_weight_gradient(H, loss_grad):
    return H.T @ loss_grad


def output_bias_gradient(loss_grad):
    return np.sum(loss_grad, axis=0, keepdims=True)


def hidden_layer_gradient(H, out_weights, loss_grad):
    return H * (1 - H) * (loss_grad @ out_weights.T)


def hidden_weight_gradient(X, hidden_layer_grad):
    return X.T @ hidden_layer_grad


def hidden_bias_gradient(hidden_layer_grad):
    return np.sum(hidden_layer_grad, axis=0, keepdims=True)


def initialize_weights():
    hidden_weights = np.random.randn(2, 3)
    hidden_bias = np.random.randn(1, 3)
    output_weights = np.random.randn(3, 2)
    output_bias = np.random.randn(1, 2)
    return hidden_weights, hidden_bias, output_weights, output_bias


def compute_gradients(X, y_true, w_h, b_h, w_o, b_o):
    hidden_activations = hidden_layer(X, w_h, b_h)
    y_hat = output_layer(hidden_activations, w_o, b_o)
    loss_grad = loss_gradient(y_hat, y_true)
    out_weight_grad = output_weight_gradient(hidden_activations, loss_grad)
    out_bias_grad = output_bias_gradient(loss_grad)
    hidden_layer_grad = hidden_layer_gradient(hidden_activations, w_o, loss_grad)
    hidden_weight_grad = hidden_weight_gradient(X, hidden_layer_grad)
    hidden_bias_grad = hidden_bias_gradient(hidden_layer_grad)
    return [hidden_weight_grad, hidden_bias_grad, out_weight_grad, out_bias_grad]


def update_momentum(X, y_true, param_list, Ms, momentum_term, learning_rate):
    gradients = compute_gradients(X, y_true, *param_list)
    return [momentum_term * momentum - learning_rate * grads
            for momentum, grads in zip(Ms, gradients)]


def update_params(param_list, Ms):
    return [P + M for P, M in zip(param_list, Ms)]


def make_data(n, factor, noise, seed, random_state):
    np.random.seed(seed=seed)
    X, y = make_circles(n_samples=n, shuffle=True, factor=factor, noise=noise,
                        random_state=random_state)
    Y = np.zeros((n, 2))
    for c in [0, 1]:
        Y[y == c, c] = 1
    return X, y, Y


def gradient_check(X, Y, eps=1e-4):
    """The notebook's finite-difference check (consumes one initialize_weights draw)."""
    params = initialize_weights()
    grad_params = compute_gradients(X, Y, *params)
    max_abs, max_rel, all_close = 0.0, 0.0, True
    for i, param in enumerate(params):
        rows, cols = param.shape
        for row in range(rows):
            for col in range(cols):
                params_low = deepcopy(params)
                params_low[i][row, col] -= eps
                params_high = deepcopy(params)
                params_high[i][row, col] += eps
                loss_high = loss(forward_prop(X, *params_high), Y)
                loss_low = loss(forward_prop(X, *params_low), Y)
                numerical_gradient = (loss_high - loss_low) / (2 * eps)
                backprop_gradient = grad_params[i][row, col]
                d = abs(numerical_gradient - backprop_gradient)
                max_abs = max(max_abs, d)
                max_rel = max(max_rel, d / max(abs(backprop_gradient), 1e-12))
                all_close &= bool(np.allclose(numerical_gradient, backprop_gradient))
    return {"eps": eps, "max_abs_diff": max_abs, "max_rel_diff": max_rel,
            "np_allclose_all": all_close,
            "max_abs_grad": float(max(np.abs(g).max() for g in grad_params))}


def stats(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs),
            "mean": statistics.fmean(xs), "n": len(xs)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=50000)
    ap.add_argument("--warmup", type=int, default=50, help="iterations excluded from the timing stats")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--random-state", type=int, default=None,
                    help="explicit make_circles random_state (default: None = global RNG, as the notebook)")
    ap.add_argument("--n", type=int, default=50000)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--mf", type=float, default=0.5)
    ap.add_argument("--no-gradcheck", action="store_true")
    ap.add_argument("--loss-every", type=int, default=1000, help="record loss trace every k iterations in the JSON")
    args = ap.parse_args()

    X, y, Y = make_data(args.n, 0.1, 0.1, args.seed, args.random_state)

    gc = None
    t0 = time.perf_counter()
    if not args.no_gradcheck:
        gc = gradient_check(X, Y)
    gc_time = time.perf_counter() - t0

    # train_network(iterations, lr, mf), instrumented
    param_list = list(initialize_weights())
    init_params = [p.tolist() for p in param_list]
    Ms = [np.zeros_like(M) for M in param_list]
    train_loss = [loss(forward_prop(X, *param_list), Y)]
    times = []
    t_start = time.perf_counter()
    for i in range(args.iterations):
        if i % 1000 == 0:
            print(f"{i:,d}", end=" ", flush=True, file=sys.stderr)
        ti = time.perf_counter()
        Ms = update_momentum(X, Y, param_list, Ms, args.mf, args.lr)
        param_list = update_params(param_list, Ms)
        train_loss.append(loss(forward_prop(X, *param_list), Y))
        times.append(time.perf_counter() - ti)
    total = time.perf_counter() - t_start
    print(file=sys.stderr)

    y_hat = forward_prop(X, *param_list)
    acc = float((np.argmax(y_hat, axis=1) == y).mean())
    timed = times[args.warmup:] if len(times) > args.warmup else times
    trace = {str(k): float(train_loss[k]) for k in range(0, len(train_loss), args.loss_every)}
    trace[str(len(train_loss) - 1)] = float(train_loss[-1])
    out = {
        "script": "seed000_circles_numpy",
        "config": {"N": args.n, "factor": 0.1, "noise": 0.1, "np_seed": args.seed,
                   "make_circles_random_state": args.random_state, "iterations": args.iterations,
                   "lr": args.lr, "momentum": args.mf, "dtype": "float64", "warmup": args.warmup},
        "env": {"numpy": np.__version__, "sklearn": sklearn.__version__, "python": platform.python_version(), "loadavg_end": os.getloadavg(),
                "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
                "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")},
        "data_checksum": {"X_sum": float(X.sum()), "X0": X[0].tolist(), "y_sum": int(y.sum()), "y_first10": y[:10].tolist()},
        "gradcheck": gc, "gradcheck_seconds": gc_time,
        "init_params": init_params,
        "sec_per_iter": stats(timed),
        "sec_per_iter_median_by_5000_block": [statistics.median(times[k:k + 5000])
                                              for k in range(0, len(times), 5000)],
        "train_seconds_total": total,
        "initial_loss": float(train_loss[0]),
        "final_loss": float(train_loss[-1]),
        "final_mean_loss_per_sample": float(train_loss[-1]) / args.n,
        "train_accuracy": acc,
        "loss_trace": trace,
        "final_params": [p.tolist() for p in param_list],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
