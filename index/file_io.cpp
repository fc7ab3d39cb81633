#include "index/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <filesystem>

namespace m3 {
namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

// ---- FileWriter ----

FileWriter::FileWriter(std::string path) : path_(std::move(path)) {
  file_ = Env::current()->new_writable_file(path_);
  buf_.reserve(1 << 20);
  auto* st = XXH3_createState();
  XXH3_64bits_reset(st);
  hash_state_ = st;
}

FileWriter::~FileWriter() {
  if (hash_state_) XXH3_freeState(static_cast<XXH3_state_t*>(hash_state_));
}

void FileWriter::write(const void* data, size_t n) {
  XXH3_64bits_update(static_cast<XXH3_state_t*>(hash_state_), data, n);
  size_ += n;
  if (buf_.size() + n > buf_.capacity()) flush();
  if (n >= buf_.capacity()) {
    file_->append(data, n);
    return;
  }
  const char* p = static_cast<const char*>(data);
  buf_.insert(buf_.end(), p, p + n);
}

void FileWriter::pad_to(size_t alignment) {
  static const char zeros[64] = {};
  while (size_ % alignment) write(zeros, std::min<size_t>(alignment - size_ % alignment, sizeof zeros));
}

void FileWriter::flush() {
  if (!buf_.empty()) file_->append(buf_.data(), buf_.size());
  buf_.clear();
}

uint64_t FileWriter::close() {
  flush();
  file_->sync();
  file_->close();
  file_.reset();
  return XXH3_64bits_digest(static_cast<XXH3_state_t*>(hash_state_));
}

// ---- MappedFile ----

MappedFile::MappedFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw NotFoundError(path + ": file missing");
    throw IoError(path + ": cannot open: " + errno_text());
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw IoError(path + ": cannot stat: " + errno_text());
  }
  size_ = size_t(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      throw IoError(path + ": mmap failed: " + errno_text());
    }
    data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);  // the mapping keeps the file alive, even after a merge unlinks it
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

MappedFile::MappedFile(MappedFile&& o) noexcept : path_(std::move(o.path_)), data_(o.data_), size_(o.size_) {
  o.data_ = nullptr;
  o.size_ = 0;
}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
    path_ = std::move(o.path_);
    data_ = o.data_;
    size_ = o.size_;
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

uint64_t MappedFile::checksum() const { return checksum_bytes(data_, size_); }

// ---- BinaryReader ----

void BinaryReader::align(size_t alignment) {
  size_t off = offset();
  size_t pad = (alignment - off % alignment) % alignment;
  need(pad, "padding");
  p_ += pad;
}

void BinaryReader::expect_magic(const char magic[8]) {
  need(8, "magic");
  if (std::memcmp(p_, magic, 8) != 0)
    throw CorruptionError(what_ + ": bad magic (expected '" + std::string(magic, 8) + "'): not this kind of file or corrupt");
  p_ += 8;
}

void BinaryReader::fail(const char* field) const {
  throw CorruptionError(what_ + ": truncated or corrupt at byte " + std::to_string(offset()) + " reading " + field);
}

// ---- helpers ----

uint64_t checksum_bytes(const void* data, size_t n) { return XXH3_64bits(data, n); }

void fsync_dir(const std::string& dir) { Env::current()->sync_dir(dir); }

void fsync_parent_dir(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const size_t slash = p.rfind('/');
  fsync_dir(slash == std::string::npos ? std::string(".") : slash == 0 ? std::string("/") : p.substr(0, slash));
}

void write_file_atomic(const std::string& path, std::string_view content) {
  std::string tmp = path + ".tmp";
  {
    FileWriter w(tmp);
    w.write(content.data(), content.size());
    w.close();
  }
  Env::current()->rename(tmp, path);
  fsync_dir(std::filesystem::path(path).parent_path().string());
}

std::string read_file(const std::string& path) {
  MappedFile f(path);
  return std::string(reinterpret_cast<const char*>(f.data()), f.size());
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void make_dir(const std::string& path) { Env::current()->make_dir(path); }

void remove_tree(const std::string& path) { Env::current()->remove_tree(path); }

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  return out;
}

}  // namespace m3
