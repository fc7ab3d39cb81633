#include "encoder/checkpoint.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "encoder/safetensors.h"
#include "encoder/torch_zip.h"

namespace m3 {

namespace {
bool exists(const std::string& p) { struct stat st; return ::stat(p.c_str(), &st) == 0; }

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

std::string replace_suffix(const std::string& s, const std::string& from, const std::string& to) {
  if (s.size() >= from.size() && s.compare(s.size() - from.size(), from.size(), from) == 0)
    return s.substr(0, s.size() - from.size()) + to;
  return s;
}

// FNV-1a over bytes: a stable fingerprint so a collection can check it is opened with the model it was
// built with. Not cryptographic; it only has to change when the weights change.
struct Fnv { uint64_t h = 1469598103934665603ull; void add(const char* p, size_t n) { for (size_t i = 0; i < n; ++i) { h ^= static_cast<unsigned char>(p[i]); h *= 1099511628211ull; } } };

void check_tensors(const std::vector<ExpectedTensor>& want, const TensorMap& have, const std::string& where,
                   std::vector<std::string>& problems) {
  for (const auto& e : want) {
    auto it = have.find(e.name);
    RawTensor probe;
    probe.shape = e.shape;
    if (it == have.end()) {
      problems.push_back(where + ": missing tensor '" + e.name + "' " + probe.shape_string());
    } else if (it->second.shape != e.shape) {
      problems.push_back(where + ": tensor '" + e.name + "' has shape " + it->second.shape_string() + ", expected " +
                         probe.shape_string());
    } else if (it->second.dtype != DType::F32 && it->second.dtype != DType::F16 && it->second.dtype != DType::BF16 &&
               it->second.dtype != DType::F64) {
      problems.push_back(where + ": tensor '" + e.name + "' has non-float dtype " + dtype_name(it->second.dtype));
    }
  }
}

TensorMap read_tensors(const std::string& path) {
  if (path.size() > 12 && path.substr(path.size() - 12) == ".safetensors") return read_safetensors(path);
  return read_torch_zip(path);
}

// Head file: "<stem>.safetensors" or "<stem>.pt", a Linear state dict {weight, bias}.
void load_head(const std::string& dir, const std::string& stem, const std::string& prefix, TensorMap& heads) {
  std::string path = dir + "/" + stem + ".safetensors";
  if (!exists(path)) path = dir + "/" + stem + ".pt";
  if (!exists(path))
    throw Error(dir + ": missing head file " + stem + ".pt (or .safetensors); m3 refuses to serve randomly initialised heads");
  for (auto& [k, v] : read_tensors(path)) heads[prefix + "." + k] = std::move(v);
}
}  // namespace

std::string normalise_tensor_name(const std::string& key) {
  std::string k = key;
  if (starts_with(k, "roberta.")) k = k.substr(8);
  if (starts_with(k, "lm_head.") || starts_with(k, "pooler.") || k == "embeddings.position_ids") return "";
  k = replace_suffix(k, "LayerNorm.gamma", "LayerNorm.weight");
  k = replace_suffix(k, "LayerNorm.beta", "LayerNorm.bias");
  return k;
}

std::vector<ExpectedTensor> expected_encoder_tensors(const ModelConfig& c) {
  const int64_t h = c.hidden_size, f = c.intermediate_size;
  std::vector<ExpectedTensor> v = {
      {"embeddings.word_embeddings.weight", {c.vocab_size, h}},
      {"embeddings.position_embeddings.weight", {c.max_position_embeddings, h}},
      {"embeddings.token_type_embeddings.weight", {c.type_vocab_size, h}},
      {"embeddings.LayerNorm.weight", {h}},
      {"embeddings.LayerNorm.bias", {h}},
  };
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    for (const char* m : {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
      v.push_back({p + m + ".weight", {h, h}});
      v.push_back({p + m + ".bias", {h}});
    }
    v.push_back({p + "attention.output.LayerNorm.weight", {h}});
    v.push_back({p + "attention.output.LayerNorm.bias", {h}});
    v.push_back({p + "intermediate.dense.weight", {f, h}});
    v.push_back({p + "intermediate.dense.bias", {f}});
    v.push_back({p + "output.dense.weight", {h, f}});
    v.push_back({p + "output.dense.bias", {h}});
    v.push_back({p + "output.LayerNorm.weight", {h}});
    v.push_back({p + "output.LayerNorm.bias", {h}});
  }
  return v;
}

std::vector<ExpectedTensor> expected_head_tensors(const ModelConfig& c) {
  const int64_t h = c.hidden_size, d = c.multivec_dim();
  return {{"colbert.weight", {d, h}}, {"colbert.bias", {d}}, {"sparse.weight", {1, h}}, {"sparse.bias", {1}}};
}

Checkpoint load_checkpoint(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) throw Error(dir + ": model directory does not exist");
  Checkpoint ck;
  ck.dir = dir;
  const std::string cfg = dir + "/config.json";
  if (!exists(cfg)) throw Error(dir + ": missing config.json");
  ck.config = ModelConfig::from_file(cfg);

