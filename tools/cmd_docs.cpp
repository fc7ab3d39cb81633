// m3 add / m3 delete / m3 info: single-document changes and a collection's counts, sizes and settings.
#include <cstdio>
#include <iostream>
#include <set>

#include "common/error.h"
#include "common/json_input.h"
#include "engine/corpus_reader.h"
#include "engine/ingest.h"
#include "engine/collection_description.h"
#include "index/doc_store.h"
#include "tools/command.h"

namespace m3::tools {
namespace {

M3_COMMAND("add", "Add or replace documents (same docid replaces) and commit", [](CLI::App& sub) {
  struct Flags { std::string collection, model, corpus, docid, title, text, metadata = "{}"; };
  auto f = std::make_shared<Flags>();
  sub.add_option("--collection", f->collection, "collection directory")->required();
  sub.add_option("--model", f->model, "model directory (default: the one the collection was built with)");
  sub.add_option("--corpus", f->corpus, "JSONL/TSV file of documents to add");
  sub.add_option("--docid", f->docid, "docid of a single document");
  sub.add_option("--title", f->title, "title of the single document");
  sub.add_option("--text", f->text, "text of the single document");
  sub.add_option("--metadata", f->metadata, "metadata JSON object of the single document");
  sub.callback([f] {
    if (f->corpus.empty() == f->docid.empty()) throw UsageError("give either --corpus FILE or --docid ID --text TEXT");
    if (!f->docid.empty() && f->text.empty()) throw UsageError("--docid needs --text TEXT (a document without text cannot be searched)");
    if (!f->corpus.empty() && (!f->text.empty() || !f->title.empty() || f->metadata != "{}"))
      throw UsageError("--title/--text/--metadata describe a single --docid document, not a --corpus");
    if (!f->docid.empty()) validate_docid(f->docid);  // UsageError naming the problem
    nlohmann::json meta;
    if (f->corpus.empty()) {
      try {
        meta = parse_json_input(f->metadata, "--metadata");
      } catch (const InvalidInputError& e) {
        throw UsageError(e.what());
      }
      if (!meta.is_object()) throw UsageError("--metadata must be a JSON object");
    }
    auto c = Collection::open(f->collection, nullptr, f->model);
    if (!f->corpus.empty()) {
      IngestOptions o;
      o.progress = false;
      o.track_progress = false;  // add what is given: never resume past lines of a file seen before
      auto s = ingest_corpus(*c, f->corpus, o);
      std::printf("added %zu documents; collection has %zu\n", s.documents, c->info().documents);
      return;
    }
    std::string title = f->title, text = f->text;
    strip_bom(title);
    strip_bom(text);
    Document d{f->docid, title, text, meta.dump()};
    const bool replaced = c->find_document(d.docid).has_value();
    c->add({d});
    c->commit();
    std::printf("%s %s; collection has %zu documents\n", replaced ? "replaced" : "added", d.docid.c_str(), c->info().documents);
  });
});

M3_COMMAND("delete", "Delete documents by docid and commit", [](CLI::App& sub) {
  struct Flags { std::string collection, model; std::vector<std::string> docids; };
  auto f = std::make_shared<Flags>();
  sub.add_option("--collection", f->collection, "collection directory")->required();
  sub.add_option("--model", f->model, "model directory (default: the one the collection was built with)");
  sub.add_option("docid", f->docids, "docids to delete")->required();
  sub.callback([f] {
    auto c = Collection::open(f->collection, nullptr, f->model);
    // All or nothing: every docid must exist before anything is deleted; one commit for all of them.
    std::vector<std::string> missing;
    for (const auto& id : f->docids)
      if (!c->find_document(id)) missing.push_back("'" + id + "'");
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      throw NotFoundError("no document " + list + "; nothing deleted");
    }
    std::set<std::string> unique(f->docids.begin(), f->docids.end());
    for (const auto& id : unique) c->remove(id);
    c->commit();
    std::printf("deleted %zu; collection has %zu documents\n", unique.size(), c->info().documents);
  });
});

M3_COMMAND("info", "Show a collection's counts, sizes and settings", [](CLI::App& sub) {
  struct Flags { std::string collection, model; bool json = false; };
  auto f = std::make_shared<Flags>();
  sub.add_option("--collection", f->collection, "collection directory")->required();
  sub.add_option("--model", f->model, "model directory (default: the one the collection was built with)");
  sub.add_flag("--json", f->json, "print JSON");
  sub.callback([f] {
    auto c = Collection::open(f->collection, nullptr, f->model, Collection::Access::ReadOnly);
    const nlohmann::ordered_json j = describe_collection(*c);
    if (f->json) { std::cout << j.dump(2) << "\n"; return; }
    for (auto& [k, v] : j.items()) {
      if (k == "bytes") {
        for (auto& [bk, bv] : v.items()) std::printf("  bytes.%-12s %llu\n", bk.c_str(), static_cast<unsigned long long>(bv.get<uint64_t>()));
      } else {
        std::printf("%-20s %s\n", k.c_str(), v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
      }
    }
  });
});

}  // namespace
}  // namespace m3::tools
