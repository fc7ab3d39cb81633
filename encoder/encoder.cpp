#include "encoder/encoder.h"

#include <ATen/Parallel.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <numeric>
#include <thread>

#include "common/error.h"
#include "encoder/checkpoint.h"
#include "encoder/m3_model.h"

#ifndef M3_SOURCE_TREE
#define M3_SOURCE_TREE ""
#endif

namespace m3 {

Precision parse_precision(const std::string& name) {
  if (name == "auto") return Precision::Auto;
  if (name == "fp32") return Precision::FP32;
  if (name == "bf16") return Precision::BF16;
  throw UsageError("unknown precision '" + name + "' (expected auto, fp32 or bf16)");
}

struct Encoder::Impl {
  std::string dir;
  std::string fingerprint;
  FusionWeights fusion;
  ModelConfig config;
  EncoderOptions options;
  std::unique_ptr<Tokenizer> tokenizer;
  mutable M3Model model{nullptr};  // forward() is non-const in LibTorch; inference does not mutate it
  torch::Device device{torch::kCPU};
  bool bf16 = false;
  int max_length = 0;

  std::vector<Embedding> run_batch(const std::vector<const std::vector<int32_t>*>& batch) const;
};

Encoder::Encoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Encoder::~Encoder() = default;

std::unique_ptr<Encoder> Encoder::load(const std::string& model_dir, EncoderOptions options) {
  auto impl = std::make_unique<Impl>();
  Checkpoint ck = load_checkpoint(model_dir);
  impl->dir = model_dir;
  impl->fingerprint = ck.fingerprint;
  impl->fusion = read_fusion_weights(model_dir);
  impl->config = ck.config;
  impl->tokenizer = Tokenizer::load(ck.tokenizer_path);
  if (impl->tokenizer->vocab_size() > ck.config.vocab_size)
    throw Error(model_dir + ": tokenizer has " + std::to_string(impl->tokenizer->vocab_size()) +
                " ids but the model only " + std::to_string(ck.config.vocab_size) + " embedding rows");
  if (options.batch_size < 1) throw UsageError("batch size must be at least 1");
  if (options.max_length < 2) throw UsageError("max length must be at least 2");
  if (options.mcls && options.mcls_interval < 1) throw UsageError("MCLS interval must be at least 1");
  impl->options = options;
  impl->max_length = std::min(options.max_length, ck.config.max_tokens());
  const int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);  // LibTorch starts with one thread on these VMs (TOOLCHAIN §0.3)
  impl->device = torch_device(options.device);
  impl->bf16 = options.precision == Precision::BF16 || (options.precision == Precision::Auto && impl->device.is_cuda());
  impl->model = load_m3_model(ck);
  impl->model->to(impl->device);
  if (impl->bf16) impl->model->to(torch::kBFloat16);
  impl->model->prepare_inference();
  return std::unique_ptr<Encoder>(new Encoder(std::move(impl)));
}

const Tokenizer& Encoder::tokenizer() const { return *impl_->tokenizer; }
const ModelConfig& Encoder::config() const { return impl_->config; }
const EncoderOptions& Encoder::options() const { return impl_->options; }
const std::string& Encoder::model_dir() const { return impl_->dir; }
const std::string& Encoder::fingerprint() const { return impl_->fingerprint; }
const FusionWeights& Encoder::fusion_weights() const { return impl_->fusion; }
int Encoder::max_length() const { return impl_->max_length; }
std::string Encoder::device_name() const { return impl_->device.str(); }
bool Encoder::bf16() const { return impl_->bf16; }

