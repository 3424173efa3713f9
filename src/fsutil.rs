//! Small file-system helpers shared by every layer that writes files the technician relies on.
//!
//! The one rule here: a file is either complete or absent. Writes go to a temporary file in the
//! same folder, are flushed to disk, then renamed into place, and the folder is flushed too.
//! [`AtomicFile`] is the one writer for every file mtkbench stores from a phone or a port
//! (readbacks, UART and EXPDB captures, backups): it streams, hashes SHA-256 on the way, and
//! never replaces a file that exists. Nothing in this module knows what the bytes mean.

use std::{
    fs::File,
    io::{self, BufWriter, Write},
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

use crate::error::HostError;

/// A stored file: where, how long, and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stored {
    /// The final name.
    pub path: PathBuf,
    /// Bytes in it.
    pub bytes: u64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
}

/// A file being stored: written to a temporary file beside its final name (hidden, ending in
/// `.partial`), hashed as it is written, and given its name by [`AtomicFile::commit`] only
/// when every byte is on disk. Dropped without a commit (an error, a cancel), it removes the
/// temporary file: nothing is ever left under the final name. An existing file of that name
/// is never replaced: [`AtomicFile::create`] refuses it, and so does the commit if one
/// appeared meanwhile.
pub struct AtomicFile {
    out: BufWriter<tempfile::NamedTempFile>,
    sha: Sha256,
    bytes: u64,
    path: PathBuf,
    /// Test-only: the next write fails with this error, as a full disk would.
    #[cfg(test)]
    fail_with: Option<io::ErrorKind>,
}

impl std::fmt::Debug for AtomicFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicFile")
            .field("path", &self.path)
            .field("bytes", &self.bytes)
            .finish()
    }
}

fn exists_error(path: &Path) -> HostError {
    HostError::io(
        "store",
        path,
        io::Error::new(
            io::ErrorKind::AlreadyExists,
            "a file of that name exists already, and mtkbench never replaces a stored file",
        ),
    )
}

impl AtomicFile {
    /// Starts storing a file at `path` (its folder is created if missing). Fails at once when
    /// `path` exists or the folder is not writable, so that is found before a phone is caught.
    pub fn create(path: &Path) -> Result<AtomicFile, HostError> {
        if path.symlink_metadata().is_ok() {
            return Err(exists_error(path));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = folder_of(path);
        std::fs::create_dir_all(dir).map_err(|e| HostError::io("create folder", dir, e))?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempfile_in(dir)
            .map_err(|e| HostError::io("create a temporary file in", dir, e))?;
        Ok(AtomicFile {
            out: BufWriter::with_capacity(1 << 20, tmp),
            sha: Sha256::new(),
            bytes: 0,
            path: path.to_path_buf(),
            #[cfg(test)]
            fail_with: None,
        })
    }

    /// The name the file gets at the commit.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary name it has until then.
    pub fn temp_path(&self) -> &Path {
        self.out.get_ref().path()
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Forces what was written so far to disk (a long capture calls it now and then, so a
    /// power cut loses at most the last moments; the file keeps its temporary name).
    pub fn sync_data(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().as_file().sync_data()
    }

    /// Flushes the file to disk, gives it its final name (never replacing a file that
    /// appeared meanwhile), flushes the folder, and returns what was stored.
    pub fn commit(self) -> Result<Stored, HostError> {
        let AtomicFile {
            out,
            sha,
            bytes,
            path,
            ..
        } = self;
        let tmp = out
            .into_inner()
            .map_err(|e| HostError::io("write", &path, e.into_error()))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| HostError::io("write", tmp.path().to_path_buf(), e))?;
        tmp.persist_noclobber(&path).map_err(|e| {
            if e.error.kind() == io::ErrorKind::AlreadyExists {
                exists_error(&path)
            } else {
                HostError::io("save", &path, e.error)
            }
        })?;
        sync_folder(&path)?;
        Ok(Stored {
            path,
            bytes,
            sha256: hex::encode(sha.finalize()),
        })
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        #[cfg(test)]
        if let Some(kind) = self.fail_with {
            return Err(io::Error::from(kind));
        }
        let n = self.out.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Flushes the folder holding `path`, so the new name survives a power cut.
fn sync_folder(path: &Path) -> Result<(), HostError> {
    let dir = folder_of(path);
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| HostError::io("flush the folder", dir, e))
}

/// Writes `bytes` to `path` atomically (temp file, fsync, rename), replacing any old file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), HostError> {
    let tmp = temp_beside(path)?;
    finish(tmp, path, bytes)
}

/// Writes `bytes` to `path` atomically, refusing to replace an existing file.
pub fn write_new_atomic(path: &Path, bytes: &[u8]) -> Result<Stored, HostError> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)
        .map_err(|e| HostError::io("write", file.temp_path().to_path_buf(), e))?;
    file.commit()
}

