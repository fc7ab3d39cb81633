#!/usr/bin/env bash
# Installs what m3 needs on a fresh Debian 12 machine (as root). Idempotent: every step checks first.
#  1. Debian packages (LibTorch, FAISS source deps, RocksDB, Boost, headless Chromium + Selenium for
#     the search page's browser test, ...), plus OpenBLAS (TOOLCHAIN §4:
#     without it fp32 GEMM runs at 6 GFLOP/s).
#  2. SentencePiece 0.1.97 and FAISS 1.7.3 built from Debian's *source* packages as static libraries
#     (TOOLCHAIN §2 route A: Debian's libsentencepiece.so crashes next to LibTorch; §3.1: FAISS AVX2).
#     Sources are downloaded into third_party/ (git-ignored), never committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tp="$root/third_party"
pkgs=(build-essential cmake ccache pkg-config git libtorch-dev libopenblas0-openmp libopenblas-dev
      librocksdb-dev libboost-dev nlohmann-json3-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev
      libcli11-dev libspdlog-dev libfmt-dev libstreamvbyte-dev libxxhash-dev protobuf-compiler
      libprotobuf-dev libgloo-dev python3-torch python3-sentencepiece sentencepiece wrk dpkg-dev
      chromium chromium-driver python3-selenium  # the search page's browser test
      python3-distributed  # scripts/index_distributed.py: shard indexing as Dask tasks
      clang libclang-rt-14-dev)  # libFuzzer for bench/fuzz.sh and scripts/fuzz_ci.sh
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "[deps] installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# libopenblas-dev pulls in the pthread build of OpenBLAS too, and Debian's alternatives then prefer it.
# Its own thread pool (sched_yield spinning) fights libgomp, which torch and FAISS use: batched GEMMs
# in the server's query batcher collapse under load (TOOLCHAIN §4: use the -openmp variant). Pin it.
for lib in libopenblas.so.0 libblas.so.3 liblapack.so.3; do
  want=/usr/lib/x86_64-linux-gnu/openblas-openmp/$lib
  if [ -e "$want" ] && [ "$(readlink -f /usr/lib/x86_64-linux-gnu/$lib)" != "$(readlink -f "$want")" ]; then
    update-alternatives --set "$lib-x86_64-linux-gnu" "$want" >/dev/null
    echo "[deps] $lib -> OpenBLAS openmp build"
  fi
done

mkdir -p "$tp"
fetch_source() {  # $1 = source package; downloads into $tp via a private deb-src list (no system change)
  local pkg=$1
  ls "$tp"/"$pkg"_*.orig.tar.* >/dev/null 2>&1 && return 0
  local apt="$tp/apt"; mkdir -p "$apt/parts" "$apt/lists/partial"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$apt/parts/src.sources"
  else
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > "$apt/parts/src.list"
  fi
  local A=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt/parts" -o Dir::State::Lists="$apt/lists")
  apt-get "${A[@]}" update -qq
  (cd "$tp" && apt-get "${A[@]}" source --download-only "$pkg")
}

if [ ! -f "$tp/sentencepiece/build/src/libsentencepiece.a" ]; then
  fetch_source sentencepiece
  rm -rf "$tp/sentencepiece" && mkdir -p "$tp/sentencepiece"
  tar xf "$tp"/sentencepiece_*.orig.tar.* -C "$tp/sentencepiece" --strip-components=1
  cmake -S "$tp/sentencepiece" -B "$tp/sentencepiece/build" -DCMAKE_BUILD_TYPE=Release \
    -DSPM_USE_BUILTIN_PROTOBUF=OFF -DSPM_ENABLE_SHARED=OFF -DSPM_ENABLE_TCMALLOC=OFF \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON >/dev/null
  cmake --build "$tp/sentencepiece/build" -j"$(nproc)" --target sentencepiece-static sentencepiece_train-static >/dev/null
fi

if [ ! -f "$tp/faiss/build/faiss/libfaiss_avx2.a" ]; then
  fetch_source faiss
  rm -rf "$tp/faiss" && mkdir -p "$tp/faiss"
  tar xf "$tp"/faiss_*.orig.tar.* -C "$tp/faiss" --strip-components=1
  cmake -S "$tp/faiss" -B "$tp/faiss/build" -DCMAKE_BUILD_TYPE=Release -DFAISS_OPT_LEVEL=avx2 \
    -DFAISS_ENABLE_GPU=OFF -DFAISS_ENABLE_PYTHON=OFF -DBUILD_TESTING=OFF -DBUILD_SHARED_LIBS=OFF \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON >/dev/null
  cmake --build "$tp/faiss/build" -j"$(nproc)" --target faiss_avx2 >/dev/null
fi
echo "[deps] ok"
