//! Files and folders the product creates hold secrets or personal data (SQLite databases, the
//! laptop key file): they are created for their owner only, 0600 and 0700.

use std::io::Write;
use std::path::Path;

/// Creates `path` and its missing parents with mode 0700; existing folders are left alone.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// Creates a new empty file with mode 0600; `AlreadyExists` when there is one.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    write_new_private_file(path, b"")
}

/// Creates a new file with mode 0600 holding `contents`; `AlreadyExists` when there is one.
pub fn write_new_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents)
}

/// Whether users other than the owner may read the file (always false off Unix).
pub fn readable_by_others(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|meta| meta.permissions().mode() & 0o044 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// The file's or folder's permission bits (`0o755`), when it exists (`None` off Unix).
pub fn mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .ok()
            .map(|meta| meta.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Whether users other than the owner may do anything with the folder or file (any group or
/// other bit): a folder the product creates is 0700, its files 0600.
pub fn open_to_others(path: &Path) -> bool {
    mode(path).is_some_and(|mode| mode & 0o077 != 0)
}

/// Warns, once per folder and process, when the folder that holds the product's files is open
/// to other users: they can list it and, for files not 0600 (an older install, a restored
/// backup), read sealed tokens and personal data. The message says the `chmod` that fixes it.
pub fn warn_if_folder_open(folder: &Path) {
    use std::sync::{Mutex, OnceLock};
    static WARNED: OnceLock<Mutex<std::collections::HashSet<std::path::PathBuf>>> = OnceLock::new();
    let Some(mode) = mode(folder).filter(|mode| mode & 0o077 != 0) else {
        return;
    };
    let warned = WARNED.get_or_init(Default::default);
    let first = warned
        .lock()
        .map(|mut warned| warned.insert(folder.to_path_buf()))
        .unwrap_or(true);
    if first {
        tracing::warn!(
            path = %folder.display(),
            mode = %format!("{mode:o}"),
            "the data folder is open to other users; it holds sealed tokens and personal data: chmod 700 {}",
            shell_word(folder)
        );
    }
}

/// `path` as one shell word, for a command a message tells the operator to run.
pub fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:@%,".contains(c));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_the_owners_only() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_private_dir(&nested).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        let file = nested.join("f");
        write_new_private_file(&file, b"x").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert!(!readable_by_others(&file));
        assert_eq!(
            create_private_file(&file).unwrap_err().kind(),
            std::io::ErrorKind::AlreadyExists
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(readable_by_others(&file));
        assert!(!open_to_others(&nested));
        std::fs::set_permissions(&nested, std::fs::Permissions::from_mode(0o750)).unwrap();
        assert!(open_to_others(&nested));
        assert_eq!(super::mode(&nested), Some(0o750));
    }

    #[test]
    fn paths_become_one_shell_word() {
        assert_eq!(shell_word(Path::new("/home/a/.kintai")), "/home/a/.kintai");
        assert_eq!(shell_word(Path::new("/tmp/my data")), "'/tmp/my data'");
        assert_eq!(shell_word(Path::new("/tmp/it's")), "'/tmp/it'\\''s'");
    }
}
