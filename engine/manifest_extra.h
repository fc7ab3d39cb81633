// Typed reads of the engine's data in a collection's MANIFEST ("extra": model, version, ingest
// progress, passage length). The MANIFEST is checksummed, but a file written by another program or an
// older m3 can still hold a field of the wrong type or range; nlohmann's value<T>() would then throw
// its own type_error (or wrap a negative number into a huge size_t). These say which field of which
// collection is wrong, as a CorruptionError (the server's side: HTTP 5xx, never a crash).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace m3 {

// obj[key] as a string; `fallback` when absent or null. `where` names the collection in the message.
std::string extra_string(const nlohmann::json& obj, const char* key, const std::string& fallback, const std::string& where);
// obj[key] as an integer in [min, max]; `fallback` when absent or null.
int64_t extra_integer(const nlohmann::json& obj, const char* key, int64_t fallback, int64_t min, int64_t max,
                      const std::string& where);

}  // namespace m3
