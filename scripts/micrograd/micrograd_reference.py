#!/usr/bin/env python3
"""Reproduce karpathy/micrograd demo.ipynb (cells 3..7) for a given seed.

Usage:
    python micrograd_reference.py [SEED] [--steps N] [--dump-moons FILE]
                                  [--dump-weights FILE] [--notebook-format]

Needs numpy + scikit-learn, and micrograd_engine.py / micrograd_nn.py (verbatim
copies of micrograd/engine.py and micrograd/nn.py at commit c911406, only the
import line of nn.py changed) next to this file.

Output, one line per step (default):
    step K loss <repr(total_loss.data)> accuracy <repr(acc*100)>
With --notebook-format the line is exactly the notebook's f-string:
    step K loss <total_loss.data>, accuracy <acc*100>%
(f"{x}" of a float is repr(x): the shortest round-trip string, so both forms
carry the exact double.)

The body below is the notebook code, unchanged except for wrapping in a function.
"""
import os
import random
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from micrograd_engine import Value  # noqa: E402
from micrograd_nn import MLP  # noqa: E402


def install_backward_order(order):
    """Replace micrograd's address-dependent topological order by a deterministic one.

    Stock micrograd stores children in a set (`self._prev = set(_children)`) and
    build_topo iterates that set: the iteration order of a 2-element set of Values
    follows their hash = id() (memory address), so the order in which gradients are
    accumulated into a node used by several consumers depends on the allocator.

    order == "tape": process every node reachable from the root in reverse creation
        order (a Wengert tape: node k is created after its operands).  A node's grad
        then accumulates its consumers' contributions newest consumer first.
    order == "dfs": micrograd's build_topo, but iterating the children in the tuple
        order given to Value(...) -- (self, other) for + and *, (self,) for ** / relu;
        `p*p` has children (p, p), the second visit is skipped by `visited`.
    Forward values are unchanged; only float summation order of .grad changes.
    """
    import itertools
    counter = itertools.count()
    orig_init = Value.__init__

    def __init__(self, data, _children=(), _op=''):
        orig_init(self, data, _children, _op)
        self._children = tuple(_children)
        self._seq = next(counter)
    Value.__init__ = __init__

    if order == "tape":
        def backward(self):
            nodes, visited, stack = [], set(), [self]
            while stack:
                v = stack.pop()
                if v in visited:
                    continue
                visited.add(v)
                nodes.append(v)
                stack.extend(v._children)
            nodes.sort(key=lambda v: v._seq, reverse=True)
            self.grad = 1
            for v in nodes:
                v._backward()
    elif order == "dfs":
        def backward(self):
            topo, visited = [], set()

            def build_topo(v):
                if v not in visited:
                    visited.add(v)
                    for child in v._children:
                        build_topo(child)
                    topo.append(v)
            build_topo(self)
            self.grad = 1
            for v in reversed(topo):
                v._backward()
    else:
        raise SystemExit(f"unknown --order {order!r} (stock|tape|dfs)")
    Value.backward = backward


def main():
    args = sys.argv[1:]
    seed = 1337
    steps = 100
    dump_moons = dump_weights = None
    nb_format = False
    order = "stock"
    perturb = 0
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--steps":
            steps = int(args[i + 1]); i += 2; continue
        if a == "--dump-moons":
            dump_moons = args[i + 1]; i += 2; continue
        if a == "--dump-weights":
            dump_weights = args[i + 1]; i += 2; continue
        if a == "--order":
            order = args[i + 1]; i += 2; continue
        if a == "--perturb":
            perturb = int(args[i + 1]); i += 2; continue
        if a == "--notebook-format":
            nb_format = True; i += 1; continue
        seed = int(a); i += 1

    import sklearn
    from sklearn.datasets import make_moons

    if order != "stock":
        install_backward_order(order)
    # --perturb N: allocate N extra live objects first, which shifts the memory
    # addresses of every later Value (stock order depends on them, see notes)
    junk = [Value(0.0) for _ in range(perturb)]  # noqa: F841

    print(f"# order {order} perturb {perturb} seed {seed} python {sys.version.split()[0]} numpy {np.__version__} "
          f"sklearn {sklearn.__version__}")

    # --- cell 3 ---
    np.random.seed(seed)
    random.seed(seed)

    # --- cell 4 ---
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1  # make y be -1 or 1

    if dump_moons:
        with open(dump_moons, "w") as f:
            f.write(f"# make_moons(n_samples=100, noise=0.1) after np.random.seed({seed}); "
                    f"numpy {np.__version__} sklearn {sklearn.__version__}\n")
            f.write("# index x0 x1 y   (repr of float64; y already mapped to -1/+1)\n")
            for k in range(X.shape[0]):
                f.write(f"{k} {float(X[k, 0])!r} {float(X[k, 1])!r} {int(y[k])}\n")

    # --- cell 5 ---
    model = MLP(2, [16, 16, 1])  # 2-layer neural network

    if dump_weights:
        params = model.parameters()
        with open(dump_weights, "w") as f:
            f.write(f"# MLP(2,[16,16,1]) initial parameters after random.seed({seed}); "
                    f"{len(params)} params in model.parameters() order\n")
            f.write("# order: layer L, neuron n: w[0..nin-1] then b (b=0)\n")
            f.write("# index layer neuron kind value(repr)\n")
            idx = 0
            for li, layer in enumerate(model.layers):
                for ni, neuron in enumerate(layer.neurons):
                    for wi, w in enumerate(neuron.w):
                        f.write(f"{idx} {li} {ni} w{wi} {w.data!r}\n"); idx += 1
                    f.write(f"{idx} {li} {ni} b {neuron.b.data!r}\n"); idx += 1

    # --- cell 6 ---
    def loss(batch_size=None):
        # inline DataLoader :)
        if batch_size is None:
            Xb, yb = X, y
        else:
            ri = np.random.permutation(X.shape[0])[:batch_size]
            Xb, yb = X[ri], y[ri]
        inputs = [list(map(Value, xrow)) for xrow in Xb]

        # forward the model to get scores
        scores = list(map(model, inputs))

        # svm "max-margin" loss
        losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        # L2 regularization
        alpha = 1e-4
        reg_loss = alpha * sum((p*p for p in model.parameters()))
        total_loss = data_loss + reg_loss

        # also get accuracy
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    # --- cell 7 ---
    for k in range(steps):
        # forward
        total_loss, acc = loss()

        # backward
        model.zero_grad()
        total_loss.backward()

        # update (sgd)
        learning_rate = 1.0 - 0.9*k/100
        for p in model.parameters():
            p.data -= learning_rate * p.grad

        if nb_format:
            print(f"step {k} loss {total_loss.data}, accuracy {acc*100}%")
        else:
            print(f"step {k} loss {float(total_loss.data)!r} accuracy {float(acc*100)!r}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