/// The first free name in `dir` for a file that must not replace another: `<stem>.<ext>`,
/// else `<stem>-2.<ext>`, `<stem>-3.<ext>`, and on; `taken` says whether a name is in use.
pub fn free_name(dir: &Path, stem: &str, ext: &str, taken: impl Fn(&Path) -> bool) -> PathBuf {
    let first = dir.join(format!("{stem}.{ext}"));
    if !taken(&first) {
        return first;
    }
    (2u32..)
        .map(|n| dir.join(format!("{stem}-{n}.{ext}")))
        .find(|p| !taken(p))
        .unwrap_or(first)
}

/// Writes a new folder `dir` holding `files` (plain names, no folders) atomically: every file
/// goes into a temporary folder beside `dir` and is flushed to disk, then the folder is renamed
/// into place. An existing `dir` that holds anything is never touched (an empty one is
/// replaced). On any failure nothing is left at `dir`.
pub fn write_new_folder(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), HostError> {
    if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(HostError::io(
            "write into",
            dir,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "the folder exists and is not empty; nothing in it was changed",
            ),
        ));
    }
    let (parent, tmp) = staging_beside(dir)?;
    for (name, bytes) in files {
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(HostError::Usage(format!(
                "{name:?} is not a plain file name; refusing to write it"
            )));
        }
        let path = tmp.path().join(name);
        let mut f = std::fs::File::create(&path).map_err(|e| HostError::io("create", &path, e))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| HostError::io("write", &path, e))?;
    }
    std::fs::File::open(tmp.path())
        .and_then(|d| d.sync_all())
        .map_err(|e| HostError::io("flush", tmp.path(), e))?;
    let staged = tmp.keep();
    std::fs::rename(&staged, dir).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        HostError::io("save", dir, e)
    })?;
    std::fs::File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(|e| HostError::io("flush", parent, e))
}

/// Makes the new folder `dir` holding `files` under their own names: each is hard-linked when
/// `dir` is on the same disk (no copy of a multi-gigabyte image), else copied in bounded
/// memory; everything goes into a temporary folder beside `dir`, is flushed, and the folder
/// is renamed into place without replacing anything. On any failure nothing is left at `dir`.
pub fn link_new_folder(dir: &Path, files: &[PathBuf]) -> Result<(), HostError> {
    let (parent, tmp) = staging_beside(dir)?;
    for src in files {
        let Some(name) = src.file_name() else {
            return Err(HostError::Usage(format!(
                "{} names no file; refusing to add it",
                src.display()
            )));
        };
        let to = tmp.path().join(name);
        if std::fs::hard_link(src, &to).is_err() {
            std::fs::copy(src, &to).map_err(|e| HostError::io("copy", src, e))?;
            File::open(&to)
                .and_then(|f| f.sync_all())
                .map_err(|e| HostError::io("write", &to, e))?;
        }
    }
    File::open(tmp.path())
        .and_then(|d| d.sync_all())
        .map_err(|e| HostError::io("flush", tmp.path(), e))?;
    let staged = tmp.keep();
    if let Err(e) = rustix::fs::renameat_with(
        rustix::fs::CWD,
        &staged,
        rustix::fs::CWD,
        dir,
        rustix::fs::RenameFlags::NOREPLACE,
    ) {
        let _ = std::fs::remove_dir_all(&staged);
        return Err(HostError::io("save", dir, e.into()));
    }
    File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(|e| HostError::io("flush", parent, e))
}

