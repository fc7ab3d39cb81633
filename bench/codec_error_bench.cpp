// Multi-vector codec error on real encoder output (ARCHITECTURE Decisions 9): real multilingual text
// encoded by (a) a randomly initialised XLM-R-shaped encoder at 1024 dims and (b) the shipped default
// model (models/m3-default, at its own dimension) when that directory exists. For each codec (fp16,
// int8, binary, residual 1/2/4 bits) it stores the documents' token vectors in a MultiVectorStore and
// reports bytes per token, the mean absolute MaxSim error against the fp32 store, and the top-10 overlap
// with the fp32 ranking when re-ranking each query's 200 candidates (the dense head's fp32 top-200,
// as the multivec mode takes them: Decisions 1).
//
// Text: sentences read at run time from ../shared/data/train/mono/ud/*.sents.tsv.gz (30 UD treebanks,
// 18 languages; nothing is copied into the repository). Documents are consecutive sentences of one
// treebank joined until ~100 tokens (the encoder's own tokenizer; truncated at 128); queries are single
// sentences held out of the documents, taken round-robin over the treebanks. The random encoder uses
// the default model's tokenizer when that model is present (else the tiny test fixture's), so both
// encoders see the same token sequences. Results and reading: index/README.md.
//
//   build/bench/codec_error_bench [--layers 2] [--docs 1000] [--queries 100] [--candidates 200]
//                                 [--threads 2] [--model DIR] [--data DIR] [--skip-random]
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "encoder/encoder.h"
#include "encoder/m3_model.h"
#include "index/multivec_store.h"
#include "index/simd.h"

using namespace m3;
namespace fs = std::filesystem;

