//! The name finder: person names that nobody tagged, from the lookup lists and the words
//! around them.
//!
//! A word is a name when it is:
//! 1. a first name or a surname of the lists that is no common word (`jonas`, `peeters`),
//!    unless a place preposition makes it the town ("in Brecht");
//! 2. after a naming word ("hij heet X", "ze noemen me X"): any word but a function word;
//! 3. after a role ("mijn vriendin X", "juf X", "meneer de X"): a name of the lists (also
//!    one that is a common word, "mijn vriendin Roos"), a capitalised word, or a word that
//!    is no Dutch word;
//! 4. before a verb of speech or action ("X zei", "X heeft"): likewise;
//! 5. capitalised in the middle of a sentence and a name of the lists or no Dutch word;
//! 6. joined by "en" to a name ("emre en burak"): a name of the lists or no Dutch word.
//!
//! A name then runs on over particles and surnames ("mohamed el amrani", "bram van den
//! broeck"). Never a name: function and chat words, roles, months, days, the services.

use std::ops::Range;

use super::lists::{
    DETERMINERS, DUTCH_WORDS, FIRST_NAMES, KEEP, NAMING, NOT_NAMES, PARTICLES, PLACE_PREPOSITIONS,
    PLACES, ROLES, SOCIAL, SPEECH, STOP, SURNAME_WORDS, SURNAMES, VERBS,
};
use super::text::Word;

/// What the lists say about one word.
struct Facts {
    /// Never a name.
    never: bool,
    /// A first name or surname of the lists that is no common word.
    listed: bool,
    /// In a list of names at all (also "roos", "bakker").
    any_listed: bool,
    /// No Dutch word, no name of the lists: maybe a name the lists lack.
    unknown: bool,
    /// A place ("lier", "brecht").
    place: bool,
    /// A particle ("van", "el").
    particle: bool,
}

fn facts(w: &Word) -> Facts {
    let f = w.folded.as_str();
    let letters = f.chars().filter(|c| c.is_alphabetic()).count();
    let wordlike = letters >= 2 && f.chars().all(|c| c.is_alphabetic() || "-'".contains(c));
    let never = !wordlike
        || STOP.contains(f)
        || ROLES.contains(f)
        || KEEP.contains(f)
        || NAMING.contains(f);
    let first = FIRST_NAMES.contains(f);
    let sur = SURNAMES.contains(f);
    let listed = (first && !NOT_NAMES.contains(f) && letters >= 3)
        || (sur && !SURNAME_WORDS.contains(f) && !first && letters >= 4);
    Facts {
        never,
        listed: listed && !never,
        any_listed: (first || sur) && !never,
        // The Dutch list holds words of at most 10 letters: a longer word it lacks is
        // more likely a compound ("rijksregisternummer") than a name.
        unknown: !never
            && !first
            && !sur
            && (3..=10).contains(&letters)
            && !DUTCH_WORDS.contains(f),
        place: PLACES.contains(f),
        particle: PARTICLES.contains(f),
    }
}

