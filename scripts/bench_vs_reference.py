#!/usr/bin/env python3
"""burnprop beside the numpy and PyTorch reference scripts, timed in alternation.

Runs each workload's implementations one after another, ROUNDS times over, so that every
tool sees the same machine load; keeps each run's median (seconds per circles iteration,
seconds per MNIST training epoch), takes the median over the rounds, and prints the ratios
burnprop / reference. Writes everything measured to --out as JSON.

Workloads (the issue's table):
  circles  notebook 000, N = 50000, 2-3-2, full batch, momentum: one iteration
           numpy float64 (the notebook's code), PyTorch float32 (torch.optim.SGD, 2 threads),
           burnprop autodiff and manual (fused kernel), float32
  mnist    784-128-10, batch 64, SGD momentum 0.9: one training epoch (evaluation excluded)
           numpy float32, PyTorch float32 (2 threads), burnprop autodiff and manual (wide
           kernel), float32

--no-torch leaves PyTorch out (where it is not installed).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def last_json(stdout):
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON line in the output")


def run(cmd, env=None):
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed: {done.stderr.strip().splitlines()[-1:]}")
    return last_json(done.stdout), time.perf_counter() - started


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--burnprop", default=os.path.join(ROOT, "target", "release", "burnprop"))
    ap.add_argument("--reference", default=os.path.join(ROOT, "..", "shared", "reference"))
    ap.add_argument("--mnist", default=os.path.join(ROOT, "..", "shared", "data", "mnist"))
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workloads", default="circles,mnist")
    ap.add_argument("--out", default=None, help="write the measurements here as JSON")
    ap.add_argument("--no-torch", action="store_true", help="leave the PyTorch scripts out")
    args = ap.parse_args()

    ref = lambda name: os.path.join(args.reference, name)  # noqa: E731
    bp = args.burnprop
    env = dict(os.environ, MNIST_DIR=args.mnist)
    # Each entry: (workload, implementation, command, how to read seconds per unit).
    per_iter = lambda j: j["sec_per_iter"]["median"]  # noqa: E731
    per_epoch = lambda j: j["sec_per_epoch"]["median"]  # noqa: E731
    burn = lambda j: j["seconds"]["median"]  # noqa: E731
    plans = {
        "circles": [
            ("numpy f64", [args.python, ref("seed000_circles_numpy.py"), "--iterations", "60",
                           "--warmup", "10", "--no-gradcheck"], per_iter),
            ("burnprop autodiff", [bp, "bench", "circles", "--steps", "200", "--repeats", "5",
                                   "--json"], burn),
            ("pytorch f32", [args.python, ref("seed000_circles_torch.py"), "--iterations", "600",
                             "--warmup", "100", "--dtype", "float32", "--opt", "sgd"], per_iter),
            ("burnprop manual", [bp, "bench", "circles", "--engine", "manual", "--steps", "1000",
                                 "--repeats", "5", "--json"], burn),
        ],
        "mnist": [
            ("numpy f32", [args.python, ref("mnist_mlp_numpy.py"), "--epochs", "3"], per_epoch),
            ("burnprop autodiff", [bp, "bench", "mnist", "--data-dir", args.mnist, "--repeats",
                                   "3", "--json"], burn),
            ("pytorch f32", [args.python, ref("mnist_mlp_torch.py"), "--epochs", "3"], per_epoch),
            ("burnprop manual", [bp, "bench", "mnist", "--engine", "manual", "--data-dir",
                                 args.mnist, "--repeats", "3", "--json"], burn),
        ],
    }
    if args.no_torch:
        plans = {w: [p for p in plan if not p[0].startswith("pytorch")] for w, plan in plans.items()}
    chosen = [w for w in args.workloads.split(",") if w]
    for w in chosen:
        if w not in plans:
            sys.exit(f"error: unknown workload {w!r}; choose from {', '.join(plans)}")

    samples = {w: {name: [] for name, _, _ in plans[w]} for w in chosen}
    extra = {w: {} for w in chosen}
    for r in range(args.rounds):
        for w in chosen:
            for name, cmd, seconds in plans[w]:
                out, _ = run(cmd, env)
                samples[w][name].append(seconds(out))
                if "peak_rss_mb" in out:
                    extra[w][name + " peak RSS MB"] = out["peak_rss_mb"]
                print(f"round {r + 1}/{args.rounds} {w:8} {name:18} {seconds(out):.6f} s",
                      file=sys.stderr, flush=True)

    results = {}
    for w in chosen:
        unit = "iteration" if w == "circles" else "epoch"
        medians = {name: statistics.median(v) for name, v in samples[w].items()}
        print(f"\n{w}: seconds per {unit}, median of {args.rounds} rounds (each a median)")
        for name, m in medians.items():
            spread = f"{min(samples[w][name]):.5f}–{max(samples[w][name]):.5f}"
            print(f"  {name:18} {m * (1e3 if unit == 'iteration' else 1):10.4f} "
                  f"{'ms' if unit == 'iteration' else 's'}   (rounds {spread} s)")
        refs = [n for n in medians if not n.startswith("burnprop")]
        for name in [n for n in medians if n.startswith("burnprop")]:
            for ref_name in refs:
                print(f"  ratio {name} / {ref_name}: {medians[name] / medians[ref_name]:.3f}")
        for k, v in extra[w].items():
            print(f"  {k}: {v:.0f}")
        results[w] = {"unit": unit, "samples": samples[w], "medians": medians, "extra": extra[w]}

    if args.out:
        meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": platform.machine(),
                "cpus": os.cpu_count(), "python": platform.python_version(), "rounds": args.rounds}
        with open(args.out, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
