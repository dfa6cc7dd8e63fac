// The chat view: messages, the composer and its outbox, typing, and the dossier toggle.
// Layer 3, a view (see docs/architecture.md): imports layers 0-2 and sends through the
// transport (socket.js); what the relay's events do to the chat is events.js's.

import { MAX_FRAME_BYTES, MAX_TEXT_BYTES, TYPING_SHOW_MS, TYPING_THROTTLE_MS } from './constants.js';
import { clearError, formatTime, keyEl, makeEl, newClientId, overBy, serviceById, showError, utf8Length } from './helpers.js';
import { clearText, setText, t } from './i18n.js';
import { sendFrame, socketOpen, startAckWatchdog } from './socket.js';
import { el, state } from './state.js';
import { saveChat } from './storage.js';

// ---------------------------------------------------------------- chat view

/** The socket is up and in the conversation: frames can go out now. */
export function canSend() {
  return socketOpen() && state.welcomed && !state.resuming &&
    (state.phase === 'queued' || state.phase === 'chatting');
}

/** The visitor may write: at once, or kept until the line is back. */
export function canCompose() {
  return canSend() || state.phase === 'reconnecting';
}

export function connectionKey(phase) {
  if (phase === 'ended') return 'ended';
  if (phase === 'disconnected') return 'closed';
  if (phase === 'reconnecting') return 'reconnecting';
  if (phase === 'connecting') return 'connecting';
  if (phase === 'idle') return 'idle';
  return 'open';
}

export function renderChat() {
  const phase = state.phase;
  const service = serviceById(state.serviceId);
  el.chatTitle.textContent = service ? t('chatTitle') + ' – ' + service.name : t('chatTitle');

  const connKey = connectionKey(phase);
  setText(el.connection, 'connection.' + connKey);
  el.connection.classList.toggle('is-open', connKey === 'open');
  el.connection.classList.toggle('is-closed', connKey === 'closed' || connKey === 'reconnecting');

  el.queueInfo.hidden = phase !== 'queued';
  if (state.queuePosition) setText(el.queuePosition, 'queuePosition', state.queuePosition);
  else setText(el.queuePosition, 'queueUnknown');

  // Ended while still waiting: an empty conversation box says nothing.
  el.messages.hidden = phase === 'ended' && el.messages.childElementCount === 0;
  el.reconnect.hidden = phase !== 'disconnected' && phase !== 'reconnecting';
  if (phase === 'reconnecting' && el.reconnectText.dataset.i18n !== 'reconnecting') {
    setText(el.reconnectText, 'reconnecting');
  }
  el.counselorAway.hidden = !(phase === 'chatting' && state.counselorAway);
  el.composer.hidden = phase === 'ended';
  el.sendButton.disabled = !canCompose();
  el.chatActions.hidden = phase === 'ended' || phase === 'idle';
  el.endButton.disabled = phase === 'ending';
  el.timeGuidance.hidden = phase === 'ended';
  el.ended.hidden = phase !== 'ended';
  renderDossierToggle();
}

export function createMessageItem(from, text) {
  const item = makeEl('div', 'msg msg-' + from);
  item.append(
    keyEl('p', 'msg-who', 'who.' + from),
    makeEl('p', 'msg-text', text), // textContent only
    makeEl('p', 'msg-meta')
  );
  return item;
}

/** The time (if known) and a status word such as "verzonden" (a catalogue key). */
export function setMessageMeta(item, atMs, statusKey) {
  const meta = item.querySelector('.msg-meta');
  meta.textContent = '';
  const hasTime = typeof atMs === 'number' && isFinite(atMs);
  if (hasTime) {
    const time = document.createElement('time');
    time.dateTime = new Date(atMs).toISOString();
    time.textContent = formatTime(atMs);
    meta.append(time);
  }
  if (statusKey) {
    if (hasTime) meta.append(document.createTextNode(' · '));
    meta.append(keyEl('span', '', statusKey));
  }
}

