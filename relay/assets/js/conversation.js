// The controller of a conversation: it opens the socket (`hello`, and `resume` through
// resume.js), says what every event and close of that socket means, and handles the
// relay's errors and the moments the page should try to resume at once.
// Layer 8, the top of the conversation (see docs/architecture.md): it imports the
// flows below it (resume.js, ending.js, events.js), the views and the transport, and
// hands them what they may do upwards as explicit handlers: `socketHandlers` to
// socket.js, `line` to resume.js. Nothing below imports this module.

import { awaitingAck, failPendingMessages, hideCounselorTyping, markMessageFailed, renderChat, showCounselorTyping } from './chat.js';
import { CLOSE_GOING_AWAY, CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_TRY_AGAIN_LATER, PROTOCOL_VERSION } from './constants.js';
import { finishConversation } from './ending.js';
import { onAck, onAssigned, onChatMessage, onCounselorAway, onCounselorBack, onQueued, onWelcome } from './events.js';
import { clearError, errorKey, showError } from './helpers.js';
import { setText } from './i18n.js';
import { onResumeError, onResumed, restoreConversation, resumeNow, startReconnecting } from './resume.js';
import { closeSocket, openSocket, socketOpen, stopAckWatchdog } from './socket.js';
import { el, state } from './state.js';
import { fetchStatus, refreshStatus } from './status.js';
import { saveChat } from './storage.js';
import { onSurveyError, onSurveySaved, onSurveySocketClosed } from './survey.js';
import { showView } from './views.js';

// ---------------------------------------------------------------- the conversation's socket
//
// One socket at a time (socket.js). The first one says `hello`; the relay answers
// `welcome` with a resume token. When a socket closes unexpectedly (not after `ended`,
// not on "Snel weg"), the page reconnects by itself with backoff and says `resume` with
// the token and the last seq it has, so the same counselor carries on and nothing is
// lost: missing messages come back in `resumed`, and unacknowledged messages of our own
// are sent again with their original client_id (the relay stores each only once).

/** What the socket's frames and close mean (socket.js calls these). */
const socketHandlers = { onFrame: handleEvent, onClose: onSocketClosed, awaitingAck: awaitingAck };

/** What resuming may do above resume.js: open the socket, or end the conversation as lost. */
const line = { open: openLine, giveUp: function () { finishConversation('lost'); } };

/** Opens the conversation's socket, which sends `firstFrame()` first. */
function openLine(firstFrame) {
  state.welcomed = false;
  state.helloRejected = false;
  openSocket(firstFrame, socketHandlers);
}

/** A new conversation: `hello`. */
export function connect() {
  state.phase = 'connecting';
  renderChat();
  openLine(helloFrame);
}

function helloFrame() {
  return {
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    service: state.serviceId,
    nickname: state.nickname,
    intake: state.intake,
    no_dossier: state.noDossier,
  };
}

function handleEvent(frame) {
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

function onRelayError(frame) {
  const code = typeof frame.code === 'string' ? frame.code : '';
  if (state.resuming) return onResumeError(code, line);
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
function onHelloRejected(code) {
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

function onSocketClosed(event) {
  stopAckWatchdog();
  if (state.helloRejected) return;
  if (state.phase === 'ended') { onSurveySocketClosed(); return; }
  if (state.phase === 'ending') { finishConversation('visitor'); return; }
  state.welcomed = false;
  hideCounselorTyping();
  if (state.resumeToken) { startReconnecting(line); return; }

  // The first `hello` never got its `welcome`: there is no conversation to resume.
  const key = closeTextKey(event.code);
  state.phase = 'disconnected';
  failPendingMessages();
  setText(el.reconnectText, 'reconnectHint');
  showError(key, 'connection');
  renderChat();
}

function closeTextKey(code) {
  if (code === CLOSE_GOING_AWAY) return 'relayRestart';
  if (code === CLOSE_POLICY) return 'policyClose';
  if (code === CLOSE_TOO_BIG) return 'errors.too_large';
  if (code === CLOSE_TRY_AGAIN_LATER) return 'errors.rate_limited';
  return 'connectFailed';
}

// ---------------------------------------------------------------- resume at once

/** After a reload: the conversation kept in sessionStorage (storage.js) is resumed. */
export function restoreSaved(saved) {
  restoreConversation(saved, line);
}

export function onReconnectClick() {
  clearError();
  if (state.phase === 'reconnecting') resumeNow(line);
  else if (state.phase === 'disconnected') connect();
  el.messageInput.focus();
}

/** Back online, or back to the tab (timers may have been held): don't wait. */
export function onOnline() {
  resumeNow(line);
}

/** A page restored from the back/forward cache has no socket any more. */
export function onPageShow(event) {
  if (!event.persisted || socketOpen() || !state.resumeToken) return;
  if (state.phase === 'queued' || state.phase === 'chatting') {
    state.ws = null;
    startReconnecting(line);
  }
}

/**
 * A visitor coming back to the tab sees a fresh status at once, and a dropped chat
 * tries to resume at once.
 */
export function onVisibilityChange() {
  if (document.hidden) return;
  resumeNow(line); // a background tab's timers may have been held back
  refreshStatus();
}
