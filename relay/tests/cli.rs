//! The `chathulp-relay` binary as an operator uses it: `--dev` from nothing, the
//! `listening on` line, demo passwords printed once, SIGTERM, and `user add`.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_chathulp-relay");

/// Starts `--dev` on port 0 and reads stderr until the listening line. Returns the
/// child and the address.
fn start_dev(data_dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the relay");
    // Keep draining stderr for the relay's whole life, as a terminal or journald would.
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let addr = rx.iter().find_map(|line| {
        line.split("listening on https://")
            .nth(1)
            .map(|a| a.trim().to_owned())
    });
    (child, addr.expect("a 'listening on https://ADDR' line"))
}

/// Sends SIGTERM, waits for the exit, and returns the exit status and all of stdout.
fn terminate(mut child: Child) -> (std::process::ExitStatus, String) {
    let status = Command::new("kill")
        .arg(child.id().to_string())
        .status()
        .expect("send SIGTERM");
    assert!(status.success());
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("read stdout");
    (child.wait().expect("relay exits"), stdout)
}

#[test]
fn dev_starts_from_nothing_prints_demo_passwords_once_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, addr) = start_dev(dir.path());
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    assert!(!addr.ends_with(":0"), "the real port is logged: {addr}");
    let (status, stdout) = terminate(relay);
    assert!(status.success(), "graceful exit on SIGTERM");
    for role in ["counselor", "supervisor", "admin"] {
        assert!(stdout.contains(role), "{stdout}");
    }
    assert!(
        stdout.contains("passwords are shown only this once"),
        "{stdout}"
    );
    assert!(dir.path().join("dev-cert.pem").exists());
    assert!(dir.path().join("chathulp.db").exists());

    let (relay, _) = start_dev(dir.path());
    let (status, stdout) = terminate(relay);
    assert!(status.success());
    assert!(stdout.contains("Demo accounts exist already"), "{stdout}");
    assert!(!stdout.contains("shown only this once"), "{stdout}");
}

#[test]
fn user_add_reads_the_password_from_stdin_and_refuses_short_ones() {
    let dir = tempfile::tempdir().unwrap();
    let add = |name: &str, password: &str| {
        let mut child = Command::new(BIN)
            .args(["user", "add", name, "--role", "counselor", "--data-dir"])
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let ok = add("eva", "a long enough passphrase");
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("Added counselor account eva"));

    let short = add("fien", "short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));

    let twice = add("eva", "a long enough passphrase");
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already exists"));
}

#[test]
fn without_dev_and_without_a_certificate_the_relay_refuses_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no TLS certificate configured"), "{err}");
}

#[test]
fn sigterm_stops_the_relay_even_when_nobody_reads_its_output_any_more() {
    // As when journald restarts or a pager is closed: stdout and stderr are broken
    // pipes. Logging must not take down the task that waits for the signal.
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    assert!(lines.any(|l| l.is_ok_and(|l| l.contains("listening on https://"))));
    drop(lines);
    drop(child.stdout.take());
    let kill = Command::new("kill")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the relay ignored SIGTERM with its output pipes closed");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}
