//! The anonymiser for transcripts: finds what identifies a visitor or someone they talk
//! about in message text, and replaces it by a placeholder that says what it was.
//!
//! | found | placeholder |
//! |---|---|
//! | person names: the visitor's nickname, the names the counselor tagged (`tag_name`), and names nobody tagged ([`names`]) | `[naam 1]`, `[naam 2]`, … the same person the same number within one transcript |
//! | e-mail addresses, also `naam[at]gmail[dot]com`, `naam (at) telenet (punt) be`, `naam at hotmail dot com`, `naam @ gmail . com` | `[e-mail]` |
//! | IBANs (mod-97 checksum valid) | `[iban]` |
//! | Belgian national register numbers (checksum valid, born before or after 2000), with or without dots, dashes or spaces | `[rijksregisternummer]` |
//! | phone numbers: `0…` with 9 or 10 digits, `+…` or `00…` with 10 to 15, in groups with spaces, dots, slashes, dashes, `(0)` | `[telefoon]` |
//! | social-media accounts: `@naam`, "insta: naam", "mijn snap is naam" | `[account]` |
//! | Belgian licence plates: `1-ABC-234`, `1ABC234`, `ABC-123`, `123-ABC` | `[nummerplaat]` |
//! | a street with a house number, with bus, postcode and place if present | `[adres]` |
//! | a school by name: "Sint-Jozefscollege", "KA Redingenhof", "basisschool De Regenboog" | `[school]` |
//!
//! Deliberately left alone: ages, dates (`12/03/2024`, `12 maart`), times (`14.30`),
//! amounts, short numbers such as `1813`, `112` and `101`, the services' own names (CAW,
//! JAC, Awel, CLB), roles ("mama", "juf", "leerkracht": the role stays, the name after it
//! goes), and **a postcode or place on its own** (`ik woon in 9000`, `in Gent`): a
//! municipality says no more than the intake's region, and the counselor's team needs it
//! to point to local help. Invalid checksums stay too.
//!
//! This is a safety net, not a guarantee (docs/security.md lists what it misses): whoever
//! shares an export still reads it first.

mod contact;
mod lists;
mod names;
#[cfg(test)]
mod tests;
mod text;

use std::ops::Range;

use regex::Regex;

pub use text::fold;

/// What a placeholder stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Name,
    Email,
    Phone,
    NationalNumber,
    Iban,
    Account,
    Plate,
    Address,
    School,
}

impl Kind {
    /// The word in the placeholder, `[e-mail]`; also the kind's name in the evaluation.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Name => "naam",
            Kind::Email => "e-mail",
            Kind::Phone => "telefoon",
            Kind::NationalNumber => "rijksregisternummer",
            Kind::Iban => "iban",
            Kind::Account => "account",
            Kind::Plate => "nummerplaat",
            Kind::Address => "adres",
            Kind::School => "school",
        }
    }

    pub const ALL: [Kind; 9] = [
        Kind::Name,
        Kind::Email,
        Kind::Phone,
        Kind::NationalNumber,
        Kind::Iban,
        Kind::Account,
        Kind::Plate,
        Kind::Address,
        Kind::School,
    ];
}

/// One thing found in a message: its bytes and its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub range: Range<usize>,
    pub kind: Kind,
}

/// The anonymiser of one transcript: knows the nickname and the tagged names, and numbers
/// the people it meets in the order they first appear.
pub struct Anonymiser {
    /// The nickname and the tagged names as one pattern, the longest first.
    tagged: Option<Regex>,
    /// Each person met so far (by index: `[naam 1]` is 0), as folded name words without
    /// particles; a later "Jonas" is the earlier "Jonas Peeters".
    people: Vec<Vec<String>>,
}

impl Anonymiser {
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
        let tagged = (!alternatives.is_empty())
            .then(|| Regex::new(&format!("(?i)(?:{})", alternatives.join("|"))).ok())
            .flatten();
        Self {
            tagged,
            people: Vec::new(),
        }
    }

    /// What must go from `text`, sorted, without overlaps.
    pub fn find(&self, text: &str) -> Vec<Found> {
        let mut candidates = Vec::new();
        contact::find(text, &mut candidates);
        if let Some(tagged) = &self.tagged {
            candidates.extend(tagged.find_iter(text).map(|m| Found {
                range: m.range(),
                kind: Kind::Name,
            }));
        }
        // Earlier candidates win: contact details, then tagged names, then the finder.
        let mut found: Vec<Found> = Vec::new();
        for c in candidates {
            if c.range.is_empty() || found.iter().any(|f| overlaps(&f.range, &c.range)) {
                continue;
            }
            found.push(c);
        }
        let words = text::words(text);
        let taken: Vec<bool> = words
            .iter()
            .map(|w| found.iter().any(|f| overlaps(&f.range, &w.range)))
            .collect();
        found.extend(names::find(&words, &taken).into_iter().map(|range| Found {
            range,
            kind: Kind::Name,
        }));
        found.sort_by_key(|f| f.range.start);
        found
    }

    /// `text` with what [`Anonymiser::find`] finds replaced by placeholders; names are
    /// numbered across every call on this anonymiser.
    pub fn scrub(&mut self, text: &str) -> String {
        let found = self.find(text);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for f in found {
            out.push_str(&text[at..f.range.start]);
            match f.kind {
                Kind::Name => {
                    let n = self.person(&text[f.range.clone()]);
                    out.push_str(&format!("[naam {n}]"));
                }
                kind => {
                    out.push('[');
                    out.push_str(kind.label());
                    out.push(']');
                }
            }
            at = f.range.end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// The number of the person called `name` (from 1), a new one if it is nobody met.
    fn person(&mut self, name: &str) -> usize {
        let key: Vec<String> = text::words(name)
            .into_iter()
            .map(|w| w.folded)
            .filter(|w| !lists::PARTICLES.contains(w.as_str()))
            .collect();
        let key = if key.is_empty() {
            vec![fold(name)]
        } else {
            key
        };
        if let Some(i) = self.people.iter().position(|p| *p == key) {
            return i + 1;
        }
        // "Jonas" after "Jonas Peeters", or "Peeters": the same person.
        if key.len() == 1
            && let Some(i) = self.people.iter().position(|p| p.contains(&key[0]))
        {
            return i + 1;
        }
        // "Jonas Peeters" after "Jonas": the same person, now known by both names.
        if key.len() > 1
            && let Some(i) = self
                .people
                .iter()
                .position(|p| p.len() == 1 && key.contains(&p[0]))
        {
            self.people[i] = key;
            return i + 1;
        }
        self.people.push(key);
        self.people.len()
    }
}

/// Scrubs one message on its own, for a visitor who used `nickname`.
pub fn scrub(text: &str, nickname: &str) -> String {
    Anonymiser::new(nickname, []).scrub(text)
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
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