  std::string weights = dir + "/model.safetensors";
  if (!exists(weights)) weights = dir + "/pytorch_model.bin";
  if (!exists(weights)) throw Error(dir + ": missing encoder weights (model.safetensors or pytorch_model.bin)");
  for (auto& [k, v] : read_tensors(weights)) {
    std::string name = normalise_tensor_name(k);
    if (!name.empty()) ck.encoder[name] = std::move(v);
  }
  load_head(dir, "colbert_linear", "colbert", ck.heads);
  load_head(dir, "sparse_linear", "sparse", ck.heads);

  std::vector<std::string> problems;
  check_tensors(expected_encoder_tensors(ck.config), ck.encoder, weights, problems);
  check_tensors(expected_head_tensors(ck.config), ck.heads, dir + " (heads)", problems);
  if (!problems.empty()) {
    std::string msg = dir + ": checkpoint does not match config.json (" + std::to_string(problems.size()) + " problems)";
    for (size_t i = 0; i < problems.size() && i < 20; ++i) msg += "\n  " + problems[i];
    if (problems.size() > 20) msg += "\n  ...";
    throw Error(msg);
  }
  ck.tokenizer_path = dir + "/sentencepiece.bpe.model";
  if (!exists(ck.tokenizer_path)) throw Error(dir + ": missing sentencepiece.bpe.model");

  Fnv fnv;
  std::ifstream cf(cfg);
  std::stringstream ss;
  ss << cf.rdbuf();
  const std::string cfg_text = ss.str();
  fnv.add(cfg_text.data(), cfg_text.size());
  for (const auto* m : {&ck.encoder, &ck.heads})
    for (const auto& [k, v] : *m) {
      fnv.add(k.data(), k.size());
      // Small tensors whole; large ones sampled (4 KiB every 256 KiB) so a 2.2 GB checkpoint hashes fast.
      if (v.data.size() <= (1u << 20)) { fnv.add(v.data.data(), v.data.size()); continue; }
      for (size_t off = 0; off < v.data.size(); off += 256 * 1024) fnv.add(v.data.data() + off, std::min<size_t>(4096, v.data.size() - off));
    }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv.h));
  ck.fingerprint = hex;
  return ck;
}

void save_checkpoint_tensors(const std::string& dir, const ModelConfig& config, const TensorMap& encoder,
                             const TensorMap& heads) {
  ::mkdir(dir.c_str(), 0755);
  config.save(dir + "/config.json");
  write_safetensors(dir + "/model.safetensors", encoder);
  TensorMap colbert, sparse;
  for (const auto& [k, v] : heads) {
    if (starts_with(k, "colbert.")) colbert[k.substr(8)] = v;
    else if (starts_with(k, "sparse.")) sparse[k.substr(7)] = v;
  }
  write_safetensors(dir + "/colbert_linear.safetensors", colbert);
  write_safetensors(dir + "/sparse_linear.safetensors", sparse);
}

}  // namespace m3
