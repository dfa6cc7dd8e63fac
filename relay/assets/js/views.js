// Which of the page's three views shows (choose a service, the start form, the chat);
// the live status follows the view.
// Layer 5 (see docs/architecture.md): imports the status feed and state.

import { el, state } from './state.js';
import { updateStatusFeed } from './status.js';

// ---------------------------------------------------------------- views

export function showView(name, focusTarget) {
  state.view = name;
  el.viewChoose.hidden = name !== 'choose';
  el.viewStart.hidden = name !== 'start';
  el.viewChat.hidden = name !== 'chat';
  updateStatusFeed();
  if (focusTarget) focusTarget.focus();
}
