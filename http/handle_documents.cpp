// POST /collections/{name}/documents, GET|DELETE /collections/{name}/documents/{docid}.
// A document is {"docid", "text", "title"?, "metadata"?: object}; anything else is refused, and every
// document of a request is checked before any is added (a bad one adds none).
#include "common/utf8.h"
#include "http/api_error.h"
#include "http/coordinator.h"
#include "http/handlers.h"
#include "index/doc_store.h"

namespace m3::http {

Document document_from_json(const json& d, const std::string& where, const Limits& limits) {
  if (!d.is_object()) throw bad_request(where + " must be an object");
  reject_unknown_fields(d, {"docid", "title", "text", "metadata"}, where + ".");
  Document doc;
  if (!d.contains("docid")) throw bad_request(where + ": missing \"docid\"");
  if (d["docid"].is_string()) doc.docid = d["docid"].get<std::string>();
  else if (d["docid"].is_number_integer()) doc.docid = d["docid"].dump();
  else throw bad_request(where + ": \"docid\" must be a string or an integer");
  try {
    validate_docid(doc.docid);
  } catch (const Error& e) {
    throw bad_request(where + ": " + e.what());
  }
  if (!d.contains("text") || !d["text"].is_string()) throw bad_request(where + ": missing or non-string \"text\"");
  doc.text = d["text"].get<std::string>();
  if (d.contains("title") && !d["title"].is_null()) {
    if (!d["title"].is_string()) throw bad_request(where + ": \"title\" must be a string");
    doc.title = d["title"].get<std::string>();
  }
  if (d.contains("metadata") && !d["metadata"].is_null()) {
    if (!d["metadata"].is_object()) throw bad_request(where + ": \"metadata\" must be an object");
    doc.metadata_json = d["metadata"].dump();
  }
  if (doc.text.size() + doc.title.size() > limits.max_text_bytes)
    throw bad_request(where + ": title and text exceed " + std::to_string(limits.max_text_bytes) + " bytes");
  for (const auto* field : {&doc.title, &doc.text}) {
    const size_t bad = find_invalid_utf8(*field);
    if (bad != std::string::npos)
      throw bad_request(where + (field == &doc.title ? ".title" : ".text") + ": invalid UTF-8 at byte " + std::to_string(bad));
  }
  return doc;
}

Response handle_add_documents(RouteContext& ctx) {
  if (ctx.coordinator && ctx.coordinator->serves(ctx.params[0])) return ctx.coordinator->add_documents(ctx);
  auto c = ctx.collections.get(ctx.params[0]);
  const json body = parse_body(ctx);
  reject_unknown_fields(body, {"documents"});
  const json& arr = documents_array(ctx, body);
  std::vector<Document> docs;
  for (size_t i = 0; i < arr.size(); ++i) docs.push_back(document_from_json(arr[i], "documents[" + std::to_string(i) + "]", ctx.options.limits));
  c->add(docs);
  return json_reply(202, {{"accepted", docs.size()}, {"pending", c->pending()}}, ctx.req);
}

Response handle_get_document(RouteContext& ctx) {
  if (ctx.coordinator && ctx.coordinator->serves(ctx.params[0])) return ctx.coordinator->get_document(ctx);
  auto c = ctx.collections.get(ctx.params[0]);
  const std::string& docid = ctx.params[1];
  auto d = c->find_document(docid);
  if (!d) throw not_found("no document '" + docid.substr(0, 256) + "' in '" + ctx.params[0] + "'");
  json meta = json::parse(d->metadata_json, nullptr, false);
  if (meta.is_discarded()) meta = json::object();
  return json_reply(200, {{"docid", d->docid}, {"title", d->title}, {"text", d->text}, {"metadata", meta}}, ctx.req);
}

Response handle_delete_document(RouteContext& ctx) {
  if (ctx.coordinator && ctx.coordinator->serves(ctx.params[0])) return ctx.coordinator->delete_document(ctx);
  auto c = ctx.collections.get(ctx.params[0]);
  const std::string& docid = ctx.params[1];
  if (!c->find_document(docid)) throw not_found("no document '" + docid.substr(0, 256) + "' in '" + ctx.params[0] + "'");
  c->remove(docid);
  return json_reply(202, {{"deleted", docid}, {"pending", c->pending()}}, ctx.req);
}

}  // namespace m3::http
