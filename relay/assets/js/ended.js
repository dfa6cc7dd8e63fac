// What the page says once a conversation has ended: who ended it, the relay's reason,
// and how to reach the service (e-mail, contact page, next opening).
// Layer 3, a view (see docs/architecture.md): draws `state.end`; ending a conversation
// is ending.js's.

import { DEFAULT_LANGUAGE } from './constants.js';
import { contactUrl, formatOpening, keyEl, makeEl, makeTextLink, renderContactLink, serviceById, serviceEmail } from './helpers.js';
import { markRelayText, setText, t } from './i18n.js';
import { TEXT } from './i18n/text.js';
import { el, state } from './state.js';

// ---------------------------------------------------------------- ended

export function endedDetailKey(end) {
  if (end.by === 'lost') return 'resumeFailedDetail';
  if (end.by === 'relay' && end.waiting) return 'endedBy.relayWaiting';
  return 'endedBy.' + end.by;
}

export function renderEndedInfo() {
  const end = state.end;
  if (!end) return;
  setText(el.endedDetail, endedDetailKey(end));
  el.endedReason.textContent = '';
  if (isStandardClosedReason(end)) {
    // The relay's "De chat is gesloten, … Je kan ons een e-mail sturen: EMAIL.": say the
    // first sentence in the page's language; the e-mail follows below as a link.
    el.endedReason.append(keyEl('span', '', 'statusOffline'));
  } else if (end.reason) {
    const reason = makeEl('span', '', end.reason); // from the relay: textContent only
    markRelayText(reason);
    el.endedReason.append(keyEl('span', '', 'endedReason'), reason);
  }
  el.endedReason.hidden = !end.reason;
  renderEndedContact(end.by === 'relay');
}

export function isStandardClosedReason(end) {
  return end.by === 'relay' && end.reason.indexOf(TEXT[DEFAULT_LANGUAGE].statusOffline) === 0;
}

/**
 * E-mail (always, if the service has one). When the chat itself ended the conversation
 * (service closed, last counselor gone) also the contact page and the next opening,
 * as the seed says: "Als de chat offline of bezet is, kan je ons een e-mail sturen."
 */
export function renderEndedContact(byRelay) {
  const service = serviceById(state.serviceId);
  const email = serviceEmail(service);
  const mailKey = byRelay ? 'mailIntro' : 'endedMail';
  if (el.endedMail.dataset.email !== email || el.endedMail.dataset.key !== mailKey) {
    el.endedMail.dataset.email = email;
    el.endedMail.dataset.key = mailKey;
    el.endedMail.textContent = '';
    if (email) el.endedMail.append(keyEl('span', '', mailKey), makeTextLink('mailto:' + email, email));
  }
  el.endedMail.hidden = !email;

  renderContactLink(el.endedContact, byRelay ? contactUrl(service) : '');

  const opening = byRelay && service ? formatOpening(service.next_opening) : '';
  el.endedNext.textContent = opening ? t('nextOpening', opening) : '';
  el.endedNext.hidden = !opening;
}