/// The folder `dir` will be in (created), and a hidden temporary folder in it where a new
/// folder is put together before it is renamed to `dir`.
fn staging_beside(dir: &Path) -> Result<(&Path, tempfile::TempDir), HostError> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(|e| HostError::io("create folder", parent, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".mtkbench-tmp-")
        .tempdir_in(parent)
        .map_err(|e| HostError::io("create a temporary folder in", parent, e))?;
    Ok((parent, tmp))
}

fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile, HostError> {
    let dir = folder_of(path);
    std::fs::create_dir_all(dir).map_err(|e| HostError::io("create folder", dir, e))?;
    tempfile::Builder::new()
        .prefix(".mtkbench-tmp-")
        .tempfile_in(dir)
        .map_err(|e| HostError::io("create a temporary file in", dir, e))
}

fn finish(mut tmp: tempfile::NamedTempFile, path: &Path, bytes: &[u8]) -> Result<(), HostError> {
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| HostError::io("write", tmp.path().to_path_buf(), e))?;
    // On failure the temporary file is removed when the error drops it.
    tmp.persist(path)
        .map_err(|e| HostError::io("save", path, e.error))?;
    sync_folder(path)
}

/// Hashes what passes through it: read from the inner reader, or written into it.
pub(crate) struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R> Hashing<R> {
    /// Hashes what passes through `inner`.
    pub(crate) fn new(inner: R) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The SHA-256 of what passed, in hex.
    pub(crate) fn hex(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

impl<R: io::Read> io::Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl<R> Write for Hashing<R> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_file_and_leaves_no_temp_behind() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("index.json");
        write_atomic(&p, b"first version, long").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn free_names_count_up_past_taken_ones() {
        let dir = Path::new("/caps");
        let taken = ["/caps/a.bin", "/caps/a-2.bin"];
        let name = free_name(dir, "a", "bin", |p| taken.iter().any(|t| p == Path::new(t)));
        assert_eq!(name, Path::new("/caps/a-3.bin"));
        assert_eq!(
            free_name(dir, "b", "log", |_| false),
            Path::new("/caps/b.log")
        );
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_stored_file_is_streamed_hashed_and_named_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/uboot.bin");
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"hello ").unwrap();
        f.write_all(b"world").unwrap();
        assert!(!p.exists(), "no final name before the commit");
        let tmp = f.temp_path().to_path_buf();
        assert!(tmp.to_string_lossy().ends_with(".partial"), "{tmp:?}");
        let stored = f.commit().unwrap();
        assert_eq!(stored.bytes, 11);
        assert_eq!(
            stored.sha256,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(std::fs::read(&p).unwrap(), b"hello world");
        assert_eq!(names(&dir.path().join("sub")), ["uboot.bin"]);
    }

    #[test]
    fn an_existing_file_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nvram.bin");
        std::fs::write(&p, b"the only copy").unwrap();
        let e = AtomicFile::create(&p).unwrap_err();
        assert!(e.to_string().contains("never replaces"), "{e}");
        // A file that appears while ours is written is not replaced either.
        let q = dir.path().join("late.bin");
        let mut f = AtomicFile::create(&q).unwrap();
        f.write_all(b"ours").unwrap();
        std::fs::write(&q, b"theirs").unwrap();
        let e = f.commit().unwrap_err();
        assert!(e.to_string().contains("late.bin"), "{e}");
        assert_eq!(std::fs::read(&q).unwrap(), b"theirs");
        assert_eq!(std::fs::read(&p).unwrap(), b"the only copy");
        assert_eq!(names(dir.path()), ["late.bin", "nvram.bin"]);
    }

    #[test]
    fn a_failure_mid_stream_leaves_nothing() {
        struct Breaks(u32);
        impl io::Read for Breaks {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("the port went away"));
                }
                self.0 -= 1;
                buf.fill(0xAA);
                Ok(buf.len())
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("readback.bin");
        let mut f = AtomicFile::create(&p).unwrap();
        let e = io::copy(&mut Breaks(3), &mut f).unwrap_err();
        assert_eq!(e.to_string(), "the port went away");
        drop(f);
        assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
    }

    #[test]
    fn a_full_disk_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("capture.log");
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"first part").unwrap();
        f.fail_with = Some(io::ErrorKind::StorageFull);
        let e = f.write_all(b"more").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::StorageFull);
        drop(f);
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn a_read_only_folder_fails_before_anything_is_written() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        if std::fs::write(ro.join("probe"), b"").is_ok() {
            eprintln!("skipped: this user (root) writes into read-only folders");
            return;
        }
        let e = AtomicFile::create(&ro.join("x.bin")).unwrap_err();
        assert!(e.to_string().contains("ro"), "{e}");
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(names(&ro).is_empty());
    }

    #[test]
    fn a_new_folder_appears_whole_and_never_over_a_full_one() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("pkg");
        let files = vec![("a.bin".to_string(), vec![1u8; 10]), ("b".into(), vec![])];
        write_new_folder(&out, &files).unwrap();
        assert_eq!(std::fs::read(out.join("a.bin")).unwrap(), [1u8; 10]);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let err = write_new_folder(&out, &[("c".into(), vec![2])]).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        assert!(!out.join("c").exists());
        let bad = write_new_folder(&dir.path().join("q"), &[("../x".into(), vec![])]);
        assert!(bad.is_err());
        assert!(!dir.path().join("q").exists() && !dir.path().join("x").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn new_file_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("manifest.json");
        write_new_atomic(&p, b"original").unwrap();
        let err = write_new_atomic(&p, b"other").unwrap_err();
        assert!(err.to_string().contains("manifest.json"), "{err}");
        assert_eq!(std::fs::read(&p).unwrap(), b"original");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}

