//! The README's walkthrough, run verbatim: every `sh` block of its "Walkthrough" section is
//! executed by bash against a real `kintai dev`, so the README cannot drift from the product.

mod common;

use std::process::Command;

use common::DevServer;

/// The `sh` blocks of the README section headed `## Walkthrough`.
fn walkthrough_blocks() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("\n## Walkthrough")
        .expect("README has a Walkthrough section");
    let section = &readme[start + 1..];
    let section = &section[..section[3..]
        .find("\n## ")
        .map_or(section.len(), |end| end + 3)];
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

#[test]
fn the_readme_walkthrough_runs_verbatim_against_kintai_dev() {
    let blocks = walkthrough_blocks();
    assert!(
        blocks.len() >= 4,
        "the walkthrough lost its blocks: {blocks:?}"
    );
    let server = DevServer::start(&[]);
    let mut outputs = String::new();
    for block in &blocks {
        // The README addresses the default port; this server listens where the OS put it.
        let script = format!(
            "set -euo pipefail\n{}\n{}",
            common::grpcurl_shell_function(),
            block.replace("127.0.0.1:50051", &server.address)
        );
        let output = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "README block failed:\n{block}\nstdout:\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        outputs.push_str(&stdout);
    }
    // What the walkthrough text promises, whatever the time of day.
    for promised in [
        "TOKEN_STATE_VALID",
        "× 連携されません",
        "U00528",
        "RECORD_OUTCOME_ACCEPTED",
        "PUNCH_TYPE_NOT_SYNCED",
        "INACTIVE_REASON_CODE_CHANGED",
        // Japanese by default, English on request.
        "ユーザーコードが設定されていません。KING OF TIMEの従業員コードと同じ値を設定してください。",
        "The user has no user code",
        // ListDays: the day of u1's clock-in, checked or (restricted hours) not yet.
        "\"workingDay\"",
        "\"verdict\": \"DAY_VERDICT_",
        "\"cyzenPunches\"",
    ] {
        assert!(
            outputs.contains(promised),
            "{promised} missing from the walkthrough's output:\n{outputs}"
        );
    }
    let (status, _) = server.terminate();
    assert_eq!(status.code(), Some(0));
}
