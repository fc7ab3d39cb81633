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

// Typed reads of numbers from outside JSON. nlohmann's get<int>(), get<uint64_t>() and get<float>()
// convert a fraction silently and an out-of-range value with undefined behaviour (found by
// tests/fuzz: 1e21 as a config int, 4e59 as a MANIFEST count). Each throws
// InvalidInputError("<what>: expected ..., got <value>").
int64_t json_integer(const nlohmann::json& v, int64_t lo, int64_t hi, const std::string& what);
uint64_t json_unsigned(const nlohmann::json& v, const std::string& what);  // any integer in [0, 2^64)
double json_number(const nlohmann::json& v, double lo, double hi, const std::string& what);  // finite, in [lo, hi]

}  // namespace m3
