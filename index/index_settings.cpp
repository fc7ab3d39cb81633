#include "index/index_settings.h"

#include "common/error.h"
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
  if (merge_factor < 2) throw UsageError("merge_factor must be >= 2, got " + std::to_string(merge_factor));
}

nlohmann::json IndexSettings::to_json() const {
  return {{"dense_dim", dense_dim}, {"multivec_dim", multivec_dim}, {"dense_factory", dense_factory},
          {"mv_codec", mv_codec},   {"mv_bits", mv_bits},           {"bm25_k1", bm25_k1},
          {"bm25_b", bm25_b},       {"merge_factor", merge_factor}, {"extra", extra}};
}

IndexSettings IndexSettings::from_json(const nlohmann::json& j, const std::string& what) {
  IndexSettings s;
  try {
    s.dense_dim = j.at("dense_dim").get<int>();
    s.multivec_dim = j.at("multivec_dim").get<int>();
    s.dense_factory = j.at("dense_factory").get<std::string>();
    s.mv_codec = j.at("mv_codec").get<std::string>();
    s.mv_bits = j.at("mv_bits").get<int>();
    s.bm25_k1 = j.value("bm25_k1", 0.9f);
    s.bm25_b = j.value("bm25_b", 0.4f);
    s.merge_factor = j.value("merge_factor", 8);
    s.extra = j.value("extra", nlohmann::json::object());
  } catch (const nlohmann::json::exception& e) {
    throw CorruptionError(what + ": settings: " + e.what());
  }
  s.validate();
  return s;
}

}  // namespace m3
