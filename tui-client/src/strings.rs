//! Every text a user of the app reads, in one place.
//!
//! The app speaks Dutch, the counselors' language: "wachtrij", "gesprekken",
//! "bezoeker", "hulpverlener". Log lines (for developers) stay English and live at their
//! call sites.

use chathulp_shared::{ErrorCode, Party, Role, ServiceStatus};

pub const APP_NAME: &str = "chathulp";

// ---- status bar ---------------------------------------------------------------------

pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Counselor => "hulpverlener",
        Role::Supervisor => "supervisor",
        Role::Admin => "beheerder",
    }
}

pub const READ_ONLY: &str = "alleen lezen";
pub const CONNECTING: &str = "verbinden…";
pub const CONNECTED: &str = "verbonden";

pub const RECONNECTING: &str = "○ verbinding verbroken, opnieuw proberen…";
pub const OFFLINE: &str = "○ geen verbinding";

pub fn connection_lost(reason: &str) -> String {
    format!("Verbinding met de relay verbroken: {reason}")
}

// ---- panes --------------------------------------------------------------------------

pub const QUEUE_TITLE: &str = "Wachtrij";
pub const CONVERSATIONS_TITLE: &str = "Gesprekken";
pub const NO_SERVICES: &str = "nog geen wachtrijen ontvangen";
/// The status of a service an administrator closed, before their reason.
pub const SERVICE_CLOSED: &str = "gesloten";
pub const NOBODY_WAITING: &str = "niemand wacht";
pub const NO_CONVERSATIONS: &str = "geen gesprekken";

pub fn service_status(status: ServiceStatus) -> &'static str {
    match status {
        ServiceStatus::Online => "online",
        ServiceStatus::Busy => "bezet",
        ServiceStatus::Offline => "offline",
    }
}

/// The conversations pane title, e.g. `Gesprekken 2/3`.
pub fn conversations_title(open: usize, capacity: Option<u32>) -> String {
    match capacity {
        Some(cap) => format!("{CONVERSATIONS_TITLE} {open}/{cap}"),
        None => CONVERSATIONS_TITLE.to_owned(),
    }
}

/// The mark of an ended conversation in the list.
pub const ENDED_MARK: &str = "einde";

/// The mark of a returning visitor in the queue: `earlier` conversations came from the
/// same address before (counted by the relay; the address itself is never sent).
pub fn returning_mark(earlier: u32) -> String {
    format!("↺{earlier}")
}

/// The legend at the end of the help popup: the marks in the lists and what they mean.
pub const LEGEND_TITLE: &str = "Tekens in de lijsten";
pub const LEGEND: &[(&str, &str)] = &[
    ("↺2", "eerder contact vanaf hetzelfde adres (2 keer)"),
    ("(3)", "3 ongelezen berichten in dat gesprek"),
    ("IP?", "noodgeval: een aanvraag om het IP-adres wacht"),
    ("!52m", "bijna of over het uur: rond stilaan af"),
];

pub const NO_ACTIVE_TITLE: &str = "Gesprek";
pub const NO_ACTIVE: &str = "Geen actief gesprek.";
pub const NO_ACTIVE_HINT: &str =
    "Kies een bezoeker in de wachtrij en druk Enter, of t voor de bezoeker die het langst wacht.";
pub const NO_ACTIVE_READ_ONLY_HINT: &str =
    "Je bekijkt de wachtrijen en gesprekken, maar kan niet schrijven of bezoekers nemen.";

/// The line under the conversation title: intake and how long it has been going.
pub fn conversation_facts(intake: &str, elapsed: &str) -> String {
    format!("{intake} · {}", talking_time(elapsed))
}

pub fn talking_time(elapsed: &str) -> String {
    format!("{elapsed} bezig")
}

/// The conversation header's dossier marks.
pub const NO_DOSSIER: &str = "geen dossier";
pub const DOSSIER_CANDIDATE: &str = "dossierkandidaat";

/// The mark of a conversation past the guidance limit, e.g. `60m+ · afronden`.
pub fn guidance_over(limit_mins: u32) -> String {
    format!("{limit_mins}m+ · afronden")
}

/// The mark in front of a talking time that nears the limit (also without colour).
pub const GUIDANCE_MARK: &str = "!";

pub const VISITOR_TYPING: &str = "bezoeker typt…";
/// The counselor's own messages in the scrollback.
pub const YOU: &str = "jij";
/// Messages from the relay itself.
pub const RELAY: &str = "chathulp";
pub const PENDING_MARK: &str = "…";
pub const NOT_SENT: &str = "niet verzonden";
pub const SCROLLED_UP: &str = "↓ PgDn voor nieuwere berichten";

