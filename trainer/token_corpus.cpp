#include "trainer/token_corpus.h"

#include <cstring>
#include <fstream>
#include <limits>

#include "common/error.h"

namespace m3::trainer {

namespace {
constexpr char kMagic[8] = {'M', '3', 'T', 'O', 'K', 'E', 'N', 'S'};
constexpr uint32_t kVersion = 1;

class Writer {
 public:
  explicit Writer(const std::string& path) : path_(path), out_(path, std::ios::binary | std::ios::trunc) {
    if (!out_) throw Error(path + ": cannot create token corpus file");
  }
  template <typename T>
  void put(T v) { out_.write(reinterpret_cast<const char*>(&v), sizeof(T)); }
  template <typename T>
  void put_array(const std::vector<T>& v) {
    out_.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(T)));
  }
  void put_bytes(const void* p, size_t n) { out_.write(static_cast<const char*>(p), static_cast<std::streamsize>(n)); }
  void finish() {
    out_.flush();
    if (!out_) throw Error(path_ + ": write failed");
  }

 private:
  std::string path_;
  std::ofstream out_;
};

class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) throw Error(path + ": cannot open token corpus file");
  }
  template <typename T>
  T get() {
    T v{};
    read(&v, sizeof(T));
    return v;
  }
  template <typename T>
  void get_array(std::vector<T>& v, uint64_t n) {
    // Bound the allocation by what the file can hold, so a corrupt count fails cleanly.
    if (n > remaining() / sizeof(T)) throw Error(path_ + ": truncated token corpus (array of " + std::to_string(n) + ")");
    v.resize(n);
    read(v.data(), n * sizeof(T));
  }
  void read(void* p, size_t n) {
    in_.read(static_cast<char*>(p), static_cast<std::streamsize>(n));
    if (static_cast<size_t>(in_.gcount()) != n) throw Error(path_ + ": truncated token corpus file");
  }
  uint64_t remaining() {
    auto here = in_.tellg();
    in_.seekg(0, std::ios::end);
    auto end = in_.tellg();
    in_.seekg(here);
    return static_cast<uint64_t>(end - here);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ifstream in_;
};
}  // namespace

uint16_t TokenCorpus::dataset_id(const std::string& name) {
  for (size_t i = 0; i < datasets_.size(); ++i)
    if (datasets_[i] == name) return static_cast<uint16_t>(i);
  if (datasets_.size() >= std::numeric_limits<uint16_t>::max()) throw Error("token corpus: too many datasets");
  datasets_.push_back(name);
  return static_cast<uint16_t>(datasets_.size() - 1);
}

uint32_t TokenCorpus::add_text(const std::vector<int32_t>& ids) {
  if (num_texts() >= std::numeric_limits<uint32_t>::max()) throw Error("token corpus: too many texts");
  ids_.insert(ids_.end(), ids.begin(), ids.end());
  offsets_.push_back(ids_.size());
  return static_cast<uint32_t>(num_texts() - 1);
}

void TokenCorpus::add_example(const ExampleRefs& e) {
  const size_t limit = std::numeric_limits<uint16_t>::max();
  if (e.pos.size() > limit || e.neg.size() > limit) throw Error("token corpus: example with too many texts");
  if (e.dataset >= datasets_.size()) throw Error("token corpus: example names an unknown dataset");
  auto check = [&](uint32_t t) {
    if (t >= num_texts()) throw Error("token corpus: example refers to text " + std::to_string(t) + " of " + std::to_string(num_texts()));
  };
  check(e.query);
  for (auto t : e.pos) check(t);
  for (auto t : e.neg) check(t);
  dataset_.push_back(e.dataset);
  num_pos_.push_back(static_cast<uint16_t>(e.pos.size()));
  num_neg_.push_back(static_cast<uint16_t>(e.neg.size()));
  first_ref_.push_back(refs_.size());
  refs_.push_back(e.query);
  refs_.insert(refs_.end(), e.pos.begin(), e.pos.end());
  refs_.insert(refs_.end(), e.neg.begin(), e.neg.end());
}

ExampleRefs TokenCorpus::example(size_t i) const {
  ExampleRefs e;
  e.dataset = dataset_[i];
  const uint32_t* r = refs_.data() + first_ref_[i];
  e.query = r[0];
  e.pos.assign(r + 1, r + 1 + num_pos_[i]);
  e.neg.assign(r + 1 + num_pos_[i], r + 1 + num_pos_[i] + num_neg_[i]);
  return e;
}

