#include "encoder/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_input.h"

namespace m3 {

TensorMap read_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(path + ": cannot open safetensors file");
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  if (file_size < 8) throw Error(path + ": truncated safetensors file (" + std::to_string(file_size) + " bytes, no header length)");
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  if (header_len > file_size - 8 || header_len > (100ull << 20))
    throw Error(path + ": truncated safetensors header (header says " + std::to_string(header_len) + " bytes, file has " +
                std::to_string(file_size - 8) + ")");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  nlohmann::json j;
  j = parse_json_input(header, path + ": safetensors header", JsonLimits{100u << 20, 16});
  if (!j.is_object()) throw Error(path + ": safetensors header is not a JSON object");
  const uint64_t buffer_size = file_size - 8 - header_len;

  struct Entry { std::string name; uint64_t begin, end; };
  std::vector<Entry> entries;
  TensorMap out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const std::string where = path + ": tensor '" + it.key() + "'";
    const auto& v = it.value();
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
      throw Error(where + " lacks dtype, shape or data_offsets");
    RawTensor t;
    try {
      t.dtype = dtype_from_name(v["dtype"].get<std::string>(), where);
      t.shape = v["shape"].get<std::vector<int64_t>>();
      auto offs = v["data_offsets"].get<std::vector<uint64_t>>();
      if (offs.size() != 2 || offs[0] > offs[1]) throw Error(where + ": bad data_offsets");
      entries.push_back({it.key(), offs[0], offs[1]});
    } catch (const nlohmann::json::exception&) {
      throw Error(where + ": malformed dtype, shape or data_offsets");
    }
    for (auto s : t.shape) if (s < 0) throw Error(where + ": negative dimension");
    const uint64_t expect = static_cast<uint64_t>(t.numel()) * dtype_size(t.dtype);
    if (entries.back().end - entries.back().begin != expect)
      throw Error(where + ": " + std::to_string(entries.back().end - entries.back().begin) + " bytes for shape " +
                  t.shape_string() + " of " + dtype_name(t.dtype) + " (expected " + std::to_string(expect) + ")");
    if (entries.back().end > buffer_size)
      throw Error(where + ": data ends at byte " + std::to_string(entries.back().end) + " but the buffer has only " +
                  std::to_string(buffer_size) + " (truncated file?)");
    out.emplace(it.key(), std::move(t));
  }
  // Offsets must tile the buffer: sorted, no overlap, no gap (the format's own rule).
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  uint64_t cursor = 0;
  for (const auto& e : entries) {
    if (e.begin != cursor) throw Error(path + ": tensor '" + e.name + "' overlaps or leaves a gap in the buffer");
    cursor = e.end;
  }
  for (const auto& e : entries) {
    auto& t = out[e.name];
    t.data.resize(e.end - e.begin);
    in.seekg(static_cast<std::streamoff>(8 + header_len + e.begin));
    in.read(t.data.data(), static_cast<std::streamsize>(t.data.size()));
    if (!in) throw Error(path + ": read failed for tensor '" + e.name + "'");
  }
  return out;
}

void write_safetensors(const std::string& path, const TensorMap& tensors) {
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = {{"format", "pt"}};
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    header[name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.data.size()}}};
    offset += t.data.size();
  }
  std::string h = header.dump();
  while ((8 + h.size()) % 8 != 0) h.push_back(' ');
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(tmp + ": cannot write");
    unsigned char len[8];
    uint64_t n = h.size();
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    out.write(reinterpret_cast<char*>(len), 8);
    out.write(h.data(), static_cast<std::streamsize>(h.size()));
    for (const auto& [name, t] : tensors) out.write(t.data.data(), static_cast<std::streamsize>(t.data.size()));
    if (!out) throw Error(tmp + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error(path + ": rename failed");
}

}  // namespace m3
