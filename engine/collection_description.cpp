#include "engine/collection_description.h"

#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include "index/metadata_columns.h"

namespace m3 {

nlohmann::ordered_json default_fusion_weights(const FusionWeights& model) {
  SearchParams p;
  p.mode = SearchMode::DenseSparse;
  const auto ds = p.with_model_weights(model).effective_weights();
  p.mode = SearchMode::All;
  const auto all = p.with_model_weights(model).effective_weights();
  auto shown = [](float w) {  // as written (0.1, not the float's 0.10000000149...)
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", w);
    return std::stod(buf);
  };
  auto listed = [&](SearchMode mode, const HeadWeights& w) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (float x : shown_weights(mode, w)) out.push_back(shown(x));
    return out;
  };
  return {{"dense+sparse", listed(SearchMode::DenseSparse, ds)}, {"all", listed(SearchMode::All, all)},
          {"from", model.all || model.dense_sparse ? std::string(kFusionWeightsFile) : std::string("the paper")}};
}

nlohmann::ordered_json describe_metadata_fields(const Snapshot& snap, size_t sample, size_t* sampled) {
  struct Field {
    std::set<std::string> types, values;
    bool too_many_values = false;
    size_t documents = 0;
    double min = std::numeric_limits<double>::infinity(), max = -std::numeric_limits<double>::infinity();
  };
  std::map<std::string, Field> fields;  // sorted by name
  size_t n = 0;
  snap.for_each_doc_while([&](const DocRecord& r) {
    if (n >= sample) return false;
    ++n;
    const auto meta = nlohmann::json::parse(r.metadata_json, nullptr, false);
    std::set<std::string> seen;  // a field counts once per document (arrays add several values)
    for_each_metadata_value(meta, [&](const std::string& path, const nlohmann::json& v) {
      auto it = fields.find(path);
      if (it == fields.end()) {
        if (fields.size() >= kMaxDescribedFields) return;
        it = fields.emplace(path, Field{}).first;
      }
      Field& f = it->second;
      if (seen.insert(path).second) ++f.documents;
      if (v.is_string()) {
        f.types.insert("string");
        const auto& s = v.get_ref<const std::string&>();
        if (s.size() > 64) f.too_many_values = true;  // free text: not a value to pick from a list
        if (!f.too_many_values) f.values.insert(s);
        if (f.values.size() > kMaxDescribedValues) f.too_many_values = true;
      } else if (v.is_boolean()) {
        f.types.insert("boolean");
      } else if (v.is_number()) {
        f.types.insert("number");
        f.min = std::min(f.min, v.get<double>());
        f.max = std::max(f.max, v.get<double>());
      }
    });
    return true;
  });
  if (sampled) *sampled = n;
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& [name, f] : fields) {
    nlohmann::ordered_json j = {{"field", name}, {"types", f.types}, {"documents", f.documents}};
    if (f.types.count("string") && !f.too_many_values) j["values"] = f.values;
    if (f.types.count("number")) {
      j["min"] = f.min;
      j["max"] = f.max;
    }
    out.push_back(std::move(j));
  }
  return out;
}

nlohmann::ordered_json describe_collection(const Collection& c) {
  const auto i = c.info();
  size_t sampled = 0;
  auto metadata_fields = describe_metadata_fields(*c.snapshot(), kMetadataSample, &sampled);
  return {{"collection", i.dir},
          {"documents", i.documents},
          {"segments", i.segments},
          {"generation", i.generation},
          {"model", i.model_dir},
          {"fingerprint", i.fingerprint},
          {"dense", i.dense},
          {"dense_dim", i.dense_dim},
          {"mv_codec", i.mv_codec},
          {"mv_bits", i.mv_bits},
          {"multivec_dim", i.multivec_dim},
          {"passage_max_length", i.passage_max_length},
          {"bm25_avgdl", i.bm25_avgdl > 0 ? nlohmann::json(i.bm25_avgdl) : nlohmann::json("running")},
          {"weights", default_fusion_weights(c.encoder().fusion_weights())},
          {"metadata_fields", std::move(metadata_fields)},
          {"metadata_sampled", sampled},
          {"bytes", {{"dense_faiss", i.sizes.dense_faiss}, {"dense_raw", i.sizes.dense_raw}, {"sparse", i.sizes.sparse},
                     {"bm25", i.sizes.bm25}, {"multivec", i.sizes.multivec}, {"doc_ids", i.sizes.doc_ids},
                     {"doc_store", i.sizes.doc_store}, {"total", i.sizes.total()}}}};
}

}  // namespace m3
