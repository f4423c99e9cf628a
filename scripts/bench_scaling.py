#!/usr/bin/env python3
"""How burnprop's cost grows with the workload: `burnprop bench` over a sweep.

  circles  one iteration for N = 5000, 50000, 500000 examples, each engine and kernel
  mnist    one training epoch for batch sizes 16, 64, 256 (hidden 128) and hidden widths
           128, 512, 2048 (batch 64), autodiff engine

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
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    rows = []
    for n in [5000, 50000, 500000]:
        steps = str(max(10, 2_000_000 // n))
        for engine, kernel in CIRCLES:
            m = bench(args.burnprop, ["circles", "--samples", str(n), "--engine", engine,
                                      "--kernel", kernel if engine == "manual" else "auto",
                                      "--steps", steps, "--repeats", "5"])
            rows.append({"workload": "circles", "engine": engine, "kernel": kernel, "examples": n,
                         "batch": n, "hidden": 3, "unit": "iteration",
                         "seconds": m["seconds"]["median"], "min": m["seconds"]["min"],
                         "max": m["seconds"]["max"], "peak_rss_mb": m["peak_rss_mb"]})
            print(f"circles N={n:>6} {engine}/{kernel}: {m['seconds']['median'] * 1e3:.3f} ms", file=sys.stderr)
    for batch, hidden in [(16, 128), (64, 128), (256, 128), (64, 512), (64, 2048)]:
        m = bench(args.burnprop, ["mnist", "--data-dir", args.mnist, "--batch-size", str(batch),
                                  "--hidden", str(hidden), "--repeats", "3"])
        rows.append({"workload": "mnist", "engine": "autodiff", "kernel": "tensor",
                     "examples": m["examples"], "batch": batch, "hidden": hidden, "unit": "epoch",
                     "seconds": m["seconds"]["median"], "min": m["seconds"]["min"],
                     "max": m["seconds"]["max"], "peak_rss_mb": m["peak_rss_mb"]})
        print(f"mnist batch={batch} hidden={hidden}: {m['seconds']['median']:.3f} s", file=sys.stderr)

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
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(13, 4))
    for engine, kernel in CIRCLES:
        pts = [r for r in rows if r["workload"] == "circles" and (r["engine"], r["kernel"]) == (engine, kernel)]
        left.loglog([r["examples"] for r in pts], [r["seconds"] * 1e3 for r in pts], "o-",
                    label=f"{engine} ({kernel})")
    left.set(title="circles: one iteration", xlabel="examples N", ylabel="ms per iteration")
    left.legend()
    for ax, key, fixed, label in [(middle, "batch", ("hidden", 128), "batch size"),
                                  (right, "hidden", ("batch", 64), "hidden width")]:
        pts = [r for r in rows if r["workload"] == "mnist" and r[fixed[0]] == fixed[1]]
        ax.semilogx([r[key] for r in pts], [r["seconds"] for r in pts], "o-", base=2)
        ax.set(title=f"MNIST epoch ({fixed[0]} {fixed[1]})", xlabel=label, ylabel="s per epoch")
        ax.set_ylim(bottom=0)
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(args.out, f"scaling.{ext}"), dpi=100)


if __name__ == "__main__":
    main()
