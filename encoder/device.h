// Where the encoder (and the trainer) run: --device auto | cpu | cuda, torch-free so that every
// command's flags can name it. auto = CUDA when LibTorch was built with it and sees a GPU, else the CPU
// (resolve with torch_device() in m3_model.h). A CPU-only LibTorch (Debian's) has no CUDA: `cuda` is
// then a usage error saying so, never a silent fall-back.
#pragma once
#include <string>

#include "common/error.h"

namespace m3 {

enum class Device { Auto, Cpu, Cuda };

inline Device parse_device(const std::string& name) {
  if (name == "auto") return Device::Auto;
  if (name == "cpu") return Device::Cpu;
  if (name == "cuda") return Device::Cuda;
  throw UsageError("--device must be auto, cpu or cuda, got '" + name + "'");
}

}  // namespace m3
