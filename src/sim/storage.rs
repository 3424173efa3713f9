//! The simulated phone's flash: eMMC regions (BOOT_1, BOOT_2, USER) or one NAND array, kept in
//! a sparse image file so a 4 GB phone costs only the bytes actually written.
//!
//! [`Storage`] is what the device core reads and writes; [`ImageStorage`] keeps it in a file
//! (never loaded whole: every access is a positioned read or write) and [`MemStorage`] in a
//! sparse page map (for demos and unit tests). This module only stores bytes: it knows no
//! protocol, no partition and no profile.
//!
//! # The image file
//!
//! `<image>` holds the regions back to back, in the order the sidecar lists them; unwritten
//! areas are holes. `<image>.json` (the *sidecar*) records what the bytes are: format version,
//! storage kind, each region's size, the board profile and the serial the phone was built
//! with. A phone is created once and reused, so what a technician writes persists between runs.
//!
//! Erased flash reads as 0x00 on eMMC and as 0xFF on NAND. So that holes read as erased NAND,
//! a NAND image stores every byte inverted; erasing punches holes again.

use std::{
    collections::BTreeMap,
    fs::{File, OpenOptions},
    os::unix::fs::FileExt,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::{
    error::Advice,
    firmware::scatter::{Region, Storage as StorageKind},
};

/// What the device core needs from the flash.
pub trait Storage: Send {
    /// eMMC or NAND.
    fn kind(&self) -> StorageKind;

    /// Size of `region` in bytes; 0 for a region this storage does not have.
    fn size(&self, region: Region) -> u64;

    /// Fills `buf` from `region` at `offset`.
    fn read(&mut self, region: Region, offset: u64, buf: &mut [u8]) -> Result<(), StorageError>;

    /// Writes `data` into `region` at `offset`.
    fn write(&mut self, region: Region, offset: u64, data: &[u8]) -> Result<(), StorageError>;

    /// Returns `len` bytes of `region` at `offset` to the erased state.
    fn erase(&mut self, region: Region, offset: u64, len: u64) -> Result<(), StorageError>;
}

/// The value erased flash reads as: 0x00 on eMMC, 0xFF on NAND.
pub fn erased_byte(kind: StorageKind) -> u8 {
    match kind {
        StorageKind::Emmc => 0x00,
        StorageKind::Nand => 0xFF,
    }
}

/// Why a storage access failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The access does not fit the region (or the region does not exist).
    #[error(
        "{region} has {size:#x} bytes; an access of {len:#x} bytes at {offset:#x} does not fit"
    )]
    OutOfRange {
        /// The region addressed.
        region: Region,
        /// First byte of the access.
        offset: u64,
        /// Length of the access.
        len: u64,
        /// Size of the region.
        size: u64,
    },
    /// The image file or its sidecar could not be read or written.
    #[error("cannot {action} the simulated phone's image {path}: {source}")]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The image or sidecar file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The sidecar is missing, unreadable or describes another file.
    #[error("{path} is not a usable simulated-phone image: {reason}")]
    BadImage {
        /// The image file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl Advice for StorageError {
    fn help(&self) -> String {
        match self {
            StorageError::OutOfRange { .. } => {
                "the host asked for bytes outside the simulated flash; check the partition \
                 table it used"
                    .into()
            }
            StorageError::Io { .. } => "check the disk has room and the path is writable".into(),
            StorageError::BadImage { path, .. } => format!(
                "give another --image, or delete {} and its .json to let the simulator build a \
                 fresh phone",
                path.display()
            ),
        }
    }

    fn is_bad_input(&self) -> bool {
        matches!(self, StorageError::BadImage { .. })
    }
}

/// Checks that `len` bytes at `offset` fit a region of `size` bytes.
fn check_range(region: Region, offset: u64, len: u64, size: u64) -> Result<(), StorageError> {
    match offset.checked_add(len) {
        Some(end) if end <= size && size > 0 => Ok(()),
        _ => Err(StorageError::OutOfRange {
            region,
            offset,
            len,
            size,
        }),
    }
}

