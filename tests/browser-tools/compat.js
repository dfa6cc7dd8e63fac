#!/usr/bin/env node
// What the visitor page uses that Safari 15 (15.0, on iOS and macOS) lacks, checked
// against @mdn/browser-compat-data (pinned in package-lock.json). Safari cannot run
// here, so this is how docs/accessibility.md's "Safari 15+" section is kept true.
//
// It reads relay/assets: the HTML elements and attributes, the CSS properties,
// pseudo-classes, at-rules and media features, and the JavaScript interfaces and
// members the scripts name. A feature that Safari only got after 15.0 fails the run,
// unless it is listed in HANDLED with the page's fallback for it.
//
// JavaScript is matched by name, so it errs on the safe side: a member such as
// `.close(` counts as supported if any interface that has it is supported.
'use strict';
const fs = require('fs');
const path = require('path');
const bcd = require('@mdn/browser-compat-data');

const SAFARI = [15, 0];
const assets = path.join(__dirname, '..', '..', 'relay', 'assets');

/** Features newer than Safari 15.0 that the page uses on purpose, each with its fallback. */
const HANDLED = {
  'html.elements.dialog': 'js/ending.js opens and closes the end dialog with the open attribute when showModal() is missing; style.css shows [open] and hides it otherwise (tested by deleting showModal in the browser tests)',
  'css.selectors.focus-visible': 'style.css draws the same focus ring for :focus first and only then removes it for :focus:not(:focus-visible); Safari 15.0 drops that rule and keeps the :focus ring',
  'api.HTMLDialogElement': 'see html.elements.dialog',
  'api.HTMLDialogElement.showModal': 'see html.elements.dialog',
  'api.HTMLDialogElement.close': 'see html.elements.dialog',
  'css.selectors.backdrop': 'only dims the page behind the open end dialog; without it the dialog still shows',
  'html.global_attributes.autofocus': 'on the dialog\'s "Nee" button; js/ending.js focuses that button itself',
  'api.KeyboardEvent.isComposing': 'read as a guard (undefined is falsy): without it Enter during IME composition sends, as before',
  'api.InputEvent.isComposing': 'see api.KeyboardEvent.isComposing',
  'css.properties.accent-color': 'only tints the checkbox and radios; without it they keep the system colour',
  'css.properties.scroll-behavior': 'only switched off (auto) for reduced motion; auto is what Safari 15.0 does anyway',
  'css.properties.text-size-adjust': 'Safari uses the -webkit-text-size-adjust written next to it',
  'css.properties.resize': 'the textarea\'s resize handle; iOS has none, the field still grows with its rows',
  'html.global_attributes.autocapitalize': 'a hint for the on-screen keyboard; ignored where unknown',
};

/** The interfaces whose members the scripts call: a member name only counts for these. */
const DOM = ['Element', 'HTMLElement', 'Node', 'ParentNode', 'ChildNode', 'Document', 'Window',
  'EventTarget', 'Event', 'KeyboardEvent', 'InputEvent', 'MessageEvent', 'CloseEvent',
  'HTMLInputElement', 'HTMLTextAreaElement', 'HTMLSelectElement', 'HTMLFormElement',
  'HTMLButtonElement', 'HTMLAnchorElement', 'HTMLLinkElement', 'HTMLDialogElement',
  'HTMLOptionElement', 'DOMTokenList', 'DOMStringMap', 'NodeList', 'HTMLCollection',
  'Storage', 'Location', 'History', 'Navigator', 'WebSocket', 'EventSource', 'AbortController',
  'AbortSignal', 'Response', 'Headers', 'URL', 'URLSearchParams', 'MediaQueryList',
  'MutationObserver', 'AudioContext', 'BaseAudioContext', 'AudioNode', 'OscillatorNode',
  'GainNode', 'AudioParam', 'AudioScheduledSourceNode', 'CSSStyleDeclaration', 'Crypto',
  'TextEncoder', 'ValidityState', 'PageTransitionEvent', 'FocusEvent', 'MouseEvent',
  'PointerEvent', 'RadioNodeList', 'HTMLFieldSetElement', 'DOMRect', 'Performance'];
const BUILTINS = ['Array', 'String', 'Object', 'JSON', 'Number', 'Date', 'Math', 'Promise',
  'Map', 'Set', 'RegExp', 'Intl', 'Function', 'Symbol'];

