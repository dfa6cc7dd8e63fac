// Getting the visitor's attention while the tab is hidden: when a counselor takes the
// chat or a message arrives, the title counts it ("(1) Nieuw bericht – CAW chat"), the
// favicon gets a mark, and, only if the visitor switched it on, a soft sound plays.
// Everything is cleared as soon as the tab is seen again.
//
// Never any message text in the title, the favicon or anywhere outside the page: a
// title shows in the task bar and a notification on a lock screen, where someone else
// in the house can read it. For the same reason there are no browser notifications at
// all (privacy.html says why). The sound setting lives in sessionStorage only, so a
// shared family computer does not remember it.
//
// Layer 3, a view (see docs/architecture.md): imports only constants, state and i18n.

import { SOUND_KEY } from './constants.js';
import { setText, t } from './i18n.js';
import { el, state } from './state.js';

/** The favicon without and with the mark (an SVG as a data: URL; CSP allows data: images). */
const ICON_PLAIN = 'data:,';
const ICON_MARKED = 'data:image/svg+xml,' + encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<circle cx="16" cy="16" r="14" fill="#b00020"/></svg>');

/** The tab is out of sight (another tab, a minimised window, a locked phone). */
export function tabHidden() {
  return document.visibilityState === 'hidden';
}

/** A counselor took the chat (`kind` 'assigned') or sent a message ('message'). */
export function attend(kind) {
  if (!tabHidden()) return;
  state.attention.count += 1;
  state.attention.kind = kind;
  renderAttention();
  if (state.attention.sound) playSoftSound();
}

/** The tab is seen again: back to the plain title and icon. */
export function clearAttention() {
  if (state.attention.count === 0) return;
  state.attention.count = 0;
  state.attention.kind = '';
  renderAttention();
}

export function onAttentionVisibility() {
  if (!tabHidden()) clearAttention();
}

/** The title and the favicon; also after a change of language (applyTexts). */
export function renderAttention() {
  const a = state.attention;
  const service = state.serviceId ? String(state.serviceId).toUpperCase() : 'CAW';
  document.title = a.count > 0
    ? t(a.kind === 'assigned' ? 'attentionAssigned' : 'attentionMessage', a.count, service)
    : t('pageTitle');
  const icon = el.favicon;
  if (icon) icon.href = a.count > 0 ? ICON_MARKED : ICON_PLAIN;
  renderSoundToggle();
}

// ---------------------------------------------------------------- sound

export function initSound() {
  try { state.attention.sound = sessionStorage.getItem(SOUND_KEY) === 'on'; } catch (e) { /* blocked */ }
  renderSoundToggle();
}

export function onSoundToggle() {
  const a = state.attention;
  a.sound = !a.sound;
  try {
    if (a.sound) sessionStorage.setItem(SOUND_KEY, 'on');
    else sessionStorage.removeItem(SOUND_KEY);
  } catch (e) { /* storage blocked: on for this page only */ }
  // Browsers let a page make sound only after a click: unlock it now, with this click.
  if (a.sound) audio();
  renderSoundToggle();
}

function renderSoundToggle() {
  const button = el.soundToggle;
  if (!button) return;
  button.setAttribute('aria-pressed', state.attention.sound ? 'true' : 'false');
  const label = button.querySelector('.sound-state');
  if (label) setText(label, state.attention.sound ? 'soundOn' : 'soundOff');
}

let context = null;

function audio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  try {
    if (!context) context = new Context();
    if (context.state === 'suspended') context.resume();
  } catch (e) { return null; }
  return context;
}

/** Two soft, short tones; quiet on purpose. */
export function playSoftSound() {
  const ctx = audio();
  if (!ctx) return;
  try {
    const now = ctx.currentTime;
    [[660, 0], [880, 0.18]].forEach(function (tone) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, now + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.06, now + tone[1] + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + tone[1] + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(now + tone[1]);
      osc.stop(now + tone[1] + 0.18);
    });
    state.attention.sounds += 1;
  } catch (e) { /* no sound, then */ }
}

export function closeAudio() {
  try { if (context) context.close(); } catch (e) { /* leaving anyway */ }
  context = null;
}
