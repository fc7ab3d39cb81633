// Parallel sentences -> cross-lingual pairs (see prep_sources.h).
#include <map>

#include "common/error.h"
#include "trainer/prep_files.h"
#include "trainer/prep_sources.h"
#include "trainer/rng.h"

namespace m3::trainer {

namespace {

// Picks up to n distinct elements of candidates (in random order).
template <typename T>
std::vector<T> pick(std::vector<T> candidates, int n, Rng& rng) {
  rng.shuffle(candidates);
  if (candidates.size() > static_cast<size_t>(n)) candidates.resize(static_cast<size_t>(n));
  return candidates;
}

struct Pair { size_t a, b; };

// A random ordered pair of distinct languages; with probability english_side one of them is `english`.
Pair language_pair(size_t languages, size_t english, double english_side, Rng& rng) {
  size_t a = rng.below(languages), b = rng.below(languages);
  if (english < languages && rng.uniform() < english_side) {
    if (rng.below(2)) a = english; else b = english;
  }
  while (b == a) b = rng.below(languages);
  return {a, b};
}

}  // namespace

void read_ntrex(const PrepOptions& o, TextCollection& out) {
  const std::string dir = o.data_root + "/parallel/ntrex128";
  std::vector<std::string> files = list_files(dir, "newstest2019-src.", ".txt.gz");
  for (auto& f : list_files(dir, "newstest2019-ref.", ".txt.gz")) files.push_back(f);
  if (files.size() < 2) return;
  std::vector<std::vector<std::string>> lines;  // [language][line]
  size_t english = files.size();
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i].find("newstest2019-src.eng") != std::string::npos) english = i;
    lines.push_back(split_lines(read_text_file(files[i])));
    while (!lines.back().empty() && lines.back().back().empty()) lines.back().pop_back();
    if (lines.back().size() != lines.front().size())
      throw Error(files[i] + ": " + std::to_string(lines.back().size()) + " lines, expected " + std::to_string(lines.front().size()) +
                  " (NTREX files are line-aligned)");
  }
  auto docs = split_lines(read_text_file(dir + "/DOCUMENT_IDS.tsv.gz"));
  const size_t n = lines.front().size();
  docs.resize(n);
  // Lines of each document, for hard negatives: same topic, different sentence.
  std::map<std::string, std::vector<size_t>> doc_lines;
  for (size_t i = 0; i < n; ++i) doc_lines[docs[i]].push_back(i);

  Rng rng = Rng::derive(o.seed, 0x17E3);
  for (size_t i = 0; i < n; ++i) {
    std::vector<size_t> others;
    for (size_t j : doc_lines[docs[i]])
      if (j != i) others.push_back(j);
    for (int k = 0; k < o.ntrex_pairs_per_line; ++k) {
      const auto [a, b] = language_pair(lines.size(), english, o.english_side, rng);
      const auto& q = lines[a][i];
      const auto& p = lines[b][i];
      if (trim(q).empty() || trim(p).empty() || q == p) continue;
      TextExample e{"ntrex", trim(q), {trim(p)}, {}};
      for (size_t j : pick(others, o.max_negatives, rng))
        if (!trim(lines[b][j]).empty()) e.neg.push_back(trim(lines[b][j]));
      out.examples.push_back(std::move(e));
    }
  }
}

namespace {
// verse id ("b.MAT.1.1") -> text, from a CES XML Bible: the text sits between <seg ...> and </seg>.
std::map<std::string, std::string> read_verses(const std::string& path) {
  std::map<std::string, std::string> verses;
  const std::string xml = read_text_file(path);
  size_t at = 0;
  while ((at = xml.find("<seg id=\"", at)) != std::string::npos) {
    const size_t id_begin = at + 9, id_end = xml.find('"', id_begin);
    const size_t body = xml.find('>', id_end), close = xml.find("</seg>", body);
    if (id_end == std::string::npos || body == std::string::npos || close == std::string::npos) break;
    std::string text = trim(xml.substr(body + 1, close - body - 1));
    for (auto& c : text)
      if (c == '\n' || c == '\t' || c == '\r') c = ' ';
    if (!text.empty()) verses[xml.substr(id_begin, id_end - id_begin)] = text;
    at = close;
  }
  return verses;
}

// "b.MAT.1.7" -> ("b.MAT.1", 7)
std::pair<std::string, int> chapter_and_verse(const std::string& id) {
  const auto dot = id.rfind('.');
  return {id.substr(0, dot), std::atoi(id.c_str() + dot + 1)};
}
}  // namespace

void read_bible(const PrepOptions& o, TextCollection& out) {
  const auto files = list_files(o.data_root + "/parallel/bible-corpus", "", ".xml.gz");
  if (files.size() < 2) return;
  std::vector<std::map<std::string, std::string>> bibles;
  for (const auto& f : files) bibles.push_back(read_verses(f));
  Rng rng = Rng::derive(o.seed, 0xB1B1E);
  for (const auto& [id, first_text] : bibles.front()) {
    (void)first_text;
    const auto [chapter, verse] = chapter_and_verse(id);
    for (int k = 0; k < o.bible_pairs_per_verse; ++k) {
      const auto [a, b] = language_pair(bibles.size(), bibles.size(), 0, rng);
      auto qa = bibles[a].find(id), pb = bibles[b].find(id);
      if (qa == bibles[a].end() || pb == bibles[b].end()) continue;
      TextExample e{"bible", qa->second, {pb->second}, {}};
      // Neighbouring verses of the chapter: the hardest negatives this corpus has.
      const std::vector<int> offsets{-4, -3, -2, -1, 1, 2, 3, 4};
      for (int d : pick(offsets, o.max_negatives, rng)) {
        auto it = bibles[b].find(chapter + "." + std::to_string(verse + d));
        if (it != bibles[b].end()) e.neg.push_back(it->second);
      }
      out.examples.push_back(std::move(e));
    }
  }
}

}  // namespace m3::trainer