void TokenCorpus::append(const TokenCorpus& other) {
  if (vocab_size == 0) vocab_size = other.vocab_size;
  if (other.vocab_size != vocab_size)
    throw Error("token corpus: cannot merge corpora of vocabulary " + std::to_string(vocab_size) + " and " +
                std::to_string(other.vocab_size));
  const uint32_t text_base = static_cast<uint32_t>(num_texts());
  for (size_t t = 0; t < other.num_texts(); ++t) {
    auto s = other.text(static_cast<uint32_t>(t));
    add_text(std::vector<int32_t>(s.begin(), s.end()));
  }
  for (size_t i = 0; i < other.num_examples(); ++i) {
    auto e = other.example(i);
    e.dataset = dataset_id(other.datasets_[e.dataset]);
    e.query += text_base;
    for (auto& t : e.pos) t += text_base;
    for (auto& t : e.neg) t += text_base;
    add_example(e);
  }
  for (const auto& d : other.datasets_) dataset_id(d);  // keep names of text-only corpora too
}

void write_token_corpus(const std::string& path, const TokenCorpus& c) {
  if (c.vocab_size <= 0) throw Error(path + ": token corpus has no vocabulary size");
  const uint32_t id_bytes = c.vocab_size <= 65536 ? 2 : 4;
  Writer w(path);
  w.put_bytes(kMagic, sizeof(kMagic));
  w.put(kVersion);
  w.put(id_bytes);
  w.put(static_cast<uint32_t>(c.vocab_size));
  w.put(static_cast<uint32_t>(c.datasets_.size()));
  for (const auto& d : c.datasets_) {
    w.put(static_cast<uint32_t>(d.size()));
    w.put_bytes(d.data(), d.size());
  }
  w.put(static_cast<uint64_t>(c.num_texts()));
  w.put(static_cast<uint64_t>(c.ids_.size()));
  w.put_array(c.offsets_);
  if (id_bytes == 2) {
    std::vector<uint16_t> narrow(c.ids_.begin(), c.ids_.end());
    w.put_array(narrow);
  } else {
    w.put_array(c.ids_);
  }
  w.put(static_cast<uint64_t>(c.num_examples()));
  w.put_array(c.dataset_);
  w.put_array(c.num_pos_);
  w.put_array(c.num_neg_);
  w.put(static_cast<uint64_t>(c.refs_.size()));
  w.put_array(c.refs_);
  w.finish();
}

TokenCorpus read_token_corpus(const std::string& path) {
  Reader r(path);
  char magic[8];
  r.read(magic, sizeof(magic));
  if (std::memcmp(magic, kMagic, sizeof(magic)) != 0) throw Error(path + ": not an m3 token corpus (bad magic)");
  const auto version = r.get<uint32_t>();
  if (version != kVersion) throw Error(path + ": unsupported token corpus version " + std::to_string(version));
  const auto id_bytes = r.get<uint32_t>();
  if (id_bytes != 2 && id_bytes != 4) throw Error(path + ": bad id width " + std::to_string(id_bytes));
  TokenCorpus c;
  c.vocab_size = static_cast<int32_t>(r.get<uint32_t>());
  const auto num_datasets = r.get<uint32_t>();
  for (uint32_t i = 0; i < num_datasets; ++i) {
    const auto n = r.get<uint32_t>();
    std::vector<char> name;
    r.get_array(name, n);
    c.datasets_.emplace_back(name.begin(), name.end());
  }
  const auto num_texts = r.get<uint64_t>();
  const auto num_ids = r.get<uint64_t>();
  r.get_array(c.offsets_, num_texts + 1);
  if (c.offsets_.front() != 0 || c.offsets_.back() != num_ids) throw Error(path + ": text offsets do not cover the ids");
  for (size_t i = 1; i < c.offsets_.size(); ++i)
    if (c.offsets_[i] < c.offsets_[i - 1]) throw Error(path + ": text offsets are not increasing at text " + std::to_string(i));
  if (id_bytes == 2) {
    std::vector<uint16_t> narrow;
    r.get_array(narrow, num_ids);
    c.ids_.assign(narrow.begin(), narrow.end());
  } else {
    r.get_array(c.ids_, num_ids);
  }
  for (auto id : c.ids_)
    if (id < 0 || id >= c.vocab_size) throw Error(path + ": token id " + std::to_string(id) + " outside the vocabulary");
  const auto n = r.get<uint64_t>();
  r.get_array(c.dataset_, n);
  r.get_array(c.num_pos_, n);
  r.get_array(c.num_neg_, n);
  const auto num_refs = r.get<uint64_t>();
  r.get_array(c.refs_, num_refs);
  c.first_ref_.resize(n);
  uint64_t at = 0;
  for (uint64_t i = 0; i < n; ++i) {
    if (c.dataset_[i] >= c.datasets_.size()) throw Error(path + ": example " + std::to_string(i) + " names an unknown dataset");
    c.first_ref_[i] = at;
    at += 1u + c.num_pos_[i] + c.num_neg_[i];
  }
  if (at != num_refs) throw Error(path + ": example references do not add up");
  for (auto t : c.refs_)
    if (t >= num_texts) throw Error(path + ": example refers to text " + std::to_string(t) + " of " + std::to_string(num_texts));
  return c;
}

}  // namespace m3::trainer
