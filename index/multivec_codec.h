// Codecs of the multi-vector (ColBERT head) store. Each token vector is encoded on its own into a
// fixed number of bytes, so documents are contiguous runs of codes and merges copy bytes unchanged.
//
//   fp32      4·dim bytes                  lossless
//   fp16      2·dim                        IEEE half
//   int8      4 + dim                      per-vector scale max|x|/127, x ≈ scale·c
//   binary    4 + dim/8                    sign bits, per-vector scale mean|x|, x ≈ scale·(±1)
//   residual  2 + dim·bits/8               ColBERTv2: nearest k-means centroid (u16) + per-dimension
//                                          residual in 2^bits buckets (global quantile cut-offs and
//                                          bucket values), x ≈ centroid + bucket_value[code]
// Scores are computed against the decoded vectors, so MaxSim is exact for what is stored.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace m3 {

namespace amx {
struct Bf16Parts;
}

enum class MvCodec : uint32_t { Fp32 = 0, Fp16 = 1, Int8 = 2, Binary = 3, Residual = 4 };

MvCodec parse_mv_codec(const std::string& name);  // UsageError naming the value and the valid names
const char* to_string(MvCodec codec);
void check_mv_bits(MvCodec codec, int bits);      // residual: 1, 2 or 4; UsageError otherwise

// k-means centroids and residual buckets shared by every segment of a collection (trained once, on
// the first commit that has token vectors, like ColBERTv2's index-time codebook).
struct ResidualCodebook {
  int dim = 0, bits = 2;
  std::vector<float> centroids;       // K x dim
  std::vector<float> bucket_cutoffs;  // 2^bits - 1 ascending
  std::vector<float> bucket_values;   // 2^bits
  size_t num_centroids() const { return dim ? centroids.size() / dim : 0; }
  // The centroids as bf16 parts for the AMX MaxSim kernel (maxsim_amx.h); set by train() and
  // deserialize() on AMX CPUs (call prepare_for_amx() after changing centroids by hand).
  std::shared_ptr<const amx::Bf16Parts> centroid_parts;
  void prepare_for_amx();

  // Trains on n vectors (a sample of at most 32·K). K = a power of two near 16·sqrt(n), capped at
  // 1024 (k-means on 2 CPU cores) and by n; centroid ids are stored as u16.
  // `centroids_from`: reuse its centroids (same dim) and fit only the buckets for `bits`.
  static ResidualCodebook train(const float* x, size_t n, int dim, int bits, uint64_t seed = 1234,
                                const ResidualCodebook* centroids_from = nullptr);
  std::string serialize() const;
  static ResidualCodebook deserialize(const std::string& bytes, const std::string& what);  // Error if corrupt
};

class MvEncoder {
 public:
  MvEncoder(MvCodec codec, int dim, int bits, const ResidualCodebook* codebook);
  ~MvEncoder();
  size_t code_size() const { return code_size_; }
  MvCodec codec() const { return codec_; }
  // Encodes n vectors (n x dim) into out (n x code_size).
  void encode(const float* x, size_t n, uint8_t* out) const;
  // Decodes one code into dim floats.
  void decode(const uint8_t* code, float* out) const;

 private:
  MvCodec codec_;
  int dim_, bits_;
  size_t code_size_;
  const ResidualCodebook* cb_;
  struct Assigner;
  std::unique_ptr<Assigner> assigner_;  // residual: nearest-centroid search (FAISS flat index)
  friend class MultiVectorStore;
};

size_t mv_code_size(MvCodec codec, int dim, int bits);

}  // namespace m3
