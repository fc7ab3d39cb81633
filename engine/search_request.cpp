#include "engine/search_request.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "engine/metadata_filter.h"
#include "engine/shard_wire.h"

namespace m3 {

using json = nlohmann::json;

namespace {

class Reader {
 public:
  Reader(const json& j, KeyStyle style) : j_(j), style_(style) {}

  std::string name(const std::string& key) const {
    if (style_ == KeyStyle::Json) return "'" + key + "'";
    std::string flag = "--" + key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
  }
  bool has(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }

  int integer(const char* key, int fallback, int lo, int hi) const {
    if (!has(key)) return fallback;
    const auto& v = j_[key];
    const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    if (!v.is_number_integer()) throw UsageError(name(key) + " must be an integer in " + range + ", got " + v.dump());
    const long long x = v.is_number_unsigned() ? static_cast<long long>(std::min<uint64_t>(v.get<uint64_t>(), INT64_MAX)) : v.get<long long>();
    if (x < lo || x > hi) throw UsageError(name(key) + " must be in " + range + ", got " + std::to_string(x));
    return static_cast<int>(x);
  }

  std::string string(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    if (!j_[key].is_string()) throw UsageError(name(key) + " must be a string, got " + j_[key].dump());
    return j_[key].get<std::string>();
  }

  template <typename F>
  auto parsed(const char* key, F parse) const {
    const std::string text = string(key, "");
    try {
      return parse(text);
    } catch (const UsageError& e) {
      throw UsageError(name(key) + ": " + e.what());
    }
  }

 private:
  const json& j_;
  KeyStyle style_;
};

}  // namespace

const std::vector<std::string>& search_request_keys() {
  static const std::vector<std::string> keys = {"mode",   "k",      "offset",  "depth",     "weights",     "fusion",
                                                "rrf_k",  "ef_search", "nprobe", "sparse_algo", "query_max_length", "filter",
                                                "shard_scope"};
  return keys;
}

SearchParams parse_search_request(const json& request, const SearchBounds& bounds, const std::vector<std::string>& other_keys,
                                  KeyStyle style) {
  Reader r(request, style);
  if (!request.is_object()) throw UsageError("a search request must be a JSON object");
  for (auto it = request.begin(); it != request.end(); ++it) {
    const auto& keys = search_request_keys();
    if (std::find(keys.begin(), keys.end(), it.key()) == keys.end() &&
        std::find(other_keys.begin(), other_keys.end(), it.key()) == other_keys.end()) {
      std::string known;
      for (const auto& k : keys) known += ", " + k;
      for (const auto& k : other_keys) known += ", " + k;
      throw UsageError("unknown field " + r.name(it.key()) + " (known: " + known.substr(2) + ")");
    }
  }
  SearchParams p;
  if (r.has("mode")) p.mode = r.parsed("mode", parse_search_mode);
  p.k = r.integer("k", p.k, 1, bounds.max_k);
  p.offset = r.integer("offset", p.offset, 0, bounds.max_offset);
  p.depth = r.integer("depth", p.depth, 0, bounds.max_depth);
  const bool fused = p.mode == SearchMode::DenseSparse || p.mode == SearchMode::All;
  if (r.has("fusion")) {
    if (!fused) throw UsageError(r.name("fusion") + " applies to the fused modes dense+sparse and all, not to " + to_string(p.mode));
    p.fusion = r.parsed("fusion", parse_fusion);
  }
  if (r.has("rrf_k")) {
    if (p.fusion != Fusion::Rrf) throw UsageError(r.name("rrf_k") + " applies only with fusion rrf");
    p.rrf_k = r.integer("rrf_k", p.rrf_k, 1, 100000);
  }
  if (r.has("weights")) {
    if (!fused) throw UsageError(r.name("weights") + " apply to the fused modes dense+sparse and all, not to " + to_string(p.mode));
    const auto& w = request["weights"];
    const size_t want = p.mode == SearchMode::All ? 3 : 2;
    const char* heads = want == 3 ? "dense, sparse, multivec" : "dense, sparse";
    if (!w.is_array() || (w.size() != want && w.size() != 4))
      throw UsageError(r.name("weights") + " must hold " + std::to_string(want) + " numbers (" + heads + ") for mode " + to_string(p.mode) +
                       ", or 4 (dense, sparse, multivec, bm25), got " + w.dump().substr(0, 200));
    HeadWeights v{0.f, 0.f, 0.f, 0.f};
    bool any = false;
    for (size_t i = 0; i < w.size(); ++i) {
      if (!w[i].is_number()) throw UsageError(r.name("weights") + "[" + std::to_string(i) + "] must be a number, got " + w[i].dump());
      const double x = w[i].get<double>();
      if (!std::isfinite(x) || x < 0 || x > 1e6)
        throw UsageError(r.name("weights") + "[" + std::to_string(i) + "] must be a finite number in [0, 1e6], got " + w[i].dump());
      v[i] = static_cast<float>(x);
      any = any || x > 0;
    }
    if (!any) throw UsageError(r.name("weights") + " must not all be 0");
    if (p.mode == SearchMode::DenseSparse && v[kMultivecHead] != 0)
      throw UsageError(r.name("weights") + "[2] (multivec) must be 0 for mode dense+sparse, which has no multivec head; use mode all");
    p.weights = v;
  }
  p.dense.ef_search = r.integer("ef_search", p.dense.ef_search, 0, 100000);
  p.dense.nprobe = r.integer("nprobe", p.dense.nprobe, 0, 100000);
  if (r.has("sparse_algo")) {
    p.sparse_algo = r.parsed("sparse_algo", parse_sparse_algo);
  }
  p.query_max_length = r.integer("query_max_length", p.query_max_length, 2, 8192);
  if (r.has("filter")) {
    try {
      p.filter = parse_metadata_filter(request["filter"]);
    } catch (const UsageError& e) {
      throw UsageError(style == KeyStyle::Flag ? std::string("--filter: ") + e.what() : std::string(e.what()));
    }
  }
  if (r.has("shard_scope")) {
    try {
      // At most one BM25 term per query token.
      p.shard_scope = std::make_shared<const ShardScope>(parse_shard_scope(request["shard_scope"], 8192, "shard_scope"));
    } catch (const InvalidInputError& e) {
      throw UsageError(e.what());
    }
  }
  p.validate();
  return p;
}

}  // namespace m3
