#include "encoder/fusion_weights.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/json_input.h"

namespace m3 {

namespace {

// `short_form` numbers (the mode's own heads) or 4 (with BM25's weight last).
HeadWeights weights_of(const nlohmann::json& j, const char* mode, size_t short_form, const std::string& where) {
  if (!j.is_array() || (j.size() != short_form && j.size() != 4))
    throw Error(where + ": \"" + mode + "\" must be a list of " + std::to_string(short_form) + " numbers, or 4 with BM25's weight last");
  HeadWeights w{0.f, 0.f, 0.f, 0.f};
  bool any = false;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_number()) throw Error(where + ": \"" + mode + "\" holds a value that is not a number");
    const double v = j[i].get<double>();
    if (!std::isfinite(v) || v < 0)
      throw Error(where + ": \"" + mode + "\" weight " + std::to_string(v) + " is negative or not finite");
    w[i] = static_cast<float>(v);
    any = any || v > 0;
  }
  if (!any) throw Error(where + ": \"" + mode + "\" weights are all zero");
  return w;
}

}  // namespace

FusionWeights read_fusion_weights(const std::string& model_dir) {
  const std::string path = model_dir + "/" + kFusionWeightsFile;
  FusionWeights fw;
  if (!std::filesystem::exists(path)) return fw;
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j;
  j = parse_json_input(ss.str(), path, JsonLimits{1u << 20, 16});
  if (!j.is_object()) throw Error(path + ": expected a JSON object");
  if (j.contains("dense+sparse")) {
    fw.dense_sparse = weights_of(j["dense+sparse"], "dense+sparse", 2, path);
    if ((*fw.dense_sparse)[kMultivecHead] != 0) throw Error(path + ": \"dense+sparse\" has no multivec head; its third weight must be 0");
  }
  if (j.contains("all")) fw.all = weights_of(j["all"], "all", 3, path);
  return fw;
}

}  // namespace m3
