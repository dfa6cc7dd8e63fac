// The visitor WebSocket: hello, events from the relay, acks, errors and closes.

import { attend } from './attention.js';
import { addNotice, announce, appendToLog, canSend, createMessageItem, failPendingMessages, hideCounselorTyping, markMessageFailed, messageItemBySeq, placeBySeq, renderChat, setMessageMeta, showCounselorTyping } from './chat.js';
import { ACK_TIMEOUT_MS, CLOSE_GOING_AWAY, CLOSE_NORMAL, CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_TRY_AGAIN_LATER, PROTOCOL_VERSION, WS_PATH } from './constants.js';
import { finishConversation } from './ending.js';
import { clearError, errorKey, showError } from './helpers.js';
import { setText, t } from './i18n.js';
import { onResumeError, onResumed, startReconnecting } from './resume.js';
import { el, state } from './state.js';
import { fetchStatus } from './status.js';
import { saveChat } from './storage.js';
import { onSurveyError, onSurveySaved, onSurveySocketClosed } from './survey.js';
import { showView } from './views.js';

// ---------------------------------------------------------------- WebSocket
//
// One socket at a time. The first one says `hello`; the relay answers `welcome` with a
// resume token. When a socket closes unexpectedly (not after `ended`, not on "Snel
// weg"), the page reconnects by itself with backoff and says `resume` with the token
// and the last seq it has, so the same counselor carries on and nothing is lost:
// missing messages come back in `resumed`, and unacknowledged messages of our own are
// sent again with their original client_id (the relay stores each only once).

export function socketUrl() {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + WS_PATH;
}

/** Opens a socket that sends `firstFrame()` as soon as it is open. */
export function openSocket(firstFrame) {
  closeSocket();
  state.welcomed = false;
  state.helloRejected = false;
  let ws;
  try {
    ws = new WebSocket(socketUrl());
  } catch (e) {
    onSocketClosed({ code: 0 });
    return;
  }
  state.ws = ws;
  ws.addEventListener('open', function () { if (state.ws === ws) sendFrame(firstFrame()); });
  ws.addEventListener('message', function (ev) { if (state.ws === ws) onSocketMessage(ev); });
  ws.addEventListener('close', function (ev) {
    if (state.ws !== ws) return;
    state.ws = null;
    onSocketClosed(ev);
  });
}

/** A new conversation: `hello`. */
export function connect() {
  state.phase = 'connecting';
  renderChat();
  openSocket(helloFrame);
}

export function closeSocket() {
  stopAckWatchdog();
  const ws = state.ws;
  state.ws = null;
  if (ws && ws.readyState <= WebSocket.OPEN) {
    try { ws.close(CLOSE_NORMAL); } catch (e) { /* already closing */ }
  }
}

export function socketOpen() {
  return !!state.ws && state.ws.readyState === WebSocket.OPEN;
}

export function sendFrame(frame) {
  if (!socketOpen()) return false;
  state.ws.send(JSON.stringify(frame));
  return true;
}

export function helloFrame() {
  return {
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    service: state.serviceId,
    nickname: state.nickname,
    intake: state.intake,
    no_dossier: state.noDossier,
  };
}

export function resumeFrame() {
  return {
    type: 'resume',
    protocol: PROTOCOL_VERSION,
    token: state.resumeToken,
    last_seq: state.lastSeq,
  };
}

export function onSocketMessage(event) {
  let frame = null;
  if (typeof event.data === 'string') {
    try { frame = JSON.parse(event.data); } catch (e) { frame = null; }
  }
  if (frame && typeof frame.type === 'string') handleEvent(frame);
  if (state.ackTimer) { // the line is alive: the acks still due get a new period
    stopAckWatchdog();
    startAckWatchdog();
  }
}

export function handleEvent(frame) {
  // Until `resumed`, a resuming socket expects nothing else.
  if (state.resuming && frame.type !== 'resumed' && frame.type !== 'error') return undefined;
  switch (frame.type) {
    case 'welcome': return onWelcome(frame);
    case 'resumed': return onResumed(frame);
    case 'queued': return onQueued(frame.position);
    case 'assigned': return onAssigned();
    case 'message': return onChatMessage(frame.message);
    case 'ack': return onAck(frame);
    case 'typing': return showCounselorTyping();
    case 'counselor_away': return onCounselorAway();
    case 'counselor_back': return onCounselorBack();
    case 'ended': return finishConversation(frame.by, frame.reason, frame.survey);
    case 'survey_saved': return onSurveySaved();
    case 'error': return onRelayError(frame);
    default: return undefined; // newer relay; ignore unknown events
  }
}