namespace {

struct Args {
  int layers = 2, docs = 1000, queries = 100, candidates = 200, threads = 2, doc_tokens = 100;
  std::string model = std::string(M3_SOURCE_DIR) + "/models/m3-default";
  std::string data = std::string(M3_SHARED_DATA) + "/train/mono/ud";
  bool skip_random = false;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The sentence column of every *.sents.tsv.gz file (id \t sentence), one list per file, files sorted.
std::vector<std::pair<std::string, std::vector<std::string>>> read_treebanks(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    const std::string suffix = ".sents.tsv.gz";
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& f : files) {
    gzFile g = gzopen(f.c_str(), "rb");
    if (!g) continue;
    std::vector<std::string> sents;
    std::string line;
    char buf[1 << 16];
    while (gzgets(g, buf, sizeof buf)) {
      line += buf;
      if (line.empty() || line.back() != '\n') continue;
      line.pop_back();
      auto tab = line.find('\t');
      if (tab != std::string::npos && tab + 1 < line.size()) sents.push_back(line.substr(tab + 1));
      line.clear();
    }
    gzclose(g);
    if (!sents.empty()) out.emplace_back(fs::path(f).filename().string(), std::move(sents));
  }
  return out;
}

struct Corpus {
  std::vector<std::string> docs, queries;
};

// Queries: sentence i of each treebank in turn (i = 0, 1, ...); documents: the remaining sentences of
// each treebank, consecutive ones joined until `doc_tokens` tokens, treebanks in turn.
Corpus build_corpus(const std::vector<std::pair<std::string, std::vector<std::string>>>& tb, const Encoder& enc,
                    const Args& a) {
  Corpus c;
  const size_t F = tb.size();
  const size_t per_file = (size_t(a.queries) + F - 1) / F;
  for (size_t i = 0; i < per_file && c.queries.size() < size_t(a.queries); ++i)
    for (size_t f = 0; f < F && c.queries.size() < size_t(a.queries); ++f)
      if (i < tb[f].second.size()) c.queries.push_back(tb[f].second[i]);
  std::vector<size_t> cursor(F, per_file);
  bool progress = true;
  while (c.docs.size() < size_t(a.docs) && progress) {
    progress = false;
    for (size_t f = 0; f < F && c.docs.size() < size_t(a.docs); ++f) {
      std::string doc;
      size_t tokens = 0;
      while (cursor[f] < tb[f].second.size() && tokens < size_t(a.doc_tokens)) {
        const std::string& s = tb[f].second[cursor[f]++];
        doc += (doc.empty() ? "" : " ") + s;
        tokens = enc.tokenize(doc, 1 << 20).size();
      }
      if (!doc.empty()) c.docs.push_back(doc), progress = true;
    }
  }
  return c;
}

struct CodecRow {
  std::string name;
  MvCodec codec;
  int bits;
};

void evaluate(const std::string& title, const Encoder& enc,
              const std::vector<std::pair<std::string, std::vector<std::string>>>& tb, const Args& a) {
  auto t0 = std::chrono::steady_clock::now();
  Corpus corpus = build_corpus(tb, enc, a);
  const int doc_max = std::min(enc.max_length(), a.doc_tokens + 28), query_max = std::min(enc.max_length(), 64);
  std::vector<Embedding> docs = enc.encode(corpus.docs, doc_max), queries = enc.encode(corpus.queries, query_max);
  const double encode_s = seconds_since(t0);
  const int dim = enc.multivec_dim(), ddim = enc.dense_dim();
  size_t doc_vectors = 0, query_vectors = 0;
  for (const auto& e : docs) doc_vectors += size_t(e.colbert_rows);
  for (const auto& e : queries) query_vectors += size_t(e.colbert_rows);

  // Candidates: the dense head's fp32 top-N per query (score descending, then doc ascending).
  const size_t N = std::min(size_t(a.candidates), docs.size());
  std::vector<std::vector<uint32_t>> cands(queries.size());
  for (size_t qi = 0; qi < queries.size(); ++qi) {
    std::vector<std::pair<float, uint32_t>> s;
    for (uint32_t d = 0; d < docs.size(); ++d)
      s.push_back({-simd::dot_f32(queries[qi].dense.data(), docs[d].dense.data(), size_t(ddim)), d});
    std::partial_sort(s.begin(), s.begin() + long(N), s.end());
    for (size_t i = 0; i < N; ++i) cands[qi].push_back(s[i].second);
  }

  // All document token vectors, for the residual codebook (trained on the corpus, as a collection's
  // first commit does; the 1- and 4-bit codebooks reuse the 2-bit one's centroids, which is what
  // training them separately gives too: k-means does not depend on the bit width).
  std::vector<float> all;
  all.reserve(doc_vectors * size_t(dim));
  for (const auto& e : docs) all.insert(all.end(), e.colbert.begin(), e.colbert.end());
  auto tc = std::chrono::steady_clock::now();
  ResidualCodebook cb2 = ResidualCodebook::train(all.data(), doc_vectors, dim, 2);
  ResidualCodebook cb1 = ResidualCodebook::train(all.data(), doc_vectors, dim, 1, 1234, &cb2);
  ResidualCodebook cb4 = ResidualCodebook::train(all.data(), doc_vectors, dim, 4, 1234, &cb2);
  const double codebook_s = seconds_since(tc);

  char tmpl[] = "/tmp/m3-codec-error-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::vector<CodecRow> rows = {{"fp32", MvCodec::Fp32, 0},      {"fp16", MvCodec::Fp16, 0},
                                      {"int8", MvCodec::Int8, 0},      {"binary", MvCodec::Binary, 0},
                                      {"residual 1 bit", MvCodec::Residual, 1}, {"residual 2 bits", MvCodec::Residual, 2},
                                      {"residual 4 bits", MvCodec::Residual, 4}};
  auto codebook = [&](int bits) { return bits == 1 ? &cb1 : bits == 2 ? &cb2 : bits == 4 ? &cb4 : nullptr; };
  // fp32 scores of every (query, candidate) first: the reference of every row.
  std::vector<std::vector<float>> ref(queries.size());
  std::printf("\n### %s\n\n", title.c_str());
  std::printf("%zu documents (%.1f tokens each on average, %zu token vectors of %d-d), %zu queries (%.1f tokens each), "
              "%zu dense-top candidates per query; %zu treebanks; encoded in %.1f s, codebooks (%zu centroids) in %.1f s\n\n",
              docs.size(), double(doc_vectors) / double(docs.size()), doc_vectors, dim, queries.size(),
              double(query_vectors) / double(queries.size()), N, tb.size(), encode_s, cb2.num_centroids(), codebook_s);
  std::printf("| codec | bytes / token | bytes / doc (file) | MaxSim MAE vs fp32 | mean signed error | MAE / score spread | "
              "top-10 overlap vs fp32 |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  double spread = 0, mean_score = 0;
  for (const auto& row : rows) {
    const std::string path = dir + "/mv";
    {
      MultiVectorWriter w(path, row.codec, dim, row.bits, codebook(row.bits));
      for (const auto& e : docs) w.add(e.colbert.data(), size_t(e.colbert_rows));
      w.finish();
    }
    auto store = MultiVectorStore::open(path, dim, codebook(row.bits));
    double abs_err = 0, signed_err = 0;
    size_t pairs = 0, overlap = 0, hamming_overlap = 0;
    const bool hamming = row.codec == MvCodec::Binary && dim % 64 == 0;
    for (size_t qi = 0; qi < queries.size(); ++qi) {
      std::vector<float> s(cands[qi].size());
      MaxSimQuery pq = store->prepare(queries[qi].colbert.data(), queries[qi].colbert_rows);
      store->maxsim(pq, cands[qi].data(), cands[qi].size(), s.data());
      if (row.codec == MvCodec::Fp32) {
        ref[qi] = s;
        double m = std::accumulate(s.begin(), s.end(), 0.0) / double(s.size()), v = 0;
        for (float x : s) v += (x - m) * (x - m);
        spread += std::sqrt(v / double(s.size()));
        mean_score += m;
      }
      auto top10 = [&](const std::vector<float>& sc) {
        std::vector<std::pair<float, uint32_t>> o;
        for (size_t i = 0; i < sc.size(); ++i) o.push_back({-sc[i], cands[qi][i]});
        std::sort(o.begin(), o.end());
        std::set<uint32_t> t;
        for (size_t i = 0; i < std::min<size_t>(10, o.size()); ++i) t.insert(o[i].second);
        return t;
      };
      auto a10 = top10(ref[qi]), b10 = top10(s);
      for (auto d : a10) overlap += b10.count(d);
      for (size_t i = 0; i < s.size(); ++i) {
        abs_err += std::fabs(double(s[i]) - double(ref[qi][i]));
        signed_err += double(s[i]) - double(ref[qi][i]);
      }
      if (hamming) {  // the binary codec's approximate pre-score (sign bits of the query, popcount)
        auto qb = MultiVectorStore::sign_bits(queries[qi].colbert.data(), queries[qi].colbert_rows, dim);
        std::vector<float> h(cands[qi].size());
        for (size_t i = 0; i < h.size(); ++i) h[i] = store->hamming_prescore(qb.data(), queries[qi].colbert_rows, cands[qi][i]);
        auto h10 = top10(h);
        for (auto d : a10) hamming_overlap += h10.count(d);
      }
      pairs += s.size();
    }
    const double mae = abs_err / double(pairs);
    const double sp = spread / double(queries.size());
    std::printf("| %s | %zu | %.0f | %.2e | %+.2e | %.3f | %.3f |\n", row.name.c_str(), store->code_size(),
                double(store->bytes()) / double(docs.size()), mae, signed_err / double(pairs), mae / sp,
                double(overlap) / double(10 * queries.size()));
    if (hamming)
      std::printf("| binary, Hamming pre-score (approximate) | %zu | %.0f | – | – | – | %.3f |\n", store->code_size(),
                  double(store->bytes()) / double(docs.size()), double(hamming_overlap) / double(10 * queries.size()));
    std::fflush(stdout);
    store.reset();
    fs::remove(path);
  }
  fs::remove_all(dir);
  std::printf("\nfp32 MaxSim over the candidates: mean %.4f; score spread (standard deviation over a query's %zu "
              "candidates, averaged over queries) %.4f\n",
              mean_score / double(queries.size()), N, spread / double(queries.size()));
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--layers") a.layers = std::stoi(next());
    else if (k == "--docs") a.docs = std::stoi(next());
    else if (k == "--queries") a.queries = std::stoi(next());
    else if (k == "--candidates") a.candidates = std::stoi(next());
    else if (k == "--threads") a.threads = std::stoi(next());
    else if (k == "--doc-tokens") a.doc_tokens = std::stoi(next());
    else if (k == "--model") a.model = next();
    else if (k == "--data") a.data = next();
    else if (k == "--skip-random") a.skip_random = true;
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  try {
    if (!fs::is_directory(a.data)) {
      std::fprintf(stderr, "no text: %s is not a directory (pass --data DIR with *.sents.tsv.gz files)\n", a.data.c_str());
      return 1;
    }
    auto tb = read_treebanks(a.data);
    size_t n = 0;
    for (const auto& t : tb) n += t.second.size();
    std::printf("text: %zu sentences from %zu treebanks in %s\n", n, tb.size(), a.data.c_str());
    std::fflush(stdout);
    if (tb.empty()) return 1;
    EncoderOptions o;
    o.threads = a.threads;
    o.batch_size = 16;
    if (!a.skip_random) {
      // (a) A randomly initialised XLM-R-shaped encoder at 1024 dims (LibTorch's default initialisation,
      // seed 0). Tokenizer: the default model's SentencePiece model (multilingual, 24k pieces) when
      // that model is present, else the tiny fixture's (1.5k pieces); the vocabulary size follows it.
      const std::string dir = "/tmp/m3-codec-error-model-" + std::to_string(::getpid());
      fs::create_directories(dir);
      const bool own_tokenizer = fs::exists(a.model + "/sentencepiece.bpe.model") && fs::exists(a.model + "/config.json");
      const std::string tok_dir = own_tokenizer ? a.model : std::string(M3_SOURCE_DIR) + "/tests/fixtures/tiny-m3";
      ModelConfig c = ModelConfig::from_file(tok_dir + "/config.json");
      c.hidden_size = 1024;
      c.num_attention_heads = 16;
      c.intermediate_size = 4096;
      c.num_hidden_layers = a.layers;
      c.max_position_embeddings = 514;
      c.colbert_dim = -1;  // the ColBERT head at the hidden size, 1024
      {
        torch::manual_seed(0);
        M3Model m(c);
        m->save(dir, DType::F32);
        fs::copy_file(tok_dir + "/sentencepiece.bpe.model", dir + "/sentencepiece.bpe.model",
                      fs::copy_options::overwrite_existing);
      }
      auto enc = Encoder::load(dir, o);
      evaluate("Randomly initialised XLM-R-shaped encoder, 1024-d: " + std::to_string(a.layers) +
                   " layers, 16 heads, FFN 4096, tokenizer of " + tok_dir + " (vocabulary " + std::to_string(c.vocab_size) + ")",
               *enc, tb, a);
      enc.reset();
      fs::remove_all(dir);
    }
    if (fs::is_directory(a.model)) {
      auto enc = Encoder::load(a.model, o);
      evaluate("Default model " + a.model + ", " + std::to_string(enc->multivec_dim()) + "-d (its own dimension)", *enc, tb, a);
    } else {
      std::printf("\n### Default model\n\nskipped: %s does not exist (the shipped model is not in this tree yet)\n", a.model.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "codec_error_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
