//! The full dump (`backup --full`): the whole flash read into a package that SP Flash Tool and
//! mtkbench can both flash back. One image per partition of the phone's own table (eMMC: the
//! preloader region BOOT_1, then every user-area partition; NAND: every partition of the
//! array), EMMC_BOOT_2 as a file of its own (no scatter names it), a V1.1.1 scatter generated
//! from that same table, and the identity backups' `manifest.toml` with the SHA-256 of every
//! file. It is a backup of the store ([`BackupKind::Full`]): written into a hidden folder and
//! renamed into place whole, never overwritten, checked by `backups verify`, and its NVRAM set
//! can be restored from it like an identity backup's.
//!
//! Every image streams from the phone into its file (hashed on the way): no partition is held
//! in memory. The scatter marks the NVRAM set as not to be downloaded, so neither SP Flash Tool
//! nor a mtkbench flash writes one phone's identity into another; on the phone itself it goes
//! back by a restore, which needs the proof that the backup is this phone's.
//!
//! [`add_to_library`] links the package into the workshop's ROM library as a ROM for this
//! board, so `library match` ranks it for the board (a working phone becomes the firmware
//! source for its broken twin). Never draws; reaches the phone only through [`crate::job`].

use std::{
    path::{Path, PathBuf},
    time::SystemTime,
};

use serde::Serialize;

use crate::{
    backup::{Backup, BackupError, BackupKind, BackupWriter, FileEntry, Store},
    device::{Fingerprint, table::TableSource},
    engine::Recorder,
    error::{Advice, HostError},
    firmware::{
        is_nvram_set,
        scatter::{self, Partition, Scatter, ScatterFormat, Storage, image_file_name},
        synth::scatter_text,
    },
    job::{DeviceError, Done, Job, OpKind, Phone, Place, Region, Target, step},
    journal::{JobKind, Journal, NewJob, PartitionResult},
    library,
    places::Places,
    profile::{Registry, matching},
    transport::Transport,
};

/// The scatter's file name in a full dump (SP Flash Tool's usual one).
pub const SCATTER_FILE: &str = scatter::FILE_NAME;

/// The file EMMC_BOOT_2 is kept in (no scatter names that region).
pub const BOOT2_FILE: &str = "EMMC_BOOT_2.bin";

/// Why a full dump cannot be made of this phone.
#[derive(Debug, thiserror::Error)]
pub enum FullDumpError {
    /// The phone's partition table gives no names to dump by.
    #[error(
        "the phone's partition table could not be read with names ({why}): a full dump needs \
         every partition's name and place to make a scatter file that flashes back"
    )]
    NoTable {
        /// What was found instead.
        why: String,
    },
    /// The generated scatter does not read back as the table it was made from.
    #[error("the scatter made from the phone's table does not read back: {0}")]
    Scatter(String),
    /// A package of that name is in the library already.
    #[error("the library already holds {path}; nothing in it was changed")]
    LibraryTaken {
        /// The folder.
        path: PathBuf,
    },
}

impl Advice for FullDumpError {
    fn help(&self) -> String {
        match self {
            FullDumpError::NoTable { .. } => {
                "identify the phone (`mtkbench identify --port auto`): its table must be read \
                 from a PMT, or from an MBR that a board profile names; for a board nobody \
                 profiled yet, add one (`mtkbench profiles show ID --toml`)"
                    .into()
            }
            FullDumpError::Scatter(_) => {
                "this is a bug in mtkbench: keep the phone as it is and report the log".into()
            }
            FullDumpError::LibraryTaken { .. } => {
                "the dump stays in the backup store; add it under another name with \
                 `mtkbench backups show ID` (its folder) and `library scan`"
                    .into()
            }
        }
    }

    fn is_bad_input(&self) -> bool {
        matches!(self, FullDumpError::NoTable { .. })
    }
}

/// A stretch of the data region no partition covers (not in the package: SP Flash Tool
/// cannot write it either; on MT6572 phones it is the bad-block pool at the end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unpartitioned {
    /// The region.
    #[serde(serialize_with = "Region::serialize_short")]
    pub region: Region,
    /// First byte.
    pub offset: u64,
    /// Bytes.
    pub length: u64,
}

