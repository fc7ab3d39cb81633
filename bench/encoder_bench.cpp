// Encoder throughput against plain eager PyTorch (Debian's python3-torch) on the same checkpoint, the
// same inputs and the same thread count, measured in the same run; prints tokens/s, texts/s, ratios.
//
//   build/bench/encoder_bench [--threads N] [--layers 6 --hidden 384 --heads 12 --ffn 1536 --vocab 32000]
//                             [--texts 64] [--repeats 3] [--bf16]
// Input sets: short (~16 tokens), medium (~128), long (~2048), mixed (16..1024, log-uniform). Both sides
// get the texts in the same order and the same batch size; m3 sorts by length and pads per batch,
// the baseline pads each batch of consecutive texts to its longest (what a plain forward does).
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "encoder/encoder.h"
#include "encoder/m3_model.h"

using namespace m3;

namespace {

struct Args {
  int threads = 2, layers = 6, hidden = 384, heads = 12, ffn = 1536, vocab = 32000, texts = 64, repeats = 3, batch = 16;
  bool bf16 = false;
};

std::vector<std::vector<int32_t>> make_set(const std::string& kind, int n, int vocab, std::mt19937& rng) {
  std::vector<std::vector<int32_t>> out;
  std::uniform_int_distribution<int32_t> tok(4, vocab - 2);
  for (int i = 0; i < n; ++i) {
    int len;
    if (kind == "short") len = 12 + static_cast<int>(rng() % 9);
    else if (kind == "medium") len = 112 + static_cast<int>(rng() % 33);
    else if (kind == "long") len = 1900 + static_cast<int>(rng() % 148);
    else len = static_cast<int>(std::exp(std::uniform_real_distribution<double>(std::log(16), std::log(1024))(rng)));
    std::vector<int32_t> ids{0};
    for (int j = 0; j < len - 2; ++j) ids.push_back(tok(rng));
    ids.push_back(2);
    out.push_back(std::move(ids));
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&] { return std::stoi(argv[++i]); };
    if (k == "--threads") a.threads = next();
    else if (k == "--layers") a.layers = next();
    else if (k == "--hidden") a.hidden = next();
    else if (k == "--heads") a.heads = next();
    else if (k == "--ffn") a.ffn = next();
    else if (k == "--vocab") a.vocab = next();
    else if (k == "--texts") a.texts = next();
    else if (k == "--repeats") a.repeats = next();
    else if (k == "--batch") a.batch = next();
    else if (k == "--bf16") a.bf16 = true;
    else { std::fprintf(stderr, "unknown flag %s\n", k.c_str()); return 2; }
  }
  const std::string dir = "/tmp/m3_encoder_bench_model";
  ::mkdir(dir.c_str(), 0755);
  ModelConfig c;
  c.num_hidden_layers = a.layers;
  c.hidden_size = a.hidden;
  c.num_attention_heads = a.heads;
  c.intermediate_size = a.ffn;
  c.vocab_size = a.vocab;
  c.max_position_embeddings = 2050;
  {
    torch::manual_seed(0);
    M3Model m(c);
    m->save(dir, DType::F32);
    std::ifstream in(std::string(M3_SOURCE_DIR) + "/tests/fixtures/tiny-m3/sentencepiece.bpe.model", std::ios::binary);
    std::ofstream(dir + "/sentencepiece.bpe.model", std::ios::binary) << in.rdbuf();
  }
  EncoderOptions o;
  o.threads = a.threads;
  o.batch_size = a.batch;
  o.max_batch_tokens = 1 << 30;  // same batches as the baseline: batch_size texts
  o.precision = a.bf16 ? Precision::BF16 : Precision::FP32;
  auto enc = Encoder::load(dir, o);

  std::mt19937 rng(7);
  const std::vector<std::string> kinds = {"short", "medium", "long", "mixed"};
  std::printf("model: %d layers x %d hidden, %d heads, FFN %d, vocab %d; %d threads; batch %d; %s\n", a.layers, a.hidden,
              a.heads, a.ffn, a.vocab, a.threads, a.batch, a.bf16 ? "m3 bf16" : "fp32");
  std::printf("%-7s %6s %8s | %12s %10s | %12s %10s | %6s\n", "set", "texts", "tokens", "m3 tok/s", "m3 texts/s",
              "torch tok/s", "texts/s", "ratio");
  for (const auto& kind : kinds) {
    const int n = kind == "long" ? std::max(4, a.texts / 8) : a.texts;
    auto set = make_set(kind, n, a.vocab, rng);
    size_t tokens = 0;
    for (const auto& s : set) tokens += s.size();
    const std::string ids_path = "/tmp/m3_encoder_bench_" + kind + ".txt";
    {
      std::ofstream out(ids_path);
      for (const auto& s : set) {
        for (size_t i = 0; i < s.size(); ++i) out << (i ? " " : "") << s[i];
        out << "\n";
      }
    }
    enc->encode_ids({set[0]});  // warm-up
    std::vector<double> times;
    for (int r = 0; r < a.repeats; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      auto out = enc->encode_ids(set);
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    const double m3_s = median(times);
    // Baseline, same run: python3-torch eager forward of the same checkpoint and ids.
    std::ostringstream cmd;
    cmd << "OMP_NUM_THREADS=" << a.threads << " /usr/bin/python3 " << M3_SOURCE_DIR << "/bench/pytorch_eager_baseline.py --model "
        << dir << " --ids " << ids_path << " --threads " << a.threads << " --batch " << a.batch << " --repeats " << a.repeats;
    FILE* p = ::popen(cmd.str().c_str(), "r");
    double torch_s = -1;
    if (p) {
      char buf[256];
      while (std::fgets(buf, sizeof buf, p)) std::sscanf(buf, "seconds %lf", &torch_s);
      ::pclose(p);
    }
    std::printf("%-7s %6d %8zu | %12.0f %10.1f | %12.0f %10.1f | %5.2fx\n", kind.c_str(), n, tokens, tokens / m3_s, n / m3_s,
                torch_s > 0 ? tokens / torch_s : 0, torch_s > 0 ? n / torch_s : 0, torch_s > 0 ? torch_s / m3_s : 0);
    std::fflush(stdout);
  }
  return 0;
}
