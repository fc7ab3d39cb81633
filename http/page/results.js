// Rendering search replies: one column per mode (the compare view has two or three), each hit with
// its rank, docid, title and text (query terms marked), metadata, fused score, one bar per head, and
// in the compare view the rank every column gave it.
//
// The bars' scale: a head's bar is the hit's score for that head divided by the highest score of
// that head among all hits on screen (every column), so the best-scoring shown hit of each head fills
// its bar and heads with very different ranges (cosine ~0.5, BM25 ~10) can be compared at a glance:
// a long dense bar and a short BM25 bar mean "dense likes this hit more than BM25 does, relative to
// the other hits". A head's score for a document does not depend on the mode, so a head two columns
// both computed draws the same bar for a document in both. A head the mode did not compute is hatched,
// negative scores draw no bar. Exact numbers: hover a bar, or focus a hit's bars.

import { appendHighlighted } from './highlight.js';

export const HEADS = ['dense', 'sparse', 'multivec', 'bm25'];
const TEXT_PREVIEW = 400;  // characters shown before "more"

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

const fmt = (x) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(4));
const ms = (x) => `${x.toFixed(1)} ms`;

function headMaxima(columns) {
  const max = {};
  for (const c of columns)
    for (const h of c.reply?.hits || [])
      for (const head of HEADS) {
        const v = h.scores?.[head];
        if (typeof v === 'number' && (max[head] === undefined || v > max[head])) max[head] = v;
      }
  return max;
}

// docid -> [{mode, rank}] over the columns (1-based ranks, counting the offset-free page).
function ranksByDoc(columns) {
  const ranks = new Map();
  for (const c of columns)
    (c.reply?.hits || []).forEach((h, i) => {
      if (!ranks.has(h.docid)) ranks.set(h.docid, []);
      ranks.get(h.docid).push({ mode: c.mode, column: columns.indexOf(c), rank: i + 1 });
    });
  return ranks;
}

// One keyboard stop per hit (not four): focusing the bars shows the exact scores of every head
// (.exact); a mouse gets each bar's own tooltip; screen readers read the visually-hidden text.
function bars(hit, max) {
  const box = el('div', { className: 'bars', tabIndex: 0 });
  box.setAttribute('aria-label', `Scores of ${hit.docid} per head`);
  const exact = el('p', { className: 'exact' });
  exact.setAttribute('aria-hidden', 'true');  // the same as the visually-hidden texts
  for (const head of HEADS) {
    const v = hit.scores?.[head];
    const row = el('div', { className: `bar bar-${head}` });
    row.dataset.head = head;
    let tip;
    const fill = el('span', { className: 'fill' });
    if (typeof v === 'number') {
      const rel = max[head] > 0 && v > 0 ? v / max[head] : 0;
      fill.style.width = `${(rel * 100).toFixed(1)}%`;  // CSSOM, allowed by the page's CSP
      tip = `${head} ${fmt(v)} (${Math.round(rel * 100)}% of the best ${head} score shown, ${fmt(max[head])})`;
      row.dataset.value = String(v);
    } else {
      row.classList.add('absent');
      tip = `${head}: not computed by this mode`;
    }
    row.title = tip;
    row.dataset.tip = tip;
    row.append(el('span', { className: 'head', textContent: head }), el('span', { className: 'track' }, fill),
      el('span', { className: 'visually-hidden', textContent: tip }));
    box.append(row);
    exact.append(el('span', { textContent: typeof v === 'number' ? `${head} ${fmt(v)}` : `${head} —` }));
  }
  box.append(exact);
  return box;
}

function textBlock(text, terms) {
  const p = el('p', { className: 'text' });
  if (text.length <= TEXT_PREVIEW) {
    appendHighlighted(p, text, terms);
    return p;
  }
  const rest = el('span', { className: 'rest', hidden: true });
  appendHighlighted(p, text.slice(0, TEXT_PREVIEW), terms);
  appendHighlighted(rest, text.slice(TEXT_PREVIEW), terms);
  const more = el('button', { type: 'button', className: 'more', textContent: 'more' });
  more.setAttribute('aria-expanded', 'false');
  more.addEventListener('click', () => {
    rest.hidden = !rest.hidden;
    more.textContent = rest.hidden ? 'more' : 'less';
    more.setAttribute('aria-expanded', String(!rest.hidden));
  });
  p.append(rest, ' ', more);
  return p;
}

