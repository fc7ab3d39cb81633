// libFuzzer target: a safetensors file (8-byte header length, JSON header, buffer) through
// read_safetensors, what loading model.safetensors does. Any input must give tensors that tile the
// buffer, or an m3::Error naming the tensor; never an allocation the file cannot back.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "encoder/safetensors.h"
#include "tests/fuzz/fuzz_support.h"

std::vector<std::string> m3_fuzz_seeds() {
  m3::TensorMap t;
  t["a.weight"] = m3::raw_from_float({1, 2, 3, 4, 5, 6}, {2, 3}, m3::DType::F32);
  t["b"] = m3::raw_from_float({0.5f}, {1}, m3::DType::BF16);
  t["c"] = m3::raw_from_float({}, {0, 4}, m3::DType::F16);
  const std::string path = m3::fuzz::temp_dir() + "/seed.safetensors";
  m3::write_safetensors(path, t);
  std::vector<std::string> seeds{m3::fuzz::slurp(path)};
  // The tiny fixture model's header alone (its buffer is 270 KB: cut to the first 4 KiB).
  seeds.push_back(m3::fuzz::slurp(m3::fuzz::fixtures_dir() + "/tiny-m3/model.safetensors").substr(0, 4096));
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    m3::TensorMap t = m3::read_safetensors(m3::fuzz::fuzz_file("model.safetensors", data, size));
    for (const auto& [name, tensor] : t)
      if (tensor.dtype == m3::DType::F32 || tensor.dtype == m3::DType::F16 || tensor.dtype == m3::DType::BF16)
        (void)tensor.to_float();
  } catch (const m3::Error&) {
  }
  return 0;
}
