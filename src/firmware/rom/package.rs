//! How a ROM package is reached, whatever holds it: a folder on disk or a .zip read entry by
//! entry, its file names made safe ([`safe_relative`]), found ignoring case slips, and its
//! scatter file chosen among several.
//!
//! Safety: a name that leaves the package (absolute, `..`, a drive letter, a symlink pointing
//! outside) is never opened. Reads files; knows no format beyond finding the scatter file, and
//! no phone.

use std::{
    collections::BTreeMap,
    fs::File,
    io::Read,
    path::{Path, PathBuf},
};

use super::{MAX_SCATTER, Problem, RomError, Severity};
use crate::{error::HostError, firmware::scatter::ScatterError};

/// The clean relative form of a file name from a scatter file or a zip entry (`\` taken as `/`,
/// `.` dropped), or `None` when it is empty, absolute, has a drive letter or a `..`.
pub fn safe_relative(name: &str) -> Option<String> {
    let name = name.replace('\\', "/");
    if name.starts_with('/') || name.contains('\0') || name.as_bytes().get(1) == Some(&b':') {
        return None;
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Where an image is, once found.
pub(super) enum Located {
    File(PathBuf),
    Entry(usize),
}

/// A ROM package: one way to find and read its files, whatever holds them.
pub(super) enum Package {
    /// A folder on disk; `root` is the folder given, canonical.
    Folder { root: PathBuf },
    /// A zip; entry names (safe ones only) mapped to their index.
    Zip {
        archive: zip::ZipArchive<File>,
        entries: BTreeMap<String, usize>,
    },
}

impl Package {
    /// Looks up `rel` (already safe and relative to the package root): exact name first, then
    /// the one name that differs only in case (SP Flash Tool runs on Windows, where ROM makers
    /// do not notice case slips). `Err` when a symlink leads out of the package.
    pub(super) fn locate(&self, rel: &str) -> Result<Option<Located>, ()> {
        match self {
            Package::Folder { root } => {
                let path = root.join(rel);
                let path = if path.is_file() {
                    path
                } else {
                    match case_insensitive_sibling(&path) {
                        Some(p) => p,
                        None => return Ok(None),
                    }
                };
                match path.canonicalize() {
                    Ok(real) if real.starts_with(root) => Ok(Some(Located::File(path))),
                    Ok(_) => Err(()),
                    Err(_) => Ok(None),
                }
            }
            Package::Zip { entries, .. } => {
                if let Some(&i) = entries.get(rel) {
                    return Ok(Some(Located::Entry(i)));
                }
                let mut matches = entries.iter().filter(|(k, _)| k.eq_ignore_ascii_case(rel));
                match (matches.next(), matches.next()) {
                    (Some((_, &i)), None) => Ok(Some(Located::Entry(i))),
                    _ => Ok(None),
                }
            }
        }
    }

    /// Opens a located file as a stream.
    pub(super) fn open(&mut self, at: &Located) -> std::io::Result<Box<dyn Read + '_>> {
        match (self, at) {
            (Package::Folder { .. }, Located::File(path)) => Ok(Box::new(File::open(path)?)),
            (Package::Zip { archive, .. }, Located::Entry(i)) => archive
                .by_index(*i)
                .map(|f| Box::new(f) as Box<dyn Read + '_>)
                .map_err(std::io::Error::other),
            _ => Err(std::io::Error::other("file located in another package")),
        }
    }

    /// Every file name in the package (relative, `/`-separated), for finding the scatter.
    pub(super) fn file_names(&self) -> Vec<String> {
        match self {
            Package::Folder { root } => {
                let mut out = Vec::new();
                walk(root, "", 0, &mut out);
                out
            }
            Package::Zip { entries, .. } => entries
                .keys()
                .filter(|k| !k.ends_with('/'))
                .cloned()
                .collect(),
        }
    }
}

/// The one file in `path`'s folder whose name equals `path`'s ignoring case. Names are
/// compared as shown (lossily): a file whose name is not UTF-8 is found by the name a scatter
/// file, read as text, gives it.
fn case_insensitive_sibling(path: &Path) -> Option<PathBuf> {
    let want = path.file_name()?.to_string_lossy().into_owned();
    let mut found = std::fs::read_dir(path.parent()?)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(&want))
        .map(|e| e.path())
        .filter(|p| p.is_file());
    match (found.next(), found.next()) {
        (Some(p), None) => Some(p),
        _ => None,
    }
}

/// Lists files under `dir` up to three folders deep, without following symlinked folders.
fn walk(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = format!("{prefix}{name}");
        match entry.file_type() {
            Ok(t) if t.is_dir() && depth < 3 => {
                walk(&entry.path(), &format!("{rel}/"), depth + 1, out)
            }
            Ok(t) if t.is_file() || t.is_symlink() => out.push(rel),
            _ => {}
        }
    }
}

