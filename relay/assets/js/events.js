// What the relay's events do to a running conversation: `welcome`, `queued`,
// `assigned`, the counselor away and back, a `message` and an `ack`.
// Layer 4 (see docs/architecture.md): imports the views and layers 0-2. Which event
// goes where, and everything about resuming, ending and errors, is conversation.js's.

import { attend } from './attention.js';
import { addNotice, announce, confirmSent, hideCounselorTyping, isChatMessage, messageItemBySeq, noteSeq, renderChat, showMessage } from './chat.js';
import { clearError } from './helpers.js';
import { t } from './i18n.js';
import { el, state } from './state.js';
import { saveChat } from './storage.js';

// ---------------------------------------------------------------- relay events

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
