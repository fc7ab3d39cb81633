// What every fuzz target shares (README.md, "Fuzzing", tells the whole story):
//   - m3_fuzz_seeds(): each target's valid starting inputs, synthesised from m3's own writers or the
//     test fixtures, so the fuzzer starts from the format's real shape and nothing large is committed;
//   - fuzz_file(): the input written to a file, for readers that take a path (one private directory
//     per process, removed at exit).
// The same target source builds as a libFuzzer binary (clang, -DM3_FUZZ=ON) and as a plain replay
// program (standalone_main.cpp, any compiler) that ctest runs over the seeds and regression inputs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// Defined once per target.
std::vector<std::string> m3_fuzz_seeds();

namespace m3::fuzz {

// Writes `size` bytes to <per-process temp dir>/<name> and returns that path.
std::string fuzz_file(const std::string& name, const uint8_t* data, size_t size);
std::string fuzz_file(const std::string& name, const std::string& bytes);
const std::string& temp_dir();
// The whole content of a file (fixtures, files a writer just made); empty if it cannot be read.
std::string slurp(const std::string& path);
// The read buffer the corpus targets give CorpusReader: small, so lines cross buffer edges often and an
// execution is not dominated by allocating (and poisoning) the default megabyte.
constexpr size_t kFuzzBufferBytes = 4096;
// Where tests/fixtures is (M3_SOURCE_DIR, set by the build).
std::string fixtures_dir();

}  // namespace m3::fuzz
