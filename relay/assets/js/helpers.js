// Small helpers (lengths, times, service facts, element builders) and errors.
// Layer 2 (see docs/architecture.md): imports only constants, state and i18n; nothing
// here draws a part of the page or knows the conversation.

import { CONTACT_PAGES, DEFAULT_LANGUAGE, FALLBACK_SERVICES } from './constants.js';
import { clearText, lookup, setText, t } from './i18n.js';
import { TEXT } from './i18n/text.js';
import { el, state } from './state.js';

// ---------------------------------------------------------------- small helpers

export function utf8Length(text) {
  return new TextEncoder().encode(text).length;
}

export function codePointLength(text) {
  return Array.from(text).length;
}

export function hasControlChars(text) {
  return /[\u0000-\u001f\u007f-\u009f]/.test(text);
}

/** How many characters must go from the end of `text` before `fits(text)` (0: it fits). */
export function overBy(text, fits) {
  if (fits(text)) return 0;
  const chars = Array.from(text);
  let low = 0; // chars.slice(0, low) fits
  let high = chars.length; // chars.slice(0, high) does not fit
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (fits(chars.slice(0, mid).join(''))) low = mid;
    else high = mid;
  }
  return chars.length - low;
}

export function newClientId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, function (b) { return b.toString(16).padStart(2, '0'); }).join('');
}

export function pad2(n) {
  return String(n).padStart(2, '0');
}

/** "14.05", in the visitor's own clock. */
export function formatTime(atMs) {
  const d = new Date(atMs);
  return pad2(d.getHours()) + '.' + pad2(d.getMinutes());
}

/**
 * "maandag 30 november om 13.00" from an RFC 3339 time such as
 * "2026-11-30T13:00:00+01:00". The relay writes the Europe/Brussels offset, so the
 * wall-clock part of the string is already Belgian time and is used as written.
 */
export function formatOpening(rfc3339) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(String(rfc3339 || ''));
  if (!m) return '';
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return '';
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return t('opening', {
    weekday: lookup(TEXT[state.lang], 'weekdays')[weekday],
    day: day,
    month: lookup(TEXT[state.lang], 'months')[month - 1],
    hh: m[4],
    mm: m[5],
  });
}

/**
 * The relay's opening hours in words are Dutch ("werkdagen 13.00 tot 17.00"). The
 * default shape is translated; anything else is shown as written, marked as Dutch.
 */
export function hoursText(hours) {
  const m = /^werkdagen (\d{1,2}[.:]\d{2}) tot (\d{1,2}[.:]\d{2})$/.exec(hours);
  if (m) return { text: t('hoursWorkdays', m[1].replace(':', '.'), m[2].replace(':', '.')), dutch: false };
  return { text: hours, dutch: true };
}

export function serviceById(id) {
  const list = state.servicesKnown ? state.services : FALLBACK_SERVICES;
  return list.find(function (s) { return s.id === id; }) || null;
}

export function statusClass(status) {
  return status === 'online' || status === 'busy' || status === 'offline' ? status : 'unknown';
}

export function canStart(service) {
  const s = statusClass(service.status);
  return s === 'online' || s === 'unknown';
}

export function serviceEmail(service) {
  return service && typeof service.email === 'string' ? service.email.trim() : '';
}

/** The service's contact page: `contact_url` from the status, else the seed's page. */
export function contactUrl(service) {
  if (!service) return '';
  const url = typeof service.contact_url === 'string' ? service.contact_url.trim() : '';
  if (/^https?:\/\//i.test(url)) return url;
  return CONTACT_PAGES[service.id] || '';
}

/**
 * The status sentence and its explanation. In Dutch the relay's own sentence is used
 * (it comes from the relay's config); other languages use the catalogue.
 */
export function statusTexts(service) {
  const s = statusClass(service.status);
  const keys = {
    online: ['statusOnline', ''],
    busy: ['statusBusy', 'statusBusyExplain'],
    offline: ['statusOffline', 'statusOfflineExplain'],
    unknown: ['statusUnknown', 'statusUnknownExplain'],
  }[s];
  // Closed with no next opening reported: it is within the opening hours and nobody is
  // signed in. Then the page must not suggest the visitor came outside the hours.
  if (s === 'offline' && withinHours(service)) keys[1] = 'statusNobodyExplain';
  const fromApi = typeof service.message === 'string' ? service.message.trim() : '';
  const message = state.lang === DEFAULT_LANGUAGE && fromApi ? fromApi : t(keys[0]);
  const explainText = keys[1] ? t(keys[1]) : '';
  // Add the seed's explanation unless the message already contains it.
  const explain = explainText && message.indexOf(explainText) === -1 ? explainText : '';
  return { message: message, explain: explain };
}

/** The relay reports `next_opening` only while a service is outside its opening hours. */
export function withinHours(service) {
  return !!service && service.status === 'offline' && state.servicesKnown &&
    !(typeof service.next_opening === 'string' && service.next_opening);
}

export function makeEl(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** An element whose text is the catalogue's `key`. */
export function keyEl(tag, className, key) {
  const node = makeEl(tag, className);
  setText(node, key);
  return node;
}

export function newWindowHint() {
  return keyEl('span', 'visually-hidden', 'newWindow');
}

/** A link whose text comes from the network (an e-mail address): textContent only. */
export function makeTextLink(href, text) {
  const a = makeEl('a', '', text);
  a.href = href;
  return a;
}

/** A link to another website whose text is the catalogue's `key`, opening a new window. */
export function makeKeyLink(href, key) {
  const a = document.createElement('a');
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  a.append(keyEl('span', '', key), newWindowHint());
  return a;
}

/** Fills `holder` with a link to `url` ("Andere contactgegevens"), or hides it. */
export function renderContactLink(holder, url) {
  const link = holder.querySelector('a');
  if (url && link && link.getAttribute('href') === url) {
    holder.hidden = false;
    return;
  }
  holder.textContent = '';
  if (url) holder.append(makeKeyLink(url, 'contactPage'));
  holder.hidden = !url;
}

// ---------------------------------------------------------------- errors

/** Shows the catalogue's `key` (with `args`) in #error; `source` says what it is about. */
export function showError(key, source) {
  const args = Array.prototype.slice.call(arguments, 2);
  setText.apply(null, [el.error, key].concat(args));
  state.errorSource = source || '';
}

/** Clears #error; with `source`, only if the shown error came from there. */
export function clearError(source) {
  if (source && state.errorSource !== source) return;
  clearText(el.error);
  state.errorSource = '';
}

export function errorKey(code) {
  return lookup(TEXT[DEFAULT_LANGUAGE].errors, code) ? 'errors.' + code : '';
}

export function setFieldError(input, errorEl, key) {
  if (key) setText(errorEl, key);
  else clearText(errorEl);
  errorEl.hidden = !key;
  if (key) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

// ---------------------------------------------------------------- elements

export function byId(id) {
  return document.getElementById(id);
}
