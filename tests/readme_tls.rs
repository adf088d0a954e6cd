//! The README's TLS walkthrough ("Caller authentication", "Try it on a laptop"), run verbatim:
//! the first `sh` block (test certificates, then `kintai dev` with mutual TLS) in the
//! background, the second (grpcurl with `-cacert`/`-cert`/`-key`, `kintai trigger` over TLS)
//! once it serves.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The `sh` blocks from "**Try it on a laptop.**" to the next section.
fn tls_blocks() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("**Try it on a laptop.**")
        .expect("README has the TLS walkthrough");
    let section = &readme[start..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in section.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), text) => {
                block.push_str(text);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// A script running `block` with this build's `kintai` and the tests' grpcurl, on `port`.
/// `kintai dev` replaces the shell (`exec`), so the test stops it by its process id.
fn script(block: &str, port: u16) -> String {
    let kintai = env!("CARGO_BIN_EXE_kintai").replace('\'', "'\\''");
    format!(
        "set -euo pipefail\nkintai() {{ if [ \"$1\" = dev ]; then exec '{kintai}' \"$@\"; else '{kintai}' \"$@\"; fi; }}\n{}\n{}",
        common::grpcurl_shell_function(),
        block.replace("127.0.0.1:50443", &format!("127.0.0.1:{port}"))
    )
}

#[test]
fn the_readme_tls_walkthrough_runs_verbatim() {
    let blocks = tls_blocks();
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    let dir = tempfile::tempdir().unwrap();
    // A port the OS just handed out, for the README's fixed 50443.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new("bash")
        .arg("-c")
        .arg(script(&blocks[0], port))
        .current_dir(dir.path())
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = server.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("kintai dev serving on") {
                let _ = tx.send(Ok(()));
            }
            seen.push(line);
        }
        let _ = tx.send(Err(seen));
    });
    let started = rx.recv_timeout(Duration::from_secs(60));
    let stop = || {
        let _ = Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status();
    };
    if !matches!(started, Ok(Ok(()))) {
        stop();
        panic!("the first block did not start kintai dev: {started:?}");
    }
    let output = Command::new("bash")
        .arg("-c")
        .arg(script(&blocks[1], port))
        .current_dir(dir.path())
        .output()
        .unwrap();
    stop();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the second block failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for promised in [
        "\"enabled\": true",
        "kintai.settings.v1.SettingsService",
        "match run finished",
    ] {
        assert!(
            stdout.contains(promised),
            "{promised} missing from:\n{stdout}"
        );
    }
}
