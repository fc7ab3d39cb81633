// m3 index: bulk-index a corpus (JSONL or TSV, optionally .gz) into a collection directory.
// Re-running on the same --collection and corpus resumes from the last commit (same content, checked by hash);
// another corpus into an existing collection needs --append.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "common/error.h"
#include "engine/corpus_lengths.h"
#include "engine/ingest.h"
#include "engine/shard_routing.h"
#include "tools/command.h"
#include "tools/model_flags.h"

namespace m3::tools {
namespace {

bool exists(const std::string& p) { struct stat st; return ::stat(p.c_str(), &st) == 0; }

M3_COMMAND("index", "Bulk-index a corpus (JSONL docid/title/text or TSV docid<TAB>text) into a collection", [](CLI::App& sub) {
  struct Flags {
    ModelFlags model;
    std::string corpus, out, dense = "Flat", mv_codec = "fp16", shard, bm25_avgdl = "corpus";
    int mv_bits = 2;
    size_t commit_every = 10000;
    bool skip_bad = false, quiet = false, optimize = true, append = false;
  };
  auto f = std::make_shared<Flags>();
  sub.add_option("--corpus", f->corpus, "corpus file: .jsonl or .tsv, optionally .gz")->required();
  sub.add_option("--collection", f->out, "collection directory to create (or resume)")->required();
  add_model_flags(sub, f->model);
  sub.add_option("--dense", f->dense, "FAISS factory string: Flat, HNSW32, IVF4096,Flat, IVF4096,PQ64, ...");
  sub.add_option("--mv-codec", f->mv_codec, "multi-vector codec")->check(CLI::IsMember({"fp32", "fp16", "int8", "binary", "residual"}));
  sub.add_option("--mv-bits", f->mv_bits, "bits per dimension of the residual codec")->check(CLI::IsMember({1, 2, 4}));
  sub.add_option("--commit-every", f->commit_every, "documents per commit (resume granularity)")->check(CLI::Range(1, 100000000));
  sub.add_flag("--skip-bad", f->skip_bad, "skip malformed corpus lines instead of stopping");
  sub.add_flag("--quiet", f->quiet, "no progress on stderr");
  sub.add_flag("--append", f->append,
               "index this corpus into an existing collection built from another corpus (same docid replaces)");
  sub.add_flag("!--no-optimize", f->optimize, "leave segments unmerged at the end");
  sub.add_option("--bm25-avgdl", f->bm25_avgdl,
                 "BM25's average document length, fixed at creation: 'corpus' (measured over the whole corpus "
                 "file first: every --shard gets the same, so sharded BM25 equals unsharded), 'running' (the "
                 "average as of each commit), or a number of tokens")
      ->check([](const std::string& v) -> std::string {
        if (v == "corpus" || v == "running") return "";
        try {
          size_t used = 0;
          const double x = std::stod(v, &used);
          if (used == v.size() && x > 0 && x <= IndexSettings::kMaxBm25Avgdl) return "";
        } catch (const std::exception&) {
        }
        return "--bm25-avgdl: expected corpus, running or a length in (0, " + std::to_string(int(IndexSettings::kMaxBm25Avgdl)) +
               "], got '" + v.substr(0, 64) + "'";
      });
  sub.add_option("--shard", f->shard,
                 "I/N: index only shard I of N (0-based) — the documents whose docid hashes there (engine/shard_routing.h)");
  sub.callback([f] {
    const ShardSpec shard = f->shard.empty() ? ShardSpec{} : parse_shard_spec(f->shard);
    if (!exists(f->corpus)) throw UsageError("--corpus " + f->corpus + ": no such file");
    std::shared_ptr<const Encoder> encoder = load_encoder(f->model);
    std::unique_ptr<Collection> c;
    bool created = false;
    if (exists(f->out + "/MANIFEST")) {
      c = Collection::open(f->out, encoder);
      std::fprintf(stderr, "m3 index: %s exists; %s\n", f->out.c_str(),
                   f->append ? "appending" : "resuming if it was built from this corpus");
    } else {
      if (exists(f->out)) throw UsageError("--collection " + f->out + " exists and is not an m3 collection");
      CollectionOptions o;
      o.dense = f->dense;
      o.mv_codec = f->mv_codec;
      o.mv_bits = f->mv_bits;
      o.passage_max_length = f->model.max_length;
      if (f->bm25_avgdl == "corpus") {
        const auto t0 = std::chrono::steady_clock::now();
        const CorpusLengths lengths = corpus_bm25_lengths(f->corpus, *encoder, o.passage_max_length);
        o.bm25_avgdl = lengths.average();  // 0 (running) for a corpus with no readable document
        if (!f->quiet)
          std::fprintf(stderr, "m3 index: BM25 average length %.2f tokens over the corpus's %zu documents (%.1f s)\n",
                       o.bm25_avgdl, lengths.documents,
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      } else if (f->bm25_avgdl != "running") {
        o.bm25_avgdl = std::stod(f->bm25_avgdl);
      }
      c = Collection::create(f->out, o, encoder);
      created = true;
    }
    const uint64_t created_generation = c->info().generation;
    IngestOptions io;
    io.commit_every = f->commit_every;
    io.skip_bad = f->skip_bad;
    io.progress = !f->quiet;
    io.append = f->append;
    io.shard = shard;
    IngestStats s;
    try {
      s = ingest_corpus(*c, f->corpus, io);
    } catch (...) {
      // A collection this run created and never committed to (e.g. the corpus failed on its first
      // line) is removed, not left behind empty.
      if (created && c->info().generation == created_generation) {
        c.reset();
        std::error_code ec;
        std::filesystem::remove_all(f->out, ec);
      }
      throw;
    }
    if (f->optimize && c->info().segments > 1) c->optimize();
    auto info = c->info();
    if (s.documents == 0 && s.resumed_from > 0) {
      std::fprintf(stderr, "m3 index: nothing new: %s was already indexed up to line %zu; collection has %zu documents\n",
                   f->corpus.c_str(), s.resumed_from, info.documents);
      return;
    }
    std::fprintf(stderr,
                 "m3 index: %zu documents indexed in %.1f s (%.1f docs/s; %.1f%% of the time outside the encoder)%s%s; "
                 "collection has %zu documents, %.1f MB\n",
                 s.documents, s.seconds, s.docs_per_second(), 100.0 * s.outside_encoder_share(),
                 s.resumed_from ? (", resumed after line " + std::to_string(s.resumed_from)).c_str() : "",
                 (s.skipped ? ", " + std::to_string(s.skipped) + " bad lines skipped" : std::string()).append(
                     shard.count > 1 ? ", shard " + f->shard + " (" + std::to_string(s.other_shards) + " documents of other shards)" : "").c_str(),
                 info.documents,
                 info.sizes.total() / 1e6);
  });
});

}  // namespace
}  // namespace m3::tools
