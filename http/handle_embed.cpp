// The embedding endpoints, in the shapes clients already speak:
//   POST /encode          m3's own: any heads (FlagEmbedding's return_dense / return_sparse /
//                         return_colbert_vecs), sparse weights keyed by token id or by token string
//   POST /v1/embeddings   OpenAI: {"input", "model", "encoding_format": float|base64} -> dense
//   POST /embed           text-embeddings-inference: {"inputs", "normalize", "truncate"} -> dense
//   POST /embed_sparse    text-embeddings-inference: {"inputs", "truncate"} -> [{"index", "value"}]
// Models are named ("model": a name from GET /models; "default" when absent), never given as paths.
#include <boost/beast/core/detail/base64.hpp>

#include "http/api_error.h"
#include "http/handlers.h"

namespace m3::http {

namespace {

std::string model_name(const json& body) { return string_field(body, "model", "default"); }

// TEI's "truncate": false refuses an input longer than the model takes (413), instead of cutting it.
void check_length(const Encoder& enc, const std::vector<std::string>& texts, bool truncate, const char* key) {
  if (truncate) return;
  for (size_t i = 0; i < texts.size(); ++i) {
    const size_t n = enc.tokenizer().pieces(texts[i]).size() + 2;
    if (n > static_cast<size_t>(enc.max_length()))
      throw ApiError(413, "input_too_long", std::string(key) + "[" + std::to_string(i) + "] has " + std::to_string(n) +
                                                " tokens, the model takes " + std::to_string(enc.max_length()) + " (set \"truncate\": true to cut it)");
  }
}

std::string base64_floats(const std::vector<float>& v) {
  namespace b64 = boost::beast::detail::base64;
  std::string out(b64::encoded_size(v.size() * sizeof(float)), '\0');
  out.resize(b64::encode(out.data(), v.data(), v.size() * sizeof(float)));
  return out;
}

json sparse_json(const Embedding& e, const Encoder& enc, bool by_token) {
  json s = json::object();
  for (size_t i = 0; i < e.sparse.ids.size(); ++i) {
    const std::string key = by_token ? enc.tokenizer().piece(e.sparse.ids[i]) : std::to_string(e.sparse.ids[i]);
    // Two ids can share a piece text only for special tokens, which sparse weights never hold; keep the larger.
    if (!s.contains(key) || s[key].get<float>() < e.sparse.weights[i]) s[key] = e.sparse.weights[i];
  }
  return s;
}

}  // namespace

Response handle_encode(RouteContext& ctx) {
  const json body = parse_body(ctx);
  reject_unknown_fields(body, {"texts", "model", "max_length", "return_dense", "return_sparse", "return_colbert_vecs", "sparse_keys"});
  const auto texts = texts_field(body, "texts", ctx.options.limits.max_encode_texts, ctx.options.limits.max_text_bytes);
  const std::string name = model_name(body);
  auto enc = ctx.models.encoder(name);
  const int max_length = int_field(body, "max_length", enc->max_length(), 2, enc->max_length());
  const bool dense = bool_field(body, "return_dense", true), sparse = bool_field(body, "return_sparse", false),
             colbert = bool_field(body, "return_colbert_vecs", false);
  const std::string keys = string_field(body, "sparse_keys", "ids");
  if (keys != "ids" && keys != "tokens") throw bad_request("'sparse_keys' must be \"ids\" or \"tokens\"");
  const auto embs = enc->encode(texts, max_length);
  json out = json::array();
  for (const auto& e : embs) {
    json o = {{"input_ids", e.input_ids}};
    if (dense) o["dense"] = e.dense;
    if (sparse) o["sparse"] = sparse_json(e, *enc, keys == "tokens");
    if (colbert) {
      json rows = json::array();
      for (int r = 0; r < e.colbert_rows; ++r) rows.push_back(std::vector<float>(e.colbert_row(r), e.colbert_row(r) + e.colbert_dim));
      o["colbert"] = rows;
    }
    out.push_back(std::move(o));
  }
  return json_reply(200, {{"model", name}, {"embeddings", out}}, ctx.req);
}

Response handle_openai_embeddings(RouteContext& ctx) {
  const json body = parse_body(ctx);
  reject_unknown_fields(body, {"input", "model", "encoding_format", "dimensions", "user"});
  const auto texts = texts_field(body, "input", ctx.options.limits.max_encode_texts, ctx.options.limits.max_text_bytes);
  const std::string name = model_name(body);
  auto enc = ctx.models.encoder(name);
  const std::string format = string_field(body, "encoding_format", "float");
  if (format != "float" && format != "base64") throw bad_request("'encoding_format' must be \"float\" or \"base64\"");
  if (body.contains("dimensions") && int_field(body, "dimensions", 0, 1, 1 << 20) != enc->dense_dim())
    throw bad_request("'dimensions': model '" + name + "' gives " + std::to_string(enc->dense_dim()) + " dimensions only");
  string_field(body, "user", "");
  const auto embs = enc->encode(texts, enc->max_length());
  json data = json::array();
  size_t tokens = 0;
  for (size_t i = 0; i < embs.size(); ++i) {
    tokens += embs[i].input_ids.size();
    data.push_back({{"object", "embedding"}, {"index", i},
                    {"embedding", format == "float" ? json(embs[i].dense) : json(base64_floats(embs[i].dense))}});
  }
  return json_reply(200, {{"object", "list"}, {"data", data}, {"model", name}, {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}},
                    ctx.req);
}

Response handle_tei_embed(RouteContext& ctx) {
  const json body = parse_body(ctx);
  reject_unknown_fields(body, {"inputs", "normalize", "truncate", "truncation_direction"});
  const auto texts = texts_field(body, "inputs", ctx.options.limits.max_encode_texts, ctx.options.limits.max_text_bytes);
  auto enc = ctx.models.encoder("default");
  if (!bool_field(body, "normalize", true))
    throw bad_request("'normalize': false is not available: M3 dense vectors are L2-normalised by the model");
  if (string_field(body, "truncation_direction", "Right") != "Right")
    throw bad_request("'truncation_direction': only \"Right\" (M3 keeps the start of a text)");
  check_length(*enc, texts, bool_field(body, "truncate", false), "inputs");
  const auto embs = enc->encode(texts, enc->max_length());
  json out = json::array();
  for (const auto& e : embs) out.push_back(e.dense);
  return json_reply(200, out, ctx.req);
}

Response handle_tei_embed_sparse(RouteContext& ctx) {
  const json body = parse_body(ctx);
  reject_unknown_fields(body, {"inputs", "truncate", "truncation_direction"});
  const auto texts = texts_field(body, "inputs", ctx.options.limits.max_encode_texts, ctx.options.limits.max_text_bytes);
  auto enc = ctx.models.encoder("default");
  if (string_field(body, "truncation_direction", "Right") != "Right")
    throw bad_request("'truncation_direction': only \"Right\" (M3 keeps the start of a text)");
  check_length(*enc, texts, bool_field(body, "truncate", false), "inputs");
  const auto embs = enc->encode(texts, enc->max_length());
  json out = json::array();
  for (const auto& e : embs) {
    json v = json::array();
    for (size_t i = 0; i < e.sparse.ids.size(); ++i) v.push_back({{"index", e.sparse.ids[i]}, {"value", e.sparse.weights[i]}});
    out.push_back(std::move(v));
  }
  return json_reply(200, out, ctx.req);
}

}  // namespace m3::http
