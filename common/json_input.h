// JSON from outside (corpus lines, HTTP bodies, config files, topics): parsed with bounds on size and
// nesting depth before nlohmann builds a tree, so a hostile input cannot exhaust the stack (deep
// nesting: nlohmann's dump and destructor recurse) or the memory. Every failure names `what`.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace m3 {

struct JsonLimits {
  size_t max_bytes = 64u << 20;  // the whole text
  int max_depth = 64;            // nested arrays/objects
};

// The deepest nesting of arrays/objects in `text` (strings skipped, escapes honoured); stops counting
// once it passes `stop_at`. Linear, no recursion: safe on any input.
int json_nesting_depth(std::string_view text, int stop_at);

// Parses `text` as JSON within `limits`; throws InvalidInputError("<what>: ...") on a size or depth
// violation, malformed JSON, or a number that does not fit a double (e.g. 1e309).
nlohmann::json parse_json_input(std::string_view text, const std::string& what, const JsonLimits& limits = {});

}  // namespace m3
