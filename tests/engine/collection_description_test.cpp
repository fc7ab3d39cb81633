// The metadata fields a collection description reports (engine/collection_description.h): read off
// the first live documents, with types, value lists for short categorical strings and numeric ranges,
// so a client can offer filters on fields that are never declared.
#include <gtest/gtest.h>

#include "engine/collection_description.h"
#include "tests/engine/engine_test_helpers.h"

namespace m3 {
namespace {

using testing::fresh_dir;
using testing::tiny_encoder;
using json = nlohmann::json;

std::unique_ptr<Collection> collection_with(const std::vector<std::string>& metadata) {
  auto c = Collection::create(fresh_dir("describe"), CollectionOptions{}, tiny_encoder());
  std::vector<Document> docs;
  for (size_t i = 0; i < metadata.size(); ++i) docs.push_back({"d" + std::to_string(i), "", "text " + std::to_string(i), metadata[i]});
  c->add(docs);
  c->commit();
  return c;
}

json field(const nlohmann::ordered_json& fields, const std::string& name) {
  for (const auto& f : fields)
    if (f["field"] == name) return json::parse(f.dump());
  return nullptr;
}

TEST(CollectionDescription, MetadataFieldsWithTypesValuesAndRanges) {
  auto c = collection_with({R"({"lang":"de","year":1999,"src":{"site":"a"},"tags":["x","y"],"ok":true})",
                            R"({"lang":"en","year":2010.5,"tags":[],"ok":false,"note":null})",
                            R"({"lang":"de","mixed":"1"})", R"({"mixed":2})", "{}"});
  const auto d = describe_collection(*c);
  EXPECT_EQ(d["metadata_sampled"], 5);
  const auto& fields = d["metadata_fields"];
  std::vector<std::string> names;
  for (const auto& f : fields) names.push_back(f["field"]);
  EXPECT_EQ(names, (std::vector<std::string>{"lang", "mixed", "ok", "src.site", "tags", "year"}));  // sorted; null adds nothing
  EXPECT_EQ(field(fields, "lang"), json::parse(R"({"field":"lang","types":["string"],"documents":3,"values":["de","en"]})"));
  EXPECT_EQ(field(fields, "year"), json::parse(R"({"field":"year","types":["number"],"documents":2,"min":1999,"max":2010.5})"));
  EXPECT_EQ(field(fields, "ok")["types"], json::array({"boolean"}));
  EXPECT_EQ(field(fields, "tags")["documents"], 1);  // an array counts its document once
  EXPECT_EQ(field(fields, "tags")["values"], json::array({"x", "y"}));
  EXPECT_EQ(field(fields, "mixed")["types"], json::array({"number", "string"}));
}

TEST(CollectionDescription, FreeTextAndManyValuesGetNoValueList) {
  std::vector<std::string> meta;
  for (int i = 0; i < 40; ++i)
    meta.push_back(json{{"id", "v" + std::to_string(i)}, {"long", std::string(80, 'a')}, {"cat", i % 3 ? "a" : "b"}}.dump());
  auto c = collection_with(meta);
  const auto fields = describe_collection(*c)["metadata_fields"];
  EXPECT_FALSE(field(fields, "id").contains("values"));    // > kMaxDescribedValues distinct
  EXPECT_FALSE(field(fields, "long").contains("values"));  // free text
  EXPECT_EQ(field(fields, "cat")["values"], json::array({"a", "b"}));
}

TEST(CollectionDescription, ReadsABoundedSampleOfLiveDocuments) {
  auto c = collection_with({R"({"a":1})", R"({"b":1})", R"({"c":1})"});
  c->remove("d0");
  c->commit();
  size_t sampled = 0;
  const auto fields = describe_metadata_fields(*c->snapshot(), 1, &sampled);
  EXPECT_EQ(sampled, 1u);
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields[0]["field"], "b");  // d0 is deleted: the first live document
}

}  // namespace
}  // namespace m3
