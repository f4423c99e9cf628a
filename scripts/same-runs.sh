#!/usr/bin/env bash
# Checks that two burnprop binaries train alike: every preset on the manual engine's kernels
# (and f64, Nesterov, weight decay, --standardize, --max-steps), run by both, must write the
# same history.csv and epochs.csv (wall-clock column left out), config.json, summary.json
# (timings and run ids left out) and model.bpk weights (the parameter ids in its header are random).
# For a refactoring that must not change behaviour: build the old commit in a worktree, then
#
#   scripts/same-runs.sh OLD/target/release/burnprop target/release/burnprop [MNIST_DIR]
#
# MNIST_DIR defaults to ../shared/data/mnist. Exits 1 at the first difference it reports.
set -uo pipefail
old=$1; new=$2; mnist=${3:-$(dirname "$0")/../../shared/data/mnist}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

runs() {
    local bin=$1 out=$2
    run() {
        local name=$1; shift
        "$bin" train "$@" --out "$out/$name" > "$out/$name.stdout" 2>&1 || echo "$name: exit $?" >&2
    }
    run circles-fused circles --engine manual --kernel fused --epochs 3000
    run circles-f64 circles --engine manual --kernel fused --dtype f64 --epochs 2000
    run circles-wide circles --engine manual --kernel wide --epochs 500
    run circles-tensor circles --engine manual --kernel tensor --epochs 300
    run circles-autodiff circles --epochs 300
    run xor xor --engine manual
    run logreg logreg --engine manual
    run three-layer three-layer --engine manual
    run three-wide three-layer --engine manual --kernel wide
    run micrograd micrograd --engine manual
    run micrograd-wide micrograd --engine manual --kernel wide
    run mnist mnist --engine manual --data-dir "$mnist" --epochs 2
    run mnist-fused mnist --engine manual --kernel fused --data-dir "$mnist" --max-steps 300
    run mnist-std mnist --engine manual --data-dir "$mnist" --max-steps 400 --standardize
    run mnist-nesterov mnist --engine manual --data-dir "$mnist" --max-steps 400 --nesterov --weight-decay 1e-4
    run mnist-f64 mnist --engine manual --dtype f64 --data-dir "$mnist" --max-steps 200
    run mnist-binary mnist-binary --engine manual --data-dir "$mnist" --epochs 1
}

mkdir -p "$work/old" "$work/new"
runs "$old" "$work/old"
runs "$new" "$work/new"

# A CSV file without its wall-clock column, if it has one; config.json without its run id.
without_wall() {
    local col
    col=$(head -1 "$1" | tr ',' '\n' | grep -n '^wall' | cut -d: -f1)
    if [[ -n "$col" ]]; then cut -d, -f"$col" --complement "$1"; else grep -v '"run_id"' "$1"; fi
}
# model.bpk past its header: NRUB, two bytes, a u32 header length, the header, the tensors.
weights() {
    python3 -c 'import struct,sys; b=open(sys.argv[1],"rb").read(); n=struct.unpack("<I",b[6:10])[0]; sys.stdout.buffer.write(b[10+n:])' "$1"
}

differ=0
for dir in "$work"/old/*/; do
    name=$(basename "$dir")
    for file in history.csv epochs.csv config.json; do
        [[ -f "$dir/$file" ]] || continue
        if ! cmp -s <(without_wall "$dir/$file") <(without_wall "$work/new/$name/$file"); then
            echo "differ: $name/$file"; differ=1
        fi
    done
    if ! cmp -s <(grep -vE 'wall_seconds|steps_per_second|"run_id"' "$dir/summary.json") \
        <(grep -vE 'wall_seconds|steps_per_second|"run_id"' "$work/new/$name/summary.json"); then
        echo "differ: $name/summary.json"; differ=1
    fi
    if ! cmp -s <(weights "$dir/model.bpk") <(weights "$work/new/$name/model.bpk"); then
        echo "differ: $name/model.bpk"; differ=1
    fi
done
if [[ $differ == 0 ]]; then
    echo "same-runs: $(ls -d "$work"/old/*/ | wc -l) runs, the same histories, configs, summaries and weights"
fi
exit $differ
