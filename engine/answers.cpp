#include "engine/answers.h"


#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/json_input.h"
#include "engine/gz_file.h"

namespace m3 {

namespace {

// A locale the file does not have is a mistake (MKQA says zh_cn, not zh), never 0 evaluated queries.
void require_locale(const std::string& path, const std::string& lang, const std::set<std::string>& locales) {
  if (locales.empty() || locales.count(lang)) return;
  std::string valid;
  for (const auto& l : locales) valid += (valid.empty() ? "" : ", ") + l;
  throw UsageError("--lang " + lang + ": not a locale of " + path + "; valid: " + valid);
}

// Decodes one UTF-8 code point at s[i] (input already validated), advancing i.
uint32_t next_cp(const std::string& s, size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
  uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += static_cast<size_t>(len);
  return cp;
}

void append_cp(std::string& out, uint32_t cp) {
  if (cp < 0x80) out += static_cast<char>(cp);
  else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
  else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12)); out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)); out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18)); out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)); out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

uint32_t lower(uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if ((cp >= 0xC0 && cp <= 0xDE) && cp != 0xD7) return cp + 32;               // Latin-1
  if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x131 && cp != 0x138 && cp != 0x149 && cp != 0x17F) {
    const bool odd_upper = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if (odd_upper) return (cp & 1) ? cp + 1 : cp;                               // Latin Extended-A (odd = upper)
    return (cp & 1) ? cp : cp + 1;                                              // (even = upper)
  }
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 32;              // Greek
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;                             // Cyrillic basic
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;                             // Cyrillic Ѐ..Џ
  return cp;
}

bool is_punct(uint32_t cp) {
  if (cp < 0x80) return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) || (cp >= 0x7B && cp <= 0x7E);
  if (cp == 0xA1 || cp == 0xAB || cp == 0xBB || cp == 0xBF || cp == 0xB7) return true;
  if (cp >= 0x2000 && cp <= 0x206F && cp != 0x200B) return !(cp >= 0x2000 && cp <= 0x200A);  // general punctuation (not spaces)
  if (cp >= 0x3001 && cp <= 0x303F) return true;                              // CJK punctuation
  if ((cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65))
    return true;
  return false;
}

bool is_space(uint32_t cp) { return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200A); }

}  // namespace

std::string normalize_answer_text(const std::string& s) {
  std::string out;
  bool pending_space = false;
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = next_cp(s, i);
    if (cp >= 0xFF01 && cp <= 0xFF5E && !is_punct(cp)) cp = cp - 0xFF01 + 0x21;  // full-width -> ASCII
    if (is_space(cp)) { pending_space = !out.empty(); continue; }
    if (is_punct(cp)) { pending_space = !out.empty(); continue; }
    if (pending_space) { out += ' '; pending_space = false; }
    append_cp(out, lower(cp));
  }
  return out;
}

Answers read_answers(const std::string& path, const std::string& lang) {
  const std::string text = read_maybe_gzipped(path);
  Answers out;
  std::set<std::string> locales;  // of an MKQA file
  size_t start = 0, n = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(n);
    nlohmann::json j = parse_json_input(line, where);
    if (!j.is_object()) throw InvalidInputError(where + ": expected a JSON object");
    std::vector<std::string> answers;
    std::string qid;
    if (j.contains("example_id")) {  // MKQA as published
      qid = j["example_id"].is_string() ? j["example_id"].get<std::string>() : j["example_id"].dump();
      if (lang.empty()) throw UsageError(path + ": MKQA file needs --lang (a locale such as en, de, zh_cn)");
      if (j.contains("answers") && j["answers"].is_object())
        for (const auto& [l, v] : j["answers"].items()) locales.insert(l);
      if (!j.contains("answers") || !j["answers"].contains(lang)) continue;
      for (const auto& a : j["answers"][lang]) {
        if (a.contains("text") && a["text"].is_string()) answers.push_back(a["text"].get<std::string>());
        if (a.contains("aliases"))
          for (const auto& al : a["aliases"]) if (al.is_string()) answers.push_back(al.get<std::string>());
      }
    } else {
      if (!j.contains("qid") || !j.contains("answers") || !j["answers"].is_array()) throw Error(where + ": expected {\"qid\", \"answers\": [...]}");
      qid = j["qid"].is_string() ? j["qid"].get<std::string>() : j["qid"].dump();
      for (const auto& a : j["answers"]) if (a.is_string()) answers.push_back(a.get<std::string>());
    }
    auto& dst = out[qid];
    for (const auto& a : answers) {
      auto norm = normalize_answer_text(a);
      if (!norm.empty()) dst.push_back(norm);
    }
  }
  require_locale(path, lang, locales);
  return out;
}

std::vector<std::pair<std::string, std::string>> read_mkqa_queries(const std::string& path, const std::string& lang) {
  const std::string text = read_maybe_gzipped(path);
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> locales;
  size_t start = 0, n = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = parse_json_input(line, path + ":" + std::to_string(n));  // bounded depth (issue 16 #1)
    if (j.is_object() && j.contains("queries") && j["queries"].is_object())
      for (const auto& [l, v] : j["queries"].items()) locales.insert(l);
    if (!j.is_object() || !j.contains("queries") || !j["queries"].is_object() || !j["queries"].contains(lang) ||
        !j["queries"][lang].is_string() || !j.contains("example_id"))
      continue;
    out.emplace_back(j["example_id"].is_string() ? j["example_id"].get<std::string>() : j["example_id"].dump(),
                     j["queries"][lang].get<std::string>());
  }
  require_locale(path, lang, locales);
  return out;
}

AnswerRecall answer_recall(const std::map<std::string, std::vector<std::string>>& passages, const Answers& answers) {
  AnswerRecall r;
  for (const auto& [qid, ans] : answers) {
    auto it = passages.find(qid);
    if (it == passages.end()) { r.unsearched += !ans.empty(); continue; }  // as trec_eval: the queries searched
    if (ans.empty()) { ++r.skipped; continue; }
    ++r.queries;
    int first = -1;
    for (size_t i = 0; i < it->second.size() && i < 100 && first < 0; ++i) {
      const auto p = normalize_answer_text(it->second[i]);
      for (const auto& a : ans)
        if (p.find(a) != std::string::npos) { first = static_cast<int>(i); break; }
    }
    if (first >= 0 && first < 20) r.recall20 += 1;
    if (first >= 0) r.recall100 += 1;
  }
  if (r.queries) { r.recall20 /= r.queries; r.recall100 /= r.queries; }
  return r;
}

}  // namespace m3
