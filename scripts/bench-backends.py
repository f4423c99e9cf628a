#!/usr/bin/env python3
"""Times the circles iteration and the MNIST epoch on every backend a burnprop binary has, with
both engines (and the manual engine's kernels where they apply), in alternating rounds, and
writes every sample and the medians as JSON; prints a Markdown table for BENCHMARKS.md.

    cargo build --release --features wgpu,ndarray
    scripts/install-vulkan.sh          # where no GPU driver is: lavapipe, the CPU as a device
    scripts/bench-backends.py --bin target/release/burnprop --data-dir ../shared/data/mnist \\
        --rounds 2 --out benchmarks/backends.json
"""
import argparse
import json
import statistics
import subprocess
import sys

# (workload, device, engine, kernel): the manual engine's fused kernel runs on the host only.
def cases(devices):
    out = []
    for device in devices:
        host = device in ("flex", "ndarray")
        out.append(("circles", device, "autodiff", None))
        if host:
            out.append(("circles", device, "manual", "fused"))
        out.append(("circles", device, "manual", "tensor"))
        out.append(("mnist", device, "autodiff", None))
        out.append(("mnist", device, "manual", "tensor"))
    return out


def run(binary, data_dir, workload, device, engine, kernel, args):
    cmd = [binary, "bench", workload, "--device", device, "--engine", engine, "--json"]
    if kernel:
        cmd += ["--kernel", kernel]
    if workload == "circles":
        cmd += ["--steps", str(args.circles_steps), "--repeats", str(args.repeats), "--warmup", "10"]
    else:
        cmd += ["--data-dir", data_dir, "--repeats", str(args.mnist_repeats), "--warmup", "1"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", default="target/release/burnprop")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--devices", default="flex,ndarray,wgpu")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--mnist-repeats", type=int, default=3)
    p.add_argument("--circles-steps", type=int, default=50)
    p.add_argument("--out", default="benchmarks/backends.json")
    args = p.parse_args()

    todo = cases(args.devices.split(","))
    samples = {case: [] for case in todo}
    for r in range(args.rounds):
        for case in todo:
            m = run(args.bin, args.data_dir, *case, args)
            samples[case].append(m)
            print(f"round {r + 1}: {case}: median {m['seconds']['median']:.4f} s", file=sys.stderr)

    rows = []
    for (workload, device, engine, kernel), ms in samples.items():
        medians = [m["seconds"]["median"] for m in ms]
        rows.append({
            "workload": workload, "device": device, "engine": engine,
            "kernel": ms[0]["kernel"], "adapter": ms[0].get("adapter"),
            "unit": ms[0]["unit"], "median_s": statistics.median(medians),
            "round_medians_s": medians, "samples": ms,
        })
    with open(args.out, "w") as f:
        json.dump(rows, f, indent=1)
        f.write("\n")

    print("| workload | device | engine (kernel) | median | range over the rounds |")
    print("|---|---|---|---|---|")
    for row in rows:
        scale, unit = (1e3, "ms") if row["workload"] == "circles" else (1.0, "s")
        lo, hi = min(row["round_medians_s"]), max(row["round_medians_s"])
        device = row["device"] + (f" ({row['adapter']})" if row["adapter"] else "")
        print(f"| {row['workload']} | {device} | {row['engine']} ({row['kernel']}) | "
              f"{row['median_s'] * scale:.3g} {unit} | {lo * scale:.3g}–{hi * scale:.3g} {unit} |")


if __name__ == "__main__":
    main()
