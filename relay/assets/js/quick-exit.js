// "Snel weg": leave at once and forget everything.
// Layer 9 (see docs/architecture.md): stops what runs (resume.js, the transport, the
// status feed, the sound) and leaves; imports nothing above those.

import { closeAudio } from './attention.js';
import { ESCAPE_TWICE_MS, QUICK_EXIT_URL } from './constants.js';
import { stopReconnecting } from './resume.js';
import { closeSocket, sendFrame, socketOpen } from './socket.js';
import { el, state } from './state.js';
import { closeStatusStream } from './status.js';

// ---------------------------------------------------------------- quick exit

/** "Snel weg": end the chat, forget everything, and leave without a Back entry. */
export function quickExit(event) {
  if (event) event.preventDefault();
  try {
    stopReconnecting();
    state.resumeToken = null;
    if (socketOpen() && state.phase !== 'ended') sendFrame({ type: 'end' });
    closeSocket();
    closeStatusStream();
  } catch (e) { /* leaving anyway */ }
  try { sessionStorage.clear(); } catch (e) { /* storage blocked */ }
  try { localStorage.clear(); } catch (e) { /* storage blocked */ }
  if (el.messages) el.messages.textContent = '';
  if (el.messageInput) el.messageInput.value = '';
  if (el.startForm) el.startForm.reset();
  if (el.survey) el.survey.reset();
  closeAudio();
  location.replace(QUICK_EXIT_URL);
}

/**
 * Escape pressed twice quickly leaves too (a common shortcut on safety sites; the page
 * says so next to the button). One Escape alone still just closes a dialog.
 */
export function onEscapeKey(event) {
  if (event.key !== 'Escape' && event.key !== 'Esc') return;
  if (event.repeat) return;
  const now = Date.now();
  if (state.lastEscapeMs && now - state.lastEscapeMs <= ESCAPE_TWICE_MS) {
    state.lastEscapeMs = 0;
    quickExit(event);
    return;
  }
  state.lastEscapeMs = now;
}
