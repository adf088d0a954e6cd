//! A value built from files (a rustls config from PEM files) that is rebuilt when the files
//! change, checked each time it is asked for. cert-manager rotates a mounted Secret by swapping a
//! symlink (`..data`), so the resolved file's inode, size and modification time change at once;
//! one `stat` per file per handshake is cheap next to the handshake itself, and needs no watcher
//! task, no inotify (which misses symlink swaps on some volume types) and no restart.
//!
//! A rebuild that fails (a half-written pair, a key that does not match its certificate) keeps the
//! last good value and warns once per state of the files: a bad rotation never takes a serving
//! process down, and the next change is tried again.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// What identifies one state of a file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64),
}

fn stamp(path: &Path) -> Option<Stamp> {
    let metadata = std::fs::metadata(path).ok()?;
    Some(Stamp {
        len: metadata.len(),
        modified: metadata.modified().ok(),
        #[cfg(unix)]
        inode: {
            use std::os::unix::fs::MetadataExt;
            (metadata.dev(), metadata.ino())
        },
    })
}

type Build<T> = dyn Fn(&[Vec<u8>]) -> Result<T, String> + Send + Sync;

struct State<T> {
    /// The files' stamps when `value` was built.
    built_from: Vec<Option<Stamp>>,
    value: Arc<T>,
    /// The stamps of the last state that failed to build, so it is warned about once.
    failed_at: Option<Vec<Option<Stamp>>>,
}

/// `T` built from the contents of `paths`, rebuilt when any of them changes.
pub struct Watched<T> {
    what: &'static str,
    paths: Vec<PathBuf>,
    build: Box<Build<T>>,
    state: Mutex<State<T>>,
}

impl<T> std::fmt::Debug for Watched<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watched")
            .field("what", &self.what)
            .field("paths", &self.paths)
            .finish_non_exhaustive()
    }
}

impl<T> Watched<T> {
    /// Reads and builds once; an error (naming the file that could not be read) stops start-up.
    pub fn load(
        what: &'static str,
        paths: Vec<PathBuf>,
        build: impl Fn(&[Vec<u8>]) -> Result<T, String> + Send + Sync + 'static,
    ) -> Result<Self, String> {
        let built_from: Vec<Option<Stamp>> = paths.iter().map(|p| stamp(p)).collect();
        let contents = read_all(&paths)?;
        let value = Arc::new(build(&contents)?);
        Ok(Self {
            what,
            paths,
            build: Box::new(build),
            state: Mutex::new(State {
                built_from,
                value,
                failed_at: None,
            }),
        })
    }

    /// The value for the files as they are now: rebuilt if they changed since the last build,
    /// the last good one if the new files do not build.
    pub fn current(&self) -> Arc<T> {
        let now: Vec<Option<Stamp>> = self.paths.iter().map(|p| stamp(p)).collect();
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if now == state.built_from || state.failed_at.as_ref() == Some(&now) {
            return state.value.clone();
        }
        match read_all(&self.paths).and_then(|contents| (self.build)(&contents)) {
            Ok(value) => {
                state.value = Arc::new(value);
                state.built_from = now;
                state.failed_at = None;
                tracing::info!(what = self.what, files = ?self.paths, "reloaded changed TLS files");
            }
            Err(why) => {
                tracing::warn!(
                    what = self.what,
                    files = ?self.paths,
                    error = %why,
                    "changed TLS files do not load; keeping the previous ones until they change again"
                );
                state.failed_at = Some(now);
            }
        }
        state.value.clone()
    }
}

fn read_all(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, String> {
    paths
        .iter()
        .map(|path| {
            std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(contents: &[Vec<u8>]) -> Result<u32, String> {
        String::from_utf8_lossy(&contents[0])
            .trim()
            .parse()
            .map_err(|_| "not a number".to_owned())
    }

    /// As cert-manager's atomic writer does: the new file is written beside and renamed over.
    fn replace(path: &Path, text: &str) {
        let next = path.with_extension("next");
        std::fs::write(&next, text).unwrap();
        std::fs::rename(&next, path).unwrap();
    }

    #[test]
    fn a_changed_file_is_rebuilt_and_a_broken_one_keeps_the_last_good_value() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("value");
        std::fs::write(&file, "1").unwrap();
        let watched = Watched::load("number", vec![file.clone()], parse).unwrap();
        assert_eq!(*watched.current(), 1);
        replace(&file, "2");
        assert_eq!(*watched.current(), 2);
        replace(&file, "two");
        assert_eq!(
            *watched.current(),
            2,
            "a broken file keeps the last good value"
        );
        std::fs::remove_file(&file).unwrap();
        assert_eq!(*watched.current(), 2, "a missing file keeps it too");
        replace(&file, "3");
        assert_eq!(*watched.current(), 3);
    }

    #[test]
    fn a_file_that_does_not_load_at_start_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let error = Watched::load("number", vec![missing], parse).unwrap_err();
        assert!(error.contains("nope.pem"), "{error}");
    }
}
