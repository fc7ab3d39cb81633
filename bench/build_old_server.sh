#!/usr/bin/env bash
# Builds `m3` of commit 5245258 (the thread-per-connection server, before the asynchronous one) into
# build-old/m3, so bench/http_load.sh and bench/http_connections.sh can measure both in one run:
#   bench/build_old_server.sh && OLD_M3=build-old/m3 bench/http_load.sh "" 5
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -x build-old/m3 ] && { echo "build-old/m3 exists"; exit 0; }
src=$(mktemp -d /tmp/m3old.XXXXXX)
trap 'git worktree remove --force "$src" 2>/dev/null || rm -rf "$src"' EXIT
git worktree add -q --detach "$src" 5245258
ln -s "$root/third_party" "$src/third_party"
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$src/build" -j"$(nproc)" --target m3
mkdir -p build-old && cp "$src/build/m3" build-old/m3
echo "built build-old/m3"
