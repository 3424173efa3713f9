//! Restore of an identity backup: [`check`] decides, without touching the phone, whether the
//! backup may go to the connected phone (every hash right, the same phone unless the
//! technician says otherwise, each partition where the backup found it); [`write_back`] then
//! writes each file through the guard and reads it back to compare. The guard lets the
//! identity partitions through only for a [`ProvenFile`]: a file of a backup that
//! [`Store::prove`] verified for the connected phone (or, with `--other-device`, for another
//! phone, recorded as identity cloning). No override flag is involved.

use std::io::{Read as _, Seek as _};

use serde::Serialize;

use crate::{
    backup::{Backup, Consent, FileEntry, ProvenFile, Store, Verification},
    device::{Cause, Fingerprint, Stage},
    engine::Recorder,
    error::{Advice, HostError},
    fsutil::Hashing,
    job::{DeviceError, Done, Job, OpKind, Phone, step},
    journal::{JobKind, Journal, NewJob, PartitionResult},
    transport::Transport,
};

/// Why a restore is refused before anything is written.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// A file of the backup fails its hash.
    #[error("backup {id} fails its check ({problems}); nothing was written")]
    Damaged {
        /// The backup.
        id: String,
        /// What failed.
        problems: String,
    },
    /// The backup is of another phone.
    #[error(
        "backup {id} is of phone {backup_key}, this phone is {phone_key}; writing it would give \
         this phone the other phone's IMEI, MACs and calibration (identity cloning); nothing \
         was written"
    )]
    OtherDevice {
        /// The backup.
        id: String,
        /// Its device key.
        backup_key: String,
        /// The connected phone's.
        phone_key: String,
    },
    /// The phone's layout does not hold the backup's partitions where they were read.
    #[error("backup {id} does not fit this phone's layout: {problems}; nothing was written")]
    Layout {
        /// The backup.
        id: String,
        /// Where it does not fit.
        problems: String,
    },
    /// A partition asked for is not in the backup.
    #[error("backup {id} holds no {partition}")]
    NotInBackup {
        /// The backup.
        id: String,
        /// The partition asked for.
        partition: String,
    },
    /// A file's bytes on disk no longer hash to the manifest, found in the pass just before
    /// its write (after its proof): nothing of it was sent.
    #[error(
        "{file} of backup {id} changed on disk after the backup was checked (its SHA-256 no \
         longer matches the manifest); nothing was written to {partition}{}",
        written_note(written)
    )]
    ChangedOnDisk {
        /// The backup.
        id: String,
        /// The file.
        file: String,
        /// Its partition.
        partition: String,
        /// Partitions written (and read back equal) before it, in this restore.
        written: Vec<String>,
    },
}

/// What a refusal after some partitions were written says about them.
fn written_note(written: &[String]) -> String {
    if written.is_empty() {
        String::new()
    } else {
        format!(
            " (written before it and read back equal: {})",
            written.join(", ")
        )
    }
}

impl Advice for RestoreError {
    fn help(&self) -> String {
        match self {
            RestoreError::Damaged { .. } => {
                "use another backup of this phone (`mtkbench backups list --device KEY`)".into()
            }
            RestoreError::OtherDevice { phone_key, .. } => format!(
                "restore a backup of this phone (`mtkbench backups list --device {phone_key}`); \
                 only to repair a phone whose own identity is lost for good, and knowing it \
                 clones the other phone, add --other-device"
            ),
            RestoreError::Layout { .. } => "this backup is from another partition layout: \
                flash the phone's stock ROM first (Firmware Upgrade), then restore"
                .into(),
            RestoreError::NotInBackup { id, .. } => {
                format!("see what it holds with `mtkbench backups show {id}`")
            }
            RestoreError::ChangedOnDisk { id, .. } => format!(
                "something on this computer changed the backup (another program, a sync tool, a \
                 failing disk); see which files with `mtkbench backups verify {id}`, and \
                 restore from another verified backup of this phone (`mtkbench backups list`)"
            ),
        }
    }

    fn is_bad_input(&self) -> bool {
        !matches!(
            self,
            RestoreError::Damaged { .. } | RestoreError::ChangedOnDisk { .. }
        )
    }
}

