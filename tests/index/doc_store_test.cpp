// DocStore: records and docid mappings round-trip, views are point-in-time, crash leftovers past
// next_doc are erased.
#include <gtest/gtest.h>

#include "common/error.h"
#include "index/doc_store.h"
#include "test_util.h"

namespace m3 {
namespace {

TEST(DocStore, PutGetIterateErase) {
  test::TempDir dir;
  auto ds = DocStore::open(dir.sub("db"), true);
  EXPECT_THROW(DocStore::open(dir.sub("db2"), false), Error);  // missing, not created
  std::vector<DocRecord> recs;
  for (int i = 0; i < 100; ++i)
    recs.push_back({i, "id" + std::to_string(i % 90), "t" + std::to_string(i), std::string("body\0x", 6), "{}"});
  ds->put(recs);
  auto v = ds->view();
  EXPECT_EQ(v.get(5)->text, std::string("body\0x", 6));
  EXPECT_EQ(v.docs_of("id3"), (std::vector<int64_t>{3, 93}));
  EXPECT_TRUE(v.docs_of("id").empty());  // prefix of other ids, not an id
  int64_t last = -1;
  size_t n = 0;
  v.for_each([&](const DocRecord& r) {
    EXPECT_GT(r.doc, last);
    last = r.doc;
    ++n;
  });
  EXPECT_EQ(n, 100u);
  ds->erase({recs[3]});
  ds->erase_from(95);
  auto w = ds->view();
  EXPECT_FALSE(w.get(3));
  EXPECT_FALSE(w.get(97));
  EXPECT_EQ(w.docs_of("id3"), (std::vector<int64_t>{93}));
  EXPECT_TRUE(v.get(3));  // the older view is unchanged
  EXPECT_TRUE(v.get(97));
}

TEST(DocStore, DocidValidation) {
  EXPECT_THROW(validate_docid(""), UsageError);
  EXPECT_THROW(validate_docid(std::string("a\0b", 3)), UsageError);
  EXPECT_THROW(validate_docid(std::string(2000, 'x')), UsageError);
  EXPECT_NO_THROW(validate_docid("doc-1/α"));
}

}  // namespace
}  // namespace m3