/// Who ended a conversation, as in "beëindigd door de bezoeker".
fn ended_by(by: Party) -> &'static str {
    match by {
        Party::Visitor => "door de bezoeker",
        Party::Counselor => "door jou",
        Party::Relay => "door chathulp",
    }
}

/// The last line of an ended conversation. `by` is `None` when it ended while the app was
/// offline; `reason` then says so.
pub fn ended_line(by: Option<Party>, reason: Option<&str>) -> String {
    match (by, reason) {
        (Some(by), Some(reason)) => format!("— gesprek beëindigd {}: {reason} —", ended_by(by)),
        (Some(by), None) => format!("— gesprek beëindigd {} —", ended_by(by)),
        (None, Some(reason)) => format!("— gesprek {reason} —"),
        (None, None) => "— gesprek beëindigd —".to_owned(),
    }
}

/// Why a conversation we still showed is over after a reconnect.
pub const ENDED_WHILE_OFFLINE: &str = "beëindigd terwijl de verbinding weg was";

/// The app's own lines in the scrollback when the visitor's connection drops and returns.
pub const VISITOR_AWAY_LINE: &str = "verbinding met de bezoeker verbroken";
pub const VISITOR_BACK_LINE: &str = "bezoeker is terug";

/// The mark of a conversation whose visitor is away, with the time left before it ends
/// (`m:ss`): in the header, and in the conversation list if it fits.
pub fn visitor_away_mark(countdown: &str) -> String {
    format!("verbinding verbroken {countdown}")
}

/// The same, short, for a narrow conversation list.
pub fn visitor_away_short(countdown: &str) -> String {
    format!("verbroken {countdown}")
}

/// At the top of a conversation the relay links to an earlier one (same nickname, no
/// resume token). `nickname` is the earlier visitor's, if the app knows that conversation.
pub fn linked_notice(nickname: Option<&str>) -> String {
    let earlier = match nickname {
        Some(nickname) => format!("je eerdere gesprek met {nickname}"),
        None => "een eerder gesprek".to_owned(),
    };
    format!(
        "Waarschijnlijk dezelfde bezoeker als in {earlier}. De berichten van dat gesprek staan hier niet bij."
    )
}

pub const INPUT_TITLE: &str = "Bericht";
pub const INPUT_PLACEHOLDER: &str = "Typ je bericht…";
pub const INPUT_READ_ONLY: &str = "alleen lezen: je kan hier niet schrijven";
pub fn input_ended(close_key: &str) -> String {
    format!("Gesprek beëindigd. {close_key} sluit het.")
}

// ---- popups -------------------------------------------------------------------------

pub const HELP_TITLE: &str = "Sneltoetsen";
pub const CONFIRM_TITLE: &str = "Bevestigen";
/// Shown at the bottom of a help popup that does not fit the screen.
pub fn help_more(key: &str) -> String {
    format!("↓ meer met {key}")
}

pub const CANNED_TITLE: &str = "Sjablonen";
pub const CANNED_NO_MATCH: &str = "geen sjabloon past";

/// The canned popup's hint line: press a key, or search.
pub fn canned_hint(search_key: &str) -> String {
    format!("Druk de letter van een sjabloon, of {search_key} om te zoeken.")
}

pub fn canned_search(filter: &str) -> String {
    format!("zoek: {filter}")
}

pub const CLOSE_SERVICE_TITLE: &str = "Dienst sluiten";

pub fn close_service_prompt(service: &str) -> String {
    format!("Waarom sluit {service}? Bezoekers lezen deze reden.")
}

pub fn confirm_close_service(service: &str, reason: &str) -> String {
    format!(
        "{service} nu sluiten met reden \"{reason}\"? Wachtende bezoekers krijgen e-mail aangeboden."
    )
}

pub fn confirm_end(nickname: &str) -> String {
    format!("Gesprek met {nickname} beëindigen?")
}

pub fn confirm_dossier(nickname: &str, candidate: bool) -> String {
    if candidate {
        format!("Gesprek met {nickname} markeren als dossierkandidaat?")
    } else {
        format!("Dossiermarkering van het gesprek met {nickname} weghalen?")
    }
}

pub fn confirm_quit(open: usize) -> String {
    let noun = if open == 1 { "gesprek" } else { "gesprekken" };
    format!(
        "Je hebt nog {open} open {noun}. chathulp toch afsluiten? Je wordt afgemeld: je gesprekken wachten niet tot je terugkomt."
    )
}

// ---- notices ------------------------------------------------------------------------

pub const NOT_CONNECTED: &str = "Geen verbinding met de relay: niet verzonden.";
pub const READ_ONLY_REFUSED: &str = "Alleen lezen: dat mag jouw rol niet.";
pub const NOTHING_SELECTED: &str = "Kies eerst een wachtrij of bezoeker.";
pub const TAKING: &str = "Bezoeker nemen…";
/// The conversation pane while a take is under way: what is typed already goes there.
pub const TAKING_TITLE: &str = "Bezoeker nemen…";
pub const TAKING_HINT: &str = "Typ gerust al: wat je nu typt komt in het gesprek zodra het \
     opent, en wat je met Enter afsloot gaat dan meteen weg.";
