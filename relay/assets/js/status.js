// The live service status: Server-Sent Events, with polling as the fallback.
// Layer 4 (see docs/architecture.md): imports the views it draws again when the status
// changes (services.js, ended.js), constants and state.

import { STATUS_EVENTS_URL, STATUS_POLL_MS, STATUS_STREAM_RETRY_MAX_MS, STATUS_STREAM_RETRY_MS, STATUS_TIMEOUT_MS, STATUS_URL } from './constants.js';
import { renderEndedInfo } from './ended.js';
import { renderChosenService, renderServices } from './services.js';
import { state } from './state.js';

// ---------------------------------------------------------------- live status
//
// On the service choice and start views (and after a chat has ended) the page follows
// the status: first with Server-Sent Events from /api/status/events, which push the
// /api/status JSON on connect and on every change; if that stream fails, it polls
// /api/status every 15 s and tries the stream again later. During a chat neither runs.

export function wantsStatus() {
  return state.view !== 'chat' || state.phase === 'ended';
}

export function updateStatusFeed() {
  if (wantsStatus()) startStatusFeed();
  else stopStatusFeed();
}

export function startStatusFeed() {
  if (state.statusFeed) return;
  state.statusFeed = true;
  state.streamRetryMs = STATUS_STREAM_RETRY_MS;
  if (typeof EventSource === 'function') openStatusStream();
  else startPolling();
}

export function stopStatusFeed() {
  state.statusFeed = false;
  closeStatusStream();
  clearTimeout(state.streamRetryTimer);
  state.streamRetryTimer = null;
  stopPolling();
}

export function openStatusStream() {
  closeStatusStream();
  let source;
  try {
    source = new EventSource(STATUS_EVENTS_URL);
  } catch (e) {
    onStatusStreamFailed();
    return;
  }
  state.eventSource = source;
  source.addEventListener('message', function (event) {
    if (state.eventSource === source) onStatusPushed(event.data);
  });
  source.addEventListener('error', function () {
    if (state.eventSource === source) onStatusStreamFailed();
  });
}

export function closeStatusStream() {
  const source = state.eventSource;
  state.eventSource = null;
  if (source) source.close();
}

export function onStatusPushed(data) {
  let parsed;
  try {
    parsed = JSON.parse(data);
  } catch (e) {
    return;
  }
  if (!applyStatus(parsed)) return;
  // The stream works: polling is not needed, and a later failure retries it soon.
  state.streamRetryMs = STATUS_STREAM_RETRY_MS;
  stopPolling();
  renderStatus();
}

/** The stream failed (or the relay has none): poll, and try the stream again later. */
export function onStatusStreamFailed() {
  closeStatusStream();
  if (!state.statusFeed) return;
  startPolling();
  clearTimeout(state.streamRetryTimer);
  state.streamRetryTimer = setTimeout(function () {
    state.streamRetryTimer = null;
    if (state.statusFeed) openStatusStream();
  }, state.streamRetryMs);
  state.streamRetryMs = Math.min(state.streamRetryMs * 2, STATUS_STREAM_RETRY_MAX_MS);
}

/** Takes a /api/status body; false if it is not one. */
export function applyStatus(data) {
  if (!data || !Array.isArray(data.services)) return false;
  state.services = data.services.filter(isServiceEntry);
  state.servicesKnown = true;
  state.statusFailed = false;
  return true;
}

export function isServiceEntry(s) {
  return s && typeof s.id === 'string' && s.id !== '' && typeof s.name === 'string';
}

export async function fetchStatus() {
  if (state.statusInFlight) return;
  state.statusInFlight = true;
  const ctrl = typeof AbortController === 'function' ? new AbortController() : null;
  const timer = ctrl ? setTimeout(function () { ctrl.abort(); }, STATUS_TIMEOUT_MS) : null;
  try {
    const res = await fetch(STATUS_URL, {
      cache: 'no-store',
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
      signal: ctrl ? ctrl.signal : undefined,
    });
    if (!res.ok) throw new Error('status HTTP ' + res.status);
    if (!applyStatus(await res.json())) throw new Error('status without services');
  } catch (e) {
    state.statusFailed = true;
  } finally {
    if (timer) clearTimeout(timer);
    state.statusInFlight = false;
  }
  renderStatus();
}

export function startPolling() {
  if (state.polling) return;
  state.polling = true;
  pollOnce();
}

export function stopPolling() {
  state.polling = false;
  clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

export async function pollOnce() {
  clearTimeout(state.pollTimer);
  await fetchStatus();
  if (state.polling) state.pollTimer = setTimeout(pollOnce, STATUS_POLL_MS);
}

/** A fresh status at once, if the page follows it (the visitor came back to the tab). */
export function refreshStatus() {
  if (!state.statusFeed) return;
  if (state.polling) pollOnce();
  else fetchStatus();
}

export function renderStatus() {
  renderServices();
  renderChosenService();
  if (state.phase === 'ended') renderEndedInfo();
}
