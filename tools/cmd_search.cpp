// m3 search: answer queries against a collection, printed readably with per-head scores, or, with
// --topics/--run, a TREC run file for every topic.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "common/error.h"
#include "engine/progress.h"
#include "engine/run_file.h"
#include "tools/command.h"
#include "tools/search_flags.h"

namespace m3::tools {
namespace {

std::string snippet(const std::string& s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return s.substr(0, cut) + "…";
}

void print_hits(const std::string& query, const SearchParams& p, const SearchResult& r) {
  std::string weights;  // the fused modes say which weights scored them (the request's, the model's or the paper's)
  if (p.fusion == Fusion::Weighted && (p.mode == SearchMode::DenseSparse || p.mode == SearchMode::All)) {
    const auto w = p.effective_weights();
    char buf[96];
    std::snprintf(buf, sizeof buf, ", weights %s", weights_text(p.mode, w).c_str());
    weights = buf;
  }
  std::printf("query: %s   [mode %s%s, encode %.1f ms, search %.1f ms]\n", query.c_str(), to_string(p.mode), weights.c_str(),
              r.encode_ms, r.search_ms);
  if (r.hits.empty()) std::printf("   (no hits)\n");
  for (size_t i = 0; i < r.hits.size(); ++i) {
    const auto& h = r.hits[i];
    std::string heads;
    char buf[64];
    if (h.scores.dense) { std::snprintf(buf, sizeof buf, " dense %.4f", *h.scores.dense); heads += buf; }
    if (h.scores.sparse) { std::snprintf(buf, sizeof buf, " sparse %.4f", *h.scores.sparse); heads += buf; }
    if (h.scores.multivec) { std::snprintf(buf, sizeof buf, " multivec %.4f", *h.scores.multivec); heads += buf; }
    if (h.scores.bm25) { std::snprintf(buf, sizeof buf, " bm25 %.4f", *h.scores.bm25); heads += buf; }
    std::printf("%3zu. %-24s score %.4f  [%s ]\n", i + 1, h.docid.c_str(), h.score, heads.c_str() + 1);
    std::string body = h.title.empty() ? h.text : h.title + " — " + h.text;
    std::printf("     %s\n", snippet(body, 160).c_str());
  }
  std::printf("\n");
}

M3_COMMAND("search", "Search a collection: QUERY... printed with per-head scores, or --topics FILE --run OUT", [](CLI::App& sub) {
  struct Flags {
    SearchFlags search;
    std::string collection, model, topics, run, tag;
    std::vector<std::string> queries;
    size_t batch = 32;
    bool overwrite = false;
  };
  auto f = std::make_shared<Flags>();
  sub.add_option("--collection", f->collection, "collection directory")->required();
  sub.add_option("--model", f->model, "model directory (default: the one the collection was built with)");
  add_search_flags(sub, f->search);
  sub.add_option("--topics", f->topics, "topics file (qid<TAB>query, optionally .gz)");
  sub.add_option("--run", f->run, "TREC run file to write for --topics");
  sub.add_option("--tag", f->tag, "run tag (default m3-<mode>-k<k>, e.g. m3-dense+sparse-k1000)");
  sub.add_flag("--overwrite", f->overwrite, "replace an existing --run file (default: an error)");
  sub.add_option("--batch-size", f->batch, "queries encoded together with --topics")->check(CLI::Range(1, 4096));
  sub.add_option("query", f->queries, "queries");
  sub.callback([f] {
    if (f->topics.empty() != f->run.empty()) throw UsageError("--topics and --run go together");
    // A run is scored later, at depths the search cannot know (Recall@100, Recall@1000): deep by
    // default, as pyserini writes them; --k still rules when given.
    if (!f->run.empty() && f->search.k.empty()) f->search.k = "1000";
    SearchParams p = to_params(f->search);
    if (f->tag.empty()) f->tag = run_tag(to_string(p.mode), static_cast<size_t>(p.k));
    if (f->topics.empty() && f->queries.empty()) throw UsageError("give QUERY... or --topics FILE --run OUT");
    auto c = Collection::open(f->collection, nullptr, f->model, Collection::Access::ReadOnly);
    if (!f->topics.empty()) {
      auto topics = read_topics(f->topics);
      std::vector<SearchResult> results;
      struct stat st;  // refuse before the search, not after it
      if (!f->overwrite && ::stat(f->run.c_str(), &st) == 0)
        throw Error(f->run + ": run file exists; remove it or pass --overwrite to replace it");
      const auto t0 = std::chrono::steady_clock::now();
      Progress progress("searching", topics.size(), 10.0, true, "queries");
      for (size_t i = 0; i < topics.size(); i += f->batch) {
        std::vector<std::string> qs;
        for (size_t j = i; j < std::min(topics.size(), i + f->batch); ++j) qs.push_back(topics[j].query);
        for (auto& r : c->search_batch(qs, p)) results.push_back(std::move(r));
        progress.update(results.size());
      }
      progress.finish(results.size());
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      write_run_file(f->run, topics, results, f->tag, f->overwrite);
      std::fprintf(stderr, "m3 search: %zu topics in %.2f s (%.1f queries/s), run (%d hits per topic, tag %s) written to %s\n",
                   topics.size(), s, topics.size() / std::max(s, 1e-9), p.k, f->tag.c_str(), f->run.c_str());
      return;
    }
    auto results = c->search_batch(f->queries, p);
    const SearchParams used = p.with_model_weights(c->encoder().fusion_weights());
    for (size_t i = 0; i < results.size(); ++i) print_hits(f->queries[i], used, results[i]);
  });
});

}  // namespace
}  // namespace m3::tools
