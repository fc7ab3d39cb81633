// Durable files: the primitives every commit is built from.
// - FileWriter: buffered append + running xxHash3 checksum + fsync on close.
// - MappedFile: a read-only mmap of an immutable segment file (readers never copy big arrays).
// - write_file_atomic: temp file, fsync, rename, fsync the directory (the MANIFEST's commit point).
// - BinaryReader: bounds-checked parsing of a mapped file; any overrun is a CorruptionError naming the file.
// Failed system calls throw IoError; a missing file NotFoundError. Writes go through Env (env.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "index/env.h"

namespace m3 {

class FileWriter {
 public:
  explicit FileWriter(std::string path);  // creates or truncates
  ~FileWriter();                           // closes without fsync if close() was not called
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  void write(const void* data, size_t n);
  template <class T> void put(const T& v) { write(&v, sizeof(T)); }
  template <class T> void put_array(const std::vector<T>& v) { write(v.data(), v.size() * sizeof(T)); }
  void pad_to(size_t alignment);  // zero bytes up to the next multiple (keeps arrays aligned in mmap)
  uint64_t size() const { return size_; }

  // Flushes, fsyncs and closes; returns the file's xxHash3-64 checksum.
  uint64_t close();
  const std::string& path() const { return path_; }

 private:
  void flush();
  std::string path_;
  std::unique_ptr<WritableFile> file_;
  std::vector<char> buf_;
  uint64_t size_ = 0;
  void* hash_state_ = nullptr;  // XXH3_state_t, kept opaque so callers need not include xxhash.h
};

class MappedFile {
 public:
  MappedFile() = default;
  explicit MappedFile(const std::string& path);  // NotFoundError if missing, Error if unreadable
  ~MappedFile();
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  uint64_t checksum() const;  // xxHash3-64 of the whole file

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Sequential, bounds-checked reads from a byte range; errors name the file and the field.
class BinaryReader {
 public:
  BinaryReader(const uint8_t* data, size_t size, std::string what)
      : p_(data), begin_(data), end_(data + size), what_(std::move(what)) {}

  template <class T> T get(const char* field) {
    T v;
    need(sizeof(T), field);
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  // A pointer to n items of T inside the file (no copy). The caller aligned the writer with pad_to.
  template <class T> const T* array(size_t n, const char* field) {
    if (n > size_t(end_ - p_) / sizeof(T)) fail(field);
    const T* out = reinterpret_cast<const T*>(p_);
    p_ += n * sizeof(T);
    return out;
  }
  void align(size_t alignment);
  void expect_magic(const char magic[8]);
  size_t offset() const { return size_t(p_ - begin_); }
  size_t remaining() const { return size_t(end_ - p_); }
  [[noreturn]] void fail(const char* field) const;

 private:
  void need(size_t n, const char* field) const {
    if (size_t(end_ - p_) < n) fail(field);
  }
  const uint8_t* p_;
  const uint8_t* begin_;
  const uint8_t* end_;
  std::string what_;
};

uint64_t checksum_bytes(const void* data, size_t n);  // xxHash3-64

// Writes `content` to `path` so that a crash leaves either the old file or the new one, whole.
void write_file_atomic(const std::string& path, std::string_view content);
void fsync_dir(const std::string& dir);
// fsyncs the directory holding `path` (after creating or renaming `path`, so the entry itself is durable).
void fsync_parent_dir(const std::string& path);
std::string read_file(const std::string& path);  // NotFoundError if missing
bool path_exists(const std::string& path);
void make_dir(const std::string& path);           // Error if it cannot be created; ok if it exists
void remove_tree(const std::string& path);        // best effort, for garbage after a crash or merge
std::vector<std::string> list_dir(const std::string& dir);

}  // namespace m3
