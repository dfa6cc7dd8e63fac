// Texts and language: looking keys up in the catalogue, filling data-i18n nodes.
// Layer 1 (see docs/architecture.md): imports only constants, state and the catalogue.
// What a change of language draws again besides the data-i18n nodes is app.js's
// business (setLanguage there).

import { DEFAULT_LANGUAGE, LANGUAGES, LANG_KEY } from './constants.js';
import { TEXT } from './i18n/text.js';
import { state } from './state.js';

// ---------------------------------------------------------------- texts and language

export function isLanguage(lang) {
  return LANGUAGES.indexOf(lang) !== -1;
}

export function lookup(table, path) {
  return path.split('.').reduce(function (node, key) {
    return node && typeof node === 'object' ? node[key] : undefined;
  }, table);
}

/** The text of `key` (dotted path) in the current language; functions get `args`. */
export function t(key) {
  const args = Array.prototype.slice.call(arguments, 1);
  let value = lookup(TEXT[state.lang], key);
  if (value === undefined) value = lookup(TEXT[DEFAULT_LANGUAGE], key);
  if (typeof value === 'function') return value.apply(null, args);
  return typeof value === 'string' ? value : '';
}

/**
 * Puts the text of `key` into `node` and remembers the key, so a change of language
 * re-fills it. `args` (numbers or strings) go to text functions such as queuePosition.
 */
export function setText(node, key) {
  const args = Array.prototype.slice.call(arguments, 2);
  node.dataset.i18n = key;
  if (args.length) node.dataset.i18nArgs = JSON.stringify(args);
  else delete node.dataset.i18nArgs;
  fillText(node);
}

export function clearText(node) {
  delete node.dataset.i18n;
  delete node.dataset.i18nArgs;
  node.textContent = '';
}

export function fillText(node) {
  let args = [];
  if (node.dataset.i18nArgs) {
    try { args = JSON.parse(node.dataset.i18nArgs); } catch (e) { args = []; }
  }
  node.textContent = t.apply(null, [node.dataset.i18n].concat(args));
}

/** data-i18n-attr="title:key;aria-label:key2" */
export function fillAttributes(node) {
  node.dataset.i18nAttr.split(';').forEach(function (pair) {
    const parts = pair.split(':');
    if (parts.length === 2 && parts[0].trim()) node.setAttribute(parts[0].trim(), t(parts[1].trim()));
  });
}

/** Links to our own pages keep the language, also in a new tab (which has its own storage). */
export function fillLangLink(link) {
  if (!link.dataset.baseHref) link.dataset.baseHref = link.getAttribute('href');
  const base = link.dataset.baseHref;
  link.setAttribute('href', state.lang === DEFAULT_LANGUAGE ? base : base + '?lang=' + state.lang);
}

export function applyTexts() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll('[data-i18n]').forEach(fillText);
  document.querySelectorAll('[data-i18n-attr]').forEach(fillAttributes);
  document.querySelectorAll('a[data-keep-lang]').forEach(fillLangLink);
  document.querySelectorAll('.from-relay').forEach(markRelayText);
  // A text that is empty in this language (such as "only in Dutch" in Dutch) is hidden.
  document.querySelectorAll('[data-i18n-hide-empty]').forEach(function (node) {
    node.hidden = node.textContent === '';
  });
}

/**
 * Text that comes from the relay (status message, reason, survey questions) is Dutch.
 * Mark it as such when the page is in another language, for screen readers.
 */
export function markRelayText(node) {
  node.classList.add('from-relay');
  if (state.lang === DEFAULT_LANGUAGE) node.removeAttribute('lang');
  else node.lang = DEFAULT_LANGUAGE;
}

export function unmarkRelayText(node) {
  node.classList.remove('from-relay');
  node.removeAttribute('lang');
}

/** ?lang= (links between our pages) first, then the tab's choice, then Dutch. */
export function initialLanguage() {
  let fromUrl = null;
  try { fromUrl = new URLSearchParams(location.search).get('lang'); } catch (e) { /* old browser */ }
  if (isLanguage(fromUrl)) return fromUrl;
  try {
    const saved = sessionStorage.getItem(LANG_KEY);
    if (isLanguage(saved)) return saved;
  } catch (e) { /* storage blocked */ }
  return DEFAULT_LANGUAGE;
}

/** Remembers the choice for this tab only; Dutch, the default, leaves storage empty. */
export function rememberLanguage(lang) {
  try {
    if (lang === DEFAULT_LANGUAGE) sessionStorage.removeItem(LANG_KEY);
    else sessionStorage.setItem(LANG_KEY, lang);
  } catch (e) { /* storage blocked: the choice lasts until reload */ }
  if (location.search && history.replaceState) {
    try { history.replaceState(null, '', location.pathname + location.hash); } catch (e) { /* ignore */ }
  }
}
