// A main() for a fuzz target built without libFuzzer (gcc, the normal build): runs
// LLVMFuzzerTestOneInput over the target's synthesised seeds, then over every file named on the
// command line or found (recursively) in a named directory. ctest runs it over
// tests/fuzz/regressions/<target>/, so every input a fuzzer ever broke m3 with is replayed on every
// test run. A crash aborts the process (the test fails); the exit status is 0 otherwise.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

void run(const std::string& bytes) {
  // A copy the size of the input exactly, so an overread is as visible as under libFuzzer.
  std::vector<uint8_t> copy(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(copy.data(), copy.size());
}

}  // namespace

int main(int argc, char** argv) {
  LLVMFuzzerInitialize(&argc, &argv);
  size_t n = 0;
  for (const std::string& s : m3_fuzz_seeds()) {
    run(s);
    ++n;
  }
  std::printf("%zu seeds\n", n);
  namespace fs = std::filesystem;
  for (int i = 1; i < argc; ++i) {
    std::vector<fs::path> files;
    if (fs::is_directory(argv[i])) {
      for (const auto& e : fs::recursive_directory_iterator(argv[i]))
        if (e.is_regular_file()) files.push_back(e.path());
    } else if (fs::exists(argv[i])) {
      files.push_back(argv[i]);
    } else {
      std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 2;
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::printf("%s\n", f.c_str());
      std::fflush(stdout);
      run(m3::fuzz::slurp(f.string()));
      ++n;
    }
  }
  std::printf("%zu inputs, no crash\n", n);
  return 0;
}
