#include "tools/search_flags.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "common/json_input.h"
#include "engine/search_request.h"

namespace m3::tools {

using json = nlohmann::json;

namespace {

// A flag's text as a JSON value: a number when it reads as one, else the string (the parser then
// names the flag and the expected type).
json value_of(const std::string& text) {
  if (json_nesting_depth(text, 1) > 0) return json(text);  // never a number; bounded parse below (issue 16 #1)
  json v = json::parse(text, nullptr, false);
  return v.is_number() ? v : json(text);
}

void put(json& j, const char* key, const std::string& text) {
  if (!text.empty()) j[key] = value_of(text);
}

json request_of(const SearchFlags& f, const std::string& mode, bool only_fused_keys_for_fused) {
  json j = json::object();
  if (!mode.empty()) j["mode"] = mode;
  put(j, "k", f.k);
  put(j, "offset", f.offset);
  put(j, "depth", f.depth);
  put(j, "ef_search", f.ef_search);
  put(j, "nprobe", f.nprobe);
  put(j, "sparse_algo", f.sparse_algo);
  put(j, "query_max_length", f.query_max_length);
  if (!f.filter.empty()) {
    json filter;
    try {
      filter = parse_json_input(f.filter, "--filter", JsonLimits{1u << 20, 64});  // bounded depth (issue 16 #1)
    } catch (const InvalidInputError& e) {
      throw UsageError(std::string(e.what()) + ": " + f.filter.substr(0, 200));
    }
    j["filter"] = filter;
  }
  const bool fused = mode == "dense+sparse" || mode == "all";
  if (!only_fused_keys_for_fused || fused) {
    put(j, "fusion", f.fusion);
    put(j, "rrf_k", f.rrf_k);
    if (!f.weights.empty()) {
      json w = json::array();
      std::stringstream ss(f.weights);
      std::string item;
      while (std::getline(ss, item, ',')) w.push_back(value_of(item));
      if (f.weights.back() == ',') w.push_back("");
      j["weights"] = w;
    }
  }
  return j;
}

}  // namespace

void add_search_flags(CLI::App& sub, SearchFlags& f, bool with_mode) {
  if (with_mode) sub.add_option("--mode", f.mode, "dense | sparse | multivec | dense+sparse | all | bm25 (default all)");
  sub.add_option("--k", f.k, "hits per query (default 10)");
  sub.add_option("--offset", f.offset, "skip this many hits first (paging; default 0)");
  sub.add_option("--depth", f.depth, "candidates per head (default: multivec 200, dense+sparse 1000, all 200)");
  sub.add_option("--weights", f.weights,
                 "dense,sparse (dense+sparse) or dense,sparse,multivec (all) weights; a fourth number fuses BM25 in "
                 "(dense,sparse,0,bm25 / dense,sparse,multivec,bm25)")
      ->check([](const std::string& w) {  // '' would otherwise read as "no weights given" (issue 16 #8)
        return w.find_first_not_of(" \t") == std::string::npos ? std::string("empty (give 2 to 4 comma-separated numbers)")
                                                              : std::string();
      });
  sub.add_option("--fusion", f.fusion, "weighted | rrf (fused modes)");
  sub.add_option("--rrf-k", f.rrf_k, "reciprocal-rank fusion constant (with --fusion rrf; default 60)");
  sub.add_option("--ef-search", f.ef_search, "HNSW efSearch (0 = index default)");
  sub.add_option("--nprobe", f.nprobe, "IVF nprobe (0 = index default)");
  sub.add_option("--sparse-algo", f.sparse_algo, "maxscore | bmw | exhaustive (default maxscore)");
  sub.add_option("--query-max-length", f.query_max_length, "tokens per query (default 512)");
  sub.add_option("--filter", f.filter,
                 "metadata filter JSON, e.g. '{\"field\":\"lang\",\"eq\":\"de\"}' (eq, in, range, and/or/not; README \"Filters\")");
}

SearchParams to_params(const SearchFlags& f) {
  return parse_search_request(request_of(f, f.mode, false), SearchBounds{}, {}, KeyStyle::Flag);
}

SearchParams to_params(const SearchFlags& f, const std::string& mode) {
  return parse_search_request(request_of(f, mode, true), SearchBounds{}, {}, KeyStyle::Flag);
}

}  // namespace m3::tools
