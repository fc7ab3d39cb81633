#include "trainer/prep_sources.h"

#include <map>
#include <unordered_set>

#include "trainer/prep_files.h"

namespace m3::trainer {

std::vector<std::string> TextCollection::all_texts() const {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  auto add = [&](const std::string& t) {
    if (!t.empty() && seen.insert(t).second) out.push_back(t);
  };
  for (const auto& [d, t] : raw) add(t);
  for (const auto& e : examples) {
    add(e.query);
    for (const auto& t : e.pos) add(t);
    for (const auto& t : e.neg) add(t);
  }
  return out;
}

bool sts_row_allowed(const std::string& filename) {
  return filename != "MSRpar" && filename != "MSRvid" && filename.rfind("deft-", 0) != 0;
}

void read_ud(const PrepOptions& o, TextCollection& out) {
  for (const auto& path : list_files(o.data_root + "/mono/ud", "", ".sents.tsv.gz"))
    for (const auto& line : split_lines(read_text_file(path))) {
      auto f = split_tabs(line);
      if (f.size() >= 2 && !trim(f[1]).empty()) out.raw.emplace_back("ud", trim(f[1]));
    }
}

TextCollection read_training_sets(const PrepOptions& o, std::ostream& log) {
  TextCollection all;
  using Reader = void (*)(const PrepOptions&, TextCollection&);
  const std::pair<const char*, Reader> readers[] = {
      {"parallel/ntrex128", read_ntrex}, {"parallel/ud-pud", read_pud}, {"parallel/bibles", read_bible},
      {"parallel/cldr-localenames", read_cldr}, {"sts", read_sts}, {"nli", read_nli}, {"qa", read_qa}, {"mono/ud", read_ud}};
  for (const auto& [name, reader] : readers) {
    const size_t before_examples = all.examples.size(), before_raw = all.raw.size();
    reader(o, all);
    std::map<std::string, size_t> per_dataset;
    for (size_t i = before_examples; i < all.examples.size(); ++i) ++per_dataset[all.examples[i].dataset];
    log << "  " << name << ": " << all.examples.size() - before_examples << " examples, " << all.raw.size() - before_raw
        << " raw texts";
    for (const auto& [d, n] : per_dataset) log << " | " << d << " " << n;
    log << "\n";
  }
  return all;
}

}  // namespace m3::trainer