function metadataBlock(meta) {
  if (!meta || typeof meta !== 'object' || Array.isArray(meta) || Object.keys(meta).length === 0) return null;
  const list = el('ul', { className: 'meta' });
  for (const [k, v] of Object.entries(meta)) {
    const item = el('li', { textContent: `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}` });
    item.dataset.field = k;
    list.append(item);
  }
  return list;
}

function hitItem(hit, i, ctx) {
  const li = el('li', { className: 'hit', id: `hit-${ctx.column}-${i + 1}`, tabIndex: -1 });
  li.dataset.docid = hit.docid;
  li.dataset.rank = String(i + 1);
  li.dataset.metadata = JSON.stringify(hit.metadata ?? {});
  const head = el('div', { className: 'hit-head' },
    el('span', { className: 'rank', textContent: `#${i + 1}` }),
    el('span', { className: 'docid', textContent: hit.docid }),
    el('span', { className: 'score', textContent: `score ${fmt(hit.score)}`, title: `fused score ${hit.score}` }));
  li.append(head);
  if (ctx.compare) {
    const found = ctx.ranks.get(hit.docid) || [];
    if (found.length > 1) {
      li.dataset.shared = 'true';
      li.classList.add('shared');
      const marks = el('p', { className: 'ranks' }, el('span', { className: 'visually-hidden', textContent: 'Found by several modes: ' }));
      for (const f of found) {
        // A link to the same document in that column (ids from positions, never from document data).
        const m = el('a', { className: 'rank-mark', textContent: `${f.mode} #${f.rank}`, href: `#hit-${f.column}-${f.rank}` });
        m.dataset.mode = f.mode;
        m.dataset.rank = String(f.rank);
        marks.append(m);
      }
      li.append(marks);
    }
  }
  if (hit.title) {
    const t = el('h3', { className: 'title' });
    appendHighlighted(t, hit.title, ctx.terms);
    li.append(t);
  }
  li.append(textBlock(hit.text || '', ctx.terms));
  const meta = metadataBlock(hit.metadata);
  if (meta) li.append(meta);
  li.append(bars(hit, ctx.max));
  return li;
}

// columns: [{mode, reply?, error?, weightsControl?}]; returns the element to show.
export function renderColumns(columns, { terms, compare, filtered }) {
  const ctx = { terms, compare, max: headMaxima(columns), ranks: ranksByDoc(columns) };
  const wrap = el('div', { className: `columns n${columns.length}` });
  for (const c of columns) {
    const sec = el('section', { className: 'column' });
    sec.dataset.mode = c.mode;
    sec.setAttribute('aria-label', `${c.mode} results`);
    sec.append(el('h2', { className: 'mode-label', textContent: c.mode }));
    if (c.error) {
      sec.append(el('div', { className: 'error', role: 'alert', textContent: c.error }));
    } else if (c.reply) {
      const r = c.reply;
      const timing = el('p', { className: 'timing', textContent: `${r.hits.length} hits · took ${ms(r.took_ms)} (encode ${ms(r.encode_ms)}, search ${ms(r.search_ms)})` });
      sec.append(timing);
      if (Array.isArray(r.weights)) {
        const used = el('p', { className: 'weights-used', textContent: `weights ${r.weights.join(' · ')}` });
        used.dataset.weights = r.weights.join(',');
        sec.append(used);
      }
      if (r.hits.length === 0) {
        sec.append(el('p', { className: 'empty', textContent: filtered
          ? 'No documents match this query and filter. Remove a filter to search every document.'
          : 'No documents match this query in this mode.' }));
      } else {
        const ol = el('ol', { className: 'hits' });
        r.hits.forEach((h, i) => ol.append(hitItem(h, i, { ...ctx, column: columns.indexOf(c) })));
        sec.append(ol);
      }
    }
    wrap.append(sec);
  }
  return wrap;
}
