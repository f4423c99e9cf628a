#!/usr/bin/env python3
"""How burnprop's cost grows with the workload: `burnprop bench` over a sweep.

  circles  one iteration for N = 5000 … 5000000 examples, each engine and kernel
  mnist    one training epoch for hidden widths 128 … 4096 (batch 64), both engines (the
           manual one on its wide kernel), and batch sizes 16, 64, 256 (hidden 128), autodiff

Each plot has a floor line: circles, 4 ns per example (BENCHMARKS.md: reading the data,
the exponentials and the arithmetic, about 0.2 ms at N = 50000); MNIST, the step's dense
arithmetic at 2 cores × 90 Gflop/s, and the same with the first layer's products over the
19 % of pixels that are nonzero (the wide kernel skips the zeros).

Writes scaling.csv and scaling.json to --out, and scaling.png/.svg when matplotlib is
installed; prints a Markdown table. Uses the release binary (cargo build --release first).
"""
import argparse
import csv
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CIRCLES = [("autodiff", "tensor"), ("manual", "tensor"), ("manual", "fused")]
MNIST = ["autodiff", "manual"]
# Floors (see the docstring).
CIRCLES_FLOOR_S_PER_EXAMPLE = 4e-9
FLOPS = 2 * 90e9
MNIST_DENSITY = 0.19


def mnist_floor(hidden, batch=64, steps=938, density=1.0):
    """Seconds per epoch for a 784-hidden-10 step's products at FLOPS: the forward product
    and the weight gradient of each layer, and the second layer's input gradient."""
    first = 2 * 2 * batch * 784 * hidden * density
    second = 3 * 2 * batch * hidden * 10
    return steps * (first + second) / FLOPS


