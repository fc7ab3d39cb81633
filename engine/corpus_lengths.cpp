#include "engine/corpus_lengths.h"

#include "common/error.h"
#include "engine/collection.h"
#include "engine/corpus_reader.h"

namespace m3 {

CorpusLengths corpus_bm25_lengths(const std::string& corpus_path, const Encoder& encoder, int max_length) {
  CorpusLengths out;
  CorpusReader reader(corpus_path);
  Document d;
  for (;;) {
    try {
      if (!reader.next(d)) break;
    } catch (const InvalidInputError&) {
      continue;  // a bad line: left out here, reported (or skipped) by the indexing pass
    } catch (const CorruptionError&) {
      break;  // the stream cannot be read on: the indexing pass stops there too, with the error
    } catch (const IoError&) {
      break;
    }
    out.documents += 1;
    out.total += double(bm25_document_length(encoder, d.passage(), max_length));
  }
  return out;
}

}  // namespace m3
