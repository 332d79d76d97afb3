// The console's JSON API: every request goes through here, so authentication, the CSRF token
// and error texts are handled in one place.

const TOKEN_KEY = 'msgbus-console-token';

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body || {};
  }
}

let csrfToken = '';

export function setCsrfToken(token) {
  csrfToken = token || '';
}

/** The console token typed in by the user (a console bound beyond loopback asks for one). */
export function setBearerToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function hasBearerToken() {
  return !!sessionStorage.getItem(TOKEN_KEY);
}

function headers(extra) {
  const result = {Accept: 'application/json', ...extra};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) result.Authorization = `Bearer ${token}`;
  return result;
}

/** "?a=1&b=x" from the non-empty values of params. */
export function queryString(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {}))
    if (value !== '' && value !== null && value !== undefined) q.set(key, String(value));
  const text = q.toString();
  return text ? `?${text}` : '';
}

async function failure(response) {
  let body = {};
  try {
    body = await response.json();
  } catch (e) {
    // not JSON (a proxy's page): the status says enough
  }
  const text = body.error || `${response.status} ${response.statusText || 'error'}`;
  return new ApiError(response.status, text, body);
}

async function send(path, options) {
  let response;
  try {
    // Relative to the page, so a console behind a reverse proxy under a prefix still works.
    response = await fetch(path.replace(/^\//, ''), {credentials: 'same-origin', ...options});
  } catch (e) {
    throw new ApiError(0, `the console did not answer (${e.message})`);
  }
  if (!response.ok) throw await failure(response);
  return response;
}

export async function getJson(path, params) {
  const response = await send(path + queryString(params), {headers: headers()});
  return response.json();
}

export async function postJson(path, body) {
  const response = await send(path, {
    method: 'POST',
    headers: headers({'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken}),
    body: JSON.stringify(body),
  });
  return response.json();
}

/** Saves a blob as a file through a temporary link (works for every authentication mode). */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The full list of a list endpoint as the server exports it (format=csv|json). */
export async function downloadExport(path, params, format, basename) {
  const response = await send(path + queryString({...params, format}), {headers: headers()});
  const blob = await response.blob();
  saveBlob(blob, `${basename}.${format}`);
}
