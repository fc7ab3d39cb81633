// Verse-aligned Bibles -> cross-lingual pairs (see prep_sources.h).
//
// Three file formats name the same verse three ways: bible-corpus CES XML ("b.MAR.1.1"), USFX
// (<book id="MRK">, <c id="1"/>, <v id="1"/>) and OSIS milestones (sID="Mark.1.1"). Every verse is
// keyed here by its OSIS id ("Mark.1.1"), the one spelling all three can be mapped to, so that the
// Chinese Union Version, the Open English Bible and the seven New Testaments of bible-corpus align.
#include <map>
#include <set>
#include <string_view>

#include "trainer/prep_files.h"
#include "trainer/prep_pairs.h"
#include "trainer/prep_sources.h"

namespace m3::trainer {

namespace {

using Verses = std::map<std::string, std::string>;  // OSIS verse id -> text

struct Bible {
  std::string language;  // pairs are never made within one language (CUV traditional / simplified)
  Verses verses;
};

// Paratext three-letter book codes (USFX; bible-corpus uses them too, except where noted) -> OSIS names.
const std::map<std::string, std::string>& book_names() {
  static const std::map<std::string, std::string> names = {
      {"GEN", "Gen"},   {"EXO", "Exod"},  {"LEV", "Lev"},   {"NUM", "Num"},    {"DEU", "Deut"},   {"JOS", "Josh"},
      {"JDG", "Judg"},  {"RUT", "Ruth"},  {"1SA", "1Sam"},  {"2SA", "2Sam"},   {"1KI", "1Kgs"},   {"2KI", "2Kgs"},
      {"1CH", "1Chr"},  {"2CH", "2Chr"},  {"EZR", "Ezra"},  {"NEH", "Neh"},    {"EST", "Esth"},   {"JOB", "Job"},
      {"PSA", "Ps"},    {"PRO", "Prov"},  {"ECC", "Eccl"},  {"SNG", "Song"},   {"ISA", "Isa"},    {"JER", "Jer"},
      {"LAM", "Lam"},   {"EZK", "Ezek"},  {"DAN", "Dan"},   {"HOS", "Hos"},    {"JOL", "Joel"},   {"AMO", "Amos"},
      {"OBA", "Obad"},  {"JON", "Jonah"}, {"MIC", "Mic"},   {"NAM", "Nah"},    {"HAB", "Hab"},    {"ZEP", "Zeph"},
      {"HAG", "Hag"},   {"ZEC", "Zech"},  {"MAL", "Mal"},   {"MAT", "Matt"},   {"MRK", "Mark"},   {"LUK", "Luke"},
      {"JHN", "John"},  {"ACT", "Acts"},  {"ROM", "Rom"},   {"1CO", "1Cor"},   {"2CO", "2Cor"},   {"GAL", "Gal"},
      {"EPH", "Eph"},   {"PHP", "Phil"},  {"COL", "Col"},   {"1TH", "1Thess"}, {"2TH", "2Thess"}, {"1TI", "1Tim"},
      {"2TI", "2Tim"},  {"TIT", "Titus"}, {"PHM", "Phlm"},  {"HEB", "Heb"},    {"JAS", "Jas"},    {"1PE", "1Pet"},
      {"2PE", "2Pet"},  {"1JN", "1John"}, {"2JN", "2John"}, {"3JN", "3John"},  {"JUD", "Jude"},   {"REV", "Rev"},
      // bible-corpus's own spellings of five New Testament books
      {"MAR", "Mark"},  {"JOH", "John"},  {"JAM", "Jas"},   {"1JO", "1John"},  {"2JO", "2John"},  {"3JO", "3John"},
      {"PHI", "Phil"}};
  return names;
}

// Text with markup removed: tags dropped, the content of notes, titles and footnotes/cross references
// dropped too (they are not part of the verse), whitespace collapsed.
std::string plain_text(std::string_view xml) {
  static const std::set<std::string, std::less<>> skipped = {"note", "title", "f", "x", "description"};
  std::string out;
  int skip_depth = 0;
  for (size_t i = 0; i < xml.size();) {
    if (xml[i] != '<') {
      if (skip_depth == 0) out += (xml[i] == '\n' || xml[i] == '\t' || xml[i] == '\r') ? ' ' : xml[i];
      ++i;
      continue;
    }
    const size_t close = xml.find('>', i);
    if (close == std::string_view::npos) break;
    std::string_view tag = xml.substr(i + 1, close - i - 1);
    const bool end_tag = !tag.empty() && tag[0] == '/', self_closing = !tag.empty() && tag.back() == '/';
    if (end_tag) tag.remove_prefix(1);
    const std::string_view name = tag.substr(0, tag.find_first_of(" /"));
    if (skipped.count(name) && !self_closing) skip_depth += end_tag ? -1 : 1;
    if (skip_depth < 0) skip_depth = 0;
    i = close + 1;
  }
  std::string collapsed;
  for (char c : out)
    if (c != ' ' || (!collapsed.empty() && collapsed.back() != ' ')) collapsed += c;
  return trim(collapsed);
}

// The value of attribute `name` in the tag text starting at `at` ("" when absent before the tag ends).
std::string attribute(const std::string& xml, size_t at, const std::string& name) {
  const size_t end = xml.find('>', at);
  const size_t a = xml.find(name + "=\"", at);
  if (a == std::string::npos || a > end) return {};
  const size_t begin = a + name.size() + 2;
  return xml.substr(begin, xml.find('"', begin) - begin);
}

// bible-corpus CES XML: the verse text sits between <seg id="b.MAT.1.1" ...> and </seg>.
Verses read_ces(const std::string& path) {
  Verses verses;
  const std::string xml = read_text_file(path);
  size_t at = 0;
  while ((at = xml.find("<seg id=\"", at)) != std::string::npos) {
    const std::string id = attribute(xml, at, "id");  // "b.MAT.1.1"
    const size_t body = xml.find('>', at), close = xml.find("</seg>", body);
    if (body == std::string::npos || close == std::string::npos) break;
    const size_t book_end = id.find('.', 2);
    auto book = book_names().find(id.substr(2, book_end == std::string::npos ? 0 : book_end - 2));
    const std::string text = plain_text(std::string_view(xml).substr(body + 1, close - body - 1));
    if (book != book_names().end() && !text.empty()) verses[book->second + id.substr(book_end)] = text;
    at = close;
  }
  return verses;
}

// USFX: <book id="GEN"> ... <c id="1"/> ... <v id="1"/>text<ve/>.
Verses read_usfx(const std::string& path) {
  Verses verses;
  const std::string xml = read_text_file(path);
  std::string book, chapter;
  for (size_t at = xml.find('<'); at != std::string::npos; at = xml.find('<', at + 1)) {
    if (xml.compare(at, 6, "<book ") == 0) {
      auto it = book_names().find(attribute(xml, at, "id"));
      book = it == book_names().end() ? std::string() : it->second;
    } else if (xml.compare(at, 3, "<c ") == 0) {
      chapter = attribute(xml, at, "id");
    } else if (xml.compare(at, 3, "<v ") == 0 && !book.empty()) {
      const std::string verse = attribute(xml, at, "id");
      const size_t body = xml.find('>', at), end = xml.find("<ve/>", body);
      if (body == std::string::npos || end == std::string::npos) break;
      const std::string text = plain_text(std::string_view(xml).substr(body + 1, end - body - 1));
      if (!text.empty()) verses[book + "." + chapter + "." + verse] = text;
      at = end;
    }
  }
  return verses;
}

// OSIS milestones: <verse sID="Matt.1.1" .../>text<verse eID="Matt.1.1" />.
Verses read_osis(const std::string& path) {
  Verses verses;
  const std::string xml = read_text_file(path);
  size_t at = 0;
  while ((at = xml.find("<verse sID=\"", at)) != std::string::npos) {
    const std::string id = attribute(xml, at, "sID");
    const size_t body = xml.find('>', at), end = xml.find("<verse eID=\"" + id + "\"", body);
    if (body == std::string::npos || end == std::string::npos) break;
    const std::string text = plain_text(std::string_view(xml).substr(body + 1, end - body - 1));
    if (!text.empty()) verses[id] = text;
    at = end;
  }
  return verses;
}

// "Matt.1.7" -> ("Matt.1", 7)
std::pair<std::string, int> chapter_and_verse(const std::string& id) {
  const auto dot = id.rfind('.');
  return {id.substr(0, dot), std::atoi(id.c_str() + dot + 1)};
}

}  // namespace

void read_bible(const PrepOptions& o, TextCollection& out) {
  std::vector<Bible> bibles;
  for (const auto& f : list_files(o.data_root + "/parallel/bible-corpus", "", "-NT.xml.gz")) {
    const auto name = f.substr(f.rfind('/') + 1);
    bibles.push_back({name.substr(0, name.find('-')), read_ces(f)});
  }
  const std::string open = o.data_root + "/parallel/open-bibles/";
  if (file_exists(open + "chi-cuv.usfx.xml.gz")) bibles.push_back({"zh", read_usfx(open + "chi-cuv.usfx.xml.gz")});
  if (file_exists(open + "chi-cuv-simp.usfx.xml.gz")) bibles.push_back({"zh", read_usfx(open + "chi-cuv-simp.usfx.xml.gz")});
  size_t english = bibles.size() + 1;
  if (file_exists(open + "eng-us-oeb.osis.xml.gz")) {
    english = bibles.size();
    bibles.push_back({"en", read_osis(open + "eng-us-oeb.osis.xml.gz")});
  }
  if (bibles.size() < 2) return;
  std::set<std::string> ids;
  for (const auto& b : bibles)
    for (const auto& [id, text] : b.verses) ids.insert(id);
  const std::vector<int> offsets{-4, -3, -2, -1, 1, 2, 3, 4};
  Rng rng = Rng::derive(o.seed, 0xB1B1E);
  for (const auto& id : ids) {
    // The Bibles holding this verse; the pair is drawn among them (the Old Testament is only in Chinese
    // and, for 15 books, English).
    std::vector<size_t> holders;
    size_t english_holder = 0;
    for (size_t i = 0; i < bibles.size(); ++i)
      if (bibles[i].verses.count(id)) {
        if (i == english) english_holder = holders.size() + 1;
        holders.push_back(i);
      }
    if (holders.size() < 2) continue;
    const auto [chapter, verse] = chapter_and_verse(id);
    for (int k = 0; k < o.bible_pairs_per_verse; ++k) {
      const auto [ia, ib] = language_pair(holders.size(), english_holder ? english_holder - 1 : holders.size(), o.english_side, rng);
      const Bible& a = bibles[holders[ia]];
      const Bible& b = bibles[holders[ib]];
      if (a.language == b.language) continue;
      TextExample e{"bible", a.verses.at(id), {b.verses.at(id)}, {}};
      // Neighbouring verses of the chapter: the hardest negatives this corpus has. A refrain repeated
      // word for word (Mark 9:44, 46, 48) would be a negative equal to the positive: left out.
      for (int d : pick(offsets, o.max_negatives, rng)) {
        auto it = b.verses.find(chapter + "." + std::to_string(verse + d));
        if (it != b.verses.end() && it->second != e.pos[0]) e.neg.push_back(it->second);
      }
      out.examples.push_back(std::move(e));
    }
  }
}

}  // namespace m3::trainer