def bench(binary, args):
    done = subprocess.run([binary, "bench", *args, "--json"], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: burnprop bench {' '.join(args)} failed: {done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--burnprop", default=os.path.join(ROOT, "target", "release", "burnprop"))
    ap.add_argument("--mnist", default=os.path.join(ROOT, "..", "shared", "data", "mnist"))
    ap.add_argument("--out", default=os.path.join(ROOT, "benchmarks"))
    ap.add_argument("--workloads", default="circles,mnist",
                    help="measure these; the other workload's rows are kept from --out's scaling.json")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    workloads = set(args.workloads.split(","))

    rows = []
    kept = os.path.join(args.out, "scaling.json")
    if workloads != {"circles", "mnist"} and os.path.exists(kept):
        with open(kept) as f:
            rows = [r for r in json.load(f) if r["workload"] not in workloads]
    for n in [5000, 50000, 500000, 5000000] if "circles" in workloads else []:
        steps = str(max(10, 2_000_000 // n))
        for engine, kernel in CIRCLES:
            repeats = "3" if n >= 5000000 else "5"
            # --kernel is the manual engine's: burnprop refuses it under autodiff.
            kernel_flag = ["--kernel", kernel] if engine == "manual" else []
            m = bench(args.burnprop, ["circles", "--samples", str(n), "--engine", engine,
                                      *kernel_flag, "--steps", steps, "--repeats", repeats])
            rows.append({"workload": "circles", "engine": engine, "kernel": kernel, "examples": n,
                         "batch": n, "hidden": 3, "unit": "iteration",
                         "seconds": m["seconds"]["median"], "min": m["seconds"]["min"],
                         "max": m["seconds"]["max"], "peak_rss_mb": m["peak_rss_mb"]})
            print(f"circles N={n:>7} {engine}/{kernel}: {m['seconds']['median'] * 1e3:.3f} ms", file=sys.stderr)
    runs = [(64, hidden, engine) for hidden in [128, 512, 1024, 2048, 4096] for engine in MNIST]
    runs += [(batch, 128, "autodiff") for batch in [16, 256]]
    if "mnist" not in workloads:
        runs = []
    for batch, hidden, engine in runs:
        repeats = "1" if hidden >= 2048 else "3"
        m = bench(args.burnprop, ["mnist", "--data-dir", args.mnist, "--batch-size", str(batch),
                                  "--hidden", str(hidden), "--engine", engine, "--repeats", repeats])
        rows.append({"workload": "mnist", "engine": engine, "kernel": m["kernel"],
                     "examples": m["examples"], "batch": batch, "hidden": hidden, "unit": "epoch",
                     "seconds": m["seconds"]["median"], "min": m["seconds"]["min"],
                     "max": m["seconds"]["max"], "peak_rss_mb": m["peak_rss_mb"]})
        print(f"mnist batch={batch} hidden={hidden} {engine}: {m['seconds']['median']:.3f} s", file=sys.stderr)

    with open(os.path.join(args.out, "scaling.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with open(os.path.join(args.out, "scaling.json"), "w") as f:
        json.dump(rows, f, indent=1)

    print("| workload | engine (kernel) | examples | batch | hidden | median | min–max | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        scale, unit = (1e3, "ms/iteration") if r["unit"] == "iteration" else (1.0, "s/epoch")
        print(f"| {r['workload']} | {r['engine']} ({r['kernel']}) | {r['examples']} | {r['batch']} | "
              f"{r['hidden']} | {r['seconds'] * scale:.3f} {unit} | {r['min'] * scale:.3f}–"
              f"{r['max'] * scale:.3f} | {r['peak_rss_mb']:.0f} MB |")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot", file=sys.stderr)
        return
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(14, 4.2))
    sizes = sorted({r["examples"] for r in rows if r["workload"] == "circles"})
    for engine, kernel in CIRCLES:
        pts = [r for r in rows if r["workload"] == "circles" and (r["engine"], r["kernel"]) == (engine, kernel)]
        left.loglog([r["examples"] for r in pts], [r["seconds"] * 1e3 for r in pts], "o-",
                    label=f"{engine} ({kernel})")
    left.loglog(sizes, [n * CIRCLES_FLOOR_S_PER_EXAMPLE * 1e3 for n in sizes], "k--", label="floor")
    left.set(title="circles: one iteration", xlabel="examples N", ylabel="ms per iteration")
    left.legend(fontsize=8)
    widths = sorted({r["hidden"] for r in rows if r["workload"] == "mnist" and r["batch"] == 64})
    for engine in MNIST:
        pts = [r for r in rows if r["workload"] == "mnist" and r["batch"] == 64 and r["engine"] == engine]
        middle.loglog([r["hidden"] for r in pts], [r["seconds"] for r in pts], "o-", base=2,
                      label=f"{engine} ({pts[0]['kernel'] if pts else ''})")
    middle.loglog(widths, [mnist_floor(h) for h in widths], "k--", base=2, label="floor, dense")
    middle.loglog(widths, [mnist_floor(h, density=MNIST_DENSITY) for h in widths], "k:", base=2,
                  label="floor, nonzero pixels only")
    middle.set(title="MNIST epoch (batch 64)", xlabel="hidden width", ylabel="s per epoch")
    middle.legend(fontsize=8)
    pts = [r for r in rows if r["workload"] == "mnist" and r["hidden"] == 128 and r["engine"] == "autodiff"]
    pts.sort(key=lambda r: r["batch"])
    right.semilogx([r["batch"] for r in pts], [r["seconds"] for r in pts], "o-", base=2, label="autodiff")
    right.semilogx([r["batch"] for r in pts], [mnist_floor(128, r["batch"], r["examples"] // r["batch"]) for r in pts],
                   "k--", base=2, label="floor, dense")
    right.set(title="MNIST epoch (hidden 128)", xlabel="batch size", ylabel="s per epoch")
    right.set_ylim(bottom=0)
    right.legend(fontsize=8)
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(args.out, f"scaling.{ext}"), dpi=100)


if __name__ == "__main__":
    main()
