#!/usr/bin/python3
"""The search page in a real browser (headless Chromium from Debian, driven by Selenium).

Builds a small collection with the built m3 program and its embedded default model, starts
`m3 serve` on a free port, loads / and checks from the DOM: a search shows hits with highlighted
terms and per-head bars; switching the mode changes the column; the compare view shows three columns
and marks shared hits with every column's rank; moving a weight slider re-searches with other weights;
a filter restricts the hits to documents that satisfy it; a filter nothing matches shows the empty
state; an unknown collection shows an error; reloading the URL reproduces the search. Screenshots
of these states go to --out (build/page-screenshots). A missing browser is a failure: scripts/deps.sh
installs it.

Run: /usr/bin/python3 tests/http/page_browser_test.py --m3 build/m3 --out build/page-screenshots
(ctest -R page_browser does this).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    sys.exit("FAIL: python3-selenium is not installed (run scripts/deps.sh)")

WAIT_S = 60  # generous: the machine may be busy with builds; waits end as soon as the DOM is ready

# A small bilingual corpus: the query "cat" is found by several heads, German documents use "Katze",
# years spread so that a range filter keeps some and drops others.
TOPICS = [
    ("cat", "The cat sleeps on the warm windowsill and watches the rain.", "Die Katze schläft auf der warmen Fensterbank."),
    ("rain", "Heavy rain flooded the streets of the old town overnight.", "Starker Regen überflutete über Nacht die Straßen."),
    ("train", "The night train to Vienna leaves from platform four.", "Der Nachtzug nach Wien fährt von Gleis vier ab."),
    ("coffee", "Fresh coffee beans are roasted every morning in the small shop.", "Frische Kaffeebohnen werden jeden Morgen geröstet."),
    ("garden", "Tomatoes and beans grow in the garden behind the house.", "Tomaten und Bohnen wachsen im Garten hinter dem Haus."),
    ("music", "The orchestra played a symphony by Beethoven in the concert hall.", "Das Orchester spielte eine Sinfonie von Beethoven."),
]


# A second sentence per document, so that the heads disagree and the bars differ.
EXTRA = [
    ("A black cat crossed the road in the morning.", "Eine schwarze Katze lief morgens über die Straße."),
    ("Nobody expected the storm to last three days.", "Niemand erwartete, dass der Sturm drei Tage dauert."),
    ("Tickets are cheaper when booked a month ahead.", "Fahrkarten sind günstiger, wenn man früh bucht."),
    ("The barista recommends a light roast from Ethiopia.", "Der Barista empfiehlt eine helle Röstung."),
    ("Snails love the lettuce after a wet night.", "Schnecken lieben den Salat nach einer nassen Nacht."),
    ("Violins and cellos tuned up before the overture.", "Geigen und Celli wurden vor der Ouvertüre gestimmt."),
    ("My neighbour's cat chases every falling leaf.", "Die Katze des Nachbarn jagt jedes fallende Blatt."),
    ("Umbrellas sold out at the corner shop.", "Regenschirme waren im Laden an der Ecke ausverkauft."),
]


def corpus():
    docs = []
    for i in range(36):
        topic, en, de = TOPICS[i % len(TOPICS)]
        lang = "de" if (i // len(TOPICS)) % 2 else "en"
        extra = EXTRA[(i * 5) % len(EXTRA)][lang == "de"]
        docs.append({"docid": f"doc{i:02d}", "title": f"{topic.title()} {i}", "text": f"{de if lang == 'de' else en} {extra}",
                     "lang": lang, "year": 1990 + i})
    # Documents are hostile input: markup in them must show as text and never run.
    docs.append({"docid": "<b>x</b>", "title": '<img src=x onerror="document.body.dataset.pwned=1"> trap',
                 "text": "<script>document.body.dataset.pwned=1</script> a trap for markup", "lang": "en", "year": 2030})
    return docs


class Server:
    def __init__(self, m3, data, log_path):
        self.log_path = log_path
        self.log = open(log_path, "w")
        # With an API key: everything the page does (searches, /encode) must work without one (a
        # prompt for it would stop the test with an unexpected alert).
        self.proc = subprocess.Popen([m3, "serve", "--data", data, "--port", "0", "--host", "127.0.0.1", "--api-key", "page-test-key"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + WAIT_S
        self.url = None
        while time.time() < deadline and self.url is None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"m3 serve exited with {self.proc.returncode}: {open(log_path).read()}")
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", open(log_path).read())
            if m:
                self.url = m.group(1)
            else:
                time.sleep(0.1)
        if self.url is None:
            raise RuntimeError(f"m3 serve did not say where it listens: {open(log_path).read()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def browser(out, profile):
    chromium = shutil.which("chromium")
    driver_bin = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not chromium or not os.path.exists(driver_bin):
        sys.exit("FAIL: chromium and chromium-driver are needed (run scripts/deps.sh)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000",
              "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(driver_bin, log_path=os.path.join(out, "chromedriver.log"))  # Debian's Selenium 4.8 API
    return webdriver.Chrome(service=service, options=opts)


class PageTest:
    def __init__(self, driver, base, out):
        self.d, self.base, self.out = driver, base, out
        self.checks = 0

    # ---- helpers
    def wait(self, cond, what):
        try:
            return WebDriverWait(self.d, WAIT_S, poll_frequency=0.1).until(lambda d: cond())
        except TimeoutException:
            self.shot("failure")
            raise AssertionError(f"timed out waiting for {what}; page state {self.state()}, "
                                 f"status {self.text('#status')!r}, error {self.text('#page-error')!r}")

    def check(self, ok, message):
        self.checks += 1
        if not ok:
            self.shot("failure")
            raise AssertionError(message)

    def q(self, css):
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def text(self, css):
        e = self.q(css)
        return e[0].text if e else ""

    def state(self):
        b = self.d.find_element(By.TAG_NAME, "body")
        return b.get_attribute("data-state"), int(b.get_attribute("data-searches") or 0)

    def shot(self, name):
        self.d.save_screenshot(os.path.join(self.out, f"{name}.png"))

    def searched(self, before):
        """Waits for a search after the `before`-th to finish, and for the page to be done."""
        self.wait(lambda: self.state()[1] > before and self.state()[0] in ("done", "error"), "a search to finish")

    def open(self, query_string):
        self.d.get(self.base + "/" + query_string)
        self.wait(lambda: self.state()[0] in ("idle", "done", "error") and self.q("#collection option"), "the page to load")

    def columns(self):
        return {c.get_attribute("data-mode"): [h.get_attribute("data-docid") for h in c.find_elements(By.CSS_SELECTOR, "li.hit")]
                for c in self.q("section.column")}

    def hits_metadata(self):
        return [json.loads(h.get_attribute("data-metadata")) for h in self.q("li.hit")]

    # ---- the checks
    def run(self):
        self.open("")
        self.check(self.q("#collection")[0].get_attribute("value") == "docs", "the only collection is chosen")
        box = self.q("#query")[0]
        n = self.state()[1]
        box.send_keys("cat", Keys.ENTER)
        self.searched(n)
        hits = self.q("section.column[data-mode=all] li.hit")
        self.check(len(hits) == 10, f"a search shows 10 hits (got {len(hits)})")
        self.check(self.text(".mode-label") == "all", "the column is labelled with its mode")
        self.check(re.search(r"took [\d.]+ ms \(encode [\d.]+ ms, search [\d.]+ ms\)", self.text(".timing")), f"timing shown: {self.text('.timing')!r}")
        self.check(self.q("li.hit mark"), "query terms are highlighted")
        self.check(all("cat" in m.text.lower() or "katz" in m.text.lower() for m in self.q("li.hit mark")), "only query terms are marked")
        bar = self.q("li.hit .bar-dense")[0]
        self.check(re.search(r"dense -?\d", bar.get_attribute("title") or ""), "a bar's title holds its exact score")
        group = self.q("li.hit .bars")[0]
        self.check(group.get_attribute("tabindex") == "0", "the bars take the keyboard focus")
        self.d.execute_script("arguments[0].focus()", group)
        exact = group.find_element(By.CSS_SELECTOR, ".exact")
        self.check(exact.is_displayed() and re.search(r"dense -?\d+\.\d+", exact.text), f"focus shows the exact scores: {exact.text!r}")
        self.check(len(self.q("li.hit:first-child .bar")) == 4, "one bar per head")
        group.send_keys("/")
        self.check(self.d.switch_to.active_element == self.q("#query")[0], "\"/\" puts the focus back in the query box")
        self.check("q=cat" in self.d.current_url and "c=docs" in self.d.current_url, "the URL holds the search")
        weights_all = self.q(".weights-used")[0].get_attribute("data-weights")
        self.shot("search")

        # Mode switch: the column and its scores change.
        n = self.state()[1]
        Select(self.q("#mode")[0]).select_by_value("bm25")
        self.searched(n)
        self.check(list(self.columns()) == ["bm25"] and self.text(".mode-label") == "bm25", "the mode switch relabels the column")
        absent = self.q("li.hit .bar-dense.absent .fill")
        self.check(absent and all(f.size["width"] == 0 for f in absent) and not self.q(".weights-used"),
                   "bm25 computes no dense score (no dense bar drawn) and has no weights")
        self.check("mode=bm25" in self.d.current_url, "the URL holds the mode")

        # Compare view: bm25 | sparse | all, shared hits marked with each column's rank.
        n = self.state()[1]
        self.q("#compare-on")[0].click()
        self.searched(n)
        cols = self.columns()
        self.check(list(cols) == ["bm25", "sparse", "all"], f"compare shows three columns (got {list(cols)})")
        shared = self.q("li.hit.shared")
        self.check(shared, "hits found by several modes are marked")
        for h in shared:
            marks = h.find_elements(By.CSS_SELECTOR, ".rank-mark")
            self.check(len(marks) >= 2, "a shared hit names at least two columns")
            for m in marks:
                mode, rank = m.get_attribute("data-mode"), int(m.get_attribute("data-rank"))
                self.check(cols[mode][rank - 1] == h.get_attribute("data-docid"), f"mark {mode} #{rank} is that column's rank")
                target = self.q("#" + m.get_attribute("href").split("#", 1)[1])
                self.check(target and target[0].get_attribute("data-docid") == h.get_attribute("data-docid"),
                           f"mark {mode} #{rank} links to that column's hit")
        mark = shared[0].find_elements(By.CSS_SELECTOR, ".rank-mark")[-1]
        mark.click()
        self.wait(lambda: self.d.execute_script("return document.querySelector(':target')?.dataset.docid") ==
                  shared[0].get_attribute("data-docid"), "a rank mark to lead to the hit in its column")
        self.check(self.state()[0] == "done" and "q=cat" in self.d.current_url, "following a mark keeps the search")
        self.check(len(self.q(".weight-group")) == 1, "sliders for the weighted column (all)")
        self.shot("compare")

        # Back to one column, mode all; a weight slider re-searches with the new weights.
        n = self.state()[1]
        self.q("#compare-on")[0].click()
        self.searched(n)
        n = self.state()[1]
        Select(self.q("#mode")[0]).select_by_value("all")
        self.searched(n)
        self.check(self.q(".weights-used")[0].get_attribute("data-weights") == weights_all, "the collection's weights come back")
        slider = self.q("#w-all-dense")[0]
        self.check(abs(float(slider.get_attribute("value")) - float(weights_all.split(",")[0])) < 1e-6,
                   "the dense slider starts at the collection's weight")
        n = self.state()[1]
        slider.send_keys(Keys.HOME)  # to 0: the dense head no longer counts
        self.searched(n)
        self.wait(lambda: self.q(".weights-used") and self.q(".weights-used")[0].get_attribute("data-weights").split(",")[0] == "0",
                  "the reply's weights to follow the slider")
        self.check("w.all=0" in urllib.parse.unquote(self.d.current_url), "the URL holds the moved weights")
        # BM25, the optional fourth head: its slider starts at the collection's BM25 weight (0 when its
        # weights list has three numbers); moving it to its end fuses BM25 in, and the reply lists four weights.
        bm25_slider = self.q("#w-all-bm25")[0]
        listed = weights_all.split(",")
        start = float(listed[3]) if len(listed) == 4 else 0.0
        self.check(abs(float(bm25_slider.get_attribute("value")) - start) < 1e-6, f"the BM25 slider starts at {start}")
        n = self.state()[1]
        bm25_slider.send_keys(Keys.END)
        self.searched(n)
        self.wait(lambda: self.q(".weights-used") and len(self.q(".weights-used")[0].get_attribute("data-weights").split(",")) == 4,
                  "the reply's weights to include BM25's")
        self.check(float(self.q(".weights-used")[0].get_attribute("data-weights").split(",")[3]) > 0, "BM25's weight is above 0")
        self.shot("weights")

        # Filters: lang = de, then year in 2000..2010 as well; every shown hit satisfies them.
        self.q("#add-filter")[0].click()
        Select(self.q(".filter-row .f-field")[0]).select_by_value("lang")
        n = self.state()[1]
        self.q(".filter-row .f-value")[0].send_keys("de", Keys.TAB)
        self.searched(n)
        meta = self.hits_metadata()
        self.check(meta and all(m.get("lang") == "de" for m in meta), f"lang=de filter keeps only German documents: {meta}")
        self.q("#add-filter")[0].click()
        Select(self.q(".filter-row .f-field")[1]).select_by_value("year")
        Select(self.q(".filter-row .f-op")[1]).select_by_value("range")
        self.q(".filter-row .f-min")[0].send_keys("2000", Keys.TAB)
        self.wait(lambda: self.state()[0] == "done", "the range's first bound to apply")
        n = self.state()[1]
        self.q(".filter-row .f-max")[0].send_keys("2010", Keys.TAB)
        self.searched(n)
        meta = self.hits_metadata()
        self.check(meta and all(m["lang"] == "de" and 2000 <= m["year"] <= 2010 for m in meta), f"both filters hold: {meta}")
        self.check(len(meta) < 10, "the filters drop documents")
        self.shot("filter")

        # Reload: the URL alone reproduces the search (weights, filters, mode).
        url, before = self.d.current_url, self.columns()
        self.d.get(url)
        self.wait(lambda: self.state()[1] >= 1 and self.state()[0] == "done", "the reloaded search")
        self.check(self.columns() == before, f"reload reproduces the hits: {self.columns()} vs {before}")
        self.check(len(self.q(".filter-row")) == 2 and self.q("#w-all-dense")[0].get_attribute("value") == "0", "reload restores the controls")

        # Markup in documents is text.
        self.open("?c=docs&q=trap&mode=bm25")
        self.wait(lambda: self.state()[0] == "done", "the search for the hostile document")
        hit = self.q('li.hit[data-docid="<b>x</b>"]')
        self.check(hit, "the hostile document is found")
        self.check("<img src=x" in hit[0].find_element(By.CSS_SELECTOR, ".title").text and "<script>" in hit[0].text,
                   "markup in a document is shown as text")
        self.check(not self.q("#results img, #results script, #results b") and
                   self.d.find_element(By.TAG_NAME, "body").get_attribute("data-pwned") is None, "markup in a document never runs")

        # Empty state: a filter nothing matches.
        self.open("?c=docs&q=cat&mode=sparse&f=" + urllib.parse.quote(json.dumps({"field": "lang", "eq": "zz"})))
        self.wait(lambda: self.state()[0] == "done", "the filtered search")
        self.check(self.q(".empty") and not self.q("li.hit"), "no hits show the empty state")
        self.check("No documents match" in self.text(".empty"), "the empty state says why")

        # Errors: an unknown collection, and a reply error (all weights zero) in its column.
        self.open("?c=nope&q=cat")
        self.wait(lambda: self.state()[0] == "error", "the error state")
        err = self.text("#page-error")
        self.check("nope" in err and self.q("#page-error")[0].is_displayed(), f"an unknown collection is named in an error: {err!r}")
        self.shot("error")
        self.open("?c=docs&q=cat&mode=dense%2Bsparse&w.dense%2Bsparse=0,0")
        self.wait(lambda: self.state()[0] == "error", "the error reply")
        self.check("HTTP 400" in self.text("section.column .error"), f"a 400 reply is shown: {self.text('section.column .error')!r}")

        # Phone width and the dark scheme, for the screenshots (and no horizontal scrolling).
        self.d.set_window_size(390, 900)
        self.open("?c=docs&q=cat&cmp=bm25,all")
        self.wait(lambda: self.state()[0] == "done", "the phone-width search")
        overflow = self.d.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        self.check(overflow <= 1, f"no horizontal scrolling at phone width ({overflow}px)")
        self.shot("phone")
        self.d.set_window_size(1280, 1000)
        self.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        self.open("?c=docs&q=cat&cmp=bm25,sparse,all")
        self.wait(lambda: self.state()[0] == "done", "the dark-scheme search")
        self.shot("dark")

        # The page's own code logged nothing bad (CSP violations, exceptions); failed fetches of the
        # error cases above are expected.
        bad = [e["message"] for e in self.d.get_log("browser")
               if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]]
        self.check(not bad, f"browser console errors: {bad}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--m3", required=True, help="the built m3 program")
    ap.add_argument("--out", required=True, help="where screenshots go")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for old in os.listdir(args.out):  # only this run's screenshots
        if old.endswith(".png"):
            os.remove(os.path.join(args.out, old))
    work = tempfile.mkdtemp(prefix="m3page")
    server = driver = None
    try:
        corpus_file = os.path.join(work, "docs.jsonl")
        with open(corpus_file, "w") as f:
            for d in corpus():
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        os.makedirs(os.path.join(work, "data"))
        r = subprocess.run([args.m3, "index", "--corpus", corpus_file, "--collection", os.path.join(work, "data", "docs"), "--quiet"],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            sys.exit(f"FAIL: m3 index: {r.stderr}")
        server = Server(args.m3, os.path.join(work, "data"), os.path.join(args.out, "server.log"))
        driver = browser(args.out, os.path.join(work, "chrome-profile"))
        t = PageTest(driver, server.url, args.out)
        t.run()
        print(f"page_browser: {t.checks} checks passed; screenshots in {args.out}")
    except AssertionError as e:
        traceback.print_exc()
        sys.exit(f"FAIL: {e}")
    finally:
        if driver:
            driver.quit()
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
