#!/usr/bin/env python3
"""The playground's speed, measured: `burnprop serve` training a 2-8-8-1 tanh network on the
Playground's circle (500 points, half held out, batches of 10), side by side with `burnprop
bench` on the same configuration, and the server's memory with four runs open.

For each engine, in alternation, `--repeats` times:
- the server: a run is created, its frame stream opened, play pressed; after `--seconds`
  the steps taken and the frames received are counted (steps/s, frames/s at the stream);
- the page: Chromium (headless) opens the page on such a run, presses play, and reads
  `window.burnprop.framesDrawn` twice, `--seconds` apart (frames the page drew per second;
  each with the 100 x 100 decision grid and every unit's picture);
- `burnprop bench` with the run's own command line (the flags bench reads).
Medians are printed as a Markdown table, with the ratio of the server's steps/s to bench's.

Needs `websocket-client` (pip) to talk to Chromium, and `chromium` on PATH.

    python3 scripts/bench-serve.py --binary target/release/burnprop --seconds 10 --repeats 3
"""

import argparse
import json
import re
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request


def start_server(binary):
    server = subprocess.Popen(
        [binary, "serve", "--port", "0", "--no-open"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline().strip()
    url = line.split(": ", 1)[1]
    base, token = url.split("/?token=")
    return server, base, token


def call(base, token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path, data=data, method=method,
        headers={"X-Burnprop-Token": token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        text = response.read().decode()
    return json.loads(text) if text.startswith("{") else text


SETTINGS = {"data": "circle", "hidden": "8,8", "activations": "tanh", "batch_size": 10,
            "test_fraction": 0.5, "steps": 1000000}


def server_rate(base, token, engine, seconds):
    """Steps/s and frames/s of one run played for `seconds`, read from its stream."""
    run = call(base, token, "POST", "/api/runs", dict(SETTINGS, engine=engine))
    frames = []
    stop = threading.Event()

    def listen():
        request = urllib.request.Request(
            f"{base}/api/runs/{run['id']}/events", headers={"X-Burnprop-Token": token})
        with urllib.request.urlopen(request, timeout=seconds + 30) as stream:
            for raw in stream:
                line = raw.decode()
                if line.startswith("data:"):
                    frames.append((time.monotonic(), json.loads(line[5:])))
                if stop.is_set():
                    return

    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    time.sleep(0.5)
    call(base, token, "POST", f"/api/runs/{run['id']}/play")
    time.sleep(seconds)
    playing = [(t, f) for t, f in frames if f.get("state") == "playing"]
    stop.set()
    call(base, token, "DELETE", f"/api/runs/{run['id']}")
    (t0, f0), (t1, f1) = playing[1], playing[-1]
    return (f1["step"] - f0["step"]) / (t1 - t0), (len(playing) - 2) / (t1 - t0), run["command"]


def bench_rate(binary, command, engine):
    """burnprop bench's steps/s for the run's command line."""
    flags = command.split()[2:]
    drop = {"--schedule", "--epochs", "--max-steps", "--engine", "--lr-final"}
    kept = []
    skip = False
    for flag in flags:
        if skip:
            skip = False
            continue
        if flag in drop:
            skip = True
            continue
        kept.append(flag)
    out = subprocess.run([binary, "bench", *kept, "--engine", engine, "--repeats", "5"],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"([0-9.]+) steps/s", out).group(1))


def page_rate(base, token, engine, seconds):
    """Frames the page draws per second while the run plays, in headless Chromium."""
    import websocket

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
             "--remote-debugging-port=0", f"--user-data-dir={profile}",
             "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            for line in browser.stderr:
                if "DevTools listening on" in line:
                    ws_url = line.split("on ", 1)[1].strip()
                    break
            port = ws_url.split(":")[2].split("/")[0]
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
            page = next(t for t in targets if t["type"] == "page")
            ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
            ids = iter(range(1, 10**6))

            def evaluate(expression):
                n = next(ids)
                ws.send(json.dumps({"id": n, "method": "Runtime.evaluate",
                                    "params": {"expression": expression,
                                               "returnByValue": True}}))
                while True:
                    reply = json.loads(ws.recv())
                    if reply.get("id") == n:
                        return reply["result"]["result"].get("value")

            query = f"engine={engine}&hidden=8,8&activations=tanh&batch_size=10"
            evaluate(f"location.href = '{base}/?token={token}&{query}'")
            deadline = time.time() + 30
            while time.time() < deadline:
                time.sleep(0.5)
                if evaluate("!!(window.burnprop && window.burnprop.run)"):
                    break
            evaluate("document.getElementById('play').click()")
            time.sleep(1.0)
            n0, t0 = evaluate("window.burnprop.framesDrawn"), time.monotonic()
            time.sleep(seconds)
            n1, t1 = evaluate("window.burnprop.framesDrawn"), time.monotonic()
            evaluate("document.getElementById('pause').click()")
            ws.close()
            return (n1 - n0) / (t1 - t0)
        finally:
            browser.kill()
            browser.wait()


def rss_with_runs(base, token, server, runs):
    """The server's resident memory (MB) with `runs` runs open and playing."""
    ids = [call(base, token, "POST", "/api/runs", dict(SETTINGS, engine="manual"))["id"]
           for _ in range(runs)]
    for run in ids:
        call(base, token, "POST", f"/api/runs/{run}/play")
    time.sleep(3)
    with open(f"/proc/{server.pid}/status") as status:
        rss = int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1)) / 1024
    for run in ids:
        call(base, token, "DELETE", f"/api/runs/{run}")
    return rss


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default="target/release/burnprop")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-page", action="store_true", help="skip the browser")
    args = parser.parse_args()
    server, base, token = start_server(args.binary)
    try:
        rows = []
        for engine in ["manual", "autodiff"]:
            served, streamed, drawn, benched = [], [], [], []
            for _ in range(args.repeats):
                steps, frames, command = server_rate(base, token, engine, args.seconds)
                served.append(steps)
                streamed.append(frames)
                benched.append(bench_rate(args.binary, command, engine))
                if not args.no_page:
                    drawn.append(page_rate(base, token, engine, args.seconds))
            row = (engine, statistics.median(served), statistics.median(benched),
                   statistics.median(streamed),
                   statistics.median(drawn) if drawn else float("nan"))
            rows.append(row)
            print(f"{engine}: serve {served} bench {benched} stream fps {streamed} page fps {drawn}",
                  flush=True)
        rss = rss_with_runs(base, token, server, 4)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("\n| engine | serve steps/s | bench steps/s | serve / bench | frames/s streamed | frames/s drawn by the page |")
    print("|---|---|---|---|---|---|")
    for engine, steps, bench, frames, drawn in rows:
        print(f"| {engine} | {steps:.0f} | {bench:.0f} | {steps / bench:.2f} | {frames:.1f} | {drawn:.1f} |")
    print(f"\nresident memory with four runs open and playing: {rss:.0f} MB")


if __name__ == "__main__":
    main()
