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

void write_all(int fd, const void* data, size_t n, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw IoError(path + ": write failed: " + errno_text());
    }
    p += w;
    n -= size_t(w);
  }
}

}  // namespace

// ---- FileWriter ----

FileWriter::FileWriter(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError(path_ + ": cannot create: " + errno_text());
  buf_.reserve(1 << 20);
  auto* st = XXH3_createState();
  XXH3_64bits_reset(st);
  hash_state_ = st;
}

FileWriter::~FileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (hash_state_) XXH3_freeState(static_cast<XXH3_state_t*>(hash_state_));
}

void FileWriter::write(const void* data, size_t n) {
  XXH3_64bits_update(static_cast<XXH3_state_t*>(hash_state_), data, n);
  size_ += n;
  if (buf_.size() + n > buf_.capacity()) flush();
  if (n >= buf_.capacity()) {
    write_all(fd_, data, n, path_);
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
  if (!buf_.empty()) write_all(fd_, buf_.data(), buf_.size(), path_);
  buf_.clear();
}

uint64_t FileWriter::close() {
  flush();
  if (::fsync(fd_) != 0) throw IoError(path_ + ": fsync failed: " + errno_text());
  if (::close(fd_) != 0) throw IoError(path_ + ": close failed: " + errno_text());
  fd_ = -1;
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

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IoError(dir + ": cannot open directory: " + errno_text());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw IoError(dir + ": fsync failed: " + errno_text());
}

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
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw IoError(path + ": rename failed: " + errno_text());
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

void make_dir(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw IoError(path + ": cannot create directory: " + ec.message());
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  return out;
}

}  // namespace m3