/// What a full dump stored.
#[derive(Debug, Clone, Serialize)]
pub struct FullDone {
    /// The backup's id (`<device-key>/<timestamp>`).
    pub id: String,
    /// Its folder: a flashable package.
    pub path: PathBuf,
    /// The scatter file in it.
    pub scatter: String,
    /// Every image with its partition, place and SHA-256.
    pub files: Vec<FileEntry>,
    /// Bytes read from the phone.
    pub bytes: u64,
    /// What no partition covers (not read).
    pub unpartitioned: Vec<Unpartitioned>,
    /// The phone's device key.
    pub device_key: String,
    /// The board profile the dump is a ROM for, when the board is known.
    pub profile: Option<String>,
    /// The package's folder in the ROM library, with `--into-library`.
    pub library: Option<PathBuf>,
}

/// What a dump reads, in order (each file name with its range), and what it leaves out.
struct DumpPlan {
    reads: Vec<(String, Target)>,
    gaps: Vec<Unpartitioned>,
}

/// The [`DumpPlan`] of `phone`.
fn dump_plan<T: Transport>(phone: &Phone<'_, T>, project: &str) -> Result<DumpPlan, DeviceError> {
    let mut parts: Vec<_> = phone.map().partitions.clone();
    parts.retain(|p| p.size > 0);
    parts.sort_by_key(|p| (p.region != Region::EmmcBoot1, p.offset));
    let mut plan = Vec::new();
    for p in &parts {
        let target = phone.resolve(&Place::partition(&p.name))?;
        let upper = p.name.to_ascii_uppercase();
        let file = image_file_name(&upper, project)
            .unwrap_or_else(|| format!("{}.img", p.name.to_ascii_lowercase()));
        plan.push((file, target));
    }
    if phone.da().region(Region::EmmcBoot2).is_ok_and(|n| n > 0) {
        plan.insert(
            parts
                .iter()
                .take_while(|p| p.region == Region::EmmcBoot1)
                .count(),
            (
                BOOT2_FILE.to_string(),
                phone.resolve(&Place {
                    selector: crate::job::Selector::Region(Region::EmmcBoot2),
                    offset: None,
                    length: None,
                })?,
            ),
        );
    }
    let data = match phone.da().region(Region::EmmcUser) {
        Ok(_) if phone.da().region(Region::EmmcBoot1).is_ok() => Region::EmmcUser,
        _ => Region::Nand,
    };
    let size = phone.da().region(data)?;
    let mut gaps = Vec::new();
    let mut at = 0;
    for p in parts.iter().filter(|p| p.region == data) {
        if p.offset > at {
            gaps.push(Unpartitioned {
                region: data,
                offset: at,
                length: p.offset - at,
            });
        }
        at = at.max(p.offset.saturating_add(p.size));
    }
    if size > at {
        gaps.push(Unpartitioned {
            region: data,
            offset: at,
            length: size - at,
        });
    }
    Ok(DumpPlan { reads: plan, gaps })
}

/// The scatter of the phone's own table, naming the dump's files. The NVRAM set is listed
/// but not marked for download (identity cloning); EMMC_BOOT_2 is not in it.
pub fn scatter_for(fingerprint: &Fingerprint, files: &[FileEntry], project: &str) -> Scatter {
    let storage = match fingerprint.storage {
        crate::device::fingerprint::StorageFacts::Nand { .. } => Storage::Nand,
        _ => Storage::Emmc,
    };
    let boot1 = files
        .iter()
        .filter(|f| f.region == Region::EmmcBoot1)
        .map(|f| f.length)
        .max()
        .unwrap_or(0);
    let partitions = files
        .iter()
        .filter(|f| f.region != Region::EmmcBoot2)
        .enumerate()
        .map(|(index, f)| {
            let nvram = is_nvram_set(&f.partition);
            let boot = f.region == Region::EmmcBoot1;
            Partition {
                index,
                name: f.partition.to_ascii_uppercase(),
                file: Some(f.file.clone()),
                download: !nvram,
                linear_start: if f.region == Region::EmmcUser {
                    boot1 + f.offset
                } else {
                    f.offset
                },
                size: Some(f.length),
                region: f.region,
                region_offset: f.offset,
                operation: Some(
                    if boot {
                        "BOOTLOADERS"
                    } else if nvram {
                        "PROTECTED"
                    } else {
                        "UPDATE"
                    }
                    .into(),
                ),
                address_is_pseudo: false,
                line: 0,
            }
        })
        .collect();
    Scatter {
        format: ScatterFormat::V1,
        platform: Some("MT6572".into()),
        project: Some(project.into()),
        storage,
        partitions,
        warnings: Vec::new(),
    }
}

