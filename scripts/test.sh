#!/usr/bin/env bash
# Installs what is missing, builds everything and runs all tests (GoogleTest via ctest). Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh
scripts/build.sh
cd build
ctest --output-on-failure --timeout 900 "$@"
