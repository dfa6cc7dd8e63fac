// Resuming after a drop or a reload: the attempts with backoff, what `resumed` puts
// back on the page, and a conversation restored from sessionStorage.
// Layer 6 (see docs/architecture.md): imports the views, views.js, the transport and
// layers 0-2. What it may do above itself comes in as `line`, passed by the
// controller (conversation.js) to every function that starts or plans an attempt:
// `line.open(firstFrame)` opens the conversation's socket, `line.giveUp()` ends the
// conversation as lost.

import { addNotice, appendToLog, confirmSent, createMessageItem, isChatMessage, renderChat, sendChatText, setMessageMeta, showMessage } from './chat.js';
import { PROTOCOL_VERSION, RECONNECT_DELAYS_MS, RECONNECT_MARGIN_MS, RECONNECT_WINDOW_MS, RESUME_TIMEOUT_MS } from './constants.js';
import { clearError } from './helpers.js';
import { setText } from './i18n.js';
import { closeSocket } from './socket.js';
import { el, state } from './state.js';
import { saveChat } from './storage.js';
import { showView } from './views.js';

// ---------------------------------------------------------------- resume

export function resumeFrame() {
  return {
    type: 'resume',
    protocol: PROTOCOL_VERSION,
    token: state.resumeToken,
    last_seq: state.lastSeq,
  };
}

/** The line dropped (or the page was reloaded): keep trying to resume, with backoff. */
export function startReconnecting(line) {
  state.resuming = false;
  clearTimeout(state.resumeTimer);
  state.resumeTimer = null;
  if (state.phase !== 'reconnecting') {
    state.phase = 'reconnecting';
    state.reconnectAttempt = 0;
    state.reconnectDeadline = Date.now() + RECONNECT_WINDOW_MS + RECONNECT_MARGIN_MS;
    addNotice('lostNotice');
    state.outbox.forEach(function (entry) {
      entry.sent = false;
      if (entry.status === 'pending' && !entry.shown) setMessageMeta(entry.item, null, 'waitingToSend');
    });
  }
  scheduleResume(line);
  renderChat();
}

export function scheduleResume(line) {
  clearTimeout(state.reconnectTimer);
  state.reconnectTimer = null;
  if (Date.now() >= state.reconnectDeadline) { resumeFailed(line); return; }
  const delays = RECONNECT_DELAYS_MS;
  const delay = delays[Math.min(state.reconnectAttempt, delays.length - 1)];
  state.reconnectAttempt += 1;
  state.reconnectTimer = setTimeout(function () { attemptResume(line); }, delay);
}

export function stopReconnecting() {
  clearTimeout(state.reconnectTimer);
  clearTimeout(state.resumeTimer);
  state.reconnectTimer = null;
  state.resumeTimer = null;
  state.resuming = false;
}

/** One attempt: a new socket that says `resume` with the token and the last seq. */
export function attemptResume(line) {
  clearTimeout(state.reconnectTimer);
  state.reconnectTimer = null;
  if (state.phase !== 'reconnecting' || !state.resumeToken) return;
  state.resuming = true;
  renderChat();
  clearTimeout(state.resumeTimer);
  state.resumeTimer = setTimeout(function () { onResumeTimeout(line); }, RESUME_TIMEOUT_MS);
  line.open(resumeFrame);
}

/** Try at once, e.g. when the network is back or the visitor asks for it. */
export function resumeNow(line) {
  if (state.phase !== 'reconnecting' || state.resuming) return;
  state.reconnectAttempt = 0;
  attemptResume(line);
}

export function onResumeTimeout(line) {
  state.resumeTimer = null;
  if (!state.resuming) return;
  state.resuming = false;
  closeSocket();
  scheduleResume(line);
  renderChat();
}

export function onResumeError(code, line) {
  state.resuming = false;
  clearTimeout(state.resumeTimer);
  state.resumeTimer = null;
  closeSocket();
  // The conversation ended or its window passed; or this page is too old for the relay.
  if (code === 'resume_failed' || code === 'unsupported_version') resumeFailed(line);
  else scheduleResume(line); // e.g. `internal`: the relay may manage next time
  renderChat();
}

