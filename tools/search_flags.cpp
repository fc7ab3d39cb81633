#include "tools/search_flags.h"

#include "engine/metadata_filter.h"

namespace m3::tools {

void add_search_flags(CLI::App& sub, SearchFlags& f, bool with_mode) {
  if (with_mode)
    sub.add_option("--mode", f.mode, "dense | sparse | multivec | dense+sparse | all | bm25")
        ->check(CLI::IsMember(search_mode_names()));
  sub.add_option("--k", f.k, "hits per query")->check(CLI::Range(1, 10000));
  sub.add_option("--depth", f.depth, "candidates per head (default: multivec 200, dense+sparse 1000, all 200)")
      ->check(CLI::Range(0, 100000));
  sub.add_option("--weights", f.weights, "dense,sparse[,multivec] weights (default 1,0.3 / 1,0.3,1)");
  sub.add_option("--fusion", f.fusion, "weighted | rrf")->check(CLI::IsMember({"weighted", "rrf"}));
  sub.add_option("--rrf-k", f.rrf_k, "reciprocal-rank fusion constant")->check(CLI::Range(1, 100000));
  sub.add_option("--ef-search", f.ef_search, "HNSW efSearch (0 = index default)")->check(CLI::Range(0, 100000));
  sub.add_option("--nprobe", f.nprobe, "IVF nprobe (0 = index default)")->check(CLI::Range(0, 100000));
  sub.add_option("--sparse-algo", f.sparse_algo, "maxscore | bmw | exhaustive")
      ->check(CLI::IsMember({"maxscore", "bmw", "exhaustive"}));
  sub.add_option("--query-max-length", f.query_max_length, "tokens per query")->check(CLI::Range(2, 8192));
  sub.add_option("--filter", f.filter,
                 "metadata filter JSON, e.g. '{\"field\":\"lang\",\"eq\":\"de\"}' (eq, in, range, and/or/not; README \"Filters\")");
}

SearchParams to_params(const SearchFlags& f, const std::string& mode) {
  SearchParams p;
  p.mode = parse_search_mode(mode);
  p.k = f.k;
  p.depth = f.depth;
  if (!f.weights.empty()) p.weights = parse_weights(f.weights);
  p.fusion = parse_fusion(f.fusion);
  p.rrf_k = f.rrf_k;
  p.dense.ef_search = f.ef_search;
  p.dense.nprobe = f.nprobe;
  p.sparse_algo = parse_sparse_algo(f.sparse_algo);
  p.query_max_length = f.query_max_length;
  if (!f.filter.empty()) p.filter = parse_metadata_filter(f.filter);
  p.validate();
  return p;
}

SearchParams to_params(const SearchFlags& f) { return to_params(f, f.mode); }

}  // namespace m3::tools
