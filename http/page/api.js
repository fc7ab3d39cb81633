// Talking to the m3 HTTP API from the page: JSON in and out, every failure turned into an ApiError
// whose message a person can read (the server's {"error": {"code", "message"}}, or what went wrong
// on the way: no connection, a reply that is not JSON).
// Searches need no API key. If the server ever answers 401 (a write, or a server that guards more),
// the page asks for the key once, keeps it for this tab (sessionStorage, never the URL: URLs are
// shared) and retries; every later request carries it.

const KEY_STORE = 'm3.apiKey';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;  // HTTP status, 0 when the server could not be reached
    this.code = code;      // the API's error code ("not_found", ...) or "network" / "bad_reply"
  }
  // "404 not_found: no such collection: x" style, for the page's error boxes.
  describe() {
    return this.status ? `${this.message} (HTTP ${this.status} ${this.code})` : this.message;
  }
}

let apiKey = (() => {
  try { return sessionStorage.getItem(KEY_STORE) || ''; } catch { return ''; }
})();

let askedForKey = false;  // ask once per page load; a wrong key then shows the 401 message

async function send(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network', `The server did not answer (${e.message}). Is m3 serve still running?`);
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* handled below */ }
  if (res.ok) {
    if (data === null) throw new ApiError(res.status, 'bad_reply', `The server's reply to ${path} is not JSON.`);
    return data;
  }
  const err = data && data.error ? data.error : {};
  throw new ApiError(res.status, err.code || 'http_error',
    err.message || `${res.status} ${res.statusText || 'error'} from ${path}`);
}

export async function api(method, path, body) {
  try {
    return await send(method, path, body);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401 || askedForKey) throw e;
    askedForKey = true;
    const key = window.prompt('This request needs the server\'s API key (m3 serve --api-key):');
    if (!key) throw e;
    apiKey = key;
    try { sessionStorage.setItem(KEY_STORE, key); } catch { /* storage off: the key lives until reload */ }
    return send(method, path, body);
  }
}

export const getJson = (path) => api('GET', path);
export const postJson = (path, body) => api('POST', path, body);
// Collection names go into a path segment: encode everything but unreserved characters.
export const collectionPath = (name) => `/collections/${encodeURIComponent(name)}`;
