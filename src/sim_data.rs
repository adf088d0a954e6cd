//! The laptop simulator's company data in the data folder (`kot-simulator.json`), so a restarted
//! `kintai dev` meets the KING OF TIME it left — the same employee keys, the punches it stored,
//! the days it closed — as a real one would be. Without it every start drew new keys, and the
//! punches held for linked users failed against keys KING OF TIME no longer knew.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use kot_sim::{SimConfig, Simulator};

use crate::kot::seeded_simulator;

/// The file in the data folder.
pub const FILE: &str = "kot-simulator.json";

/// How often the data is written when it changed: a SIGKILL loses at most this much of the
/// simulator's side, which then looks like a KING OF TIME that lost a punch (read back, sent
/// again), never like one that stored a punch twice.
const EVERY: Duration = Duration::from_secs(1);

/// The simulator an earlier start left in `data_dir`, or the example company when there is none.
pub fn load(data_dir: &Path) -> anyhow::Result<Simulator> {
    let path = data_dir.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(json) => {
            if kintai_core::files::readable_by_others(&path) {
                // A restored backup or a copy: it holds the simulator's tokens.
                tracing::warn!(file = %path.display(), "the simulator's data is readable by other users; it holds its tokens: chmod 600 {}", kintai_core::files::shell_word(&path));
            }
            let sim = Simulator::new(SimConfig::default());
            sim.restore_company_data(&json).with_context(|| {
                format!(
                    "{} cannot be read back; move it away to start with the example company again",
                    path.display()
                )
            })?;
            tracing::info!(file = %path.display(), "built-in KING OF TIME simulator: its data of the last start");
            Ok(sim)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => seeded_simulator(),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes the data now: owner-only (it holds tokens), through a temporary file renamed into
/// place, so a crash never leaves half a file.
pub fn save(sim: &Simulator, data_dir: &Path) -> std::io::Result<()> {
    write(&sim.company_data(), data_dir)
}

fn write(json: &str, data_dir: &Path) -> std::io::Result<()> {
    let path = data_dir.join(FILE);
    let temporary = data_dir.join(format!("{FILE}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(json.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, &path)
}

/// Keeps the data folder's copy current while the simulator runs; abort the handle to stop
/// (then [`save`] once more).
pub fn keep(sim: Simulator, data_dir: PathBuf) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut written = String::new();
        let mut ticks = tokio::time::interval(EVERY);
        loop {
            ticks.tick().await;
            let json = sim.company_data();
            if json == written {
                continue;
            }
            let (json, dir) = (json, data_dir.clone());
            // File I/O off the runtime's threads.
            let done = tokio::task::spawn_blocking(move || write(&json, &dir).map(|()| json)).await;
            match done {
                Ok(Ok(json)) => written = json,
                Ok(Err(error)) => {
                    tracing::warn!(%error, dir = %data_dir.display(), "cannot write the simulator's data; retried in a second")
                }
                Err(_) => return,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_simulator_loads_with_the_same_employee_keys() {
        let dir = tempfile::tempdir().unwrap();
        let first = load(dir.path()).unwrap();
        save(&first, dir.path()).unwrap();
        let again = load(dir.path()).unwrap();
        assert_eq!(again.company_data(), first.company_data());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn an_unreadable_file_stops_start_up_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), "{not json").unwrap();
        let error = format!("{:#}", load(dir.path()).unwrap_err());
        assert!(
            error.contains(FILE) && error.contains("move it away"),
            "{error}"
        );
    }
}
