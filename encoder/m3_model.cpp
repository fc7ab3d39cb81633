#include "encoder/m3_model.h"

#include <sys/stat.h>

#include <cmath>
#include <fstream>

#include "common/error.h"
#include "encoder/safetensors.h"

namespace m3 {

namespace F = torch::nn::functional;

XlmLayerImpl::XlmLayerImpl(const ModelConfig& c)
    : num_heads(c.num_attention_heads),
      hidden_dropout(c.hidden_dropout_prob),
      attention_dropout(c.attention_probs_dropout_prob),
      eps(c.layer_norm_eps) {
  const int64_t h = c.hidden_size, f = c.intermediate_size;
  query = register_module("query", torch::nn::Linear(h, h));
  key = register_module("key", torch::nn::Linear(h, h));
  value = register_module("value", torch::nn::Linear(h, h));
  attention_output = register_module("attention_output", torch::nn::Linear(h, h));
  attention_norm = register_module("attention_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(eps)));
  intermediate = register_module("intermediate", torch::nn::Linear(h, f));
  output = register_module("output", torch::nn::Linear(f, h));
  output_norm = register_module("output_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(eps)));
}

void XlmLayerImpl::train(bool on) {
  fused_qkv_weight_ = torch::Tensor();
  fused_qkv_bias_ = torch::Tensor();
  torch::nn::Module::train(on);
}

void XlmLayerImpl::prepare_inference() {
  torch::NoGradGuard no_grad;
  fused_qkv_weight_ = torch::cat({query->weight, key->weight, value->weight}, 0).detach();
  fused_qkv_bias_ = torch::cat({query->bias, key->bias, value->bias}, 0).detach();
}

torch::Tensor XlmLayerImpl::qkv(const torch::Tensor& x, bool inference) {
  if (inference && fused_qkv_weight_.defined() && fused_qkv_weight_.scalar_type() == x.scalar_type())
    return F::linear(x, fused_qkv_weight_, fused_qkv_bias_);
  return torch::cat({query(x), key(x), value(x)}, -1);
}

torch::Tensor XlmLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& additive_mask) {
  const int64_t b = x.size(0), t = x.size(1), h = x.size(2), d = h / num_heads;
  auto split = [&](const torch::Tensor& y) { return y.view({b, t, num_heads, d}).transpose(1, 2); };  // [B,nh,T,d]
  const bool inference = !is_training() && !torch::GradMode::is_enabled();
  torch::Tensor q, k, v;
  if (inference) {
    auto parts = qkv(x, true).chunk(3, -1);
    q = split(parts[0]);
    k = split(parts[1]);
    v = split(parts[2]);
  } else {
    q = split(query(x));
    k = split(key(x));
    v = split(value(x));
  }
  auto ctx = attention_context(q, k, v, additive_mask, inference);
  auto a = attention_output(ctx);
  if (is_training() && hidden_dropout > 0) a = F::dropout(a, F::DropoutFuncOptions().p(hidden_dropout).training(true));
  auto y = attention_norm(a + x);
  auto ff = output(torch::gelu(intermediate(y)));  // exact (erf) GELU, as hidden_act "gelu"
  if (is_training() && hidden_dropout > 0) ff = F::dropout(ff, F::DropoutFuncOptions().p(hidden_dropout).training(true));
  return output_norm(ff + y);
}

torch::Tensor XlmLayerImpl::forward_packed(const torch::Tensor& xp, const torch::Tensor& rows, int64_t b, int64_t t,
                                           const torch::Tensor& additive_mask) {
  const int64_t h = xp.size(1), d = h / num_heads;
  auto split = [&](const torch::Tensor& y) { return y.view({b, t, num_heads, d}).transpose(1, 2); };  // [B,nh,T,d]
  // Q|K|V of the real tokens only, then laid out as [B,T,3H] for attention (pad rows zero: their keys
  // are masked, so they weigh nothing).
  auto padded = torch::zeros({b * t, 3 * h}, xp.options()).index_copy_(0, rows, qkv(xp, true)).view({b, t, 3 * h});
  auto parts = padded.chunk(3, -1);
  auto ctx = attention_context(split(parts[0]), split(parts[1]), split(parts[2]), additive_mask, true);
  auto a = attention_output(ctx.reshape({b * t, h}).index_select(0, rows));
  auto y = attention_norm(a + xp);
  return output_norm(output(torch::gelu(intermediate(y))) + y);
}

torch::Tensor XlmLayerImpl::attention_context(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                              const torch::Tensor& additive_mask, bool inference) const {
  const int64_t b = q.size(0), t = q.size(2), d = q.size(3), h = d * num_heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  auto attend = [&](const torch::Tensor& qb) {
    auto scores = torch::matmul(qb, k.transpose(-1, -2)).mul_(scale) + additive_mask;
    auto probs = torch::softmax(scores, -1);
    if (is_training() && attention_dropout > 0) probs = F::dropout(probs, F::DropoutFuncOptions().p(attention_dropout).training(true));
    return torch::matmul(probs, v);
  };
  torch::Tensor ctx;
  constexpr int64_t kQueryBlock = 512;
  if (inference && t > 2 * kQueryBlock) {
    // Long inputs: attend in query blocks so the score matrix is [B,nh,512,T], not [B,nh,T,T]
    // (an 8192-token input would otherwise need 4 GB per sequence for BGE-M3's 16 heads).
    std::vector<torch::Tensor> blocks;
    for (int64_t s0 = 0; s0 < t; s0 += kQueryBlock) blocks.push_back(attend(q.slice(2, s0, std::min(t, s0 + kQueryBlock))));
    ctx = torch::cat(blocks, 2);
  } else {
    ctx = attend(q);
  }
  return ctx.transpose(1, 2).reshape({b, t, h});
}

XlmRobertaImpl::XlmRobertaImpl(const ModelConfig& c) : config(c) {
  const int64_t h = c.hidden_size;
  word_embeddings = register_module("word_embeddings", torch::nn::Embedding(torch::nn::EmbeddingOptions(c.vocab_size, h)));
  position_embeddings = register_module("position_embeddings",
                                        torch::nn::Embedding(torch::nn::EmbeddingOptions(c.max_position_embeddings, h)));
  token_type_embeddings = register_module("token_type_embeddings", torch::nn::Embedding(c.type_vocab_size, h));
  embedding_norm = register_module("embedding_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(c.layer_norm_eps)));
  for (int l = 0; l < c.num_hidden_layers; ++l) layers.push_back(register_module("layer" + std::to_string(l), XlmLayer(c)));
  layer_runner = [](XlmLayer& layer, const torch::Tensor& x, const torch::Tensor& m) { return layer->forward(x, m); };
}

torch::Tensor XlmRobertaImpl::position_ids(const torch::Tensor& ids) const {
  auto not_pad = ids.ne(config.pad_token_id).to(torch::kLong);
  return torch::cumsum(not_pad, 1) * not_pad + config.pad_token_id;
}

torch::Tensor XlmRobertaImpl::embed(const torch::Tensor& ids) {
  auto x = word_embeddings(ids) + position_embeddings(position_ids(ids)) + token_type_embeddings->weight[0];
  x = embedding_norm(x);
  if (is_training() && config.hidden_dropout_prob > 0)
    x = F::dropout(x, F::DropoutFuncOptions().p(config.hidden_dropout_prob).training(true));
  return x;
}

torch::Tensor XlmRobertaImpl::additive_mask(const torch::Tensor& mask, torch::ScalarType dtype) const {
  // (1 - mask) * finfo(dtype).min on keys only, as transformers' get_extended_attention_mask.
  double lowest = dtype == torch::kFloat ? static_cast<double>(std::numeric_limits<float>::lowest())
                                         : static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest());
  if (dtype == torch::kHalf) lowest = -65504.0;
  auto m = (1 - mask.to(dtype)) * lowest;
  return m.unsqueeze(1).unsqueeze(1);
}

torch::Tensor XlmRobertaImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask) {
  auto x = embed(ids);
  auto m = additive_mask(mask, x.scalar_type());
  const bool inference = !is_training() && !torch::GradMode::is_enabled();
  if (inference && x.size(0) > 1 && mask.eq(0).any().item<bool>()) {
    // A batch of unequal lengths: the linear layers, nearly all the work, skip the padding
    // (XlmLayerImpl::forward_packed); the pad positions of the result are zero.
    const int64_t b = x.size(0), t = x.size(1), h = x.size(2);
    const auto rows = mask.reshape({-1}).nonzero().squeeze(1);
    auto xp = x.reshape({b * t, h}).index_select(0, rows);
    for (auto& layer : layers) xp = layer->forward_packed(xp, rows, b, t, m);
    return torch::zeros({b * t, h}, xp.options()).index_copy_(0, rows, xp).view({b, t, h});
  }
  for (auto& layer : layers) x = layer_runner(layer, x, m);
  return x;
}

M3ModelImpl::M3ModelImpl(const ModelConfig& c) : config(c) {
  encoder = register_module("encoder", XlmRoberta(c));
  colbert_linear = register_module("colbert_linear", torch::nn::Linear(c.hidden_size, c.multivec_dim()));
  sparse_linear = register_module("sparse_linear", torch::nn::Linear(c.hidden_size, 1));
}

M3Outputs M3ModelImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& cls_mask) {
  M3Outputs out;
  out.hidden = encoder(ids, mask);
  const auto& h = out.hidden;
  if (cls_mask.defined()) {  // MCLS: mean of the CLS positions' hidden states, then one L2 normalisation
    auto w = cls_mask.to(h.scalar_type()).unsqueeze(-1);
    out.dense = (h * w).sum(1) / w.sum(1).clamp_min(1);
  } else {
    out.dense = h.select(1, 0);
  }
  out.dense = F::normalize(out.dense, F::NormalizeFuncOptions().dim(-1).eps(1e-12));

  auto special = ids.le(3);  // <s>=0, <pad>=1, </s>=2, <unk>=3 carry no lexical weight
  out.sparse = torch::relu(sparse_linear(h).squeeze(-1)).masked_fill(special.logical_or(mask.eq(0)), 0);

  auto cmask = mask.slice(1, 1);
  if (cls_mask.defined()) cmask = cmask * (1 - cls_mask.slice(1, 1).to(cmask.scalar_type()));
  out.colbert_mask = cmask;
  auto c = colbert_linear(h.slice(1, 1)) * cmask.unsqueeze(-1).to(h.scalar_type());
  out.colbert = F::normalize(c, F::NormalizeFuncOptions().dim(-1).eps(1e-12));
  return out;
}