/// A take that failed, after the counselor typed ahead.
pub const TAKE_AHEAD_LOST: &str = "Je getypte tekst is niet verstuurd.";
pub const ENDING: &str = "Gesprek beëindigen…";
pub const NO_RANDOM: &str = "Kon geen bericht-id maken; probeer opnieuw.";
pub const CONNECTION_LOST: &str = "verbinding verbroken";
pub const RECONNECTED: &str = "Opnieuw verbonden.";
pub const DOSSIER_REFUSED: &str = "De bezoeker weigert een dossier.";
pub const DOSSIER_UPDATING: &str = "Dossier bijwerken…";
pub const NO_CONVERSATION: &str = "Geen open gesprek om in te schrijven.";
pub const NO_CANNED: &str = "Er zijn geen sjablonen ingesteld op de relay.";
pub const ADMIN_ONLY: &str = "Alleen een beheerder kan een dienst sluiten of openen.";
pub const NEED_REASON: &str = "Geef een reden: bezoekers lezen ze.";
pub const CLOSING_SERVICE: &str = "Dienst sluiten…";
pub const OPENING_SERVICE: &str = "Dienst openen…";
pub const SERVICE_NOT_CLOSED: &str = "Deze dienst is niet gesloten door een beheerder.";

/// The one-time notice when a conversation nears the guidance limit (default: 10 minutes
/// before the hour).
pub fn guidance_warning(minutes_left: u32, nickname: &str) -> String {
    format!("Nog {minutes_left} minuten tot het uur: rond stilaan af. ({nickname})")
}

pub fn no_canned_under(key: &str) -> String {
    format!("Geen sjabloon onder {key}.")
}

pub fn visitor_refused_dossier(nickname: &str) -> String {
    format!("{nickname} weigert een dossier.")
}

pub fn dossier_marked(nickname: &str, candidate: bool) -> String {
    if candidate {
        format!("Gesprek met {nickname} is dossierkandidaat.")
    } else {
        format!("Gesprek met {nickname} is geen dossierkandidaat meer.")
    }
}

pub fn too_long(len: usize, max: usize) -> String {
    format!("Bericht is te lang ({len} bytes, max {max}).")
}

pub fn conversation_started(nickname: &str) -> String {
    format!("Gesprek met {nickname} gestart.")
}

pub fn conversation_ended(nickname: &str, by: Option<Party>) -> String {
    match by {
        Some(by) => format!("Gesprek met {nickname} beëindigd {}.", ended_by(by)),
        None => format!("Gesprek met {nickname} {ENDED_WHILE_OFFLINE}."),
    }
}

pub fn visitor_away(nickname: &str) -> String {
    format!("De verbinding met {nickname} is verbroken; het gesprek wacht even op de bezoeker.")
}

pub fn visitor_back(nickname: &str) -> String {
    format!("{nickname} is terug.")
}

/// After a reconnect: messages the relay had not acknowledged went out again.
pub fn resent(count: usize) -> String {
    if count == 1 {
        "1 onbevestigd bericht opnieuw verstuurd.".to_owned()
    } else {
        format!("{count} onbevestigde berichten opnieuw verstuurd.")
    }
}

/// A short Dutch name for a relay error code.
pub fn error_label(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::BadFrame => "ongeldig bericht",
        ErrorCode::UnknownType => "onbekend berichttype",
        ErrorCode::UnsupportedVersion => "protocolversie niet ondersteund",
        ErrorCode::TooLarge => "te lang",
        ErrorCode::Invalid => "ongeldig",
        ErrorCode::HelloRequired => "eerst aanmelden",
        ErrorCode::LoginFailed => "aanmelden mislukt",
        ErrorCode::Forbidden => "niet toegestaan voor jouw rol",
        ErrorCode::NotFound => "niet gevonden",
        ErrorCode::AtCapacity => "je hebt al het maximum aantal gesprekken",
        ErrorCode::QueueEmpty => "niemand in de wachtrij",
        ErrorCode::ServiceOffline => "dienst is gesloten",
        ErrorCode::ServiceBusy => "dienst is volzet",
        ErrorCode::ConversationEnded => "gesprek is al beëindigd",
        ErrorCode::DossierRefused => "de bezoeker weigert een dossier",
        ErrorCode::SurveyClosed => "bevraging is gesloten",
        ErrorCode::ResumeFailed => "hervatten mislukt",
        ErrorCode::Blocked => "toegang opgeschort",
        ErrorCode::Internal => "niet gelukt, probeer opnieuw",
        ErrorCode::RateLimited => "te veel tegelijk, wacht even",
    }
}

