//! The scrubber for anonymised transcripts: replaces what identifies a visitor in message
//! text by a typed placeholder, for team consultation.
//!
//! | found | placeholder |
//! |---|---|
//! | the visitor's nickname and the names the counselor tagged (`tag_name`), anywhere, any case, whole words, the longest first | `[naam]` |
//! | e-mail addresses | `[e-mail]` |
//! | IBANs (mod-97 checksum valid) | `[iban]` |
//! | Belgian national register numbers (checksum valid, born before or after 2000) | `[rijksregisternummer]` |
//! | Belgian phone numbers (0… with 9 or 10 digits) and international ones (+… or 00…) | `[telefoon]` |
//! | a street with a house number (capitalised street name, or any case when a postcode follows), with bus, postcode and place if present | `[adres]` |
//!
//! Deliberately left alone: dates (`12/03/2024`, `01.02.2024`), times (`14.30`), amounts
//! (`€ 1.250,00`), short numbers such as `1813` and `112`, and **a postcode or place on its
//! own** (`ik woon in 9000`, `in Gent`): a municipality says no more than the intake's
//! region, and the counselor's team needs it to point to local help. Invalid checksums
//! stay too: `12.34.56-789.00` is not a national register number.
//!
//! This is a safety net, not a guarantee: a name nobody tagged, or an address written
//! unusually, passes. Whoever shares an export still reads it first.

use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Builds one of the fixed patterns below; they are tested, so failure is a bug.
fn pattern(re: &str) -> Regex {
    match Regex::new(re) {
        Ok(r) => r,
        Err(e) => panic!("scrubber pattern {re:?} does not compile: {e}"),
    }
}

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"));
static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    pattern(r"\b[A-Za-z]{2}\d{2} ?[A-Za-z0-9]{4}(?: ?\d{4}){1,6}(?: ?\d{1,3})?\b")
});
static NATIONAL_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"\b\d{2}\.?\d{2}\.?\d{2}[-. ]?\d{3}\.?\d{2}\b"));
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?:\+|\b0)\d(?:[ ./-]?(?:\(0\))?\d){7,14}\b"));
static DATE_LIKE: LazyLock<Regex> = LazyLock::new(|| pattern(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}"));
/// Dutch street names end in one of these words.
const DUTCH_STREET: &str =
    r"[\p{L}'-]*(?:straat|laan|plein|steenweg|weg|dreef|lei|kaai|markt|singel|baan|dijk|vest|hof)";
/// French street names start with one of these, in any case.
const FRENCH_STREET: &str = r"(?i:rue|avenue|chaussée|place|boulevard|chemin)(?: [\p{L}'-]+){1,4}";
const NUMBER: &str = r" \d{1,4}(?: ?[a-zA-Z]\b)?(?:,? ?(?:bus|bte|b\.) ?\d+)?";
const POSTCODE: &str = r",? ?[1-9]\d{3} \p{Lu}[\p{L}-]+";
static ADDRESS_CAPITALISED: LazyLock<Regex> = LazyLock::new(|| {
    pattern(&format!(
        r"\b(?:\p{{Lu}}{DUTCH_STREET}|{FRENCH_STREET}){NUMBER}(?:{POSTCODE})?"
    ))
});
static ADDRESS_WITH_POSTCODE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(&format!(
        r"\b(?:\p{{L}}(?i:{DUTCH_STREET})|{FRENCH_STREET}){NUMBER}{POSTCODE}"
    ))
});

/// The names to replace by `[naam]` in one conversation: the visitor's nickname and the
/// names its counselor tagged, as one pattern (built once per conversation).
pub struct Names {
    pattern: Option<Regex>,
}

impl Names {
    /// Each name case-insensitive, as a whole word where it starts and ends with a word
    /// character, any run of white space inside it matching any other; the longest
    /// first, so "Jonas Peeters" goes as one before "Jonas" could leave "Peeters".
    pub fn new<'a>(nickname: &'a str, tagged: impl IntoIterator<Item = &'a str>) -> Self {
        let mut names: Vec<&str> = std::iter::once(nickname)
            .chain(tagged)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
        let mut seen: Vec<String> = Vec::new();
        let mut alternatives = Vec::new();
        for name in names {
            let folded = name.to_lowercase();
            if seen.contains(&folded) {
                continue;
            }
            seen.push(folded);
            alternatives.push(name_pattern(name));
        }
        let pattern = (!alternatives.is_empty())
            .then(|| Regex::new(&format!("(?i)(?:{})", alternatives.join("|"))).ok())
            .flatten();
        Self { pattern }
    }
}

