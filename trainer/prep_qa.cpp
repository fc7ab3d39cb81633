// Question -> paragraph pairs; hard negatives are the other paragraphs of the same article.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "trainer/prep_files.h"
#include "trainer/prep_holdout.h"
#include "trainer/prep_sources.h"
#include "trainer/rng.h"

namespace m3::trainer {

namespace {

// A string field, or "" when it is missing or null (AfriQA has null questions and passages).
std::string text_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? trim(it->get<std::string>()) : std::string();
}

// Parses a JSON line as Python writes it: AfriQA has bare NaN values, which JSON does not allow;
// outside strings they become null.
nlohmann::json parse_python_json(const std::string& line) {
  std::string fixed;
  fixed.reserve(line.size());
  bool in_string = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      fixed += c;
      if (c == '\\' && i + 1 < line.size()) fixed += line[++i];
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
      fixed += c;
    } else if (line.compare(i, 3, "NaN") == 0) {
      fixed += "null";
      i += 2;
    } else {
      fixed += c;
    }
  }
  return nlohmann::json::parse(fixed);
}

// One article's paragraphs and its questions (question, index of the answering paragraph).
struct Article {
  std::vector<std::string> paragraphs;
  std::vector<std::pair<std::string, size_t>> questions;
};

// Held-out paragraphs (prep_holdout.h) are neither positives nor negatives.
void emit(const std::string& dataset, const std::vector<Article>& articles, const PrepOptions& o, Rng& rng, TextCollection& out) {
  auto held_out = [&](const std::string& p) { return qa_paragraph_held_out(p, o.qa_holdout_percent); };
  for (const auto& a : articles)
    for (const auto& [question, p] : a.questions) {
      if (trim(question).empty() || trim(a.paragraphs[p]).empty() || held_out(a.paragraphs[p])) continue;
      TextExample e{dataset, trim(question), {a.paragraphs[p]}, {}};
      std::vector<size_t> others;
      for (size_t k = 0; k < a.paragraphs.size(); ++k)
        if (k != p && a.paragraphs[k] != a.paragraphs[p] && !held_out(a.paragraphs[k])) others.push_back(k);
      rng.shuffle(others);
      for (size_t k = 0; k < others.size() && static_cast<int>(k) < o.max_negatives; ++k) e.neg.push_back(a.paragraphs[others[k]]);
      out.examples.push_back(std::move(e));
    }
}

// SQuAD format: data[].paragraphs[].{context, qas[].{question, is_impossible?}}.
std::vector<Article> read_squad(const std::string& path) {
  std::vector<Article> articles;
  auto j = nlohmann::json::parse(read_text_file(path));
  for (const auto& doc : j.at("data")) {
    Article a;
    for (const auto& para : doc.at("paragraphs")) {
      a.paragraphs.push_back(text_field(para, "context"));
      for (const auto& qa : para.at("qas")) {
        auto impossible = qa.find("is_impossible");  // JSQuAD: the paragraph does not answer it
        if (impossible != qa.end() && impossible->is_boolean() && impossible->get<bool>()) continue;
        a.questions.emplace_back(text_field(qa, "question"), a.paragraphs.size() - 1);
      }
    }
    articles.push_back(std::move(a));
  }
  return articles;
}


// A Python list literal of strings, as FacQA writes its pre-tokenised fields: "['a', \"b'c\", 'd']".
// Throws m3::Error on anything else (the data is read, not trusted).
std::vector<std::string> parse_string_list(const std::string& literal) {
  std::vector<std::string> items;
  size_t i = literal.find('[');
  if (i == std::string::npos) throw Error("FacQA: not a list literal: " + literal.substr(0, 80));
  for (++i; i < literal.size();) {
    const char c = literal[i];
    if (c == ']') return items;
    if (c == ' ' || c == ',') { ++i; continue; }
    if (c != '\'' && c != '"') throw Error("FacQA: unexpected character in a list literal: " + literal.substr(0, 80));
    std::string item;
    for (++i; i < literal.size() && literal[i] != c; ++i) {
      if (literal[i] == '\\' && i + 1 < literal.size()) ++i;
      item += literal[i];
    }
    if (i >= literal.size()) break;
    items.push_back(std::move(item));
    ++i;
  }
  throw Error("FacQA: unterminated list literal: " + literal.substr(0, 80));
}

