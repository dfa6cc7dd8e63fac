// Ending a conversation: the end dialog, the end itself (also while the line is down),
// and starting over.
// Layer 7 (see docs/architecture.md): imports the views, the status feed, views.js and
// resume.js (to stop reconnecting); the controller (conversation.js) calls
// finishConversation when the relay ends it.

import { canSend, failPendingMessages, hideCounselorTyping, renderChat, renderLengthHint } from './chat.js';
import { CLOSE_NORMAL, END_FALLBACK_MS, PROTOCOL_VERSION, RESUME_TIMEOUT_MS } from './constants.js';
import { renderEndedInfo } from './ended.js';
import { clearError } from './helpers.js';
import { clearText, setText } from './i18n.js';
import { stopReconnecting } from './resume.js';
import { closeSocket, sendFrame, socketUrl } from './socket.js';
import { el, state } from './state.js';
import { updateStatusFeed } from './status.js';
import { clearChat } from './storage.js';
import { openSurvey, renderSurvey, setSurveyError, validSurveyQuestions } from './survey.js';
import { showView } from './views.js';

// ---------------------------------------------------------------- ending

export function openEndDialog() {
  if (typeof el.endDialog.showModal === 'function') el.endDialog.showModal();
  else el.endDialog.setAttribute('open', '');
  el.endCancel.focus();
}

export function closeEndDialog() {
  // The attribute, not the `open` property: an unknown element (no <dialog>) has none.
  if (!el.endDialog.hasAttribute('open')) return;
  if (typeof el.endDialog.close === 'function') el.endDialog.close();
  else el.endDialog.removeAttribute('open');
}

export function onEndCancel() {
  closeEndDialog();
  el.endButton.focus();
}

export function onEndConfirm() {
  closeEndDialog();
  if (canSend()) {
    sendFrame({ type: 'end' });
    state.phase = 'ending';
    renderChat();
    // If the relay does not answer with `ended`, end on our side anyway.
    state.endTimer = setTimeout(function () { finishConversation('visitor'); }, END_FALLBACK_MS);
  } else {
    if (state.phase === 'reconnecting' && state.resumeToken) endInBackground(state.resumeToken);
    finishConversation('visitor');
  }
}

/**
 * Ending while the line is down: one try on a socket of its own (`resume`, then
 * `end`), so the counselor does not wait five minutes for nothing. If it does not get
 * through, the relay ends the conversation when the window has passed.
 */
export function endInBackground(token) {
  let ws;
  try {
    ws = new WebSocket(socketUrl());
  } catch (e) {
    return;
  }
  const timer = setTimeout(function () { ws.close(CLOSE_NORMAL); }, RESUME_TIMEOUT_MS);
  ws.addEventListener('open', function () {
    // A last_seq beyond any message: the transcript need not come back.
    ws.send(JSON.stringify({ type: 'resume', protocol: PROTOCOL_VERSION, token: token, last_seq: Number.MAX_SAFE_INTEGER }));
    ws.send(JSON.stringify({ type: 'end' }));
  });
  ws.addEventListener('message', function (event) {
    let frame = null;
    try { frame = JSON.parse(event.data); } catch (e) { frame = null; }
    if (frame && (frame.type === 'ended' || frame.type === 'error')) {
      clearTimeout(timer);
      ws.close(CLOSE_NORMAL);
    }
  });
  ws.addEventListener('close', function () { clearTimeout(timer); });
}

/**
 * The conversation is over. With survey questions the socket stays open, because the
 * answers go over it; otherwise it is closed. Focus goes to the "ended" heading, so a
 * screen reader reads that first and the survey after it.
 */
export function finishConversation(by, reason, survey) {
  if (state.phase === 'ended') return;
  clearTimeout(state.endTimer);
  state.endTimer = null;
  stopReconnecting();
  // Nothing left to resume: forget the token (and everything else stored about it).
  state.resumeToken = null;
  clearChat();
  state.counselorAway = false;
  state.end = {
    // 'lost': the conversation could not be resumed.
    by: by === 'visitor' || by === 'counselor' || by === 'lost' ? by : 'relay',
    reason: typeof reason === 'string' ? reason.trim() : '',
    waiting: !state.assigned,
  };
  setText(el.endedTitle, state.end.by === 'lost' ? 'resumeFailedTitle' : 'endedTitle');
  state.phase = 'ended';
  clearError();
  closeEndDialog();
  hideCounselorTyping();
  failPendingMessages();

  const questions = validSurveyQuestions(survey);
  if (questions.length) openSurvey(questions);
  else closeSocket();

  el.messageLength.hidden = true;
  renderChat();
  renderEndedInfo();
  renderSurvey();
  updateStatusFeed(); // the status is followed again, for the e-mail and opening time
  // Focus follows the phase: to the survey when there is one (its title, which is read
  // with the ended notice above it), else to the "ended" heading.
  if (questions.length && el.surveyTitle) el.surveyTitle.focus();
  else el.endedTitle.focus();
}

export function resetConversation() {
  closeSocket();
  stopReconnecting();
  clearTimeout(state.endTimer);
  hideCounselorTyping();
  state.phase = 'idle';
  state.welcomed = false;
  state.everWelcomed = false;
  state.assigned = false;
  state.helloRejected = false;
  state.queuePosition = null;
  state.outbox = new Map();
  state.seenSeqs = new Set();
  state.lastSeq = 0;
  state.resumeToken = null;
  state.restored = false;
  state.counselorAway = false;
  clearChat();
  state.lastTypingSent = 0;
  state.end = null;
  setText(el.endedTitle, 'endedTitle');
  state.survey = { status: 'none', fields: [] };
  el.messages.textContent = '';
  el.messageInput.value = '';
  clearText(el.reconnectText);
  el.surveyQuestions.textContent = '';
  setSurveyError('');
  renderSurvey();
  renderLengthHint();
  renderChat();
}

export function onRestartClick() {
  clearError();
  resetConversation();
  showView('choose', el.chooseTitle);
}
