// m3 eval: MIRACL-style (topics + qrels: nDCG@10, Recall@100, MRR@10) and MKQA-style (answers:
// Recall@20/@100) evaluation of one collection, one row per mode (or per topics file), TREC runs
// written alongside; --runs scores existing TREC runs (any system's) without a collection; p-values
// against the first row of each topics file; --preset dev runs the dev sets of ../shared/data
// (see engine/dev_preset.h).
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "common/error.h"
#include "engine/dev_preset.h"
#include "engine/eval_labels.h"
#include "engine/eval_report.h"
#include "engine/evaluation.h"
#include "engine/progress.h"
#include "engine/run_file.h"
#include "tools/command.h"
#include "tools/model_flags.h"
#include "tools/search_flags.h"

namespace m3::tools {
namespace {

// A run cut above 100 hits cannot give Recall@100: say so beside the table.
void warn_shallow(const EvalRow& r) {
  if (r.metrics.duplicates)  // trec_eval refuses such a run; m3 keeps each docid's best rank
    std::fprintf(stderr, "warning: %s %s: %zu repeated (qid, docid) lines; each docid counted once, at its best rank\n",
                 r.label.c_str(), r.mode.c_str(), r.metrics.duplicates);
  if (r.depth < 100)
    std::fprintf(stderr, "warning: %s %s: runs have at most %zu hits per query; R@100 counts only those (write runs with --k 1000)\n",
                 r.label.c_str(), r.mode.c_str(), r.depth);
}

M3_COMMAND("eval", "Evaluate a collection on topics + qrels (nDCG@10, R@100, MRR@10), MKQA answers (R@20, R@100), or existing TREC runs", [](CLI::App& sub) {
  struct Flags {
    SearchFlags search;
    ModelFlags model;
    std::string collection, run_out, run_dir, answers, lang, json, per_query, preset, out_dir = "build/eval-dev";
    std::vector<std::string> topics, qrels, modes, sweep, runs;
    bool all_modes = false, complete = false, overwrite = false;
    size_t permutations = 10000;
    uint64_t seed = 42;
  };
  auto f = std::make_shared<Flags>();
  f->search.k = "100";  // run files deep enough for Recall@100
  sub.add_option("--collection", f->collection, "collection directory");
  sub.add_option("--topics", f->topics, "topics file(s) (qid<TAB>query); several give one row per file");
  sub.add_option("--qrels", f->qrels, "qrels file(s), one per topics file (or one for all)");
  sub.add_option("--runs", f->runs, "existing TREC run files to score against --qrels (no collection needed); the first is the baseline");
  sub.add_flag("--complete", f->complete,
               "average judged queries that have no topic (or no run line) as 0, as trec_eval -c does (default: only the topics given)");
  sub.add_option("--mode", f->modes, "mode(s) to evaluate; the first is the baseline of the p-values")->check(CLI::IsMember(search_mode_names()));
  sub.add_flag("--all-modes", f->all_modes, "evaluate every mode");
  add_search_flags(sub, f->search, false);
  sub.add_option("--sweep-weights", f->sweep,
                 "weight sets (dense,sparse[,multivec[,bm25]]) to try: one row per set for each weighted fused mode, "
                 "queries encoded once (with --preset dev: extra rows beside the model's own weights)");
  sub.add_option("--run", f->run_out, "TREC run file (one topics file and one mode)");
  sub.add_option("--run-dir", f->run_dir, "directory for run files <topics>.<mode>.run");
  sub.add_flag("--overwrite", f->overwrite, "replace existing run files (default: an existing run file is an error)");
  sub.add_option("--per-query", f->per_query, "write per-query metrics (topics, mode, qid, nDCG@10, R@100, MRR@10) as TSV");
  sub.add_option("--permutations", f->permutations, "permutations of the randomization test (default 10000)")->check(CLI::Range(1, 10'000'000));
  sub.add_option("--seed", f->seed, "seed of the randomization test (default 42)");
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
      for (const auto& w : f->sweep) o.extra_weights.push_back(parse_weights(w));
      run_dev_preset(o);
      return;
    }
    std::vector<EvalRow> rows;
    const bool with_qrels = !f->qrels.empty();
    if (!f->runs.empty()) {  // existing runs: metrics only
      if (f->qrels.size() != 1) throw UsageError("--runs needs one --qrels file");
      if (!f->collection.empty() || !f->topics.empty() || !f->answers.empty())
        throw UsageError("--runs scores existing runs: no --collection, --topics or --answers");
      const Qrels qrels = read_qrels(f->qrels.front());
      const auto labels = distinct_labels(f->runs);
      for (size_t i = 0; i < f->runs.size(); ++i) {
        rows.push_back(evaluate_run_file("runs", f->runs[i], qrels, f->complete));
        rows.back().mode = labels[i];  // the run file's (distinct) name; its tag may repeat across runs
        warn_shallow(rows.back());
      }
    } else {
      if (f->collection.empty()) throw UsageError("--collection is required (or --runs, or --preset dev)");
      std::vector<std::string> modes = f->modes;
      if (f->all_modes) modes = search_mode_names();
      if (modes.empty()) modes = {"all"};
      std::vector<std::pair<std::string, std::vector<Topic>>> topic_sets;
      const auto labels = distinct_labels(f->topics);
      for (size_t i = 0; i < f->topics.size(); ++i) topic_sets.emplace_back(labels[i], read_topics(f->topics[i]));
      Answers answers;
      if (!f->answers.empty()) {
        answers = read_answers(f->answers, f->lang);
        if (topic_sets.empty()) {  // MKQA as published carries its own queries
          std::vector<Topic> ts;
          for (auto& [qid, q] : read_mkqa_queries(f->answers, f->lang)) ts.push_back({qid, q});
          topic_sets.emplace_back("mkqa-" + f->lang, ts);
        }
      }
      if (topic_sets.empty()) throw UsageError("give --topics FILE (with --qrels), --answers FILE or --runs FILE...");
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
      std::vector<HeadWeights> sweep;
      for (const auto& w : f->sweep) sweep.push_back(parse_weights(w));
      if (!sweep.empty() && !f->search.weights.empty()) throw UsageError("give --weights or --sweep-weights, not both");
      std::set<std::string> run_paths;  // this invocation's: two rows never share a run file
      auto run_path = [&](const std::string& label, const std::string& name) {
        if (!f->run_out.empty()) return f->run_out;
        if (f->run_dir.empty()) return std::string();
        const std::string p = f->run_dir + "/" + file_safe(label) + "." + file_safe(name) + ".run";
        if (!run_paths.insert(p).second) throw Error(p + ": two rows would write the same run file");
        return p;
      };
      for (size_t t = 0; t < topic_sets.size(); ++t) {
        const Qrels* q = qrels.empty() ? nullptr : &qrels[qrels.size() == 1 ? 0 : t];
        if (q) {  // qrels of another corpus (or docids that never got indexed) would score 0 without a word
          const auto cov = judged_in_collection(*c, *q, topic_sets[t].second);
          if (cov.judged && cov.absent == cov.judged)
            throw Error(topic_sets[t].first + ": none of the " + std::to_string(cov.judged) +
                        " judged docids is in the collection; are the qrels for this corpus?");
          if (cov.absent)
            std::fprintf(stderr, "warning: %s: %zu of %zu judged docids are not in the collection (they count as not retrieved)\n",
                         topic_sets[t].first.c_str(), cov.absent, cov.judged);
        }
        // The queries are encoded once and shared by every mode and weight set of this topics file.
        std::vector<std::string> texts;
        for (const auto& topic : topic_sets[t].second) texts.push_back(topic.query);
        const int max_len = to_params(f->search, modes.front()).query_max_length;
        std::vector<Embedding> embeddings;
        Progress progress("encoding " + topic_sets[t].first, texts.size(), 10.0, true, "queries");
        for (size_t i = 0; i < texts.size(); i += 32) {
          std::vector<std::string> batch(texts.begin() + static_cast<long>(i), texts.begin() + static_cast<long>(std::min(texts.size(), i + 32)));
          for (auto& e : c->encoder().encode(batch, max_len)) embeddings.push_back(std::move(e));
          progress.update(embeddings.size());
        }
        progress.finish(embeddings.size());
        for (const auto& mode : modes) {
          EvalInputs in;
          in.label = topic_sets[t].first;
          in.topics = topic_sets[t].second;
          in.query_embeddings = &embeddings;
          in.qrels = q;
          in.complete = f->complete;
          in.overwrite = f->overwrite;
          in.progress = true;
          if (!f->answers.empty()) in.answers = &answers;
          const SearchParams p = to_params(f->search, mode);
          in.tag = run_tag(mode, static_cast<size_t>(p.k));
          const bool fused = p.fusion == Fusion::Weighted && (p.mode == SearchMode::DenseSparse || p.mode == SearchMode::All);
          if (sweep.empty() || !fused) {
            in.run_path = run_path(in.label, mode);
            rows.push_back(evaluate(*c, in, p));
            if (with_qrels) warn_shallow(rows.back());
            continue;
          }
          if (f->run_dir.empty()) {  // no run files: each query's candidates gathered once for every set
            for (auto& row : evaluate_sweep(*c, in, p, sweep)) {
              rows.push_back(std::move(row));
              if (with_qrels) warn_shallow(rows.back());
            }
            continue;
          }
          for (const auto& w : sweep) {
            SearchParams pw = p;
            pw.weights = w;
            char name[96];
            std::snprintf(name, sizeof name, "%s@%s", mode.c_str(), weights_text(p.mode, w).c_str());
            in.run_path = run_path(in.label, name);
            rows.push_back(evaluate(*c, in, pw));
            rows.back().mode = name;
          }
        }
      }
    }
    if (with_qrels) add_significance(rows, f->permutations, f->seed);
    print_eval_table(stdout, rows, with_qrels, rows.front().answers.has_value(), f->complete);
    if (!f->per_query.empty()) write_per_query(f->per_query, rows);
    if (!f->json.empty()) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& r : rows) j.push_back(eval_row_json(r));
      std::ofstream(f->json) << j.dump(2) << "\n";
    }
  });
});

}  // namespace
}  // namespace m3::tools
