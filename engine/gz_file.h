// Whole-file reading for the evaluation readers: plain or gzip (zlib detects which), as one string.
#pragma once
#include <string>

namespace m3 {

std::string read_maybe_gzipped(const std::string& path);  // m3::Error naming the file if unreadable

}  // namespace m3