/// The status line for a relay error: our label, then the relay's own words.
pub fn relay_error(code: ErrorCode, message: &str) -> String {
    let label = error_label(code);
    if message.is_empty() {
        format!("Fout: {label}")
    } else {
        format!("Fout: {label} ({message})")
    }
}

pub fn session_refused(message: &str) -> String {
    format!("De relay weigerde de sessie na een onderbreking ({message}). Start chathulp opnieuw.")
}

// ---- network ------------------------------------------------------------------------

pub const CONNECTION_CLOSED: &str = "verbinding gesloten";
pub const CONNECT_TIMEOUT: &str = "geen antwoord van de relay binnen 15 seconden";
pub const RELAY_SILENT: &str = "de relay antwoordt niet meer";
pub const UNEXPECTED_BEFORE_LOGIN: &str = "onverwacht bericht voor het aanmelden";
pub const URL_UNPARSABLE: &str = "dit is geen geldige URL";
pub const URL_NOT_WSS: &str = "gebruik wss:// (versleuteld)";
pub const URL_NO_HOST: &str = "er ontbreekt een host";

pub fn bad_server_url(server: &str, why: &str) -> String {
    format!("--server {server:?}: {why}, bv. wss://relay.example:8443")
}

// ---- start and exit (printed outside the full-screen app) ---------------------------

pub const KNOWN_RELAYS_HEADER: &str =
    "# chathulp known relays: HOST:PORT SHA256-FINGERPRINT (lowercase hex, no colons)";

pub fn password_prompt(user: &str) -> String {
    format!("Wachtwoord voor {user}: ")
}

pub fn connecting_to(url: &str) -> String {
    format!("Verbinden met {url}…")
}

/// The relay refused the sign-in after too many failed ones (`rate_limited`).
pub const LOGIN_THROTTLED: &str = "Te veel mislukte aanmeldingen. Wacht even en probeer opnieuw.";

pub fn login_failed(message: &str) -> String {
    format!("Aanmelden mislukt: {message}")
}

pub fn connect_failed(url: &str, error: &str) -> String {
    format!("Kon niet verbinden met {url}: {error}")
}

/// The relay presented another certificate than the pinned one. `known_relays` is the
/// file the pin came from, or `None` if it came from `--fingerprint`.
pub fn fingerprint_mismatch(
    relay: &str,
    expected: &str,
    seen: &str,
    known_relays: Option<&str>,
) -> String {
    let (what, fix) = match known_relays {
        Some(path) => (
            "is VERANDERD sinds de vorige keer".to_owned(),
            format!(
                "Is de wijziging verwacht (bv. een nieuwe dev-relay), verwijder dan de regel voor {relay} uit {path}."
            ),
        ),
        None => (
            "past niet bij --fingerprint".to_owned(),
            "Controleer de vingerafdruk die de relay toont.".to_owned(),
        ),
    };
    format!(
        "GEWEIGERD: het certificaat van relay {relay} {what}.\n\
         verwacht: {expected}\n\
         gekregen: {seen}\n\
         Iemand kan de verbinding onderscheppen. Vraag de vingerafdruk na bij de beheerder.\n\
         {fix}"
    )
}

pub const UNKNOWN_ISSUER_HINT: &str = "Het certificaat van de relay is niet door een bekende instantie ondertekend. \
     Heeft de relay een eigen certificaat, start dan met --fingerprint HEX (of --dev voor een lokale relay).";

pub fn bad_fingerprint(input: &str) -> String {
    format!("--fingerprint {input:?} is geen SHA-256-vingerafdruk: verwacht 64 hexadecimale tekens")
}

pub fn tls_setup_failed(error: &str) -> String {
    format!("TLS kon niet ingesteld worden: {error}")
}

pub fn first_use(relay: &str, fingerprint: &str, path: &str) -> String {
    format!(
        "Relay {relay} voor het eerst gezien; vingerafdruk {fingerprint} vertrouwd en bewaard in {path}."
    )
}

pub const NO_DATA_DIR: &str = "Kon geen datamap voor chathulp bepalen; geef er een met --data-dir.";
pub const NEED_SERVER: &str = "Geef --server wss://HOST:PORT (of --dev voor een lokale relay).";

// ---- key bindings -------------------------------------------------------------------

