#!/usr/bin/env bash
# Times burnprop beside ../shared/reference's numpy and PyTorch scripts, in alternation, and
# prints the ratios (see scripts/bench_vs_reference.py --help for the workloads).
#
#   scripts/bench-vs-reference.sh [--install] [-- options for bench_vs_reference.py]
#
# --install  creates .venv-bench (python3 -m venv) and pip-installs numpy, scikit-learn and
#            torch into it (about 1 GB with PyTorch's default wheels); without it, the python3
#            on PATH (or $PYTHON) must already have them.
# Builds burnprop in release first. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [[ "${1:-}" == "--install" ]]; then
    shift
    python3 -m venv .venv-bench
    .venv-bench/bin/pip install --quiet numpy scikit-learn torch
    python=.venv-bench/bin/python
fi
[[ "${1:-}" == "--" ]] && shift

needs="numpy, sklearn"
[[ " $* " == *" --no-torch "* ]] || needs="$needs, torch"
if ! "$python" -c "import $needs" 2>/dev/null; then
    echo "error: $python lacks one of $needs; rerun with --install, or set PYTHON" >&2
    exit 1
fi
cargo build --release --quiet
exec "$python" scripts/bench_vs_reference.py --python "$python" "$@"
