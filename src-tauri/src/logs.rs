//! The app's log file: where it goes and how big it may grow.
//!
//! Logs go to the XDG state folder — `STATELINE_LOG_DIR`, else `$XDG_STATE_HOME/stateline`
//! (`~/.local/state/stateline`), else (systems without a state folder) the local data folder +
//! `Stateline/logs` — as `stateline.log`. When the next line would take the file past
//! [`MAX_FILE_BYTES`] it is rotated: `stateline.log` becomes `stateline.log.1`, `.1` becomes `.2`
//! and so on, and the oldest beyond [`KEPT_FILES`] is removed, so the folder never holds more than
//! `(KEPT_FILES + 1) × MAX_FILE_BYTES`. Lines are rotated whole (the formatter writes one event in
//! one call). What is logged is the core's tracing events, which never carry a key or a PIN (keys
//! are redacting types; PINs are `Sensitive`). If the folder cannot be written, the app logs to
//! stderr only.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::fmt::MakeWriter;

/// The environment variable that picks the log folder.
pub const LOG_DIR_ENV: &str = "STATELINE_LOG_DIR";
/// The log file's name in the log folder.
pub const FILE_NAME: &str = "stateline.log";
/// The size past which the log file is rotated.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// How many rotated files are kept besides the current one.
pub const KEPT_FILES: usize = 3;

/// The log folder: `STATELINE_LOG_DIR`, else the XDG state folder + `stateline`.
pub fn log_dir() -> PathBuf {
    match std::env::var_os(LOG_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dirs::state_dir()
            .map(|state| state.join("stateline"))
            .or_else(|| dirs::data_local_dir().map(|data| data.join("Stateline").join("logs")))
            .unwrap_or_else(|| PathBuf::from("logs")),
    }
}

/// A log file rotated by size, shared by every thread that logs.
#[derive(Debug)]
pub struct RollingFile {
    dir: PathBuf,
    max_bytes: u64,
    kept: usize,
    state: Mutex<Open>,
}

#[derive(Debug)]
struct Open {
    file: File,
    written: u64,
}

impl RollingFile {
    /// Opens (appending) `FILE_NAME` in `dir`, creating the folder.
    pub fn open(dir: &Path, max_bytes: u64, kept: usize) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let file = append(&dir.join(FILE_NAME))?;
        let written = file.metadata()?.len();
        Ok(Self {
            dir: dir.to_path_buf(),
            max_bytes,
            kept,
            state: Mutex::new(Open { file, written }),
        })
    }

    fn path(&self, n: usize) -> PathBuf {
        match n {
            0 => self.dir.join(FILE_NAME),
            n => self.dir.join(format!("{FILE_NAME}.{n}")),
        }
    }

    fn write_line(&self, buf: &[u8]) -> io::Result<()> {
        let mut open = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if open.written > 0 && open.written + buf.len() as u64 > self.max_bytes {
            open.file.flush()?;
            let _ = fs::remove_file(self.path(self.kept));
            for n in (0..self.kept).rev() {
                let _ = fs::rename(self.path(n), self.path(n + 1));
            }
            open.file = append(&self.path(0))?;
            open.written = 0;
        }
        open.file.write_all(buf)?;
        open.written += buf.len() as u64;
        Ok(())
    }
}

fn append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// One event's writer: the formatter hands it the whole line.
#[derive(Debug)]
pub struct LineWriter<'a>(&'a RollingFile);

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_line(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for RollingFile {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(self)
    }
}

/// Logs to stderr and to the rotated file in [`log_dir`] (stderr only if that cannot be opened),
/// filtered by `RUST_LOG` (default `info`).
pub fn init() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, fmt};

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let file = RollingFile::open(&log_dir(), MAX_FILE_BYTES, KEPT_FILES).ok();
    let to_file = file.map(|file| fmt::layer().with_ansi(false).with_writer(file));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(io::stderr))
        .with(to_file)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_by_size_and_keeps_a_bounded_number_of_files() {
        let dir = tempfile::tempdir().unwrap();
        let log = RollingFile::open(dir.path(), 100, 2).unwrap();
        for i in 0..20 {
            LineWriter(&log)
                .write_all(format!("line {i:02} ........................\n").as_bytes())
                .unwrap();
        }
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["stateline.log", "stateline.log.1", "stateline.log.2"]
        );
        for name in &names {
            let text = fs::read_to_string(dir.path().join(name)).unwrap();
            assert!(text.len() <= 100, "{name} is {} bytes", text.len());
            assert!(
                text.lines()
                    .all(|l| l.starts_with("line ") && l.ends_with('.'))
            );
        }
        let newest = fs::read_to_string(dir.path().join("stateline.log")).unwrap();
        assert!(newest.ends_with("line 19 ........................\n"));
    }

    #[test]
    fn reopening_appends_and_counts_what_is_there() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE_NAME), vec![b'x'; 90]).unwrap();
        let log = RollingFile::open(dir.path(), 100, 1).unwrap();
        LineWriter(&log).write_all(b"0123456789abc\n").unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join(FILE_NAME)).unwrap(),
            "0123456789abc\n"
        );
        assert_eq!(
            fs::read(dir.path().join("stateline.log.1")).unwrap().len(),
            90
        );
    }
}
