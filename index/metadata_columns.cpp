#include "index/metadata_columns.h"

#include <algorithm>

namespace m3 {
namespace {

void flatten(const nlohmann::json& v, const std::string& path, int depth,
             const std::function<void(const std::string&, const nlohmann::json&)>& fn) {
  if ((v.is_object() || v.is_array()) && depth >= kMaxMetadataDepth) return;
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      flatten(it.value(), path.empty() ? it.key() : path + "." + it.key(), depth + 1, fn);
  } else if (v.is_array()) {
    for (const auto& e : v) flatten(e, path, depth + 1, fn);
  } else if (v.is_string() || v.is_number() || v.is_boolean()) {
    if (!path.empty()) fn(path, v);
  }
}

}  // namespace

void for_each_metadata_value(const nlohmann::json& metadata,
                             const std::function<void(const std::string&, const nlohmann::json&)>& fn) {
  if (metadata.is_object()) flatten(metadata, "", 0, fn);
}

void MetadataColumns::add(uint32_t row, const std::string& metadata_json) {
  if (metadata_json.empty() || metadata_json == "{}") return;
  nlohmann::json j = nlohmann::json::parse(metadata_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return;
  for_each_metadata_value(j, [&](const std::string& path, const nlohmann::json& v) {
    MetadataColumn& c = fields_[path];
    if (v.is_string()) c.strings[v.get_ref<const std::string&>()].push_back(row);
    else if (v.is_boolean()) (v.get<bool>() ? c.true_rows : c.false_rows).push_back(row);
    else c.numbers.emplace_back(v.get<double>(), row);
  });
}

void MetadataColumns::finish() {
  for (auto& [name, c] : fields_) std::sort(c.numbers.begin(), c.numbers.end());
}

const MetadataColumn* MetadataColumns::field(const std::string& path) const {
  auto it = fields_.find(path);
  return it == fields_.end() ? nullptr : &it->second;
}

size_t MetadataColumns::bytes() const {
  size_t b = 0;
  for (const auto& [name, c] : fields_) {
    b += name.size() + sizeof(c);
    for (const auto& [v, rows] : c.strings) b += v.size() + 48 + rows.capacity() * sizeof(uint32_t);
    b += (c.true_rows.capacity() + c.false_rows.capacity()) * sizeof(uint32_t);
    b += c.numbers.capacity() * sizeof(c.numbers[0]);
  }
  return b;
}

}  // namespace m3
