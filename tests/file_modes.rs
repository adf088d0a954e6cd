//! The files and folders `kintai dev` creates hold sealed tokens, employees' names and punch
//! locations: they are its user's only (0600 files, 0700 folders), checked on the real binary.

#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::kintai;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn kintai_dev_creates_its_data_folder_and_files_for_its_user_only() {
    let root = tempfile::tempdir().unwrap();
    // Folders that do not exist yet: the product creates them.
    let data_dir = root.path().join("home/kintai");
    let mut child = kintai()
        .args(["dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data_dir)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (serving_tx, serving_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            // Logged once the databases are open and migrated and the key file exists.
            if line.contains("serving on") {
                let _ = serving_tx.send(());
            }
        }
    });
    let serving = serving_rx.recv_timeout(Duration::from_secs(60));
    let files: Vec<_> = std::fs::read_dir(&data_dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    let modes: Vec<(String, u32)> = files
        .iter()
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                mode(path),
            )
        })
        .collect();
    let folder_modes = data_dir
        .exists()
        .then(|| (mode(&data_dir), mode(&root.path().join("home"))));
    let _ = child.kill();
    let _ = child.wait();

    assert!(serving.is_ok(), "kintai dev did not start");
    assert_eq!(
        folder_modes,
        Some((0o700, 0o700)),
        "the data folder and its new parent"
    );
    let names: Vec<&str> = modes.iter().map(|(name, _)| name.as_str()).collect();
    for expected in [
        "token-keys",
        "settings.db",
        "settings.db-wal",
        "settings.db-shm",
        "matcher.db",
        "matcher.db-wal",
        "syncer.db",
        "syncer.db-wal",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    for (name, mode) in &modes {
        assert_eq!(*mode, 0o600, "{name} is {mode:o}");
    }
}

/// Starts `kintai dev` on `data_dir`, waits until it serves, stops it, and answers what it
/// logged up to then.
fn logs_until_serving(data_dir: &Path) -> Vec<String> {
    let mut child = kintai()
        .args(["dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let serving = line.contains("serving on");
            lines.push(line);
            if serving {
                let _ = lines_tx.send(std::mem::take(&mut lines));
            }
        }
    });
    let lines = lines_rx.recv_timeout(Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    lines.expect("kintai dev did not start")
}

#[test]
fn a_data_folder_and_key_file_others_may_read_are_reported_with_the_fix() {
    let root = tempfile::tempdir().unwrap();
    let data_dir = root.path().join("kintai");
    std::fs::create_dir(&data_dir).unwrap();
    std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let first = logs_until_serving(&data_dir);
    assert!(
        !first.iter().any(|line| line.contains("chmod")),
        "a private folder is not reported: {first:?}"
    );

    // An older install or a restored backup: the folder 0755, its files 0644.
    std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for entry in std::fs::read_dir(&data_dir).unwrap() {
        let path = entry.unwrap().path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let logs = logs_until_serving(&data_dir);
    let warned = |fix: &str| {
        logs.iter()
            .filter(|line| line.contains("WARN") && line.contains(fix))
            .count()
    };
    let dir = data_dir.display().to_string();
    assert_eq!(
        warned(&format!("chmod 700 {dir}")),
        1,
        "the folder, once: {logs:?}"
    );
    assert_eq!(
        warned(&format!("chmod 600 {dir}/token-keys")),
        1,
        "the key file: {logs:?}"
    );
    assert_eq!(
        warned(&format!(
            "chmod 600 {dir}/settings.db {dir}/settings.db-wal"
        )),
        1,
        "each database: {logs:?}"
    );
    assert!(
        logs.iter()
            .any(|line| line.contains("token-keys") && line.contains("opens every stored")),
        "{logs:?}"
    );
}
