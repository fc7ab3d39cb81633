// A fixed share of the QA paragraphs kept out of training, so that fused-mode weights (and anything
// else picked after training) can be chosen on training-side data the model has not seen.
//
// Why: scripts/fit_fusion_weights.py picks a model's fusion weights on the QA files of
// ../shared/data/train (the dev sets stay for reporting). A model that trained long on those very
// files scores its dense and multi-vector heads far higher there than on unseen text (measured on the
// 2026-11-27 GPU run: dense 0.88 there vs 0.47 on dev), and the weights it picks are then wrong.
//
// The rule is a hash of the paragraph's text, so that a script in another language can apply it
// without sharing state: FNV-1a (64 bit) of the trimmed UTF-8 bytes; held out when hash % 100 < percent.
// FNV-1a rather than xxHash because it is a few lines in any language (the Python side re-implements it).
#pragma once

#include <cstdint>
#include <string_view>

namespace m3::trainer {

inline uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// `paragraph` as the readers keep it (trimmed of ASCII whitespace); percent in [0, 100].
inline bool qa_paragraph_held_out(std::string_view paragraph, int percent) {
  return percent > 0 && static_cast<int>(fnv1a64(paragraph) % 100) < percent;
}

}  // namespace m3::trainer
