// The search page's controller: reads the state from the URL, loads the collection list and the
// chosen collection's description (weights, metadata fields), runs the searches of every column in
// parallel with the query's term weights for highlighting, and keeps the URL in step.
// body[data-state] is "idle" | "loading" | "done" | "error" and body[data-searches] counts finished
// searches: what a person sees as the loading state, and what the browser test waits on.

import { ApiError, collectionPath, getJson, postJson } from './api.js';
import { FilterEditor } from './filters.js';
import { termsFromSparse } from './highlight.js';
import { renderColumns } from './results.js';
import { DEFAULT_COMPARE, MODES, WEIGHTED, apiFromSliders, columnsOf, slidersFromApi, stateFromUrl, urlFromState } from './state.js';

const $ = (id) => document.getElementById(id);
const SLIDER_DEBOUNCE_MS = 300;

let state = stateFromUrl(location.search);
let description = null;  // GET /collections/{name} of state.collection
let seq = 0;             // the latest search; older replies are dropped
let searches = 0;
const termCache = new Map();

function setPageState(s, message = '') {
  document.body.dataset.state = s;
  $('status').textContent = message;
  $('results').setAttribute('aria-busy', String(s === 'loading'));
}

function showPageError(message) {
  const box = $('page-error');
  box.textContent = message;
  box.hidden = !message;
}