/// What a restore will write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestorePlan {
    /// The backup.
    pub id: String,
    /// The files, in the backup's order.
    pub files: Vec<FileEntry>,
    /// What the technician must know (identity cloning with `--other-device`).
    pub warnings: Vec<String>,
}

/// Decides whether `backup` (checked by `verification`) may be written to the phone of
/// `phone`. `partitions` picks files by partition name; none: the NVRAM set.
pub fn check(
    backup: &Backup,
    verification: &Verification,
    phone: &Fingerprint,
    other_device: bool,
    partitions: &[String],
) -> Result<RestorePlan, RestoreError> {
    check_with(backup, verification, phone, other_device, partitions, false)
}

fn check_with(
    backup: &Backup,
    verification: &Verification,
    phone: &Fingerprint,
    other_device: bool,
    partitions: &[String],
    moved: bool,
) -> Result<RestorePlan, RestoreError> {
    let id = backup.id.clone();
    if let Some(problems) = verification.problems() {
        return Err(RestoreError::Damaged { id, problems });
    }
    let mut warnings = Vec::new();
    let (backup_key, phone_key) = (&backup.manifest.device_key, phone.device_key());
    if *backup_key != phone_key {
        if !other_device {
            return Err(RestoreError::OtherDevice {
                id,
                backup_key: backup_key.clone(),
                phone_key,
            });
        }
        warnings.push(format!(
            "IDENTITY CLONING: backup of phone {backup_key} written to phone {phone_key}; both \
             phones now carry the same IMEI, MACs and calibration"
        ));
    }
    let files: Vec<FileEntry> = if partitions.is_empty() {
        backup.manifest.nvram_set()
    } else {
        partitions
            .iter()
            .map(|p| {
                backup
                    .manifest
                    .files
                    .iter()
                    .find(|f| f.partition.eq_ignore_ascii_case(p))
                    .cloned()
                    .ok_or_else(|| RestoreError::NotInBackup {
                        id: id.clone(),
                        partition: p.clone(),
                    })
            })
            .collect::<Result<_, _>>()?
    };
    check_layout(&id, &files, phone, moved)?;
    Ok(RestorePlan {
        id,
        files,
        warnings,
    })
}

/// [`check`] for the end of a Firmware Upgrade or a Format All + Download: `backup` (checked
/// by `verification`) is of this same phone and goes back into the layout the ROM just gave
/// it, read from the phone again (`phone`): a partition may have moved, but it must keep its
/// region and exactly its size. `partitions` as in [`check`]; never another phone.
pub fn check_moved(
    backup: &Backup,
    verification: &Verification,
    phone: &Fingerprint,
    partitions: &[String],
) -> Result<RestorePlan, RestoreError> {
    check_with(backup, verification, phone, false, partitions, true)
}

/// Refuses `files` that the phone's layout does not hold where they were read (with `moved`:
/// in the same region at exactly their size, wherever it now starts).
fn check_layout(
    id: &str,
    files: &[FileEntry],
    phone: &Fingerprint,
    moved: bool,
) -> Result<(), RestoreError> {
    let problems: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let found = phone
                .partitions
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(&f.partition));
            match found {
                None => Some(format!("the phone has no {}", f.partition)),
                Some(p) if moved && (p.region != f.region || p.size != f.length) => Some(format!(
                    "{} is {:#x} bytes in {} on the phone, {:#x} in {} in the backup",
                    f.partition,
                    p.size,
                    p.region.as_short(),
                    f.length,
                    f.region.as_short()
                )),
                Some(_) if moved => None,
                Some(p) if p.region != f.region || p.offset != f.offset => Some(format!(
                    "{} is at {} {:#x} on the phone, at {} {:#x} in the backup",
                    f.partition,
                    p.region.as_short(),
                    p.offset,
                    f.region.as_short(),
                    f.offset
                )),
                Some(p) if p.size < f.length => Some(format!(
                    "{} is {:#x} bytes on the phone, {:#x} in the backup",
                    f.partition, p.size, f.length
                )),
                Some(_) => None,
            }
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RestoreError::Layout {
            id: id.into(),
            problems: problems.join("; "),
        })
    }
}

