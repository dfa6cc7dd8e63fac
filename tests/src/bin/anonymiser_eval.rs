//! Measures the anonymiser on the labelled corpus (tests/fixtures/anonymiser/corpus.jsonl)
//! and, side by side, the spans another tool found on the same sentences.
//!
//! `anonymiser-eval CORPUS [NAME=SPANS.jsonl ...]`: SPANS files hold one line per corpus
//! sentence, `{"spans": [[start, end, tag], ...]}` in character offsets (what
//! scripts/anonymiser-eval-deduce.py writes). Run through `scripts/anonymiser-eval`.
//!
//! A span that must go counts as found when every letter and digit of it is inside
//! something the tool replaced (for names, particles such as "van" or "el" may stay). A
//! span that must stay counts as kept when nothing the tool replaced touches it. The
//! precision is the share of the tool's replacements that touch a span labelled to go;
//! the others are listed with the misses, as "other". Every sentence is anonymised on its
//! own, with no nickname and no tagged names.

use std::collections::BTreeMap;
use std::ops::Range;

use anyhow::{Context, Result, bail};
use chathulp_relay::scrub::{Anonymiser, Kind, fold};
use serde::Deserialize;

#[derive(Deserialize)]
struct Sentence {
    text: String,
    remove: Vec<Remove>,
    keep: Vec<String>,
}

#[derive(Deserialize)]
struct Remove {
    kind: String,
    text: String,
}

#[derive(Deserialize)]
struct Spans {
    spans: Vec<(usize, usize, String)>,
}

/// One tool's score.
#[derive(Default)]
struct Score {
    /// Per kind: (found, total).
    removed: BTreeMap<String, (usize, usize)>,
    kept: (usize, usize),
    /// Replacements that touch nothing labelled to go.
    extra: usize,
    /// All replacements.
    replaced: usize,
    misses: Vec<String>,
}

const PARTICLES: &[&str] = &[
    "van", "de", "der", "den", "el", "al", "ben", "ter", "ten", "het",
];

fn score(corpus: &[Sentence], found: &[Vec<Range<usize>>]) -> Score {
    let mut s = Score::default();
    for (sentence, found) in corpus.iter().zip(found) {
        let text = &sentence.text;
        let covered = |at: usize| found.iter().any(|r| r.contains(&at));
        let mut gold = Vec::new();
        for r in &sentence.remove {
            let Some(start) = text.find(&r.text) else {
                continue;
            };
            let span = start..start + r.text.len();
            gold.push(span.clone());
            let mut ok = true;
            let mut word_start = span.start;
            for (i, c) in text[span.clone()]
                .char_indices()
                .chain([(r.text.len(), ' ')])
            {
                if c.is_alphanumeric() {
                    continue;
                }
                let word = &text[word_start..span.start + i];
                let skip = r.kind == "naam" && PARTICLES.contains(&fold(word).as_str());
                if !skip
                    && word
                        .char_indices()
                        .any(|(j, c)| c.is_alphanumeric() && !covered(word_start + j))
                {
                    ok = false;
                }
                word_start = span.start + i + c.len_utf8();
            }
            let e = s.removed.entry(r.kind.clone()).or_default();
            e.1 += 1;
            if ok {
                e.0 += 1;
            } else {
                s.misses
                    .push(format!("{}: {:?} in {:?}", r.kind, r.text, text));
            }
        }
        for k in &sentence.keep {
            let Some(start) = text.find(k.as_str()) else {
                continue;
            };
            let span = start..start + k.len();
            s.kept.1 += 1;
            if found
                .iter()
                .any(|r| r.start < span.end && span.start < r.end)
            {
                s.misses
                    .push(format!("kept: {k:?} was replaced in {text:?}"));
            } else {
                s.kept.0 += 1;
            }
        }
        s.replaced += found.len();
        for r in found {
            if !gold.iter().any(|g| r.start < g.end && g.start < r.end) {
                s.extra += 1;
                s.misses.push(format!(
                    "other: {:?} replaced in {text:?}",
                    &text[r.clone()]
                ));
            }
        }
    }
    s
}

/// Character offsets to byte offsets of `text`.
fn bytes(text: &str, chars: Range<usize>) -> Range<usize> {
    let at = |n: usize| text.char_indices().nth(n).map_or(text.len(), |(b, _)| b);
    at(chars.start)..at(chars.end)
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(corpus_path) = args.next() else {
        bail!("usage: anonymiser-eval CORPUS.jsonl [NAME=SPANS.jsonl ...]");
    };
    let corpus: Vec<Sentence> = std::fs::read_to_string(&corpus_path)
        .with_context(|| corpus_path.clone())?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let ours: Vec<Vec<Range<usize>>> = corpus
        .iter()
        .map(|s| {
            Anonymiser::new("", [])
                .find(&s.text)
                .into_iter()
                .map(|f| f.range)
                .collect()
        })
        .collect();
    let mut tools = vec![("chathulp".to_owned(), score(&corpus, &ours))];
    for arg in args {
        let (name, path) = arg.split_once('=').context("NAME=SPANS.jsonl")?;
        let lines: Vec<Spans> = std::fs::read_to_string(path)
            .with_context(|| path.to_owned())?
            .lines()
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?;
        if lines.len() != corpus.len() {
            bail!(
                "{path}: {} lines for {} sentences",
                lines.len(),
                corpus.len()
            );
        }
        let found: Vec<Vec<Range<usize>>> = corpus
            .iter()
            .zip(&lines)
            .map(|(s, l)| {
                l.spans
                    .iter()
                    .map(|(a, b, _)| bytes(&s.text, *a..*b))
                    .collect()
            })
            .collect();
        tools.push((name.to_owned(), score(&corpus, &found)));
    }

    let pct = |(a, b): (usize, usize)| {
        if b == 0 {
            "-".to_owned()
        } else {
            format!("{:.1}% ({a}/{b})", 100.0 * a as f64 / b as f64)
        }
    };
    println!("corpus: {} sentences, {corpus_path}", corpus.len());
    print!("| kind | n |");
    for (name, _) in &tools {
        print!(" {name} |");
    }
    println!();
    println!("|---|---|{}", "---|".repeat(tools.len()));
    for kind in Kind::ALL {
        let label = kind.label();
        let n = tools[0].1.removed.get(label).map_or(0, |e| e.1);
        if n == 0 {
            continue;
        }
        print!("| {label} (recall) | {n} |");
        for (_, s) in &tools {
            print!(
                " {} |",
                pct(s.removed.get(label).copied().unwrap_or_default())
            );
        }
        println!();
    }
    print!("| must stay (kept) | {} |", tools[0].1.kept.1);
    for (_, s) in &tools {
        print!(" {} |", pct(s.kept));
    }
    println!();
    print!("| other replacements (not labelled) | |");
    for (_, s) in &tools {
        print!(" {} |", s.extra);
    }
    println!();
    print!("| precision (replacements on a labelled span) | |");
    for (_, s) in &tools {
        print!(" {} |", pct((s.replaced - s.extra, s.replaced)));
    }
    println!();
    for (name, s) in &tools {
        println!("\n{name}: {} misses", s.misses.len());
        for m in &s.misses {
            println!("  {m}");
        }
    }
    Ok(())
}
