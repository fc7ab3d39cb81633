// Reading the raw training files of ../shared/data/train: whole files (gzip or plain), lines, TSV and
// RFC-4180 CSV fields. Host-side data preparation only (not in the GPU build).
#pragma once
#include <string>
#include <vector>

namespace m3::trainer {

// The file's bytes, gunzipped when it is gzip (by magic number, not by name). Throws m3::Error.
std::string read_text_file(const std::string& path);
std::vector<std::string> split_lines(const std::string& text);  // drops "\r", keeps empty lines
std::vector<std::string> split_tabs(const std::string& line);
// All records of an RFC-4180 CSV text (quoted fields may hold commas, quotes and newlines).
std::vector<std::vector<std::string>> parse_csv(const std::string& text);
std::string trim(const std::string& s);
bool file_exists(const std::string& path);
// Files in dir whose names start with prefix and end with suffix, sorted by name.
std::vector<std::string> list_files(const std::string& dir, const std::string& prefix, const std::string& suffix);

}  // namespace m3::trainer
