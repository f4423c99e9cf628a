#!/usr/bin/env python3
"""Copied from the project's shared reference scripts so that the figures the tests cite can be
regenerated from a clone. Used by tests/it/notebooks.rs (logreg_reproduces_notebook_001: the 22 losses) and
tests/it/examples.rs (the logistic_regression example's A1).
(pip install numpy scikit-learn.)

Reference for notebook 001 ("Building a neural net from scratch"): the 4-sample
logistic regressor, exactly as cells In[19]-In[21]:

  np.random.seed(1); W1 = 2*np.random.random((3,1)) - 1; b1 = 0
  22 iterations of: A1 = sigmoid(A0.W1 + b1); loss = mean log-loss;
                    dz1 = A1 - y; W1 -= (1/m) A0^T dz1; b1 -= (1/m) sum(dz1)
  (no learning rate, i.e. lr = 1)

Also re-checks cell In[5] (A1 with the fresh seed-1 weights, no bias), whose
output the notebook prints. Prints the loss list and one JSON line at the end.
"""
import json
import platform

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def log_loss(y, y_hat):
    N = y.shape[0]
    return -1 / N * np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))


def log_loss_derivative(y, y_hat):
    return y_hat - y


def main():
    X = np.array([[0, 1, 0],
                  [1, 0, 0],
                  [1, 1, 1],
                  [0, 1, 1]])

    # cell In[5]
    np.random.seed(1)
    W1 = 2 * np.random.random((3, 1)) - 1
    A1_cell5 = sigmoid(np.dot(X, W1))
    notebook_cell5 = np.array([[0.60841366], [0.45860596], [0.3262757], [0.36375058]])
    cell5_max_diff = float(np.abs(A1_cell5 - notebook_cell5).max())

    # cells In[19]-In[21]
    np.random.seed(1)
    W1 = 2 * np.random.random((3, 1)) - 1
    W1_init = W1.ravel().tolist()
    y = np.array([[0], [1], [1], [0]])
    b1 = 0
    m = X.shape[0]
    A0 = X
    losses = []
    for i in range(22):
        z1 = A0.dot(W1) + b1
        A1 = sigmoid(z1)
        loss = log_loss(y=y, y_hat=A1)
        losses.append(float(loss))
        dz1 = log_loss_derivative(y=y, y_hat=A1)
        dW1 = 1 / m * np.dot(A0.T, dz1)
        db1 = 1 / m * np.sum(dz1, axis=0, keepdims=True)
        W1 -= dW1
        b1 -= db1

    for i, l in enumerate(losses):
        print(f"{i:2d} {l!r}")
    out = {
        "script": "seed001_logreg",
        "config": {"np_seed": 1, "iterations": 22, "lr": 1.0, "dtype": "float64"},
        "env": {"numpy": np.__version__, "python": platform.python_version()},
        "W1_init": W1_init,
        "cell5_A1": A1_cell5.ravel().tolist(),
        "cell5_max_abs_diff_vs_notebook_print": cell5_max_diff,
        "losses": losses,
        "final_W1": W1.ravel().tolist(),
        "final_b1": float(np.asarray(b1).ravel()[0]),
        "final_A1": sigmoid(A0.dot(W1) + b1).ravel().tolist(),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