std::vector<int32_t> Encoder::tokenize(const std::string& text, int max_length) const {
  max_length = std::min(max_length, impl_->max_length);
  if (!impl_->options.mcls) return impl_->tokenizer->encode(text, max_length);
  // MCLS: <s> c1..c256 <s> c257..c512 ... </s>; inserted <s> count against the length budget.
  auto pieces = impl_->tokenizer->pieces(text);
  const int64_t every = impl_->options.mcls_interval;
  int64_t k = static_cast<int64_t>(pieces.size());
  auto total = [&](int64_t n) { return n + std::max<int64_t>(1, (n + every - 1) / every) + 1; };
  while (k > 0 && total(k) > max_length) --k;
  std::vector<int32_t> ids;
  ids.reserve(static_cast<size_t>(total(k)));
  for (int64_t i = 0; i < k; ++i) {
    if (i % every == 0) ids.push_back(Tokenizer::kBos);
    ids.push_back(pieces[static_cast<size_t>(i)]);
  }
  if (k == 0) ids.push_back(Tokenizer::kBos);
  ids.push_back(Tokenizer::kEos);
  return ids;
}

std::vector<Embedding> Encoder::encode(const std::vector<std::string>& texts) const {
  return encode(texts, impl_->max_length);
}

std::vector<Embedding> Encoder::encode(const std::vector<std::string>& texts, int max_length) const {
  if (max_length < 2) throw UsageError("max length must be at least 2, got " + std::to_string(max_length));
  std::vector<std::vector<int32_t>> ids;
  ids.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    try {
      ids.push_back(tokenize(texts[i], max_length));
    } catch (const Error& e) {
      throw Error("input " + std::to_string(i + 1) + ": " + e.what());
    }
  }
  return encode_ids(ids);
}

std::vector<Embedding> Encoder::encode_ids(const std::vector<std::vector<int32_t>>& ids) const {
  const auto& opt = impl_->options;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].size() < 2) throw Error("input " + std::to_string(i + 1) + ": fewer than 2 token ids");
    if (static_cast<int>(ids[i].size()) > impl_->config.max_tokens())
      throw Error("input " + std::to_string(i + 1) + ": " + std::to_string(ids[i].size()) + " tokens exceed the model's " +
                  std::to_string(impl_->config.max_tokens()));
    for (int32_t id : ids[i])
      if (id < 0 || id >= impl_->config.vocab_size)
        throw Error("input " + std::to_string(i + 1) + ": token id " + std::to_string(id) + " outside the vocabulary");
  }
  // Longest first: the first batch is the biggest, so memory peaks early and predictably.
  std::vector<size_t> order(ids.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a].size() > ids[b].size(); });
  std::vector<Embedding> out(ids.size());
  size_t start = 0;
  while (start < order.size()) {
    const size_t longest = ids[order[start]].size();
    size_t end = start + 1;
    while (end < order.size() && static_cast<int>(end - start) < opt.batch_size &&
           (end - start + 1) * longest <= static_cast<size_t>(std::max(opt.max_batch_tokens, static_cast<int>(longest))))
      ++end;
    std::vector<const std::vector<int32_t>*> batch;
    for (size_t i = start; i < end; ++i) batch.push_back(&ids[order[i]]);
    auto embs = impl_->run_batch(batch);
    for (size_t i = start; i < end; ++i) out[order[i]] = std::move(embs[i - start]);
    start = end;
  }
  return out;
}