/// Descriptions of the key bindings: the help popup's text and the footer's short labels.
pub mod keys {
    pub const TAKE_SELECTED: &str = "neem de gekozen bezoeker (wachtrij)";
    pub const TAKE_SELECTED_SHORT: &str = "neem";
    pub const TAKE_NEXT: &str = "neem wie het langst wacht in deze dienst";
    pub const TAKE_NEXT_SHORT: &str = "volgende";
    pub const OPEN: &str = "open het gekozen gesprek (gesprekken)";
    pub const OPEN_SHORT: &str = "open";
    pub const SEND: &str = "verstuur het bericht (invoer)";
    pub const SEND_SHORT: &str = "verstuur";
    pub const NEWLINE: &str = "nieuwe regel in het bericht";
    pub const NEWLINE_SHORT: &str = "regel";
    pub const MOVE_DOWN: &str = "omlaag in de lijst";
    pub const MOVE_UP: &str = "omhoog in de lijst";
    pub const FOCUS_NEXT: &str = "volgend paneel: wachtrij, gesprekken, invoer";
    pub const FOCUS_NEXT_SHORT: &str = "paneel";
    pub const FOCUS_PREV: &str = "vorig paneel";
    pub const NEXT_CONVERSATION: &str = "volgend gesprek";
    pub const NEXT_CONVERSATION_SHORT: &str = "gesprek";
    pub const PREV_CONVERSATION: &str = "vorig gesprek";
    pub const JUMP_CONVERSATION: &str = "naar gesprek 1 tot 9";
    pub const END: &str = "gesprek beëindigen (met bevestiging) of sluiten";
    pub const END_SHORT: &str = "einde";
    pub const SCROLL_UP: &str = "oudere berichten";
    pub const SCROLL_DOWN: &str = "nieuwere berichten";
    pub const LEAVE_INPUT: &str = "verlaat de invoer";
    pub const HELP: &str = "deze hulp";
    pub const HELP_SHORT: &str = "help";
    pub const QUIT: &str = "chathulp afsluiten";
    pub const QUIT_SHORT: &str = "stop";
    pub const CLOSE_POPUP: &str = "sluit dit venster";
    pub const CLOSE_POPUP_SHORT: &str = "sluiten";
    pub const CONFIRM: &str = "ja";
    pub const CONFIRM_SHORT: &str = "ja";
    pub const CONFIRM_VISITOR: &str = "ja (een hoofdletter: een getypte j of y is nee)";
    pub const CONFIRM_VISITOR_SHORT: &str = "ja";
    pub const CANCEL: &str = "nee";
    pub const CANCEL_SHORT: &str = "nee";
    pub const CANNED: &str = "sjabloon in het bericht: deze toets, dan zijn letter";
    pub const CANNED_SHORT: &str = "sjabloon";
    pub const CANNED_SEARCH: &str = "zoek een sjabloon (in de lijst met sjablonen)";
    pub const CANNED_SEARCH_SHORT: &str = "zoek";
    pub const ACCEPT_CANNED: &str = "kies het aangeduide sjabloon (sjablonen)";
    pub const ACCEPT_CANNED_SHORT: &str = "kies";
    pub const ACCEPT_REASON: &str = "ga verder met deze tekst of keuze (venster)";
    pub const ACCEPT_REASON_SHORT: &str = "verder";
    pub const WATCH: &str = "volg het gekozen gesprek, alleen lezen (dashboard)";
    pub const WATCH_SHORT: &str = "meekijken";
    pub const UNWATCH: &str = "stop met meekijken in dit gesprek";
    pub const HOTLIST: &str = "naar het gesprek dat het meest wacht (noodgeval, onbeantwoord)";
    pub const HOTLIST_SHORT: &str = "actief";
    pub const NOTE: &str = "interne notitie bij dit gesprek (de bezoeker ziet ze nooit)";
    pub const NOTE_SHORT: &str = "notitie";
    pub const TRANSFER: &str = "gesprek overdragen aan een collega (met notitie en bevestiging)";
    pub const COPY_ID: &str = "gespreksnummer kopiëren";
    pub const REVEAL: &str =
        "noodgeval: vraag het IP-adres van de bezoeker aan (met reden en bevestiging)";
    pub const BLOCK: &str = "bezoeker blokkeren (met reden en bevestiging)";
    pub const TAG_NAME: &str =
        "naam markeren: een geanonimiseerde export toont ze als [naam] (ook na het einde)";
    pub const TAG_NAME_WRAP_UP: &str = "in de registratie: naam markeren voor de export";
    pub const TAG_NAME_SHORT: &str = "naam";
    pub const PREVIEW: &str =
        "geanonimiseerd gesprek bekijken, zoals het naar het team gaat (mis je een naam: m)";
    pub const TO_REGISTER: &str = "gesprekken die nog geregistreerd moeten worden";
    pub const REVEALS: &str = "aanvragen om een IP-adres te onthullen";
    pub const REVEALS_SHORT: &str = "aanvragen";
    pub const FIGURES: &str = "cijfers per dienst: wachtenden, gesprekken per uur, wachttijden";
    pub const FIGURES_SHORT: &str = "cijfers";
    pub const APPROVE: &str = "keur de gekozen aanvraag goed (met reden)";
    pub const APPROVE_SHORT: &str = "goedkeuren";
    pub const DENY: &str = "weiger de gekozen aanvraag (met reden)";
    pub const DENY_SHORT: &str = "weigeren";
    pub const TOGGLE_TOPIC: &str = "kies of schrap het gekozen onderwerp (registratie)";
    pub const TOGGLE_TOPIC_SHORT: &str = "onderwerp";
    pub const DOSSIER: &str = "dossierkandidaat aan/uit (met bevestiging)";
    pub const CLOSE_SERVICE: &str = "sluit de gekozen dienst nu, met reden (beheerder)";
    pub const CLOSE_SERVICE_SHORT: &str = "sluit dienst";
    pub const OPEN_SERVICE: &str = "open de gesloten dienst weer (beheerder)";
    pub const OPEN_SERVICE_SHORT: &str = "open dienst";
    pub const ACCOUNTS: &str = "de accounts van medewerkers (beheerder)";
    pub const ACCOUNTS_SHORT: &str = "accounts";
    pub const BLOCKS: &str = "de geblokkeerde bezoekers (beheerder)";
    pub const BLOCKS_SHORT: &str = "blokkades";
    pub const NEW_ACCOUNT: &str = "nieuw account: naam, dan rol";
    pub const NEW_ACCOUNT_SHORT: &str = "nieuw";
    pub const RESET_PASSWORD: &str = "nieuw wachtwoord voor het gekozen account (met bevestiging)";
    pub const RESET_PASSWORD_SHORT: &str = "wachtwoord";
    pub const TOGGLE_DISABLED: &str = "gekozen account uit- of weer inschakelen (met bevestiging)";
    pub const TOGGLE_DISABLED_SHORT: &str = "uit/aan";
    pub const LIFT_BLOCK: &str = "gekozen blokkade opheffen (met reden en bevestiging)";
    pub const LIFT_BLOCK_SHORT: &str = "opheffen";
}

