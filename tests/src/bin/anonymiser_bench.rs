//! How long the anonymiser takes over a six-month export of a busy service: by default
//! 7,300 conversations (40 a day for 182 days) of 60 messages, 438,000 messages in all,
//! drawn in turn from the labelled corpus (tests/fixtures/anonymiser/corpus.jsonl). Each
//! conversation gets its own anonymiser, as `chathulp-relay export --anonymise` does.
//!
//! `cargo run --release -p chathulp-tests --bin anonymiser-bench -- [CORPUS] [CONVERSATIONS]
//! [MESSAGES_EACH]`. It prints a figure; it asserts nothing (docs/performance.md).

use std::time::Instant;

use anyhow::{Context, Result};
use chathulp_relay::scrub::Anonymiser;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let corpus = args
        .next()
        .unwrap_or_else(|| "tests/fixtures/anonymiser/corpus.jsonl".to_owned());
    let conversations: usize = args.next().map_or(Ok(7_300), |a| a.parse())?;
    let each: usize = args.next().map_or(Ok(60), |a| a.parse())?;
    let texts: Vec<String> = std::fs::read_to_string(&corpus)
        .with_context(|| corpus.clone())?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .map(|v| v["text"].as_str().unwrap_or_default().to_owned())
        })
        .collect::<Result<_, _>>()?;
    anyhow::ensure!(!texts.is_empty(), "{corpus}: no sentences");
    // Load the lists before the clock starts: the export pays that once too.
    let _ = Anonymiser::new("warm", []).scrub("mijn vriendin noor");

    let started = Instant::now();
    let mut bytes = 0usize;
    let mut out_bytes = 0usize;
    let mut n = 0usize;
    for c in 0..conversations {
        let nickname = format!("bezoeker{c}");
        let mut anonymiser = Anonymiser::new(&nickname, ["Jonas Peeters"]);
        for m in 0..each {
            let text = &texts[(c * each + m) % texts.len()];
            bytes += text.len();
            out_bytes += anonymiser.scrub(text).len();
            n += 1;
        }
    }
    let took = started.elapsed();
    println!(
        "{n} messages ({:.1} MB) in {conversations} conversations anonymised in {:.2} s: \
         {:.0} messages/s ({} bytes out)",
        bytes as f64 / 1e6,
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
        out_bytes
    );
    Ok(())
}
