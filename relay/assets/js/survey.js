// The optional survey after a conversation.
// Layer 3, a view with its form (see docs/architecture.md): imports layers 0-2 and
// sends through the transport (socket.js); the controller (conversation.js) passes it
// the relay's `survey_saved`, errors and the close.

import { MAX_SURVEY_TEXT_BYTES } from './constants.js';
import { byId, keyEl, makeEl, overBy, setFieldError, utf8Length } from './helpers.js';
import { clearText, markRelayText, setText } from './i18n.js';
import { closeSocket, sendFrame } from './socket.js';
import { el, state } from './state.js';

// ---------------------------------------------------------------- survey
//
// `ended` may carry questions (common.rs SurveyQuestion). All are optional; only
// answered ones are sent, once, as {"type":"survey","answers":[…]}. Not submitting is
// skipping. The relay answers `survey_saved` or an error such as `survey_closed`.

export function validSurveyQuestions(list) {
  if (!Array.isArray(list)) return [];
  return list.filter(function (q) {
    return q && typeof q.id === 'string' && q.id !== '' && typeof q.text === 'string' &&
      (q.kind === 'scale' || q.kind === 'yes_no' || q.kind === 'text');
  });
}

export function openSurvey(questions) {
  el.surveyQuestions.textContent = '';
  const fields = questions.map(function (question, index) {
    const node = surveyField(question, index);
    el.surveyQuestions.append(node);
    return { question: question, node: node };
  });
  state.survey = { status: 'open', fields: fields };
  setSurveyError('');
}

export function surveyField(question, index) {
  if (question.kind === 'text') return surveyTextField(question, index);
  if (question.kind === 'yes_no') {
    return surveyChoiceField(question, index, [['yes', 'surveyYes'], ['no', 'surveyNo']], '');
  }
  const scale = ['1', '2', '3', '4', '5'].map(function (n) { return [n, '']; });
  return surveyChoiceField(question, index, scale, 'surveyScaleHint');
}

/** A fieldset of radio buttons; `options` are [value, catalogue key or '' for the value]. */
export function surveyChoiceField(question, index, options, hintKey) {
  const base = 'survey-q-' + index;
  const fieldset = makeEl('fieldset', 'survey-q survey-' + question.kind.replace('_', '-'));
  const legend = makeEl('legend', 'survey-question', question.text); // textContent only
  markRelayText(legend);
  fieldset.append(legend);
  if (hintKey) {
    const hint = keyEl('p', 'help', hintKey);
    hint.id = base + '-hint';
    fieldset.setAttribute('aria-describedby', hint.id);
    fieldset.append(hint);
  }
  const choices = makeEl('div', 'choices');
  options.forEach(function (option, i) {
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'survey-' + question.id;
    input.value = option[0];
    input.id = base + '-' + i;
    const label = option[1] ? keyEl('label', 'choice', option[1]) : makeEl('label', 'choice', option[0]);
    label.htmlFor = input.id;
    const wrap = makeEl('span', 'choice-wrap');
    wrap.append(input, label);
    choices.append(wrap);
  });
  const clear = keyEl('button', 'link-button survey-clear', 'surveyClear');
  clear.type = 'button';
  clear.hidden = true;
  fieldset.append(choices, clear);
  return fieldset;
}

export function surveyTextField(question, index) {
  const base = 'survey-q-' + index;
  const field = makeEl('div', 'field survey-q survey-text');
  const label = makeEl('label', 'survey-question', question.text); // textContent only
  label.htmlFor = base;
  markRelayText(label);
  const area = document.createElement('textarea');
  area.id = base;
  area.name = 'survey-' + question.id;
  area.rows = 3;
  area.maxLength = MAX_SURVEY_TEXT_BYTES; // characters; the byte limit is checked below
  area.setAttribute('aria-describedby', base + '-error');
  const error = makeEl('p', 'field-error');
  error.id = base + '-error';
  error.hidden = true;
  field.append(label, area, error);
  return field;
}

export function surveyTextFits(text) {
  return utf8Length(text.trim()) <= MAX_SURVEY_TEXT_BYTES;
}