// ---- workbench ----------------------------------------------------------------------

pub const HOTLIST_EMPTY: &str = "Geen ander gesprek dat wacht.";
pub const NO_COLLEAGUES: &str = "Geen collega aangemeld met plaats voor een gesprek.";
pub const NOTHING_TO_REGISTER: &str = "Alle gesprekken zijn geregistreerd.";
pub const NO_REVEALS: &str = "Geen aanvragen om een IP-adres te onthullen.";
pub const REVEAL_ALREADY_DECIDED: &str = "Over deze aanvraag is al beslist.";
pub const PICK_LIVE: &str = "Kies eerst een lopend gesprek in het dashboard.";
pub const NEED_TEXT: &str = "Typ eerst een tekst.";
pub const NOTE_SAVING: &str = "Notitie opslaan…";
pub const TRANSFERRING: &str = "Gesprek overdragen…";
pub const REVEAL_REQUESTING: &str = "Aanvraag om het IP-adres te onthullen verstuurd…";
pub const BLOCKING: &str = "Bezoeker blokkeren…";
pub const DECIDING: &str = "Beslissing versturen…";
pub const WRAP_UP_EMPTY: &str = "Kies een onderwerp of schrijf een notitie.";
pub const WRAP_UP_SAVED: &str = "Registratie opgeslagen.";
pub const WRAP_UP_POSTPONED: &str = "Registratie uitgesteld: w toont wat nog te registreren is.";
pub const REVEAL_FLAGGED: &str = "NOODGEVAL: nieuwe aanvraag om een IP-adres te onthullen (v).";
pub const REVEAL_REQUESTED_LINE: &str = "Noodgeval: IP-adres aangevraagd, wacht op een beheerder.";
pub const REVEAL_APPROVED_LINE: &str = "Noodgeval: IP-adres vrijgegeven door een beheerder.";
pub const REVEAL_DENIED_LINE: &str = "Aanvraag om het IP-adres te onthullen geweigerd.";
pub const REVEAL_PENDING_MARK: &str = "IP?";
pub const NOTE_MARK: &str = "notitie";
pub const WATCHING: &str = "meekijken";
pub const NOTE_TITLE: &str = "Interne notitie";
pub const TRANSFER_TITLE: &str = "Overdragen";
pub const REVEAL_TITLE: &str = "Noodgeval: IP-adres";
pub const BLOCK_TITLE: &str = "Bezoeker blokkeren";
pub const DECIDE_TITLE: &str = "Beslissing";
pub const WRAP_UP_TITLE: &str = "Registratie";
pub const TO_REGISTER_TITLE: &str = "Nog te registreren";
pub const REVEALS_TITLE: &str = "Aanvragen IP-adres";
pub const PICK_COLLEAGUE_TITLE: &str = "Overdragen aan";
pub const WRAP_UP_NOTES: &str = "Notities";
pub const ADMIN_DESK_ONLY: &str = "Alleen een beheerder beheert accounts en blokkades.";
pub const ACCOUNT_SAVING: &str = "Account bijwerken…";
pub const LIFTING: &str = "Blokkade opheffen…";
pub const ACCOUNTS_TITLE: &str = "Accounts";
pub const BLOCKS_TITLE: &str = "Blokkades";
pub const NEW_ACCOUNT_TITLE: &str = "Nieuw account";
pub const PICK_ROLE_TITLE: &str = "Rol van het nieuwe account";
pub const LIFT_BLOCK_TITLE: &str = "Blokkade opheffen";
pub const TAG_NAME_TITLE: &str = "Naam markeren";
pub const PREVIEW_VISITOR: &str = "bezoeker";
pub const PREVIEW_TITLE: &str = "Geanonimiseerd, zoals het naar het team gaat";
pub const PREVIEW_LOADING: &str = "Het geanonimiseerde gesprek wordt opgehaald…";
pub const PREVIEW_EMPTY: &str = "Nog geen berichten.";
pub const PREVIEW_HINT: &str = "Staat er nog een naam in? Sluit en markeer hem met m.";
pub const TAGGING_NAME: &str = "Naam markeren…";
pub const NAME_TAGGED: &str = "Naam gemarkeerd: een geanonimiseerde export toont [naam].";
pub const SECRET_TITLE: &str = "Wachtwoord";
pub const SECRET_ONCE: &str =
    "Dit wachtwoord wordt maar één keer getoond. Geef het veilig door; het wordt nergens bewaard.";
