// Query-term highlighting from the query's learned sparse weights (POST /encode with
// "sparse_keys": "tokens"): the terms the sparse head actually weights, not a guess from spaces.
// Tokens are SentencePiece pieces: "▁katze" starts a word, "n" continues one. A word of the text is
// marked when it equals a piece (case-insensitively), or when it starts with a word-initial piece of
// 3+ characters ("▁kat" marks "Katzen": M3 splits words into such pieces, and the prefix is what it matched).

const WORD = /[\p{L}\p{N}]+/gu;

// terms: Map lowercased piece -> { weight, initial }.
export function termsFromSparse(sparse) {
  const terms = new Map();
  for (const [piece, weight] of Object.entries(sparse || {})) {
    if (!(weight > 0)) continue;
    const initial = piece.startsWith('\u2581');
    const text = piece.replace(/^\u2581+/, '').toLowerCase();
    if (!text || !/[\p{L}\p{N}]/u.test(text)) continue;  // punctuation pieces mark nothing
    const old = terms.get(text);
    if (!old || old.weight < weight) terms.set(text, { weight, initial: initial || (old && old.initial) });
  }
  return terms;
}

function matchWeight(word, terms) {
  const w = word.toLowerCase();
  const exact = terms.get(w);
  if (exact) return exact.weight;
  let best = 0;
  for (const [t, { weight, initial }] of terms)
    if (initial && t.length >= 3 && w.startsWith(t) && weight > best) best = weight;
  return best;
}

// Appends `text` to `parent` as text nodes and <mark>s (never HTML: document text is hostile input).
export function appendHighlighted(parent, text, terms) {
  if (!terms || terms.size === 0) {
    parent.append(text);
    return;
  }
  let last = 0;
  for (const m of text.matchAll(WORD)) {
    const weight = matchWeight(m[0], terms);
    if (!weight) continue;
    if (m.index > last) parent.append(text.slice(last, m.index));
    const mark = document.createElement('mark');
    mark.textContent = m[0];
    mark.title = `query term, sparse weight ${weight.toFixed(3)}`;
    parent.append(mark);
    last = m.index + m[0].length;
  }
  if (last < text.length) parent.append(text.slice(last));
}
