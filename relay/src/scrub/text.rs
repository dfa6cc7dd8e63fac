//! Words of a message for the name finder: folded (lowercase, no diacritics, the way the
//! lists in `relay/data/names/` are written), with their place and their capital.

use std::ops::Range;

/// Lowercase without diacritics: "Çelik" → "celik", "Amélie" → "amelie".
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        let c = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
                'a'
            }
            'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'ı' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'İ' => 'i',
            'ñ' | 'Ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => {
                'o'
            }
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
            'ý' | 'ÿ' | 'Ý' => 'y',
            'ş' | 'ș' | 'š' | 'Ş' | 'Ș' | 'Š' => 's',
            'ğ' | 'Ğ' => 'g',
            'ţ' | 'ț' | 'Ţ' | 'Ț' => 't',
            'ž' | 'Ž' => 'z',
            '’' => '\'',
            c => {
                out.extend(c.to_lowercase());
                continue;
            }
        };
        out.push(c);
    }
    out
}

/// One word of a message.
#[derive(Debug, Clone)]
pub struct Word {
    /// Its bytes in the message.
    pub range: Range<usize>,
    /// [`fold`]ed.
    pub folded: String,
    /// Starts with a capital (and is not all capitals, like "CAW").
    pub capitalised: bool,
    /// First word of the message or of a sentence (after `.`, `!`, `?`, `:` or a line
    /// break): its capital says nothing.
    pub sentence_start: bool,
    /// Punctuation (`,`, `;`, `.`, …) stands between the previous word and this one: a
    /// full name does not run across it.
    pub after_break: bool,
}

/// The words of `text`: letters and digits, with `'` and `-` inside a word.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut gap = String::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let mut push = |s: usize, e: usize, gap: &str, first: bool| {
        let raw = &text[s..e];
        let mut cs = raw.chars();
        let head = cs.next().is_some_and(char::is_uppercase);
        let all_caps = raw.chars().filter(|c| c.is_alphabetic()).count() > 1
            && raw.chars().all(|c| !c.is_lowercase());
        let gap_t = gap.trim();
        out.push(Word {
            range: s..e,
            folded: fold(raw),
            capitalised: head && !all_caps,
            sentence_start: first
                || gap.contains('\n')
                || gap_t.ends_with(['.', '!', '?', ':'])
                || gap_t.ends_with("..."),
            after_break: !gap_t.is_empty(),
        });
    };
    let mut first = true;
    while i < chars.len() {
        let (at, c) = chars[i];
        let inner = (c == '\'' || c == '-' || c == '’')
            && start.is_some()
            && chars.get(i + 1).is_some_and(|(_, n)| n.is_alphanumeric());
        if c.is_alphanumeric() || inner {
            if start.is_none() {
                start = Some(at);
            }
        } else if let Some(s) = start.take() {
            push(s, at, &gap, first);
            first = false;
            gap.clear();
            gap.push(c);
        } else {
            gap.push(c);
        }
        i += 1;
    }
    if let Some(s) = start {
        push(s, text.len(), &gap, first);
    }
    out
}