/// Paths in reports: printed (and written to JSON) lossily, since a path whose name is not
/// UTF-8 (an archive unpacked from a machine with another code page) must still be shown.
/// Use with `#[serde(serialize_with = "fsutil::lossy")]`.
pub fn lossy<S: serde::Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

/// [`lossy`] for a list of paths.
pub fn lossy_all<S: serde::Serializer>(paths: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(paths.iter().map(|p| p.to_string_lossy()))
}

/// A path as it is stored in a file mtkbench reads back (the library index): its text when
/// it is UTF-8, else its bytes, so that no path is lost or changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum StoredPath {
    /// A UTF-8 path.
    Text(String),
    /// Any other path, byte for byte (Unix).
    Bytes {
        /// The path's bytes.
        bytes: Vec<u8>,
    },
}

impl From<&Path> for StoredPath {
    fn from(path: &Path) -> StoredPath {
        match path.to_str() {
            Some(text) => StoredPath::Text(text.to_owned()),
            None => StoredPath::Bytes {
                bytes: path.as_os_str().as_encoded_bytes().to_vec(),
            },
        }
    }
}

impl StoredPath {
    /// The path again; `None` for bytes this platform cannot take as a path.
    pub fn to_path(&self) -> Option<PathBuf> {
        match self {
            StoredPath::Text(text) => Some(PathBuf::from(text)),
            #[cfg(unix)]
            StoredPath::Bytes { bytes } => {
                use std::os::unix::ffi::OsStrExt;
                Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
            }
            #[cfg(not(unix))]
            StoredPath::Bytes { .. } => None,
        }
    }
}
