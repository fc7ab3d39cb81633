#include "engine/corpus_reader.h"

#include <zlib.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/utf8.h"

namespace m3 {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

CorpusFormat corpus_format_of(const std::string& path) {
  std::string p = ends_with(path, ".gz") ? path.substr(0, path.size() - 3) : path;
  if (ends_with(p, ".jsonl") || ends_with(p, ".json") || ends_with(p, ".ndjson")) return CorpusFormat::Jsonl;
  if (ends_with(p, ".tsv") || ends_with(p, ".txt")) return CorpusFormat::Tsv;
  throw UsageError(path + ": unknown corpus format (expected .jsonl or .tsv, optionally .gz)");
}

CorpusReader::CorpusReader(const std::string& path) : path_(path), format_(corpus_format_of(path)) {
  gz_ = gzopen(path.c_str(), "rb");
  if (!gz_) throw Error(path + ": cannot open corpus file");
  gzbuffer(static_cast<gzFile>(gz_), 1 << 20);
}

CorpusReader::~CorpusReader() {
  if (gz_) gzclose(static_cast<gzFile>(gz_));
}

bool CorpusReader::read_line(std::string& out) {
  out.clear();
  char buf[1 << 16];
  auto* gz = static_cast<gzFile>(gz_);
  while (true) {
    char* r = gzgets(gz, buf, sizeof buf);
    if (!r) {
      int err = 0;
      const char* msg = gzerror(gz, &err);
      if (err != Z_OK && err != Z_STREAM_END) throw Error(path_ + ":" + std::to_string(line_ + 1) + ": read error (" + msg + ")");
      if (out.empty()) return false;
      break;
    }
    out += r;
    if (!out.empty() && out.back() == '\n') break;
  }
  ++line_;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return true;
}

bool CorpusReader::skip_to_line(size_t n) {
  std::string discard;
  while (line_ < n)
    if (!read_line(discard)) return false;
  return true;
}

Document CorpusReader::parse_json_document(const std::string& text, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(where + ": broken JSON (" + std::string(e.what()) + ")");
  }
  if (!j.is_object()) throw Error(where + ": expected a JSON object");
  Document d;
  const char* id_key = j.contains("docid") ? "docid" : j.contains("_id") ? "_id" : j.contains("id") ? "id" : nullptr;
  if (!id_key) throw Error(where + ": missing \"docid\"");
  const auto& id = j[id_key];
  if (id.is_string()) d.docid = id.get<std::string>();
  else if (id.is_number_integer()) d.docid = std::to_string(id.get<long long>());
  else throw Error(where + ": \"docid\" must be a string or an integer");
  if (!j.contains("text") || !j["text"].is_string()) throw Error(where + ": missing or non-string \"text\"");
  d.text = j["text"].get<std::string>();
  if (j.contains("title")) {
    if (!j["title"].is_string() && !j["title"].is_null()) throw Error(where + ": \"title\" must be a string");
    if (j["title"].is_string()) d.title = j["title"].get<std::string>();
  }
  nlohmann::json meta = nlohmann::json::object();
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != id_key && it.key() != "text" && it.key() != "title") meta[it.key()] = it.value();
  d.metadata_json = meta.dump();
  return d;
}

bool CorpusReader::next(Document& doc) {
  std::string line;
  while (read_line(line)) {
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = path_ + ":" + std::to_string(line_);
    size_t bad = find_invalid_utf8(line);
    if (bad != std::string::npos) throw Error(where + ": invalid UTF-8 at byte " + std::to_string(bad));
    if (format_ == CorpusFormat::Jsonl) {
      doc = parse_json_document(line, where);
    } else {
      const size_t tab = line.find('\t');
      if (tab == std::string::npos) throw Error(where + ": expected docid<TAB>text");
      doc = Document{};
      doc.docid = line.substr(0, tab);
      const size_t tab2 = line.find('\t', tab + 1);
      doc.text = line.substr(tab + 1, tab2 == std::string::npos ? std::string::npos : tab2 - tab - 1);
      if (tab2 != std::string::npos) {
        nlohmann::json cols = nlohmann::json::array();
        size_t start = tab2 + 1;
        while (true) {
          size_t t = line.find('\t', start);
          cols.push_back(line.substr(start, t == std::string::npos ? std::string::npos : t - start));
          if (t == std::string::npos) break;
          start = t + 1;
        }
        doc.metadata_json = nlohmann::json{{"columns", cols}}.dump();
      }
    }
    if (doc.docid.empty()) throw Error(where + ": empty docid");
    return true;
  }
  return false;
}

size_t count_lines(const std::string& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) return 0;
  size_t n = 0;
  char buf[1 << 16];
  int got;
  char last = '\n';
  while ((got = gzread(gz, buf, sizeof buf)) > 0) {
    for (int i = 0; i < got; ++i) n += buf[i] == '\n';
    last = buf[got - 1];
  }
  gzclose(gz);
  return n + (last != '\n');
}

}  // namespace m3