/// One partition written back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restored {
    /// The partition.
    pub partition: String,
    /// Bytes written.
    pub bytes: u64,
    /// True when the read-back equals the backup's file.
    pub verified: bool,
    /// Write and read-back, milliseconds.
    pub millis: u64,
}

/// Writes each proven file back to its partition through the guard (the proof is what lets
/// the identity partitions through: see [`crate::backup::RestoreProof`]), then reads it back.
/// Stops at the first partition whose read-back differs, and returns what was done so far;
/// refuses a file changed on disk since its proof ([`RestoreError::ChangedOnDisk`]) before
/// any of its bytes is sent.
pub fn write_back<T: Transport>(
    phone: &mut Phone<'_, T>,
    images: &[ProvenFile],
) -> Result<Result<Vec<Restored>, RestoreError>, DeviceError> {
    let mut guarded = Vec::new();
    for file in images {
        guarded.push(phone.guard_restore(file)?);
    }
    let mut plan = Vec::new();
    for g in &guarded {
        plan.push(step(OpKind::Write, g.target()));
        plan.push(step(OpKind::Read, g.target()));
    }
    phone.plan(plan);
    let mut done: Vec<Restored> = Vec::new();
    for (g, file) in guarded.iter().zip(images) {
        let restored = match write_verified(phone, g, file)? {
            Ok(restored) => restored,
            Err(mut e) => {
                if let RestoreError::ChangedOnDisk { written, .. } = &mut e {
                    *written = done.into_iter().map(|r| r.partition).collect();
                }
                return Ok(Err(e));
            }
        };
        let verified = restored.verified;
        done.push(restored);
        if !verified {
            break;
        }
    }
    Ok(Ok(done))
}

/// Writes one proven file back (a step of a flash plan's restore, which announced its own
/// plan): guarded by its proof, hashed again, written, read back and compared. Its
/// [`Restored::verified`] says whether the phone holds the backup's bytes; a file changed on
/// disk since its proof is refused unsent.
pub fn write_back_one<T: Transport>(
    phone: &mut Phone<'_, T>,
    file: &ProvenFile,
) -> Result<Result<Restored, RestoreError>, DeviceError> {
    let g = phone.guard_restore(file)?;
    write_verified(phone, &g, file)
}

/// One proven file: hashed in a streaming pass over the open file right before the write
/// (a file changed since its proof is refused here, before a byte is sent), rewound, then
/// streamed to the phone and hashed again on the way; the read-back is hashed, not kept.
/// What was written and what was read back must both be the manifest's SHA-256 (a file
/// changed during the write fails there). Nothing is held whole in memory.
fn write_verified<T: Transport>(
    phone: &mut Phone<'_, T>,
    g: &crate::job::GuardedWrite,
    file: &ProvenFile,
) -> Result<Result<Restored, RestoreError>, DeviceError> {
    let t0 = std::time::Instant::now();
    let entry = file.entry();
    let host = |action: &'static str, e: std::io::Error| DeviceError::Step {
        stage: Stage::Write,
        cause: Cause::Host(HostError::io(action, file.path(), e)),
    };
    let mut opened = std::fs::File::open(file.path()).map_err(|e| host("read", e))?;
    let mut now = Hashing::new(std::io::BufReader::new(&opened).take(entry.length));
    std::io::copy(&mut now, &mut std::io::sink()).map_err(|e| host("read", e))?;
    if now.hex() != entry.sha256 {
        return Ok(Err(RestoreError::ChangedOnDisk {
            id: file.backup_id().into(),
            file: entry.file.clone(),
            partition: entry.partition.clone(),
            written: Vec::new(),
        }));
    }
    opened
        .seek(std::io::SeekFrom::Start(0))
        .map_err(|e| host("rewind", e))?;
    let mut source = Hashing::new(std::io::BufReader::new(opened).take(entry.length));
    phone.write(g, &mut source)?;
    let written = source.hex();
    phone.verifying(&entry.partition);
    let mut back = Hashing::new(std::io::empty());
    phone.read(g.target(), &mut back)?;
    Ok(Ok(Restored {
        partition: entry.partition.clone(),
        bytes: entry.length,
        verified: written == entry.sha256 && back.hex() == entry.sha256,
        millis: t0.elapsed().as_millis() as u64,
    }))
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreDone {
    /// The plan that was checked.
    pub plan: RestorePlan,
    /// Each partition written, in order.
    pub restored: Vec<Restored>,
}

