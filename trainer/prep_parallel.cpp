// Line- and sentence-aligned parallel corpora -> cross-lingual pairs (see prep_sources.h): NTREX-128, PUD.
#include <map>

#include "common/error.h"
#include "trainer/prep_files.h"
#include "trainer/prep_pairs.h"
#include "trainer/prep_sources.h"
#include "trainer/rng.h"

namespace m3::trainer {

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
        if (!trim(lines[b][j]).empty() && trim(lines[b][j]) != e.pos[0]) e.neg.push_back(trim(lines[b][j]));
      out.examples.push_back(std::move(e));
    }
  }
}

namespace {
// sent_id -> text of one PUD CoNLL-U file (its "# sent_id = " and "# text = " comment lines).
std::map<std::string, std::string> read_pud_sentences(const std::string& path) {
  std::map<std::string, std::string> sentences;
  std::string id;
  for (const auto& line : split_lines(read_text_file(path))) {
    if (line.rfind("# sent_id = ", 0) == 0) id = trim(line.substr(12));
    else if (line.rfind("# text = ", 0) == 0 && !id.empty()) sentences[id] = trim(line.substr(9));
  }
  return sentences;
}
}  // namespace

void read_pud(const PrepOptions& o, TextCollection& out) {
  const auto files = list_files(o.data_root + "/parallel/ud-pud", "", "_pud-ud-test.conllu.gz");
  if (files.size() < 2) return;
  std::vector<std::map<std::string, std::string>> languages;
  size_t english = files.size();
  for (size_t i = 0; i < files.size(); ++i) {
    const auto name = files[i].substr(files[i].rfind('/') + 1);
    if (name.rfind("en_", 0) == 0) english = i;
    languages.push_back(read_pud_sentences(files[i]));
  }
  // Sentences of one document ("n01001011": document n01001, sentence 011) for hard negatives.
  std::map<std::string, std::vector<std::string>> doc_sentences;
  for (const auto& [id, text] : languages.front()) doc_sentences[id.substr(0, id.size() > 3 ? id.size() - 3 : 0)].push_back(id);
  Rng rng = Rng::derive(o.seed, 0x9DD);
  for (const auto& [id, first_text] : languages.front()) {
    (void)first_text;
    std::vector<std::string> others;
    for (const auto& j : doc_sentences[id.substr(0, id.size() > 3 ? id.size() - 3 : 0)])
      if (j != id) others.push_back(j);
    for (int k = 0; k < o.pud_pairs_per_sentence; ++k) {
      const auto [a, b] = language_pair(languages.size(), english, o.english_side, rng);
      auto q = languages[a].find(id), p = languages[b].find(id);
      if (q == languages[a].end() || p == languages[b].end() || q->second == p->second) continue;
      TextExample e{"pud", q->second, {p->second}, {}};
      for (const auto& j : pick(others, o.max_negatives, rng)) {
        auto n = languages[b].find(j);
        if (n != languages[b].end() && n->second != e.pos[0]) e.neg.push_back(n->second);
      }
      out.examples.push_back(std::move(e));
    }
  }
}

}  // namespace m3::trainer