/** "Het gesprek kon niet hersteld worden.", with the option to start a new chat. */
export function resumeFailed(line) {
  stopReconnecting();
  closeSocket();
  line.giveUp();
}

export function onResumed(frame) {
  if (!state.resuming) return;
  stopReconnecting();
  const afterReload = state.restored;
  state.restored = false;
  state.welcomed = true;
  state.everWelcomed = true;
  state.counselorAway = false; // the relay says `counselor_away` again if it still is
  clearError('connection');

  const wasAssigned = state.assigned;
  if (frame.assigned === true) {
    state.phase = 'chatting';
    state.assigned = true;
    state.queuePosition = null;
  } else {
    state.phase = 'queued';
    state.assigned = false;
    state.queuePosition = Number.isInteger(frame.position) && frame.position > 0 ? frame.position : null;
  }

  // Every message after our last seq, both sides, in seq order; skip what is shown.
  const messages = (Array.isArray(frame.messages) ? frame.messages : [])
    .filter(isChatMessage)
    .sort(function (a, b) { return a.seq - b.seq; });
  const claimed = claimStoredMessages(messages);
  messages.forEach(function (message, i) {
    if (state.seenSeqs.has(message.seq)) return;
    // A stored message of ours: show it in that item (it is still resent below, and
    // the relay acks it with this seq).
    if (claimed[i]) confirmSent(claimed[i], message.seq, message.at_ms);
    else showMessage(message);
  });
  if (!afterReload) {
    if (state.assigned && !wasAssigned) addNotice('assigned');
    addNotice('reconnected');
  }
  resendOutbox();
  saveChat();
  renderChat();
}

/**
 * Our own messages that the relay stored but whose ack was lost come back in
 * `resumed`. Each is matched, in order, to the first unacknowledged message with the
 * same text, whose item then shows it, so it is on the page once. Returns, per
 * message, the matched outbox entry (or null).
 */
export function claimStoredMessages(messages) {
  const entries = [];
  state.outbox.forEach(function (entry) {
    if (entry.status !== 'rejected' && !entry.shown) entries.push(entry);
  });
  let next = 0;
  return messages.map(function (message) {
    if (message.from !== 'visitor' || state.seenSeqs.has(message.seq)) return null;
    for (let i = next; i < entries.length; i++) {
      if (entries[i].text === message.text) {
        next = i + 1;
        return entries[i];
      }
    }
    return null;
  });
}

/**
 * Sends every unacknowledged message again, with its original client_id and text, in
 * the order they were written; they stay below the stored messages until acked.
 */
export function resendOutbox() {
  state.outbox.forEach(function (entry, clientId) {
    if (entry.status === 'rejected') return;
    if (!entry.shown && (!entry.item.parentNode || hasStoredMessageAfter(entry.item))) {
      appendToLog(entry.item, false);
    }
    sendChatText(clientId, entry.text);
  });
}

export function hasStoredMessageAfter(item) {
  for (let node = item.nextElementSibling; node; node = node.nextElementSibling) {
    if (node.dataset.seq) return true;
  }
  return false;
}

/**
 * After a reload: straight to the chat, and resume from seq 0, since the page is empty.
 * The scrollback comes back in `resumed`; unacknowledged messages are sent again.
 */
export function restoreConversation(saved, line) {
  state.serviceId = saved.service;
  state.nickname = saved.nickname;
  state.noDossier = saved.noDossier;
  el.noDossier.checked = saved.noDossier;
  state.resumeToken = saved.token;
  state.everWelcomed = true;
  state.restored = true;
  state.lastSeq = 0;
  saved.unacked.forEach(function (u) {
    const item = createMessageItem('visitor', u.text);
    item.dataset.clientId = u.client_id;
    item.classList.add('pending');
    setMessageMeta(item, null, 'waitingToSend');
    state.outbox.set(u.client_id, { text: u.text, item: item, status: 'pending' });
  });
  state.phase = 'reconnecting';
  state.reconnectAttempt = 0;
  state.reconnectDeadline = Date.now() + RECONNECT_WINDOW_MS + RECONNECT_MARGIN_MS;
  setText(el.reconnectText, 'reconnecting');
  showView('chat');
  renderChat();
  attemptResume(line);
}
