#include "engine/search_params.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "common/error.h"

namespace m3 {

namespace {
struct ModeName { SearchMode mode; const char* name; };
constexpr ModeName kModes[] = {{SearchMode::Dense, "dense"},          {SearchMode::Sparse, "sparse"},
                               {SearchMode::Multivec, "multivec"},    {SearchMode::DenseSparse, "dense+sparse"},
                               {SearchMode::All, "all"},              {SearchMode::Bm25, "bm25"}};
}  // namespace

const std::vector<std::string>& search_mode_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& m : kModes) v.push_back(m.name);
    return v;
  }();
  return names;
}

SearchMode parse_search_mode(const std::string& name) {
  for (const auto& m : kModes) if (name == m.name) return m.mode;
  std::string all;
  for (const auto& m : kModes) all += std::string(all.empty() ? "" : ", ") + m.name;
  throw UsageError("unknown mode '" + name + "' (expected one of: " + all + ")");
}

const char* to_string(SearchMode mode) {
  for (const auto& m : kModes) if (mode == m.mode) return m.name;
  return "?";
}

Fusion parse_fusion(const std::string& name) {
  if (name == "weighted") return Fusion::Weighted;
  if (name == "rrf") return Fusion::Rrf;
  throw UsageError("unknown fusion '" + name + "' (expected weighted or rrf)");
}

int SearchParams::effective_depth() const {
  if (depth > 0) return depth;
  switch (mode) {
    case SearchMode::Multivec: return 200;
    case SearchMode::DenseSparse: return 1000;
    case SearchMode::All: return 200;
    default: return k;
  }
}

HeadWeights SearchParams::effective_weights() const {
  if (weights) return *weights;
  switch (mode) {
    case SearchMode::Dense: return {1.f, 0.f, 0.f, 0.f};
    case SearchMode::Sparse: return {0.f, 1.f, 0.f, 0.f};
    case SearchMode::Multivec: return {0.f, 0.f, 1.f, 0.f};
    case SearchMode::DenseSparse: return {1.f, 0.3f, 0.f, 0.f};
    case SearchMode::Bm25: return {0.f, 0.f, 0.f, 1.f};
    default: return {1.f, 0.3f, 1.f, 0.f};
  }
}

bool SearchParams::pools_bm25() const {
  return (mode == SearchMode::DenseSparse || mode == SearchMode::All) && effective_weights()[kBm25Head] > 0;
}

SearchParams SearchParams::with_model_weights(const FusionWeights& model) const {
  SearchParams p = *this;
  if (p.weights || p.fusion != Fusion::Weighted) return p;
  if (p.mode == SearchMode::DenseSparse && model.dense_sparse) p.weights = model.dense_sparse;
  if (p.mode == SearchMode::All && model.all) p.weights = model.all;
  return p;
}

void SearchParams::validate() const {
  if (k < 1 || k > 10000) throw UsageError("k must be in [1, 10000], got " + std::to_string(k));
  if (offset < 0 || offset > 100000) throw UsageError("offset must be in [0, 100000], got " + std::to_string(offset));
  if (depth < 0 || depth > 100000) throw UsageError("depth must be in [0, 100000], got " + std::to_string(depth));
  if (rrf_k < 1) throw UsageError("rrf_k must be positive");
  if (query_max_length < 2) throw UsageError("query max length must be at least 2");
  if (weights)
    for (float w : *weights)
      if (!std::isfinite(w)) throw UsageError("weights must be finite numbers");
}

HeadWeights parse_weights(const std::string& text) {
  HeadWeights w{0.f, 0.f, 0.f, 0.f};
  if (text.find_first_not_of(" \t") == std::string::npos) throw UsageError("weights: empty (expected 2 to 4 comma-separated numbers)");
  std::stringstream ss(text);
  std::string item;
  int n = 0;
  while (std::getline(ss, item, ',')) {
    if (n >= 4) throw UsageError("weights '" + text + "': at most four numbers (dense,sparse,multivec,bm25)");
    try {
      size_t used = 0;
      w[static_cast<size_t>(n)] = std::stof(item, &used);
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw UsageError("weights '" + text + "': '" + item + "' is not a number");
    }
    if (!std::isfinite(w[static_cast<size_t>(n)])) throw UsageError("weights '" + text + "': not finite");
    ++n;
  }
  if (n < 2) throw UsageError("weights '" + text + "': expected 2 to 4 comma-separated numbers");
  if (!(w[0] > 0 || w[1] > 0 || w[2] > 0 || w[3] > 0))
    throw UsageError("weights '" + text + "': at least one weight must be positive (all zero or negative ranks nothing)");
  return w;
}

std::vector<float> shown_weights(SearchMode mode, const HeadWeights& w) {
  std::vector<float> out{w[kDenseHead], w[kSparseHead]};
  if (mode == SearchMode::All || w[kBm25Head] != 0) out.push_back(w[kMultivecHead]);
  if (w[kBm25Head] != 0) out.push_back(w[kBm25Head]);
  return out;
}

std::string weights_text(SearchMode mode, const HeadWeights& w) {
  std::string out;
  for (float x : shown_weights(mode, w)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%g", out.empty() ? "" : ",", x);
    out += buf;
  }
  return out;
}

}  // namespace m3
