//! Where the app keeps its files, and creating them private to the user.
//!
//! The data folder holds `known_relays` and the log. Neither holds conversation text,
//! but both say which relays and accounts are used, so they are made readable only by
//! the user (the app forbids `unsafe`, so no `umask`: each file gets its mode itself).

use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// The data folder from `directories`: `~/.local/share/chathulp` on Linux.
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("be", "chathulp", "chathulp").map(|d| d.data_dir().to_owned())
}

/// Creates a folder (and its parents) readable only by the user.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Opens a file for appending, creating it readable only by the user.
pub fn open_private_append(path: &Path) -> io::Result<fs::File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}
