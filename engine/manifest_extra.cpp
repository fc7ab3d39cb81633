#include "engine/manifest_extra.h"

#include "common/error.h"

namespace m3 {

std::string extra_string(const nlohmann::json& obj, const char* key, const std::string& fallback, const std::string& where) {
  if (!obj.is_object()) throw CorruptionError(where + ": MANIFEST engine data is not an object where '" + key + "' is read");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw CorruptionError(where + ": MANIFEST field '" + key + "' is not a string: " + it->dump().substr(0, 80));
  return it->get<std::string>();
}

int64_t extra_integer(const nlohmann::json& obj, const char* key, int64_t fallback, int64_t min, int64_t max,
                      const std::string& where) {
  if (!obj.is_object()) throw CorruptionError(where + ": MANIFEST engine data is not an object where '" + key + "' is read");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_number_integer())
    throw CorruptionError(where + ": MANIFEST field '" + key + "' is not an integer: " + it->dump().substr(0, 80));
  // Unsigned values above int64's range and negative ones are told apart before converting.
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(max))
    throw CorruptionError(where + ": MANIFEST field '" + key + "' is out of range: " + it->dump());
  const int64_t v = it->get<int64_t>();
  if (v < min || v > max) throw CorruptionError(where + ": MANIFEST field '" + key + "' is out of range: " + it->dump());
  return v;
}

}  // namespace m3
