//! Contact details and numbers found by pattern: e-mail addresses (also written
//! `naam[at]gmail[dot]com`), phone numbers, national register numbers and IBANs (both
//! checksum-valid), social-media accounts, Belgian licence plates, street addresses and
//! schools.

use std::sync::LazyLock;

use regex::Regex;

use super::{Found, Kind};

/// Builds one of the fixed patterns below; they are tested, so failure is a bug.
fn pattern(re: &str) -> Regex {
    match Regex::new(re) {
        Ok(r) => r,
        Err(e) => panic!("scrubber pattern {re:?} does not compile: {e}"),
    }
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    pattern(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
});
/// `naam [at] gmail [dot] com`, `naam(at)telenet(punt)be`, `naam at hotmail dot com`,
/// `naam @ gmail . com`: only with a top-level domain people use, so "at home" and "op
/// @naam.official" (an account) stay.
static EMAIL_SPELLED: LazyLock<Regex> = LazyLock::new(|| {
    let at = r"(?:\s*(?:\[\s*(?:at|@)\s*\]|\(\s*(?:at|@)\s*\)|\{\s*(?:at|@)\s*\}|@)\s*|\s+(?:at|apenstaartje|aapje)\s+)";
    let dot = r"(?:\s*(?:\[\s*(?:dot|punt)\s*\]|\(\s*(?:dot|punt)\s*\)|\{\s*(?:dot|punt)\s*\}|\.)\s*|\s+(?:dot|punt)\s+)";
    let tld = r"(?:com|be|nl|net|org|eu|fr|de|uk|io|info|me|co|live|edu)";
    pattern(&format!(
        r"(?i)[a-z0-9._%+-]+{at}[a-z0-9-]+(?:{dot}[a-z0-9-]+)*?{dot}{tld}\b"
    ))
});
static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    pattern(r"\b[A-Za-z]{2} ?\d{2} ?[A-Za-z0-9]{4}(?: ?\d{4}){1,6}(?: ?\d{1,3})?\b")
});
static NATIONAL_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"\b\d{2}[. ]?\d{2}[. ]?\d{2}[-. ]?\d{3}[-. ]?\d{2}\b"));
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?:\+|\b0)\d(?: ?[./-]? ?(?:\(0\) ?)?\d){7,14}\b"));
static DATE_LIKE: LazyLock<Regex> = LazyLock::new(|| pattern(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}"));
/// Belgian plates: `1-ABC-234` (since 2010, also `1ABC234`), `ABC-123` and `123-ABC`
/// (before); letters in capitals unless dashes make the form plain.
static PLATE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i:\b[1-9]-[a-z]{3}-\d{3}\b|\b[1-9][a-z]{3}\d{3}\b|\b[a-z]{3}-\d{3}\b|\b\d{3}-[a-z]{3}\b)|\b[1-9][ .][A-Z]{3}[ .]\d{3}\b|\b[A-Z]{3} \d{3}\b",
    )
});
/// `@naam`, not inside an e-mail address.
static HANDLE_AT: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?:^|[^\w@.])(@[A-Za-z0-9][A-Za-z0-9._]{1,29})"));
/// "insta: naam", "mijn snap is naam", "add me op snap naam".
static HANDLE_LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i)\b(?:insta(?:gram)?|ig|snap(?:chat)?|sc|tiktok|tt|twitter|discord|facebook|fb|telegram|twitch|youtube|yt|bereal|threads|signal)\b(?:\s*(?:account|naam|name|username|user))?\s*(?:(?::|=|-|\bis\b|\bheet\b|\bben ik\b|\bheet ik\b)\s*)*(@?[a-z0-9][a-z0-9._#]{1,39})",
    )
});
/// Dutch street names end in one of these words.
const DUTCH_STREET: &str = r"(?:straat|laan|plein|steenweg|weg|dreef|lei|kaai|markt|singel|baan|dijk|vest|hof|wegel|kade|gracht|pad|dam)";
/// French street names start with one of these, in any case.
const FRENCH_STREET: &str = r"(?i:rue|avenue|chaussée|place|boulevard|chemin)(?: [\p{L}'-]+){1,4}";
const NUMBER: &str = r" \d{1,4}(?: ?[a-zA-Z]\b)?(?:,? ?(?i:bus|bte|b\.) ?\d+)?";
const POSTCODE: &str = r",? ?[1-9]\d{3}(?: [\p{L}-]{2,})?";
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    pattern(&format!(
        r"\b(?:(?i:lange|korte|grote|kleine|oude|nieuwe|hoge|lage|sint|st\.?|onze-lieve-vrouw)[ -])?(?:[\p{{L}}'-]{{2,}}(?i:{DUTCH_STREET})|{FRENCH_STREET}){NUMBER}(?:{POSTCODE})?"
    ))
});
/// Words that end like a street but are none: "onderweg 2 uur".
const NOT_STREETS: &[&str] = &[
    "onderweg",
    "halfweg",
    "snelweg",
    "autosnelweg",
    "zijweg",
    "loopbaan",
    "ijsbaan",
    "renbaan",
    "speelplein",
    "schoolplein",
    "carrousel",
    "thuisweg",
    "terugweg",
    "heenweg",
];
/// What follows a number that is an amount, not a house number.
const UNITS: &[&str] = &[
    "uur", "u", "jaar", "jaren", "keer", "dag", "dagen", "week", "weken", "maand", "maanden",
    "minuten", "min", "km", "m", "euro", "eur", "kinderen", "kg", "procent", "%", "seconden",
];
/// Compound school names: "Sint-Jozefscollege", "Sint-Ursula-instituut", "KA Redingenhof",
/// "basisschool De Regenboog".
static SCHOOL: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i:\b[\p{L}-]{3,}(?:college|instituut|lyceum|atheneum)\b)|\b(?:KA|GO!|KTA|VTI|GBS|VBS|SBS|GIBSO|BuSO|BuBaO|TSM|SJI|OLVI|KOCA|PTS|PTI|VMS)\s+[\p{L}][\p{L}-]+(?: [\p{Lu}][\p{L}-]+)?|(?i:\b(?:basisschool|kleuterschool|middenschool|lagere school|secundaire school|middelbare school|freinetschool|steinerschool)\s+(?:(?:de|het|'t|den|sint|st\.?)\s+)?[\p{L}][\p{L}-]+)",
    )
});
/// Words that follow "basisschool" without naming it.
const NOT_SCHOOL_NAMES: &[&str] = &[
    "was", "is", "en", "in", "van", "op", "gaat", "zat", "zit", "heb", "had", "ik", "de", "het",
    "en", "maar", "of", "toen", "al", "niet", "nog", "ook", "werd", "geweest", "waren",
];