/** Marks a too long text answer; returns the textarea if it is too long. */
export function checkSurveyText(area) {
  const over = overBy(area.value, surveyTextFits);
  const error = byId(area.id + '-error');
  setFieldError(area, error, over > 0 ? 'surveyTextTooLong' : '');
  if (over > 0) setText(error, 'surveyTextTooLong', over);
  return over > 0 ? area : null;
}

export function surveyAnswer(field) {
  if (field.question.kind === 'text') return field.node.querySelector('textarea').value.trim();
  const checked = Array.from(field.node.querySelectorAll('input[type="radio"]'))
    .find(function (radio) { return radio.checked; });
  return checked ? checked.value : '';
}

export function collectSurveyAnswers() {
  const answers = [];
  state.survey.fields.forEach(function (field) {
    const answer = surveyAnswer(field);
    if (answer) answers.push({ question: field.question.id, answer: answer });
  });
  return answers;
}

export function onSurveySubmit(event) {
  event.preventDefault();
  if (state.survey.status !== 'open') return;
  const areas = Array.from(el.survey.querySelectorAll('textarea'));
  const tooLong = areas.map(checkSurveyText).find(Boolean);
  if (tooLong) { tooLong.focus(); return; }
  const answers = collectSurveyAnswers();
  if (answers.length === 0) {
    setSurveyError('surveyEmpty');
    return;
  }
  if (!sendFrame({ type: 'survey', answers: answers })) {
    setSurveyStatus('lost');
    return;
  }
  setSurveyError('');
  setSurveyStatus('sending');
}

export function onSurveySaved() {
  if (state.survey.status !== 'sending') return;
  setSurveyStatus('saved');
  closeSocket(); // nothing more to send
}

/** An error after `ended`: about the survey, or nothing the visitor can act on. */
export function onSurveyError(code) {
  const s = state.survey.status;
  if (code === 'survey_closed' && s !== 'none') {
    setSurveyStatus('closed');
    closeSocket();
  } else if (s === 'sending') {
    setSurveyStatus('open');
    setSurveyError('surveyFailed');
  }
}

export function onSurveySocketClosed() {
  const s = state.survey.status;
  if (s === 'open' || s === 'sending') setSurveyStatus('lost');
}

/** Moves the survey on; focus follows when it was in the form that disappears. */
export function setSurveyStatus(status) {
  // While sending, the submit button is disabled and focus fell to the page: move it on.
  const focusInForm = el.survey.contains(document.activeElement) || state.survey.status === 'sending';
  state.survey.status = status;
  renderSurvey();
  if (status === 'saved') el.surveyThanks.focus();
  else if ((status === 'closed' || status === 'lost') && focusInForm) el.surveyClosed.focus();
  else if (status === 'open' && focusInForm) el.surveySubmit.focus();
}

export function setSurveyError(key) {
  if (key) setText(el.surveyError, key);
  else clearText(el.surveyError);
  el.surveyError.hidden = !key;
}

export function renderSurvey() {
  const s = state.survey.status;
  const showForm = s === 'open' || s === 'sending';
  el.survey.hidden = !showForm;
  el.survey.setAttribute('aria-busy', s === 'sending' ? 'true' : 'false');
  el.surveySubmit.disabled = s === 'sending';
  el.surveyThanks.hidden = s !== 'saved';
  el.surveyClosed.hidden = !(s === 'closed' || s === 'lost');
  if (s === 'closed' || s === 'lost') setText(el.surveyClosed, s === 'lost' ? 'surveyLost' : 'surveyClosed');
}

export function onSurveyChange(event) {
  const target = event.target;
  if (target.type === 'radio') {
    const clear = target.closest('fieldset').querySelector('.survey-clear');
    if (clear) clear.hidden = false;
  }
}

export function onSurveyInput(event) {
  if (event.target.tagName === 'TEXTAREA') checkSurveyText(event.target);
  setSurveyError('');
}

/** "Wis dit antwoord": a radio group cannot be emptied otherwise. */
export function onSurveyClick(event) {
  const clear = event.target.closest('button.survey-clear');
  if (!clear) return;
  const fieldset = clear.closest('fieldset');
  const radios = Array.from(fieldset.querySelectorAll('input[type="radio"]'));
  radios.forEach(function (radio) { radio.checked = false; });
  clear.hidden = true;
  if (radios[0]) radios[0].focus();
}