std::vector<std::pair<std::string, torch::Tensor>> M3ModelImpl::named_weights() {
  std::vector<std::pair<std::string, torch::Tensor>> w;
  auto& e = *encoder;
  w.emplace_back("embeddings.word_embeddings.weight", e.word_embeddings->weight);
  w.emplace_back("embeddings.position_embeddings.weight", e.position_embeddings->weight);
  w.emplace_back("embeddings.token_type_embeddings.weight", e.token_type_embeddings->weight);
  w.emplace_back("embeddings.LayerNorm.weight", e.embedding_norm->weight);
  w.emplace_back("embeddings.LayerNorm.bias", e.embedding_norm->bias);
  for (size_t l = 0; l < e.layers.size(); ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    auto& L = *e.layers[l];
    auto lin = [&](const std::string& name, torch::nn::Linear& m) {
      w.emplace_back(p + name + ".weight", m->weight);
      w.emplace_back(p + name + ".bias", m->bias);
    };
    auto norm = [&](const std::string& name, torch::nn::LayerNorm& m) {
      w.emplace_back(p + name + ".weight", m->weight);
      w.emplace_back(p + name + ".bias", m->bias);
    };
    lin("attention.self.query", L.query);
    lin("attention.self.key", L.key);
    lin("attention.self.value", L.value);
    lin("attention.output.dense", L.attention_output);
    norm("attention.output.LayerNorm", L.attention_norm);
    lin("intermediate.dense", L.intermediate);
    lin("output.dense", L.output);
    norm("output.LayerNorm", L.output_norm);
  }
  w.emplace_back("colbert.weight", colbert_linear->weight);
  w.emplace_back("colbert.bias", colbert_linear->bias);
  w.emplace_back("sparse.weight", sparse_linear->weight);
  w.emplace_back("sparse.bias", sparse_linear->bias);
  return w;
}