/// Why a restore failed after it started writing.
#[derive(Debug, thiserror::Error)]
#[error(
    "{partition} read back differently from backup {id} after the write: the phone's \
         flash may be failing; its other partitions were not written"
)]
pub struct ReadBackMismatch {
    /// The backup.
    pub id: String,
    /// The partition.
    pub partition: String,
}

impl Advice for ReadBackMismatch {
    fn help(&self) -> String {
        format!(
            "run the restore again (`mtkbench restore --backup {}`); if it fails the same way \
             the eMMC is failing, and the backup stays safe",
            self.id
        )
    }

    fn is_bad_input(&self) -> bool {
        false
    }
}

/// Restores backup `id` of `backups` to the phone of `job`: the backup is verified before the
/// phone is caught; the phone is then checked against it ([`check`]) before anything is
/// written; every partition is read back. Recorded in `journal`.
pub fn run(
    job: Job,
    backups: &Store,
    id: &str,
    other_device: bool,
    partitions: &[String],
    journal: Option<&Journal>,
) -> crate::Result<Done<RestoreDone>> {
    let rec = Recorder::start(
        journal,
        JobKind::Restore,
        &NewJob {
            backup_id: Some(id.to_string()),
            ..NewJob::default()
        },
    );
    let result = (|| {
        let backup = backups.open(id)?;
        let verification = backups.verify(id)?;
        if let Some(problems) = verification.problems() {
            return Err(RestoreError::Damaged {
                id: id.into(),
                problems,
            }
            .into());
        }
        let done = job.run(|phone| {
            let fp = phone.fingerprint();
            rec.update(&NewJob {
                device_key: Some(fp.device_key()),
                fingerprint: super::fingerprint_json(&fp),
                profile: backup.manifest.profile.clone(),
                ..NewJob::default()
            });
            let plan = match check(&backup, &verification, &fp, other_device, partitions) {
                Ok(p) => p,
                Err(e) => return Ok(Err(crate::Error::from(e))),
            };
            let proven = backups
                .prove(id, &fp, Consent::from_flag(other_device))
                .and_then(|proof| proof.files(backups, &plan.files));
            let chosen = match proven {
                Ok(files) => files,
                Err(e) => return Ok(Err(e.into())),
            };
            let restored = match write_back(phone, &chosen)? {
                Ok(restored) => restored,
                Err(e) => return Ok(Err(e.into())),
            };
            Ok(Ok(RestoreDone { plan, restored }))
        })?;
        let value = done.value?;
        for r in &value.restored {
            rec.partition(&PartitionResult {
                partition: r.partition.clone(),
                action: "restore".into(),
                bytes: r.bytes,
                millis: r.millis,
                sha256: None,
                ok: r.verified,
                error: (!r.verified).then(|| "read back differently".into()),
            });
        }
        if let Some(bad) = value.restored.iter().find(|r| !r.verified) {
            return Err(ReadBackMismatch {
                id: id.into(),
                partition: bad.partition.clone(),
            }
            .into());
        }
        Ok(Done {
            value,
            port: done.port,
            ended: done.ended,
            warning: done.warning,
        })
    })();
    rec.end(&result);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        backup::{BackupKind, FileCheck, FileStatus, Manifest},
        device::{fingerprint::PartitionFacts, target::Region},
    };

    fn phone(cid: &str, nvram_at: u64) -> Fingerprint {
        let mut f: Fingerprint = serde_json::from_value(serde_json::json!({
            "mode": "brom", "hw_code": 25970, "hw_subcode": 0, "hw_version": 0,
            "sw_version": 0, "brom_version": 1, "bl_version": 254,
            "target_config": {"sbc": false, "sla": false, "daa": false, "raw": 0},
            "me_id": null,
            "storage": {"type": "emmc", "boot1_size": 6291456, "boot2_size": 6291456,
                        "user_size": 3909091328u64, "cid": cid},
            "ram_size": 536870912, "da_version": "040001",
            "partition_source": {"kind": "pmt"}, "partitions": [],
            "preloader": null, "lcm": [], "pcb_marking": null
        }))
        .unwrap();
        f.partitions = vec![
            PartitionFacts {
                name: "NVRAM".into(),
                region: Region::User,
                offset: nvram_at,
                size: 0x50_0000,
            },
            PartitionFacts {
                name: "UBOOT".into(),
                region: Region::User,
                offset: 0x1d2_0000,
                size: 0x6_0000,
            },
        ];
        f
    }

    fn entry(partition: &str, offset: u64) -> FileEntry {
        FileEntry {
            file: format!("{partition}.bin"),
            partition: partition.into(),
            region: Region::User,
            offset,
            length: 0x1000,
            sha256: "00".repeat(32),
        }
    }

    fn backup() -> (Backup, Verification) {
        let b = Backup {
            id: "emmc-aa/20261203T100000Z".into(),
            path: "/nowhere".into(),
            manifest: Manifest {
                format: 1,
                tool_version: "0.1.0".into(),
                created: "2026-12-03T10:00:00Z".into(),
                kind: BackupKind::Identity,
                device_key: "emmc-aa".into(),
                profile: None,
                files: vec![entry("NVRAM", 0x40_0000), entry("UBOOT", 0x1d2_0000)],
                scatter: None,
                fingerprint: phone("aa", 0x40_0000),
            },
        };
        let v = Verification {
            id: b.id.clone(),
            ok: true,
            files: b
                .manifest
                .files
                .iter()
                .map(|f| FileCheck {
                    file: f.file.clone(),
                    partition: f.partition.clone(),
                    expected: f.sha256.clone(),
                    actual: Some(f.sha256.clone()),
                    status: FileStatus::Ok,
                })
                .collect(),
        };
        (b, v)
    }

    #[test]
    fn the_same_phone_gets_its_nvram_set_only_by_default() {
        let (b, v) = backup();
        let plan = check(&b, &v, &phone("aa", 0x40_0000), false, &[]).unwrap();
        let names: Vec<&str> = plan.files.iter().map(|f| f.partition.as_str()).collect();
        assert_eq!(names, ["NVRAM"]);
        assert!(plan.warnings.is_empty());
        let plan = check(&b, &v, &phone("aa", 0x40_0000), false, &["uboot".into()]).unwrap();
        assert_eq!(plan.files[0].partition, "UBOOT");
        assert!(matches!(
            check(&b, &v, &phone("aa", 0x40_0000), false, &["SECCFG".into()]),
            Err(RestoreError::NotInBackup { .. })
        ));
    }

    #[test]
    fn another_phone_is_refused_unless_told_and_then_warned() {
        let (b, v) = backup();
        let err = check(&b, &v, &phone("bb", 0x40_0000), false, &[]).unwrap_err();
        assert!(matches!(err, RestoreError::OtherDevice { .. }));
        assert!(err.to_string().contains("identity cloning"));
        assert!(err.help().contains("--other-device"));
        let plan = check(&b, &v, &phone("bb", 0x40_0000), true, &[]).unwrap();
        assert!(plan.warnings[0].starts_with("IDENTITY CLONING"));
    }

    #[test]
    fn a_layout_that_does_not_fit_or_a_failed_hash_is_refused() {
        let (b, v) = backup();
        let err = check(&b, &v, &phone("aa", 0x50_0000), false, &[]).unwrap_err();
        assert!(
            err.to_string()
                .contains("NVRAM is at user 0x500000 on the phone, at user 0x400000 in the backup"),
            "{err}"
        );
        let (b, mut v) = backup();
        v.files[0].status = FileStatus::Changed;
        v.ok = false;
        let err = check(&b, &v, &phone("aa", 0x40_0000), false, &[]).unwrap_err();
        assert!(matches!(err, RestoreError::Damaged { .. }), "{err}");
    }
}