export function appendToLog(node, forceScroll) {
  const log = el.messages;
  const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  log.appendChild(node);
  if (forceScroll || nearBottom) log.scrollTop = log.scrollHeight;
}

export function addNotice(key) {
  appendToLog(keyEl('p', 'notice-line', key), false);
  announce(t(key));
}

/**
 * Says `text` once to screen readers, through the polite live region #announcer. The
 * message log itself is not live (aria-live="off"), or every message put back after a
 * reload or a resume would be read out again.
 */
export function announce(text) {
  if (!el.announcer) return;
  el.announcer.textContent = '';
  el.announcer.textContent = text;
}

/** The message shown under `seq`, if any. */
export function messageItemBySeq(seq) {
  return el.messages.querySelector('.msg[data-seq="' + seq + '"]');
}

/**
 * Puts a message with a seq where the relay's order says: before the first shown
 * message with a higher seq, else at the end (after the last one with a lower seq).
 * Moves nothing that is already in its place.
 */
export function placeBySeq(item, forceScroll) {
  const seq = Number(item.dataset.seq);
  const stored = Array.from(el.messages.querySelectorAll('.msg[data-seq]'))
    .filter(function (node) { return node !== item; });
  const later = stored.find(function (node) { return Number(node.dataset.seq) > seq; });
  const earlier = stored.filter(function (node) { return Number(node.dataset.seq) < seq; }).pop();
  const follows = function (a, b) { // a comes after b in the log
    return !!(b.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING);
  };
  const inPlace = item.parentNode === el.messages &&
    (!later || follows(later, item)) && (!earlier || follows(item, earlier));
  if (inPlace) return;
  if (later) el.messages.insertBefore(item, later);
  else appendToLog(item, forceScroll);
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

/** Refusals a resend can't fix; anything else is sent again on resume. */
export function isFinalRefusal(code) {
  return code === 'too_large' || code === 'invalid' || code === 'conversation_ended';
}

export function markMessageFailed(clientId, code) {
  const entry = state.outbox.get(clientId);
  if (!entry) return;
  if (entry.shown) { // stored all the same (it came back in `resumed`)
    state.outbox.delete(clientId);
    return;
  }
  entry.status = isFinalRefusal(code) ? 'rejected' : 'failed';
  entry.item.classList.remove('pending');
  entry.item.classList.add('failed');
  const meta = entry.item.querySelector('.msg-meta');
  meta.textContent = '';
  meta.append(keyEl('span', '', code === 'too_large' ? 'failedTooLarge' : 'failed'));
  if (entry.status === 'failed' && state.phase !== 'ended') {
    const retry = keyEl('button', 'msg-retry', 'retry');
    retry.type = 'button';
    retry.dataset.clientId = clientId;
    meta.append(retry);
  }
}

export function failPendingMessages() {
  state.outbox.forEach(function (entry, clientId) {
    if (entry.status === 'pending') markMessageFailed(clientId, '');
  });
}

/** Sends one outbox message now, or marks it to go out when the line is back. */
export function sendChatText(clientId, text) {
  const entry = state.outbox.get(clientId);
  entry.status = 'pending';
  const sent = canSend() && sendFrame({ type: 'send', client_id: clientId, text: text });
  entry.sent = sent;
  if (sent) startAckWatchdog();
  if (entry.shown) return; // already shown as stored; this resend only gets the ack
  entry.item.classList.remove('failed');
  entry.item.classList.add('pending');
  setMessageMeta(entry.item, null, sent ? 'sending' : 'waitingToSend');
}

/**
 * A message sent on this socket waits for its ack while the conversation can send: the
 * transport's ack watchdog runs only then (socket.js).
 */
export function awaitingAck() {
  return canSend() && ackDue();
}

export function ackDue() {
  let due = false;
  state.outbox.forEach(function (entry) { if (entry.status === 'pending' && entry.sent) due = true; });
  return due;
}

export function frameBytes(text) {
  // client_id is 32 hex characters; see newClientId().
  return utf8Length(JSON.stringify({ type: 'send', client_id: '0'.repeat(32), text: text }));
}

export function fits(text) {
  return utf8Length(text) <= MAX_TEXT_BYTES && frameBytes(text) <= MAX_FRAME_BYTES;
}

export function tooLongBy(text) {
  return overBy(text, fits);
}

export function sendCurrentMessage() {
  const text = el.messageInput.value;
  if (text.trim() === '') return;
  const over = tooLongBy(text);
  if (over > 0) {
    showError('tooLong', 'length', over);
    renderLengthHint();
    el.messageInput.focus();
    return;
  }
  if (!canCompose()) {
    showError(state.phase === 'connecting' ? 'notYet' : 'notConnected');
    return;
  }
  clearError();
  const clientId = newClientId();
  const item = createMessageItem('visitor', text);
  item.dataset.clientId = clientId;
  state.outbox.set(clientId, { text: text, item: item, status: 'pending' });
  appendToLog(item, true);
  sendChatText(clientId, text);
  saveChat();
  el.messageInput.value = '';
  renderLengthHint();
}

export function onRetryClick(event) {
  const button = event.target.closest('button.msg-retry');
  if (!button) return;
  const clientId = button.dataset.clientId;
  const entry = state.outbox.get(clientId);
  if (!entry) return;
  if (!canCompose()) { showError('notConnected'); return; }
  clearError();
  sendChatText(clientId, entry.text);
}

export function renderLengthHint() {
  const over = tooLongBy(el.messageInput.value);
  if (over > 0) setText(el.messageLength, 'tooLong', over);
  else clearText(el.messageLength);
  el.messageLength.hidden = over === 0;
  if (over === 0) clearError('length');
  if (over > 0) el.messageInput.setAttribute('aria-invalid', 'true');
  else el.messageInput.removeAttribute('aria-invalid');
}

export function onComposerSubmit(event) {
  event.preventDefault();
  sendCurrentMessage();
}

export function onComposerKeydown(event) {
  if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  sendCurrentMessage();
}

export function onComposerInput() {
  renderLengthHint();
  maybeSendTyping();
}

/** At most one `typing` every 3 s, only once a counselor has the conversation. Never text. */
export function maybeSendTyping() {
  if (state.phase !== 'chatting' || !canSend()) return;
  if (el.messageInput.value.trim() === '') return;
  const now = Date.now();
  if (now - state.lastTypingSent < TYPING_THROTTLE_MS) return;
  state.lastTypingSent = now;
  sendFrame({ type: 'typing' });
}

export function showCounselorTyping() {
  if (state.phase !== 'chatting' && state.phase !== 'queued') return;
  el.typing.hidden = false;
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(hideCounselorTyping, TYPING_SHOW_MS);
}

export function hideCounselorTyping() {
  clearTimeout(state.typingTimer);
  state.typingTimer = null;
  el.typing.hidden = true;
}

// ---------------------------------------------------------------- dossier
//
// "Je hebt het recht om een dossier te weigeren." The start form sends the choice in
// `hello.no_dossier`; during the chat the toggle sends `{"type":"dossier","refuse":…}`.
// The relay sends no reply to it, so the page shows the new state at once.

export function renderDossierToggle() {
  el.dossierToggle.setAttribute('aria-pressed', state.noDossier ? 'true' : 'false');
  el.dossierToggle.disabled = !canSend();
}

export function onDossierToggle() {
  if (!canSend()) return;
  const refuse = !state.noDossier;
  if (!sendFrame({ type: 'dossier', refuse: refuse })) return;
  state.noDossier = refuse;
  el.noDossier.checked = refuse;
  addNotice(refuse ? 'dossierRefusedNotice' : 'dossierAllowedNotice');
  renderDossierToggle();
}
