#!/usr/bin/env python3
"""Writes a small multilingual sample corpus (JSONL: docid, title, text, lang) read from this machine's
own message catalogs (/usr/share/locale/<lang>/LC_MESSAGES/<domain>.mo): the same user-interface
messages in many languages. Nothing is copied into the repository; the corpus is regenerated on demand.

usage: make_sample_corpus.py OUT.jsonl [--per-domain N]
"""
import argparse, gettext, glob, hashlib, json, os, random

DOMAINS = ["shared-mime-info", "glib20", "gtk20", "libapt-pkg6.0", "avahi", "xdg-user-dirs", "software-properties"]
LANGS = ["de", "fr", "es", "ru", "ja", "zh_CN", "ar", "ko", "pt_BR", "it", "fi", "hi", "id", "th"]


def catalog(lang, domain):
    path = f"/usr/share/locale/{lang}/LC_MESSAGES/{domain}.mo"
    if not os.path.exists(path):
        return {}
    try:
        with open(path, "rb") as f:
            return gettext.GNUTranslations(f)._catalog
    except Exception:
        return {}


def clean(s):
    return " ".join(s.replace("_", "").split())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--per-domain", type=int, default=60)
    a = ap.parse_args()
    rng = random.Random(7)
    docs = []
    for domain in DOMAINS:
        cats = {lang: catalog(lang, domain) for lang in LANGS}
        # English originals that are real sentences or phrases (not format strings or single symbols)
        msgids = sorted({k for c in cats.values() for k in c if isinstance(k, str) and 8 <= len(k) <= 160
                         and "%" not in k and "{" not in k and "\x00" not in k and "\n" not in k})
        rng.shuffle(msgids)
        for msgid in msgids[: a.per_domain]:
            key = hashlib.sha1(f"{domain}\0{msgid}".encode()).hexdigest()[:10]
            docs.append({"docid": f"{key}-en", "title": domain, "text": clean(msgid), "lang": "en"})
            for lang, c in cats.items():
                t = c.get(msgid)
                if isinstance(t, str) and t and t != msgid and "\x00" not in t:
                    docs.append({"docid": f"{key}-{lang}", "title": domain, "text": clean(t), "lang": lang})
    if len(docs) < 50:
        raise SystemExit("too few message catalogs on this machine for a sample corpus")
    with open(a.out, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    langs = sorted({d["lang"] for d in docs})
    print(f"sample corpus: {len(docs)} documents in {len(langs)} languages -> {a.out}")


if __name__ == "__main__":
    main()