/// Scrubs `text` of one message of a conversation whose visitor used `nickname`.
pub fn scrub(text: &str, nickname: &str) -> String {
    scrub_names(text, &Names::new(nickname, []))
}

/// Scrubs `text` of one message of a conversation, replacing `names` by `[naam]`.
pub fn scrub_names(text: &str, names: &Names) -> String {
    let text = EMAIL.replace_all(text, "[e-mail]");
    let text = IBAN.replace_all(&text, |c: &Captures<'_>| {
        keep_unless(c, iban_valid, "[iban]")
    });
    let text = NATIONAL_NUMBER.replace_all(&text, |c: &Captures<'_>| {
        keep_unless(c, national_number_valid, "[rijksregisternummer]")
    });
    let text = PHONE.replace_all(&text, |c: &Captures<'_>| {
        keep_unless(c, phone_like, "[telefoon]")
    });
    let text = ADDRESS_WITH_POSTCODE.replace_all(&text, "[adres]");
    let text = ADDRESS_CAPITALISED.replace_all(&text, "[adres]");
    let Some(pattern) = &names.pattern else {
        return text.into_owned();
    };
    pattern
        .replace_all(&text, |c: &Captures<'_>| {
            let whole = c.get(0).map_or(0..0, |m| m.range());
            // A name that is a placeholder's word ("adres") leaves the placeholder be.
            let in_placeholder =
                text[..whole.start].ends_with('[') && text[whole.end..].starts_with(']');
            if in_placeholder {
                c[0].to_owned()
            } else {
                "[naam]".to_owned()
            }
        })
        .into_owned()
}

