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
