// CLDR display names -> short translation pairs (see prep_sources.h).
//
// Every CLDR locale names the same language and territory codes, so "DE" gives "Deutschland" (de),
// "Allemagne" (fr), "Германия" (ru) and "Germany" (en): parallel names in 295 locales. Each pair joins
// a locale's name with the English name of the same code (the dev sets pair every language with
// English), in a random direction. Alternative forms ("-alt-short", "-alt-variant") are left out, and
// so are names a locale spells as English does (nothing to learn). Batches hold one dataset, so the
// in-batch negatives are other names: the pairs teach which word is which across languages.
#include <map>
#include <nlohmann/json.hpp>

#include "trainer/prep_files.h"
#include "trainer/prep_pairs.h"
#include "trainer/prep_sources.h"

namespace m3::trainer {

namespace {

// code -> name of one `{locale}.{kind}.json.gz` file ({"main": {locale: {"localeDisplayNames": {kind: {...}}}}}).
std::map<std::string, std::string> read_names(const std::string& path, const std::string& kind) {
  std::map<std::string, std::string> names;
  const auto j = nlohmann::json::parse(read_text_file(path));
  for (const auto& [locale, body] : j.at("main").items()) {
    (void)locale;
    auto display = body.find("localeDisplayNames");
    if (display == body.end() || !display->contains(kind)) continue;
    for (const auto& [code, name] : display->at(kind).items())
      if (code.find("-alt-") == std::string::npos && name.is_string() && !trim(name.get<std::string>()).empty())
        names[code] = trim(name.get<std::string>());
  }
  return names;
}

}  // namespace

void read_cldr(const PrepOptions& o, TextCollection& out) {
  const std::string dir = o.data_root + "/parallel/cldr-localenames/";
  Rng rng = Rng::derive(o.seed, 0xC1D2);
  for (const std::string kind : {"languages", "territories"}) {
    const std::string suffix = "." + kind + ".json.gz";
    if (!file_exists(dir + "en" + suffix)) continue;
    const auto english = read_names(dir + "en" + suffix, kind);
    for (const auto& path : list_files(dir, "", suffix)) {
      const std::string locale = path.substr(path.rfind('/') + 1, path.size() - path.rfind('/') - 1 - suffix.size());
      if (locale == "en" || locale.rfind("en-", 0) == 0) continue;
      std::vector<std::pair<std::string, std::string>> pairs;  // (this locale's name, English name)
      for (const auto& [code, name] : read_names(path, kind)) {
        auto en = english.find(code);
        if (en != english.end() && en->second != name) pairs.emplace_back(name, en->second);
      }
      for (const auto& [native, en] : pick(pairs, o.cldr_pairs_per_locale, rng)) {
        if (rng.below(2)) out.examples.push_back({"cldr-names", native, {en}, {}});
        else out.examples.push_back({"cldr-names", en, {native}, {}});
      }
    }
  }
}

}  // namespace m3::trainer
