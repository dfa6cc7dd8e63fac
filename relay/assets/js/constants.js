// Constants of the visitor page: protocol, limits, timings, storage keys.
// Layer 0 (see docs/architecture.md): imports nothing.

// ---------------------------------------------------------------- constants

/** Where "Snel weg" goes. location.replace() is used, so Back does not return here. */
export const QUICK_EXIT_URL = 'https://www.google.be/';

export const PROTOCOL_VERSION = 1;
export const WS_PATH = '/ws/visitor';
export const STATUS_URL = '/api/status';
export const STATUS_EVENTS_URL = '/api/status/events';

// Limits, mirroring shared/src/common.rs `limits`.
export const MAX_TEXT_BYTES = 4096;
export const MAX_FRAME_BYTES = 16 * 1024;
export const MAX_NICKNAME_CHARS = 32;
export const MAX_SURVEY_TEXT_BYTES = 2000;
export const MIN_AGE = 0;
export const MAX_AGE = 120;

export const STATUS_POLL_MS = 15000;
export const STATUS_TIMEOUT_MS = 10000;
/** After the status stream failed, try it again after this long (doubling up to the max). */
export const STATUS_STREAM_RETRY_MS = 30000;
export const STATUS_STREAM_RETRY_MAX_MS = 5 * 60000;
export const TYPING_THROTTLE_MS = 3000;
export const TYPING_SHOW_MS = 4000;
export const END_FALLBACK_MS = 3000;

/**
 * Reconnecting after a drop: wait 1 s, 2 s, 4 s, 8 s, then every 15 s. The relay keeps
 * a dropped conversation for five minutes (seed: "binnen de vijf minuten"), counted
 * from when it notices the drop, which can be up to its idle timeout (60 s) after the
 * page noticed; the page keeps trying for the window plus that margin. After that the
 * relay has ended the conversation and `resume` could only fail.
 */
export const RECONNECT_DELAYS_MS = [1000, 2000, 4000, 8000, 15000];
export const RECONNECT_WINDOW_MS = 5 * 60000;
export const RECONNECT_MARGIN_MS = 60000;
/** An attempt that has not got `resumed` by then is dropped and the next one planned. */
export const RESUME_TIMEOUT_MS = 10000;
/**
 * A socket can die without a `close` event (a phone that changed networks). When a
 * sent message has had no ack and nothing else came in for this long, the page treats
 * the line as dropped and resumes; the resend is stored only once.
 */
export const ACK_TIMEOUT_MS = 15000;

// WebSocket close codes, mirroring shared/src/common.rs `close`.
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY = 1008;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_TRY_AGAIN_LATER = 1013;

export const LANGUAGES = ['nl', 'en', 'fr'];
export const DEFAULT_LANGUAGE = 'nl';
/** sessionStorage key of the chosen language; only written when the visitor picks one. */
export const LANG_KEY = 'chathulp.lang';
/**
 * sessionStorage key of the running conversation, so a reload (or a dropped line) can
 * resume it: { token, service, nickname, last_seq, no_dossier, unacked: [{client_id,
 * text}] }. Written from `welcome` on; removed when the conversation ends, when it can't
 * be resumed, and by "Snel weg" (which clears all storage).
 */
export const CHAT_KEY = 'chathulp.chat';
/** sessionStorage key of the visitor's "sound on" choice; absent means off. */
export const SOUND_KEY = 'chathulp.sound';
/** Escape twice within this long leaves the page, as "Snel weg" does. */
export const ESCAPE_TWICE_MS = 1000;

/** Shown when /api/status cannot be read, so the visitor can still try. */
export const FALLBACK_SERVICES = [
  { id: 'caw', name: 'CAW online', status: 'unknown', hours: 'werkdagen 13.00 tot 17.00' },
  { id: 'jac', name: 'JAC online', status: 'unknown', hours: 'werkdagen 13.00 tot 19.00' },
];

/** Contact pages from the seed, used when the status JSON has no `contact_url`. */
export const CONTACT_PAGES = {
  caw: 'http://www.caw.be/zoek-je-hulp',
  jac: 'https://www.caw.be/jac/contacteer-ons/',
};
