#include "engine/dev_preset.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "common/json_input.h"
#include "engine/gz_file.h"
#include "engine/evaluation.h"

#ifndef M3_SOURCE_TREE
#define M3_SOURCE_TREE "."
#endif

namespace m3 {

namespace fs = std::filesystem;

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<size_t> idx(v.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](size_t x, size_t y) { return v[x] < v[y]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < idx.size();) {
      size_t j = i;
      while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
      for (size_t k = i; k <= j; ++k) r[idx[k]] = (i + j) / 2.0 + 1;
      i = j + 1;
    }
    return r;
  };
  auto ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) { ma += ra[i]; mb += rb[i]; }
  ma /= n;
  mb /= n;
  double cov = 0, va = 0, vb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    cov += (ra[i] - ma) * (rb[i] - mb);
    va += (ra[i] - ma) * (ra[i] - ma);
    vb += (rb[i] - mb) * (rb[i] - mb);
  }
  return va > 0 && vb > 0 ? cov / std::sqrt(va * vb) : 0;
}

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string l; std::getline(ss, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    out.push_back(l);
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> f;
  std::string cur;
  for (char ch : s) {
    if (ch == sep) { f.push_back(cur); cur.clear(); } else cur += ch;
  }
  f.push_back(cur);
  return f;
}

// RFC-4180 CSV line (stsb-multi-mt): quoted fields may contain commas and doubled quotes.
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> f;
  std::string cur;
  bool q = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char ch = line[i];
    if (q) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') { cur += '"'; ++i; }
      else if (ch == '"') q = false;
      else cur += ch;
    } else if (ch == '"') q = true;
    else if (ch == ',') { f.push_back(cur); cur.clear(); }
    else cur += ch;
  }
  f.push_back(cur);
  return f;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

struct StsPairs { std::vector<std::string> s1, s2; std::vector<double> gold; };

StsPairs limit(StsPairs p, size_t max_items) {
  if (max_items && p.gold.size() > max_items) { p.s1.resize(max_items); p.s2.resize(max_items); p.gold.resize(max_items); }
  return p;
}

struct QaSet { std::vector<std::string> paragraphs; std::vector<Topic> questions; Qrels qrels; };

void add_question(QaSet& s, std::map<std::string, size_t>& para_ids, const std::string& para, const std::string& qid,
                  const std::string& question) {
  auto it = para_ids.find(para);
  if (it == para_ids.end()) {
    it = para_ids.emplace(para, s.paragraphs.size()).first;
    s.paragraphs.push_back(para);
  }
  s.questions.push_back({qid, question});
  s.qrels[qid]["p" + std::to_string(it->second)] = 1;
}

QaSet read_squad(const std::string& path) {
  QaSet s;
  std::map<std::string, size_t> ids;
  auto j = parse_json_input(read_maybe_gzipped(path), path, JsonLimits{1u << 30, 64});
  size_t n = 0;
  for (const auto& art : j["data"])
    for (const auto& para : art["paragraphs"])
      for (const auto& qa : para["qas"]) {
        if (qa.value("is_impossible", false) || !qa["question"].is_string() || !para["context"].is_string()) continue;
        add_question(s, ids, para["context"].get<std::string>(), "q" + std::to_string(n++), qa["question"].get<std::string>());
      }
  return s;
}

QaSet read_jsonl_qa(const std::vector<std::string>& files, const char* question_key) {
  QaSet s;
  std::map<std::string, size_t> ids;
  size_t n = 0;
  for (const auto& f : files)
    for (const auto& line : lines_of(read_maybe_gzipped(f))) {
      if (line.empty()) continue;
      auto j = parse_json_input(line, f);
      if (!j["context"].is_string() || !j[question_key].is_string()) continue;  // a few published rows lack one
      add_question(s, ids, j["context"].get<std::string>(), "q" + std::to_string(n++), j[question_key].get<std::string>());
    }
  return s;
}

}  // namespace

