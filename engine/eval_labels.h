// Row labels and run-file names of `m3 eval`, distinct by construction: two topics files (or runs) with
// the same name must never print two rows that read alike, nor write run files over each other.
//   short_label      topics.miracl-v1.0-sw-dev.tsv -> sw; any other file: its name
//   distinct_labels  short labels, lengthened by parent directories where they collide
//                    (a/topics.tsv, b/topics.tsv), "#2"... when the same path is given twice
//   file_safe        a label or mode as one file-name component ('/' and other odd bytes -> '_')
#pragma once
#include <string>
#include <vector>

namespace m3 {

std::string short_label(const std::string& path);
std::vector<std::string> distinct_labels(const std::vector<std::string>& paths);
std::string file_safe(const std::string& name);

}  // namespace m3
