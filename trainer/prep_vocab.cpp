#include "trainer/prep_vocab.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <fstream>

#include "common/error.h"

namespace m3::trainer {

namespace {
class VectorIterator : public sentencepiece::SentenceIterator {
 public:
  explicit VectorIterator(const std::vector<std::string>& texts) : texts_(texts) {}
  bool done() const override { return at_ >= texts_.size(); }
  void Next() override { ++at_; }
  const std::string& value() const override { return texts_[at_]; }
  sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }

 private:
  const std::vector<std::string>& texts_;
  size_t at_ = 0;
};
}  // namespace

void train_vocabulary(const std::vector<std::string>& texts, const std::string& model_path, const VocabOptions& o) {
  if (texts.empty()) throw UsageError("no text to train a vocabulary on");
  // XLM-R layout: unk 0, bos 1, eos 2, no pad piece (the model's <pad> is id 1 by the id mapping).
  const std::string args = "--model_type=unigram --vocab_size=" + std::to_string(o.pieces) +
                           " --character_coverage=" + std::to_string(o.character_coverage) +
                           " --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 --normalization_rule_name=nmt_nfkc" +
                           " --input_sentence_size=" + std::to_string(o.max_sentences) +
                           " --shuffle_input_sentence=true --max_sentence_length=8192 --num_threads=" +
                           std::to_string(o.threads) +
                           " --hard_vocab_limit=false --minloglevel=1";
  sentencepiece::SetRandomGeneratorSeed(static_cast<unsigned int>(o.seed));  // the sentence sampler's seed
  VectorIterator it(texts);
  std::string proto;
  auto status = sentencepiece::SentencePieceTrainer::Train(args, &it, &proto);
  if (!status.ok()) throw Error("SentencePiece training failed: " + status.ToString());
  std::ofstream out(model_path, std::ios::binary | std::ios::trunc);
  out.write(proto.data(), static_cast<std::streamsize>(proto.size()));
  if (!out) throw Error(model_path + ": write failed");
}

}  // namespace m3::trainer
