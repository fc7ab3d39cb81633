// Shared set-up for engine tests: the tiny fixture encoder (loaded once) and small corpora.
#pragma once
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "engine/collection.h"
#include "engine/corpus_reader.h"

namespace m3::testing {

inline std::string tiny_model() { return std::string(M3_SOURCE_DIR) + "/tests/fixtures/tiny-m3"; }

inline std::shared_ptr<const Encoder> tiny_encoder() {
  static std::shared_ptr<const Encoder> enc = [] {
    EncoderOptions o;
    o.max_length = 64;
    o.threads = 1;
    return std::shared_ptr<const Encoder>(Encoder::load(tiny_model(), o));
  }();
  return enc;
}

inline std::string fresh_dir(const std::string& tag) {
  std::string t = "/tmp/m3eng_" + tag + "_XXXXXX";
  std::string d = mkdtemp(t.data());
  return d + "/col";  // the collection dir itself must not exist yet
}

// Deterministic multilingual-ish documents built from a small word list (generated, not copied).
inline std::vector<Document> synthetic_docs(size_t n, unsigned seed = 1) {
  static const char* words[] = {"search", "engine", "vector", "dense", "sparse", "token", "index", "query", "chat", "maison",
                                "Katze", "Haus", "кошка", "дом", "猫", "家", "rain", "pluie", "Regen", "дождь", "雨", "file",
                                "fichier", "Datei", "файл", "image", "Bild", "document", "network", "réseau"};
  std::vector<Document> out;
  unsigned s = seed;
  auto rnd = [&] { s = s * 1103515245u + 12345u; return (s >> 16) & 0x7fff; };
  for (size_t i = 0; i < n; ++i) {
    Document d;
    d.docid = "d" + std::to_string(i);
    d.title = (i % 3 == 0) ? std::string(words[rnd() % 30]) : "";
    const size_t len = 3 + rnd() % 20;
    for (size_t w = 0; w < len; ++w) d.text += std::string(w ? " " : "") + words[rnd() % 30];
    out.push_back(d);
  }
  return out;
}

inline void write_jsonl(const std::string& path, const std::vector<Document>& docs) {
  std::ofstream out(path);
  for (const auto& d : docs)
    out << nlohmann::json{{"docid", d.docid}, {"title", d.title}, {"text", d.text}, {"extra", 7}}.dump() << "\n";
}

// The reader's next document must fail with an E whose message holds `needle` (e.g. "file:2: ...").
template <typename E>
void expect_next_fails(CorpusReader& reader, const std::string& needle) {
  Document d;
  try {
    reader.next(d);
    ADD_FAILURE() << "expected an error holding '" << needle << "', got document " << d.docid;
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace m3::testing
