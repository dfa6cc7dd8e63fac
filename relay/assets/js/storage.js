// The running conversation kept in sessionStorage, so a reload or a dropped line can
// resume it (the shape is CHAT_KEY's in constants.js).
// Layer 1 (see docs/architecture.md): imports only constants and state.

import { CHAT_KEY } from './constants.js';
import { state } from './state.js';

// ---------------------------------------------------------------- session storage

export function saveChat() {
  if (!state.resumeToken) return;
  const unacked = [];
  state.outbox.forEach(function (entry, clientId) {
    if (entry.status !== 'rejected') unacked.push({ client_id: clientId, text: entry.text });
  });
  const data = {
    token: state.resumeToken,
    service: state.serviceId,
    nickname: state.nickname,
    last_seq: state.lastSeq,
    no_dossier: state.noDossier,
    unacked: unacked,
  };
  try { sessionStorage.setItem(CHAT_KEY, JSON.stringify(data)); } catch (e) { /* storage blocked or full */ }
}

export function clearChat() {
  try { sessionStorage.removeItem(CHAT_KEY); } catch (e) { /* storage blocked */ }
}

/** The stored conversation, checked; null if there is none (or it is unreadable). */
export function loadChat() {
  let data = null;
  try { data = JSON.parse(sessionStorage.getItem(CHAT_KEY) || 'null'); } catch (e) { data = null; }
  const ok = data && typeof data === 'object' &&
    typeof data.token === 'string' && data.token !== '' &&
    typeof data.service === 'string' && data.service !== '' &&
    typeof data.nickname === 'string';
  if (!ok) {
    if (data !== null) clearChat();
    return null;
  }
  const unacked = Array.isArray(data.unacked) ? data.unacked.filter(function (u) {
    return u && typeof u.client_id === 'string' && u.client_id !== '' &&
      u.client_id.length <= 64 && typeof u.text === 'string' && u.text !== '';
  }) : [];
  return {
    token: data.token,
    service: data.service,
    nickname: data.nickname,
    lastSeq: Number.isInteger(data.last_seq) && data.last_seq > 0 ? data.last_seq : 0,
    noDossier: data.no_dossier === true,
    unacked: unacked,
  };
}
