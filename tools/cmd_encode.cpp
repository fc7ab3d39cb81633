// m3 encode: one text per stdin line -> one JSON object per stdout line:
//   {"input_ids": [...], "dense": [...], "sparse": {"<token id>": weight}, "colbert": [[...], ...]}
// Lines are read in chunks so long inputs stream; output order is input order.
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/utf8.h"
#include "encoder/encoder.h"
#include "tools/command.h"
#include "tools/model_flags.h"

namespace m3::tools {
namespace {

void write_embedding(const Embedding& e, std::ostream& out) {
  nlohmann::ordered_json j;  // field order as documented: input_ids, dense, sparse, colbert
  j["input_ids"] = e.input_ids;
  j["dense"] = e.dense;
  nlohmann::ordered_json sparse = nlohmann::ordered_json::object();
  for (size_t i = 0; i < e.sparse.ids.size(); ++i) sparse[std::to_string(e.sparse.ids[i])] = e.sparse.weights[i];
  j["sparse"] = std::move(sparse);
  nlohmann::ordered_json colbert = nlohmann::ordered_json::array();
  for (int r = 0; r < e.colbert_rows; ++r)
    colbert.push_back(std::vector<float>(e.colbert_row(r), e.colbert_row(r) + e.colbert_dim));
  j["colbert"] = std::move(colbert);
  out << j.dump() << "\n";
}

M3_COMMAND("encode", "Encode texts (one per stdin line) into dense, sparse and multi-vector (colbert) JSON lines",
           [](CLI::App& sub) {
             auto flags = std::make_shared<ModelFlags>();
             add_model_flags(sub, *flags);
             sub.callback([flags] {
               auto encoder = load_encoder(*flags);
               std::vector<std::string> chunk;
               std::string line;
               size_t line_no = 0;
               auto flush = [&] {
                 if (chunk.empty()) return;
                 for (const auto& e : encoder->encode(chunk)) write_embedding(e, std::cout);
                 chunk.clear();
               };
               while (std::getline(std::cin, line)) {
                 ++line_no;
                 if (!line.empty() && line.back() == '\r') line.pop_back();
                 size_t bad = find_invalid_utf8(line);
                 if (bad != std::string::npos) {
                   flush();
                   throw Error("stdin line " + std::to_string(line_no) + ": invalid UTF-8 at byte " + std::to_string(bad));
                 }
                 chunk.push_back(std::move(line));
                 if (chunk.size() >= 256) flush();
               }
               flush();
               std::cout.flush();
             });
           });

}  // namespace
}  // namespace m3::tools