/// The regions of a storage, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Geometry {
    /// eMMC or NAND.
    pub kind: StorageKind,
    /// Each region and its size, in the order they are laid out in an image.
    pub regions: Vec<(Region, u64)>,
}

impl Geometry {
    /// An eMMC with two boot partitions of `boot_size` bytes and a user area of `user_size`.
    pub fn emmc(boot_size: u64, user_size: u64) -> Geometry {
        Geometry {
            kind: StorageKind::Emmc,
            regions: vec![
                (Region::EmmcBoot1, boot_size),
                (Region::EmmcBoot2, boot_size),
                (Region::EmmcUser, user_size),
            ],
        }
    }

    /// A NAND array of `size` bytes.
    pub fn nand(size: u64) -> Geometry {
        Geometry {
            kind: StorageKind::Nand,
            regions: vec![(Region::Nand, size)],
        }
    }

    /// Size of `region`, 0 when absent.
    pub fn size(&self, region: Region) -> u64 {
        self.regions
            .iter()
            .find(|(r, _)| *r == region)
            .map_or(0, |(_, s)| *s)
    }

    /// Where `region` starts in an image file.
    fn base(&self, region: Region) -> Option<u64> {
        let mut base = 0u64;
        for (r, size) in &self.regions {
            if *r == region {
                return Some(base);
            }
            base = base.saturating_add(*size);
        }
        None
    }

    /// Length of the whole image file.
    pub fn total(&self) -> u64 {
        self.regions.iter().map(|(_, s)| *s).sum()
    }
}

/// One region as the sidecar records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionRecord {
    name: String,
    size: u64,
}

/// What the sidecar says about an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageMeta {
    /// Always [`ImageMeta::FORMAT`].
    pub format: String,
    /// Layout version of the image and sidecar.
    pub version: u32,
    /// The board profile the phone was built from.
    pub profile: String,
    /// The simulated phone's serial (seeds ME ID, CID and NVRAM content).
    pub serial: String,
    /// `emmc` or `nand`.
    pub storage: String,
    regions: Vec<RegionRecord>,
}

impl ImageMeta {
    /// The `format` value of every sidecar.
    pub const FORMAT: &'static str = "mtkbench-sim-image";
    /// The current layout version.
    pub const VERSION: u32 = 1;

    /// The sidecar for a new phone.
    pub fn new(profile: &str, serial: &str, geometry: &Geometry) -> ImageMeta {
        ImageMeta {
            format: Self::FORMAT.into(),
            version: Self::VERSION,
            profile: profile.into(),
            serial: serial.into(),
            storage: geometry.kind.as_str().to_ascii_lowercase(),
            regions: geometry
                .regions
                .iter()
                .map(|(r, s)| RegionRecord {
                    name: r.as_str().into(),
                    size: *s,
                })
                .collect(),
        }
    }

    /// The geometry the sidecar describes, or why it makes no sense.
    pub fn geometry(&self) -> Result<Geometry, String> {
        if self.format != Self::FORMAT || self.version != Self::VERSION {
            return Err(format!(
                "its sidecar says format {:?} version {}, this mtkbench reads {:?} version {}",
                self.format,
                self.version,
                Self::FORMAT,
                Self::VERSION
            ));
        }
        let kind = match self.storage.as_str() {
            "emmc" => StorageKind::Emmc,
            "nand" => StorageKind::Nand,
            other => return Err(format!("unknown storage {other:?} in its sidecar")),
        };
        let all = [
            Region::EmmcBoot1,
            Region::EmmcBoot2,
            Region::EmmcUser,
            Region::Nand,
        ];
        let mut regions = Vec::new();
        for rec in &self.regions {
            let region = all
                .into_iter()
                .find(|r| r.as_str() == rec.name)
                .ok_or_else(|| format!("unknown region {:?} in its sidecar", rec.name))?;
            let fits = match kind {
                StorageKind::Emmc => region != Region::Nand,
                StorageKind::Nand => region == Region::Nand,
            };
            if !fits || regions.iter().any(|(r, _)| *r == region) {
                return Err(format!("region {} does not belong there", rec.name));
            }
            regions.push((region, rec.size));
        }
        if regions.is_empty() {
            return Err("its sidecar lists no region".into());
        }
        Ok(Geometry { kind, regions })
    }
}

