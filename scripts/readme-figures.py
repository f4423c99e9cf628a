#!/usr/bin/env python3
"""Runs the README's full-size commands, too slow for the test suite, and checks the figures
the README quotes from them.

    scripts/readme-figures.py [--mnist DIR] [--burnprop PATH] [--skip-autodiff-circles]

tests/it/readme.rs runs every `console` block of README.md, on reduced settings where the full
run is slow. The figures of the full runs (notebook 000's 50000 iterations on both engines, the
MNIST presets on the full data set) come from here: each is computed from what burnprop
printed, formatted as the README writes it, and looked up in README.md. The script prints every
figure with what it was computed from and exits with 1 if the README lacks one (a figure that
changed), 2 if a command failed. Figures of f32 runs are bit-identical on one machine, not
across CPUs: rerun this on the machine whose figures the README quotes (it says which).

--mnist defaults to ../shared/data/mnist (the project's copy); --burnprop to
target/release/burnprop (build it first: cargo build --release). The autodiff engine's 50000
iterations take several minutes (--skip-autodiff-circles leaves them out).
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def sci(x):
    """x to two significant digits as the README writes it: 1.1e-5, not Python's 1.1e-05."""
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def run(burnprop, args, out):
    """Runs `burnprop ARGS --out OUT` on flex and returns its summary.json."""
    command = [str(burnprop), *args, "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True,
                          env={"BURN_DEVICE": "flex", "PATH": "/usr/bin:/bin"})
    if done.returncode not in (0, 1):
        sys.exit(f"error: {' '.join(command)} exited with {done.returncode}:\n{done.stderr}")
    return out


def summary(out):
    return json.loads((out / "summary.json").read_text())


def compare_figures(out):
    """The largest relative loss and parameter differences of a compare run (compare.json)."""
    report = json.loads((out / "compare.json").read_text())
    return report["worst_rel_delta_loss"][0], report["worst_rel_delta_param"][0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mnist", default=str(ROOT.parent / "shared" / "data" / "mnist"))
    parser.add_argument("--burnprop", default=str(ROOT / "target" / "release" / "burnprop"))
    parser.add_argument("--skip-autodiff-circles", action="store_true")
    options = parser.parse_args()
    burnprop = pathlib.Path(options.burnprop)
    readme = (ROOT / "README.md").read_text()
    figures = []  # (what, text as the README writes it)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        manual = summary(run(burnprop, ["train", "circles", "--engine", "manual"], tmp / "m"))
        figures.append(("train circles --engine manual: final loss", f"{manual['final_loss']:.6f}"))
        figures.append(("train circles --engine manual: accuracy", f"{manual['accuracy']:.5f}"))
        if not options.skip_autodiff_circles:
            auto = summary(run(burnprop, ["train", "circles"], tmp / "a"))
            figures.append(("train circles: final loss", f"{auto['final_loss']:.6f}"))
            apart = abs(auto["final_loss"] - manual["final_loss"]) / manual["final_loss"]
            figures.append(("train circles: relative difference to manual", sci(apart)))
        loss, param = compare_figures(run(burnprop, ["compare", "circles", "--steps", "1000"], tmp / "c"))
        figures.append(("compare circles --steps 1000: relative loss", sci(loss)))
        figures.append(("compare circles --steps 1000: parameters", sci(param)))
        loss, param = compare_figures(run(burnprop, ["compare", "circles", "--steps", "1000", "--kernel", "tensor"], tmp / "ct"))
        figures.append(("compare circles --steps 1000 --kernel tensor: relative loss", sci(loss)))
        figures.append(("compare circles --steps 1000 --kernel tensor: parameters", sci(param)))
        mnist = ["--data-dir", options.mnist]
        for seed in (0, 1, 2):
            done = summary(run(burnprop, ["train", "mnist", "--seed", str(seed), *mnist], tmp / f"s{seed}"))
            figures.append((f"train mnist --seed {seed}: test accuracy", f"{100 * done['test_accuracy']:.2f} %"))
        done = summary(run(burnprop, ["train", "mnist", "--engine", "manual", *mnist], tmp / "mm"))
        figures.append(("train mnist --engine manual: test accuracy", f"{100 * done['test_accuracy']:.2f} %"))
        loss, param = compare_figures(run(burnprop, ["compare", "mnist", "--steps", "1000", *mnist], tmp / "cm"))
        figures.append(("compare mnist --steps 1000: relative loss", sci(loss)))
        figures.append(("compare mnist --steps 1000: parameters", sci(param)))
    missing = 0
    for what, text in figures:
        found = text in readme
        missing += not found
        print(f"{'ok  ' if found else 'MISSING'}  {text:>12}  {what}")
    if missing:
        print(f"{missing} figure(s) not in README.md: update the README's text", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
