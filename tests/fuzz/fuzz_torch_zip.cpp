// libFuzzer target: a torch.save zip archive (STORED entries, zip64, a restricted pickle) through
// read_torch_zip, what loading pytorch_model.bin / colbert_linear.pt / sparse_linear.pt does. Any
// input must give tensors or an m3::Error; the unpickler must reject what a state dict never holds.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "encoder/torch_zip.h"
#include "tests/fuzz/fuzz_support.h"

std::vector<std::string> m3_fuzz_seeds() {
  const std::string dir = m3::fuzz::fixtures_dir() + "/tiny-m3/";
  return {m3::fuzz::slurp(dir + "colbert_linear.pt"), m3::fuzz::slurp(dir + "sparse_linear.pt")};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    m3::TensorMap t = m3::read_torch_zip(m3::fuzz::fuzz_file("weights.pt", data, size));
    for (const auto& [name, tensor] : t)
      if (tensor.dtype == m3::DType::F32 || tensor.dtype == m3::DType::F16 || tensor.dtype == m3::DType::BF16)
        (void)tensor.to_float();
  } catch (const m3::Error&) {
  }
  return 0;
}