function saveUrl(push) {
  const url = urlFromState(state);
  if (url === location.search) return;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

// ---- controls

function fillModeSelect(select, withNone) {
  select.replaceChildren();
  if (withNone) select.append(new Option('(none)', ''));
  for (const m of MODES) select.append(new Option(m, m));
}

function showControls() {
  $('query').value = state.query;
  $('mode').value = state.mode;
  $('k').value = String(state.k);
  $('compare-on').checked = !!state.compare;
  $('mode-row').hidden = !!state.compare;
  $('compare-row').hidden = !state.compare;
  const cmp = state.compare || DEFAULT_COMPARE;
  for (let i = 0; i < 3; i++) $(`cmp-${i}`).value = cmp[i] || '';
  renderWeights();
}

// One number per slider head: the person's, else the collection's (converted from the API's list).
function weightsOf(mode) {
  if (state.weights[mode]) return state.weights[mode];
  const listed = description?.weights?.[mode];
  return listed ? slidersFromApi(mode, listed) : null;
}

// Room to double the largest default weight (at least 0..2), so the start is never at the end. BM25's
// scores run to tens where the model's heads stay near 1, so its weights are small: its own scale.
const sliderMax = (w, head) => (head === 'bm25' ? Math.max(0.2, 2 * w) : Math.max(2, Math.ceil(2 * Math.max(...w))));
const sliderStep = (head) => (head === 'bm25' ? '0.001' : '0.01');
const shownWeight = (x, head) => Number(x).toFixed(head === 'bm25' ? 3 : 2);

// One group of sliders per weighted mode on screen, starting at the collection's weights.
function renderWeights() {
  const box = $('weights');
  box.replaceChildren();
  const modes = columnsOf(state).filter((m) => WEIGHTED[m]);
  box.hidden = modes.length === 0 || !description;
  for (const mode of modes) {
    const w = weightsOf(mode);
    if (!w) continue;
    const group = document.createElement('fieldset');
    group.className = 'weight-group';
    group.dataset.mode = mode;
    const legend = document.createElement('legend');
    legend.textContent = `${mode} weights${state.weights[mode] ? '' : ' (the collection\'s)'}`;
    group.append(legend);
    WEIGHTED[mode].forEach((head, i) => {
      const id = `w-${mode.replace('+', '-')}-${head}`;
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = head;
      const max = String(head === 'bm25' ? sliderMax(w[i], head) : sliderMax(w.filter((_, j) => WEIGHTED[mode][j] !== 'bm25'), head));
      const slider = Object.assign(document.createElement('input'), { type: 'range', id, min: '0', max, step: sliderStep(head) });
      slider.value = String(w[i]);
      slider.dataset.head = head;
      const out = document.createElement('output');
      out.htmlFor = id;
      out.textContent = shownWeight(w[i], head);
      slider.addEventListener('input', () => {
        const next = (state.weights[mode] || w).slice();
        next[i] = Number(slider.value);
        state.weights[mode] = next;
        out.textContent = shownWeight(next[i], head);
        legend.textContent = `${mode} weights`;
        scheduleSearch();
      });
      group.append(label, slider, out);
    });
    const reset = Object.assign(document.createElement('button'), { type: 'button', className: 'reset', textContent: 'Reset' });
    reset.title = 'Back to the collection\'s weights';
    reset.addEventListener('click', () => {
      delete state.weights[mode];
      renderWeights();
      search(true);
    });
    group.append(reset);
    box.append(group);
  }
}

let timer = 0;
function scheduleSearch() {
  clearTimeout(timer);
  timer = setTimeout(() => search(false), SLIDER_DEBOUNCE_MS);
}

const filters = new FilterEditor($('filters'), (f) => {
  state.filter = f;
  search(true);
});

// ---- collections

async function loadCollections() {
  const sel = $('collection');
  try {
    const { collections } = await getJson('/collections');
    sel.replaceChildren();
    if (state.collection && !collections.includes(state.collection)) sel.append(new Option(`${state.collection} (not found)`, state.collection));
    else if (collections.length === 0) sel.append(new Option('(no collections)', ''));
    for (const n of collections) sel.append(new Option(n, n));
    sel.value = state.collection;
    if (collections.length === 0) showPageError('This server has no collections yet. Create one with `m3 index` (or PUT /collections/{name}) and reload.');
    return collections;
  } catch (e) {
    showPageError(`Could not list the collections: ${e instanceof ApiError ? e.describe() : e.message}`);
    return [];
  }
}

async function loadDescription() {
  description = null;
  filters.setFields(null);
  $('collection-info').textContent = '';
  if (!state.collection) return false;
  try {
    description = await getJson(collectionPath(state.collection));
  } catch (e) {
    const msg = e instanceof ApiError && e.status === 404
      ? `There is no collection “${state.collection}” on this server. Choose one from the list.`
      : `Could not open the collection “${state.collection}”: ${e instanceof ApiError ? e.describe() : e.message}`;
    showPageError(msg);
    setPageState('error', '');  // the message is in the error box; the status line stays quiet
    $('results').replaceChildren();
    return false;
  }
  showPageError('');
  $('collection-info').textContent = `${description.documents} documents · model ${description.model}`;
  filters.setFields(description.metadata_fields || []);
  filters.setFilter(state.filter);
  if (state.filterError) showPageError(state.filterError);
  renderWeights();
  return true;
}

// ---- searching

async function queryTerms(query) {
  const key = `${description.model}\u0000${query}`;
  if (!termCache.has(key)) {
    const p = postJson('/encode', { texts: [query], model: description.model, return_dense: false, return_sparse: true, sparse_keys: 'tokens' })
      .then((r) => ({ terms: termsFromSparse(r.embeddings?.[0]?.sparse), note: '' }))
      // Highlighting is a help: without it the hits are still shown, with a word why.
      .catch((e) => ({ terms: new Map(), note: ` Query terms are not highlighted: ${e instanceof ApiError ? e.describe() : e.message}` }));
    termCache.set(key, p);
  }
  return termCache.get(key);
}

function searchBody(mode) {
  const body = { query: state.query, mode, k: state.k, fields: ['docid', 'score', 'scores', 'title', 'text', 'metadata'] };
  if (WEIGHTED[mode] && state.weights[mode]) body.weights = apiFromSliders(mode, state.weights[mode]);
  if (state.filter) body.filter = state.filter;
  return body;
}

async function search(push) {
  saveUrl(push);
  if (!description) return;
  if (!state.query.trim()) {
    $('results').replaceChildren();
    setPageState('idle', 'Type a query and press Enter.');
    return;
  }
  const mine = ++seq;
  setPageState('loading', 'Searching…');
  const modes = columnsOf(state);
  const [{ terms, note }, ...replies] = await Promise.all([
    queryTerms(state.query),
    ...modes.map((mode) => postJson(`${collectionPath(state.collection)}/search`, searchBody(mode))
      .then((reply) => ({ mode, reply }))
      .catch((e) => ({ mode, error: e instanceof ApiError ? e.describe() : String(e) }))),
  ]);
  if (mine !== seq) return;  // a newer search started meanwhile
  $('results').replaceChildren(renderColumns(replies, { terms, compare: modes.length > 1, filtered: !!state.filter }));
  document.body.dataset.searches = String(++searches);
  const failed = replies.filter((r) => r.error).length;
  setPageState(failed === replies.length ? 'error' : 'done',
    (failed ? `${failed} of ${replies.length} searches failed.` : `Results for “${state.query}”.`) + note);
}

// ---- wiring

function bind() {
  fillModeSelect($('mode'), false);
  for (let i = 0; i < 3; i++) fillModeSelect($(`cmp-${i}`), i === 2);
  $('search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.query = $('query').value;
    search(true);
  });
  $('collection').addEventListener('change', async () => {
    state = { ...stateFromUrl(''), query: state.query, mode: state.mode, k: state.k, compare: state.compare, collection: $('collection').value };
    saveUrl(true);
    if (await loadDescription()) search(true);
  });
  $('mode').addEventListener('change', () => {
    state.mode = $('mode').value;
    renderWeights();
    search(true);
  });
  $('k').addEventListener('change', () => {
    const k = parseInt($('k').value, 10);
    if (!(k >= 1 && k <= 100)) { $('k').value = String(state.k); return; }
    state.k = k;
    search(true);
  });
  const readCompare = () => {
    const modes = [0, 1, 2].map((i) => $(`cmp-${i}`).value).filter(Boolean);
    state.compare = [...new Set(modes)];
    if (state.compare.length < 2) state.compare = DEFAULT_COMPARE.slice();
  };
  $('compare-on').addEventListener('change', () => {
    if ($('compare-on').checked) readCompare();
    else state.compare = null;
    showControls();
    search(true);
  });
  for (let i = 0; i < 3; i++) $(`cmp-${i}`).addEventListener('change', () => { readCompare(); showControls(); search(true); });
  // "/" jumps to the query box, as on most search pages (not while typing in another control).
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== '/' || ev.ctrlKey || ev.metaKey || ev.altKey || ev.target.closest?.('input, select, textarea')) return;
    ev.preventDefault();
    $('query').focus();
    $('query').select();
  });
  window.addEventListener('popstate', async () => {
    if (location.search === urlFromState(state)) return;  // only the #hit-… fragment moved: same search
    const before = state.collection;
    state = stateFromUrl(location.search);
    showControls();
    if (state.collection !== before) { $('collection').value = state.collection; await loadDescription(); }
    else filters.setFilter(state.filter);
    search(false);
  });
}

async function main() {
  bind();
  showControls();
  setPageState('loading', 'Loading collections…');
  const collections = await loadCollections();
  if (!state.collection && collections.length) {
    state.collection = collections[0];
    $('collection').value = state.collection;
  }
  if (!state.collection) { setPageState('idle', ''); return; }
  if (await loadDescription()) {
    showControls();
    if (state.query) search(false);
    else setPageState('idle', 'Type a query and press Enter.');
    $('query').focus();
  }
}

main();
