#include "http/router.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/utf8.h"
#include "engine/corpus_reader.h"
#include "http/api_error.h"

namespace m3::http {

using json = nlohmann::json;

namespace {

std::vector<std::string> path_parts(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  std::vector<std::string> parts;
  std::string cur;
  for (char c : path) {
    if (c == '/') { if (!cur.empty()) parts.push_back(cur); cur.clear(); }
    else cur += c;
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

// %XX decoding for path segments (docids may contain '#', '/', spaces...).
std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) && std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

json parse_body(const Request& req) {
  if (req.body().empty()) throw bad_request("request body is empty; expected a JSON object");
  json j;
  try {
    j = json::parse(req.body());
  } catch (const json::parse_error& e) {
    throw bad_request(std::string("malformed JSON: ") + e.what());
  }
  if (!j.is_object()) throw bad_request("request body must be a JSON object");
  return j;
}

template <typename T>
T field(const json& j, const char* name, T fallback) {
  if (!j.contains(name) || j[name].is_null()) return fallback;
  try {
    return j[name].get<T>();
  } catch (const json::exception&) {
    throw bad_request(std::string("field '") + name + "' has the wrong type");
  }
}

int int_field(const json& j, const char* name, int fallback, int lo, int hi) {
  if (!j.contains(name) || j[name].is_null()) return fallback;
  if (!j[name].is_number_integer()) throw bad_request(std::string("field '") + name + "' must be an integer");
  const auto v = j[name].get<long long>();
  if (v < lo || v > hi)
    throw bad_request(std::string("field '") + name + "' must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(v));
  return static_cast<int>(v);
}

json hit_json(const Hit& h) {
  json scores = json::object();
  if (h.scores.dense) scores["dense"] = *h.scores.dense;
  if (h.scores.sparse) scores["sparse"] = *h.scores.sparse;
  if (h.scores.multivec) scores["multivec"] = *h.scores.multivec;
  if (h.scores.bm25) scores["bm25"] = *h.scores.bm25;
  return {{"docid", h.docid}, {"score", h.score}, {"scores", scores}, {"title", h.title}, {"text", h.text}};
}

json info_json(const CollectionInfo& i) {
  return {{"documents", i.documents}, {"segments", i.segments}, {"generation", i.generation}, {"model", i.model_dir},
          {"fingerprint", i.fingerprint}, {"dense", i.dense}, {"dense_dim", i.dense_dim}, {"mv_codec", i.mv_codec},
          {"mv_bits", i.mv_bits}, {"multivec_dim", i.multivec_dim}, {"passage_max_length", i.passage_max_length},
          {"bytes", {{"dense", i.sizes.dense_faiss + i.sizes.dense_raw}, {"sparse", i.sizes.sparse}, {"bm25", i.sizes.bm25},
                     {"multivec", i.sizes.multivec}, {"doc_store", i.sizes.doc_store}, {"total", i.sizes.total()}}}};
}

Response json_response(int status, const json& body, const Request& req) {
  Response res{static_cast<beast_http::status>(status), req.version()};
  res.set(beast_http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive());
  res.body() = body.dump(-1, ' ', false, json::error_handler_t::replace);
  res.prepare_payload();
  return res;
}

}  // namespace

Router::Router(const ServerOptions& options, Collections& collections, Metrics& metrics)
    : options_(options), collections_(collections), metrics_(metrics) {}

Response Router::error_response(int status, const std::string& code, const std::string& message, unsigned version, bool keep_alive) {
  Response res{static_cast<beast_http::status>(status), version};
  res.set(beast_http::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = json{{"error", {{"code", code}, {"message", message}}}}.dump(-1, ' ', false, json::error_handler_t::replace);
  res.prepare_payload();
  return res;
}

Response Router::handle(const Request& req) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string endpoint = "other", mode = "";
  Response res;
  try {
    const auto parts = path_parts(std::string(req.target()));
    const auto method = req.method();
    auto require_key = [&] {
      if (options_.api_key.empty()) return;
      if (std::string(req[beast_http::field::authorization]) != "Bearer " + options_.api_key)
        throw ApiError(401, "unauthorized", "this endpoint needs 'Authorization: Bearer <api key>'");
    };
    auto method_not_allowed = [&] { throw ApiError(405, "method_not_allowed", std::string(req.method_string()) + " is not allowed on " + std::string(req.target())); };

    if (parts.size() == 1 && parts[0] == "health") {
      endpoint = "health";
      if (method != beast_http::verb::get) method_not_allowed();
      res = json_response(200, {{"status", "ok"}}, req);
    } else if (parts.size() == 1 && parts[0] == "metrics") {
      endpoint = "metrics";
      if (method != beast_http::verb::get) method_not_allowed();
      std::string body = metrics_.render();
      body += "# HELP m3_queue_depth Queries waiting for the encoder.\n# TYPE m3_queue_depth gauge\nm3_queue_depth " +
              std::to_string(collections_.total_queue_depth()) + "\n";
      body += "# HELP m3_documents Live documents per collection.\n# TYPE m3_documents gauge\n";
      std::string bytes = "# HELP m3_index_bytes Index bytes per collection.\n# TYPE m3_index_bytes gauge\n";
      for (const auto& name : collections_.names()) {
        try {
          auto i = collections_.get(name)->info();
          body += "m3_documents{collection=\"" + name + "\"} " + std::to_string(i.documents) + "\n";
          bytes += "m3_index_bytes{collection=\"" + name + "\"} " + std::to_string(i.sizes.total()) + "\n";
        } catch (const std::exception&) {
        }
      }
      res = Response{beast_http::status::ok, req.version()};
      res.set(beast_http::field::content_type, "text/plain; version=0.0.4");
      res.keep_alive(req.keep_alive());
      res.body() = body + bytes;
      res.prepare_payload();
    } else if (parts.size() == 1 && parts[0] == "collections") {
      endpoint = "collections";
      if (method != beast_http::verb::get) method_not_allowed();
      json list = json::array();
      for (const auto& n : collections_.names()) list.push_back(n);
      res = json_response(200, {{"collections", list}}, req);
    } else if (parts.size() == 2 && parts[0] == "collections") {
      endpoint = "collection";
      const std::string name = parts[1];
      if (method == beast_http::verb::get) {
        auto j = info_json(collections_.get(name)->info());
        j["name"] = name;
        res = json_response(200, j, req);
      } else if (method == beast_http::verb::put) {
        require_key();
        json body = req.body().empty() ? json::object() : parse_body(req);
        CollectionOptions o;
        o.model_dir = field<std::string>(body, "model", "");
        o.dense = field<std::string>(body, "dense", "Flat");
        o.mv_codec = field<std::string>(body, "mv_codec", "fp16");
        o.mv_bits = int_field(body, "mv_bits", 2, 1, 4);
        o.passage_max_length = int_field(body, "passage_max_length", 8192, 2, 1 << 20);
        auto j = info_json(collections_.create(name, o)->info());
        j["name"] = name;
        res = json_response(201, j, req);
      } else if (method == beast_http::verb::delete_) {
        require_key();
        collections_.drop(name);
        res = json_response(200, {{"deleted", name}}, req);
      } else {
        method_not_allowed();
      }
    } else if (parts.size() == 3 && parts[0] == "collections" && parts[2] == "search") {
      endpoint = "search";
      if (method != beast_http::verb::post) method_not_allowed();
      auto c = collections_.get(parts[1]);
      json body = parse_body(req);
      SearchParams p;
      mode = field<std::string>(body, "mode", "all");
      p.mode = parse_search_mode(mode);
      p.k = int_field(body, "k", 10, 1, options_.limits.max_k);
      p.depth = int_field(body, "depth", 0, 0, options_.limits.max_depth);
      if (body.contains("weights")) {
        auto w = field<std::vector<float>>(body, "weights", {});
        if (w.size() < 2 || w.size() > 3) throw bad_request("'weights' must hold 2 or 3 numbers (dense, sparse, multivec)");
        p.weights = std::array<float, 3>{w[0], w[1], w.size() > 2 ? w[2] : 0.f};
      }
      if (body.contains("fusion")) p.fusion = parse_fusion(field<std::string>(body, "fusion", "weighted"));
      p.dense.ef_search = int_field(body, "ef_search", 0, 0, 100000);
      p.dense.nprobe = int_field(body, "nprobe", 0, 0, 100000);
      p.validate();
      std::vector<std::string> queries;
      const bool batch = body.contains("queries");
      if (batch) {
        queries = field<std::vector<std::string>>(body, "queries", {});
        if (queries.empty() || queries.size() > options_.limits.max_batch_queries)
          throw bad_request("'queries' must hold 1 to " + std::to_string(options_.limits.max_batch_queries) + " strings");
      } else {
        if (!body.contains("query") || !body["query"].is_string()) throw bad_request("missing string field 'query' (or 'queries')");
        queries.push_back(body["query"].get<std::string>());
      }
      for (const auto& q : queries)
        if (q.size() > options_.limits.max_query_bytes)
          throw bad_request("query of " + std::to_string(q.size()) + " bytes exceeds the limit of " + std::to_string(options_.limits.max_query_bytes));
      json results = json::array();
      auto& batcher = collections_.batcher_for(*c);
      for (const auto& q : queries) {
        const auto q0 = std::chrono::steady_clock::now();
        Embedding e = batcher.encode(q, p.query_max_length);
        auto r = c->search_embedding(e, p);
        json hits = json::array();
        for (const auto& h : r.hits) hits.push_back(hit_json(h));
        results.push_back({{"hits", hits}, {"took_ms", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - q0).count()}});
      }
      const double took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      json reply = batch ? json{{"results", results}, {"took_ms", took}} : json{{"hits", results[0]["hits"]}, {"took_ms", took}};
      const SearchParams used = p.with_model_weights(c->encoder().fusion_weights());
      if (used.fusion == Fusion::Weighted && (used.mode == SearchMode::DenseSparse || used.mode == SearchMode::All)) {
        const auto w = used.effective_weights();  // the request's, the model's (m3_fusion.json) or the paper's
        reply["weights"] = used.mode == SearchMode::All ? json{w[0], w[1], w[2]} : json{w[0], w[1]};
      }
      res = json_response(200, reply, req);
    } else if (parts.size() == 3 && parts[0] == "collections" && parts[2] == "documents") {
      endpoint = "documents";
      if (method != beast_http::verb::post) method_not_allowed();
      require_key();
      auto c = collections_.get(parts[1]);
      json body = parse_body(req);
      if (!body.contains("documents") || !body["documents"].is_array()) throw bad_request("missing array field 'documents'");
      const auto& arr = body["documents"];
      if (arr.empty() || arr.size() > options_.limits.max_documents)
        throw bad_request("'documents' must hold 1 to " + std::to_string(options_.limits.max_documents) + " documents");
      std::vector<Document> docs;
      for (size_t i = 0; i < arr.size(); ++i) {
        const std::string where = "documents[" + std::to_string(i) + "]";
        Document d = CorpusReader::parse_json_document(arr[i].dump(), where);
        if (d.text.size() + d.title.size() > options_.limits.max_text_bytes) throw bad_request(where + ": text exceeds the size limit");
        validate_docid(d.docid);
        docs.push_back(std::move(d));
      }
      c->add(docs);
      res = json_response(202, {{"accepted", docs.size()}, {"pending", c->pending()}}, req);
    } else if (parts.size() == 4 && parts[0] == "collections" && parts[2] == "documents") {
      endpoint = "document";
      if (method != beast_http::verb::delete_) method_not_allowed();
      require_key();
      auto c = collections_.get(parts[1]);
      const std::string docid = url_decode(parts[3]);
      if (!c->find_document(docid)) throw not_found("no document '" + docid + "' in '" + parts[1] + "'");
      c->remove(docid);
      res = json_response(202, {{"deleted", docid}, {"pending", c->pending()}}, req);
    } else if (parts.size() == 3 && parts[0] == "collections" && parts[2] == "commit") {
      endpoint = "commit";
      if (method != beast_http::verb::post) method_not_allowed();
      require_key();
      auto c = collections_.get(parts[1]);
      const uint64_t g = c->commit();
      res = json_response(200, {{"generation", g}, {"documents", c->info().documents}}, req);
    } else if (parts.size() == 1 && parts[0] == "encode") {
      endpoint = "encode";
      if (method != beast_http::verb::post) method_not_allowed();
      json body = parse_body(req);
      auto texts = field<std::vector<std::string>>(body, "texts", {});
      if (texts.empty() || texts.size() > options_.limits.max_encode_texts)
        throw bad_request("'texts' must hold 1 to " + std::to_string(options_.limits.max_encode_texts) + " strings");
      for (size_t i = 0; i < texts.size(); ++i) {
        if (texts[i].size() > options_.limits.max_text_bytes) throw bad_request("texts[" + std::to_string(i) + "] exceeds the size limit");
        size_t bad = find_invalid_utf8(texts[i]);
        if (bad != std::string::npos) throw bad_request("texts[" + std::to_string(i) + "]: invalid UTF-8 at byte " + std::to_string(bad));
      }
      const std::string model = body.contains("model") ? field<std::string>(body, "model", "")
                                                       : (options_.default_model.empty() ? default_model_dir() : options_.default_model);
      auto enc = collections_.encoder(model);
      const int max_length = int_field(body, "max_length", enc->max_length(), 2, 1 << 20);
      auto embs = enc->encode(texts, max_length);
      json out = json::array();
      for (const auto& e : embs) {
        json sparse = json::object();
        for (size_t i = 0; i < e.sparse.ids.size(); ++i) sparse[std::to_string(e.sparse.ids[i])] = e.sparse.weights[i];
        json colbert = json::array();
        for (int r = 0; r < e.colbert_rows; ++r) colbert.push_back(std::vector<float>(e.colbert_row(r), e.colbert_row(r) + e.colbert_dim));
        out.push_back({{"input_ids", e.input_ids}, {"dense", e.dense}, {"sparse", sparse}, {"colbert", colbert}});
      }
      res = json_response(200, {{"embeddings", out}}, req);
    } else {
      throw not_found("no such endpoint: " + std::string(req.method_string()) + " " + std::string(req.target()));
    }
  } catch (const ApiError& e) {
    res = error_response(e.status(), e.code(), e.what(), req.version(), req.keep_alive());
  } catch (const NotFoundError& e) {
    res = error_response(404, "not_found", e.what(), req.version(), req.keep_alive());
  } catch (const UsageError& e) {
    res = error_response(400, "bad_request", e.what(), req.version(), req.keep_alive());
  } catch (const Error& e) {
    // Bad input the engine rejected (invalid UTF-8 query, bad docid, unknown codec): the client's problem.
    res = error_response(400, "invalid_input", e.what(), req.version(), req.keep_alive());
  } catch (const std::exception& e) {
    res = error_response(500, "internal", e.what(), req.version(), req.keep_alive());
  }
  metrics_.observe(endpoint, mode, res.result_int(), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return res;
}

}  // namespace m3::http
