#include "index/manifest.h"

#include <cstdio>

#include "common/error.h"
#include "common/json_input.h"
#include "index/file_io.h"

namespace m3 {
namespace {

using json = nlohmann::json;

std::string hex(uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}
json file_json(const FileEntry& f) { return {{"name", f.name}, {"size", f.size}, {"xxh3", hex(f.xxh3)}}; }
// Exactly 16 hex digits, as hex() writes them. std::stoull threw std::out_of_range past 64 bits and
// accepted "-1", " 12" or "12zz" (tests/fuzz/fuzz_manifest.cpp, with the MANIFEST checksum recomputed).
uint64_t parse_hex64(const std::string& s) {
  if (s.size() != 16 || s.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    throw CorruptionError("checksum '" + s + "' is not 16 hex digits");
  return std::stoull(s, nullptr, 16);
}
FileEntry file_from(const json& j) {
  FileEntry f;
  f.name = j.at("name").get<std::string>();
  f.size = json_unsigned(j.at("size"), "size");
  f.xxh3 = parse_hex64(j.at("xxh3").get<std::string>());
  if (f.name.empty() || f.name.find("..") != std::string::npos || f.name[0] == '/') throw CorruptionError("bad file name '" + f.name + "'");
  return f;
}

}  // namespace

std::string Manifest::serialize() const {
  json segs = json::array();
  for (const auto& s : segments) {
    json files = json::array();
    for (const auto& f : s.files) files.push_back(file_json(f));
    segs.push_back({{"name", s.name},
                    {"n_docs", s.n_docs},
                    {"first_doc", s.first_doc},
                    {"last_doc", s.last_doc},
                    {"files", files},
                    {"deletes", s.deletes ? file_json(*s.deletes) : json(nullptr)},
                    {"n_deleted", s.n_deleted},
                    {"dense_factory", s.dense_factory},
                    {"dense_fallback", s.dense_fallback},
                    {"bm25_total_len", s.bm25_total_len}});
  }
  json j = {{"format", "m3-index"},
            {"version", 1},
            {"generation", generation},
            {"next_doc", next_doc},
            {"settings", settings.to_json()},
            {"codebook", codebook ? file_json(*codebook) : json(nullptr)},
            {"segments", segs}};
  std::string body = j.dump();
  j["checksum"] = hex(checksum_bytes(body.data(), body.size()));
  return j.dump(1) + "\n";
}

Manifest Manifest::parse(const std::string& text, const std::string& path) {
  json j;
  try {
    j = parse_json_input(text, path + ": MANIFEST", JsonLimits{256u << 20, 64});
  } catch (const InvalidInputError& e) {
    throw CorruptionError(std::string(e.what()) + " (corrupt or truncated)");
  }
  Manifest m;
  try {
    if (j.value("format", "") != "m3-index") throw CorruptionError("not an m3 index manifest (format field)");
    if (json_integer(j.at("version"), INT64_MIN, INT64_MAX, "version") != 1) throw CorruptionError("unsupported version " + j.at("version").dump());
    std::string sum = j.at("checksum").get<std::string>();
    j.erase("checksum");
    std::string body = j.dump();
    if (hex(checksum_bytes(body.data(), body.size())) != sum) throw CorruptionError("checksum mismatch (corrupt)");
    m.generation = json_unsigned(j.at("generation"), "generation");
    m.next_doc = json_integer(j.at("next_doc"), 0, INT64_MAX, "next_doc");
    m.settings = IndexSettings::from_json(j.at("settings"), path);
    if (!j.at("codebook").is_null()) m.codebook = file_from(j.at("codebook"));
    for (const auto& s : j.at("segments")) {
      SegmentMeta sm;
      sm.name = s.at("name").get<std::string>();
      // Segment directories are seg-<generation>; any other name (a path, "..") would make open()
      // read, and its cleanup remove, outside the collection.
      if (sm.name.rfind("seg-", 0) != 0 || sm.name.find_first_of("/\\") != std::string::npos || sm.name.find("..") != std::string::npos)
        throw CorruptionError("bad segment name '" + sm.name + "'");
      sm.n_docs = json_unsigned(s.at("n_docs"), "n_docs");
      sm.first_doc = json_integer(s.at("first_doc"), INT64_MIN, INT64_MAX, "first_doc");
      sm.last_doc = json_integer(s.at("last_doc"), INT64_MIN, INT64_MAX, "last_doc");
      for (const auto& f : s.at("files")) sm.files.push_back(file_from(f));
      if (!s.at("deletes").is_null()) sm.deletes = file_from(s.at("deletes"));
      sm.n_deleted = json_unsigned(s.at("n_deleted"), "n_deleted");
      sm.dense_factory = s.at("dense_factory").get<std::string>();
      sm.dense_fallback = s.at("dense_fallback").get<std::string>();
      sm.bm25_total_len = json_number(s.at("bm25_total_len"), 0, 1e300, "bm25_total_len");
      m.segments.push_back(std::move(sm));
    }
  } catch (const json::exception& e) {
    throw CorruptionError(path + ": MANIFEST field missing or of the wrong type: " + e.what());
  } catch (const UsageError& e) {
    throw CorruptionError(path + ": " + e.what());
  } catch (const Error& e) {
    throw CorruptionError(path + ": " + e.what());
  }
  return m;
}

FileEntry file_entry(const std::string& dir, const std::string& name) {
  MappedFile f(dir + "/" + name);
  return FileEntry{name, f.size(), f.checksum()};
}

void verify_file(const std::string& dir, const FileEntry& f, bool verify_checksum) {
  std::string path = dir + "/" + f.name;
  MappedFile m(path);
  if (m.size() != f.size)
    throw CorruptionError(path + ": size " + std::to_string(m.size()) + " but the MANIFEST says " + std::to_string(f.size) + " (truncated or corrupt)");
  if (verify_checksum && m.checksum() != f.xxh3) throw CorruptionError(path + ": checksum mismatch (corrupt)");
}

}  // namespace m3