void run_dev_preset(const DevPresetOptions& o) {
  const std::string data = o.data_dir.empty() ? std::string(M3_SOURCE_TREE) + "/../shared/data" : o.data_dir;
  const std::string dev = data + "/dev";
  if (!fs::exists(dev)) throw Error(dev + ": dev data not present (the preset needs ../shared/data/dev)");
  fs::create_directories(o.out_dir);
  EncoderOptions eo;
  eo.threads = o.threads;
  eo.max_length = 512;
  std::shared_ptr<const Encoder> enc = Encoder::load(o.model_dir, eo);
  nlohmann::ordered_json report;
  report["model"] = o.model_dir;
  report["fingerprint"] = enc->fingerprint();
  const auto t_start = std::chrono::steady_clock::now();

  // ---- Tatoeba
  std::vector<std::pair<std::string, double>> tatoeba;
  for (const auto& e : fs::directory_iterator(dev + "/tatoeba")) {
    const std::string name = e.path().filename();
    const std::string suffix = name.substr(name.rfind('.') + 1);
    if (suffix == "eng") continue;
    const std::string lang = suffix;
    auto xx = lines_of(read_maybe_gzipped(e.path()));
    auto en = lines_of(read_maybe_gzipped(e.path().string().substr(0, e.path().string().rfind('.')) + ".eng"));
    size_t n = std::min(xx.size(), en.size());
    if (o.max_items) n = std::min(n, o.max_items);
    xx.resize(n);
    en.resize(n);
    auto ex = enc->encode(xx, 128), ee = enc->encode(en, 128);
    size_t correct = 0;
    for (size_t i = 0; i < n; ++i) {
      size_t best = 0;
      double bs = -2;
      for (size_t j = 0; j < n; ++j) {
        double s = dot(ex[i].dense, ee[j].dense);
        if (s > bs) { bs = s; best = j; }
      }
      correct += best == i;
    }
    tatoeba.emplace_back(lang, n ? static_cast<double>(correct) / n : 0);
  }
  std::sort(tatoeba.begin(), tatoeba.end());
  double tat_avg = 0;
  for (auto& [l, a] : tatoeba) { tat_avg += a; report["tatoeba"][l] = a; }
  tat_avg /= std::max<size_t>(1, tatoeba.size());
  report["tatoeba_avg"] = tat_avg;

  // ---- STS
  std::vector<std::pair<std::string, StsPairs>> sts;
  {
    StsPairs p;
    for (const auto& l : lines_of(read_maybe_gzipped(dev + "/sts/stsbenchmark/sts-test.csv"))) {
      auto f = split(l, '\t');
      if (f.size() < 7) continue;
      p.gold.push_back(std::stod(f[4])); p.s1.push_back(f[5]); p.s2.push_back(f[6]);
    }
    sts.emplace_back("stsb-en", p);
  }
  for (const char* track : {"track1.ar-ar", "track2.ar-en", "track3.es-es", "track4a.es-en", "track4b.es-en", "track5.en-en", "track6.tr-en"}) {
    StsPairs p;
    auto in = lines_of(read_maybe_gzipped(dev + "/sts/sts2017/STS.input." + track + ".txt"));
    auto gs = lines_of(read_maybe_gzipped(dev + "/sts/sts2017/STS.gs." + track + ".txt"));
    for (size_t i = 0; i < gs.size() && i < in.size(); ++i) {
      if (gs[i].empty()) continue;
      auto f = split(in[i], '\t');
      if (f.size() < 2) continue;
      p.gold.push_back(std::stod(gs[i])); p.s1.push_back(f[0]); p.s2.push_back(f[1]);
    }
    sts.emplace_back(std::string("sts17-") + (std::strchr(track, '.') + 1), p);
  }
  for (const char* lang : {"de", "es", "fr", "it", "ja", "nl", "pl", "pt", "ru", "zh"}) {
    StsPairs p;
    for (const auto& l : lines_of(read_maybe_gzipped(dev + "/sts/stsb-multi-mt/stsb-" + std::string(lang) + "-test.csv"))) {
      auto f = csv_fields(l);
      if (f.size() < 3) continue;
      p.s1.push_back(f[0]); p.s2.push_back(f[1]); p.gold.push_back(std::stod(f[2]));
    }
    sts.emplace_back(std::string("stsb-") + lang, p);
  }
  {
    StsPairs p;
    auto ls = lines_of(read_maybe_gzipped(dev + "/sts/korsts/sts-test.tsv"));
    for (size_t i = 1; i < ls.size(); ++i) {
      auto f = split(ls[i], '\t');
      if (f.size() < 7) continue;
      p.gold.push_back(std::stod(f[4])); p.s1.push_back(f[5]); p.s2.push_back(f[6]);
    }
    sts.emplace_back("korsts", p);
  }
  double sts_avg = 0;
  for (auto& [name, pairs] : sts) {
    auto p = limit(pairs, o.max_items);
    auto a = enc->encode(p.s1, 128), b = enc->encode(p.s2, 128);
    std::vector<double> pred;
    for (size_t i = 0; i < a.size(); ++i) pred.push_back(dot(a[i].dense, b[i].dense));
    const double rho = spearman(pred, p.gold);
    report["sts"][name] = rho;
    sts_avg += rho;
  }
  sts_avg /= std::max<size_t>(1, sts.size());
  report["sts_avg"] = sts_avg;

  // ---- QA retrieval
  std::vector<std::pair<std::string, QaSet>> qa;
  qa.emplace_back("arcd-ar", read_squad(dev + "/retrieval/arcd/arcd-test.json.gz"));
  qa.emplace_back("jsquad-ja", read_squad(dev + "/retrieval/jsquad/test-v1.3.json.gz"));
  qa.emplace_back("drcd-zh", read_squad(dev + "/retrieval/drcd/DRCD_test.json.gz"));
  qa.emplace_back("cmrc-zh", read_squad(dev + "/retrieval/cmrc2018/cmrc2018_trial.json.gz"));
  qa.emplace_back("iapp-th", read_jsonl_qa({dev + "/retrieval/iapp-wiki-qa/test.jsonl.gz"}, "question"));
  {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dev + "/retrieval/afriqa"))
      if (e.path().string().find(".json.gz") != std::string::npos) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    qa.emplace_back("afriqa-x", read_jsonl_qa(files, "question_lang"));
  }
  const std::vector<std::string> modes = {"dense", "sparse", "multivec", "dense+sparse", "all", "bm25"};
  // The extra weight sets per fused mode (dense+sparse takes those without a multivec weight), and
  // the labels of their rows, "<mode>@<weights>" as evaluate_sweep names them.
  std::vector<std::pair<SearchMode, std::vector<HeadWeights>>> sweeps;
  std::vector<std::string> extra_labels;
  for (const auto mode : {SearchMode::DenseSparse, SearchMode::All}) {
    std::vector<HeadWeights> sets;
    for (const auto& w : o.extra_weights)
      if (mode == SearchMode::All || w[kMultivecHead] == 0) {
        sets.push_back(w);
        extra_labels.push_back(std::string(to_string(mode)) + "@" + weights_text(mode, w));
      }
    if (!sets.empty()) sweeps.emplace_back(mode, sets);
  }
  std::map<std::string, std::map<std::string, MetricSummary>> qa_results;
  for (auto& [name, set] : qa) {
    if (o.max_items && set.questions.size() > o.max_items) set.questions.resize(o.max_items);
    const std::string cdir = o.out_dir + "/" + name;
    fs::remove_all(cdir);
    CollectionOptions co;
    co.passage_max_length = 512;
    auto c = Collection::create(cdir, co, enc);
    std::vector<Document> docs;
    for (size_t i = 0; i < set.paragraphs.size(); ++i) docs.push_back({"p" + std::to_string(i), "", set.paragraphs[i]});
    for (size_t i = 0; i < docs.size(); i += 256)
      c->add(std::vector<Document>(docs.begin() + static_cast<std::ptrdiff_t>(i),
                                   docs.begin() + static_cast<std::ptrdiff_t>(std::min(docs.size(), i + 256))));
    c->commit();
    std::vector<std::string> question_texts;
    for (const auto& t : set.questions) question_texts.push_back(t.query);
    const auto question_embeddings = enc->encode(question_texts, 512);  // once, shared by every mode
    EvalInputs in;
    in.label = name;
    in.topics = set.questions;
    in.qrels = &set.qrels;
    in.query_embeddings = &question_embeddings;
    std::vector<EvalRow> rows;
    for (const auto& mode : modes) {
      SearchParams p;
      p.mode = parse_search_mode(mode);
      p.k = 100;
      rows.push_back(evaluate(*c, in, p));
    }
    for (const auto& [mode, sets] : sweeps) {
      SearchParams p;
      p.mode = mode;
      p.k = 100;
      for (auto& row : evaluate_sweep(*c, in, p, sets)) rows.push_back(std::move(row));
    }
    for (const auto& row : rows) {
      qa_results[name][row.mode] = row.metrics;
      report["retrieval"][name][row.mode] = {{"ndcg@10", row.metrics.ndcg10}, {"recall@100", row.metrics.recall100},
                                             {"queries", row.metrics.queries}, {"passages", set.paragraphs.size()}};
    }
  }

  // ---- the table
  std::printf("m3 dev preset — model %s (fingerprint %s)\n\n", o.model_dir.c_str(), enc->fingerprint().c_str());
  std::printf("Tatoeba xx->en accuracy (dense), %zu languages: average %.4f\n  ", tatoeba.size(), tat_avg);
  for (size_t i = 0; i < tatoeba.size(); ++i) std::printf("%s %.3f%s", tatoeba[i].first.c_str(), tatoeba[i].second, (i % 10 == 9) ? "\n  " : "  ");
  std::printf("\nSTS Spearman (dense cosine), %zu sets: average %.4f\n  ", sts.size(), sts_avg);
  size_t i = 0;
  for (auto& [name, v] : report["sts"].items()) std::printf("%s %.3f%s", name.c_str(), v.get<double>(), (++i % 6 == 0) ? "\n  " : "  ");
  std::printf("\nQA retrieval nDCG@10 / Recall@100\n%-10s", "set");
  for (const auto& m : modes) std::printf(" %15s", m.c_str());
  std::printf("\n");
  std::map<std::string, std::pair<double, double>> avg;
  for (auto& [name, set] : qa) {
    std::printf("%-10s", name.c_str());
    for (const auto& m : modes) {
      const auto& r = qa_results[name][m];
      std::printf("   %5.3f / %5.3f", r.ndcg10, r.recall100);
      avg[m].first += r.ndcg10 / qa.size();
      avg[m].second += r.recall100 / qa.size();
    }
    std::printf("\n");
  }
  std::printf("%-10s", "average");
  for (const auto& m : modes) {
    std::printf("   %5.3f / %5.3f", avg[m].first, avg[m].second);
    report["retrieval_avg"][m] = {{"ndcg@10", avg[m].first}, {"recall@100", avg[m].second}};
  }
  if (!extra_labels.empty()) {
    std::printf("\n\nFused modes with the given weights (--sweep-weights), nDCG@10 per set and average\n%-28s", "mode@weights");
    for (auto& [name, set] : qa) std::printf(" %9s", name.c_str());
    std::printf(" %9s\n", "average");
    for (const auto& label : extra_labels) {
      std::printf("%-28s", label.c_str());
      double a = 0, r = 0;
      for (auto& [name, set] : qa) {
        const auto& m = qa_results[name][label];
        std::printf(" %9.3f", m.ndcg10);
        a += m.ndcg10 / qa.size();
        r += m.recall100 / qa.size();
      }
      std::printf(" %9.3f\n", a);
      report["retrieval_avg"][label] = {{"ndcg@10", a}, {"recall@100", r}};
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  std::printf("\n\n(%.0f s)\n", secs);
  report["seconds"] = secs;
  if (!o.json_path.empty()) std::ofstream(o.json_path) << report.dump(2) << "\n";
}

}  // namespace m3