/// Reads the whole flash of `phone` into `writer`, one file per partition, each streamed
/// from the phone into its file; then the scatter. Device errors end the job; a file that
/// cannot be written comes back inside.
fn dump<T: Transport>(
    phone: &mut Phone<'_, T>,
    fingerprint: &Fingerprint,
    writer: &mut BackupWriter,
    rec: &Recorder<'_>,
) -> Result<crate::Result<Vec<Unpartitioned>>, DeviceError> {
    let project = fingerprint
        .preloader
        .as_ref()
        .and_then(|p| p.project.clone())
        .unwrap_or_else(|| "unknown".into());
    let DumpPlan { reads: plan, gaps } = dump_plan(phone, &project)?;
    phone.plan(plan.iter().map(|(_, t)| step(OpKind::Read, t)).collect());
    for gap in &gaps {
        phone.skip(
            OpKind::Read,
            &format!(
                "{} {:#x}+{:#x}",
                gap.region.as_short(),
                gap.offset,
                gap.length
            ),
            "no partition covers it (on MT6572 the bad-block pool at the end): not in the package",
        );
    }
    for (file, target) in &plan {
        let t0 = std::time::Instant::now();
        let mut sink = match writer.stream(file) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e.into())),
        };
        phone.read(target, &mut sink)?;
        let entry = match writer.finish(sink, &target.name, target.region, target.addr) {
            Ok(e) => e.clone(),
            Err(e) => return Ok(Err(e.into())),
        };
        rec.partition(&PartitionResult {
            partition: entry.partition.clone(),
            action: "read".into(),
            bytes: entry.length,
            millis: t0.elapsed().as_millis() as u64,
            sha256: Some(entry.sha256.clone()),
            ok: true,
            error: None,
        });
    }
    let scatter = scatter_for(fingerprint, writer.files(), &project);
    let text = scatter_text(&scatter);
    if let Err(e) = scatter::parse(&text) {
        return Ok(Err(FullDumpError::Scatter(e.to_string()).into()));
    }
    if let Err(e) = writer.add_scatter(SCATTER_FILE, &text) {
        return Ok(Err(e.into()));
    }
    Ok(Ok(gaps))
}

/// Refuses a phone whose table gives no names (nothing to make a scatter of).
fn check_table(source: &TableSource) -> Result<(), FullDumpError> {
    match source {
        TableSource::Pmt | TableSource::Mbr { profile: Some(_) } => Ok(()),
        TableSource::Mbr { profile: None } => Err(FullDumpError::NoTable {
            why: "an MBR that no board profile names".into(),
        }),
        TableSource::None => Err(FullDumpError::NoTable {
            why: "no partition table: a blank or erased phone".into(),
        }),
    }
}

