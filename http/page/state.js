// The page's state and its URL form, so that a search can be reloaded and shared:
//   ?c=COLLECTION&q=QUERY&mode=MODE&k=10&cmp=bm25,sparse,all&w.all=1,0.3,1,0&w.dense+sparse=1,0.3,0.05&f={filter JSON}
// `cmp` present = the compare view with those modes; `w.<mode>` only for weights the person moved
// (absent = the collection's own weights, as the server reports them); `f` is the API's filter JSON.

export const MODES = ['dense', 'sparse', 'multivec', 'dense+sparse', 'all', 'bm25'];
// The weighted modes and the heads their weights apply to (one slider each), in the API's order; BM25
// is the optional fourth head of both (the API's weights [dense, sparse, multivec, bm25]).
export const WEIGHTED = { 'dense+sparse': ['dense', 'sparse', 'bm25'], all: ['dense', 'sparse', 'multivec', 'bm25'] };

// The API's weight list (dense+sparse [d, s] or [d, s, 0, b]; all [d, s, m] or [d, s, m, b]) as one
// number per slider head of WEIGHTED[mode], and back (BM25's 0 left out, as the server shows it).
export function slidersFromApi(mode, list) {
  const full = [0, 0, 0, 0];
  list.forEach((x, i) => { if (i < 4) full[i] = Number(x); });
  return mode === 'all' ? full : [full[0], full[1], full[3]];
}
export function apiFromSliders(mode, w) {
  const full = mode === 'all' ? w.slice(0, 4) : [w[0], w[1], 0, w[2]];
  if (!full[3]) return mode === 'all' ? full.slice(0, 3) : full.slice(0, 2);
  return full;
}
export const DEFAULT_COMPARE = ['bm25', 'sparse', 'all'];
export const MAX_K = 100;

export function defaultState() {
  return { collection: '', query: '', mode: 'all', k: 10, compare: null, weights: {}, filter: null };
}

// `count` numbers; one fewer (a URL from before BM25 had a slider) reads as BM25 weight 0.
function parseNumbers(text, count) {
  const parts = text.split(',').map(Number);
  if (parts.length === count - 1) parts.push(0);
  return parts.length === count && parts.every(Number.isFinite) ? parts : null;
}

// Whatever the URL holds, the result is a usable state: unknown modes, bad numbers and broken JSON
// are dropped (the filter's JSON is kept as text so the page can say why it was not used).
export function stateFromUrl(search) {
  const p = new URLSearchParams(search);
  const s = defaultState();
  s.collection = p.get('c') || '';
  s.query = p.get('q') || '';
  if (MODES.includes(p.get('mode'))) s.mode = p.get('mode');
  const k = parseInt(p.get('k'), 10);
  if (k >= 1 && k <= MAX_K) s.k = k;
  if (p.has('cmp')) {
    const modes = p.get('cmp').split(',').filter((m) => MODES.includes(m)).slice(0, 3);
    s.compare = modes.length >= 2 ? modes : DEFAULT_COMPARE.slice();
  }
  for (const [mode, heads] of Object.entries(WEIGHTED)) {
    const w = p.has(`w.${mode}`) ? parseNumbers(p.get(`w.${mode}`), heads.length) : null;
    if (w) s.weights[mode] = w;
  }
  if (p.has('f')) {
    try { s.filter = JSON.parse(p.get('f')); } catch { s.filterError = `The filter in the URL is not JSON: ${p.get('f')}`; }
  }
  return s;
}

export function urlFromState(s) {
  const p = new URLSearchParams();
  if (s.collection) p.set('c', s.collection);
  if (s.query) p.set('q', s.query);
  p.set('mode', s.mode);
  if (s.k !== 10) p.set('k', String(s.k));
  if (s.compare) p.set('cmp', s.compare.join(','));
  for (const [mode, w] of Object.entries(s.weights)) p.set(`w.${mode}`, w.join(','));
  if (s.filter) p.set('f', JSON.stringify(s.filter));
  return `?${p.toString()}`;
}

// The modes shown: one column, or the compare view's two or three.
export const columnsOf = (s) => (s.compare ? s.compare : [s.mode]);
