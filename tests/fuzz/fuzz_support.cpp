// fuzz_support.h's helpers, and LLVMFuzzerInitialize: with M3_FUZZ_WRITE_SEEDS=DIR in the environment
// a target writes its seeds there and exits (bench/fuzz.sh seeds libFuzzer's corpus this way).
#include "tests/fuzz/fuzz_support.h"

#include <ftw.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace m3::fuzz {
namespace {

int remove_entry(const char* path, const struct stat*, int, struct FTW*) { return ::remove(path); }

void remove_temp_dir() { nftw(temp_dir().c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

}  // namespace

const std::string& temp_dir() {
  static const std::string dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::string t = std::string(base && *base ? base : "/tmp") + "/m3fuzz_XXXXXX";
    if (!mkdtemp(t.data())) {
      std::perror("m3 fuzz: mkdtemp");
      std::abort();
    }
    return t;
  }();
  static const bool cleanup = (std::atexit(remove_temp_dir), true);
  (void)cleanup;
  return dir;
}

std::string fuzz_file(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = temp_dir() + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
    std::perror(("m3 fuzz: writing " + path).c_str());
    std::abort();  // the harness failing is not a finding: stop loudly
  }
  return path;
}

std::string fuzz_file(const std::string& name, const std::string& bytes) {
  return fuzz_file(name, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fixtures_dir() { return std::string(M3_SOURCE_DIR) + "/tests/fixtures"; }

}  // namespace m3::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("M3_FUZZ_WRITE_SEEDS");
  if (!dir || !*dir) return 0;
  const std::vector<std::string> seeds = m3_fuzz_seeds();
  for (size_t i = 0; i < seeds.size(); ++i) {
    const std::string path = std::string(dir) + "/seed-" + std::to_string(i);
    std::ofstream(path, std::ios::binary) << seeds[i];
  }
  std::printf("wrote %zu seeds to %s\n", seeds.size(), dir);
  std::exit(0);
}
