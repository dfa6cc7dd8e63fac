// chathulp visitor page.
//
// Plain JavaScript, no framework and no build step. The page speaks the visitor protocol
// of shared/src/visitor.rs over wss://HOST/ws/visitor and reads GET /api/status.
//
// Rules kept throughout this file:
// - every text that comes from the network is put on the page with textContent only;
// - all Dutch texts live in TEXT below;
// - one `state` object; render functions read it and update the page.
(function () {
  'use strict';

  // ---------------------------------------------------------------- constants

  /** Where "Snel weg" goes. location.replace() is used, so Back does not return here. */
  const QUICK_EXIT_URL = 'https://www.google.be/';

  const PROTOCOL_VERSION = 1;
  const WS_PATH = '/ws/visitor';
  const STATUS_URL = '/api/status';

  // Limits, mirroring shared/src/common.rs `limits`.
  const MAX_TEXT_BYTES = 4096;
  const MAX_FRAME_BYTES = 16 * 1024;
  const MAX_NICKNAME_CHARS = 32;
  const MIN_AGE = 0;
  const MAX_AGE = 120;

  const STATUS_POLL_MS = 15000;
  const STATUS_TIMEOUT_MS = 10000;
  const TYPING_THROTTLE_MS = 3000;
  const TYPING_SHOW_MS = 4000;
  const END_FALLBACK_MS = 3000;

  // WebSocket close codes, mirroring shared/src/common.rs `close`.
  const CLOSE_NORMAL = 1000;
  const CLOSE_GOING_AWAY = 1001;
  const CLOSE_POLICY = 1008;
  const CLOSE_TOO_BIG = 1009;

  /** Shown when /api/status cannot be read, so the visitor can still try. */
  const FALLBACK_SERVICES = [
    { id: 'caw', name: 'CAW online', status: 'unknown', hours: 'werkdagen 13.00 tot 17.00' },
    { id: 'jac', name: 'JAC online', status: 'unknown', hours: 'werkdagen 13.00 tot 19.00' },
  ];

  /** Contact pages from the seed, offered next to the e-mail address. */
  const CONTACT_PAGES = {
    caw: 'http://www.caw.be/zoek-je-hulp',
    jac: 'https://www.caw.be/jac/contacteer-ons/',
  };

  // ---------------------------------------------------------------- Dutch texts

  const TEXT = {
    // service status (seed sentences)
    statusOnline: 'De chat is open.',
    statusBusy: 'Alle medewerkers zijn momenteel in gesprek.',
    statusBusyExplain: 'Kom dan gerust straks nog even terug, misschien is er dan wel een medewerker beschikbaar.',
    statusOffline: 'De chat is gesloten, er zijn geen beantwoorders online.',
    statusOfflineExplain: 'Dit wil zeggen dat je probeert te chatten buiten de gewone openingsuren of dat het, door uitzonderlijke omstandigheden, voor ons onmogelijk is om op de chat te zijn.',
    statusUnknown: 'Status onbekend.',
    statusUnknownExplain: 'We konden niet nagaan of de chat open is. Je kan het toch proberen.',
    statusNoteFailed: 'De status van de chat kon niet opgehaald worden. We proberen het zo opnieuw.',
    statusNoteStale: 'De status kon niet vernieuwd worden. Wat je hier ziet, is misschien niet meer juist.',
    noServices: 'Er is op dit moment geen chat beschikbaar.',
    startChat: 'Start een chat →',
    hours: 'Openingsuren: ',
    nextOpening: 'De chat is opnieuw open op ',
    mailIntro: 'Als de chat offline of bezet is, kan je ons een e-mail sturen: ',
    contactPage: 'Andere contactgegevens',
    newWindow: ' (opent in een nieuw venster)',
    weekdays: ['zondag', 'maandag', 'dinsdag', 'woensdag', 'donderdag', 'vrijdag', 'zaterdag'],
    months: ['januari', 'februari', 'maart', 'april', 'mei', 'juni', 'juli', 'augustus',
      'september', 'oktober', 'november', 'december'],
    at: ' om ',

    // start form
    nicknameMissing: 'Vul een nickname in.',
    nicknameTooLong: 'Je nickname mag maximaal ' + MAX_NICKNAME_CHARS + ' tekens lang zijn.',
    nicknameControl: 'Je nickname mag geen onzichtbare stuurtekens bevatten.',
    ageInvalid: 'Vul een leeftijd in tussen ' + MIN_AGE + ' en ' + MAX_AGE + ', of laat het veld leeg.',

    // chat
    chatTitle: 'Chat',
    connection: {
      idle: 'Niet verbonden',
      connecting: 'Verbinden…',
      open: 'Verbonden',
      closed: 'Verbinding verbroken',
      ended: 'Gesprek beëindigd',
    },
    queueUnknown: 'Je staat in de wachtrij',
    queuePosition: function (n) { return 'Je staat in de wachtrij (plaats ' + n + ')'; },
    assigned: 'Een hulpverlener heeft je gesprek opgenomen.',
    reconnected: 'Je bent opnieuw verbonden.',
    lostNotice: 'De verbinding is verbroken.',
    who: { visitor: 'Jij', counselor: 'Hulpverlener', relay: 'Chathulp' },
    sending: 'verzenden…',
    sent: 'verzonden',
    failed: 'niet verzonden',
    failedTooLarge: 'te lang, niet verzonden',
    retry: 'Opnieuw versturen',
    tooLong: function (over) {
      return 'Je bericht is te lang om in één keer te versturen (ongeveer ' + over +
        ' tekens te veel). Maak het korter of verstuur het in delen.';
    },
    notConnected: 'Je bent nu niet verbonden. Je bericht is niet verstuurd.',
    notYet: 'Even geduld, we maken verbinding met de chat.',

    // connection problems
    disconnected: 'De verbinding is verbroken. Meld je binnen de vijf minuten opnieuw aan met dezelfde nickname, dan wordt het gesprek als alles goed gaat terug opgepikt door dezelfde hulpverlener.',
    relayRestart: 'De verbinding is verbroken, omdat de chat even opnieuw opstart. Verbind binnen de vijf minuten opnieuw met dezelfde nickname, dan wordt het gesprek als alles goed gaat terug opgepikt door dezelfde hulpverlener.',
    connectFailed: 'De verbinding is verbroken: we konden de chat niet bereiken. Controleer je internetverbinding en probeer opnieuw.',
    policyClose: 'De verbinding is verbroken door de chat. Probeer het later opnieuw.',
    reconnectHint: 'Verbind opnieuw om verder te chatten. We gebruiken dezelfde nickname.',

    // end
    endedBy: {
      visitor: 'Je hebt het gesprek beëindigd.',
      counselor: 'De hulpverlener heeft het gesprek beëindigd.',
      relay: 'Het gesprek werd beëindigd door de chat.',
    },
    endedReason: 'Reden: ',
    endedMail: 'Wil je later nog iets kwijt? Je kan ons een e-mail sturen: ',

    // relay errors
    errors: {
      service_offline: 'De chat is gesloten, er zijn geen beantwoorders online. Je kan ons wel een e-mail sturen.',
      service_busy: 'Alle medewerkers zijn momenteel in gesprek. Kom dan gerust straks nog even terug, misschien is er dan wel een medewerker beschikbaar.',
      too_large: 'Je bericht is te lang en werd niet verstuurd. Maak het korter of verstuur het in delen.',
      invalid: 'Wat je invulde, werd niet aanvaard. Controleer je nickname en probeer opnieuw.',
      unsupported_version: 'Deze pagina is verouderd. Herlaad de pagina en probeer opnieuw.',
      conversation_ended: 'Dit gesprek is al beëindigd.',
      forbidden: 'Je hebt op dit moment geen toegang tot de chat. Heb je dringend hulp nodig? Bel dan 112, of de Zelfmoordlijn op 1813. Je kan ons ook een e-mail sturen.',
      internal: 'Er ging iets mis bij het versturen. Je bericht werd niet bewaard; probeer het opnieuw.',
      generic: 'Er ging iets mis. Probeer het opnieuw.',
    },
  };

  // ---------------------------------------------------------------- state

  const state = {
    view: 'choose', // 'choose' | 'start' | 'chat'

    services: [], // entries from /api/status
    servicesKnown: false, // at least one successful /api/status
    statusFailed: false,
    statusInFlight: false,
    polling: false,
    pollTimer: null,

    serviceId: null,
    nickname: '',
    intake: {},

    // 'idle' | 'connecting' | 'queued' | 'chatting' | 'ending' | 'ended' | 'disconnected'
    phase: 'idle',
    ws: null,
    welcomed: false, // the current socket got `welcome`
    everWelcomed: false, // some socket of this conversation got `welcome`
    assigned: false,
    helloRejected: false,
    queuePosition: null,
    outbox: new Map(), // client_id -> { text, item, status }
    seenSeqs: new Set(),
    lastTypingSent: 0,
    typingTimer: null,
    endTimer: null,

    errorSource: '', // what the message in #error is about, so it can be cleared on fix
  };

  /** Elements, looked up once in init(). */
  const el = {};

  // ---------------------------------------------------------------- small helpers

  function utf8Length(text) {
    return new TextEncoder().encode(text).length;
  }

  function codePointLength(text) {
    return Array.from(text).length;
  }

  function hasControlChars(text) {
    return /[\u0000-\u001f\u007f-\u009f]/.test(text);
  }

  function newClientId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, '0'); }).join('');
  }

  function pad2(n) {
    return String(n).padStart(2, '0');
  }

  /** "14.05", in the visitor's own clock. */
  function formatTime(atMs) {
    const d = new Date(atMs);
    return pad2(d.getHours()) + '.' + pad2(d.getMinutes());
  }

  /**
   * "maandag 30 november om 13.00" from an RFC 3339 time such as
   * "2026-11-30T13:00:00+01:00". The relay writes the Europe/Brussels offset, so the
   * wall-clock part of the string is already Belgian time and is used as written.
   */
  function formatOpening(rfc3339) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(String(rfc3339 || ''));
    if (!m) return '';
    const year = Number(m[1]);
    const month = Number(m[2]);
    const day = Number(m[3]);
    if (month < 1 || month > 12 || day < 1 || day > 31) return '';
    const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
    return TEXT.weekdays[weekday] + ' ' + day + ' ' + TEXT.months[month - 1] +
      TEXT.at + m[4] + '.' + m[5];
  }

  function serviceById(id) {
    const list = state.services.length ? state.services : FALLBACK_SERVICES;
    return list.find(function (s) { return s.id === id; }) || null;
  }

  function statusClass(status) {
    return status === 'online' || status === 'busy' || status === 'offline' ? status : 'unknown';
  }

  function canStart(service) {
    const s = statusClass(service.status);
    return s === 'online' || s === 'unknown';
  }

  function statusTexts(service) {
    const s = statusClass(service.status);
    const fromApi = typeof service.message === 'string' ? service.message.trim() : '';
    const defaults = {
      online: [TEXT.statusOnline, ''],
      busy: [TEXT.statusBusy, TEXT.statusBusyExplain],
      offline: [TEXT.statusOffline, TEXT.statusOfflineExplain],
      unknown: [TEXT.statusUnknown, TEXT.statusUnknownExplain],
    }[s];
    const message = fromApi || defaults[0];
    // Add the seed's explanation unless the relay's message already contains it.
    const explain = defaults[1] && message.indexOf(defaults[1]) === -1 ? defaults[1] : '';
    return { message: message, explain: explain };
  }

  function makeLink(href, text, newWindow) {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    if (newWindow) {
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      const hint = document.createElement('span');
      hint.className = 'visually-hidden';
      hint.textContent = TEXT.newWindow;
      a.appendChild(hint);
    }
    return a;
  }

  function makeEl(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // ---------------------------------------------------------------- errors

  function showError(text, source) {
    el.error.textContent = text || '';
    state.errorSource = source || '';
  }

  /** Clears #error; with `source`, only if the shown error came from there. */
  function clearError(source) {
    if (source && state.errorSource !== source) return;
    el.error.textContent = '';
    state.errorSource = '';
  }

  function setFieldError(input, errorEl, text) {
    errorEl.textContent = text || '';
    errorEl.hidden = !text;
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  // ---------------------------------------------------------------- views

  function showView(name, focusTarget) {
    state.view = name;
    el.viewChoose.hidden = name !== 'choose';
    el.viewStart.hidden = name !== 'start';
    el.viewChat.hidden = name !== 'chat';
    if (name === 'chat') stopPolling();
    else startPolling();
    if (focusTarget) focusTarget.focus();
  }

  // ---------------------------------------------------------------- status and services

  async function fetchStatus() {
    if (state.statusInFlight) return;
    state.statusInFlight = true;
    const ctrl = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = ctrl ? setTimeout(function () { ctrl.abort(); }, STATUS_TIMEOUT_MS) : null;
    try {
      const res = await fetch(STATUS_URL, {
        cache: 'no-store',
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
        signal: ctrl ? ctrl.signal : undefined,
      });
      if (!res.ok) throw new Error('status HTTP ' + res.status);
      const data = await res.json();
      if (!data || !Array.isArray(data.services)) throw new Error('status without services');
      state.services = data.services.filter(isServiceEntry);
      state.servicesKnown = true;
      state.statusFailed = false;
    } catch (e) {
      state.statusFailed = true;
    } finally {
      if (timer) clearTimeout(timer);
      state.statusInFlight = false;
    }
    renderServices();
    renderChosenService();
  }

  function isServiceEntry(s) {
    return s && typeof s.id === 'string' && s.id !== '' && typeof s.name === 'string';
  }

  function startPolling() {
    if (state.polling) return;
    state.polling = true;
    pollOnce();
  }

  function stopPolling() {
    state.polling = false;
    clearTimeout(state.pollTimer);
    state.pollTimer = null;
  }

  async function pollOnce() {
    clearTimeout(state.pollTimer);
    await fetchStatus();
    if (state.polling) state.pollTimer = setTimeout(pollOnce, STATUS_POLL_MS);
  }

  function servicesToShow() {
    if (state.servicesKnown) return state.services;
    if (state.statusFailed) return FALLBACK_SERVICES;
    return null; // still loading
  }

  function renderServices() {
    const services = servicesToShow();
    if (!services) return;
    const list = el.serviceList;
    list.setAttribute('aria-busy', 'false');

    let note = '';
    if (state.statusFailed) note = state.servicesKnown ? TEXT.statusNoteStale : TEXT.statusNoteFailed;
    if (services.length === 0) note = TEXT.noServices;
    el.statusNote.textContent = note;

    // Update items in place, so keyboard focus stays on a service button during polling.
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

  function createServiceItem(id) {
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
    button.append(
      dot,
      makeEl('span', 'service-name'),
      message,
      makeEl('span', 'service-cta', TEXT.startChat)
    );

    const info = makeEl('div', 'service-info');
    const mail = makeEl('p', 'service-mail');
    mail.append(document.createTextNode(TEXT.mailIntro), makeLink('mailto:', ''));
    const contact = makeEl('p', 'service-contact');
    if (CONTACT_PAGES[id]) contact.append(makeLink(CONTACT_PAGES[id], TEXT.contactPage, true));
    info.append(makeEl('p', 'service-hours'), makeEl('p', 'service-next'), mail, contact);

    item.append(button, info);
    return item;
  }

  function updateServiceItem(item, service) {
    const status = statusClass(service.status);
    const texts = statusTexts(service);
    const startable = canStart(service);
    const closed = status === 'busy' || status === 'offline';

    const button = item.querySelector('.service');
    button.querySelector('.dot').className = 'dot ' + status;
    button.querySelector('.service-name').textContent = service.name;
    button.querySelector('.status-main').textContent = texts.message;
    button.querySelector('.status-explanation').textContent = texts.explain ? ' ' + texts.explain : '';
    button.querySelector('.service-cta').hidden = !startable;
    if (startable) button.removeAttribute('aria-disabled');
    else button.setAttribute('aria-disabled', 'true');

    const hours = item.querySelector('.service-hours');
    hours.textContent = service.hours ? TEXT.hours + service.hours : '';
    hours.hidden = !service.hours;

    const next = item.querySelector('.service-next');
    const opening = closed ? formatOpening(service.next_opening) : '';
    next.textContent = opening ? TEXT.nextOpening + opening + '.' : '';
    next.hidden = !opening;

    const mail = item.querySelector('.service-mail');
    const email = typeof service.email === 'string' ? service.email.trim() : '';
    const link = mail.querySelector('a');
    link.href = 'mailto:' + email;
    link.textContent = email;
    mail.hidden = !(closed && email);

    item.querySelector('.service-contact').hidden = !(closed && CONTACT_PAGES[service.id]);
  }

  function renderChosenService() {
    const service = serviceById(state.serviceId);
    if (!service) return;
    const status = statusClass(service.status);
    el.chosenService.querySelector('.dot').className = 'dot ' + status;
    el.chosenService.querySelector('.chosen-name').textContent = service.name;
    el.chosenService.querySelector('.chosen-status').textContent = statusTexts(service).message;
  }

  function onServiceListClick(event) {
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

  function readStartForm() {
    const nickname = el.nickname.value.trim();
    let nicknameError = '';
    if (nickname === '') nicknameError = TEXT.nicknameMissing;
    else if (codePointLength(nickname) > MAX_NICKNAME_CHARS) nicknameError = TEXT.nicknameTooLong;
    else if (hasControlChars(nickname)) nicknameError = TEXT.nicknameControl;

    const intake = {};
    let ageError = '';
    const ageRaw = el.age.value.trim();
    if (el.age.validity && el.age.validity.badInput) {
      ageError = TEXT.ageInvalid;
    } else if (ageRaw !== '') {
      const age = Number(ageRaw);
      if (!/^\d{1,3}$/.test(ageRaw) || age < MIN_AGE || age > MAX_AGE) ageError = TEXT.ageInvalid;
      else intake.age = age;
    }
    if (el.region.value) intake.region = el.region.value;
    if (el.gender.value) intake.gender = el.gender.value;

    return { nickname: nickname, intake: intake, nicknameError: nicknameError, ageError: ageError };
  }

  function onStartSubmit(event) {
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
    showView('chat', el.messageInput);
    connect();
  }

  function onBackClick() {
    clearError();
    showView('choose', el.chooseTitle);
  }

  // ---------------------------------------------------------------- WebSocket

  function socketUrl() {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + WS_PATH;
  }

  function connect() {
    closeSocket();
    state.phase = 'connecting';
    state.welcomed = false;
    state.helloRejected = false;
    renderChat();
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (e) {
      onSocketClosed({ code: 0 });
      return;
    }
    state.ws = ws;
    ws.addEventListener('open', function () { if (state.ws === ws) sendHello(); });
    ws.addEventListener('message', function (ev) { if (state.ws === ws) onSocketMessage(ev); });
    ws.addEventListener('close', function (ev) {
      if (state.ws !== ws) return;
      state.ws = null;
      onSocketClosed(ev);
    });
  }

  function closeSocket() {
    const ws = state.ws;
    state.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) {
      try { ws.close(CLOSE_NORMAL); } catch (e) { /* already closing */ }
    }
  }

  function socketOpen() {
    return !!state.ws && state.ws.readyState === WebSocket.OPEN;
  }

  function sendFrame(frame) {
    if (!socketOpen()) return false;
    state.ws.send(JSON.stringify(frame));
    return true;
  }

  function sendHello() {
    sendFrame({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      service: state.serviceId,
      nickname: state.nickname,
      intake: state.intake,
    });
  }

  function onSocketMessage(event) {
    if (typeof event.data !== 'string') return;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (frame && typeof frame.type === 'string') handleEvent(frame);
  }

  function handleEvent(frame) {
    switch (frame.type) {
      case 'welcome': return onWelcome();
      case 'queued': return onQueued(frame.position);
      case 'assigned': return onAssigned();
      case 'message': return onChatMessage(frame.message);
      case 'ack': return onAck(frame);
      case 'typing': return showCounselorTyping();
      case 'ended': return finishConversation(frame.by, frame.reason);
      case 'error': return onRelayError(frame);
      default: return undefined; // newer relay; ignore unknown events
    }
  }

  function markWelcomed() {
    if (state.welcomed) return;
    state.welcomed = true;
    if (state.everWelcomed) addNotice(TEXT.reconnected);
    state.everWelcomed = true;
    clearError();
  }

  function onWelcome() {
    markWelcomed();
    if (state.phase === 'connecting') state.phase = state.assigned ? 'chatting' : 'queued';
    renderChat();
  }

  function onQueued(position) {
    markWelcomed();
    if (state.phase === 'ending' || state.phase === 'ended') return;
    state.phase = 'queued';
    state.queuePosition = Number.isInteger(position) && position > 0 ? position : null;
    renderChat();
  }

  function onAssigned() {
    markWelcomed();
    if (state.phase === 'ending' || state.phase === 'ended') return;
    state.phase = 'chatting';
    state.queuePosition = null;
    if (!state.assigned) addNotice(TEXT.assigned);
    state.assigned = true;
    renderChat();
  }

  function onChatMessage(message) {
    if (!message || typeof message.text !== 'string') return;
    if (typeof message.seq === 'number') {
      if (state.seenSeqs.has(message.seq)) return;
      state.seenSeqs.add(message.seq);
    }
    const from = message.from === 'visitor' || message.from === 'relay' ? message.from : 'counselor';
    if (from === 'counselor') {
      hideCounselorTyping();
      if (!state.assigned && state.phase === 'queued') onAssigned();
    }
    const item = createMessageItem(from, message.text);
    if (typeof message.seq === 'number') item.dataset.seq = String(message.seq);
    setMessageMeta(item, message.at_ms, from === 'visitor' ? TEXT.sent : '');
    appendToLog(item, from === 'visitor');
  }

  function onAck(frame) {
    const entry = state.outbox.get(frame.client_id);
    if (typeof frame.seq === 'number') state.seenSeqs.add(frame.seq);
    if (!entry) return;
    state.outbox.delete(frame.client_id);
    entry.item.classList.remove('pending', 'failed');
    if (typeof frame.seq === 'number') entry.item.dataset.seq = String(frame.seq);
    setMessageMeta(entry.item, frame.at_ms, TEXT.sent);
  }

  function onRelayError(frame) {
    const code = typeof frame.code === 'string' ? frame.code : '';
    if (frame.client_id && state.outbox.has(frame.client_id)) {
      markMessageFailed(frame.client_id, code);
      if (code === 'conversation_ended') finishConversation('relay');
      else showError(TEXT.errors[code] || TEXT.errors.internal);
      return;
    }
    if (!state.welcomed && state.phase === 'connecting') return onHelloRejected(code);
    if (code === 'conversation_ended') return finishConversation('relay');
    // After `welcome`, "invalid" is not about the nickname any more.
    showError(code === 'invalid' ? TEXT.errors.generic : (TEXT.errors[code] || TEXT.errors.generic));
  }

  /** The relay refused `hello`: go back to where the visitor can fix it. */
  function onHelloRejected(code) {
    state.helloRejected = true;
    closeSocket();
    state.phase = 'idle';
    renderChat();
    const text = TEXT.errors[code] || TEXT.errors.generic;
    if (code === 'invalid') {
      showView('start', el.nickname);
    } else if (state.everWelcomed) {
      // A reconnect was refused: keep the transcript on screen.
      state.phase = 'disconnected';
      renderChat();
    } else {
      showView('choose', el.chooseTitle);
      fetchStatus();
    }
    showError(text);
  }

  function onSocketClosed(event) {
    if (state.phase === 'ended' || state.helloRejected) return;
    if (state.phase === 'ending') { finishConversation('visitor'); return; }

    const text = closeText(event.code);
    state.phase = 'disconnected';
    state.welcomed = false;
    hideCounselorTyping();
    failPendingMessages();
    if (state.everWelcomed) addNotice(TEXT.lostNotice);
    el.reconnectText.textContent = TEXT.reconnectHint;
    showError(text, 'connection');
    renderChat();
  }

  function closeText(code) {
    if (code === CLOSE_GOING_AWAY) return TEXT.relayRestart;
    if (code === CLOSE_POLICY) return TEXT.policyClose;
    if (code === CLOSE_TOO_BIG) return TEXT.errors.too_large;
    if (!state.everWelcomed) return TEXT.connectFailed;
    return TEXT.disconnected;
  }

  function onReconnectClick() {
    clearError();
    connect();
    el.messageInput.focus();
  }

  // ---------------------------------------------------------------- chat view

  function canSend() {
    return socketOpen() && state.welcomed && (state.phase === 'queued' || state.phase === 'chatting');
  }

  function renderChat() {
    const phase = state.phase;
    const service = serviceById(state.serviceId);
    el.chatTitle.textContent = service ? TEXT.chatTitle + ' – ' + service.name : TEXT.chatTitle;

    const connKey = phase === 'ended' ? 'ended'
      : phase === 'disconnected' ? 'closed'
        : phase === 'connecting' ? 'connecting'
          : phase === 'idle' ? 'idle' : 'open';
    el.connection.textContent = TEXT.connection[connKey];
    el.connection.classList.toggle('is-open', connKey === 'open');
    el.connection.classList.toggle('is-closed', connKey === 'closed');

    el.queueInfo.hidden = phase !== 'queued';
    el.queuePosition.textContent = state.queuePosition
      ? TEXT.queuePosition(state.queuePosition)
      : TEXT.queueUnknown;

    el.reconnect.hidden = phase !== 'disconnected';
    el.composer.hidden = phase === 'ended';
    el.sendButton.disabled = !canSend();
    el.chatActions.hidden = phase === 'ended' || phase === 'idle';
    el.endButton.disabled = phase === 'ending';
    el.ended.hidden = phase !== 'ended';
  }

  function createMessageItem(from, text) {
    const item = makeEl('div', 'msg msg-' + from);
    item.append(
      makeEl('p', 'msg-who', TEXT.who[from]),
      makeEl('p', 'msg-text', text), // textContent only
      makeEl('p', 'msg-meta')
    );
    return item;
  }

  function setMessageMeta(item, atMs, statusText) {
    const meta = item.querySelector('.msg-meta');
    meta.textContent = '';
    if (typeof atMs === 'number' && isFinite(atMs)) {
      const time = document.createElement('time');
      time.dateTime = new Date(atMs).toISOString();
      time.textContent = formatTime(atMs);
      meta.append(time);
      if (statusText) meta.append(document.createTextNode(' · ' + statusText));
    } else if (statusText) {
      meta.textContent = statusText;
    }
  }

  function appendToLog(node, forceScroll) {
    const log = el.messages;
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    log.appendChild(node);
    if (forceScroll || nearBottom) log.scrollTop = log.scrollHeight;
  }

  function addNotice(text) {
    appendToLog(makeEl('p', 'notice-line', text), false);
  }

  function markMessageFailed(clientId, code) {
    const entry = state.outbox.get(clientId);
    if (!entry) return;
    entry.status = 'failed';
    entry.item.classList.remove('pending');
    entry.item.classList.add('failed');
    const meta = entry.item.querySelector('.msg-meta');
    meta.textContent = code === 'too_large' ? TEXT.failedTooLarge : TEXT.failed;
    if (code !== 'too_large' && code !== 'conversation_ended' && state.phase !== 'ended') {
      const retry = makeEl('button', 'msg-retry', TEXT.retry);
      retry.type = 'button';
      retry.dataset.clientId = clientId;
      meta.append(retry);
    }
  }

  function failPendingMessages() {
    state.outbox.forEach(function (entry, clientId) {
      if (entry.status === 'pending') markMessageFailed(clientId, '');
    });
  }

  function sendChatText(clientId, text) {
    const entry = state.outbox.get(clientId);
    entry.status = 'pending';
    entry.item.classList.remove('failed');
    entry.item.classList.add('pending');
    setMessageMeta(entry.item, null, TEXT.sending);
    sendFrame({ type: 'send', client_id: clientId, text: text });
  }

  function frameBytes(text) {
    // client_id is 32 hex characters; see newClientId().
    return utf8Length(JSON.stringify({ type: 'send', client_id: '0'.repeat(32), text: text }));
  }

  function fits(text) {
    return utf8Length(text) <= MAX_TEXT_BYTES && frameBytes(text) <= MAX_FRAME_BYTES;
  }

  /** How many characters must go from the end of `text` before it may be sent (0: fits). */
  function tooLongBy(text) {
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

  function sendCurrentMessage() {
    const text = el.messageInput.value;
    if (text.trim() === '') return;
    const over = tooLongBy(text);
    if (over > 0) {
      showError(TEXT.tooLong(over), 'length');
      renderLengthHint();
      el.messageInput.focus();
      return;
    }
    if (!canSend()) {
      showError(state.phase === 'connecting' ? TEXT.notYet : TEXT.notConnected);
      return;
    }
    clearError();
    const clientId = newClientId();
    const item = createMessageItem('visitor', text);
    item.dataset.clientId = clientId;
    state.outbox.set(clientId, { text: text, item: item, status: 'pending' });
    appendToLog(item, true);
    sendChatText(clientId, text);
    el.messageInput.value = '';
    renderLengthHint();
  }

  function onRetryClick(event) {
    const button = event.target.closest('button.msg-retry');
    if (!button) return;
    const clientId = button.dataset.clientId;
    const entry = state.outbox.get(clientId);
    if (!entry) return;
    if (!canSend()) { showError(TEXT.notConnected); return; }
    clearError();
    sendChatText(clientId, entry.text);
  }

  function renderLengthHint() {
    const over = tooLongBy(el.messageInput.value);
    el.messageLength.textContent = over > 0 ? TEXT.tooLong(over) : '';
    el.messageLength.hidden = over === 0;
    if (over === 0) clearError('length');
    if (over > 0) el.messageInput.setAttribute('aria-invalid', 'true');
    else el.messageInput.removeAttribute('aria-invalid');
  }

  function onComposerSubmit(event) {
    event.preventDefault();
    sendCurrentMessage();
  }

  function onComposerKeydown(event) {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    sendCurrentMessage();
  }

  function onComposerInput() {
    renderLengthHint();
    maybeSendTyping();
  }

  /** At most one `typing` every 3 s, only once a counselor has the conversation. Never text. */
  function maybeSendTyping() {
    if (state.phase !== 'chatting' || !canSend()) return;
    if (el.messageInput.value.trim() === '') return;
    const now = Date.now();
    if (now - state.lastTypingSent < TYPING_THROTTLE_MS) return;
    state.lastTypingSent = now;
    sendFrame({ type: 'typing' });
  }

  function showCounselorTyping() {
    if (state.phase !== 'chatting' && state.phase !== 'queued') return;
    el.typing.hidden = false;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(hideCounselorTyping, TYPING_SHOW_MS);
  }

  function hideCounselorTyping() {
    clearTimeout(state.typingTimer);
    state.typingTimer = null;
    el.typing.hidden = true;
  }

  // ---------------------------------------------------------------- ending

  function openEndDialog() {
    if (typeof el.endDialog.showModal === 'function') el.endDialog.showModal();
    else el.endDialog.setAttribute('open', '');
    el.endCancel.focus();
  }

  function closeEndDialog() {
    if (!el.endDialog.open) return;
    if (typeof el.endDialog.close === 'function') el.endDialog.close();
    else el.endDialog.removeAttribute('open');
  }

  function onEndCancel() {
    closeEndDialog();
    el.endButton.focus();
  }

  function onEndConfirm() {
    closeEndDialog();
    if (socketOpen()) {
      sendFrame({ type: 'end' });
      state.phase = 'ending';
      renderChat();
      // If the relay does not answer with `ended`, end on our side anyway.
      state.endTimer = setTimeout(function () { finishConversation('visitor'); }, END_FALLBACK_MS);
    } else {
      finishConversation('visitor');
    }
  }

  function finishConversation(by, reason) {
    if (state.phase === 'ended') return;
    clearTimeout(state.endTimer);
    state.endTimer = null;
    state.phase = 'ended';
    clearError();
    closeSocket();
    closeEndDialog();
    hideCounselorTyping();
    failPendingMessages();

    el.endedDetail.textContent = TEXT.endedBy[by] || TEXT.endedBy.relay;
    el.endedReason.textContent = typeof reason === 'string' && reason ? TEXT.endedReason + reason : '';
    el.endedReason.hidden = !reason;
    renderEndedMail();
    el.messageLength.hidden = true;
    renderChat();
    el.endedTitle.focus();
  }

  function renderEndedMail() {
    const service = serviceById(state.serviceId);
    const email = service && typeof service.email === 'string' ? service.email.trim() : '';
    el.endedMail.textContent = '';
    el.endedMail.hidden = !email;
    if (email) el.endedMail.append(document.createTextNode(TEXT.endedMail), makeLink('mailto:' + email, email));
  }

  function resetConversation() {
    closeSocket();
    clearTimeout(state.endTimer);
    hideCounselorTyping();
    state.phase = 'idle';
    state.welcomed = false;
    state.everWelcomed = false;
    state.assigned = false;
    state.helloRejected = false;
    state.queuePosition = null;
    state.outbox = new Map();
    state.seenSeqs = new Set();
    state.lastTypingSent = 0;
    el.messages.textContent = '';
    el.messageInput.value = '';
    el.reconnectText.textContent = '';
    renderLengthHint();
    renderChat();
  }

  function onRestartClick() {
    clearError();
    resetConversation();
    showView('choose', el.chooseTitle);
  }

  // ---------------------------------------------------------------- quick exit

  /** "Snel weg": end the chat, forget everything, and leave without a Back entry. */
  function quickExit(event) {
    if (event) event.preventDefault();
    try {
      if (socketOpen() && state.phase !== 'ended') sendFrame({ type: 'end' });
      closeSocket();
    } catch (e) { /* leaving anyway */ }
    try { sessionStorage.clear(); } catch (e) { /* storage blocked */ }
    try { localStorage.clear(); } catch (e) { /* storage blocked */ }
    if (el.messages) el.messages.textContent = '';
    if (el.messageInput) el.messageInput.value = '';
    if (el.startForm) el.startForm.reset();
    location.replace(QUICK_EXIT_URL);
  }

  // ---------------------------------------------------------------- init

  function byId(id) {
    return document.getElementById(id);
  }

  function lookupElements() {
    const ids = {
      error: 'error', quickExit: 'quick-exit',
      viewChoose: 'view-choose', viewStart: 'view-start', viewChat: 'view-chat',
      chooseTitle: 'choose-title', statusNote: 'status-note', serviceList: 'service-list',
      chosenService: 'chosen-service', startForm: 'start-form', nickname: 'nickname',
      nicknameError: 'nickname-error', age: 'age', ageError: 'age-error', region: 'region',
      gender: 'gender', startButton: 'start-button', backButton: 'back-button',
      chatTitle: 'chat-title', connection: 'connection', queueInfo: 'queue-info',
      queuePosition: 'queue-position', reconnect: 'reconnect', reconnectText: 'reconnect-text',
      reconnectButton: 'reconnect-button', messages: 'messages', typing: 'typing',
      composer: 'composer', messageInput: 'message-input', sendButton: 'send-button',
      messageLength: 'message-length', chatActions: 'chat-actions', endButton: 'end-button',
      ended: 'ended', endedTitle: 'ended-title', endedDetail: 'ended-detail',
      endedReason: 'ended-reason', endedMail: 'ended-mail', restartButton: 'restart-button',
      endDialog: 'end-dialog', endConfirm: 'end-confirm', endCancel: 'end-cancel',
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
    el.endButton.addEventListener('click', openEndDialog);
    el.endConfirm.addEventListener('click', onEndConfirm);
    el.endCancel.addEventListener('click', onEndCancel);
    el.restartButton.addEventListener('click', onRestartClick);
    document.addEventListener('visibilitychange', function () {
      if (!document.hidden && state.polling) pollOnce();
    });
  }

  function init() {
    lookupElements();
    if (el.quickExit) el.quickExit.addEventListener('click', quickExit);
    if (!el.serviceList) return; // the privacy page only needs "Snel weg"
    bindEvents();
    renderChat();
    showView('choose');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
