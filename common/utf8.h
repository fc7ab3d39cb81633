// UTF-8 validation: texts enter the engine only if they are valid UTF-8 (the tokenizer, JSON output
// and the document store all assume it).
#pragma once
#include <cstddef>
#include <string_view>

namespace m3 {

// Byte offset of the first invalid sequence, or npos when the whole text is valid UTF-8
// (overlongs, surrogates and code points above U+10FFFF are invalid).
size_t find_invalid_utf8(std::string_view text);
inline bool is_valid_utf8(std::string_view text) { return find_invalid_utf8(text) == std::string_view::npos; }

// Throws m3::Error("<what>: invalid UTF-8 at byte N") when the text is not valid.
void require_valid_utf8(std::string_view text, std::string_view what);

}  // namespace m3
