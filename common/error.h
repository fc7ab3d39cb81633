// The project's one error type. Every message names the file, field or value at fault.
// The CLI maps UsageError to exit code 2 and Error to 1; the server maps them to 4xx/5xx JSON bodies.
#pragma once
#include <stdexcept>
#include <string>

namespace m3 {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Bad flags, unknown modes, out-of-range parameters: the caller's request, not the data.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message) {}
};

// A requested thing that does not exist (collection, document, file).
class NotFoundError : public Error {
 public:
  explicit NotFoundError(const std::string& message) : Error(message) {}
};

}  // namespace m3