function files(dir, out = []) {
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

function parse(v) {
  if (v === true) return [0, 0];
  if (typeof v !== 'string') return null; // false, null, "preview": not supported
  const m = v.replace('≤', '').match(/^(\d+)(?:\.(\d+))?/);
  return m ? [Number(m[1]), Number(m[2] || 0)] : null;
}

/** The Safari version that added it, or null if never; flags/prefix/partial don't count. */
function safariAdded(compat) {
  if (!compat || !compat.support) return [0, 0]; // no data: assume fine
  const mac = oneSafari(compat.support.safari);
  const ios = oneSafari(compat.support.safari_ios);
  if (!mac || !ios) return null;
  return mac[0] > ios[0] || (mac[0] === ios[0] && mac[1] > ios[1]) ? mac : ios;
}

/** The first version of one Safari (macOS or iOS) with the feature, unprefixed and
 * without a flag; a partial implementation counts (it is noted in the data, not here). */
function oneSafari(entries) {
  if (!Array.isArray(entries)) entries = [entries];
  let best = null;
  for (const e of entries) {
    if (e.flags || e.prefix || e.alternative_name) continue;
    // A partial implementation later completed (outline before it followed border-radius)
    // still works; a feature removed for good does not.
    if (e.version_removed && !e.partial_implementation) continue;
    const v = parse(e.version_added);
    if (v && (!best || v[0] < best[0] || (v[0] === best[0] && v[1] < best[1]))) best = v;
  }
  return best;
}

function after15(v) {
  return !v || v[0] > SAFARI[0] || (v[0] === SAFARI[0] && v[1] > SAFARI[1]);
}

const used = new Map(); // bcd key -> where seen
function use(key, where) {
  if (!used.has(key)) used.set(key, where);
}
function get(key) {
  return key.split('.').reduce((o, k) => (o ? o[k] : undefined), bcd);
}

const all = files(assets);
for (const file of all) {
  const rel = path.relative(assets, file);
  const text = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.html')) {
    for (const m of text.matchAll(/<([a-z][a-z0-9]*)([^>]*)>/g)) {
      const tag = m[1];
      if (bcd.html.elements[tag]) use('html.elements.' + tag, rel);
      for (const a of m[2].matchAll(/\s([a-z-]+)(?==|\s|$)/g)) {
        const attr = a[1];
        if (bcd.html.elements[tag] && bcd.html.elements[tag][attr]) use(`html.elements.${tag}.${attr}`, rel);
        else if (bcd.html.global_attributes[attr]) use('html.global_attributes.' + attr, rel);
      }
      const type = m[2].match(/type="module"/);
      if (tag === 'script' && type) use('html.elements.script.type.module', rel);
    }
  } else if (file.endsWith('.css')) {
    const css = text.replace(/\/\*[\s\S]*?\*\//g, '');
    for (const m of css.matchAll(/(?:^|[;{\s])([a-z-]+)\s*:(?!:)[^;{}]*;/g)) {
      if (bcd.css.properties[m[1]]) use('css.properties.' + m[1], rel);
    }
    for (const m of css.matchAll(/::?([a-z-]+)/g)) {
      if (bcd.css.selectors[m[1]]) use('css.selectors.' + m[1], rel);
    }
    for (const m of css.matchAll(/@([a-z-]+)/g)) {
      if (bcd.css['at-rules'][m[1]]) use('css.at-rules.' + m[1], rel);
    }
    for (const m of css.matchAll(/\(([a-z-]+)\s*:/g)) {
      const media = bcd.css['at-rules'].media;
      if (media[m[1]]) use('css.at-rules.media.' + m[1], rel);
    }
    for (const m of css.matchAll(/\b([a-z-]+)\(/g)) {
      if (bcd.css.types[m[1]]) use('css.types.' + m[1], rel);
    }
  } else if (file.endsWith('.js')) {
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
      .replace(/'(?:[^'\\]|\\.)*'/g, "''");
    for (const m of code.matchAll(/(?<![.\w$])([A-Z][A-Za-z0-9]+)\b/g)) {
      if (bcd.api[m[1]]) use('api.' + m[1], rel);
      else if (bcd.javascript.builtins[m[1]]) use('javascript.builtins.' + m[1], rel);
    }
    for (const g of ['sessionStorage', 'localStorage', 'matchMedia', 'fetch', 'structuredClone', 'queueMicrotask', 'requestAnimationFrame']) {
      if (new RegExp('(?<![.\\w$])' + g + '\\b').test(code)) use('api.Window.' + g, rel);
    }
    // Members: supported if any interface (or builtin) with that name supports it.
    // Not members of our own objects: the page's elements (el.connection is #connection),
    // its state and the frames it reads.
    for (const m of code.matchAll(/(?<!\b(?:el|state|frame|saved|service|message|entry|end|a|s|t)\s*)\.([a-z][A-Za-z0-9]+)\b/g)) {
      const name = m[1];
      const owners = [];
      for (const iface of DOM) if (bcd.api[iface] && bcd.api[iface][name]) owners.push('api.' + iface + '.' + name);
      for (const b of BUILTINS) {
        const data = bcd.javascript.builtins[b];
        if (data && data[name]) owners.push('javascript.builtins.' + b + '.' + name);
      }
      if (owners.length === 0) continue; // our own names
      const ok = owners.some((k) => !after15(safariAdded(get(k).__compat)));
      if (!ok) owners.forEach((k) => use(k, rel));
    }
  }
}

let failed = 0;
const lines = [];
for (const [key, where] of [...used].sort()) {
  const node = get(key);
  const v = safariAdded(node && node.__compat);
  if (!after15(v)) continue;
  const added = v ? v.join('.') : 'not supported';
  const handled = HANDLED[key];
  lines.push(`${handled ? 'handled' : 'MISSING'}  ${key}  (Safari ${added}; used in ${where})${handled ? ': ' + handled : ''}`);
  if (!handled) failed += 1;
}
console.log(`compat: ${used.size} features of relay/assets checked against @mdn/browser-compat-data ${bcd.__meta.version} for Safari ${SAFARI.join('.')}`);
lines.forEach((l) => console.log('  ' + l));
if (failed) {
  console.error(`compat: ${failed} feature(s) that Safari 15 lacks`);
  process.exit(1);
}
