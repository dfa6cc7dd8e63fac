// The page's one state object, and the elements looked up once at start.
// Layer 0 (see docs/architecture.md): imports only constants.

import { DEFAULT_LANGUAGE, STATUS_STREAM_RETRY_MS } from './constants.js';

// ---------------------------------------------------------------- state

export const state = {
  lang: DEFAULT_LANGUAGE,
  view: 'choose', // 'choose' | 'start' | 'chat'

  services: [], // entries from /api/status
  servicesKnown: false, // at least one good status (fetched or pushed)
  statusFailed: false,
  statusInFlight: false,
  statusFeed: false, // the page wants live status (not during a chat)
  eventSource: null,
  streamRetryTimer: null,
  streamRetryMs: STATUS_STREAM_RETRY_MS,
  polling: false,
  pollTimer: null,

  serviceId: null,
  nickname: '',
  intake: {},
  noDossier: false,

  // 'idle' | 'connecting' | 'queued' | 'chatting' | 'reconnecting' | 'ending' | 'ended'
  // | 'disconnected' ('reconnecting': the line dropped and the page resumes by itself;
  // 'disconnected': the first `hello` never got through, nothing to resume)
  phase: 'idle',
  ws: null,
  welcomed: false, // the current socket got `welcome` or `resumed`
  everWelcomed: false, // some socket of this conversation got `welcome`
  assigned: false,
  helloRejected: false,
  queuePosition: null,
  // client_id -> { text, item, status, shown }; status 'pending' (sent or waiting for
  // the line, no ack yet), 'failed' (refused for a reason a resend may fix) or
  // 'rejected' (refused for good, e.g. too long). Everything but 'rejected' is resent
  // on resume. `shown`: `resumed` proved it stored, its item shows it; the ack is due.
  outbox: new Map(),
  seenSeqs: new Set(),
  lastSeq: 0, // every seq up to this one is on the page (resume asks for what follows)
  resumeToken: null, // from `welcome`; secret, kept in sessionStorage only
  resuming: false, // a `resume` is on its way and `resumed` has not come yet
  restored: false, // the conversation came from sessionStorage (a reload)
  reconnectTimer: null,
  resumeTimer: null,
  ackTimer: null,
  reconnectAttempt: 0,
  reconnectDeadline: 0,
  counselorAway: false,
  lastTypingSent: 0,
  typingTimer: null,
  endTimer: null,
  end: null, // { by, reason, waiting } once ended

  // 'none' | 'open' | 'sending' | 'saved' | 'closed' | 'lost'
  survey: { status: 'none', fields: [] },

  // While the tab is hidden: how many events the title counts, the last one's kind
  // ('assigned' | 'message'), whether the visitor switched the sound on, and how many
  // sounds played (for the tests; never any text).
  attention: { count: 0, kind: '', sound: false, sounds: 0 },
  lastEscapeMs: 0, // when Escape was last pressed (twice quickly leaves)

  errorSource: '', // what the message in #error is about, so it can be cleared on fix
};

/** Elements, looked up once in init(). */
export const el = {};
