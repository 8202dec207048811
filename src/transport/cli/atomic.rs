//! Writing a file so that a reader sees its old contents or its new ones, never a mix: a
//! running bot reloads `facts.toml` whenever it changes, and must never read half an edit.
//!
//! The new contents go to a temp file in the same directory (a rename is atomic only within one
//! file system), are flushed to disk, and the temp file is renamed over the target; then the
//! directory is flushed, so the rename survives a crash. A failure before the rename leaves the
//! old file as it was and removes the temp file.

use std::fs::{self, File, Permissions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Replaces (or creates) the file at `path` with `bytes`, atomically.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_with(path, |file| file.write_all(bytes))
}

/// Replaces (or creates) the file at `path` with what `fill` writes, atomically. A file's
/// permissions are kept; a new file gets the usual `rw-r--r--`.
fn write_with(path: &Path, fill: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
    // Through a symbolic link, the file it points to is replaced, not the link.
    let path = match fs::canonicalize(path) {
        Ok(real) => real,
        Err(e) if e.kind() == io::ErrorKind::NotFound => path.to_owned(),
        Err(e) => return Err(e),
    };
    let dir = directory(&path);
    let permissions = match fs::metadata(&path) {
        Ok(meta) => meta.permissions(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => new_file_permissions(&dir)?,
        Err(e) => return Err(e),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".factdesk-edit-")
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    temp.as_file().set_permissions(permissions)?;
    fill(temp.as_file_mut())?;
    temp.as_file().sync_all()?;
    // Dropping `temp` on an error above removes it; `persist` renames it over `path`.
    temp.persist(&path).map_err(|e| e.error)?;
    // Best effort: the file is already in place; this only makes the rename durable sooner.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The directory holding `path` (`.` for a bare file name).
fn directory(path: &Path) -> PathBuf {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Permissions for a new file: `rw-r--r--` where files have modes, else the directory's
/// defaults.
fn new_file_permissions(_dir: &Path) -> io::Result<Permissions> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Ok(Permissions::from_mode(0o644))
    }
    #[cfg(not(unix))]
    {
        Ok(fs::metadata(_dir)?.permissions())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry of `dir`, sorted.
    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("readable dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("facts.toml");
        fs::write(&path, "old").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, Permissions::from_mode(0o640)).expect("chmod");
        }
        write(&path, b"new").expect("atomic write");
        assert_eq!(fs::read_to_string(&path).expect("read"), "new");
        assert_eq!(entries(dir.path()), ["facts.toml"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o640, "the file keeps its permissions");
        }
        write(&dir.path().join("new.txt"), b"text").expect("a new file");
        assert_eq!(entries(dir.path()), ["facts.toml", "new.txt"]);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temp_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("facts.toml");
        fs::write(&path, "old contents").expect("write");
        let failed = write_with(&path, |file| {
            file.write_all(b"half of the n")?;
            Err(io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read_to_string(&path).expect("read"), "old contents");
        assert_eq!(entries(dir.path()), ["facts.toml"]);
    }

    #[cfg(unix)]
    #[test]
    fn through_a_link_the_linked_file_is_replaced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let real = dir.path().join("real.toml");
        let link = dir.path().join("facts.toml");
        fs::write(&real, "old").expect("write");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        write(&link, b"new").expect("atomic write");
        assert!(fs::symlink_metadata(&link)
            .expect("meta")
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).expect("read"), "new");
    }
}
