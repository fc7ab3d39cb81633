#include "common/json_input.h"

#include "common/error.h"

namespace m3 {

int json_nesting_depth(std::string_view text, int stop_at) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
      if (deepest > stop_at) return deepest;
    } else if (c == ']' || c == '}') {
      if (depth > 0) --depth;
    }
  }
  return deepest;
}

nlohmann::json parse_json_input(std::string_view text, const std::string& what, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes)
    throw InvalidInputError(what + ": " + std::to_string(text.size()) + " bytes of JSON exceed the limit of " +
                            std::to_string(limits.max_bytes));
  if (json_nesting_depth(text, limits.max_depth) > limits.max_depth)
    throw InvalidInputError(what + ": JSON nested deeper than " + std::to_string(limits.max_depth) + " levels");
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::out_of_range& e) {  // 406: a number that overflows a double
    throw InvalidInputError(what + ": number out of range (" + std::string(e.what()) + ")");
  } catch (const nlohmann::json::exception& e) {
    throw InvalidInputError(what + ": malformed JSON (" + std::string(e.what()) + ")");
  }
}

}  // namespace m3
