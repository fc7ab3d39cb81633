// The project's error types. Every message names the file, field or value at fault.
//   Error             the base; a fault nobody classified (server: 500 internal, CLI: exit 1)
//   UsageError        bad flags, unknown modes, out-of-range parameters: the caller's request (400, exit 2)
//   InvalidInputError bad data from outside: a corpus line, a document, a query text (400, exit 1)
//   NotFoundError     a requested thing that does not exist: collection, document, file (404, exit 1)
//   CorruptionError   stored data that fails its checks: checksums, sizes, formats (500, exit 1)
//   IoError           the operating system refused: EIO, ENOSPC, a RocksDB I/O status (503, exit 1)
// The server maps the client's kinds (usage, invalid input, not found) to 4xx and the rest to 5xx.
#pragma once
#include <stdexcept>
#include <string>

namespace m3 {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message) {}
};

class InvalidInputError : public Error {
 public:
  explicit InvalidInputError(const std::string& message) : Error(message) {}
};

class NotFoundError : public Error {
 public:
  explicit NotFoundError(const std::string& message) : Error(message) {}
};

class CorruptionError : public Error {
 public:
  explicit CorruptionError(const std::string& message) : Error(message) {}
};

class IoError : public Error {
 public:
  explicit IoError(const std::string& message) : Error(message) {}
};

}  // namespace m3
