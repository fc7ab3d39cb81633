// Reader for torch.save zip archives (pytorch_model.bin, colbert_linear.pt, sparse_linear.pt;
// M3-SPEC §1.G). LibTorch's pickle_load cannot read a top-level OrderedDict, which every
// state_dict() file is, so this is a small ZIP reader (STORED entries, zip64) plus a restricted
// unpickler that accepts only the globals a state dict needs and rejects anything else.
#pragma once
#include <string>

#include "encoder/raw_tensor.h"

namespace m3 {

// Tensors of a state dict saved with torch.save (OrderedDict or dict of tensors).
TensorMap read_torch_zip(const std::string& path);

}  // namespace m3
