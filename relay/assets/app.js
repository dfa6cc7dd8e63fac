// chathulp visitor page: the entry module. It looks up the page's elements, binds the
// events and starts the page; the work is done by the modules under js/.
//
// Plain JavaScript as native ES modules (<script type="module">), no framework and no
// build step. The page speaks the visitor protocol of shared/src/visitor.rs over
// wss://HOST/ws/visitor, follows the service status with Server-Sent Events from
// GET /api/status/events, and falls back to polling GET /api/status.
//
// Rules kept in every module:
// - every text that comes from the network is put on the page with textContent only
//   (no HTML is ever parsed from a string: tests/tests/xss.rs checks every module);
// - every text of our own lives in the catalogue js/i18n/{nl,en,fr}.js, and is put on
//   the page through a `data-i18n` key, so a change of language re-fills it;
// - one `state` object (js/state.js); render functions read it and update the page.
// - imports point down only: each module says its layer in its first lines, and a
//   module imports only modules of lower layers, so there is no import circle
//   (docs/architecture.md, "The visitor page"). What a lower module must set off above
//   it comes in as a handler passed from above (socket.js, resume.js). This entry is
//   the top layer: nothing imports it.

import { initSound, onAttentionVisibility, onSoundToggle, renderAttention } from './js/attention.js';
import { onComposerInput, onComposerKeydown, onComposerSubmit, onDossierToggle, onRetryClick, renderChat } from './js/chat.js';
import { onOnline, onPageShow, onReconnectClick, onVisibilityChange, restoreSaved } from './js/conversation.js';
import { renderEndedInfo } from './js/ended.js';
import { onEndCancel, onEndConfirm, onRestartClick, openEndDialog } from './js/ending.js';
import { byId } from './js/helpers.js';
import { applyTexts, initialLanguage, isLanguage, rememberLanguage } from './js/i18n.js';
import { onBackClick, onServiceListClick, onStartSubmit } from './js/intake.js';
import { onEscapeKey, quickExit } from './js/quick-exit.js';
import { renderChosenService, renderServices } from './js/services.js';
import { el, state } from './js/state.js';
import { loadChat } from './js/storage.js';
import { onSurveyChange, onSurveyClick, onSurveyInput, onSurveySubmit } from './js/survey.js';
import { showView } from './js/views.js';

// ---------------------------------------------------------------- init

function lookupElements() {
  const ids = {
    error: 'error', quickExit: 'quick-exit', lang: 'lang', langSwitch: 'lang-switch',
    viewChoose: 'view-choose', viewStart: 'view-start', viewChat: 'view-chat',
    chooseTitle: 'choose-title', statusNote: 'status-note', serviceList: 'service-list',
    chosenService: 'chosen-service', startForm: 'start-form', nickname: 'nickname',
    nicknameError: 'nickname-error', age: 'age', ageError: 'age-error', region: 'region',
    gender: 'gender', noDossier: 'no-dossier', startButton: 'start-button',
    backButton: 'back-button',
    chatTitle: 'chat-title', connection: 'connection', timeGuidance: 'time-guidance',
    queueInfo: 'queue-info', queuePosition: 'queue-position', reconnect: 'reconnect',
    counselorAway: 'counselor-away',
    reconnectText: 'reconnect-text', reconnectButton: 'reconnect-button',
    messages: 'messages', typing: 'typing', composer: 'composer',
    messageInput: 'message-input', sendButton: 'send-button',
    messageLength: 'message-length', chatActions: 'chat-actions',
    dossierToggle: 'dossier-toggle', endButton: 'end-button',
    ended: 'ended', endedTitle: 'ended-title', endedDetail: 'ended-detail',
    endedReason: 'ended-reason', endedNext: 'ended-next', endedMail: 'ended-mail',
    endedContact: 'ended-contact', restartButton: 'restart-button',
    survey: 'survey', surveyQuestions: 'survey-questions', surveyError: 'survey-error',
    surveySubmit: 'survey-submit', surveyThanks: 'survey-thanks', surveyClosed: 'survey-closed',
    endDialog: 'end-dialog', endConfirm: 'end-confirm', endCancel: 'end-cancel',
    surveyTitle: 'survey-title', favicon: 'favicon', announcer: 'announcer', soundToggle: 'sound-toggle',
  };
  Object.keys(ids).forEach(function (key) { el[key] = byId(ids[key]); });
}

function bindEvents() {
  el.serviceList.addEventListener('click', onServiceListClick);
  el.startForm.addEventListener('submit', onStartSubmit);
  el.backButton.addEventListener('click', onBackClick);
  el.composer.addEventListener('submit', onComposerSubmit);
  el.messageInput.addEventListener('keydown', onComposerKeydown);
  el.messageInput.addEventListener('input', onComposerInput);
  el.messages.addEventListener('click', onRetryClick);
  el.reconnectButton.addEventListener('click', onReconnectClick);
  el.dossierToggle.addEventListener('click', onDossierToggle);
  el.endButton.addEventListener('click', openEndDialog);
  el.endConfirm.addEventListener('click', onEndConfirm);
  el.endCancel.addEventListener('click', onEndCancel);
  el.restartButton.addEventListener('click', onRestartClick);
  el.survey.addEventListener('submit', onSurveySubmit);
  el.survey.addEventListener('change', onSurveyChange);
  el.survey.addEventListener('input', onSurveyInput);
  el.survey.addEventListener('click', onSurveyClick);
  document.addEventListener('visibilitychange', onVisibilityChange);
  document.addEventListener('visibilitychange', onAttentionVisibility);
  window.addEventListener('focus', onAttentionVisibility);
  if (el.soundToggle) el.soundToggle.addEventListener('click', onSoundToggle);
  window.addEventListener('online', onOnline);
  window.addEventListener('pageshow', onPageShow);
}

// ---------------------------------------------------------------- language

/** Language from ?lang= or the tab's earlier choice; the switch appears once JS runs. */
function initLanguage() {
  state.lang = initialLanguage();
  if (el.lang) {
    el.lang.value = state.lang;
    el.lang.addEventListener('change', onLanguageChange);
  }
  if (el.langSwitch) el.langSwitch.hidden = false;
  applyTexts();
  renderAttention();
}

function onLanguageChange() {
  rememberLanguage(el.lang.value);
  setLanguage(el.lang.value);
}

function setLanguage(lang) {
  if (!isLanguage(lang)) return;
  state.lang = lang;
  if (el.lang) el.lang.value = lang;
  applyTexts();
  renderAttention();
  if (el.serviceList) renderAll();
}

/** Everything that depends on the language or the status, drawn again. */
function renderAll() {
  renderServices();
  renderChosenService();
  renderChat();
  if (state.phase === 'ended') renderEndedInfo();
}

// ---------------------------------------------------------------- start

function init() {
  lookupElements();
  if (el.quickExit) el.quickExit.addEventListener('click', quickExit);
  document.addEventListener('keydown', onEscapeKey);
  initSound();
  initLanguage();
  if (!el.serviceList) return; // the privacy page only needs "Snel weg" and the language
  bindEvents();
  const saved = loadChat();
  if (saved) {
    restoreSaved(saved);
    return;
  }
  renderChat();
  showView('choose');
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