/// Dumps the whole flash of the phone of `job` into `backups` (see the module documentation),
/// recording the job in `journal`; with `library`, also adds it to the ROM library.
pub fn run(
    job: Job,
    backups: &Store,
    registry: &Registry,
    journal: Option<&Journal>,
    library: Option<&LibraryPlace>,
) -> crate::Result<Done<FullDone>> {
    let rec = Recorder::start(
        journal,
        JobKind::Backup,
        &NewJob {
            mode: Some("full".into()),
            ..NewJob::default()
        },
    );
    let result = (|| {
        let done = job.run(|phone| {
            if let Err(e) = check_table(&phone.map().source) {
                return Ok(Err(e.into()));
            }
            let fingerprint = super::identify::fingerprint(phone, None)?;
            let profile = matching::rank(registry, &fingerprint.evidence()).best;
            rec.update(&NewJob {
                device_key: Some(fingerprint.device_key()),
                fingerprint: super::fingerprint_json(&fingerprint),
                profile: profile.clone(),
                ..NewJob::default()
            });
            let mut writer = match backups.begin(BackupKind::Full, &fingerprint, profile.as_deref())
            {
                Ok(w) => w,
                Err(e) => return Ok(Err(e.into())),
            };
            let gaps = match dump(phone, &fingerprint, &mut writer, &rec)? {
                Ok(gaps) => gaps,
                Err(e) => return Ok(Err(e)),
            };
            Ok(Ok((writer, gaps, profile)))
        })?;
        let Done {
            value: (writer, unpartitioned, profile),
            port,
            ended,
            warning,
        } = crate::flash::execute::finish(done)?;
        let backup = writer.commit(SystemTime::now())?;
        backups.verify(&backup.id)?.require_ok()?;
        rec.update(&NewJob {
            backup_id: Some(backup.id.clone()),
            ..NewJob::default()
        });
        let library = match library {
            Some(place) => Some(add_to_library(&backup, place)?),
            None => None,
        };
        Ok(Done {
            value: FullDone {
                id: backup.id.clone(),
                path: backup.path.clone(),
                scatter: SCATTER_FILE.into(),
                bytes: backup.manifest.bytes(),
                files: backup.manifest.files.clone(),
                unpartitioned,
                device_key: backup.manifest.device_key.clone(),
                profile,
                library,
            },
            port,
            ended,
            warning,
        })
    })();
    rec.end(&result);
    result
}

/// Where `--into-library` puts a dump: the library folder and its index.
#[derive(Debug, Clone)]
pub struct LibraryPlace {
    /// The ROM library's folder.
    pub root: PathBuf,
    /// Its index (`library scan` keeps it).
    pub index: PathBuf,
}

impl LibraryPlace {
    /// The library of `places` (or `root` when given: `--library DIR`).
    pub fn of(places: &Places, root: Option<&Path>) -> LibraryPlace {
        LibraryPlace {
            root: root.map_or_else(|| places.library(), Path::to_path_buf),
            index: library::index_path(places),
        }
    }
}

/// The package folder name of `backup` in the library: the board (or the phone, when the
/// board is unknown), `full`, and the dump's time.
pub fn library_name(backup: &Backup) -> String {
    let stamp = backup.id.rsplit('/').next().unwrap_or_default();
    let who = backup
        .manifest
        .profile
        .clone()
        .unwrap_or_else(|| backup.manifest.device_key.clone());
    format!("{who}-full-{stamp}")
}

