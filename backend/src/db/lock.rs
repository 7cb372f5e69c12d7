//! One Parley process per SQLite database: the single writer orders the stream,
//! and a second process would write beside it.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::{create_parent_dir, Error, Location, Result};

/// Exclusive use of the database named by a `DATABASE_URL` while it lives: on
/// SQLite, an advisory lock (`flock`) on `<database>.lock` beside the file, which
/// the kernel also releases when the process dies; nothing on PostgreSQL.
#[derive(Debug)]
pub struct Lock {
    _file: Option<File>,
}

impl Lock {
    /// Takes the lock at once, or fails saying which process holds it.
    pub fn acquire(url: &str) -> Result<Self> {
        let Location::Sqlite(path) = Location::parse(url) else {
            return Ok(Self { _file: None });
        };
        create_parent_dir(&path)?;
        let lock_path = lock_path(&path);
        let setup =
            |e: std::io::Error| Error::Setup(format!("cannot lock {}: {e}", lock_path.display()));
        // Never truncated on open nor removed on exit: another process may be
        // holding or taking the lock on this very file.
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(setup)?;
        if !try_lock(&file).map_err(setup)? {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = match holder.trim() {
                "" => String::new(),
                pid => format!(" (process {pid})"),
            };
            return Err(Error::Setup(format!(
                "another Parley process{holder} is using the SQLite database {}: \
                 stop it first. Only one process may serve a SQLite database \
                 (it holds {})",
                path.display(),
                lock_path.display()
            )));
        }
        // For the message above, when someone else tries.
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{}", std::process::id()));
        Ok(Self { _file: Some(file) })
    }
}

/// `parley.db` → `parley.db.lock`.
fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// False when another open file (in this process or another) holds the lock.
/// `flock` rather than `fcntl` locks: those belong to the process, so a second
/// server in the same process would not be refused, and SQLite's own `fcntl`
/// locks on the database are left alone.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use rustix::fs::{flock, FlockOperation};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Elsewhere the lock is not taken (Parley is built and tested on Linux).
#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}
