#!/usr/bin/env python3
"""cs231n "Minimal neural network case study", as fresh, seeded runs.

Where the code comes from
-------------------------
* Page text: https://cs231n.github.io/neural-networks-case-study/ , source
  file `neural-networks-case-study.md` in the GitHub repo
  cs231n/cs231n.github.io (versions at commits 02a5dc64... and 67b35685...
  read for this script). The page's code does not call np.random.seed.
* Andrej Karpathy's notebook behind the page, minimal_net.ipynb (the page
  links http://cs.stanford.edu/people/karpathy/cs231nfiles/minimal_net.ipynb).
  The copy read for this script is in the GitHub repo DalavanCloud/cs231n, file
  minimal_net.ipynb, commit 3eafa00b (nbformat 3, Python 2). Its data cell
  begins with `np.random.seed(0)`.

Everything below follows the page and notebook statement by statement. The
only changes are for Python 3: `xrange` becomes `range` and `print x` becomes
`print(x)`. Integer `num_examples` divisions work the same way because every
array involved is float64.

Draw order (the only RNG calls are np.random.randn, from the legacy global
MT19937 RandomState)
----------------------------------------------------------------------------
Notebook, one session (seed set ONCE, in the data cell):
    seed(0) -> data: randn(100) for class 0, 1, 2 (each drawn after that
    class's linspace) -> linear W = 0.01*randn(2,3) -> 200 linear steps (no
    draws) -> two-layer W = 0.01*randn(2,100) -> W2 = 0.01*randn(100,3).
So in the notebook, the two-layer net's weights are drawn AFTER the linear
classifier's W (6 more normals are used up before them).

This script does one fresh run per model (--order fresh, the default), which
is what the burnprop presets do:
    --model linear    : seed(S) -> data -> W(2,3)
    --model two-layer : seed(S) -> data -> W(2,100) -> W2(100,3)
For --model linear, fresh order is the same as the notebook's. For
--model two-layer it is not, so the fresh seed-0 two-layer lines are not the
notebook's printed lines. The other orders only exist to check this script
against the published outputs:
    --order notebook : seed -> data -> linear W, linear training (two-layer:
                       output not shown) -> two-layer W, W2. This gives the
                       notebook's saved outputs.
    --order page     : like notebook, but 18 normals (three randn(2,3), as if
                       the linear-classifier cell had run 3 more times) are
                       drawn and thrown away after the data. This gives the
                       outputs printed on the web page. It is an inference
                       from matching the numbers; neither source says so.

Output
------
By default the script prints exactly the case study's lines:
    "iteration %d: loss %f"   (every 10 iterations for linear, every 1000
                               for two-layer)
    "training accuracy: %.2f"
With --full it also prints, for EVERY iteration i, a line
    "loss <i> <repr(float(loss))>"
right after that iteration's case-study line (if there is one), and after
"training accuracy: ..." one more line
    "accuracy <correct>/<total>"
"""
import argparse

import numpy as np

N = 100  # number of points per class
D = 2  # dimensionality
K = 3  # number of classes


def make_data():
    X = np.zeros((N * K, D))  # data matrix (each row = single example)
    y = np.zeros(N * K, dtype='uint8')  # class labels
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0.0, 1, N)  # radius
        t = np.linspace(j * 4, (j + 1) * 4, N) + np.random.randn(N) * 0.2  # theta
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


