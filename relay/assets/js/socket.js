// The visitor WebSocket as a transport: one socket at a time, JSON frames out and in,
// and the ack watchdog.
// Layer 1 (see docs/architecture.md): imports only constants and state. What a frame
// or a close means is not decided here: the caller of openSocket (conversation.js)
// passes the handlers, so this module imports no part of the page.

import { ACK_TIMEOUT_MS, CLOSE_NORMAL, WS_PATH } from './constants.js';
import { state } from './state.js';

// ---------------------------------------------------------------- WebSocket
//
// One socket at a time, in `state.ws`. The first frame it sends is the caller's (a
// `hello` or a `resume`); every frame from the relay goes to the handlers given with
// it. A socket can die without a `close` event (a phone that changed networks): while
// a message sent on it waits for its ack and nothing comes in for ACK_TIMEOUT_MS, the
// socket is dropped and its close handler called, as if it had closed.

/** The handlers of the socket in `state.ws`, as given to openSocket. */
let handlers = null;

export function socketUrl() {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + WS_PATH;
}

/**
 * Opens a socket (closing any other) that sends `firstFrame()` as soon as it is open.
 * `on.onFrame(frame)` gets every frame from the relay that has a type; `on.onClose(event)`
 * is called once when the socket closes, could not be opened, or is dropped by the
 * watchdog (then with code 0); `on.awaitingAck()` says whether a message sent on this
 * socket still waits for its ack (the watchdog runs only then).
 */
export function openSocket(firstFrame, on) {
  closeSocket();
  handlers = on;
  let ws;
  try {
    ws = new WebSocket(socketUrl());
  } catch (e) {
    on.onClose({ code: 0 });
    return;
  }
  state.ws = ws;
  ws.addEventListener('open', function () { if (state.ws === ws) sendFrame(firstFrame()); });
  ws.addEventListener('message', function (ev) { if (state.ws === ws) onSocketMessage(ev); });
  ws.addEventListener('close', function (ev) {
    if (state.ws !== ws) return;
    state.ws = null;
    on.onClose(ev);
  });
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

function onSocketMessage(event) {
  let frame = null;
  if (typeof event.data === 'string') {
    try { frame = JSON.parse(event.data); } catch (e) { frame = null; }
  }
  if (frame && typeof frame.type === 'string') handlers.onFrame(frame);
  if (state.ackTimer) { // the line is alive: the acks still due get a new period
    stopAckWatchdog();
    startAckWatchdog();
  }
}

// ---------------------------------------------------------------- ack watchdog

/** Runs while a message sent on this socket waits for its ack. */
export function startAckWatchdog() {
  if (!state.ackTimer && handlers && handlers.awaitingAck()) {
    state.ackTimer = setTimeout(onAckTimeout, ACK_TIMEOUT_MS);
  }
}

export function stopAckWatchdog() {
  clearTimeout(state.ackTimer);
  state.ackTimer = null;
}

function onAckTimeout() {
  state.ackTimer = null;
  if (!handlers || !handlers.awaitingAck()) return;
  // Open on paper, silent in fact: drop this socket; its close handler resumes.
  const ws = state.ws;
  state.ws = null;
  try { ws.close(CLOSE_NORMAL); } catch (e) { /* already closing */ }
  handlers.onClose({ code: 0 });
}