pub const NO_ACCOUNTS: &str = "(nog geen accounts geladen)";
pub const NO_BLOCKS: &str = "(geen blokkades)";
pub const DISABLED: &str = "uitgeschakeld";
pub const NO_TOPICS: &str = "geen onderwerpen ingesteld";
pub const TODAY: &str = "vandaag";

pub fn copied_id(id: &str) -> String {
    format!("Gespreksnummer gekopieerd: {id}")
}

pub fn transferred(nickname: &str, to: &str) -> String {
    format!("Gesprek met {nickname} overgedragen aan {to}.")
}

pub fn blocked(nickname: &str, until_ms: i64) -> String {
    format!(
        "{nickname} is geblokkeerd tot {}.",
        crate::text::clock_time(until_ms)
    )
}

/// The emergency disclosure in the conversation, unmistakable.
pub fn revealed_ip(ip: &str) -> String {
    format!("NOODGEVAL – IP-adres bezoeker: {ip} (enkel voor dit noodgeval)")
}

pub fn reveals_banner(pending: usize) -> String {
    if pending == 1 {
        "⚠ NOODGEVAL: 1 aanvraag om een IP-adres wacht op een beheerder (v)".to_owned()
    } else {
        format!("⚠ NOODGEVAL: {pending} aanvragen om een IP-adres wachten op een beheerder (v)")
    }
}

pub fn compose_prompt(purpose: &crate::model::Compose, nickname: &str) -> String {
    use crate::model::Compose;
    match purpose {
        Compose::Note(_) => format!("Interne notitie bij {nickname} (de bezoeker ziet ze nooit):"),
        Compose::Transfer { to, .. } => format!("Overdrachtsnotitie voor {to} over {nickname}:"),
        Compose::Reveal(_) => {
            format!("Waarom moet het IP-adres van {nickname} onthuld worden? (verplicht)")
        }
        Compose::Block(_) => format!("Waarom blokkeer je {nickname}? (verplicht)"),
        Compose::Decide { approve: true, .. } => "Waarom keur je de aanvraag goed?".into(),
        Compose::Decide { approve: false, .. } => "Waarom weiger je de aanvraag?".into(),
        Compose::AccountName => "Naam van het nieuwe account (de rol kies je hierna):".into(),
        Compose::LiftBlock(id) => format!("Waarom hef je blokkade #{id} op? (verplicht)"),
        Compose::TagName(_) => "Naam om weg te laten bij anonimiseren:".into(),
    }
}

pub fn confirm_compose(purpose: &crate::model::Compose, nickname: &str, text: &str) -> String {
    use crate::model::Compose;
    match purpose {
        Compose::Block(_) => format!("{nickname} blokkeren? Reden: {text}. Het gesprek eindigt."),
        Compose::LiftBlock(id) => format!("Blokkade #{id} opheffen? Reden: {text}"),
        Compose::Transfer { to, .. } => {
            format!("Gesprek met {nickname} overdragen aan {to}? Notitie: {text}")
        }
        _ => format!("IP-adres van {nickname} aanvragen bij een beheerder? Reden: {text}"),
    }
}

