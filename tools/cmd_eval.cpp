// m3 eval: MIRACL-style (topics + qrels: nDCG@10, Recall@100, MRR@10) and MKQA-style (answers:
// Recall@20/@100) evaluation of one collection, one row per mode (or per topics file), TREC runs
// written alongside; --preset dev runs the dev sets of ../shared/data (see engine/dev_preset.h).
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "common/error.h"
#include "engine/dev_preset.h"
#include "engine/evaluation.h"
#include "tools/command.h"
#include "tools/model_flags.h"
#include "tools/search_flags.h"

namespace m3::tools {
namespace {

std::string label_of(const std::string& path) {
  std::string base = path.substr(path.rfind('/') + 1);
  // topics.miracl-v1.0-sw-dev.tsv -> sw
  for (const std::string pre : {"topics.miracl-v1.0-", "topics.mrtydi-v1.1-"})
    if (base.rfind(pre, 0) == 0) {
      base = base.substr(pre.size());
      return base.substr(0, base.find_first_of("-."));
    }
  return base;
}

void print_table(const std::vector<EvalRow>& rows) {
  const bool qrels = rows.front().metrics.queries > 0 || !rows.front().answers;
  const bool answers = rows.front().answers.has_value();
  std::printf("%-10s %-22s %7s", "topics", "mode", "queries");
  if (qrels) std::printf(" %8s %8s %8s %7s", "nDCG@10", "R@100", "MRR@10", "skipped");
  if (answers) std::printf(" %8s %8s", "R@20", "R@100");
  std::printf(" %9s %9s\n", "search s", "metric s");
  for (const auto& r : rows) {
    std::printf("%-10s %-22s %7zu", r.label.c_str(), r.mode.c_str(), r.answers && !qrels ? r.answers->queries : r.metrics.queries);
    if (qrels) std::printf(" %8.4f %8.4f %8.4f %7zu", r.metrics.ndcg10, r.metrics.recall100, r.metrics.mrr10, r.metrics.skipped);
    if (answers) std::printf(" %8.4f %8.4f", r.answers->recall20, r.answers->recall100);
    std::printf(" %9.3f %9.4f\n", r.search_seconds, r.metric_seconds);
  }
  double search = 0, metric = 0;
  for (const auto& r : rows) { search += r.search_seconds; metric += r.metric_seconds; }
  std::printf("evaluation overhead: %.4f s of metrics beside %.3f s of search (%.2f%%)\n", metric, search,
              search > 0 ? 100 * metric / search : 0.0);
}

M3_COMMAND("eval", "Evaluate a collection on topics + qrels (nDCG@10, R@100, MRR@10) or MKQA answers (R@20, R@100)", [](CLI::App& sub) {
  struct Flags {
    SearchFlags search;
    ModelFlags model;
    std::string collection, run_out, run_dir, answers, lang, json, preset, out_dir = "build/eval-dev";
    std::vector<std::string> topics, qrels, modes, sweep;
    bool all_modes = false;
  };
  auto f = std::make_shared<Flags>();
  f->search.k = "100";  // run files deep enough for Recall@100
  sub.add_option("--collection", f->collection, "collection directory");
  sub.add_option("--topics", f->topics, "topics file(s) (qid<TAB>query); several give one row per file");
  sub.add_option("--qrels", f->qrels, "qrels file(s), one per topics file (or one for all)");
  sub.add_option("--mode", f->modes, "mode(s) to evaluate")->check(CLI::IsMember(search_mode_names()));
  sub.add_flag("--all-modes", f->all_modes, "evaluate every mode");
  add_search_flags(sub, f->search, false);
  sub.add_option("--sweep-weights", f->sweep,
                 "weight sets (dense,sparse[,multivec]) to try: one row per set for each weighted fused mode, "
                 "queries encoded once");
  sub.add_option("--run", f->run_out, "TREC run file (one topics file and one mode)");
  sub.add_option("--run-dir", f->run_dir, "directory for run files <topics>.<mode>.run");
  sub.add_option("--answers", f->answers, "MKQA JSONL (as published, with --lang) or {qid, answers} JSONL");
  sub.add_option("--lang", f->lang, "MKQA locale (en, de, zh_cn, ...)");
  sub.add_option("--json", f->json, "write the table as JSON");
  sub.add_option("--preset", f->preset, "'dev': Tatoeba, STS and QA retrieval on ../shared/data/dev")->check(CLI::IsMember({"dev"}));
  sub.add_option("--out-dir", f->out_dir, "work directory of --preset dev (collections, runs)");
  add_model_flags(sub, f->model);
  sub.callback([f] {
    if (!f->preset.empty()) {
      DevPresetOptions o;
      o.model_dir = f->model.model.empty() ? default_model_dir() : f->model.model;
      o.out_dir = f->out_dir;
      o.threads = f->model.threads;
      o.json_path = f->json;
      run_dev_preset(o);
      return;
    }
    if (f->collection.empty()) throw UsageError("--collection is required (or --preset dev)");
    std::vector<std::string> modes = f->modes;
    if (f->all_modes) modes = search_mode_names();
    if (modes.empty()) modes = {"all"};
    std::vector<std::pair<std::string, std::vector<Topic>>> topic_sets;
    for (const auto& t : f->topics) topic_sets.emplace_back(label_of(t), read_topics(t));
    Answers answers;
    if (!f->answers.empty()) {
      answers = read_answers(f->answers, f->lang);
      if (topic_sets.empty()) {  // MKQA as published carries its own queries
        std::vector<Topic> ts;
        for (auto& [qid, q] : read_mkqa_queries(f->answers, f->lang)) ts.push_back({qid, q});
        topic_sets.emplace_back("mkqa-" + f->lang, ts);
      }
    }
    if (topic_sets.empty()) throw UsageError("give --topics FILE (with --qrels) or --answers FILE");
    if (f->answers.empty() && f->qrels.empty()) throw UsageError("give --qrels or --answers");
    if (!f->qrels.empty() && f->qrels.size() != 1 && f->qrels.size() != f->topics.size())
      throw UsageError("--qrels: give one file, or one per --topics file");
    if (!f->run_out.empty() && (topic_sets.size() != 1 || modes.size() != 1))
      throw UsageError("--run takes one topics file and one mode; use --run-dir for several");
    if (!f->run_out.empty() && f->sweep.size() > 1)
      throw UsageError("--run takes one weight set; use --run-dir with --sweep-weights");
    std::vector<Qrels> qrels;
    for (const auto& q : f->qrels) qrels.push_back(read_qrels(q));
    auto c = Collection::open(f->collection, nullptr, f->model.model, Collection::Access::ReadOnly);
    if (!f->run_dir.empty()) ::mkdir(f->run_dir.c_str(), 0755);
    std::vector<std::array<float, 3>> sweep;
    for (const auto& w : f->sweep) sweep.push_back(parse_weights(w));
    if (!sweep.empty() && !f->search.weights.empty()) throw UsageError("give --weights or --sweep-weights, not both");
    std::vector<EvalRow> rows;
    for (size_t t = 0; t < topic_sets.size(); ++t) {
      // The queries are encoded once and shared by every mode and weight set of this topics file.
      std::vector<std::string> texts;
      for (const auto& topic : topic_sets[t].second) texts.push_back(topic.query);
      const auto embeddings = c->encoder().encode(texts, to_params(f->search, modes.front()).query_max_length);
      for (const auto& mode : modes) {
        EvalInputs in;
        in.label = topic_sets[t].first;
        in.topics = topic_sets[t].second;
        in.query_embeddings = &embeddings;
        if (!qrels.empty()) in.qrels = &qrels[qrels.size() == 1 ? 0 : t];
        if (!f->answers.empty()) in.answers = &answers;
        in.tag = "m3-" + std::string(mode == "dense+sparse" ? "dense_sparse" : mode);
        const SearchParams p = to_params(f->search, mode);
        const bool fused = p.fusion == Fusion::Weighted && (p.mode == SearchMode::DenseSparse || p.mode == SearchMode::All);
        if (sweep.empty() || !fused) {
          if (!f->run_out.empty()) in.run_path = f->run_out;
          else if (!f->run_dir.empty()) in.run_path = f->run_dir + "/" + in.label + "." + in.tag.substr(3) + ".run";
          rows.push_back(evaluate(*c, in, p));
          continue;
        }
        for (const auto& w : sweep) {
          SearchParams pw = p;
          pw.weights = w;
          char name[96];
          std::snprintf(name, sizeof name, "%s@%g,%g,%g", mode.c_str(), w[0], w[1], w[2]);
          if (!f->run_dir.empty()) in.run_path = f->run_dir + "/" + in.label + "." + in.tag.substr(3) + "@" + (name + mode.size() + 1) + ".run";
          rows.push_back(evaluate(*c, in, pw));
          rows.back().mode = name;
        }
      }
    }
    print_table(rows);
    if (!f->json.empty()) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& r : rows) {
        nlohmann::json o = {{"topics", r.label}, {"mode", r.mode}, {"queries", r.metrics.queries},
                            {"ndcg@10", r.metrics.ndcg10}, {"recall@100", r.metrics.recall100}, {"mrr@10", r.metrics.mrr10},
                            {"skipped", r.metrics.skipped}, {"missing", r.metrics.missing},
                            {"search_seconds", r.search_seconds}, {"metric_seconds", r.metric_seconds}};
        if (r.answers) { o["recall@20"] = r.answers->recall20; o["answer_recall@100"] = r.answers->recall100; }
        j.push_back(o);
      }
      std::ofstream(f->json) << j.dump(2) << "\n";
    }
  });
});

}  // namespace
}  // namespace m3::tools
