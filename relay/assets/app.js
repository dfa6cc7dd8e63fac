// chathulp visitor page.
//
// Plain JavaScript, no framework and no build step. The page speaks the visitor protocol
// of shared/src/visitor.rs over wss://HOST/ws/visitor, follows the service status with
// Server-Sent Events from GET /api/status/events, and falls back to polling
// GET /api/status when those are not available.
//
// Rules kept throughout this file:
// - every text that comes from the network is put on the page with textContent only;
// - every text of our own lives in the catalogue TEXT (nl, en, fr) below, and is put on
//   the page through a `data-i18n` key, so a change of language re-fills it;
// - one `state` object; render functions read it and update the page.
(function () {
  'use strict';

  // ---------------------------------------------------------------- constants

  /** Where "Snel weg" goes. location.replace() is used, so Back does not return here. */
  const QUICK_EXIT_URL = 'https://www.google.be/';

  const PROTOCOL_VERSION = 1;
  const WS_PATH = '/ws/visitor';
  const STATUS_URL = '/api/status';
  const STATUS_EVENTS_URL = '/api/status/events';

  // Limits, mirroring shared/src/common.rs `limits`.
  const MAX_TEXT_BYTES = 4096;
  const MAX_FRAME_BYTES = 16 * 1024;
  const MAX_NICKNAME_CHARS = 32;
  const MAX_SURVEY_TEXT_BYTES = 2000;
  const MIN_AGE = 0;
  const MAX_AGE = 120;

  const STATUS_POLL_MS = 15000;
  const STATUS_TIMEOUT_MS = 10000;
  /** After the status stream failed, try it again after this long (doubling up to the max). */
  const STATUS_STREAM_RETRY_MS = 30000;
  const STATUS_STREAM_RETRY_MAX_MS = 5 * 60000;
  const TYPING_THROTTLE_MS = 3000;
  const TYPING_SHOW_MS = 4000;
  const END_FALLBACK_MS = 3000;

  /**
   * Reconnecting after a drop: wait 1 s, 2 s, 4 s, 8 s, then every 15 s. The relay keeps
   * a dropped conversation for five minutes (seed: "binnen de vijf minuten"), counted
   * from when it notices the drop, which can be up to its idle timeout (60 s) after the
   * page noticed; the page keeps trying for the window plus that margin. After that the
   * relay has ended the conversation and `resume` could only fail.
   */
  const RECONNECT_DELAYS_MS = [1000, 2000, 4000, 8000, 15000];
  const RECONNECT_WINDOW_MS = 5 * 60000;
  const RECONNECT_MARGIN_MS = 60000;
  /** An attempt that has not got `resumed` by then is dropped and the next one planned. */
  const RESUME_TIMEOUT_MS = 10000;
  /**
   * A socket can die without a `close` event (a phone that changed networks). When a
   * sent message has had no ack and nothing else came in for this long, the page treats
   * the line as dropped and resumes; the resend is stored only once.
   */
  const ACK_TIMEOUT_MS = 15000;

  // WebSocket close codes, mirroring shared/src/common.rs `close`.
  const CLOSE_NORMAL = 1000;
  const CLOSE_GOING_AWAY = 1001;
  const CLOSE_POLICY = 1008;
  const CLOSE_TOO_BIG = 1009;
  const CLOSE_TRY_AGAIN_LATER = 1013;

  const LANGUAGES = ['nl', 'en', 'fr'];
  const DEFAULT_LANGUAGE = 'nl';
  /** sessionStorage key of the chosen language; only written when the visitor picks one. */
  const LANG_KEY = 'chathulp.lang';
  /**
   * sessionStorage key of the running conversation, so a reload (or a dropped line) can
   * resume it: { token, service, nickname, last_seq, no_dossier, unacked: [{client_id,
   * text}] }. Written from `welcome` on; removed when the conversation ends, when it can't
   * be resumed, and by "Snel weg" (which clears all storage).
   */
  const CHAT_KEY = 'chathulp.chat';

  /** Shown when /api/status cannot be read, so the visitor can still try. */
  const FALLBACK_SERVICES = [
    { id: 'caw', name: 'CAW online', status: 'unknown', hours: 'werkdagen 13.00 tot 17.00' },
    { id: 'jac', name: 'JAC online', status: 'unknown', hours: 'werkdagen 13.00 tot 19.00' },
  ];

  /** Contact pages from the seed, used when the status JSON has no `contact_url`. */
  const CONTACT_PAGES = {
    caw: 'http://www.caw.be/zoek-je-hulp',
    jac: 'https://www.caw.be/jac/contacteer-ons/',
  };

  // ---------------------------------------------------------------- texts
  //
  // One table per language. A key missing in `en` or `fr` falls back to `nl`. Keys used in
  // index.html / privacy.html (data-i18n="key") hold the same Dutch text as the HTML, which
  // is what the page shows before this script runs. The status sentences are the seed's.

  const NBSP = '\u00a0';

  const TEXT = {
    nl: {
      // page, header, footer
      pageTitle: 'Chathulp – chat met een hulpverlener van CAW of JAC',
      privacyTitle: 'Privacy en vertrouwelijkheid – Chathulp',
      skipLink: 'Naar de inhoud',
      quickExit: 'Snel weg',
      quickExitTitle: 'Verlaat deze website meteen',
      emergencyLabel: 'Noodnummers',
      emergencyCall: 'Een noodsituatie? Bel',
      or: 'of',
      suicideLine: 'Zelfmoordlijn',
      poisonCentre: 'Antigifcentrum',
      otherNumbers: 'andere noodnummers',
      newWindow: ' (opent in een nieuw venster)',
      moreInfo: 'Meer informatie',
      privacyLink: 'Privacy en vertrouwelijkheid',
      complaints: 'Klachten?',
      chatLink: 'Chat',
      backToChat: '← Terug naar de chat',
      privacyOnlyDutch: '',
      browserAdvice: 'Gebruik voor de chat Chrome, Firefox of Safari. Het gebruik van Explorer en Edge raden we af. Problemen met de chat? Mail naar',
      browserAdviceShort: 'Gebruik voor de chat Chrome, Firefox of Safari. Het gebruik van Explorer en Edge raden we af.',

      // choose a service
      chooseTitle: 'Chat met een hulpverlener',
      lead: 'Via www.caw.be en via www.jac.be kan je chatten met een professionele hulpverlener. Je krijgt informatie, advies en ondersteuning bij jouw vraag of probleem.',
      confidential: 'Het gesprek is vertrouwelijk, discreet en gratis. Je hoeft geen identiteitsgegevens in te voeren.',
      chooseService: 'Kies met wie je wil chatten',
      statusLoading: 'Status ophalen…',
      hoursNote: 'Op werkdagen zijn we elke namiddag bereikbaar: CAW online van 13.00 tot 17.00, JAC online van 13.00 tot 19.00.',

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
      hoursWorkdays: function (from, to) { return 'werkdagen ' + from + ' tot ' + to; },
      nextOpening: function (when) { return 'De chat is opnieuw open op ' + when + '.'; },
      mailIntro: 'Als de chat offline of bezet is, kan je ons een e-mail sturen: ',
      contactPage: 'Andere contactgegevens',
      weekdays: ['zondag', 'maandag', 'dinsdag', 'woensdag', 'donderdag', 'vrijdag', 'zaterdag'],
      months: ['januari', 'februari', 'maart', 'april', 'mei', 'juni', 'juli', 'augustus',
        'september', 'oktober', 'november', 'december'],
      opening: function (d) { return d.weekday + ' ' + d.day + ' ' + d.month + ' om ' + d.hh + '.' + d.mm; },

      // start form
      startTitle: 'Start een gesprek',
      nicknameLabel: 'Nickname',
      required: '(verplicht)',
      optional: '(niet verplicht)',
      nicknameHelp: 'Kies een naam waarmee de hulpverlener je kan aanspreken. Dat hoeft niet je echte naam te zijn.',
      aboutYou: 'Over jou',
      intakeHelp: 'Deze informatie maakt het makkelijker om je te helpen. Je kan deze informatie geven, maar dit is niet verplicht.',
      ageLabel: 'Leeftijd',
      regionLabel: 'Regio',
      genderLabel: 'Geslacht',
      notFilled: '— niet ingevuld —',
      ratherNotSay: 'zeg ik liever niet',
      region: {
        antwerpen: 'Antwerpen',
        limburg: 'Limburg',
        oost_vlaanderen: 'Oost-Vlaanderen',
        vlaams_brabant: 'Vlaams-Brabant',
        west_vlaanderen: 'West-Vlaanderen',
        brussel: 'Brussel',
        elders: 'elders',
      },
      gender: { female: 'vrouw', male: 'man' },
      noDossierLabel: 'Ik wil geen dossier',
      noDossierHelp: 'Als je meerdere contacten hebt met dezelfde hulpverlener, kan er een dossier aangelegd worden. Je hebt het recht om een dossier te weigeren. Je kan dit ook tijdens het gesprek nog aanpassen.',
      timeGuidance: 'We proberen een chatgesprek na 1 uur af te ronden, zodat zoveel mogelijk mensen aan de beurt kunnen komen.',
      privacyMore: 'Meer over wat we bewaren lees je bij',
      startButton: 'Start het gesprek',
      back: 'Terug',
      nicknameMissing: 'Vul een nickname in.',
      nicknameTooLong: 'Je nickname mag maximaal ' + MAX_NICKNAME_CHARS + ' tekens lang zijn.',
      nicknameControl: 'Je nickname mag geen onzichtbare stuurtekens bevatten.',
      ageInvalid: 'Vul een leeftijd in tussen ' + MIN_AGE + ' en ' + MAX_AGE + ', of laat het veld leeg.',

      // chat
      chatTitle: 'Chat',
      connection: {
        idle: 'Niet verbonden',
        connecting: 'Verbinden…',
        reconnecting: 'Verbinding herstellen…',
        open: 'Verbonden',
        closed: 'Verbinding verbroken',
        ended: 'Gesprek beëindigd',
      },
      queueUnknown: 'Je staat in de wachtrij',
      queuePosition: function (n) { return 'Je staat in de wachtrij (plaats ' + n + ')'; },
      queueHelp: 'Je kan alvast je vraag typen. De hulpverlener ziet je berichten zodra die het gesprek opneemt.',
      reconnectButton: 'Opnieuw verbinden',
      conversationLabel: 'Gesprek',
      counselorTyping: 'de hulpverlener typt…',
      yourMessage: 'Je bericht',
      messagePlaceholder: 'Typ hier je bericht…',
      composerHelp: 'Enter verstuurt, Shift+Enter geeft een nieuwe regel.',
      send: 'Verstuur',
      endButton: 'Gesprek beëindigen',
      dossierRight: 'Je hebt het recht om een dossier te weigeren. Spreek daarover met je hulpverlener.',
      dossierRefusedNotice: 'Je hebt aangegeven dat je geen dossier wil.',
      dossierAllowedNotice: 'Je hebt je weigering van een dossier ingetrokken.',
      assigned: 'Een hulpverlener heeft je gesprek opgenomen.',
      reconnected: 'Je bent opnieuw verbonden.',
      lostNotice: 'De verbinding is verbroken.',
      counselorAway: 'Je hulpverlener heeft even verbindingsproblemen.',
      counselorAwayHelp: 'Je kan gewoon verder schrijven: je berichten worden bewaard.',
      counselorBack: 'Je hulpverlener is terug.',
      requeued: 'Je hulpverlener is niet meer verbonden. Je staat opnieuw vooraan in de wachtrij.',
      who: { visitor: 'Jij', counselor: 'Hulpverlener', relay: 'Chathulp' },
      sending: 'verzenden…',
      waitingToSend: 'wordt verstuurd zodra de verbinding terug is',
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
      relayRestart: 'De verbinding is verbroken, omdat de chat even opnieuw opstart. Probeer het zo opnieuw.',
      connectFailed: 'De verbinding is verbroken: we konden de chat niet bereiken. Controleer je internetverbinding en probeer opnieuw.',
      policyClose: 'De verbinding is verbroken door de chat. Probeer het later opnieuw.',
      reconnectHint: 'Verbind opnieuw om te chatten. We gebruiken dezelfde nickname.',
      reconnecting: 'De verbinding is even weggevallen. We verbinden vanzelf opnieuw: je gesprek blijft vijf minuten bewaard, bij dezelfde hulpverlener. Wat je intussen schrijft, wordt verstuurd zodra de verbinding terug is.',
      resumeFailedTitle: 'Het gesprek kon niet hersteld worden.',
      resumeFailedDetail: 'Het gesprek is intussen afgesloten, of de verbinding was langer dan vijf minuten weg. Je kan een nieuw gesprek starten.',

      // end
      endDialogTitle: 'Gesprek beëindigen?',
      endDialogText: 'Wil je het gesprek echt beëindigen? Je kan daarna niets meer sturen in dit gesprek.',
      endConfirm: 'Ja, beëindigen',
      endCancel: 'Nee, verder chatten',
      endedTitle: 'Het gesprek is beëindigd.',
      endedBy: {
        visitor: 'Je hebt het gesprek beëindigd.',
        counselor: 'De hulpverlener heeft het gesprek beëindigd.',
        relay: 'Het gesprek werd beëindigd door de chat.',
        relayWaiting: 'De chat is gesloten terwijl je in de wachtrij stond.',
      },
      endedReason: 'Reden: ',
      endedMail: 'Wil je later nog iets kwijt? Je kan ons een e-mail sturen: ',
      endedAdvice: 'Bewaar je gesprek liever niet op een gedeelde computer. Met',
      endedAdvice2: 'verlaat je deze website meteen.',
      restartButton: 'Een nieuw gesprek starten',

      // survey
      surveyTitle: 'Een paar vragen over dit gesprek',
      surveyIntro: 'Deze vragen zijn niet verplicht. Je antwoorden zijn anoniem en de hulpverlener ziet ze niet.',
      surveyScaleHint: 'Kies een getal van 1 tot 5.',
      surveyYes: 'ja',
      surveyNo: 'nee',
      surveyClear: 'Wis dit antwoord',
      surveySubmit: 'Verstuur je antwoorden',
      surveyThanks: 'Bedankt!',
      surveyClosed: 'Deze vragenlijst kan niet meer ingevuld worden. Bedankt voor je tijd.',
      surveyLost: 'De verbinding met de chat is verbroken, daardoor kan je de vragenlijst niet meer versturen.',
      surveyEmpty: 'Je hebt nog niets ingevuld. Wil je liever niets invullen? Dan hoef je niets te versturen.',
      surveyNotSent: 'Je antwoorden konden niet verstuurd worden, omdat de verbinding verbroken is.',
      surveyFailed: 'Je antwoorden konden niet bewaard worden. Probeer het opnieuw.',
      surveyTextTooLong: function (over) {
        return 'Je antwoord is te lang (ongeveer ' + over + ' tekens te veel). Maak het wat korter.';
      },

      // relay errors
      errors: {
        service_offline: 'De chat is gesloten, er zijn geen beantwoorders online. Je kan ons wel een e-mail sturen.',
        service_busy: 'Alle medewerkers zijn momenteel in gesprek. Kom dan gerust straks nog even terug, misschien is er dan wel een medewerker beschikbaar.',
        too_large: 'Je bericht is te lang en werd niet verstuurd. Maak het korter of verstuur het in delen.',
        invalid: 'Wat je invulde, werd niet aanvaard. Controleer je nickname en probeer opnieuw.',
        unsupported_version: 'Deze pagina is verouderd. Herlaad de pagina en probeer opnieuw.',
        conversation_ended: 'Dit gesprek is al beëindigd.',
        survey_closed: 'Deze vragenlijst kan niet meer ingevuld worden.',
        forbidden: 'Je hebt op dit moment geen toegang tot de chat. Heb je dringend hulp nodig? Bel dan 112, of de Zelfmoordlijn op 1813. Je kan ons ook een e-mail sturen.',
        blocked: 'Je toegang tot deze chat is een tijdje opgeschort. Het CAW en het JAC zullen je informeren over alternatieve vormen van hulp. Heb je dringend hulp nodig? Bel dan 112, of de Zelfmoordlijn op 1813.',
        rate_limited: 'Je stuurt erg veel berichten kort na elkaar, of er zijn veel gesprekken tegelijk vanaf jouw netwerk. Wacht even en probeer het dan opnieuw; wat je al schreef, blijft staan.',
        internal: 'Er ging iets mis bij het versturen. Je bericht werd niet bewaard; probeer het opnieuw.',
        generic: 'Er ging iets mis. Probeer het opnieuw.',
      },
    },

    en: {
      pageTitle: 'Chathulp – chat with a counselor from CAW or JAC',
      privacyTitle: 'Privacy and confidentiality – Chathulp',
      skipLink: 'Skip to content',
      quickExit: 'Leave now',
      quickExitTitle: 'Leave this website immediately',
      emergencyLabel: 'Emergency numbers',
      emergencyCall: 'An emergency? Call',
      or: 'or',
      suicideLine: 'Suicide line',
      poisonCentre: 'Poison Centre',
      otherNumbers: 'other emergency numbers',
      newWindow: ' (opens in a new window)',
      moreInfo: 'More information',
      privacyLink: 'Privacy and confidentiality',
      complaints: 'Complaints?',
      chatLink: 'Chat',
      backToChat: '← Back to the chat',
      privacyOnlyDutch: 'This page is only available in Dutch.',
      browserAdvice: 'For the chat, use Chrome, Firefox or Safari. We advise against Explorer and Edge. Problems with the chat? E-mail',
      browserAdviceShort: 'For the chat, use Chrome, Firefox or Safari. We advise against Explorer and Edge.',

      chooseTitle: 'Chat with a counselor',
      lead: 'Through www.caw.be and www.jac.be you can chat with a professional counselor. You get information, advice and support with your question or problem.',
      confidential: 'The conversation is confidential, discreet and free. You do not have to give any identifying details.',
      chooseService: 'Choose who you want to chat with',
      statusLoading: 'Checking the status…',
      hoursNote: 'On working days we can be reached every afternoon: CAW online from 13.00 to 17.00, JAC online from 13.00 to 19.00.',

      statusOnline: 'The chat is open.',
      statusBusy: 'All staff members are currently in a conversation.',
      statusBusyExplain: 'Feel free to come back a little later; perhaps a staff member will be available then.',
      statusOffline: 'The chat is closed; there are no counselors online.',
      statusOfflineExplain: 'This means that you are trying to chat outside the regular opening hours, or that exceptional circumstances make it impossible for us to be on the chat.',
      statusUnknown: 'Status unknown.',
      statusUnknownExplain: 'We could not check whether the chat is open. You can try anyway.',
      statusNoteFailed: 'The status of the chat could not be retrieved. We will try again shortly.',
      statusNoteStale: 'The status could not be refreshed. What you see here may no longer be correct.',
      noServices: 'No chat is available at the moment.',
      startChat: 'Start a chat →',
      hours: 'Opening hours: ',
      hoursWorkdays: function (from, to) { return 'working days ' + from + ' to ' + to; },
      nextOpening: function (when) { return 'The chat opens again on ' + when + '.'; },
      mailIntro: 'If the chat is offline or busy, you can send us an e-mail: ',
      contactPage: 'Other contact details',
      weekdays: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
      months: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
        'September', 'October', 'November', 'December'],
      opening: function (d) { return d.weekday + ' ' + d.day + ' ' + d.month + ' at ' + d.hh + '.' + d.mm; },

      startTitle: 'Start a conversation',
      nicknameLabel: 'Nickname',
      required: '(required)',
      optional: '(optional)',
      nicknameHelp: 'Choose a name the counselor can call you by. It does not have to be your real name.',
      aboutYou: 'About you',
      intakeHelp: 'This information makes it easier to help you. You can give it, but you do not have to.',
      ageLabel: 'Age',
      regionLabel: 'Region',
      genderLabel: 'Gender',
      notFilled: '— not filled in —',
      ratherNotSay: 'I would rather not say',
      region: {
        antwerpen: 'Antwerp',
        limburg: 'Limburg',
        oost_vlaanderen: 'East Flanders',
        vlaams_brabant: 'Flemish Brabant',
        west_vlaanderen: 'West Flanders',
        brussel: 'Brussels',
        elders: 'elsewhere',
      },
      gender: { female: 'woman', male: 'man' },
      noDossierLabel: 'I do not want a case file',
      noDossierHelp: 'If you have several contacts with the same counselor, a case file (dossier) may be opened. You have the right to refuse a case file. You can also change this during the conversation.',
      timeGuidance: 'We try to round off a chat after 1 hour, so that as many people as possible get their turn.',
      privacyMore: 'Read more about what we keep in',
      startButton: 'Start the conversation',
      back: 'Back',
      nicknameMissing: 'Fill in a nickname.',
      nicknameTooLong: 'Your nickname can be at most ' + MAX_NICKNAME_CHARS + ' characters long.',
      nicknameControl: 'Your nickname may not contain invisible control characters.',
      ageInvalid: 'Fill in an age between ' + MIN_AGE + ' and ' + MAX_AGE + ', or leave the field empty.',

      chatTitle: 'Chat',
      connection: {
        idle: 'Not connected',
        connecting: 'Connecting…',
        reconnecting: 'Reconnecting…',
        open: 'Connected',
        closed: 'Connection lost',
        ended: 'Conversation ended',
      },
      queueUnknown: 'You are in the queue',
      queuePosition: function (n) { return 'You are in the queue (position ' + n + ')'; },
      queueHelp: 'You can already type your question. The counselor sees your messages as soon as they take the conversation.',
      reconnectButton: 'Reconnect',
      conversationLabel: 'Conversation',
      counselorTyping: 'the counselor is typing…',
      yourMessage: 'Your message',
      messagePlaceholder: 'Type your message here…',
      composerHelp: 'Enter sends, Shift+Enter starts a new line.',
      send: 'Send',
      endButton: 'End the conversation',
      dossierRight: 'You have the right to refuse a case file. Talk about it with your counselor.',
      dossierRefusedNotice: 'You said that you do not want a case file.',
      dossierAllowedNotice: 'You withdrew your refusal of a case file.',
      assigned: 'A counselor has taken your conversation.',
      reconnected: 'You are connected again.',
      lostNotice: 'The connection was lost.',
      counselorAway: 'Your counselor is having connection problems for a moment.',
      counselorAwayHelp: 'You can simply keep writing: your messages are kept.',
      counselorBack: 'Your counselor is back.',
      requeued: 'Your counselor is no longer connected. You are at the front of the queue again.',
      who: { visitor: 'You', counselor: 'Counselor', relay: 'Chathulp' },
      sending: 'sending…',
      waitingToSend: 'will be sent as soon as the connection is back',
      sent: 'sent',
      failed: 'not sent',
      failedTooLarge: 'too long, not sent',
      retry: 'Send again',
      tooLong: function (over) {
        return 'Your message is too long to send in one go (about ' + over +
          ' characters too many). Make it shorter or send it in parts.';
      },
      notConnected: 'You are not connected right now. Your message was not sent.',
      notYet: 'Just a moment, we are connecting to the chat.',

      relayRestart: 'The connection was lost because the chat is restarting. Please try again in a moment.',
      connectFailed: 'The connection was lost: we could not reach the chat. Check your internet connection and try again.',
      policyClose: 'The chat closed the connection. Please try again later.',
      reconnectHint: 'Reconnect to chat. We use the same nickname.',
      reconnecting: 'The connection dropped for a moment. We reconnect by ourselves: your conversation is kept for five minutes, with the same counselor. Whatever you write meanwhile is sent as soon as the connection is back.',
      resumeFailedTitle: 'The conversation could not be restored.',
      resumeFailedDetail: 'The conversation has been closed in the meantime, or the connection was gone for more than five minutes. You can start a new conversation.',

      endDialogTitle: 'End the conversation?',
      endDialogText: 'Do you really want to end the conversation? You cannot send anything more in this conversation afterwards.',
      endConfirm: 'Yes, end it',
      endCancel: 'No, keep chatting',
      endedTitle: 'The conversation has ended.',
      endedBy: {
        visitor: 'You ended the conversation.',
        counselor: 'The counselor ended the conversation.',
        relay: 'The conversation was ended by the chat.',
        relayWaiting: 'The chat closed while you were waiting in the queue.',
      },
      endedReason: 'Reason: ',
      endedMail: 'Anything else you want to share later? You can send us an e-mail: ',
      endedAdvice: 'Better not keep your conversation on a shared computer. With',
      endedAdvice2: 'you leave this website immediately.',
      restartButton: 'Start a new conversation',

      surveyTitle: 'A few questions about this conversation',
      surveyIntro: 'These questions are optional. Your answers are anonymous and the counselor does not see them.',
      surveyScaleHint: 'Choose a number from 1 to 5.',
      surveyYes: 'yes',
      surveyNo: 'no',
      surveyClear: 'Clear this answer',
      surveySubmit: 'Send your answers',
      surveyThanks: 'Thank you!',
      surveyClosed: 'This questionnaire can no longer be filled in. Thank you for your time.',
      surveyLost: 'The connection to the chat was lost, so the questionnaire can no longer be sent.',
      surveyEmpty: 'You have not filled in anything yet. Would you rather not answer? Then you do not need to send anything.',
      surveyNotSent: 'Your answers could not be sent because the connection was lost.',
      surveyFailed: 'Your answers could not be saved. Please try again.',
      surveyTextTooLong: function (over) {
        return 'Your answer is too long (about ' + over + ' characters too many). Please make it a bit shorter.';
      },

      errors: {
        service_offline: 'The chat is closed; there are no counselors online. You can send us an e-mail instead.',
        service_busy: 'All staff members are currently in a conversation. Feel free to come back a little later; perhaps a staff member will be available then.',
        too_large: 'Your message is too long and was not sent. Make it shorter or send it in parts.',
        invalid: 'What you filled in was not accepted. Check your nickname and try again.',
        unsupported_version: 'This page is out of date. Reload the page and try again.',
        conversation_ended: 'This conversation has already ended.',
        survey_closed: 'This questionnaire can no longer be filled in.',
        forbidden: 'You do not have access to the chat at the moment. Do you urgently need help? Call 112, or the suicide line on 1813. You can also send us an e-mail.',
        blocked: 'Your access to this chat has been suspended for a while. CAW and JAC will inform you about other forms of help. Do you urgently need help? Call 112, or the suicide line on 1813.',
        rate_limited: 'You are sending a lot of messages in a short time, or there are many chats at once from your network. Wait a moment and try again; what you already wrote stays here.',
        internal: 'Something went wrong while sending. Your message was not saved; please try again.',
        generic: 'Something went wrong. Please try again.',
      },
    },

    fr: {
      pageTitle: 'Chathulp – chatter avec un intervenant du CAW ou du JAC',
      privacyTitle: 'Vie privée et confidentialité – Chathulp',
      skipLink: 'Aller au contenu',
      quickExit: 'Sortie rapide',
      quickExitTitle: 'Quitter ce site immédiatement',
      emergencyLabel: 'Numéros d’urgence',
      emergencyCall: 'Une urgence' + NBSP + '? Appelle le',
      or: 'ou',
      suicideLine: 'Ligne suicide',
      poisonCentre: 'Centre Antipoisons',
      otherNumbers: 'autres numéros d’urgence',
      newWindow: ' (s’ouvre dans une nouvelle fenêtre)',
      moreInfo: 'Plus d’informations',
      privacyLink: 'Vie privée et confidentialité',
      complaints: 'Plaintes' + NBSP + '?',
      chatLink: 'Chat',
      backToChat: '← Retour au chat',
      privacyOnlyDutch: 'Cette page n’existe qu’en néerlandais.',
      browserAdvice: 'Pour le chat, utilise Chrome, Firefox ou Safari. Nous déconseillons Explorer et Edge. Des problèmes avec le chat' + NBSP + '? Écris à',
      browserAdviceShort: 'Pour le chat, utilise Chrome, Firefox ou Safari. Nous déconseillons Explorer et Edge.',

      chooseTitle: 'Chatter avec un intervenant',
      lead: 'Via www.caw.be et www.jac.be, tu peux chatter avec un intervenant professionnel. Tu reçois des informations, des conseils et du soutien pour ta question ou ton problème.',
      confidential: 'La conversation est confidentielle, discrète et gratuite. Tu ne dois donner aucune donnée d’identité.',
      chooseService: 'Choisis avec qui tu veux chatter',
      statusLoading: 'Vérification du statut…',
      hoursNote: 'Les jours ouvrables, nous sommes joignables chaque après-midi' + NBSP + ': CAW online de 13h00 à 17h00, JAC online de 13h00 à 19h00.',

      statusOnline: 'Le chat est ouvert.',
      statusBusy: 'Tous les collaborateurs sont actuellement en conversation.',
      statusBusyExplain: 'N’hésite pas à revenir un peu plus tard, peut-être qu’un collaborateur sera alors disponible.',
      statusOffline: 'Le chat est fermé, il n’y a pas d’intervenants en ligne.',
      statusOfflineExplain: 'Cela veut dire que tu essaies de chatter en dehors des heures d’ouverture habituelles, ou que des circonstances exceptionnelles nous empêchent d’être sur le chat.',
      statusUnknown: 'Statut inconnu.',
      statusUnknownExplain: 'Nous n’avons pas pu vérifier si le chat est ouvert. Tu peux quand même essayer.',
      statusNoteFailed: 'Le statut du chat n’a pas pu être récupéré. Nous réessayons bientôt.',
      statusNoteStale: 'Le statut n’a pas pu être actualisé. Ce que tu vois ici n’est peut-être plus correct.',
      noServices: 'Aucun chat n’est disponible pour le moment.',
      startChat: 'Commencer un chat →',
      hours: 'Heures d’ouverture' + NBSP + ': ',
      hoursWorkdays: function (from, to) {
        return 'jours ouvrables, de ' + from.replace('.', 'h') + ' à ' + to.replace('.', 'h');
      },
      nextOpening: function (when) { return 'Le chat rouvre le ' + when + '.'; },
      mailIntro: 'Si le chat est hors ligne ou occupé, tu peux nous envoyer un e-mail' + NBSP + ': ',
      contactPage: 'Autres coordonnées',
      weekdays: ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'],
      months: ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août',
        'septembre', 'octobre', 'novembre', 'décembre'],
      opening: function (d) { return d.weekday + ' ' + d.day + ' ' + d.month + ' à ' + d.hh + 'h' + d.mm; },

      startTitle: 'Commencer une conversation',
      nicknameLabel: 'Pseudo',
      required: '(obligatoire)',
      optional: '(facultatif)',
      nicknameHelp: 'Choisis un nom avec lequel l’intervenant peut s’adresser à toi. Ce ne doit pas être ton vrai nom.',
      aboutYou: 'À propos de toi',
      intakeHelp: 'Ces informations nous aident à mieux t’aider. Tu peux les donner, mais ce n’est pas obligatoire.',
      ageLabel: 'Âge',
      regionLabel: 'Région',
      genderLabel: 'Genre',
      notFilled: '— non rempli —',
      ratherNotSay: 'je préfère ne pas le dire',
      region: {
        antwerpen: 'Anvers',
        limburg: 'Limbourg',
        oost_vlaanderen: 'Flandre orientale',
        vlaams_brabant: 'Brabant flamand',
        west_vlaanderen: 'Flandre occidentale',
        brussel: 'Bruxelles',
        elders: 'ailleurs',
      },
      gender: { female: 'femme', male: 'homme' },
      noDossierLabel: 'Je ne veux pas de dossier',
      noDossierHelp: 'Si tu as plusieurs contacts avec le même intervenant, un dossier peut être ouvert. Tu as le droit de refuser un dossier. Tu peux aussi changer cela pendant la conversation.',
      timeGuidance: 'Nous essayons de terminer une conversation par chat après 1 heure, pour que le plus de personnes possible puissent avoir leur tour.',
      privacyMore: 'Ce que nous conservons est expliqué dans',
      startButton: 'Commencer la conversation',
      back: 'Retour',
      nicknameMissing: 'Remplis un pseudo.',
      nicknameTooLong: 'Ton pseudo peut compter ' + MAX_NICKNAME_CHARS + ' caractères au maximum.',
      nicknameControl: 'Ton pseudo ne peut pas contenir de caractères de contrôle invisibles.',
      ageInvalid: 'Indique un âge entre ' + MIN_AGE + ' et ' + MAX_AGE + ', ou laisse le champ vide.',

      chatTitle: 'Chat',
      connection: {
        idle: 'Pas de connexion',
        connecting: 'Connexion…',
        reconnecting: 'Rétablissement de la connexion…',
        open: 'Connexion établie',
        closed: 'Connexion perdue',
        ended: 'Conversation terminée',
      },
      queueUnknown: 'Tu es dans la file d’attente',
      queuePosition: function (n) { return 'Tu es dans la file d’attente (place ' + n + ')'; },
      queueHelp: 'Tu peux déjà taper ta question. L’intervenant verra tes messages dès qu’il prendra la conversation.',
      reconnectButton: 'Se reconnecter',
      conversationLabel: 'Conversation',
      counselorTyping: 'l’intervenant écrit…',
      yourMessage: 'Ton message',
      messagePlaceholder: 'Tape ton message ici…',
      composerHelp: 'Entrée envoie, Maj+Entrée crée une nouvelle ligne.',
      send: 'Envoyer',
      endButton: 'Terminer la conversation',
      dossierRight: 'Tu as le droit de refuser un dossier. Parles-en avec ton intervenant.',
      dossierRefusedNotice: 'Tu as indiqué que tu ne veux pas de dossier.',
      dossierAllowedNotice: 'Tu as retiré ton refus de dossier.',
      assigned: 'Un intervenant a pris ta conversation.',
      reconnected: 'La connexion est rétablie.',
      lostNotice: 'La connexion a été perdue.',
      counselorAway: 'Ton intervenant a des problèmes de connexion pour un instant.',
      counselorAwayHelp: 'Tu peux simplement continuer à écrire' + NBSP + ': tes messages sont conservés.',
      counselorBack: 'Ton intervenant est de retour.',
      requeued: 'Ton intervenant n’est plus connecté. Tu es de nouveau en tête de la file d’attente.',
      who: { visitor: 'Toi', counselor: 'Intervenant', relay: 'Chathulp' },
      sending: 'envoi…',
      waitingToSend: 'sera envoyé dès que la connexion sera rétablie',
      sent: 'envoyé',
      failed: 'non envoyé',
      failedTooLarge: 'trop long, non envoyé',
      retry: 'Renvoyer',
      tooLong: function (over) {
        return 'Ton message est trop long pour être envoyé en une fois (environ ' + over +
          ' caractères de trop). Raccourcis-le ou envoie-le en plusieurs parties.';
      },
      notConnected: 'La connexion est coupée pour le moment. Ton message n’a pas été envoyé.',
      notYet: 'Un instant, nous nous connectons au chat.',

      relayRestart: 'La connexion a été perdue parce que le chat redémarre. Réessaie dans un instant.',
      connectFailed: 'La connexion a été perdue' + NBSP + ': nous n’avons pas pu joindre le chat. Vérifie ta connexion internet et réessaie.',
      policyClose: 'Le chat a fermé la connexion. Réessaie plus tard.',
      reconnectHint: 'Reconnecte-toi pour chatter. Nous utilisons le même pseudo.',
      reconnecting: 'La connexion a été coupée un instant. Nous nous reconnectons automatiquement' + NBSP + ': ta conversation est conservée cinq minutes, avec le même intervenant. Ce que tu écris entre-temps sera envoyé dès que la connexion sera rétablie.',
      resumeFailedTitle: 'La conversation n’a pas pu être rétablie.',
      resumeFailedDetail: 'La conversation a été clôturée entre-temps, ou la connexion a été coupée pendant plus de cinq minutes. Tu peux commencer une nouvelle conversation.',

      endDialogTitle: 'Terminer la conversation' + NBSP + '?',
      endDialogText: 'Veux-tu vraiment terminer la conversation' + NBSP + '? Tu ne pourras plus rien envoyer dans cette conversation.',
      endConfirm: 'Oui, terminer',
      endCancel: 'Non, continuer à chatter',
      endedTitle: 'La conversation est terminée.',
      endedBy: {
        visitor: 'Tu as terminé la conversation.',
        counselor: 'L’intervenant a terminé la conversation.',
        relay: 'La conversation a été terminée par le chat.',
        relayWaiting: 'Le chat a fermé pendant que tu attendais dans la file d’attente.',
      },
      endedReason: 'Raison' + NBSP + ': ',
      endedMail: 'Tu veux encore dire quelque chose plus tard' + NBSP + '? Tu peux nous envoyer un e-mail' + NBSP + ': ',
      endedAdvice: 'Mieux vaut ne pas conserver ta conversation sur un ordinateur partagé. Avec',
      endedAdvice2: 'tu quittes ce site immédiatement.',
      restartButton: 'Commencer une nouvelle conversation',

      surveyTitle: 'Quelques questions sur cette conversation',
      surveyIntro: 'Ces questions ne sont pas obligatoires. Tes réponses sont anonymes et l’intervenant ne les voit pas.',
      surveyScaleHint: 'Choisis un chiffre de 1 à 5.',
      surveyYes: 'oui',
      surveyNo: 'non',
      surveyClear: 'Effacer cette réponse',
      surveySubmit: 'Envoyer tes réponses',
      surveyThanks: 'Merci' + NBSP + '!',
      surveyClosed: 'Ce questionnaire ne peut plus être rempli. Merci pour ton temps.',
      surveyLost: 'La connexion au chat a été perdue, le questionnaire ne peut donc plus être envoyé.',
      surveyEmpty: 'Tu n’as encore rien rempli. Tu préfères ne pas répondre' + NBSP + '? Alors tu n’as rien à envoyer.',
      surveyNotSent: 'Tes réponses n’ont pas pu être envoyées, car la connexion a été perdue.',
      surveyFailed: 'Tes réponses n’ont pas pu être enregistrées. Réessaie.',
      surveyTextTooLong: function (over) {
        return 'Ta réponse est trop longue (environ ' + over + ' caractères de trop). Raccourcis-la un peu.';
      },

      errors: {
        service_offline: 'Le chat est fermé, il n’y a pas d’intervenants en ligne. Tu peux nous envoyer un e-mail.',
        service_busy: 'Tous les collaborateurs sont actuellement en conversation. N’hésite pas à revenir un peu plus tard, peut-être qu’un collaborateur sera alors disponible.',
        too_large: 'Ton message est trop long et n’a pas été envoyé. Raccourcis-le ou envoie-le en plusieurs parties.',
        invalid: 'Ce que tu as rempli n’a pas été accepté. Vérifie ton pseudo et réessaie.',
        unsupported_version: 'Cette page est dépassée. Recharge la page et réessaie.',
        conversation_ended: 'Cette conversation est déjà terminée.',
        survey_closed: 'Ce questionnaire ne peut plus être rempli.',
        forbidden: 'Tu n’as pas accès au chat pour le moment. Tu as besoin d’aide en urgence' + NBSP + '? Appelle le 112, ou la ligne suicide au 1813. Tu peux aussi nous envoyer un e-mail.',
        blocked: 'Ton accès à ce chat est suspendu pour un moment. Le CAW et le JAC t’informeront sur d’autres formes d’aide. Tu as besoin d’aide en urgence' + NBSP + '? Appelle le 112, ou la ligne suicide au 1813.',
        rate_limited: 'Tu envoies beaucoup de messages en peu de temps, ou il y a beaucoup de conversations en même temps depuis ton réseau. Attends un instant et réessaie ; ce que tu as déjà écrit reste ici.',
        internal: 'Un problème est survenu lors de l’envoi. Ton message n’a pas été enregistré' + NBSP + '; réessaie.',
        generic: 'Un problème est survenu. Réessaie.',
      },
    },
  };

  // ---------------------------------------------------------------- state

  const state = {
    lang: DEFAULT_LANGUAGE,
    view: 'choose', // 'choose' | 'start' | 'chat'

    services: [], // entries from /api/status
    servicesKnown: false, // at least one good status (fetched or pushed)
    statusFailed: false,
    statusInFlight: false,
    statusFeed: false, // the page wants live status (not during a chat)
    eventSource: null,
    streamRetryTimer: null,
    streamRetryMs: STATUS_STREAM_RETRY_MS,
    polling: false,
    pollTimer: null,

    serviceId: null,
    nickname: '',
    intake: {},
    noDossier: false,

    // 'idle' | 'connecting' | 'queued' | 'chatting' | 'reconnecting' | 'ending' | 'ended'
    // | 'disconnected' ('reconnecting': the line dropped and the page resumes by itself;
    // 'disconnected': the first `hello` never got through, nothing to resume)
    phase: 'idle',
    ws: null,
    welcomed: false, // the current socket got `welcome` or `resumed`
    everWelcomed: false, // some socket of this conversation got `welcome`
    assigned: false,
    helloRejected: false,
    queuePosition: null,
    // client_id -> { text, item, status, shown }; status 'pending' (sent or waiting for
    // the line, no ack yet), 'failed' (refused for a reason a resend may fix) or
    // 'rejected' (refused for good, e.g. too long). Everything but 'rejected' is resent
    // on resume. `shown`: `resumed` proved it stored, its item shows it; the ack is due.
    outbox: new Map(),
    seenSeqs: new Set(),
    lastSeq: 0, // every seq up to this one is on the page (resume asks for what follows)
    resumeToken: null, // from `welcome`; secret, kept in sessionStorage only
    resuming: false, // a `resume` is on its way and `resumed` has not come yet
    restored: false, // the conversation came from sessionStorage (a reload)
    reconnectTimer: null,
    resumeTimer: null,
    ackTimer: null,
    reconnectAttempt: 0,
    reconnectDeadline: 0,
    counselorAway: false,
    lastTypingSent: 0,
    typingTimer: null,
    endTimer: null,
    end: null, // { by, reason, waiting } once ended

    // 'none' | 'open' | 'sending' | 'saved' | 'closed' | 'lost'
    survey: { status: 'none', fields: [] },

    errorSource: '', // what the message in #error is about, so it can be cleared on fix
  };

  /** Elements, looked up once in init(). */
  const el = {};

  // ---------------------------------------------------------------- texts and language

  function isLanguage(lang) {
    return LANGUAGES.indexOf(lang) !== -1;
  }

  function lookup(table, path) {
    return path.split('.').reduce(function (node, key) {
      return node && typeof node === 'object' ? node[key] : undefined;
    }, table);
  }

  /** The text of `key` (dotted path) in the current language; functions get `args`. */
  function t(key) {
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
  function setText(node, key) {
    const args = Array.prototype.slice.call(arguments, 2);
    node.dataset.i18n = key;
    if (args.length) node.dataset.i18nArgs = JSON.stringify(args);
    else delete node.dataset.i18nArgs;
    fillText(node);
  }

  function clearText(node) {
    delete node.dataset.i18n;
    delete node.dataset.i18nArgs;
    node.textContent = '';
  }

  function fillText(node) {
    let args = [];
    if (node.dataset.i18nArgs) {
      try { args = JSON.parse(node.dataset.i18nArgs); } catch (e) { args = []; }
    }
    node.textContent = t.apply(null, [node.dataset.i18n].concat(args));
  }

  /** data-i18n-attr="title:key;aria-label:key2" */
  function fillAttributes(node) {
    node.dataset.i18nAttr.split(';').forEach(function (pair) {
      const parts = pair.split(':');
      if (parts.length === 2 && parts[0].trim()) node.setAttribute(parts[0].trim(), t(parts[1].trim()));
    });
  }

  /** Links to our own pages keep the language, also in a new tab (which has its own storage). */
  function fillLangLink(link) {
    if (!link.dataset.baseHref) link.dataset.baseHref = link.getAttribute('href');
    const base = link.dataset.baseHref;
    link.setAttribute('href', state.lang === DEFAULT_LANGUAGE ? base : base + '?lang=' + state.lang);
  }

  function applyTexts() {
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
  function markRelayText(node) {
    node.classList.add('from-relay');
    if (state.lang === DEFAULT_LANGUAGE) node.removeAttribute('lang');
    else node.lang = DEFAULT_LANGUAGE;
  }

  function unmarkRelayText(node) {
    node.classList.remove('from-relay');
    node.removeAttribute('lang');
  }

  /** ?lang= (links between our pages) first, then the tab's choice, then Dutch. */
  function initialLanguage() {
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
  function rememberLanguage(lang) {
    try {
      if (lang === DEFAULT_LANGUAGE) sessionStorage.removeItem(LANG_KEY);
      else sessionStorage.setItem(LANG_KEY, lang);
    } catch (e) { /* storage blocked: the choice lasts until reload */ }
    if (location.search && history.replaceState) {
      try { history.replaceState(null, '', location.pathname + location.hash); } catch (e) { /* ignore */ }
    }
  }

  function setLanguage(lang) {
    if (!isLanguage(lang)) return;
    state.lang = lang;
    if (el.lang) el.lang.value = lang;
    applyTexts();
    if (el.serviceList) renderAll();
  }

  function onLanguageChange() {
    rememberLanguage(el.lang.value);
    setLanguage(el.lang.value);
  }

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

  /** How many characters must go from the end of `text` before `fits(text)` (0: it fits). */
  function overBy(text, fits) {
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
  function hoursText(hours) {
    const m = /^werkdagen (\d{1,2}[.:]\d{2}) tot (\d{1,2}[.:]\d{2})$/.exec(hours);
    if (m) return { text: t('hoursWorkdays', m[1].replace(':', '.'), m[2].replace(':', '.')), dutch: false };
    return { text: hours, dutch: true };
  }

  function serviceById(id) {
    const list = state.servicesKnown ? state.services : FALLBACK_SERVICES;
    return list.find(function (s) { return s.id === id; }) || null;
  }

  function statusClass(status) {
    return status === 'online' || status === 'busy' || status === 'offline' ? status : 'unknown';
  }

  function canStart(service) {
    const s = statusClass(service.status);
    return s === 'online' || s === 'unknown';
  }

  function serviceEmail(service) {
    return service && typeof service.email === 'string' ? service.email.trim() : '';
  }

  /** The service's contact page: `contact_url` from the status, else the seed's page. */
  function contactUrl(service) {
    if (!service) return '';
    const url = typeof service.contact_url === 'string' ? service.contact_url.trim() : '';
    if (/^https?:\/\//i.test(url)) return url;
    return CONTACT_PAGES[service.id] || '';
  }

  /**
   * The status sentence and its explanation. In Dutch the relay's own sentence is used
   * (it comes from the relay's config); other languages use the catalogue.
   */
  function statusTexts(service) {
    const s = statusClass(service.status);
    const keys = {
      online: ['statusOnline', ''],
      busy: ['statusBusy', 'statusBusyExplain'],
      offline: ['statusOffline', 'statusOfflineExplain'],
      unknown: ['statusUnknown', 'statusUnknownExplain'],
    }[s];
    const fromApi = typeof service.message === 'string' ? service.message.trim() : '';
    const message = state.lang === DEFAULT_LANGUAGE && fromApi ? fromApi : t(keys[0]);
    const explainText = keys[1] ? t(keys[1]) : '';
    // Add the seed's explanation unless the message already contains it.
    const explain = explainText && message.indexOf(explainText) === -1 ? explainText : '';
    return { message: message, explain: explain };
  }

  function makeEl(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  /** An element whose text is the catalogue's `key`. */
  function keyEl(tag, className, key) {
    const node = makeEl(tag, className);
    setText(node, key);
    return node;
  }

  function newWindowHint() {
    return keyEl('span', 'visually-hidden', 'newWindow');
  }

  /** A link whose text comes from the network (an e-mail address): textContent only. */
  function makeTextLink(href, text) {
    const a = makeEl('a', '', text);
    a.href = href;
    return a;
  }

  /** A link to another website whose text is the catalogue's `key`, opening a new window. */
  function makeKeyLink(href, key) {
    const a = document.createElement('a');
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.append(keyEl('span', '', key), newWindowHint());
    return a;
  }

  // ---------------------------------------------------------------- errors

  /** Shows the catalogue's `key` (with `args`) in #error; `source` says what it is about. */
  function showError(key, source) {
    const args = Array.prototype.slice.call(arguments, 2);
    setText.apply(null, [el.error, key].concat(args));
    state.errorSource = source || '';
  }

  /** Clears #error; with `source`, only if the shown error came from there. */
  function clearError(source) {
    if (source && state.errorSource !== source) return;
    clearText(el.error);
    state.errorSource = '';
  }

  function errorKey(code) {
    return lookup(TEXT[DEFAULT_LANGUAGE].errors, code) ? 'errors.' + code : '';
  }

  function setFieldError(input, errorEl, key) {
    if (key) setText(errorEl, key);
    else clearText(errorEl);
    errorEl.hidden = !key;
    if (key) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  // ---------------------------------------------------------------- views

  function showView(name, focusTarget) {
    state.view = name;
    el.viewChoose.hidden = name !== 'choose';
    el.viewStart.hidden = name !== 'start';
    el.viewChat.hidden = name !== 'chat';
    updateStatusFeed();
    if (focusTarget) focusTarget.focus();
  }

  /** Everything that depends on the language or the status, drawn again. */
  function renderAll() {
    renderServices();
    renderChosenService();
    renderChat();
    if (state.phase === 'ended') renderEndedInfo();
  }

  // ---------------------------------------------------------------- live status
  //
  // On the service choice and start views (and after a chat has ended) the page follows
  // the status: first with Server-Sent Events from /api/status/events, which push the
  // /api/status JSON on connect and on every change; if that stream fails, it polls
  // /api/status every 15 s and tries the stream again later. During a chat neither runs.

  function wantsStatus() {
    return state.view !== 'chat' || state.phase === 'ended';
  }

  function updateStatusFeed() {
    if (wantsStatus()) startStatusFeed();
    else stopStatusFeed();
  }

  function startStatusFeed() {
    if (state.statusFeed) return;
    state.statusFeed = true;
    state.streamRetryMs = STATUS_STREAM_RETRY_MS;
    if (typeof EventSource === 'function') openStatusStream();
    else startPolling();
  }

  function stopStatusFeed() {
    state.statusFeed = false;
    closeStatusStream();
    clearTimeout(state.streamRetryTimer);
    state.streamRetryTimer = null;
    stopPolling();
  }

  function openStatusStream() {
    closeStatusStream();
    let source;
    try {
      source = new EventSource(STATUS_EVENTS_URL);
    } catch (e) {
      onStatusStreamFailed();
      return;
    }
    state.eventSource = source;
    source.addEventListener('message', function (event) {
      if (state.eventSource === source) onStatusPushed(event.data);
    });
    source.addEventListener('error', function () {
      if (state.eventSource === source) onStatusStreamFailed();
    });
  }

  function closeStatusStream() {
    const source = state.eventSource;
    state.eventSource = null;
    if (source) source.close();
  }

  function onStatusPushed(data) {
    let parsed;
    try {
      parsed = JSON.parse(data);
    } catch (e) {
      return;
    }
    if (!applyStatus(parsed)) return;
    // The stream works: polling is not needed, and a later failure retries it soon.
    state.streamRetryMs = STATUS_STREAM_RETRY_MS;
    stopPolling();
    renderStatus();
  }

  /** The stream failed (or the relay has none): poll, and try the stream again later. */
  function onStatusStreamFailed() {
    closeStatusStream();
    if (!state.statusFeed) return;
    startPolling();
    clearTimeout(state.streamRetryTimer);
    state.streamRetryTimer = setTimeout(function () {
      state.streamRetryTimer = null;
      if (state.statusFeed) openStatusStream();
    }, state.streamRetryMs);
    state.streamRetryMs = Math.min(state.streamRetryMs * 2, STATUS_STREAM_RETRY_MAX_MS);
  }

  /** Takes a /api/status body; false if it is not one. */
  function applyStatus(data) {
    if (!data || !Array.isArray(data.services)) return false;
    state.services = data.services.filter(isServiceEntry);
    state.servicesKnown = true;
    state.statusFailed = false;
    return true;
  }

  function isServiceEntry(s) {
    return s && typeof s.id === 'string' && s.id !== '' && typeof s.name === 'string';
  }

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
      if (!applyStatus(await res.json())) throw new Error('status without services');
    } catch (e) {
      state.statusFailed = true;
    } finally {
      if (timer) clearTimeout(timer);
      state.statusInFlight = false;
    }
    renderStatus();
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

  /**
   * A visitor coming back to the tab sees a fresh status at once, and a dropped chat
   * tries to resume at once.
   */
  function onVisibilityChange() {
    if (document.hidden) return;
    resumeNow(); // a background tab's timers may have been held back
    if (!state.statusFeed) return;
    if (state.polling) pollOnce();
    else fetchStatus();
  }

  function renderStatus() {
    renderServices();
    renderChosenService();
    if (state.phase === 'ended') renderEndedInfo();
  }

  // ---------------------------------------------------------------- services

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

  function updateServiceItem(item, service) {
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

  function updateServiceButton(button, service, status) {
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

  /** Fills `holder` with a link to `url` ("Andere contactgegevens"), or hides it. */
  function renderContactLink(holder, url) {
    const link = holder.querySelector('a');
    if (url && link && link.getAttribute('href') === url) {
      holder.hidden = false;
      return;
    }
    holder.textContent = '';
    if (url) holder.append(makeKeyLink(url, 'contactPage'));
    holder.hidden = !url;
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
    state.noDossier = form.noDossier;
    showView('chat', el.messageInput);
    connect();
  }

  function onBackClick() {
    clearError();
    showView('choose', el.chooseTitle);
  }

  // ---------------------------------------------------------------- WebSocket
  //
  // One socket at a time. The first one says `hello`; the relay answers `welcome` with a
  // resume token. When a socket closes unexpectedly (not after `ended`, not on "Snel
  // weg"), the page reconnects by itself with backoff and says `resume` with the token
  // and the last seq it has, so the same counselor carries on and nothing is lost:
  // missing messages come back in `resumed`, and unacknowledged messages of our own are
  // sent again with their original client_id (the relay stores each only once).

  function socketUrl() {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + WS_PATH;
  }

  /** Opens a socket that sends `firstFrame()` as soon as it is open. */
  function openSocket(firstFrame) {
    closeSocket();
    state.welcomed = false;
    state.helloRejected = false;
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (e) {
      onSocketClosed({ code: 0 });
      return;
    }
    state.ws = ws;
    ws.addEventListener('open', function () { if (state.ws === ws) sendFrame(firstFrame()); });
    ws.addEventListener('message', function (ev) { if (state.ws === ws) onSocketMessage(ev); });
    ws.addEventListener('close', function (ev) {
      if (state.ws !== ws) return;
      state.ws = null;
      onSocketClosed(ev);
    });
  }

  /** A new conversation: `hello`. */
  function connect() {
    state.phase = 'connecting';
    renderChat();
    openSocket(helloFrame);
  }

  function closeSocket() {
    stopAckWatchdog();
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

  function helloFrame() {
    return {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      service: state.serviceId,
      nickname: state.nickname,
      intake: state.intake,
      no_dossier: state.noDossier,
    };
  }

  function resumeFrame() {
    return {
      type: 'resume',
      protocol: PROTOCOL_VERSION,
      token: state.resumeToken,
      last_seq: state.lastSeq,
    };
  }

  function onSocketMessage(event) {
    let frame = null;
    if (typeof event.data === 'string') {
      try { frame = JSON.parse(event.data); } catch (e) { frame = null; }
    }
    if (frame && typeof frame.type === 'string') handleEvent(frame);
    if (state.ackTimer) { // the line is alive: the acks still due get a new period
      stopAckWatchdog();
      startAckWatchdog();
    }
  }

  function handleEvent(frame) {
    // Until `resumed`, a resuming socket expects nothing else.
    if (state.resuming && frame.type !== 'resumed' && frame.type !== 'error') return undefined;
    switch (frame.type) {
      case 'welcome': return onWelcome(frame);
      case 'resumed': return onResumed(frame);
      case 'queued': return onQueued(frame.position);
      case 'assigned': return onAssigned();
      case 'message': return onChatMessage(frame.message);
      case 'ack': return onAck(frame);
      case 'typing': return showCounselorTyping();
      case 'counselor_away': return onCounselorAway();
      case 'counselor_back': return onCounselorBack();
      case 'ended': return finishConversation(frame.by, frame.reason, frame.survey);
      case 'survey_saved': return onSurveySaved();
      case 'error': return onRelayError(frame);
      default: return undefined; // newer relay; ignore unknown events
    }
  }

  function markWelcomed() {
    if (state.welcomed) return;
    state.welcomed = true;
    if (state.everWelcomed) addNotice('reconnected');
    state.everWelcomed = true;
    clearError();
  }

  function onWelcome(frame) {
    markWelcomed();
    if (typeof frame.resume_token === 'string' && frame.resume_token !== '') {
      state.resumeToken = frame.resume_token;
      saveChat();
    }
    if (state.phase === 'connecting') state.phase = state.assigned ? 'chatting' : 'queued';
    renderChat();
  }

  function onQueued(position) {
    markWelcomed();
    if (state.phase === 'ending' || state.phase === 'ended') return;
    if (state.phase === 'chatting') {
      // The counselor signed out, or did not come back within the window: the relay put
      // this conversation back at the front of the queue.
      state.assigned = false;
      state.counselorAway = false;
      hideCounselorTyping();
      addNotice('requeued');
    }
    state.phase = 'queued';
    state.queuePosition = Number.isInteger(position) && position > 0 ? position : null;
    renderChat();
  }

  function onAssigned() {
    markWelcomed();
    if (state.phase === 'ending' || state.phase === 'ended') return;
    state.phase = 'chatting';
    state.queuePosition = null;
    if (!state.assigned) addNotice('assigned');
    state.assigned = true;
    renderChat();
  }

  /** "Je hulpverlener heeft even verbindingsproblemen." The chat stays usable. */
  function onCounselorAway() {
    if (state.phase !== 'chatting') return;
    hideCounselorTyping();
    if (!state.counselorAway) addNotice('counselorAway');
    state.counselorAway = true;
    renderChat();
  }

  function onCounselorBack() {
    if (state.phase !== 'chatting' || !state.counselorAway) return;
    state.counselorAway = false;
    addNotice('counselorBack');
    renderChat();
  }

  function onChatMessage(message) {
    if (!isChatMessage(message) || state.seenSeqs.has(message.seq)) return;
    if (message.from !== 'visitor' && message.from !== 'relay') {
      hideCounselorTyping();
      if (!state.assigned && state.phase === 'queued') onAssigned();
    }
    showMessage(message);
    saveChat();
  }

  function isChatMessage(message) {
    return !!message && typeof message.text === 'string' &&
      Number.isInteger(message.seq) && message.seq > 0;
  }

  /** Puts a stored message on the page, in seq order. The caller checked it is new. */
  function showMessage(message) {
    const from = message.from === 'visitor' || message.from === 'relay' ? message.from : 'counselor';
    const item = createMessageItem(from, message.text);
    item.dataset.seq = String(message.seq);
    setMessageMeta(item, message.at_ms, from === 'visitor' ? 'sent' : '');
    noteSeq(message.seq);
    placeBySeq(item, from === 'visitor');
  }

  /** Remembers that `seq` is on the page; `lastSeq` is the end of the unbroken run. */
  function noteSeq(seq) {
    if (!Number.isInteger(seq) || seq <= 0) return;
    state.seenSeqs.add(seq);
    while (state.seenSeqs.has(state.lastSeq + 1)) state.lastSeq += 1;
  }

  function onAck(frame) {
    const entry = state.outbox.get(frame.client_id);
    const seq = Number.isInteger(frame.seq) && frame.seq > 0 ? frame.seq : null;
    if (!entry) {
      if (seq !== null) noteSeq(seq);
      return;
    }
    state.outbox.delete(frame.client_id);
    const shown = seq !== null ? messageItemBySeq(seq) : null;
    if (shown && shown !== entry.item) {
      // A resend of a message another item already shows: this copy is the duplicate.
      entry.item.remove();
    } else {
      confirmSent(entry, seq, frame.at_ms);
    }
    saveChat();
  }

  /** Our message is stored under `seq`: mark it sent and put it in its place. */
  function confirmSent(entry, seq, atMs) {
    entry.shown = true;
    entry.item.classList.remove('pending', 'failed');
    setMessageMeta(entry.item, atMs, 'sent');
    if (seq === null) {
      if (!entry.item.parentNode) appendToLog(entry.item, true);
      return;
    }
    entry.item.dataset.seq = String(seq);
    noteSeq(seq);
    placeBySeq(entry.item, false);
  }

  function onRelayError(frame) {
    const code = typeof frame.code === 'string' ? frame.code : '';
    if (state.resuming) return onResumeError(code);
    if (state.phase === 'ended') return onSurveyError(code);
    if (frame.client_id && state.outbox.has(frame.client_id)) {
      markMessageFailed(frame.client_id, code);
      saveChat();
      if (code === 'conversation_ended') finishConversation('relay');
      else showError(errorKey(code) || 'errors.internal');
      return;
    }
    if (!state.welcomed && state.phase === 'connecting') return onHelloRejected(code);
    if (code === 'conversation_ended') return finishConversation('relay');
    // After `welcome`, "invalid" is not about the nickname any more.
    showError(code === 'invalid' ? 'errors.generic' : (errorKey(code) || 'errors.generic'));
  }

  /** The relay refused `hello`: go back to where the visitor can fix it. */
  function onHelloRejected(code) {
    state.helloRejected = true;
    closeSocket();
    state.phase = 'idle';
    renderChat();
    const key = errorKey(code) || 'errors.generic';
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
    showError(key);
  }

  function onSocketClosed(event) {
    stopAckWatchdog();
    if (state.helloRejected) return;
    if (state.phase === 'ended') { onSurveySocketClosed(); return; }
    if (state.phase === 'ending') { finishConversation('visitor'); return; }
    state.welcomed = false;
    hideCounselorTyping();
    if (state.resumeToken) { startReconnecting(); return; }

    // The first `hello` never got its `welcome`: there is no conversation to resume.
    const key = closeTextKey(event.code);
    state.phase = 'disconnected';
    failPendingMessages();
    setText(el.reconnectText, 'reconnectHint');
    showError(key, 'connection');
    renderChat();
  }

  function closeTextKey(code) {
    if (code === CLOSE_GOING_AWAY) return 'relayRestart';
    if (code === CLOSE_POLICY) return 'policyClose';
    if (code === CLOSE_TOO_BIG) return 'errors.too_large';
    if (code === CLOSE_TRY_AGAIN_LATER) return 'errors.rate_limited';
    return 'connectFailed';
  }

  /** Runs while a message sent on this socket waits for its ack. */
  function startAckWatchdog() {
    if (!state.ackTimer && ackDue()) state.ackTimer = setTimeout(onAckTimeout, ACK_TIMEOUT_MS);
  }

  function ackDue() {
    let due = false;
    state.outbox.forEach(function (entry) { if (entry.status === 'pending' && entry.sent) due = true; });
    return due;
  }

  function stopAckWatchdog() {
    clearTimeout(state.ackTimer);
    state.ackTimer = null;
  }

  function onAckTimeout() {
    state.ackTimer = null;
    if (!canSend() || !ackDue()) return;
    // Open on paper, silent in fact: drop this socket and resume on a new one.
    const ws = state.ws;
    state.ws = null;
    try { ws.close(CLOSE_NORMAL); } catch (e) { /* already closing */ }
    onSocketClosed({ code: 0 });
  }

  // ---------------------------------------------------------------- resume

  /** The line dropped (or the page was reloaded): keep trying to resume, with backoff. */
  function startReconnecting() {
    state.resuming = false;
    clearTimeout(state.resumeTimer);
    state.resumeTimer = null;
    if (state.phase !== 'reconnecting') {
      state.phase = 'reconnecting';
      state.reconnectAttempt = 0;
      state.reconnectDeadline = Date.now() + RECONNECT_WINDOW_MS + RECONNECT_MARGIN_MS;
      addNotice('lostNotice');
      state.outbox.forEach(function (entry) {
        entry.sent = false;
        if (entry.status === 'pending' && !entry.shown) setMessageMeta(entry.item, null, 'waitingToSend');
      });
    }
    scheduleResume();
    renderChat();
  }

  function scheduleResume() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    if (Date.now() >= state.reconnectDeadline) { resumeFailed(); return; }
    const delays = RECONNECT_DELAYS_MS;
    const delay = delays[Math.min(state.reconnectAttempt, delays.length - 1)];
    state.reconnectAttempt += 1;
    state.reconnectTimer = setTimeout(attemptResume, delay);
  }

  function stopReconnecting() {
    clearTimeout(state.reconnectTimer);
    clearTimeout(state.resumeTimer);
    state.reconnectTimer = null;
    state.resumeTimer = null;
    state.resuming = false;
  }

  /** One attempt: a new socket that says `resume` with the token and the last seq. */
  function attemptResume() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    if (state.phase !== 'reconnecting' || !state.resumeToken) return;
    state.resuming = true;
    renderChat();
    clearTimeout(state.resumeTimer);
    state.resumeTimer = setTimeout(onResumeTimeout, RESUME_TIMEOUT_MS);
    openSocket(resumeFrame);
  }

  /** Try at once, e.g. when the network is back or the visitor asks for it. */
  function resumeNow() {
    if (state.phase !== 'reconnecting' || state.resuming) return;
    state.reconnectAttempt = 0;
    attemptResume();
  }

  function onResumeTimeout() {
    state.resumeTimer = null;
    if (!state.resuming) return;
    state.resuming = false;
    closeSocket();
    scheduleResume();
    renderChat();
  }

  function onResumeError(code) {
    state.resuming = false;
    clearTimeout(state.resumeTimer);
    state.resumeTimer = null;
    closeSocket();
    // The conversation ended or its window passed; or this page is too old for the relay.
    if (code === 'resume_failed' || code === 'unsupported_version') resumeFailed();
    else scheduleResume(); // e.g. `internal`: the relay may manage next time
    renderChat();
  }

  /** "Het gesprek kon niet hersteld worden.", with the option to start a new chat. */
  function resumeFailed() {
    stopReconnecting();
    closeSocket();
    finishConversation('lost');
  }

  function onResumed(frame) {
    if (!state.resuming) return;
    stopReconnecting();
    const afterReload = state.restored;
    state.restored = false;
    state.welcomed = true;
    state.everWelcomed = true;
    state.counselorAway = false; // the relay says `counselor_away` again if it still is
    clearError('connection');

    const wasAssigned = state.assigned;
    if (frame.assigned === true) {
      state.phase = 'chatting';
      state.assigned = true;
      state.queuePosition = null;
    } else {
      state.phase = 'queued';
      state.assigned = false;
      state.queuePosition = Number.isInteger(frame.position) && frame.position > 0 ? frame.position : null;
    }

    // Every message after our last seq, both sides, in seq order; skip what is shown.
    const messages = (Array.isArray(frame.messages) ? frame.messages : [])
      .filter(isChatMessage)
      .sort(function (a, b) { return a.seq - b.seq; });
    const claimed = claimStoredMessages(messages);
    messages.forEach(function (message, i) {
      if (state.seenSeqs.has(message.seq)) return;
      // A stored message of ours: show it in that item (it is still resent below, and
      // the relay acks it with this seq).
      if (claimed[i]) confirmSent(claimed[i], message.seq, message.at_ms);
      else showMessage(message);
    });
    if (!afterReload) {
      if (state.assigned && !wasAssigned) addNotice('assigned');
      addNotice('reconnected');
    }
    resendOutbox();
    saveChat();
    renderChat();
  }

  /**
   * Our own messages that the relay stored but whose ack was lost come back in
   * `resumed`. Each is matched, in order, to the first unacknowledged message with the
   * same text, whose item then shows it, so it is on the page once. Returns, per
   * message, the matched outbox entry (or null).
   */
  function claimStoredMessages(messages) {
    const entries = [];
    state.outbox.forEach(function (entry) {
      if (entry.status !== 'rejected' && !entry.shown) entries.push(entry);
    });
    let next = 0;
    return messages.map(function (message) {
      if (message.from !== 'visitor' || state.seenSeqs.has(message.seq)) return null;
      for (let i = next; i < entries.length; i++) {
        if (entries[i].text === message.text) {
          next = i + 1;
          return entries[i];
        }
      }
      return null;
    });
  }

  /**
   * Sends every unacknowledged message again, with its original client_id and text, in
   * the order they were written; they stay below the stored messages until acked.
   */
  function resendOutbox() {
    state.outbox.forEach(function (entry, clientId) {
      if (entry.status === 'rejected') return;
      if (!entry.shown && (!entry.item.parentNode || hasStoredMessageAfter(entry.item))) {
        appendToLog(entry.item, false);
      }
      sendChatText(clientId, entry.text);
    });
  }

  function hasStoredMessageAfter(item) {
    for (let node = item.nextElementSibling; node; node = node.nextElementSibling) {
      if (node.dataset.seq) return true;
    }
    return false;
  }

  function onReconnectClick() {
    clearError();
    if (state.phase === 'reconnecting') resumeNow();
    else if (state.phase === 'disconnected') connect();
    el.messageInput.focus();
  }

  /** Back online, or back to the tab (timers may have been held): don't wait. */
  function onOnline() {
    resumeNow();
  }

  /** A page restored from the back/forward cache has no socket any more. */
  function onPageShow(event) {
    if (!event.persisted || socketOpen() || !state.resumeToken) return;
    if (state.phase === 'queued' || state.phase === 'chatting') {
      state.ws = null;
      startReconnecting();
    }
  }

  // ---------------------------------------------------------------- session storage

  function saveChat() {
    if (!state.resumeToken) return;
    const unacked = [];
    state.outbox.forEach(function (entry, clientId) {
      if (entry.status !== 'rejected') unacked.push({ client_id: clientId, text: entry.text });
    });
    const data = {
      token: state.resumeToken,
      service: state.serviceId,
      nickname: state.nickname,
      last_seq: state.lastSeq,
      no_dossier: state.noDossier,
      unacked: unacked,
    };
    try { sessionStorage.setItem(CHAT_KEY, JSON.stringify(data)); } catch (e) { /* storage blocked or full */ }
  }

  function clearChat() {
    try { sessionStorage.removeItem(CHAT_KEY); } catch (e) { /* storage blocked */ }
  }

  /** The stored conversation, checked; null if there is none (or it is unreadable). */
  function loadChat() {
    let data = null;
    try { data = JSON.parse(sessionStorage.getItem(CHAT_KEY) || 'null'); } catch (e) { data = null; }
    const ok = data && typeof data === 'object' &&
      typeof data.token === 'string' && data.token !== '' &&
      typeof data.service === 'string' && data.service !== '' &&
      typeof data.nickname === 'string';
    if (!ok) {
      if (data !== null) clearChat();
      return null;
    }
    const unacked = Array.isArray(data.unacked) ? data.unacked.filter(function (u) {
      return u && typeof u.client_id === 'string' && u.client_id !== '' &&
        u.client_id.length <= 64 && typeof u.text === 'string' && u.text !== '';
    }) : [];
    return {
      token: data.token,
      service: data.service,
      nickname: data.nickname,
      lastSeq: Number.isInteger(data.last_seq) && data.last_seq > 0 ? data.last_seq : 0,
      noDossier: data.no_dossier === true,
      unacked: unacked,
    };
  }

  /**
   * After a reload: straight to the chat, and resume from seq 0, since the page is empty.
   * The scrollback comes back in `resumed`; unacknowledged messages are sent again.
   */
  function restoreConversation(saved) {
    state.serviceId = saved.service;
    state.nickname = saved.nickname;
    state.noDossier = saved.noDossier;
    el.noDossier.checked = saved.noDossier;
    state.resumeToken = saved.token;
    state.everWelcomed = true;
    state.restored = true;
    state.lastSeq = 0;
    saved.unacked.forEach(function (u) {
      const item = createMessageItem('visitor', u.text);
      item.dataset.clientId = u.client_id;
      item.classList.add('pending');
      setMessageMeta(item, null, 'waitingToSend');
      state.outbox.set(u.client_id, { text: u.text, item: item, status: 'pending' });
    });
    state.phase = 'reconnecting';
    state.reconnectAttempt = 0;
    state.reconnectDeadline = Date.now() + RECONNECT_WINDOW_MS + RECONNECT_MARGIN_MS;
    setText(el.reconnectText, 'reconnecting');
    showView('chat');
    renderChat();
    attemptResume();
  }

  // ---------------------------------------------------------------- chat view

  /** The socket is up and in the conversation: frames can go out now. */
  function canSend() {
    return socketOpen() && state.welcomed && !state.resuming &&
      (state.phase === 'queued' || state.phase === 'chatting');
  }

  /** The visitor may write: at once, or kept until the line is back. */
  function canCompose() {
    return canSend() || state.phase === 'reconnecting';
  }

  function connectionKey(phase) {
    if (phase === 'ended') return 'ended';
    if (phase === 'disconnected') return 'closed';
    if (phase === 'reconnecting') return 'reconnecting';
    if (phase === 'connecting') return 'connecting';
    if (phase === 'idle') return 'idle';
    return 'open';
  }

  function renderChat() {
    const phase = state.phase;
    const service = serviceById(state.serviceId);
    el.chatTitle.textContent = service ? t('chatTitle') + ' – ' + service.name : t('chatTitle');

    const connKey = connectionKey(phase);
    setText(el.connection, 'connection.' + connKey);
    el.connection.classList.toggle('is-open', connKey === 'open');
    el.connection.classList.toggle('is-closed', connKey === 'closed' || connKey === 'reconnecting');

    el.queueInfo.hidden = phase !== 'queued';
    if (state.queuePosition) setText(el.queuePosition, 'queuePosition', state.queuePosition);
    else setText(el.queuePosition, 'queueUnknown');

    // Ended while still waiting: an empty conversation box says nothing.
    el.messages.hidden = phase === 'ended' && el.messages.childElementCount === 0;
    el.reconnect.hidden = phase !== 'disconnected' && phase !== 'reconnecting';
    if (phase === 'reconnecting' && el.reconnectText.dataset.i18n !== 'reconnecting') {
      setText(el.reconnectText, 'reconnecting');
    }
    el.counselorAway.hidden = !(phase === 'chatting' && state.counselorAway);
    el.composer.hidden = phase === 'ended';
    el.sendButton.disabled = !canCompose();
    el.chatActions.hidden = phase === 'ended' || phase === 'idle';
    el.endButton.disabled = phase === 'ending';
    el.timeGuidance.hidden = phase === 'ended';
    el.ended.hidden = phase !== 'ended';
    renderDossierToggle();
  }

  function createMessageItem(from, text) {
    const item = makeEl('div', 'msg msg-' + from);
    item.append(
      keyEl('p', 'msg-who', 'who.' + from),
      makeEl('p', 'msg-text', text), // textContent only
      makeEl('p', 'msg-meta')
    );
    return item;
  }

  /** The time (if known) and a status word such as "verzonden" (a catalogue key). */
  function setMessageMeta(item, atMs, statusKey) {
    const meta = item.querySelector('.msg-meta');
    meta.textContent = '';
    const hasTime = typeof atMs === 'number' && isFinite(atMs);
    if (hasTime) {
      const time = document.createElement('time');
      time.dateTime = new Date(atMs).toISOString();
      time.textContent = formatTime(atMs);
      meta.append(time);
    }
    if (statusKey) {
      if (hasTime) meta.append(document.createTextNode(' · '));
      meta.append(keyEl('span', '', statusKey));
    }
  }

  function appendToLog(node, forceScroll) {
    const log = el.messages;
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    log.appendChild(node);
    if (forceScroll || nearBottom) log.scrollTop = log.scrollHeight;
  }

  function addNotice(key) {
    appendToLog(keyEl('p', 'notice-line', key), false);
  }

  /** The message shown under `seq`, if any. */
  function messageItemBySeq(seq) {
    return el.messages.querySelector('.msg[data-seq="' + seq + '"]');
  }

  /**
   * Puts a message with a seq where the relay's order says: before the first shown
   * message with a higher seq, else at the end (after the last one with a lower seq).
   * Moves nothing that is already in its place.
   */
  function placeBySeq(item, forceScroll) {
    const seq = Number(item.dataset.seq);
    const stored = Array.from(el.messages.querySelectorAll('.msg[data-seq]'))
      .filter(function (node) { return node !== item; });
    const later = stored.find(function (node) { return Number(node.dataset.seq) > seq; });
    const earlier = stored.filter(function (node) { return Number(node.dataset.seq) < seq; }).pop();
    const follows = function (a, b) { // a comes after b in the log
      return !!(b.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING);
    };
    const inPlace = item.parentNode === el.messages &&
      (!later || follows(later, item)) && (!earlier || follows(item, earlier));
    if (inPlace) return;
    if (later) el.messages.insertBefore(item, later);
    else appendToLog(item, forceScroll);
  }

  /** Refusals a resend can't fix; anything else is sent again on resume. */
  function isFinalRefusal(code) {
    return code === 'too_large' || code === 'invalid' || code === 'conversation_ended';
  }

  function markMessageFailed(clientId, code) {
    const entry = state.outbox.get(clientId);
    if (!entry) return;
    if (entry.shown) { // stored all the same (it came back in `resumed`)
      state.outbox.delete(clientId);
      return;
    }
    entry.status = isFinalRefusal(code) ? 'rejected' : 'failed';
    entry.item.classList.remove('pending');
    entry.item.classList.add('failed');
    const meta = entry.item.querySelector('.msg-meta');
    meta.textContent = '';
    meta.append(keyEl('span', '', code === 'too_large' ? 'failedTooLarge' : 'failed'));
    if (entry.status === 'failed' && state.phase !== 'ended') {
      const retry = keyEl('button', 'msg-retry', 'retry');
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

  /** Sends one outbox message now, or marks it to go out when the line is back. */
  function sendChatText(clientId, text) {
    const entry = state.outbox.get(clientId);
    entry.status = 'pending';
    const sent = canSend() && sendFrame({ type: 'send', client_id: clientId, text: text });
    entry.sent = sent;
    if (sent) startAckWatchdog();
    if (entry.shown) return; // already shown as stored; this resend only gets the ack
    entry.item.classList.remove('failed');
    entry.item.classList.add('pending');
    setMessageMeta(entry.item, null, sent ? 'sending' : 'waitingToSend');
  }

  function frameBytes(text) {
    // client_id is 32 hex characters; see newClientId().
    return utf8Length(JSON.stringify({ type: 'send', client_id: '0'.repeat(32), text: text }));
  }

  function fits(text) {
    return utf8Length(text) <= MAX_TEXT_BYTES && frameBytes(text) <= MAX_FRAME_BYTES;
  }

  function tooLongBy(text) {
    return overBy(text, fits);
  }

  function sendCurrentMessage() {
    const text = el.messageInput.value;
    if (text.trim() === '') return;
    const over = tooLongBy(text);
    if (over > 0) {
      showError('tooLong', 'length', over);
      renderLengthHint();
      el.messageInput.focus();
      return;
    }
    if (!canCompose()) {
      showError(state.phase === 'connecting' ? 'notYet' : 'notConnected');
      return;
    }
    clearError();
    const clientId = newClientId();
    const item = createMessageItem('visitor', text);
    item.dataset.clientId = clientId;
    state.outbox.set(clientId, { text: text, item: item, status: 'pending' });
    appendToLog(item, true);
    sendChatText(clientId, text);
    saveChat();
    el.messageInput.value = '';
    renderLengthHint();
  }

  function onRetryClick(event) {
    const button = event.target.closest('button.msg-retry');
    if (!button) return;
    const clientId = button.dataset.clientId;
    const entry = state.outbox.get(clientId);
    if (!entry) return;
    if (!canCompose()) { showError('notConnected'); return; }
    clearError();
    sendChatText(clientId, entry.text);
  }

  function renderLengthHint() {
    const over = tooLongBy(el.messageInput.value);
    if (over > 0) setText(el.messageLength, 'tooLong', over);
    else clearText(el.messageLength);
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

  // ---------------------------------------------------------------- dossier
  //
  // "Je hebt het recht om een dossier te weigeren." The start form sends the choice in
  // `hello.no_dossier`; during the chat the toggle sends `{"type":"dossier","refuse":…}`.
  // The relay sends no reply to it, so the page shows the new state at once.

  function renderDossierToggle() {
    el.dossierToggle.setAttribute('aria-pressed', state.noDossier ? 'true' : 'false');
    el.dossierToggle.disabled = !canSend();
  }

  function onDossierToggle() {
    if (!canSend()) return;
    const refuse = !state.noDossier;
    if (!sendFrame({ type: 'dossier', refuse: refuse })) return;
    state.noDossier = refuse;
    el.noDossier.checked = refuse;
    addNotice(refuse ? 'dossierRefusedNotice' : 'dossierAllowedNotice');
    renderDossierToggle();
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
    if (canSend()) {
      sendFrame({ type: 'end' });
      state.phase = 'ending';
      renderChat();
      // If the relay does not answer with `ended`, end on our side anyway.
      state.endTimer = setTimeout(function () { finishConversation('visitor'); }, END_FALLBACK_MS);
    } else {
      if (state.phase === 'reconnecting' && state.resumeToken) endInBackground(state.resumeToken);
      finishConversation('visitor');
    }
  }

  /**
   * Ending while the line is down: one try on a socket of its own (`resume`, then
   * `end`), so the counselor does not wait five minutes for nothing. If it does not get
   * through, the relay ends the conversation when the window has passed.
   */
  function endInBackground(token) {
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (e) {
      return;
    }
    const timer = setTimeout(function () { ws.close(CLOSE_NORMAL); }, RESUME_TIMEOUT_MS);
    ws.addEventListener('open', function () {
      // A last_seq beyond any message: the transcript need not come back.
      ws.send(JSON.stringify({ type: 'resume', protocol: PROTOCOL_VERSION, token: token, last_seq: Number.MAX_SAFE_INTEGER }));
      ws.send(JSON.stringify({ type: 'end' }));
    });
    ws.addEventListener('message', function (event) {
      let frame = null;
      try { frame = JSON.parse(event.data); } catch (e) { frame = null; }
      if (frame && (frame.type === 'ended' || frame.type === 'error')) {
        clearTimeout(timer);
        ws.close(CLOSE_NORMAL);
      }
    });
    ws.addEventListener('close', function () { clearTimeout(timer); });
  }

  /**
   * The conversation is over. With survey questions the socket stays open, because the
   * answers go over it; otherwise it is closed. Focus goes to the "ended" heading, so a
   * screen reader reads that first and the survey after it.
   */
  function finishConversation(by, reason, survey) {
    if (state.phase === 'ended') return;
    clearTimeout(state.endTimer);
    state.endTimer = null;
    stopReconnecting();
    // Nothing left to resume: forget the token (and everything else stored about it).
    state.resumeToken = null;
    clearChat();
    state.counselorAway = false;
    state.end = {
      // 'lost': the conversation could not be resumed.
      by: by === 'visitor' || by === 'counselor' || by === 'lost' ? by : 'relay',
      reason: typeof reason === 'string' ? reason.trim() : '',
      waiting: !state.assigned,
    };
    setText(el.endedTitle, state.end.by === 'lost' ? 'resumeFailedTitle' : 'endedTitle');
    state.phase = 'ended';
    clearError();
    closeEndDialog();
    hideCounselorTyping();
    failPendingMessages();

    const questions = validSurveyQuestions(survey);
    if (questions.length) openSurvey(questions);
    else closeSocket();

    el.messageLength.hidden = true;
    renderChat();
    renderEndedInfo();
    renderSurvey();
    updateStatusFeed(); // the status is followed again, for the e-mail and opening time
    el.endedTitle.focus();
  }

  function endedDetailKey(end) {
    if (end.by === 'lost') return 'resumeFailedDetail';
    if (end.by === 'relay' && end.waiting) return 'endedBy.relayWaiting';
    return 'endedBy.' + end.by;
  }

  function renderEndedInfo() {
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

  function isStandardClosedReason(end) {
    return end.by === 'relay' && end.reason.indexOf(TEXT[DEFAULT_LANGUAGE].statusOffline) === 0;
  }

  /**
   * E-mail (always, if the service has one). When the chat itself ended the conversation
   * (service closed, last counselor gone) also the contact page and the next opening,
   * as the seed says: "Als de chat offline of bezet is, kan je ons een e-mail sturen."
   */
  function renderEndedContact(byRelay) {
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

  function resetConversation() {
    closeSocket();
    stopReconnecting();
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
    state.lastSeq = 0;
    state.resumeToken = null;
    state.restored = false;
    state.counselorAway = false;
    clearChat();
    state.lastTypingSent = 0;
    state.end = null;
    setText(el.endedTitle, 'endedTitle');
    state.survey = { status: 'none', fields: [] };
    el.messages.textContent = '';
    el.messageInput.value = '';
    clearText(el.reconnectText);
    el.surveyQuestions.textContent = '';
    setSurveyError('');
    renderSurvey();
    renderLengthHint();
    renderChat();
  }

  function onRestartClick() {
    clearError();
    resetConversation();
    showView('choose', el.chooseTitle);
  }

  // ---------------------------------------------------------------- survey
  //
  // `ended` may carry questions (common.rs SurveyQuestion). All are optional; only
  // answered ones are sent, once, as {"type":"survey","answers":[…]}. Not submitting is
  // skipping. The relay answers `survey_saved` or an error such as `survey_closed`.

  function validSurveyQuestions(list) {
    if (!Array.isArray(list)) return [];
    return list.filter(function (q) {
      return q && typeof q.id === 'string' && q.id !== '' && typeof q.text === 'string' &&
        (q.kind === 'scale' || q.kind === 'yes_no' || q.kind === 'text');
    });
  }

  function openSurvey(questions) {
    el.surveyQuestions.textContent = '';
    const fields = questions.map(function (question, index) {
      const node = surveyField(question, index);
      el.surveyQuestions.append(node);
      return { question: question, node: node };
    });
    state.survey = { status: 'open', fields: fields };
    setSurveyError('');
  }

  function surveyField(question, index) {
    if (question.kind === 'text') return surveyTextField(question, index);
    if (question.kind === 'yes_no') {
      return surveyChoiceField(question, index, [['yes', 'surveyYes'], ['no', 'surveyNo']], '');
    }
    const scale = ['1', '2', '3', '4', '5'].map(function (n) { return [n, '']; });
    return surveyChoiceField(question, index, scale, 'surveyScaleHint');
  }

  /** A fieldset of radio buttons; `options` are [value, catalogue key or '' for the value]. */
  function surveyChoiceField(question, index, options, hintKey) {
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

  function surveyTextField(question, index) {
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

  function surveyTextFits(text) {
    return utf8Length(text.trim()) <= MAX_SURVEY_TEXT_BYTES;
  }

  /** Marks a too long text answer; returns the textarea if it is too long. */
  function checkSurveyText(area) {
    const over = overBy(area.value, surveyTextFits);
    const error = byId(area.id + '-error');
    setFieldError(area, error, over > 0 ? 'surveyTextTooLong' : '');
    if (over > 0) setText(error, 'surveyTextTooLong', over);
    return over > 0 ? area : null;
  }

  function surveyAnswer(field) {
    if (field.question.kind === 'text') return field.node.querySelector('textarea').value.trim();
    const checked = Array.from(field.node.querySelectorAll('input[type="radio"]'))
      .find(function (radio) { return radio.checked; });
    return checked ? checked.value : '';
  }

  function collectSurveyAnswers() {
    const answers = [];
    state.survey.fields.forEach(function (field) {
      const answer = surveyAnswer(field);
      if (answer) answers.push({ question: field.question.id, answer: answer });
    });
    return answers;
  }

  function onSurveySubmit(event) {
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

  function onSurveySaved() {
    if (state.survey.status !== 'sending') return;
    setSurveyStatus('saved');
    closeSocket(); // nothing more to send
  }

  /** An error after `ended`: about the survey, or nothing the visitor can act on. */
  function onSurveyError(code) {
    const s = state.survey.status;
    if (code === 'survey_closed' && s !== 'none') {
      setSurveyStatus('closed');
      closeSocket();
    } else if (s === 'sending') {
      setSurveyStatus('open');
      setSurveyError('surveyFailed');
    }
  }

  function onSurveySocketClosed() {
    const s = state.survey.status;
    if (s === 'open' || s === 'sending') setSurveyStatus('lost');
  }

  /** Moves the survey on; focus follows when it was in the form that disappears. */
  function setSurveyStatus(status) {
    // While sending, the submit button is disabled and focus fell to the page: move it on.
    const focusInForm = el.survey.contains(document.activeElement) || state.survey.status === 'sending';
    state.survey.status = status;
    renderSurvey();
    if (status === 'saved') el.surveyThanks.focus();
    else if ((status === 'closed' || status === 'lost') && focusInForm) el.surveyClosed.focus();
    else if (status === 'open' && focusInForm) el.surveySubmit.focus();
  }

  function setSurveyError(key) {
    if (key) setText(el.surveyError, key);
    else clearText(el.surveyError);
    el.surveyError.hidden = !key;
  }

  function renderSurvey() {
    const s = state.survey.status;
    const showForm = s === 'open' || s === 'sending';
    el.survey.hidden = !showForm;
    el.survey.setAttribute('aria-busy', s === 'sending' ? 'true' : 'false');
    el.surveySubmit.disabled = s === 'sending';
    el.surveyThanks.hidden = s !== 'saved';
    el.surveyClosed.hidden = !(s === 'closed' || s === 'lost');
    if (s === 'closed' || s === 'lost') setText(el.surveyClosed, s === 'lost' ? 'surveyLost' : 'surveyClosed');
  }

  function onSurveyChange(event) {
    const target = event.target;
    if (target.type === 'radio') {
      const clear = target.closest('fieldset').querySelector('.survey-clear');
      if (clear) clear.hidden = false;
    }
  }

  function onSurveyInput(event) {
    if (event.target.tagName === 'TEXTAREA') checkSurveyText(event.target);
    setSurveyError('');
  }

  /** "Wis dit antwoord": a radio group cannot be emptied otherwise. */
  function onSurveyClick(event) {
    const clear = event.target.closest('button.survey-clear');
    if (!clear) return;
    const fieldset = clear.closest('fieldset');
    const radios = Array.from(fieldset.querySelectorAll('input[type="radio"]'));
    radios.forEach(function (radio) { radio.checked = false; });
    clear.hidden = true;
    if (radios[0]) radios[0].focus();
  }

  // ---------------------------------------------------------------- quick exit

  /** "Snel weg": end the chat, forget everything, and leave without a Back entry. */
  function quickExit(event) {
    if (event) event.preventDefault();
    try {
      stopReconnecting();
      state.resumeToken = null;
      if (socketOpen() && state.phase !== 'ended') sendFrame({ type: 'end' });
      closeSocket();
      closeStatusStream();
    } catch (e) { /* leaving anyway */ }
    try { sessionStorage.clear(); } catch (e) { /* storage blocked */ }
    try { localStorage.clear(); } catch (e) { /* storage blocked */ }
    if (el.messages) el.messages.textContent = '';
    if (el.messageInput) el.messageInput.value = '';
    if (el.startForm) el.startForm.reset();
    if (el.survey) el.survey.reset();
    location.replace(QUICK_EXIT_URL);
  }

  // ---------------------------------------------------------------- init

  function byId(id) {
    return document.getElementById(id);
  }

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
    window.addEventListener('online', onOnline);
    window.addEventListener('pageshow', onPageShow);
  }

  /** Language from ?lang= or the tab's earlier choice; the switch appears once JS runs. */
  function initLanguage() {
    state.lang = initialLanguage();
    if (el.lang) {
      el.lang.value = state.lang;
      el.lang.addEventListener('change', onLanguageChange);
    }
    if (el.langSwitch) el.langSwitch.hidden = false;
    applyTexts();
  }

  function init() {
    lookupElements();
    if (el.quickExit) el.quickExit.addEventListener('click', quickExit);
    initLanguage();
    if (!el.serviceList) return; // the privacy page only needs "Snel weg" and the language
    bindEvents();
    const saved = loadChat();
    if (saved) {
      restoreConversation(saved);
      return;
    }
    renderChat();
    showView('choose');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
