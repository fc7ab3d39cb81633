#include "encoder/tokenizer.h"

#include <sentencepiece_model.pb.h>
#include <sentencepiece_processor.h>

#include "common/error.h"
#include "common/utf8.h"

namespace m3 {

struct Tokenizer::Impl {
  sentencepiece::SentencePieceProcessor sp;
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  auto status = impl->sp.Load(path);
  if (!status.ok()) throw Error(path + ": cannot load SentencePiece model (" + status.ToString() + ")");
  const auto& proto = impl->sp.model_proto();
  if (proto.trainer_spec().model_type() != sentencepiece::TrainerSpec::UNIGRAM)
    throw Error(path + ": expected a SentencePiece unigram model (XLM-R layout)");
  if (impl->sp.unk_id() != 0 || impl->sp.PieceToId("<s>") != 1 || impl->sp.PieceToId("</s>") != 2)
    throw Error(path + ": expected <unk>, <s>, </s> at SentencePiece ids 0, 1, 2 (XLM-R layout)");
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

std::vector<int32_t> Tokenizer::pieces(std::string_view text) const {
  require_valid_utf8(text, "text");
  std::vector<int> ids;
  auto status = impl_->sp.Encode(absl::string_view(text.data(), text.size()), &ids);
  if (!status.ok()) throw Error("tokenizer: " + status.ToString());
  std::vector<int32_t> out;
  out.reserve(ids.size());
  for (int id : ids) out.push_back(id == 0 ? kUnk : id + 1);
  return out;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, int max_length) const {
  if (max_length < 2) throw UsageError("max_length must be at least 2, got " + std::to_string(max_length));
  auto p = pieces(text);
  if (static_cast<int>(p.size()) > max_length - 2) p.resize(static_cast<size_t>(max_length - 2));
  std::vector<int32_t> out;
  out.reserve(p.size() + 2);
  out.push_back(kBos);
  out.insert(out.end(), p.begin(), p.end());
  out.push_back(kEos);
  return out;
}

std::string Tokenizer::piece(int32_t id) const {
  switch (id) {
    case kBos: return "<s>";
    case kPad: return "<pad>";
    case kEos: return "</s>";
    case kUnk: return "<unk>";
  }
  if (id == mask_id()) return "<mask>";
  if (id < 0 || id > mask_id()) return "<invalid:" + std::to_string(id) + ">";
  return impl_->sp.IdToPiece(id - 1);
}

int Tokenizer::vocab_size() const { return impl_->sp.GetPieceSize() + 2; }

}  // namespace m3