def train_linear(X, y, emit, full):
    # initialize parameters randomly
    W = 0.01 * np.random.randn(D, K)
    b = np.zeros((1, K))

    # some hyperparameters
    step_size = 1e-0
    reg = 1e-3  # regularization strength

    # gradient descent loop
    num_examples = X.shape[0]
    for i in range(200):
        # evaluate class scores, [N x K]
        scores = np.dot(X, W) + b

        # compute the class probabilities
        exp_scores = np.exp(scores)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)  # [N x K]

        # compute the loss: average cross-entropy loss and regularization
        corect_logprobs = -np.log(probs[range(num_examples), y])
        data_loss = np.sum(corect_logprobs) / num_examples
        reg_loss = 0.5 * reg * np.sum(W * W)
        loss = data_loss + reg_loss
        if i % 10 == 0:
            emit("iteration %d: loss %f" % (i, loss))
        if full:
            emit("loss %d %s" % (i, repr(float(loss))))

        # compute the gradient on scores
        dscores = probs
        dscores[range(num_examples), y] -= 1
        dscores /= num_examples

        # backpropate the gradient to the parameters (W,b)
        dW = np.dot(X.T, dscores)
        db = np.sum(dscores, axis=0, keepdims=True)

        dW += reg * W  # regularization gradient

        # perform a parameter update
        W += -step_size * dW
        b += -step_size * db

    # evaluate training set accuracy
    scores = np.dot(X, W) + b
    predicted_class = np.argmax(scores, axis=1)
    emit('training accuracy: %.2f' % (np.mean(predicted_class == y)))
    if full:
        emit("accuracy %d/%d" % (int(np.sum(predicted_class == y)), num_examples))


def train_two_layer(X, y, emit, full):
    # initialize parameters randomly
    h = 100  # size of hidden layer
    W = 0.01 * np.random.randn(D, h)
    b = np.zeros((1, h))
    W2 = 0.01 * np.random.randn(h, K)
    b2 = np.zeros((1, K))

    # some hyperparameters
    step_size = 1e-0
    reg = 1e-3  # regularization strength

    # gradient descent loop
    num_examples = X.shape[0]
    for i in range(10000):
        # evaluate class scores, [N x K]
        hidden_layer = np.maximum(0, np.dot(X, W) + b)  # note, ReLU activation
        scores = np.dot(hidden_layer, W2) + b2

        # compute the class probabilities
        exp_scores = np.exp(scores)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)  # [N x K]

        # compute the loss: average cross-entropy loss and regularization
        corect_logprobs = -np.log(probs[range(num_examples), y])
        data_loss = np.sum(corect_logprobs) / num_examples
        reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
        loss = data_loss + reg_loss
        if i % 1000 == 0:
            emit("iteration %d: loss %f" % (i, loss))
        if full:
            emit("loss %d %s" % (i, repr(float(loss))))

        # compute the gradient on scores
        dscores = probs
        dscores[range(num_examples), y] -= 1
        dscores /= num_examples

        # backpropate the gradient to the parameters
        # first backprop into parameters W2 and b2
        dW2 = np.dot(hidden_layer.T, dscores)
        db2 = np.sum(dscores, axis=0, keepdims=True)
        # next backprop into hidden layer
        dhidden = np.dot(dscores, W2.T)
        # backprop the ReLU non-linearity
        dhidden[hidden_layer <= 0] = 0
        # finally into W,b
        dW = np.dot(X.T, dhidden)
        db = np.sum(dhidden, axis=0, keepdims=True)

        # add regularization gradient contribution
        dW2 += reg * W2
        dW += reg * W

        # perform a parameter update
        W += -step_size * dW
        b += -step_size * db
        W2 += -step_size * dW2
        b2 += -step_size * db2

    # evaluate training set accuracy
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    predicted_class = np.argmax(scores, axis=1)
    emit('training accuracy: %.2f' % (np.mean(predicted_class == y)))
    if full:
        emit("accuracy %d/%d" % (int(np.sum(predicted_class == y)), num_examples))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", choices=["linear", "two-layer"], required=True)
    ap.add_argument("--full", action="store_true",
                    help="also print every iteration's loss at full f64 "
                         "precision and the accuracy as correct/total")
    ap.add_argument("--order", choices=["fresh", "notebook", "page"],
                    default="fresh",
                    help="draw order: fresh (default; seed -> data -> this "
                         "model's weights), notebook, or page (see header)")
    args = ap.parse_args()

    np.random.seed(args.seed)
    X, y = make_data()
    if args.order == "page":
        for _ in range(3):
            np.random.randn(D, K)  # thrown away
    if args.model == "linear":
        train_linear(X, y, print, args.full)
    else:
        if args.order in ("notebook", "page"):
            train_linear(X, y, lambda line: None, False)
        train_two_layer(X, y, print, args.full)

if __name__ == "__main__":
    main()