std::vector<Embedding> Encoder::Impl::run_batch(const std::vector<const std::vector<int32_t>*>& batch) const {
  c10::InferenceMode guard;
  const int64_t b = static_cast<int64_t>(batch.size());
  int64_t t = 0;
  for (auto* v : batch) t = std::max<int64_t>(t, static_cast<int64_t>(v->size()));
  auto ids = torch::full({b, t}, static_cast<int64_t>(config.pad_token_id), torch::kLong);
  auto mask = torch::zeros({b, t}, torch::kLong);
  torch::Tensor cls;
  if (options.mcls) cls = torch::zeros({b, t}, torch::kLong);
  auto ia = ids.accessor<int64_t, 2>();
  auto ma = mask.accessor<int64_t, 2>();
  for (int64_t i = 0; i < b; ++i) {
    const auto& v = *batch[static_cast<size_t>(i)];
    for (size_t j = 0; j < v.size(); ++j) {
      ia[i][static_cast<int64_t>(j)] = v[j];
      ma[i][static_cast<int64_t>(j)] = 1;
      if (options.mcls && v[j] == Tokenizer::kBos) cls.accessor<int64_t, 2>()[i][static_cast<int64_t>(j)] = 1;
    }
  }
  // Built on the CPU (cheap, element-wise), moved in one copy each; on the CPU .to() is a no-op.
  M3Outputs o = model->forward(ids.to(device), mask.to(device), cls.defined() ? cls.to(device) : cls);
  // Normalise again in fp32: under bf16 the model's own normalisation leaves norms 1 ± 3e-3.
  namespace F = torch::nn::functional;
  // Heads normalised where they were computed; only the results cross to the CPU.
  auto renorm = [](const torch::Tensor& t) {
    return F::normalize(t.to(torch::kFloat), F::NormalizeFuncOptions().dim(-1).eps(1e-12)).to(torch::kCPU).contiguous();
  };
  auto dense = renorm(o.dense);
  auto sparse = o.sparse.to(torch::kFloat).to(torch::kCPU).contiguous();
  torch::Tensor colbert;
  if (options.colbert) colbert = renorm(o.colbert);
  const int64_t h = dense.size(1);
  const int dim = config.multivec_dim();
  std::vector<Embedding> out(static_cast<size_t>(b));
  for (int64_t i = 0; i < b; ++i) {
    const auto& v = *batch[static_cast<size_t>(i)];
    Embedding& e = out[static_cast<size_t>(i)];
    e.input_ids = v;
    const float* d = dense.data_ptr<float>() + i * h;
    e.dense.assign(d, d + h);
    // Sparse: max weight per id over positions, ids 0..3 already zeroed, keep w > 0.
    const float* w = sparse.data_ptr<float>() + i * t;
    std::vector<std::pair<uint32_t, float>> lex;
    for (size_t j = 0; j < v.size(); ++j)
      if (w[j] > 0) lex.emplace_back(static_cast<uint32_t>(v[j]), w[j]);
    std::sort(lex.begin(), lex.end());
    for (const auto& [id, wt] : lex) {
      if (!e.sparse.ids.empty() && e.sparse.ids.back() == id) {
        e.sparse.weights.back() = std::max(e.sparse.weights.back(), wt);
      } else {
        e.sparse.ids.push_back(id);
        e.sparse.weights.push_back(wt);
      }
    }
    if (options.colbert) {
      e.colbert_dim = dim;
      const float* c = colbert.data_ptr<float>() + i * (t - 1) * dim;
      for (size_t j = 1; j < v.size(); ++j) {
        if (options.mcls && v[j] == Tokenizer::kBos) continue;  // inserted CLS are not content vectors
        e.colbert.insert(e.colbert.end(), c + (j - 1) * dim, c + j * dim);
        ++e.colbert_rows;
      }
    }
  }
  return out;
}

namespace {
bool is_model_dir(const std::string& d) {
  struct stat st;
  return !d.empty() && ::stat((d + "/config.json").c_str(), &st) == 0;
}
}  // namespace

std::string default_model_dir() {
  if (const char* env = std::getenv("M3_MODEL"); env && *env) return env;
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    std::string dir(self);
    dir = dir.substr(0, dir.rfind('/'));
    for (const std::string& cand : {dir + "/models/m3-default", dir + "/../share/m3/models/m3-default"})
      if (is_model_dir(cand)) return cand;
  }
  const std::string src = std::string(M3_SOURCE_TREE) + "/models/m3-default";
  if (is_model_dir(src)) return src;
  throw Error("no model found: pass --model DIR, set $M3_MODEL, or keep models/m3-default next to the program");
}

}  // namespace m3
