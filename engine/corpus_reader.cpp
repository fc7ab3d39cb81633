#include "engine/corpus_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_input.h"
#include "common/utf8.h"
#include "index/doc_store.h"

namespace m3 {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
constexpr size_t kMaxLineBytes = 64u << 20;  // a longer line is a bad line (read through, not kept)

uint64_t fnv1a(uint64_t h, const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 0x100000001b3ull;
  }
  return h;
}
}  // namespace

void strip_bom(std::string& s) {
  if (s.size() >= 3 && static_cast<unsigned char>(s[0]) == 0xEF && static_cast<unsigned char>(s[1]) == 0xBB &&
      static_cast<unsigned char>(s[2]) == 0xBF)
    s.erase(0, 3);
}

CorpusFormat corpus_format_of(const std::string& path) {
  std::string p = ends_with(path, ".gz") ? path.substr(0, path.size() - 3) : path;
  if (ends_with(p, ".jsonl") || ends_with(p, ".json") || ends_with(p, ".ndjson")) return CorpusFormat::Jsonl;
  if (ends_with(p, ".tsv") || ends_with(p, ".txt")) return CorpusFormat::Tsv;
  throw UsageError(path + ": unknown corpus format (expected .jsonl or .tsv, optionally .gz)");
}

CorpusReader::CorpusReader(const std::string& path, size_t buffer_bytes) : path_(path), format_(corpus_format_of(path)) {
  gz_ = gzopen(path.c_str(), "rb");
  if (!gz_) {
    if (errno == ENOENT) throw NotFoundError(path + ": no such corpus file");
    throw IoError(path + ": cannot open corpus file (" + std::strerror(errno) + ")");
  }
  buffer_bytes = std::max<size_t>(buffer_bytes, 64);  // zlib's gzbuffer needs at least 2 bytes
  gzbuffer(static_cast<gzFile>(gz_), static_cast<unsigned>(std::min<size_t>(buffer_bytes, 1u << 30)));
  buf_.resize(buffer_bytes);
}

CorpusReader::~CorpusReader() {
  if (gz_) gzclose(static_cast<gzFile>(gz_));
}

// Refills the buffer; false at a clean end of the stream. A stream error (corrupt or truncated gzip,
// an OS read error) is remembered and thrown now and on every later call: reading cannot go on past
// it, so a caller that skips bad lines must not loop on it.
bool CorpusReader::fill() {
  const std::string where = path_ + ":" + std::to_string(pos_.lines + 1);
  if (!failure_.empty()) {
    if (failure_is_io_) throw IoError(failure_);
    throw CorruptionError(failure_);
  }
  if (eof_) return false;
  auto* gz = static_cast<gzFile>(gz_);
  const int n = gzread(gz, buf_.data(), static_cast<unsigned>(buf_.size()));
  int err = Z_OK;
  const char* msg = gzerror(gz, &err);
  if (n > 0) {
    buf_pos_ = 0;
    buf_len_ = size_t(n);
    return true;
  }
  if (n == 0 && (err == Z_OK || err == Z_STREAM_END)) {
    eof_ = true;
    return false;
  }
  failure_is_io_ = err == Z_ERRNO;
  failure_ = where + ": cannot read on: " +
             (err == Z_ERRNO ? std::string(std::strerror(errno))
                             : std::string(msg && *msg ? msg : "read error") + " (corrupt or truncated gzip data?)");
  if (failure_is_io_) throw IoError(failure_);
  throw CorruptionError(failure_);
}

bool CorpusReader::read_line(std::string& out) {
  out.clear();
  bool any = false, overlong = false;
  while (true) {
    if (buf_pos_ == buf_len_ && !fill()) {
      if (!any) return false;
      break;  // last line without a newline
    }
    any = true;
    const char* start = buf_.data() + buf_pos_;
    const size_t avail = buf_len_ - buf_pos_;
    const void* nl = std::memchr(start, '\n', avail);
    const size_t take = nl ? size_t(static_cast<const char*>(nl) - start) + 1 : avail;
    pos_.hash = fnv1a(pos_.hash, start, take);
    pos_.bytes += take;
    if (!overlong) {
      if (out.size() + take > kMaxLineBytes + 2) {
        overlong = true;
        out.clear();
      } else {
        out.append(start, take);
      }
    }
    buf_pos_ += take;
    if (nl) break;
  }
  ++pos_.lines;
  if (overlong) {
    out.clear();
    throw InvalidInputError(path_ + ":" + std::to_string(pos_.lines) + ": line longer than " +
                            std::to_string(kMaxLineBytes) + " bytes");
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return true;
}

bool CorpusReader::skip_to_line(size_t n) {
  std::string discard;
  while (pos_.lines < n) {
    try {
      if (!read_line(discard)) return false;
    } catch (const InvalidInputError&) {  // an over-long line is still a line
    }
  }
  return true;
}

namespace {
void check_docid(const std::string& docid, const std::string& where) {
  try {
    validate_docid(docid);
  } catch (const Error& e) {
    throw InvalidInputError(where + ": bad docid: " + e.what());
  }
}
}  // namespace

Document CorpusReader::parse_json_document(const std::string& text, const std::string& where) {
  nlohmann::json j = parse_json_input(text, where);
  if (!j.is_object()) throw InvalidInputError(where + ": expected a JSON object");
  Document d;
  const char* id_key = j.contains("docid") ? "docid" : j.contains("_id") ? "_id" : j.contains("id") ? "id" : nullptr;
  if (!id_key) throw InvalidInputError(where + ": missing \"docid\"");
  const auto& id = j[id_key];
  if (id.is_string()) d.docid = id.get<std::string>();
  else if (id.is_number_integer()) d.docid = std::to_string(id.get<long long>());
  else throw InvalidInputError(where + ": \"docid\" must be a string or an integer");
  check_docid(d.docid, where);
  if (!j.contains("text") || !j["text"].is_string()) throw InvalidInputError(where + ": missing or non-string \"text\"");
  d.text = j["text"].get<std::string>();
  strip_bom(d.text);
  if (j.contains("title")) {
    if (!j["title"].is_string() && !j["title"].is_null()) throw InvalidInputError(where + ": \"title\" must be a string");
    if (j["title"].is_string()) d.title = j["title"].get<std::string>();
    strip_bom(d.title);
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
    strip_bom(line);  // some corpora begin lines (not only the file) with U+FEFF
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = path_ + ":" + std::to_string(pos_.lines);
    const size_t nul = line.find('\0');
    if (nul != std::string::npos) throw InvalidInputError(where + ": raw NUL byte at byte " + std::to_string(nul));
    size_t bad = find_invalid_utf8(line);
    if (bad != std::string::npos) throw InvalidInputError(where + ": invalid UTF-8 at byte " + std::to_string(bad));
    if (format_ == CorpusFormat::Jsonl) {
      doc = parse_json_document(line, where);
    } else {
      const size_t tab = line.find('\t');
      if (tab == std::string::npos) throw InvalidInputError(where + ": expected docid<TAB>text");
      doc = Document{};
      doc.docid = line.substr(0, tab);
      const size_t tab2 = line.find('\t', tab + 1);
      doc.text = line.substr(tab + 1, tab2 == std::string::npos ? std::string::npos : tab2 - tab - 1);
      strip_bom(doc.text);
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
      check_docid(doc.docid, where);
    }
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
