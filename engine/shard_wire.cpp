#include "engine/shard_wire.h"

#include <limits>

#include "common/error.h"
#include "common/json_input.h"

namespace m3 {

using json = nlohmann::json;

namespace {

// A score: any finite float. The bound is the float range, not a round decimal one, so every value a
// writer produced (a float, perhaps rounded up from the decimal it was read as) reads back.
float read_score(const json& v, const std::string& what) {
  constexpr double kMax = std::numeric_limits<float>::max();
  return static_cast<float>(json_number(v, -kMax, kMax, what));
}

std::vector<float> read_scores(const json& j, const char* key, size_t max_scores, const std::string& what) {
  std::vector<float> out;
  if (!j.contains(key)) return out;
  const auto& a = j[key];
  if (!a.is_array() || a.size() > max_scores)
    throw InvalidInputError(what + ": '" + key + "' must be an array of at most " + std::to_string(max_scores) + " numbers");
  for (const auto& v : a) out.push_back(read_score(v, what + ": " + key));
  return out;
}

Bm25Stats read_bm25(const json& j, size_t max_terms, const std::string& what) {
  if (!j.is_object() || !j.contains("documents") || !j.contains("df"))
    throw InvalidInputError(what + ": 'bm25' must be an object with 'documents' and 'df'");
  Bm25Stats st;
  st.documents = json_unsigned(j["documents"], what + ": bm25.documents");
  const auto& df = j["df"];
  if (!df.is_array() || df.size() > max_terms)
    throw InvalidInputError(what + ": bm25.df must be an array of at most " + std::to_string(max_terms) + " [term, df] pairs");
  for (const auto& pair : df) {
    if (!pair.is_array() || pair.size() != 2) throw InvalidInputError(what + ": bm25.df entries must be [term, df] pairs");
    const auto term = static_cast<uint32_t>(json_integer(pair[0], 0, UINT32_MAX, what + ": bm25 term"));
    const uint64_t n = json_unsigned(pair[1], what + ": bm25 df");
    if (!st.df.empty() && term <= st.df.back().first) throw InvalidInputError(what + ": bm25.df terms must ascend, each once");
    if (n > st.documents) throw InvalidInputError(what + ": bm25 df exceeds documents");
    st.df.emplace_back(term, n);
  }
  return st;
}

json bm25_json(const Bm25Stats& st) {
  json df = json::array();
  for (const auto& [t, n] : st.df) df.push_back({t, n});
  return {{"documents", st.documents}, {"df", df}};
}
}  // namespace

json shard_stats_json(const ShardStats& s) {
  json j = json::object();
  if (!s.dense_top.empty()) j["dense_top"] = s.dense_top;
  if (!s.sparse_top.empty()) j["sparse_top"] = s.sparse_top;
  if (s.bm25) j["bm25"] = bm25_json(*s.bm25);
  if (s.bm25_pools) j["bm25_pools"] = true;
  if (!s.bm25_top.empty()) j["bm25_top"] = s.bm25_top;
  return j;
}

ShardStats parse_shard_stats(const json& j, size_t max_scores, size_t max_terms, const std::string& what) {
  if (!j.is_object()) throw InvalidInputError(what + ": expected an object");
  ShardStats s;
  s.dense_top = read_scores(j, "dense_top", max_scores, what);
  s.sparse_top = read_scores(j, "sparse_top", max_scores, what);
  if (j.contains("bm25")) s.bm25 = read_bm25(j["bm25"], max_terms, what);
  if (j.contains("bm25_pools")) {
    if (!j["bm25_pools"].is_boolean()) throw InvalidInputError(what + ": 'bm25_pools' must be true or false");
    s.bm25_pools = j["bm25_pools"].get<bool>();
  }
  s.bm25_top = read_scores(j, "bm25_top", max_scores, what);
  return s;
}

json shard_scope_json(const ShardScope& s) {
  json j = json::object();
  if (s.dense_floor) j["dense_floor"] = *s.dense_floor;
  if (s.sparse_floor) j["sparse_floor"] = *s.sparse_floor;
  if (s.bm25) j["bm25"] = bm25_json(*s.bm25);
  if (s.bm25_floor) j["bm25_floor"] = *s.bm25_floor;
  return j;
}

ShardScope parse_shard_scope(const json& j, size_t max_terms, const std::string& what) {
  if (!j.is_object()) throw InvalidInputError(what + ": must be an object (dense_floor, sparse_floor, bm25, bm25_floor)");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "dense_floor" && it.key() != "sparse_floor" && it.key() != "bm25" && it.key() != "bm25_floor")
      throw InvalidInputError(what + ": unknown field '" + it.key().substr(0, 64) +
                              "' (known: dense_floor, sparse_floor, bm25, bm25_floor)");
  ShardScope s;
  if (j.contains("dense_floor")) s.dense_floor = read_score(j["dense_floor"], what + ".dense_floor");
  if (j.contains("sparse_floor")) s.sparse_floor = read_score(j["sparse_floor"], what + ".sparse_floor");
  if (j.contains("bm25")) s.bm25 = read_bm25(j["bm25"], max_terms, what + ".bm25");
  if (j.contains("bm25_floor")) {
    if (!s.bm25) throw InvalidInputError(what + ": 'bm25_floor' needs 'bm25' (the statistics its scores are under)");
    s.bm25_floor = read_score(j["bm25_floor"], what + ".bm25_floor");
  }
  return s;
}

}  // namespace m3
