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
    }
}