pub fn reveal_state(state: chathulp_shared::staff::RevealState) -> &'static str {
    use chathulp_shared::staff::RevealState;
    match state {
        RevealState::Pending => "wacht",
        RevealState::Approved => "goedgekeurd",
        RevealState::Denied => "geweigerd",
    }
}

pub fn dashboard_line(waiting: u32, longest: Option<&str>) -> String {
    match longest {
        Some(longest) => format!("{waiting} wachtend, langst {longest}"),
        None => format!("{waiting} wachtend"),
    }
}

pub fn today_line(conversations: u32, mean_wait: Option<&str>) -> String {
    match mean_wait {
        Some(mean) => format!("{TODAY}: {conversations} gesprekken, gem. wacht {mean}"),
        None => format!("{TODAY}: {conversations} gesprekken"),
    }
}

// ---- the "Cijfers" screen -----------------------------------------------------------

pub const FIGURES_TITLE: &str = "Cijfers";
pub const FIGURES_ONLY: &str = "Alleen supervisors en beheerders zien de cijfers.";
pub const FIGURES_NONE: &str = "Nog geen cijfers van de relay.";
pub const FIGURES_NO_SAMPLES: &str = "Wachtenden: nog geen metingen (elke 5 minuten één).";
pub const FIGURES_NO_HOURS: &str = "geen cijfers per uur (oudere relay)";

/// The queue right now: how many wait, and how long the longest has waited.
pub fn figures_now(waiting: u32, longest: Option<&str>) -> String {
    match (waiting, longest) {
        (0, _) => "Nu: niemand wacht".to_owned(),
        (n, Some(longest)) => format!("Nu: {n} wachtend, langst wachtend {longest}"),
        (n, None) => format!("Nu: {n} wachtend"),
    }
}

/// Above the sparkline: the time it covers, how often it was measured, and its peak.
pub fn figures_waiting(from: &str, to: &str, every_mins: i64, peak: u32) -> String {
    format!("Wachtenden {from}–{to} (elke {every_mins} min, hoogst {peak})")
}

pub fn figures_today(conversations: u32, mean_wait: Option<&str>) -> String {
    figures_total("Vandaag", conversations, mean_wait)
}

pub const FIGURES_WEEK: &str = "Deze week (sinds maandag)";

pub fn figures_week(conversations: u32, mean_wait: Option<&str>) -> String {
    figures_total(FIGURES_WEEK, conversations, mean_wait)
}

fn figures_total(when: &str, conversations: u32, mean_wait: Option<&str>) -> String {
    let noun = if conversations == 1 {
        "gesprek"
    } else {
        "gesprekken"
    };
    match mean_wait {
        Some(mean) => {
            format!("{when}: {conversations} {noun}, gem. wachttijd {mean} · per uur")
        }
        None => format!("{when}: {conversations} {noun} · per uur"),
    }
}

/// Which services show, when not all fit: `dienst 1 van 2 (j/k)`.
pub fn figures_page(first: usize, shown: usize, of: usize, keys: &str) -> String {
    if shown == 1 {
        format!("dienst {first} van {of} ({keys})")
    } else {
        format!("diensten {first}–{} van {of} ({keys})", first + shown - 1)
    }
}

pub const TYPING_MARK: &str = "typt…";

/// The names tagged in a conversation, for its header.
pub fn tagged_names(names: &[String]) -> String {
    format!("weggelaten: {}", names.join(", "))
}

pub fn handover_line(from: &str, note: &str) -> String {
    format!("overgedragen door {from}: {note}")
}

pub fn confirm_account(change: &crate::model::AccountChange) -> String {
    use crate::model::AccountChange;
    match change {
        AccountChange::ResetPassword { user } => {
            format!("Nieuw wachtwoord voor {user}? Het oude werkt dan niet meer.")
        }
        AccountChange::SetDisabled {
            user,
            disabled: true,
        } => format!("{user} uitschakelen? Aanmelden lukt dan niet meer."),
        AccountChange::SetDisabled {
            user,
            disabled: false,
        } => format!("{user} weer inschakelen?"),
    }
}

pub fn secret_for(user: &str) -> String {
    format!("Wachtwoord voor {user}:")
}

pub fn visitor_waiting(service: &str) -> String {
    format!("Een bezoeker wacht bij {service}.")
}

pub fn new_message_from(nickname: &str) -> String {
    format!("Nieuw bericht van {nickname}.")
}

// ---- older scrollback ---------------------------------------------------------------

/// At the top of the scrollback while older messages are on the relay (scrolling up to
/// it fetches them), while they load, and once the first message is reached.
pub const OLDER_ON_RELAY: &str = "↑ oudere berichten";
pub const OLDER_LOADING: &str = "Oudere berichten laden…";
pub const CONVERSATION_START: &str = "Begin van het gesprek.";
