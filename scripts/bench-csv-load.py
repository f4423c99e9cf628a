#!/usr/bin/env python3
"""Loading a large CSV file: burnprop's reader beside numpy.loadtxt, timed in alternation.

Writes a numeric CSV file of ROWS rows and COLS columns (a header row, COLS - 1 standard-normal
features printed with 7 significant digits, then a 0/1 label; numpy seed 0), then, ROUNDS
times over and one after the other so that both see the same machine load:

  numpy    `np.loadtxt(path, delimiter=",", skiprows=1)` in a fresh Python process, timed
           around the call alone (interpreter start and import excluded);
  burnprop `burnprop bench --data-file path --target label --json`: its `load_seconds` (the
           reader alone: open, hash, parse, check, with the weights drawn) and its
           `peak_rss_mb` over the set-up and one timed epoch, for three ways of training the
           file preset's 9-16-1 network: minibatches of 1024 (autodiff), the full batch with
           the manual engine (its fused kernel keeps no activations), and the full batch with
           autodiff (which keeps the 1M x 16 activations and their gradients).

Prints the medians, the ratio burnprop / numpy, and the peak memory against the data's f32
size (ROWS x COLS x 4 bytes). Writes everything measured to --out as JSON.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

LOADTXT = """
import sys, time
import numpy as np
started = time.perf_counter()
a = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
print(time.perf_counter() - started, a.shape[0], a.shape[1])
"""


TRAININGS = {
    "minibatch 1024, autodiff": ["--batch-size", "1024"],
    "full batch, manual (fused)": ["--engine", "manual"],
    "full batch, autodiff": [],
}


def write_csv(path, rows, cols):
    import numpy as np

    rng = np.random.default_rng(0)
    features = rng.standard_normal((rows, cols - 1))
    label = (features[:, 0] + 0.5 * features[:, 1] > 0).astype(np.int64)
    header = ",".join([f"x{i + 1}" for i in range(cols - 1)] + ["label"])
    with open(path, "w", newline="") as f:
        f.write(header + "\n")
        chunk = 100_000
        for start in range(0, rows, chunk):
            block = features[start : start + chunk]
            labels = label[start : start + chunk]
            lines = [
                ",".join(f"{v:.7g}" for v in row) + f",{y}" for row, y in zip(block, labels)
            ]
            f.write("\n".join(lines) + "\n")


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed: {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--burnprop", default=os.path.join(ROOT, "target", "release", "burnprop"))
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=None, help="write the measurements here as JSON")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.csv")
        write_csv(path, args.rows, args.cols)
        size = os.path.getsize(path)
        numpy_s, burnprop_s, peaks = [], [], []
        for _ in range(args.rounds):
            seconds, rows, cols = run([args.python, "-c", LOADTXT, path]).split()
            if (int(rows), int(cols)) != (args.rows, args.cols):
                sys.exit(f"error: numpy read {rows} x {cols}")
            numpy_s.append(float(seconds))
            peak = {}
            for name, flags in TRAININGS.items():
                report = json.loads(
                    run(
                        [args.burnprop, "bench", "--data-file", path, "--target", "label",
                         "--warmup", "0", "--repeats", "1", "--steps", "5", "--json", *flags]
                    ).strip().splitlines()[-1]
                )
                if report["examples"] != args.rows:
                    sys.exit(f"error: burnprop read {report['examples']} rows")
                burnprop_s.append(report["load_seconds"])
                peak[name] = report["peak_rss_mb"]
            peaks.append(peak)
    f32_mb = args.rows * args.cols * 4 / 1e6
    result = {
        "machine": platform.processor() or platform.machine(),
        "rows": args.rows,
        "cols": args.cols,
        "file_mb": size / 1e6,
        "numpy_loadtxt_s": numpy_s,
        "burnprop_load_s": burnprop_s,
        "peak_rss_mb": peaks,
        "ratio": statistics.median(burnprop_s) / statistics.median(numpy_s),
        "f32_mb": f32_mb,
    }
    print(
        f"{args.rows} rows x {args.cols} columns ({size / 1e6:.0f} MB): "
        f"numpy.loadtxt median {statistics.median(numpy_s):.2f} s, "
        f"burnprop {statistics.median(burnprop_s):.2f} s ({result['ratio']:.2f} x numpy)"
    )
    for name in TRAININGS:
        mb = statistics.median(p[name] for p in peaks)
        print(f"peak RSS, {name}: {mb:.0f} MB = {mb / f32_mb:.2f} x the data's f32 size ({f32_mb:.0f} MB)")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
