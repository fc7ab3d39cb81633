#include "engine/metadata_filter.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "common/json_input.h"

namespace m3 {

struct MetadataFilter::Node {
  enum Kind { Eq, In, Range, And, Or, Not } kind = Eq;
  std::string field;
  std::vector<nlohmann::json> values;  // Eq: one; In: any number (scalars)
  // Range: lo < x (or <=) and x < hi (or <=); infinite when not given.
  double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
  bool lo_incl = false, hi_incl = false;
  std::vector<Node> children;
};

MetadataFilter::~MetadataFilter() = default;

namespace {

using Node = MetadataFilter::Node;

struct Parser {
  int nodes = 0;

  [[noreturn]] static void fail(const std::string& path, const std::string& what) { throw UsageError(path + ": " + what); }

  static bool scalar(const nlohmann::json& v) { return v.is_string() || v.is_number() || v.is_boolean(); }

  Node parse(const nlohmann::json& j, const std::string& path, int depth) {
    if (depth > MetadataFilter::kMaxDepth)
      fail(path, "filter nested deeper than " + std::to_string(MetadataFilter::kMaxDepth) + " levels");
    if (++nodes > MetadataFilter::kMaxNodes)
      fail(path, "filter has more than " + std::to_string(MetadataFilter::kMaxNodes) + " conditions");
    if (!j.is_object()) fail(path, "expected an object (a condition or and/or/not)");
    Node n;
    for (const char* op : {"and", "or", "not"}) {
      if (!j.contains(op)) continue;
      for (auto it = j.begin(); it != j.end(); ++it)
        if (it.key() != op) fail(path, "unknown key '" + it.key() + "' beside '" + op + "'");
      const auto& v = j.at(op);
      const std::string sub = path + "." + op;
      if (std::string(op) == "not") {
        n.kind = Node::Not;
        n.children.push_back(parse(v, sub, depth + 1));
        return n;
      }
      n.kind = std::string(op) == "and" ? Node::And : Node::Or;
      if (!v.is_array() || v.empty()) fail(sub, "expected a non-empty array of filters");
      for (size_t i = 0; i < v.size(); ++i) n.children.push_back(parse(v[i], sub + "[" + std::to_string(i) + "]", depth + 1));
      return n;
    }
    if (!j.contains("field")) fail(path, "expected 'field' with one of eq, in, range (or and/or/not)");
    const auto& f = j.at("field");
    if (!f.is_string() || f.get_ref<const std::string&>().empty()) fail(path + ".field", "expected a non-empty string");
    n.field = f.get<std::string>();
    int ops = 0;
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& key = it.key();
      const std::string sub = path + "." + key;
      const auto& v = it.value();
      if (key == "field") continue;
      ++ops;
      if (key == "eq") {
        n.kind = Node::Eq;
        if (!scalar(v)) fail(sub, "expected a string, number or boolean");
        n.values.push_back(v);
      } else if (key == "in") {
        n.kind = Node::In;
        if (!v.is_array()) fail(sub, "expected an array of strings, numbers or booleans");
        if (v.size() > MetadataFilter::kMaxIn)
          fail(sub, "more than " + std::to_string(MetadataFilter::kMaxIn) + " values");
        for (size_t i = 0; i < v.size(); ++i) {
          if (!scalar(v[i])) fail(sub + "[" + std::to_string(i) + "]", "expected a string, number or boolean");
          n.values.push_back(v[i]);
        }
      } else if (key == "range") {
        n.kind = Node::Range;
        parse_range(v, sub, n);
      } else {
        fail(path, "unknown key '" + key + "' (expected field with eq, in or range; or and, or, not)");
      }
    }
    if (ops != 1) fail(path, ops == 0 ? "expected one of eq, in, range beside 'field'" : "expected only one of eq, in, range");
    return n;
  }

  static void parse_range(const nlohmann::json& v, const std::string& path, Node& n) {
    if (!v.is_object() || v.empty()) fail(path, "expected an object with gt, gte, lt or lte");
    bool has_lo = false, has_hi = false;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& key = it.key();
      if (key != "gt" && key != "gte" && key != "lt" && key != "lte")
        fail(path, "unknown key '" + key + "' (expected gt, gte, lt, lte)");
      if (!it.value().is_number()) fail(path + "." + key, "expected a number");
      const double x = it.value().get<double>();
      if (!std::isfinite(x)) fail(path + "." + key, "expected a finite number");
      const bool lower = key[0] == 'g';
      if (lower ? has_lo : has_hi) fail(path, lower ? "give one of gt, gte" : "give one of lt, lte");
      (lower ? has_lo : has_hi) = true;
      (lower ? n.lo : n.hi) = x;
      (lower ? n.lo_incl : n.hi_incl) = key.size() == 3;
    }
  }
};

bool same_value(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_string()) return b.is_string() && a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
  if (a.is_boolean()) return b.is_boolean() && a.get<bool>() == b.get<bool>();
  return a.is_number() && b.is_number() && a.get<double>() == b.get<double>();
}