// Pre-tokenised words back to text: punctuation attaches to the word before it, an opening bracket
// to the word after it.
std::string join_words(const std::vector<std::string>& words) {
  std::string text;
  bool glue_next = false;
  for (const auto& w : words) {
    const bool closing = w.size() == 1 && std::string(".,?!;:)%]").find(w[0]) != std::string::npos;
    if (!text.empty() && !closing && !glue_next) text += ' ';
    text += w;
    glue_next = w == "(" || w == "[";
  }
  return text;
}

// FacQA: CSV question,passage,seq_label with list-literal fields; the passages are short news texts
// without articles, so negatives come from the batch only.
std::vector<Article> read_facqa(const std::string& path) {
  Article all;
  std::map<std::string, size_t> index;
  const auto rows = parse_csv(read_text_file(path));
  for (size_t r = 1; r < rows.size(); ++r) {  // row 0 is the header
    if (rows[r].size() < 2) continue;
    const std::string question = join_words(parse_string_list(rows[r][0]));
    const std::string passage = join_words(parse_string_list(rows[r][1]));
    if (passage.empty()) continue;
    auto [it, fresh] = index.emplace(passage, all.paragraphs.size());
    if (fresh) all.paragraphs.push_back(passage);
    all.questions.emplace_back(question, it->second);
  }
  // One "article" per passage: no same-article negatives to draw.
  std::vector<Article> articles;
  std::vector<size_t> slot(all.paragraphs.size(), SIZE_MAX);
  for (const auto& [q, p] : all.questions) {
    if (slot[p] == SIZE_MAX) {
      slot[p] = articles.size();
      articles.push_back({{all.paragraphs[p]}, {}});
    }
    articles[slot[p]].questions.emplace_back(q, 0);
  }
  return articles;
}

}  // namespace

void read_qa(const PrepOptions& o, TextCollection& out) {
  const std::string dir = o.data_root + "/qa";
  Rng rng = Rng::derive(o.seed, 0x0A0A);
  const std::pair<const char*, const char*> squad[] = {
      {"qa-arcd", "/arcd"},         {"qa-jsquad", "/jsquad"}, {"qa-drcd", "/drcd"},
      {"qa-cmrc2018", "/cmrc2018"}, {"qa-jaquad", "/jaquad"}, {"qa-piaf", "/piaf"}};
  for (const auto& [name, sub] : squad)
    for (const auto& path : list_files(dir + sub, "", ".json.gz")) emit(name, read_squad(path), o, rng, out);

  for (const auto& path : list_files(dir + "/facqa", "", "_preprocess.csv.gz")) emit("qa-facqa", read_facqa(path), o, rng, out);

  // iApp: JSON lines {article_id, context, question}; one line per question.
  std::map<std::string, Article> iapp;
  std::vector<std::string> order;
  for (const auto& path : list_files(dir + "/iapp-wiki-qa", "", ".jsonl.gz"))
    for (const auto& line : split_lines(read_text_file(path))) {
      if (trim(line).empty()) continue;
      auto j = nlohmann::json::parse(line);
      const auto id = text_field(j, "article_id");
      auto [it, fresh] = iapp.try_emplace(id);
      if (fresh) order.push_back(id);
      auto& a = it->second;
      const auto context = text_field(j, "context");
      if (context.empty()) continue;
      size_t p = 0;
      while (p < a.paragraphs.size() && a.paragraphs[p] != context) ++p;
      if (p == a.paragraphs.size()) a.paragraphs.push_back(context);
      a.questions.emplace_back(text_field(j, "question"), p);
    }
  std::vector<Article> iapp_articles;
  for (const auto& id : order) iapp_articles.push_back(iapp.at(id));
  emit("qa-iapp", iapp_articles, o, rng, out);

  // AfriQA: {question_lang, question_translated, context}: the question in an African language (and
  // its English/French translation) -> the gold passage. No article grouping: random negatives.
  for (const auto& path : list_files(dir + "/afriqa", "gold_span_passages.afriqa.", ".json.gz"))
    for (const auto& line : split_lines(read_text_file(path))) {
      if (trim(line).empty()) continue;
      auto j = parse_python_json(line);
      const auto context = text_field(j, "context");
      if (context.empty() || qa_paragraph_held_out(context, o.qa_holdout_percent)) continue;
      for (const char* field : {"question_lang", "question_translated"}) {
        const auto q = text_field(j, field);
        if (!q.empty()) out.examples.push_back({"qa-afriqa", q, {context}, {}});
      }
    }
}

}  // namespace m3::trainer