/// The scatter file to use among `names`: `*_Android_scatter*.txt` before any other
/// `*scatter*.txt`, the shallowest first, then by name.
pub(super) fn choose_scatter(names: &[String]) -> Vec<&String> {
    let rank = |n: &String| {
        let base = n.rsplit('/').next().unwrap_or(n).to_ascii_lowercase();
        if !base.ends_with(".txt") || !base.contains("scatter") {
            return None;
        }
        Some((
            u8::from(!base.contains("android_scatter")),
            n.matches('/').count(),
        ))
    };
    let mut found: Vec<_> = names.iter().filter_map(|n| Some((rank(n)?, n))).collect();
    found.sort();
    let best = found.first().map(|(r, _)| *r);
    found
        .into_iter()
        .filter(|(r, _)| Some(*r) == best)
        .map(|(_, n)| n)
        .collect()
}

/// Opens `path` as a package: a folder, a zip, or a scatter file (its folder is the package).
/// Returns the package, the scatter's path inside it when the user named it, and problems
/// found while opening (unsafe zip entries).
pub(super) fn open_package(path: &Path) -> crate::Result<(Package, Option<String>, Vec<Problem>)> {
    let meta = std::fs::metadata(path).map_err(|e| HostError::io("open", path, e))?;
    if meta.is_dir() {
        let root = path
            .canonicalize()
            .map_err(|e| HostError::io("open", path, e))?;
        return Ok((Package::Folder { root }, None, Vec::new()));
    }
    if !meta.is_file() {
        return Err(RomError::NotAPackage { path: path.into() }.into());
    }
    let mut file = File::open(path).map_err(|e| HostError::io("open", path, e))?;
    let mut magic = [0u8; 4];
    let is_zip = file.read_exact(&mut magic).is_ok() && magic == *b"PK\x03\x04"
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if !is_zip {
        // A scatter file: the package is its folder.
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let root = parent
            .canonicalize()
            .map_err(|e| HostError::io("open", parent, e))?;
        return Ok((Package::Folder { root }, name, Vec::new()));
    }
    let file = File::open(path).map_err(|e| HostError::io("open", path, e))?;
    let archive = zip::ZipArchive::new(file).map_err(|source| RomError::BadZip {
        path: path.into(),
        source,
    })?;
    let mut entries = BTreeMap::new();
    let mut problems = Vec::new();
    for i in 0..archive.len() {
        let Some(Ok(raw)) = archive.name_for_index(i) else {
            continue;
        };
        if raw.ends_with('/') {
            continue;
        }
        match safe_relative(&raw) {
            Some(clean) => {
                entries.insert(clean, i);
            }
            None => problems.push(Problem {
                severity: Severity::Error,
                partition: None,
                message: format!(
                    "zip entry {raw:?} points outside the package; it was refused and not read \
                     (a zip built to overwrite files elsewhere: do not unpack it with other tools)"
                ),
            }),
        }
    }
    Ok((Package::Zip { archive, entries }, None, problems))
}

/// Reads a small text file from the package (the scatter, Checksum.ini), refusing big files.
pub(super) fn read_text(
    pkg: &mut Package,
    at: &Located,
    what: &'static str,
) -> crate::Result<String> {
    let mut bytes = Vec::new();
    let io = |e| HostError::io("read", what, e);
    let mut r = pkg.open(at).map_err(io)?.take(MAX_SCATTER + 1);
    r.read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_SCATTER {
        return Err(ScatterError::TooLarge {
            bytes: bytes.len() as u64,
        }
        .into());
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
