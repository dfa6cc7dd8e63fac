// The service choice: one card per service, its dot, its text and its fallback.
// Layer 3, a view (see docs/architecture.md): draws from `state`; what a click on a
// service does is intake.js's.

import { FALLBACK_SERVICES } from './constants.js';
import { canStart, contactUrl, formatOpening, hoursText, keyEl, makeEl, makeTextLink, renderContactLink, serviceById, serviceEmail, statusClass, statusTexts } from './helpers.js';
import { clearText, markRelayText, setText, t, unmarkRelayText } from './i18n.js';
import { el, state } from './state.js';

// ---------------------------------------------------------------- services

export function servicesToShow() {
  if (state.servicesKnown) return state.services;
  if (state.statusFailed) return FALLBACK_SERVICES;
  return null; // still loading
}

export function renderServices() {
  const services = servicesToShow();
  if (!services) return;
  const list = el.serviceList;
  list.setAttribute('aria-busy', 'false');

  let note = '';
  if (state.statusFailed) note = state.servicesKnown ? 'statusNoteStale' : 'statusNoteFailed';
  if (services.length === 0) note = 'noServices';
  if (note) setText(el.statusNote, note);
  else clearText(el.statusNote);

  // Update items in place, so keyboard focus stays on a service button during updates.
  const existing = new Map();
  Array.from(list.children).forEach(function (child) {
    if (child.dataset.serviceItem) existing.set(child.dataset.serviceItem, child);
    else child.remove(); // the "Status ophalen…" placeholder
  });
  services.forEach(function (service, index) {
    let item = existing.get(service.id);
    if (item) existing.delete(service.id);
    else item = createServiceItem(service.id);
    updateServiceItem(item, service);
    if (list.children[index] !== item) list.insertBefore(item, list.children[index] || null);
  });
  existing.forEach(function (item) { item.remove(); });
}

export function createServiceItem(id) {
  const item = makeEl('li', 'service-item');
  item.dataset.serviceItem = id;

  const button = makeEl('button', 'service');
  button.type = 'button';
  button.dataset.service = id;
  const dot = makeEl('span', 'dot');
  dot.setAttribute('aria-hidden', 'true');
  // One .status-message holds both sentences, so its text reads as the seed's text.
  const message = makeEl('span', 'status-message');
  message.append(makeEl('span', 'status-main'), makeEl('span', 'status-explanation'));
  button.append(dot, makeEl('span', 'service-name'), message, keyEl('span', 'service-cta', 'startChat'));

  const info = makeEl('div', 'service-info');
  const hours = makeEl('p', 'service-hours');
  hours.append(keyEl('span', '', 'hours'), makeEl('span', 'service-hours-text'));
  const mail = makeEl('p', 'service-mail');
  mail.append(keyEl('span', '', 'mailIntro'), makeTextLink('mailto:', ''));
  info.append(hours, makeEl('p', 'service-next'), mail, makeEl('p', 'service-contact'));

  item.append(button, info);
  return item;
}

export function updateServiceItem(item, service) {
  const status = statusClass(service.status);
  const closed = status === 'busy' || status === 'offline';
  updateServiceButton(item.querySelector('.service'), service, status);

  const hours = item.querySelector('.service-hours');
  const hoursSpan = hours.querySelector('.service-hours-text');
  const words = service.hours ? hoursText(String(service.hours)) : null;
  hoursSpan.textContent = words ? words.text : '';
  if (words && words.dutch) markRelayText(hoursSpan);
  else unmarkRelayText(hoursSpan);
  hours.hidden = !words;

  const next = item.querySelector('.service-next');
  const opening = closed ? formatOpening(service.next_opening) : '';
  next.textContent = opening ? t('nextOpening', opening) : '';
  next.hidden = !opening;

  const mail = item.querySelector('.service-mail');
  const email = serviceEmail(service);
  const link = mail.querySelector('a');
  link.href = 'mailto:' + email;
  link.textContent = email;
  mail.hidden = !(closed && email);

  renderContactLink(item.querySelector('.service-contact'), closed ? contactUrl(service) : '');
}

export function updateServiceButton(button, service, status) {
  const texts = statusTexts(service);
  const startable = canStart(service);
  button.querySelector('.dot').className = 'dot ' + status;
  button.querySelector('.service-name').textContent = service.name;
  const main = button.querySelector('.status-main');
  main.textContent = texts.message;
  button.querySelector('.status-explanation').textContent = texts.explain ? ' ' + texts.explain : '';
  button.querySelector('.service-cta').hidden = !startable;
  if (startable) button.removeAttribute('aria-disabled');
  else button.setAttribute('aria-disabled', 'true');
}

export function renderChosenService() {
  const service = serviceById(state.serviceId);
  if (!service) return;
  const status = statusClass(service.status);
  el.chosenService.querySelector('.dot').className = 'dot ' + status;
  el.chosenService.querySelector('.chosen-name').textContent = service.name;
  el.chosenService.querySelector('.chosen-status').textContent = statusTexts(service).message;
}
