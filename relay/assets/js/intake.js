// How a conversation begins: choosing a service, and the start form (nickname and the
// optional intake).
// Layer 9 (see docs/architecture.md): imports the controller (conversation.js) to
// connect, ending.js to start afresh, views.js and the layers below.

import { MAX_AGE, MAX_NICKNAME_CHARS, MIN_AGE } from './constants.js';
import { connect } from './conversation.js';
import { resetConversation } from './ending.js';
import { clearError, codePointLength, hasControlChars, serviceById, setFieldError } from './helpers.js';
import { renderChosenService } from './services.js';
import { el, state } from './state.js';
import { showView } from './views.js';

// ---------------------------------------------------------------- service choice

export function onServiceListClick(event) {
  const button = event.target.closest('button.service');
  if (!button || !el.serviceList.contains(button)) return;
  if (button.getAttribute('aria-disabled') === 'true') return;
  const service = serviceById(button.dataset.service);
  if (!service) return;
  clearError();
  state.serviceId = service.id;
  renderChosenService();
  showView('start', el.nickname);
}

// ---------------------------------------------------------------- start form

export function readStartForm() {
  const nickname = el.nickname.value.trim();
  let nicknameError = '';
  if (nickname === '') nicknameError = 'nicknameMissing';
  else if (codePointLength(nickname) > MAX_NICKNAME_CHARS) nicknameError = 'nicknameTooLong';
  else if (hasControlChars(nickname)) nicknameError = 'nicknameControl';

  const intake = {};
  let ageError = '';
  const ageRaw = el.age.value.trim();
  if (el.age.validity && el.age.validity.badInput) {
    ageError = 'ageInvalid';
  } else if (ageRaw !== '') {
    const age = Number(ageRaw);
    if (!/^\d{1,3}$/.test(ageRaw) || age < MIN_AGE || age > MAX_AGE) ageError = 'ageInvalid';
    else intake.age = age;
  }
  if (el.region.value) intake.region = el.region.value;
  if (el.gender.value) intake.gender = el.gender.value;

  return {
    nickname: nickname,
    intake: intake,
    noDossier: el.noDossier.checked,
    nicknameError: nicknameError,
    ageError: ageError,
  };
}

export function onStartSubmit(event) {
  event.preventDefault();
  clearError();
  const form = readStartForm();
  setFieldError(el.nickname, el.nicknameError, form.nicknameError);
  setFieldError(el.age, el.ageError, form.ageError);
  if (form.nicknameError) { el.nickname.focus(); return; }
  if (form.ageError) { el.age.focus(); return; }
  if (!state.serviceId) { showView('choose', el.chooseTitle); return; }

  state.nickname = form.nickname;
  state.intake = form.intake;
  resetConversation();
  state.noDossier = form.noDossier;
  showView('chat', el.messageInput);
  connect();
}

export function onBackClick() {
  clearError();
  showView('choose', el.chooseTitle);
}