bool in_range(const Node& n, double x) {
  return (n.lo_incl ? x >= n.lo : x > n.lo) && (n.hi_incl ? x <= n.hi : x < n.hi);
}

// The scalars at a dotted path, walking the JSON itself (not the flattened columns, so the columns
// are checked against an independent reading): arrays at any level contribute every element, and an
// object key may itself contain dots (flattening joins keys with '.', so "a.b" names it too).
// Like the columns, it stops kMaxMetadataDepth objects/arrays deep.
void values_at(const nlohmann::json& v, const std::string& path, size_t from, int depth,
               std::vector<const nlohmann::json*>& out) {
  if ((v.is_object() || v.is_array()) && depth >= kMaxMetadataDepth) return;
  if (v.is_array()) {
    for (const auto& e : v) values_at(e, path, from, depth + 1, out);
    return;
  }
  if (from == path.size() + 1) {  // the whole path consumed
    if (v.is_string() || v.is_number() || v.is_boolean()) out.push_back(&v);
    return;
  }
  if (!v.is_object()) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& key = it.key();
    if (path.compare(from, key.size(), key) != 0) continue;
    const size_t end = from + key.size();
    if (end == path.size() || path[end] == '.') values_at(it.value(), path, end + 1, depth + 1, out);
  }
}

bool eval(const Node& n, const nlohmann::json& meta) {
  switch (n.kind) {
    case Node::And:
      return std::all_of(n.children.begin(), n.children.end(), [&](const Node& c) { return eval(c, meta); });
    case Node::Or:
      return std::any_of(n.children.begin(), n.children.end(), [&](const Node& c) { return eval(c, meta); });
    case Node::Not: return !eval(n.children[0], meta);
    default: break;
  }
  std::vector<const nlohmann::json*> vals;
  if (meta.is_object()) values_at(meta, n.field, 0, 0, vals);
  for (const auto* v : vals) {
    if (n.kind == Node::Range) {
      if (v->is_number() && in_range(n, v->get<double>())) return true;
    } else {
      for (const auto& want : n.values)
        if (same_value(want, *v)) return true;
    }
  }
  return false;
}

void set_rows(Bitmap& b, const std::vector<uint32_t>& rows) {
  for (uint32_t r : rows) b.set(r);
}

void set_value(Bitmap& b, const MetadataColumn& c, const nlohmann::json& v) {
  if (v.is_string()) {
    auto it = c.strings.find(v.get_ref<const std::string&>());
    if (it != c.strings.end()) set_rows(b, it->second);
  } else if (v.is_boolean()) {
    set_rows(b, v.get<bool>() ? c.true_rows : c.false_rows);
  } else {
    const double x = v.get<double>();
    auto lo = std::lower_bound(c.numbers.begin(), c.numbers.end(), x, [](const auto& e, double y) { return e.first < y; });
    for (; lo != c.numbers.end() && lo->first == x; ++lo) b.set(lo->second);
  }
}

Bitmap rows(const Node& n, const MetadataColumns& cols) {
  switch (n.kind) {
    case Node::And: {
      Bitmap b = rows(n.children[0], cols);
      for (size_t i = 1; i < n.children.size() && b.count() > 0; ++i) b &= rows(n.children[i], cols);
      return b;
    }
    case Node::Or: {
      Bitmap b = rows(n.children[0], cols);
      for (size_t i = 1; i < n.children.size(); ++i) b |= rows(n.children[i], cols);
      return b;
    }
    case Node::Not: return rows(n.children[0], cols).flip();
    default: break;
  }
  Bitmap b(cols.rows());
  const MetadataColumn* c = cols.field(n.field);
  if (!c) return b;
  if (n.kind == Node::Range) {
    auto first = std::lower_bound(c->numbers.begin(), c->numbers.end(), n.lo, [&](const auto& e, double y) {
      return n.lo_incl ? e.first < y : e.first <= y;
    });
    for (auto it = first; it != c->numbers.end() && in_range(n, it->first); ++it) b.set(it->second);
  } else {
    for (const auto& v : n.values) set_value(b, *c, v);
  }
  return b;
}

}  // namespace

bool MetadataFilter::matches(const nlohmann::json& metadata) const { return eval(*root_, metadata); }

Bitmap MetadataFilter::matching_rows(const MetadataColumns& columns) const { return rows(*root_, columns); }

std::shared_ptr<const MetadataFilter> parse_metadata_filter(const nlohmann::json& filter) {
  Parser p;
  auto root = std::make_unique<Node>(p.parse(filter, "filter", 1));
  std::shared_ptr<MetadataFilter> f(new MetadataFilter());
  f->json_ = filter;
  f->root_ = std::move(root);
  return f;
}

std::shared_ptr<const MetadataFilter> parse_metadata_filter(const std::string& filter_json) {
  nlohmann::json j;
  try {
    j = parse_json_input(filter_json, "filter", JsonLimits{1u << 20, MetadataFilter::kMaxDepth * 2 + 4});
  } catch (const InvalidInputError& e) {
    throw UsageError(e.what());
  }
  return parse_metadata_filter(j);
}

}  // namespace m3