/// The sidecar path of an image: `<image>.json`.
pub fn sidecar_path(image: &Path) -> PathBuf {
    let mut name = image.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

/// A simulated phone's flash kept in a sparse image file plus its sidecar.
#[derive(Debug)]
pub struct ImageStorage {
    file: File,
    path: PathBuf,
    geometry: Geometry,
    meta: ImageMeta,
}

impl ImageStorage {
    /// Creates a new, fully erased image (a sparse file of the geometry's length) and its
    /// sidecar. Refuses to replace an existing image.
    pub fn create(path: &Path, meta: ImageMeta) -> Result<ImageStorage, StorageError> {
        let geometry = meta.geometry().map_err(|reason| StorageError::BadImage {
            path: path.into(),
            reason,
        })?;
        let io = |action, source| StorageError::Io {
            action,
            path: path.into(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io("create the folder of", e))?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| io("create", e))?;
        file.set_len(geometry.total()).map_err(|e| io("size", e))?;
        let text = serde_json::to_string_pretty(&meta).map_err(|e| {
            io(
                "describe",
                std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            )
        })?;
        let sidecar = sidecar_path(path);
        crate::fsutil::write_atomic(&sidecar, text.as_bytes()).map_err(|e| StorageError::Io {
            action: "write the sidecar of",
            path: path.into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        Ok(ImageStorage {
            file,
            path: path.into(),
            geometry,
            meta,
        })
    }

    /// Opens an existing image through its sidecar.
    pub fn open(path: &Path) -> Result<ImageStorage, StorageError> {
        let bad = |reason: String| StorageError::BadImage {
            path: path.into(),
            reason,
        };
        let sidecar = sidecar_path(path);
        let text = std::fs::read_to_string(&sidecar).map_err(|e| {
            bad(format!(
                "its sidecar {} cannot be read ({e})",
                sidecar.display()
            ))
        })?;
        let meta: ImageMeta = serde_json::from_str(&text).map_err(|e| {
            bad(format!(
                "its sidecar {} is damaged ({e})",
                sidecar.display()
            ))
        })?;
        let geometry = meta.geometry().map_err(bad)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| StorageError::Io {
                action: "open",
                path: path.into(),
                source: e,
            })?;
        let len = file
            .metadata()
            .map_err(|e| StorageError::Io {
                action: "inspect",
                path: path.into(),
                source: e,
            })?
            .len();
        if len != geometry.total() {
            return Err(bad(format!(
                "it is {len} bytes long but its sidecar describes {} bytes",
                geometry.total()
            )));
        }
        Ok(ImageStorage {
            file,
            path: path.into(),
            geometry,
            meta,
        })
    }

    /// What the sidecar says.
    pub fn meta(&self) -> &ImageMeta {
        &self.meta
    }

    /// The regions and their sizes.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// The image file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// File position of `len` bytes at `offset` in `region`, after checking the range.
    fn locate(&self, region: Region, offset: u64, len: u64) -> Result<u64, StorageError> {
        check_range(region, offset, len, self.geometry.size(region))?;
        // check_range passed, so the region exists.
        Ok(self.geometry.base(region).unwrap_or(0) + offset)
    }

    fn io(&self, action: &'static str, source: std::io::Error) -> StorageError {
        StorageError::Io {
            action,
            path: self.path.clone(),
            source,
        }
    }

    fn inverted(&self) -> bool {
        self.geometry.kind == StorageKind::Nand
    }

    /// Writes zeros (stored form) over `len` bytes at file position `at`.
    fn zero_fill(&self, at: u64, len: u64) -> Result<(), StorageError> {
        let zeros = vec![0u8; len.min(CHUNK) as usize];
        let mut done = 0;
        while done < len {
            let n = (len - done).min(CHUNK) as usize;
            self.file
                .write_all_at(&zeros[..n], at + done)
                .map_err(|e| self.io("erase", e))?;
            done += n as u64;
        }
        Ok(())
    }
}

/// Largest buffer used to erase by writing.
const CHUNK: u64 = 1 << 20;
/// Holes are punched on whole blocks of this size; the edges are written.
const HOLE_ALIGN: u64 = 4096;

impl Storage for ImageStorage {
    fn kind(&self) -> StorageKind {
        self.geometry.kind
    }

    fn size(&self, region: Region) -> u64 {
        self.geometry.size(region)
    }

    fn read(&mut self, region: Region, offset: u64, buf: &mut [u8]) -> Result<(), StorageError> {
        let at = self.locate(region, offset, buf.len() as u64)?;
        self.file
            .read_exact_at(buf, at)
            .map_err(|e| self.io("read", e))?;
        if self.inverted() {
            buf.iter_mut().for_each(|b| *b = !*b);
        }
        Ok(())
    }

    fn write(&mut self, region: Region, offset: u64, data: &[u8]) -> Result<(), StorageError> {
        let at = self.locate(region, offset, data.len() as u64)?;
        let result = if self.inverted() {
            let stored: Vec<u8> = data.iter().map(|b| !b).collect();
            self.file.write_all_at(&stored, at)
        } else {
            self.file.write_all_at(data, at)
        };
        result.map_err(|e| self.io("write", e))
    }

    fn erase(&mut self, region: Region, offset: u64, len: u64) -> Result<(), StorageError> {
        let at = self.locate(region, offset, len)?;
        let end = at + len;
        let hole_start = at.next_multiple_of(HOLE_ALIGN);
        let hole_end = end - end % HOLE_ALIGN;
        if hole_end > hole_start {
            use rustix::fs::{FallocateFlags, fallocate};
            let punched = fallocate(
                &self.file,
                FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE,
                hole_start,
                hole_end - hole_start,
            );
            if punched.is_ok() {
                self.zero_fill(at, hole_start - at)?;
                return self.zero_fill(hole_end, end - hole_end);
            }
        }
        // No hole punching on this file system: write the erased value instead.
        self.zero_fill(at, len)
    }
}

/// Page size of [`MemStorage`].
const PAGE: u64 = 4096;

/// A sparse in-memory flash: only written pages take memory.
#[derive(Debug, Clone)]
pub struct MemStorage {
    geometry: Geometry,
    pages: BTreeMap<(u8, u64), Box<[u8]>>,
}

impl MemStorage {
    /// An erased storage of the given geometry.
    pub fn new(geometry: Geometry) -> MemStorage {
        MemStorage {
            geometry,
            pages: BTreeMap::new(),
        }
    }

    /// How many pages hold data (to check that erasing frees memory).
    pub fn pages_in_use(&self) -> usize {
        self.pages.len()
    }

    fn key(region: Region) -> u8 {
        region as u8
    }
}

impl Storage for MemStorage {
    fn kind(&self) -> StorageKind {
        self.geometry.kind
    }

    fn size(&self, region: Region) -> u64 {
        self.geometry.size(region)
    }

    fn read(&mut self, region: Region, offset: u64, buf: &mut [u8]) -> Result<(), StorageError> {
        check_range(region, offset, buf.len() as u64, self.size(region))?;
        let erased = erased_byte(self.kind());
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset + done as u64;
            let (page, within) = (pos / PAGE, (pos % PAGE) as usize);
            let n = (PAGE as usize - within).min(buf.len() - done);
            let out = &mut buf[done..done + n];
            match self.pages.get(&(Self::key(region), page)) {
                Some(data) => out.copy_from_slice(&data[within..within + n]),
                None => out.fill(erased),
            }
            done += n;
        }
        Ok(())
    }

    fn write(&mut self, region: Region, offset: u64, data: &[u8]) -> Result<(), StorageError> {
        check_range(region, offset, data.len() as u64, self.size(region))?;
        let erased = erased_byte(self.kind());
        let mut done = 0usize;
        while done < data.len() {
            let pos = offset + done as u64;
            let (page, within) = (pos / PAGE, (pos % PAGE) as usize);
            let n = (PAGE as usize - within).min(data.len() - done);
            let slot = self
                .pages
                .entry((Self::key(region), page))
                .or_insert_with(|| vec![erased; PAGE as usize].into_boxed_slice());
            slot[within..within + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
        Ok(())
    }

    fn erase(&mut self, region: Region, offset: u64, len: u64) -> Result<(), StorageError> {
        check_range(region, offset, len, self.size(region))?;
        let end = offset + len;
        let first_whole = offset.div_ceil(PAGE);
        let last_whole = end / PAGE;
        let key = Self::key(region);
        let whole: Vec<_> = self
            .pages
            .range((key, first_whole)..(key, last_whole.max(first_whole)))
            .map(|(k, _)| *k)
            .collect();
        for k in whole {
            self.pages.remove(&k);
        }
        let erased = vec![erased_byte(self.kind()); PAGE as usize];
        let head_end = (first_whole * PAGE).min(end);
        if head_end > offset {
            self.write(region, offset, &erased[..(head_end - offset) as usize])?;
        }
        let tail_start = (last_whole * PAGE).max(head_end);
        if end > tail_start {
            self.write(region, tail_start, &erased[..(end - tail_start) as usize])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    const MIB: u64 = 1 << 20;

    fn meta(geometry: &Geometry) -> ImageMeta {
        ImageMeta::new("a516_row", "SIM0001", geometry)
    }

    #[test]
    fn a_new_image_is_sparse_and_reads_erased() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phone.img");
        let g = Geometry::emmc(4 * MIB, 3 << 30);
        let mut s = ImageStorage::create(&path, meta(&g)).unwrap();
        let md = std::fs::metadata(&path).unwrap();
        assert_eq!(md.len(), 8 * MIB + (3 << 30));
        assert!(md.blocks() * 512 < MIB, "a fresh image must be sparse");
        let mut buf = [0xAAu8; 16];
        s.read(Region::EmmcUser, (3 << 30) - 16, &mut buf).unwrap();
        assert_eq!(buf, [0; 16]);
        assert!(sidecar_path(&path).is_file());
    }

    #[test]
    fn writes_persist_across_reopen_and_regions_do_not_overlap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phone.img");
        let g = Geometry::emmc(MIB, 8 * MIB);
        {
            let mut s = ImageStorage::create(&path, meta(&g)).unwrap();
            s.write(Region::EmmcBoot1, 0, b"EMMC_BOOT").unwrap();
            s.write(Region::EmmcUser, 0, b"user zero").unwrap();
            s.write(Region::EmmcBoot2, MIB - 3, b"end").unwrap();
        }
        let mut s = ImageStorage::open(&path).unwrap();
        assert_eq!(s.meta().serial, "SIM0001");
        assert_eq!(s.geometry(), &g);
        let mut buf = [0u8; 9];
        s.read(Region::EmmcBoot1, 0, &mut buf).unwrap();
        assert_eq!(&buf, b"EMMC_BOOT");
        s.read(Region::EmmcUser, 0, &mut buf).unwrap();
        assert_eq!(&buf, b"user zero");
        let mut end = [0u8; 3];
        s.read(Region::EmmcBoot2, MIB - 3, &mut end).unwrap();
        assert_eq!(&end, b"end");
    }

    #[test]
    fn create_refuses_to_replace_an_image() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phone.img");
        let g = Geometry::emmc(MIB, MIB);
        ImageStorage::create(&path, meta(&g)).unwrap();
        assert!(matches!(
            ImageStorage::create(&path, meta(&g)),
            Err(StorageError::Io { .. })
        ));
    }

    #[test]
    fn out_of_range_and_missing_regions_are_refused() {
        let mut s = MemStorage::new(Geometry::emmc(MIB, 2 * MIB));
        let mut buf = [0u8; 2];
        let err = s.read(Region::EmmcUser, 2 * MIB - 1, &mut buf).unwrap_err();
        assert!(matches!(err, StorageError::OutOfRange { size, .. } if size == 2 * MIB));
        assert!(s.write(Region::Nand, 0, b"x").is_err());
        assert!(s.erase(Region::EmmcBoot1, u64::MAX, 2).is_err());
    }

    #[test]
    fn nand_reads_ff_when_erased_and_erase_restores_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nand.img");
        let g = Geometry::nand(4 * MIB);
        let mut s = ImageStorage::create(&path, meta(&g)).unwrap();
        assert_eq!(s.kind(), StorageKind::Nand);
        let mut buf = [0u8; 4];
        s.read(Region::Nand, 100, &mut buf).unwrap();
        assert_eq!(buf, [0xFF; 4]);
        s.write(Region::Nand, 100, &[1, 2, 0xFF, 0]).unwrap();
        drop(s);
        let mut s = ImageStorage::open(&path).unwrap();
        s.read(Region::Nand, 100, &mut buf).unwrap();
        assert_eq!(buf, [1, 2, 0xFF, 0]);
        s.erase(Region::Nand, 0, 8192).unwrap();
        s.read(Region::Nand, 100, &mut buf).unwrap();
        assert_eq!(buf, [0xFF; 4]);
    }

    #[test]
    fn erase_clears_exactly_the_range_and_frees_space() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phone.img");
        let g = Geometry::emmc(MIB, 16 * MIB);
        let mut s = ImageStorage::create(&path, meta(&g)).unwrap();
        s.write(Region::EmmcUser, 0, &vec![0x5A; 8 * MIB as usize])
            .unwrap();
        let before = std::fs::metadata(&path).unwrap().blocks();
        s.erase(Region::EmmcUser, 100, 8 * MIB - 200).unwrap();
        let mut edge = [0u8; 2];
        s.read(Region::EmmcUser, 99, &mut edge).unwrap();
        assert_eq!(edge, [0x5A, 0]);
        s.read(Region::EmmcUser, 8 * MIB - 101, &mut edge).unwrap();
        assert_eq!(edge, [0, 0x5A]);
        let after = std::fs::metadata(&path).unwrap().blocks();
        assert!(after <= before, "erasing must not grow the image");
    }

    #[test]
    fn mem_storage_is_sparse_and_erase_frees_pages() {
        let mut s = MemStorage::new(Geometry::emmc(MIB, 1 << 32));
        s.write(Region::EmmcUser, (1 << 32) - 5000, &[7u8; 5000])
            .unwrap();
        assert_eq!(s.pages_in_use(), 2);
        let mut buf = [0u8; 3];
        s.read(Region::EmmcUser, (1 << 32) - 5001, &mut buf)
            .unwrap();
        assert_eq!(buf, [0, 7, 7]);
        s.erase(Region::EmmcUser, (1 << 32) - 8192, 8192).unwrap();
        assert_eq!(s.pages_in_use(), 0);
        s.read(Region::EmmcUser, (1 << 32) - 5001, &mut buf)
            .unwrap();
        assert_eq!(buf, [0, 0, 0]);
    }

    #[test]
    fn damaged_or_foreign_sidecars_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phone.img");
        assert!(matches!(
            ImageStorage::open(&path),
            Err(StorageError::BadImage { .. })
        ));
        let g = Geometry::emmc(MIB, MIB);
        ImageStorage::create(&path, meta(&g)).unwrap();
        let side = sidecar_path(&path);
        let text = std::fs::read_to_string(&side).unwrap();
        std::fs::write(&side, text.replace("EMMC_USER", "NAND")).unwrap();
        let err = ImageStorage::open(&path).unwrap_err();
        assert!(err.to_string().contains("NAND"), "{err}");
        std::fs::write(&side, text).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(5)
            .unwrap();
        let err = ImageStorage::open(&path).unwrap_err();
        assert!(err.to_string().contains("5 bytes long"), "{err}");
        assert!(err.is_bad_input());
    }
}
