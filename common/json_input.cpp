#include "common/json_input.h"

#include <cmath>

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

namespace {
std::string shown(const nlohmann::json& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return s.size() > 64 ? s.substr(0, 64) + "..." : s;
}
}  // namespace

int64_t json_integer(const nlohmann::json& v, int64_t lo, int64_t hi, const std::string& what) {
  const bool ok = v.is_number_unsigned() ? v.get<uint64_t>() <= uint64_t(hi) && int64_t(v.get<uint64_t>()) >= lo
                  : v.is_number_integer() ? v.get<int64_t>() >= lo && v.get<int64_t>() <= hi
                                          : false;
  if (!ok)
    throw InvalidInputError(what + ": expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + shown(v));
  return v.get<int64_t>();
}

uint64_t json_unsigned(const nlohmann::json& v, const std::string& what) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return uint64_t(v.get<int64_t>());
  throw InvalidInputError(what + ": expected a non-negative integer, got " + shown(v));
}

double json_number(const nlohmann::json& v, double lo, double hi, const std::string& what) {
  const double x = v.is_number() ? v.get<double>() : std::nan("");
  if (!(x >= lo && x <= hi))
    throw InvalidInputError(what + ": expected a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + shown(v));
  return x;
}

}  // namespace m3

