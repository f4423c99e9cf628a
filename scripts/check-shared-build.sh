#!/usr/bin/env bash
# Checks that `cargo build --release` and `cargo test --release` compile the same dependencies,
# so that the README's second command reuses what its first one built: every crate of the
# build without dev-dependencies must have the same features in the build with them (Cargo
# compiles a crate once per set of features, and every crate above it again).
#
#   scripts/check-shared-build.sh [cargo features options, e.g. --features wgpu]
#
# When it fails, name each crate it lists in Cargo.toml's [dependencies] with the features of
# its line in `cargo tree` (the test build's).
set -euo pipefail
cd "$(dirname "$0")/.."

tree() { cargo tree "$@" -f '{p} [{f}]' --prefix none | sort -u; }
release=$(tree -e no-dev "$@")
tests=$(tree "$@")
differ=$(comm -23 <(echo "$release") <(echo "$tests"))
if [[ -n "$differ" ]]; then
    echo "error: the test build compiles these crates with other features than the release build:" >&2
    echo "$differ" >&2
    exit 1
fi
echo "check-shared-build: the release and test builds share every dependency"