/// Adds the full dump `backup` to the ROM library at `place` as a new package folder (its
/// scatter and images, linked from the backup when the library is on the same disk, else
/// copied; never the manifest, so the store keeps the only record of the phone), then scans
/// the library so `library match` sees it. A folder of that name that exists is never
/// touched.
pub fn add_to_library(backup: &Backup, place: &LibraryPlace) -> crate::Result<PathBuf> {
    if backup.manifest.kind != BackupKind::Full {
        return Err(BackupError::BadManifest {
            id: backup.id.clone(),
            reason: "only a full backup (`backup --full`) is a ROM package".into(),
        }
        .into());
    }
    std::fs::create_dir_all(&place.root)
        .map_err(|e| HostError::io("create folder", &place.root, e))?;
    let dir = place.root.join(library_name(backup));
    if dir.symlink_metadata().is_ok() {
        return Err(FullDumpError::LibraryTaken { path: dir }.into());
    }
    let mut files: Vec<PathBuf> = backup
        .manifest
        .files
        .iter()
        .filter(|f| f.region != Region::EmmcBoot2)
        .map(|f| backup.path.join(&f.file))
        .collect();
    if let Some(s) = &backup.manifest.scatter {
        files.push(backup.path.join(&s.file));
    }
    crate::fsutil::link_new_folder(&dir, &files)?;
    library::scan(&place.root, &place.index, &mut |_| {})?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fingerprint() -> Fingerprint {
        serde_json::from_value(serde_json::json!({
            "mode": "brom", "hw_code": 25970, "hw_subcode": 0, "hw_version": 0,
            "sw_version": 0, "brom_version": 1, "bl_version": 254,
            "target_config": {"sbc": false, "sla": false, "daa": false, "raw": 0},
            "me_id": null,
            "storage": {"type": "emmc", "boot1_size": 0x10_0000, "boot2_size": 0x10_0000,
                        "user_size": 0xE900_0000u64, "cid": "aa"},
            "ram_size": 536870912, "da_version": "040001",
            "partition_source": {"kind": "pmt"}, "partitions": [],
            "preloader": null, "lcm": [], "pcb_marking": null
        }))
        .unwrap()
    }

    fn entry(file: &str, partition: &str, region: Region, offset: u64, length: u64) -> FileEntry {
        FileEntry {
            file: file.into(),
            partition: partition.into(),
            region,
            offset,
            length,
            sha256: "00".repeat(32),
        }
    }

    #[test]
    fn the_scatter_is_the_phones_table_and_never_downloads_the_identity() {
        let files = [
            entry(
                "preloader_x.bin",
                "PRELOADER",
                Region::EmmcBoot1,
                0,
                0x10_0000,
            ),
            entry(BOOT2_FILE, "boot2", Region::EmmcBoot2, 0, 0x10_0000),
            entry("MBR", "MBR", Region::EmmcUser, 0, 0x8_0000),
            entry("nvram.bin", "NVRAM", Region::EmmcUser, 0x8_0000, 0x20_0000),
            entry("lk.bin", "UBOOT", Region::EmmcUser, 0x28_0000, 0x6_0000),
        ];
        let s = scatter_for(&fingerprint(), &files, "x");
        let text = scatter_text(&s);
        let back = scatter::parse(&text).unwrap();
        let names: Vec<&str> = back.partitions.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["PRELOADER", "MBR", "NVRAM", "UBOOT"]);
        let uboot = back.partition("UBOOT").unwrap();
        assert_eq!(
            (uboot.linear_start, uboot.region_offset),
            (0x38_0000, 0x28_0000)
        );
        assert!(!back.partition("NVRAM").unwrap().download);
        assert!(back.partition("PRELOADER").unwrap().is_bootloader());
        assert_eq!(back.downloads().count(), 3);
        assert!(text.contains("type: SV5_BL_BIN"), "{text}");
        assert!(text.contains("type: NORMAL_ROM"), "{text}");
    }

    #[test]
    fn a_phone_without_named_partitions_cannot_be_dumped() {
        assert!(check_table(&TableSource::Pmt).is_ok());
        assert!(
            check_table(&TableSource::Mbr {
                profile: Some("a516_row".into())
            })
            .is_ok()
        );
        let e = check_table(&TableSource::None).unwrap_err();
        assert!(e.to_string().contains("blank or erased"), "{e}");
        assert!(e.is_bad_input());
        let e = check_table(&TableSource::Mbr { profile: None }).unwrap_err();
        assert!(e.help().contains("profile"), "{}", e.help());
    }

    #[test]
    fn a_library_package_is_new_and_never_replaces_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let mut w = store
            .begin(BackupKind::Full, &fingerprint(), Some("tiny72"))
            .unwrap();
        w.add("lk.bin", "UBOOT", Region::EmmcUser, 0, b"lk")
            .unwrap();
        w.add_scatter(SCATTER_FILE, "not parsed here").unwrap();
        let backup = w.commit(SystemTime::UNIX_EPOCH).unwrap();
        assert!(store.verify(&backup.id).unwrap().ok);
        let place = LibraryPlace {
            root: dir.path().join("library"),
            index: dir.path().join("index.json"),
        };
        let name = library_name(&backup);
        assert_eq!(name, "tiny72-full-19700101T000000Z");
        let taken = place.root.join(&name);
        std::fs::create_dir_all(&taken).unwrap();
        let e = add_to_library(&backup, &place).unwrap_err();
        assert!(e.to_string().contains("already holds"), "{e}");
        std::fs::remove_dir(&taken).unwrap();
        let added = add_to_library(&backup, &place).unwrap();
        assert_eq!(std::fs::read(added.join("lk.bin")).unwrap(), b"lk");
        assert!(added.join(SCATTER_FILE).is_file());
        assert!(!added.join("manifest.toml").exists());
        // An identity backup is no ROM.
        let mut w = store
            .begin(BackupKind::Identity, &fingerprint(), None)
            .unwrap();
        w.add("NVRAM.bin", "NVRAM", Region::EmmcUser, 0, b"nv")
            .unwrap();
        let identity = w.commit(SystemTime::UNIX_EPOCH).unwrap();
        assert!(add_to_library(&identity, &place).is_err());
    }
}
