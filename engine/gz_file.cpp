#include "engine/gz_file.h"

#include <zlib.h>

#include "common/error.h"

namespace m3 {

std::string read_maybe_gzipped(const std::string& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw Error(path + ": cannot open");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(gz, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  const bool failed = n < 0;
  gzclose(gz);
  if (failed) throw Error(path + ": read error (corrupt gzip?)");
  return out;
}

}  // namespace m3