/// `placeholder` if `valid` holds for the match, else the match unchanged.
fn keep_unless(c: &Captures<'_>, valid: fn(&str) -> bool, placeholder: &str) -> String {
    let found = &c[0];
    if valid(found) {
        placeholder.to_owned()
    } else {
        found.to_owned()
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn iban_valid(found: &str) -> bool {
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

fn national_number_valid(found: &str) -> bool {
    let d = digits(found);
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

/// One name as a pattern: a whole word where it starts and ends with a word character,
/// white space inside it matching any run of white space.
fn name_pattern(name: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let start = if word(name.chars().next()) { r"\b" } else { "" };
    let end = if word(name.chars().last()) { r"\b" } else { "" };
    let inner = name
        .split_whitespace()
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join(r"\s+");
    format!("{start}{inner}{end}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (message, nickname, expected). Real-looking Dutch sentences.
    const CORPUS: &[(&str, &str, &str)] = &[
        // Names: the nickname anywhere, in any case, as a whole word.
        (
            "Ik ben Noor en ik ben 15",
            "Noor",
            "Ik ben [naam] en ik ben 15",
        ),
        (
            "NOOR zegt mijn mama altijd",
            "Noor",
            "[naam] zegt mijn mama altijd",
        ),
        ("Noortje is mijn zus", "Noor", "Noortje is mijn zus"),
        (
            "ik heet x_mila_x op insta",
            "x_mila_x",
            "ik heet [naam] op insta",
        ),
        // Phone numbers.
        (
            "bel me op 0470 12 34 56 aub",
            "Sam",
            "bel me op [telefoon] aub",
        ),
        ("mijn gsm: 0470/12.34.56", "Sam", "mijn gsm: [telefoon]"),
        ("thuis 09 123 45 67", "Sam", "thuis [telefoon]"),
        ("of +32 470 12 34 56", "Sam", "of [telefoon]"),
        (
            "mijn nummer is 0032470123456",
            "Sam",
            "mijn nummer is [telefoon]",
        ),
        (
            "papa woont in Nederland: +31 6 12345678",
            "Sam",
            "papa woont in Nederland: [telefoon]",
        ),
        // E-mail.
        (
            "mail naar noor.peeters@gmail.com",
            "Sam",
            "mail naar [e-mail]",
        ),
        ("of sam+chat@student.ugent.be", "Sam", "of [e-mail]"),
        // Addresses.
        (
            "ik woon in de Kerkstraat 12, 9000 Gent",
            "Sam",
            "ik woon in de [adres]",
        ),
        ("Dorpsplein 3 bus 2 in Lier", "Sam", "[adres] in Lier"),
        (
            "adres: kortrijksesteenweg 1010 9051 Sint-Denijs-Westrem",
            "Sam",
            "adres: [adres]",
        ),
        (
            "chez moi, rue de la Loi 16, 1000 Brussel",
            "Sam",
            "chez moi, [adres]",
        ),
        // National register numbers: valid before and after 2000.
        (
            "mijn rijksregisternummer is 85.07.30-033.28",
            "Sam",
            "mijn rijksregisternummer is [rijksregisternummer]",
        ),
        (
            "nummer 05071401242 staat op mijn kaart",
            "Sam",
            "nummer [rijksregisternummer] staat op mijn kaart",
        ),
        // IBANs.
        ("stort op BE68 5390 0754 7034", "Sam", "stort op [iban]"),
        (
            "rekening be68539007547034 graag",
            "Sam",
            "rekening [iban] graag",
        ),
        // Must NOT be touched.
        (
            "Bel 112 of de Zelfmoordlijn op 1813",
            "Sam",
            "Bel 112 of de Zelfmoordlijn op 1813",
        ),
        ("ik woon in 9000", "Sam", "ik woon in 9000"),
        (
            "het was op 12/03/2024 om 14.30 uur",
            "Sam",
            "het was op 12/03/2024 om 14.30 uur",
        ),
        (
            "op 01.02.2024 14.30 begon het",
            "Sam",
            "op 01.02.2024 14.30 begon het",
        ),
        (
            "ik kreeg € 1.250,00 zakgeld, of 0,50 euro per dag",
            "Sam",
            "ik kreeg € 1.250,00 zakgeld, of 0,50 euro per dag",
        ),
        (
            "ik ben onderweg 2 uur naar school",
            "Sam",
            "ik ben onderweg 2 uur naar school",
        ),
        (
            "12.34.56-789.00 is geen echt nummer",
            "Sam",
            "12.34.56-789.00 is geen echt nummer",
        ),
        (
            "BE68 5390 0754 7035 is een tikfout",
            "Sam",
            "BE68 5390 0754 7035 is een tikfout",
        ),
        (
            "ik ben 16 en zit in het 4de jaar",
            "Sam",
            "ik ben 16 en zit in het 4de jaar",
        ),
        (
            "Samenvatting: het gaat beter",
            "Sam",
            "Samenvatting: het gaat beter",
        ),
    ];

    /// (message, nickname, tagged names, expected).
    const TAGGED: &[(&str, &str, &[&str], &str)] = &[
        (
            "Mijn vriendin Mila en mijn broer Jonas Peeters",
            "Sam",
            &["Mila", "Jonas", "Jonas Peeters"],
            "Mijn vriendin [naam] en mijn broer [naam]",
        ),
        (
            "MILA zei dat jonas het wist",
            "Sam",
            &["Mila", "Jonas"],
            "[naam] zei dat [naam] het wist",
        ),
        // Whole words only: Milan and Jonasje are other words.
        (
            "Milan en Jonasje",
            "Sam",
            &["Mila", "Jonas"],
            "Milan en Jonasje",
        ),
        // White space inside a tagged name matches any run of it.
        (
            "ik zit bij Jonas   Peeters\nin de klas",
            "Sam",
            &["Jonas Peeters"],
            "ik zit bij [naam]\nin de klas",
        ),
        // The nickname and a tagged name together; a name that is a placeholder's word
        // leaves the placeholder be.
        (
            "Sam woont in de Kerkstraat 12, 9000 Gent bij tante Adres",
            "Sam",
            &["adres"],
            "[naam] woont in de [adres] bij tante [naam]",
        ),
        // Regex characters in a name are literal.
        ("de (x) groep en x", "Sam", &["(x)"], "de [naam] groep en x"),
    ];

    #[test]
    fn tagged_names_are_scrubbed_whole_longest_first_in_any_case() {
        let mut failures = Vec::new();
        for (text, nickname, tagged, expected) in TAGGED {
            let names = Names::new(nickname, tagged.iter().copied());
            let got = scrub_names(text, &names);
            if got != *expected {
                failures.push(format!("{text:?}\n   got {got:?}\n  want {expected:?}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn the_corpus_is_scrubbed_as_expected() {
        let mut failures = Vec::new();
        for (text, nickname, expected) in CORPUS {
            let got = scrub(text, nickname);
            if got != *expected {
                failures.push(format!("{text:?}\n   got {got:?}\n  want {expected:?}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }
}
