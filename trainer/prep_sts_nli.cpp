// STS pairs (score >= min_score -> positive) and NLI groups (entailment pos, contradiction neg).
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "trainer/prep_files.h"
#include "trainer/prep_sources.h"

namespace m3::trainer {

namespace {

double to_score(const std::string& s, const std::string& origin) {
  try {
    return std::stod(s);
  } catch (const std::exception&) {
    throw Error(origin + ": bad similarity score '" + s + "'");
  }
}

void add_pair(TextCollection& out, const std::string& dataset, const std::string& a, const std::string& b) {
  if (trim(a).empty() || trim(b).empty() || a == b) return;
  out.examples.push_back({dataset, trim(a), {trim(b)}, {}});
}

}  // namespace

void read_sts(const PrepOptions& o, TextCollection& out) {
  const std::string dir = o.data_root + "/sts";
  // STS-B English: genre, filename, year, id, score, s1, s2 (TSV despite the .csv name).
  // `allowed` and `english` keep, per row, what the row-aligned translations need.
  std::vector<bool> allowed;
  std::vector<std::pair<std::string, std::string>> english;
  const std::string en = dir + "/stsbenchmark/sts-train.csv";
  if (file_exists(en)) {
    for (const auto& line : split_lines(read_text_file(en))) {
      if (line.empty()) continue;
      auto f = split_tabs(line);
      if (f.size() < 7) throw Error(en + ": row with " + std::to_string(f.size()) + " fields");
      allowed.push_back(sts_row_allowed(f[1]));
      english.emplace_back(f[5], f[6]);
      if (allowed.back() && to_score(f[4], en) >= o.sts_min_score) add_pair(out, "sts-en", f[5], f[6]);
    }
  }
  // stsb-multi-mt: s1, s2, score; row i is the translation of English row i.
  for (const auto& path : list_files(dir + "/stsb-multi-mt", "stsb-", "-train.csv.gz")) {
    const auto name = path.substr(path.rfind("stsb-") + 5, 2);
    const auto rows = parse_csv(read_text_file(path));
    if (!english.empty() && rows.size() != english.size())
      throw Error(path + ": " + std::to_string(rows.size()) + " rows, the English file has " + std::to_string(english.size()));
    for (size_t i = 0; i < rows.size(); ++i) {
      if (allowed.empty() || !allowed[i]) continue;  // without the English file no row can be checked
      const auto& r = rows[i];
      if (r.size() < 3) throw Error(path + ": row " + std::to_string(i + 1) + " has " + std::to_string(r.size()) + " fields");
      if (to_score(r[2], path) >= o.sts_min_score) add_pair(out, "sts-" + name, r[0], r[1]);
      // The same row in two languages is a translation pair.
      add_pair(out, "sts-translation", r[0], english[i].first);
    }
  }
  // KorSTS: header, then genre, filename, year, id, score, s1, s2.
  const std::string ko = dir + "/korsts/sts-train.tsv";
  if (file_exists(ko)) {
    auto lines = split_lines(read_text_file(ko));
    for (size_t i = 1; i < lines.size(); ++i) {
      auto f = split_tabs(lines[i]);
      if (f.size() < 7) continue;
      if (sts_row_allowed(f[1]) && to_score(f[4], ko) >= o.sts_min_score) add_pair(out, "sts-ko", f[5], f[6]);
    }
  }
  // JSTS: JSON lines with sentence1, sentence2, label.
  const std::string ja = dir + "/jsts/train-v1.3.json.gz";
  if (file_exists(ja)) {
    for (const auto& line : split_lines(read_text_file(ja))) {
      if (trim(line).empty()) continue;
      auto j = nlohmann::json::parse(line);
      if (j.at("label").get<double>() >= o.sts_min_score)
        add_pair(out, "sts-ja", j.at("sentence1").get<std::string>(), j.at("sentence2").get<std::string>());
    }
  }
}

namespace {
// premise -> (entailed hypotheses, contradicting hypotheses), in first-seen premise order.
struct NliGroups {
  std::vector<std::string> order;
  std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> by_premise;
  void add(const std::string& premise, const std::string& hypothesis, const std::string& label) {
    if (label != "entailment" && label != "contradiction") return;
    auto [it, fresh] = by_premise.try_emplace(trim(premise));
    if (fresh) order.push_back(trim(premise));
    (label == "entailment" ? it->second.first : it->second.second).push_back(trim(hypothesis));
  }
  void emit(const std::string& dataset, TextCollection& out) const {
    for (const auto& p : order) {
      const auto& [pos, neg] = by_premise.at(p);
      if (!pos.empty()) out.examples.push_back({dataset, p, pos, neg});
    }
  }
};
}  // namespace

void read_nli(const PrepOptions& o, TextCollection& out) {
  NliGroups ja;
  for (const auto& path : list_files(o.data_root + "/nli/jnli", "", ".json.gz"))
    for (const auto& line : split_lines(read_text_file(path))) {
      if (trim(line).empty()) continue;
      auto j = nlohmann::json::parse(line);
      ja.add(j.at("sentence1").get<std::string>(), j.at("sentence2").get<std::string>(), j.at("label").get<std::string>());
    }
  ja.emit("nli-ja", out);
  NliGroups ko;
  for (const auto& path : list_files(o.data_root + "/nli/klue-nli", "", ".json.gz"))
    for (const auto& j : nlohmann::json::parse(read_text_file(path)))
      ko.add(j.at("premise").get<std::string>(), j.at("hypothesis").get<std::string>(), j.at("gold_label").get<std::string>());
  ko.emit("nli-ko", out);
}

}  // namespace m3::trainer