export function markWelcomed() {
  if (state.welcomed) return;
  state.welcomed = true;
  if (state.everWelcomed) addNotice('reconnected');
  state.everWelcomed = true;
  clearError();
}

export function onWelcome(frame) {
  markWelcomed();
  if (typeof frame.resume_token === 'string' && frame.resume_token !== '') {
    state.resumeToken = frame.resume_token;
    saveChat();
  }
  if (state.phase === 'connecting') state.phase = state.assigned ? 'chatting' : 'queued';
  renderChat();
}

export function onQueued(position) {
  markWelcomed();
  if (state.phase === 'ending' || state.phase === 'ended') return;
  if (state.phase === 'chatting') {
    // The counselor signed out, or did not come back within the window: the relay put
    // this conversation back at the front of the queue.
    state.assigned = false;
    state.counselorAway = false;
    hideCounselorTyping();
    addNotice('requeued');
  }
  state.phase = 'queued';
  state.queuePosition = Number.isInteger(position) && position > 0 ? position : null;
  renderChat();
}

export function onAssigned() {
  markWelcomed();
  if (state.phase === 'ending' || state.phase === 'ended') return;
  state.phase = 'chatting';
  state.queuePosition = null;
  if (!state.assigned) {
    addNotice('assigned');
    attend('assigned');
    // The chat starts: focus goes to where the visitor writes.
    if (el.messageInput && document.activeElement !== el.messageInput) el.messageInput.focus();
  }
  state.assigned = true;
  renderChat();
}

/** "Je hulpverlener heeft even verbindingsproblemen." The chat stays usable. */
export function onCounselorAway() {
  if (state.phase !== 'chatting') return;
  hideCounselorTyping();
  if (!state.counselorAway) addNotice('counselorAway');
  state.counselorAway = true;
  renderChat();
}

export function onCounselorBack() {
  if (state.phase !== 'chatting' || !state.counselorAway) return;
  state.counselorAway = false;
  addNotice('counselorBack');
  renderChat();
}

export function onChatMessage(message) {
  if (!isChatMessage(message) || state.seenSeqs.has(message.seq)) return;
  if (message.from !== 'visitor' && message.from !== 'relay') {
    hideCounselorTyping();
    if (!state.assigned && state.phase === 'queued') onAssigned();
  }
  showMessage(message);
  // Said once by screen readers, here and only here: messages that come back on a
  // resume or a reload are already known and are not announced again.
  if (message.from !== 'visitor') {
    announce(t('who.' + (message.from === 'relay' ? 'relay' : 'counselor')) + ': ' + message.text);
    if (message.from !== 'relay') attend('message');
  }
  saveChat();
}

export function isChatMessage(message) {
  return !!message && typeof message.text === 'string' &&
    Number.isInteger(message.seq) && message.seq > 0;
}

/** Puts a stored message on the page, in seq order. The caller checked it is new. */
export function showMessage(message) {
  const from = message.from === 'visitor' || message.from === 'relay' ? message.from : 'counselor';
  const item = createMessageItem(from, message.text);
  item.dataset.seq = String(message.seq);
  setMessageMeta(item, message.at_ms, from === 'visitor' ? 'sent' : '');
  noteSeq(message.seq);
  placeBySeq(item, from === 'visitor');
}

/** Remembers that `seq` is on the page; `lastSeq` is the end of the unbroken run. */
export function noteSeq(seq) {
  if (!Number.isInteger(seq) || seq <= 0) return;
  state.seenSeqs.add(seq);
  while (state.seenSeqs.has(state.lastSeq + 1)) state.lastSeq += 1;
}