/// The names in `words` that no earlier finder `taken` (word by word), as byte ranges
/// of `text`'s words.
pub fn find(words: &[Word], taken: &[bool]) -> Vec<Range<usize>> {
    let n = words.len();
    let facts: Vec<Facts> = words.iter().map(facts).collect();
    let word = |i: usize| words[i].folded.as_str();
    let free = |i: usize| !taken[i] && !facts[i].never;
    let mut name = vec![false; n];
    // Where a name found by its context starts (particles after a role belong to it).
    let mut start_at: Vec<usize> = (0..n).collect();

    for i in 0..n {
        if !free(i) {
            continue;
        }
        let f = &facts[i];
        let w = &words[i];
        // The word before, over particles: "mevrouw de smet".
        let mut j = i;
        while j > 0 && facts[j - 1].particle && !words[j].after_break && j + 3 > i {
            j -= 1;
        }
        let before = (j > 0).then(|| j - 1);
        let after_place_preposition =
            i > 0 && PLACE_PREPOSITIONS.contains(&word(i - 1)) && !words[i].after_break;
        let role = before.is_some_and(|b| {
            let comma_only = !words[j].after_break || gap_is_comma(words, j);
            ROLES.contains(word(b)) && comma_only
        });
        let naming = naming_before(words, i);
        let next = |set: &std::collections::HashSet<&str>| {
            i + 1 < n && !words[i + 1].after_break && set.contains(word(i + 1))
        };
        let speech = next(&SPEECH);
        let verb = next(&VERBS);
        // "de bakker zei", "een roos kreeg": a noun, not a name.
        let after_determiner = i > 0 && DETERMINERS.contains(word(i - 1));
        let after_social = i > 0 && SOCIAL.contains(word(i - 1)) && !words[i].after_break;
        let capital_mid = w.capitalised && !w.sentence_start;
        let candidate = f.any_listed || f.unknown || w.capitalised;
        let listed_here = f.listed || (f.any_listed && !after_determiner);
        let is = if f.place && !(naming || role) {
            // A town is kept unless something says it is a person. A plain verb after it
            // is not enough when the town is also a common word that only a surname list
            // holds: "niet meer gaat" (Meer, a village and a surname) is no person.
            !after_place_preposition
                && (((speech || capital_mid) && f.any_listed) || (verb && f.listed))
        } else {
            (f.listed && !after_place_preposition)
                || naming
                || (role && candidate)
                || (speech && (listed_here || f.unknown))
                || (verb && f.unknown)
                || (after_social && f.unknown && w.folded.chars().count() >= 4)
                || (capital_mid && (listed_here || f.unknown))
        };
        if is {
            name[i] = true;
            if role && j < i {
                start_at[i] = j;
            }
        }
    }
    // Coordination: "emre en burak", twice so that chains of three are found.
    for _ in 0..2 {
        for i in 0..n {
            if name[i] || !free(i) || !(facts[i].any_listed || facts[i].unknown) {
                continue;
            }
            let left = i >= 2 && word(i - 1) == "en" && name[i - 2];
            let right = i + 2 < n && word(i + 1) == "en" && name[i + 2];
            if left || right {
                name[i] = true;
            }
        }
    }
    // Spans: a name runs on over particles and surnames.
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if !name[i] {
            i += 1;
            continue;
        }
        let first = start_at[i];
        let mut last = i;
        let mut k = i + 1;
        loop {
            // Particles, then a surname-like word.
            let mut p = k;
            while p < n && facts[p].particle && !words[p].after_break && !taken[p] {
                p += 1;
            }
            if p >= n || words[p].after_break || taken[p] || facts[p].never {
                break;
            }
            let f = &facts[p];
            // "jonas maes", "thijs de backer", "Jonas Bakker", but not "noor kosten".
            let surname = SURNAMES.contains(word(p))
                && (!SURNAME_WORDS.contains(word(p)) || p > k || words[p].capitalised);
            let surname_like =
                name[p] || surname || f.unknown || (words[p].capitalised && !f.place);
            if !surname_like {
                break;
            }
            last = p;
            k = p + 1;
        }
        out.push(words[first].range.start..words[last].range.end);
        i = last + 1;
    }
    out
}

/// Only a comma (and white space) stands between word `j - 1` and word `j`.
fn gap_is_comma(words: &[Word], _j: usize) -> bool {
    // `after_break` does not say which punctuation; the text is not at hand here, and a
    // role followed by a full stop is rare enough.
    !words[_j].sentence_start
}

/// A naming word stands just before word `i`, over at most two function words:
/// "hij heet X", "mijn naam is X", "ze noemen me X", "ik ben X" (with a name of the lists
/// or a capital only: "ik ben moe").
fn naming_before(words: &[Word], i: usize) -> bool {
    let word = |k: usize| words[k].folded.as_str();
    let mut k = i;
    for _ in 0..3 {
        if k == 0 {
            return false;
        }
        k -= 1;
        let w = word(k);
        if NAMING.contains(w) || matches!(w, "noemen" | "noemden") {
            return true;
        }
        if w == "is" && k > 0 && word(k - 1) == "naam" {
            return true;
        }
        if matches!(w, "ben" | "kben")
            && (k == 0 || matches!(word(k - 1), "ik" | "k"))
            && k + 1 == i
        {
            let f = words[i].folded.as_str();
            return (FIRST_NAMES.contains(f) && !NOT_NAMES.contains(f)) || words[i].capitalised;
        }
        if !STOP.contains(w) {
            return false;
        }
    }
    false
}
