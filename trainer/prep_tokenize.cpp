#include "trainer/prep_tokenize.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "common/error.h"
#include "trainer/prep_files.h"

namespace m3::trainer {

namespace {
// Tokenises each distinct text once; returns false for text the tokenizer rejects.
class TextIndex {
 public:
  TextIndex(TokenCorpus& corpus, const Tokenizer& tokenizer, int max_len) : corpus_(corpus), tokenizer_(tokenizer), max_len_(max_len) {}
  bool add(const std::string& text, uint32_t& id) {
    auto it = ids_.find(text);
    if (it != ids_.end()) {
      id = it->second;
      return true;
    }
    std::vector<int32_t> tokens;
    try {
      tokens = tokenizer_.encode(text, max_len_);
    } catch (const Error&) {
      return false;
    }
    id = corpus_.add_text(tokens);
    ids_.emplace(text, id);
    return true;
  }

 private:
  TokenCorpus& corpus_;
  const Tokenizer& tokenizer_;
  int max_len_;
  std::unordered_map<std::string, uint32_t> ids_;
};
}  // namespace

namespace {
void add_examples(const std::vector<TextExample>& examples, TextIndex& index, TokenCorpus& c) {
  for (const auto& e : examples) {
    ExampleRefs r;
    r.dataset = c.dataset_id(e.dataset);
    if (!index.add(e.query, r.query)) continue;
    uint32_t id;
    for (const auto& p : e.pos)
      if (index.add(p, id)) r.pos.push_back(id);
    for (const auto& n : e.neg)
      if (index.add(n, id)) r.neg.push_back(id);
    if (!r.pos.empty()) c.add_example(r);
  }
}
}  // namespace

TokenCorpus tokenize_examples(const std::vector<TextExample>& examples, const Tokenizer& tokenizer, int max_len) {
  TokenCorpus c;
  c.vocab_size = tokenizer.vocab_size();
  TextIndex index(c, tokenizer, max_len);
  add_examples(examples, index, c);
  return c;
}

TokenCorpus tokenize_collection(const TextCollection& data, const Tokenizer& tokenizer, int max_len) {
  TokenCorpus c;
  c.vocab_size = tokenizer.vocab_size();
  TextIndex index(c, tokenizer, max_len);
  uint32_t id;
  for (const auto& [dataset, text] : data.raw) index.add(text, id);
  add_examples(data.examples, index, c);
  return c;
}

void write_jsonl_by_dataset(const std::vector<TextExample>& examples, const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::map<std::string, std::ofstream> files;
  for (const auto& e : examples) {
    auto it = files.find(e.dataset);
    if (it == files.end()) {
      const auto path = dir + "/" + e.dataset + ".jsonl";
      it = files.emplace(e.dataset, std::ofstream(path, std::ios::trunc)).first;
      if (!it->second) throw Error(path + ": cannot create");
    }
    it->second << nlohmann::json{{"query", e.query}, {"pos", e.pos}, {"neg", e.neg}}.dump() << "\n";
  }
  for (auto& [name, f] : files) {
    f.flush();
    if (!f) throw Error(dir + "/" + name + ".jsonl: write failed");
  }
}

std::vector<TextExample> read_jsonl(const std::string& path) {
  std::vector<TextExample> out;
  const std::string dataset = std::filesystem::path(path).stem().string();
  size_t n = 0;
  for (const auto& line : split_lines(read_text_file(path))) {
    ++n;
    if (trim(line).empty()) continue;
    try {
      auto j = nlohmann::json::parse(line);
      TextExample e;
      e.dataset = dataset;
      e.query = j.at("query").get<std::string>();
      e.pos = j.at("pos").get<std::vector<std::string>>();
      if (j.contains("neg")) e.neg = j.at("neg").get<std::vector<std::string>>();
      out.push_back(std::move(e));
    } catch (const std::exception& ex) {
      throw Error(path + ":" + std::to_string(n) + ": not a {\"query\", \"pos\", \"neg\"} line (" + ex.what() + ")");
    }
  }
  return out;
}

}  // namespace m3::trainer
