#include "engine/collection_description.h"

#include <cstdio>

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
  return {{"dense+sparse", {shown(ds[0]), shown(ds[1])}}, {"all", {shown(all[0]), shown(all[1]), shown(all[2])}},
          {"from", model.all || model.dense_sparse ? std::string(kFusionWeightsFile) : std::string("the paper")}};
}

nlohmann::ordered_json describe_collection(const Collection& c) {
  const auto i = c.info();
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
          {"weights", default_fusion_weights(c.encoder().fusion_weights())},
          {"bytes", {{"dense_faiss", i.sizes.dense_faiss}, {"dense_raw", i.sizes.dense_raw}, {"sparse", i.sizes.sparse},
                     {"bm25", i.sizes.bm25}, {"multivec", i.sizes.multivec}, {"doc_ids", i.sizes.doc_ids},
                     {"doc_store", i.sizes.doc_store}, {"total", i.sizes.total()}}}};
}

}  // namespace m3