/// Everything this module finds in `text`, in priority order (an earlier kind wins where
/// two overlap).
pub fn find(text: &str, out: &mut Vec<Found>) {
    let mut add = |range: std::ops::Range<usize>, kind: Kind| out.push(Found { range, kind });
    for m in EMAIL.find_iter(text).chain(EMAIL_SPELLED.find_iter(text)) {
        add(m.range(), Kind::Email);
    }
    for m in IBAN.find_iter(text).filter(|m| iban_valid(m.as_str())) {
        add(m.range(), Kind::Iban);
    }
    for m in NATIONAL_NUMBER
        .find_iter(text)
        .filter(|m| national_number_valid(m.as_str()))
    {
        add(m.range(), Kind::NationalNumber);
    }
    for m in PHONE.find_iter(text).filter(|m| phone_like(m.as_str())) {
        add(m.range(), Kind::Phone);
    }
    for m in PLATE.find_iter(text) {
        add(m.range(), Kind::Plate);
    }
    for c in HANDLE_AT.captures_iter(text) {
        if let Some(m) = c.get(1) {
            add(trim_dots(m), Kind::Account);
        }
    }
    for c in HANDLE_LABELLED.captures_iter(text) {
        if let Some(m) = c.get(1)
            && handle_like(m.as_str())
        {
            add(trim_dots(m), Kind::Account);
        }
    }
    for m in ADDRESS.find_iter(text) {
        if street_like(text, m) {
            add(m.range(), Kind::Address);
        }
    }
    for m in SCHOOL.find_iter(text) {
        let last = m.as_str().rsplit(' ').next().unwrap_or_default();
        if !NOT_SCHOOL_NAMES.contains(&super::text::fold(last).as_str()) {
            add(m.range(), Kind::School);
        }
    }
}

/// A match without the dots a sentence put after it ("insta: fien.tje.").
fn trim_dots(m: regex::Match<'_>) -> std::ops::Range<usize> {
    m.start()..m.start() + m.as_str().trim_end_matches('.').len()
}

/// An account name looks like one (digits, `_`, `.`, `#`, `@`), or is no Dutch word.
fn handle_like(h: &str) -> bool {
    let folded = super::text::fold(h);
    if h.chars().any(|c| c.is_ascii_digit() || "_.#@".contains(c)) {
        return true;
    }
    !super::lists::STOP.contains(folded.as_str())
        && !super::lists::DUTCH_WORDS.contains(folded.as_str())
}

fn street_like(text: &str, m: regex::Match<'_>) -> bool {
    let found = m.as_str();
    let street = found.split(' ').find(|w| !w.is_empty()).unwrap_or_default();
    let street = super::text::fold(street);
    if NOT_STREETS.contains(&street.as_str()) {
        return false;
    }
    let next = text[m.end()..]
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.')
        .find(|w| !w.is_empty())
        .unwrap_or_default();
    !UNITS.contains(&super::text::fold(next).as_str())
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

pub fn iban_valid(found: &str) -> bool {
    let compact: String = found
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut remainder: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let Some(value) = c.to_digit(36) else {
            return false;
        };
        // Letters count as two digits (A = 10 … Z = 35).
        let shift = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * shift + value) % 97;
    }
    remainder == 1
}

pub fn national_number_valid(found: &str) -> bool {
    let d = digits(found);
    if d.len() != 11 {
        return false;
    }
    let (Ok(base), Ok(check)) = (d[..9].parse::<u64>(), d[9..].parse::<u64>()) else {
        return false;
    };
    let month = (base / 100_000) % 100;
    // Month 0 is allowed (birth date unknown); +20/+40 mark bis numbers.
    let plausible = month % 20 <= 12;
    plausible && (97 - base % 97 == check || 97 - (2_000_000_000 + base) % 97 == check)
}

fn phone_like(found: &str) -> bool {
    if DATE_LIKE.is_match(found) {
        return false;
    }
    let n = digits(found).len();
    if found.starts_with('+') || found.starts_with("00") {
        (10..=15).contains(&n)
    } else {
        n == 9 || n == 10
    }
}
