#include "index/index_settings.h"

#include <cstdint>

#include "common/error.h"
#include "common/json_input.h"
#include "index/multivec_codec.h"

namespace m3 {

void IndexSettings::validate() const {
  if (dense_dim < 0 || dense_dim > 65536) throw UsageError("dense_dim out of range: " + std::to_string(dense_dim));
  if (multivec_dim < 0 || multivec_dim > 65536) throw UsageError("multivec_dim out of range: " + std::to_string(multivec_dim));
  MvCodec c = parse_mv_codec(mv_codec);
  check_mv_bits(c, mv_bits);
  if (multivec_dim > 0 && c == MvCodec::Binary && multivec_dim % 8)
    throw UsageError("mv_codec binary needs multivec_dim divisible by 8, got " + std::to_string(multivec_dim));
  if (multivec_dim > 0 && c == MvCodec::Residual && (multivec_dim * mv_bits) % 8)
    throw UsageError("mv_codec residual needs multivec_dim·mv_bits divisible by 8");
  if (dense_factory.empty()) throw UsageError("dense_factory must not be empty");
  if (!(bm25_k1 > 0) || !(bm25_b >= 0 && bm25_b <= 1)) throw UsageError("bm25 k1 must be > 0 and b in [0, 1]");
  if (!(bm25_avgdl >= 0 && bm25_avgdl <= kMaxBm25Avgdl))
    throw UsageError("bm25_avgdl must be 0 (running average) or a length up to " + std::to_string(int(kMaxBm25Avgdl)) +
                     " tokens, got " + std::to_string(bm25_avgdl));
  if (merge_factor < 2) throw UsageError("merge_factor must be >= 2, got " + std::to_string(merge_factor));
}

nlohmann::json IndexSettings::to_json() const {
  nlohmann::json j = {{"dense_dim", dense_dim}, {"multivec_dim", multivec_dim}, {"dense_factory", dense_factory},
                      {"mv_codec", mv_codec},   {"mv_bits", mv_bits},           {"bm25_k1", bm25_k1},
                      {"bm25_b", bm25_b},       {"merge_factor", merge_factor}, {"extra", extra}};
  if (bm25_avgdl > 0) j["bm25_avgdl"] = bm25_avgdl;  // absent: running (MANIFESTs from before it existed)
  return j;
}

IndexSettings IndexSettings::from_json(const nlohmann::json& j, const std::string& what) {
  IndexSettings s;
  try {
    // Numbers through json_input.h's checked reads: get<int>() of 1e21 is undefined behaviour.
    s.dense_dim = int(json_integer(j.at("dense_dim"), INT32_MIN, INT32_MAX, what + ": settings.dense_dim"));
    s.multivec_dim = int(json_integer(j.at("multivec_dim"), INT32_MIN, INT32_MAX, what + ": settings.multivec_dim"));
    s.dense_factory = j.at("dense_factory").get<std::string>();
    s.mv_codec = j.at("mv_codec").get<std::string>();
    s.mv_bits = int(json_integer(j.at("mv_bits"), INT32_MIN, INT32_MAX, what + ": settings.mv_bits"));
    if (j.contains("bm25_k1")) s.bm25_k1 = float(json_number(j.at("bm25_k1"), -1e30, 1e30, what + ": settings.bm25_k1"));
    if (j.contains("bm25_b")) s.bm25_b = float(json_number(j.at("bm25_b"), -1e30, 1e30, what + ": settings.bm25_b"));
    if (j.contains("bm25_avgdl")) s.bm25_avgdl = json_number(j.at("bm25_avgdl"), -1e30, 1e30, what + ": settings.bm25_avgdl");
    if (j.contains("merge_factor")) s.merge_factor = int(json_integer(j.at("merge_factor"), INT32_MIN, INT32_MAX, what + ": settings.merge_factor"));
    s.extra = j.value("extra", nlohmann::json::object());
  } catch (const nlohmann::json::exception& e) {
    throw CorruptionError(what + ": settings: " + e.what());
  }
  s.validate();
  return s;
}

}  // namespace m3