export function onAck(frame) {
  const entry = state.outbox.get(frame.client_id);
  const seq = Number.isInteger(frame.seq) && frame.seq > 0 ? frame.seq : null;
  if (!entry) {
    if (seq !== null) noteSeq(seq);
    return;
  }
  state.outbox.delete(frame.client_id);
  const shown = seq !== null ? messageItemBySeq(seq) : null;
  if (shown && shown !== entry.item) {
    // A resend of a message another item already shows: this copy is the duplicate.
    entry.item.remove();
  } else {
    confirmSent(entry, seq, frame.at_ms);
  }
  saveChat();
}

/** Our message is stored under `seq`: mark it sent and put it in its place. */
export function confirmSent(entry, seq, atMs) {
  entry.shown = true;
  entry.item.classList.remove('pending', 'failed');
  setMessageMeta(entry.item, atMs, 'sent');
  if (seq === null) {
    if (!entry.item.parentNode) appendToLog(entry.item, true);
    return;
  }
  entry.item.dataset.seq = String(seq);
  noteSeq(seq);
  placeBySeq(entry.item, false);
}

export function onRelayError(frame) {
  const code = typeof frame.code === 'string' ? frame.code : '';
  if (state.resuming) return onResumeError(code);
  if (state.phase === 'ended') return onSurveyError(code);
  if (frame.client_id && state.outbox.has(frame.client_id)) {
    markMessageFailed(frame.client_id, code);
    saveChat();
    if (code === 'conversation_ended') finishConversation('relay');
    else showError(errorKey(code) || 'errors.internal');
    return;
  }
  if (!state.welcomed && state.phase === 'connecting') return onHelloRejected(code);
  if (code === 'conversation_ended') return finishConversation('relay');
  // After `welcome`, "invalid" is not about the nickname any more.
  showError(code === 'invalid' ? 'errors.generic' : (errorKey(code) || 'errors.generic'));
}

/** The relay refused `hello`: go back to where the visitor can fix it. */
export function onHelloRejected(code) {
  state.helloRejected = true;
  closeSocket();
  state.phase = 'idle';
  renderChat();
  const key = errorKey(code) || 'errors.generic';
  if (code === 'invalid') {
    showView('start', el.nickname);
  } else if (state.everWelcomed) {
    // A reconnect was refused: keep the transcript on screen.
    state.phase = 'disconnected';
    renderChat();
  } else {
    showView('choose', el.chooseTitle);
    fetchStatus();
  }
  showError(key);
}

export function onSocketClosed(event) {
  stopAckWatchdog();
  if (state.helloRejected) return;
  if (state.phase === 'ended') { onSurveySocketClosed(); return; }
  if (state.phase === 'ending') { finishConversation('visitor'); return; }
  state.welcomed = false;
  hideCounselorTyping();
  if (state.resumeToken) { startReconnecting(); return; }

  // The first `hello` never got its `welcome`: there is no conversation to resume.
  const key = closeTextKey(event.code);
  state.phase = 'disconnected';
  failPendingMessages();
  setText(el.reconnectText, 'reconnectHint');
  showError(key, 'connection');
  renderChat();
}

export function closeTextKey(code) {
  if (code === CLOSE_GOING_AWAY) return 'relayRestart';
  if (code === CLOSE_POLICY) return 'policyClose';
  if (code === CLOSE_TOO_BIG) return 'errors.too_large';
  if (code === CLOSE_TRY_AGAIN_LATER) return 'errors.rate_limited';
  return 'connectFailed';
}

/** Runs while a message sent on this socket waits for its ack. */
export function startAckWatchdog() {
  if (!state.ackTimer && ackDue()) state.ackTimer = setTimeout(onAckTimeout, ACK_TIMEOUT_MS);
}

export function ackDue() {
  let due = false;
  state.outbox.forEach(function (entry) { if (entry.status === 'pending' && entry.sent) due = true; });
  return due;
}

export function stopAckWatchdog() {
  clearTimeout(state.ackTimer);
  state.ackTimer = null;
}

export function onAckTimeout() {
  state.ackTimer = null;
  if (!canSend() || !ackDue()) return;
  // Open on paper, silent in fact: drop this socket and resume on a new one.
  const ws = state.ws;
  state.ws = null;
  try { ws.close(CLOSE_NORMAL); } catch (e) { /* already closing */ }
  onSocketClosed({ code: 0 });
}
