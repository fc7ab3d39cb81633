// Tokenised training data: every text stored once as model token ids ("<s> ... </s>"), and training
// examples that refer to texts by index. This is what travels to a GPU machine, which has no
// tokenizer (ARCHITECTURE Decision 10).
//
// An example is FlagEmbedding's {"query", "pos": [...], "neg": [...]} with texts replaced by indices.
// Raw-text (MLM) data is a corpus whose examples are empty: its texts are the data.
// Sharing texts by index keeps parallel data small: one NTREX sentence is stored once, however many
// cross-lingual pairs use it.
//
// File layout (".tok", little-endian, written by write_token_corpus):
//   "M3TOKENS" u32 version=1 u32 id_bytes(2|4) u32 vocab_size
//   u32 num_datasets, per dataset: u32 length, bytes (UTF-8 name)
//   u64 num_texts, u64 num_ids, u64 offsets[num_texts+1], ids[num_ids] (id_bytes each)
//   u64 num_examples, u16 dataset[n], u16 num_pos[n], u16 num_neg[n], u64 num_refs, u32 refs[num_refs]
// Example i's refs are [query, pos..., neg...], laid out one example after another.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace m3::trainer {

// A non-owning view of one text's ids.
struct TokenSpan {
  const int32_t* data = nullptr;
  size_t size = 0;
  const int32_t* begin() const { return data; }
  const int32_t* end() const { return data + size; }
  int32_t operator[](size_t i) const { return data[i]; }
};

struct ExampleRefs {
  uint16_t dataset = 0;
  uint32_t query = 0;
  std::vector<uint32_t> pos, neg;
};

class TokenCorpus {
 public:
  int32_t vocab_size = 0;  // the model's vocabulary (len(spm) + 2); every id is below it

  uint16_t dataset_id(const std::string& name);  // adds the name on first use
  const std::vector<std::string>& datasets() const { return datasets_; }

  uint32_t add_text(const std::vector<int32_t>& ids);
  size_t num_texts() const { return offsets_.size() - 1; }
  size_t num_ids() const { return ids_.size(); }
  TokenSpan text(uint32_t i) const { return {ids_.data() + offsets_[i], static_cast<size_t>(offsets_[i + 1] - offsets_[i])}; }

  void add_example(const ExampleRefs& e);
  size_t num_examples() const { return dataset_.size(); }
  ExampleRefs example(size_t i) const;
  uint16_t example_dataset(size_t i) const { return dataset_[i]; }

  // Appends another corpus (texts, datasets and examples are re-indexed).
  void append(const TokenCorpus& other);

 private:
  std::vector<std::string> datasets_;
  std::vector<uint64_t> offsets_{0};
  std::vector<int32_t> ids_;
  std::vector<uint16_t> dataset_, num_pos_, num_neg_;
  std::vector<uint64_t> first_ref_;
  std::vector<uint32_t> refs_;

  friend void write_token_corpus(const std::string&, const TokenCorpus&);
  friend TokenCorpus read_token_corpus(const std::string&);
};

// Throws m3::Error naming the file on any I/O problem, bad magic, or out-of-range index/id.
void write_token_corpus(const std::string& path, const TokenCorpus& corpus);
TokenCorpus read_token_corpus(const std::string& path);

}  // namespace m3::trainer
