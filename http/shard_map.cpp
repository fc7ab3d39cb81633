#include "http/shard_map.h"

#include <fstream>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/json_input.h"
#include "engine/shard_routing.h"
#include "http/api_error.h"
#include "http/collections.h"

namespace m3::http {

namespace {
constexpr size_t kMaxFileBytes = 1 << 20;
constexpr size_t kMaxCollections = 64;
constexpr size_t kMaxReplicas = 16;

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}
}  // namespace

ReplicaAddress parse_replica_url(const std::string& given) {
  const std::string shown = given.substr(0, 300);
  const std::string prefix = "http://";
  std::string u = given;
  if (u.size() > 300 || u.compare(0, prefix.size(), prefix) != 0)
    throw UsageError("replica URL '" + shown + "': expected http://HOST:PORT (plain HTTP only)");
  if (!u.empty() && u.back() == '/') u.pop_back();
  std::string rest = u.substr(prefix.size());
  ReplicaAddress r;
  std::string port;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    const auto close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      throw UsageError("replica URL '" + shown + "': expected http://[IPV6]:PORT");
    r.host = rest.substr(1, close - 1);
    for (char c : r.host)
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) throw UsageError("replica URL '" + shown + "': bad IPv6 address");
    port = rest.substr(close + 2);
  } else {
    const auto colon = rest.find(':');
    if (colon == std::string::npos) throw UsageError("replica URL '" + shown + "': missing :PORT");
    r.host = rest.substr(0, colon);
    for (char c : r.host)
      if (!host_char(c)) throw UsageError("replica URL '" + shown + "': bad host (letters, digits, '-', '.', '_'; no path, user or query)");
    port = rest.substr(colon + 1);
  }
  if (r.host.empty() || r.host.size() > 253) throw UsageError("replica URL '" + shown + "': empty or too long host");
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
      std::stoi(port) > 65535)
    throw UsageError("replica URL '" + shown + "': port must be 1-65535 (and nothing after it)");
  r.port = static_cast<uint16_t>(std::stoi(port));
  r.url = u;
  return r;
}

ShardMap parse_shard_map(const std::string& text, const std::string& what) {
  nlohmann::json j;
  try {
    j = parse_json_input(text, what, {kMaxFileBytes, 8});
  } catch (const InvalidInputError& e) {
    throw UsageError(e.what());
  }
  if (!j.is_object() || j.empty()) throw UsageError(what + ": expected an object {collection: [[replica URL, ...], ...]}");
  if (j.size() > kMaxCollections) throw UsageError(what + ": more than " + std::to_string(kMaxCollections) + " collections");
  ShardMap map;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string where = what + ": collection '" + it.key().substr(0, 64) + "'";
    try {
      Collections::validate_name(it.key());
    } catch (const ApiError& e) {
      throw UsageError(where + ": " + e.what());
    }
    const auto& shards = it.value();
    if (!shards.is_array() || shards.empty() || shards.size() > kMaxShards)
      throw UsageError(where + ": expected 1 to " + std::to_string(kMaxShards) + " shards, each a list of replica URLs");
    ShardedCollection sc;
    std::set<std::string> seen;
    for (size_t s = 0; s < shards.size(); ++s) {
      const auto& replicas = shards[s];
      const std::string at = where + " shard " + std::to_string(s);
      if (!replicas.is_array() || replicas.empty() || replicas.size() > kMaxReplicas)
        throw UsageError(at + ": expected 1 to " + std::to_string(kMaxReplicas) + " replica URLs");
      std::vector<ReplicaAddress> list;
      for (const auto& r : replicas) {
        if (!r.is_string()) throw UsageError(at + ": replica URLs must be strings");
        ReplicaAddress a;
        try {
          a = parse_replica_url(r.get<std::string>());
        } catch (const UsageError& e) {
          throw UsageError(at + ": " + e.what());
        }
        if (!seen.insert(a.url).second) throw UsageError(at + ": " + a.url + " appears twice in this collection");
        list.push_back(a);
      }
      sc.shards.push_back(std::move(list));
    }
    map[it.key()] = std::move(sc);
  }
  return map;
}

ShardMap load_shard_map(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("--shard-map " + path + ": cannot read");
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxFileBytes) throw UsageError("--shard-map " + path + ": larger than 1 MiB");
  return parse_shard_map(text, "--shard-map " + path);
}

}  // namespace m3::http