void M3ModelImpl::load_weights(const Checkpoint& ck) {
  torch::NoGradGuard no_grad;
  for (auto& [name, param] : named_weights()) {
    const bool head = name.rfind("colbert.", 0) == 0 || name.rfind("sparse.", 0) == 0;
    const auto& map = head ? ck.heads : ck.encoder;
    auto it = map.find(name);
    if (it == map.end()) throw Error(ck.dir + ": missing tensor '" + name + "'");
    auto values = it->second.to_float();
    auto src = torch::from_blob(values.data(), it->second.shape, torch::kFloat);
    if (src.sizes() != param.sizes()) throw Error(ck.dir + ": tensor '" + name + "' has shape " + it->second.shape_string());
    param.copy_(src);
  }
}

namespace {
RawTensor to_raw(const torch::Tensor& t, DType storage) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  std::vector<float> v(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return raw_from_float(v, c.sizes().vec(), storage);
}

void write_pt_head(const std::string& path, const torch::Tensor& weight, const torch::Tensor& bias) {
  // A plain dict (not OrderedDict) so LibTorch writes it and both torch.load and our reader take it.
  c10::Dict<std::string, torch::Tensor> d;
  d.insert("weight", weight.detach().to(torch::kCPU, torch::kHalf).contiguous());
  d.insert("bias", bias.detach().to(torch::kCPU, torch::kHalf).contiguous());
  auto bytes = torch::pickle_save(d);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error(path + ": write failed");
}
}  // namespace

void M3ModelImpl::save(const std::string& dir, DType storage) {
  ::mkdir(dir.c_str(), 0755);
  config.save(dir + "/config.json");
  TensorMap enc;
  for (auto& [name, t] : named_weights()) {
    if (name.rfind("colbert.", 0) == 0 || name.rfind("sparse.", 0) == 0) continue;
    enc[name] = to_raw(t, storage);
  }
  write_safetensors(dir + "/model.safetensors", enc);
  write_pt_head(dir + "/colbert_linear.pt", colbert_linear->weight, colbert_linear->bias);
  write_pt_head(dir + "/sparse_linear.pt", sparse_linear->weight, sparse_linear->bias);
}

void M3ModelImpl::prepare_inference() {
  eval();
  for (auto& layer : encoder->layers) layer->prepare_inference();
}

M3Model load_m3_model(const Checkpoint& ck) {
  M3Model model(ck.config);
  model->load_weights(ck);
  model->eval();
  return model;
}

torch::Device torch_device(Device d) {
  if (d == Device::Cpu) return torch::kCPU;
  const bool cuda = torch::cuda::is_available();
  if (d == Device::Cuda && !cuda)
    throw UsageError("--device cuda: LibTorch sees no CUDA device (this build's LibTorch is CPU-only, or no GPU is visible)");
  return cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

}  // namespace m3
