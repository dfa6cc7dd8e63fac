//! The monitoring files shipped in packaging/ (docs/operations.md, "Metrics"): Debian's
//! `promtool` accepts the scrape config and the alert rules, the rules' unit tests pass,
//! the relay's own `/metrics` text passes `promtool check metrics`, and every metric the
//! rules and the Grafana dashboard name is one the relay exports.
//!
//! `scripts/test` installs the `prometheus` package (which has promtool) when missing.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chathulp_tests::TestRelay;

fn packaging() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging")
}

/// Runs promtool; asserts it succeeded and returns what it printed.
fn promtool(args: &[&str], dir: &Path, stdin: Option<&str>) -> String {
    let (ok, printed) = promtool_output(args, dir, stdin);
    assert!(ok, "promtool {args:?} failed:\n{printed}");
    printed
}

fn promtool_output(args: &[&str], dir: &Path, stdin: Option<&str>) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus; scripts/test installs it)");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write to promtool");
    }
    let out = child.wait_with_output().expect("promtool ran");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), printed)
}

/// Metric names (`chathulp_…`) in `text`, without the suffixes Prometheus adds.
fn names_in(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("chathulp_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let mut name = &tail[..end];
        for suffix in ["_bucket", "_count", "_sum", "_total", "_info"] {
            name = name.strip_suffix(suffix).unwrap_or(name);
        }
        names.insert(name.to_owned());
        rest = &tail[end..];
    }
    names
}

#[test]
fn promtool_accepts_the_scrape_config_and_the_alert_rules_and_their_tests() {
    let dir = packaging().join("prometheus");
    let config = promtool(&["check", "config", "prometheus.yml"], &dir, None);
    assert!(config.contains("SUCCESS"), "{config}");
    let rules = promtool(&["check", "rules", "chathulp-rules.yml"], &dir, None);
    assert!(rules.contains("5 rules found"), "{rules}");
    let tests = promtool(&["test", "rules", "chathulp-rules.test.yml"], &dir, None);
    assert!(tests.contains("SUCCESS"), "{tests}");
}

#[tokio::test]
async fn the_rules_and_the_dashboard_name_only_metrics_the_relay_exports() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    // The one family that appears only with its first sample (one per error code).
    chathulp_relay::metrics::enable();
    let refused = chathulp_shared::ErrorReply::new(chathulp_shared::ErrorCode::BadFrame, "x");
    chathulp_relay::metrics::refused(refused);
    let figures = chathulp_relay::scrape::figures(&relay.broker).await;
    let text = chathulp_relay::metrics::get().render(&figures);
    relay.stop().await?;
    // The relay's own output lints clean. promtool reads the classic text format, where
    // a counter's TYPE and HELP name its samples; prometheus-client writes OpenMetrics
    // (served as such), where they name the family without `_total`. So the one lint
    // allowed is "NAME_total no help text" for a family NAME that has its HELP.
    let (_, lint) = promtool_output(&["check", "metrics"], &packaging(), Some(&text));
    for problem in lint.lines().filter(|l| !l.trim().is_empty()) {
        let family = problem
            .strip_suffix(" no help text")
            .and_then(|n| n.strip_suffix("_total"));
        let documented = family.is_some_and(|f| text.contains(&format!("# HELP {f} ")));
        assert!(documented, "promtool check metrics: {problem}\n{lint}");
    }
    let exported: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .flat_map(names_in)
        .collect();
    assert!(
        exported.contains("chathulp_store_commit_seconds"),
        "{exported:?}"
    );

    let rules = std::fs::read_to_string(packaging().join("prometheus/chathulp-rules.yml"))?;
    let dashboard = std::fs::read_to_string(packaging().join("grafana/chathulp-dashboard.json"))?;
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard)?;
    let exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t["expr"].as_str().map(str::to_owned))
        .collect();
    assert!(exprs.len() > 15, "the dashboard has its panels");
    for (what, named) in [
        ("rules", names_in(&rules)),
        ("dashboard", names_in(&exprs.join("\n"))),
    ] {
        let unknown: Vec<_> = named.difference(&exported).collect();
        assert!(
            unknown.is_empty(),
            "the {what} name metrics the relay lacks: {unknown:?}"
        );
    }
    Ok(())
}
