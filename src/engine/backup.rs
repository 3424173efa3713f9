//! Backup of the phone's identity: PRO_INFO, NVRAM, PROTECT_F, PROTECT_S, SECCFG, the
//! preloader (BOOT_1; on NAND its PRELOADER partition), MBR/EBR and UBOOT, each read twice and
//! compared, stored with [`crate::backup::Store`]. Partitions the phone does not have are
//! skipped (and said so); a phone without the NVRAM set cannot be backed up.

use std::time::SystemTime;

use serde::Serialize;

use crate::{
    backup::{Backup, BackupError, BackupKind, Store},
    device::Fingerprint,
    engine::Recorder,
    firmware::NVRAM_SET,
    job::{DeviceError, Done, Job, OpKind, Phone, Place, Target, step},
    journal::{JobKind, Journal, NewJob, PartitionResult},
    profile::{Registry, matching},
    transport::Transport,
};

/// The partitions of an identity backup, in reading order (the phone's boot code, its table,
/// its identity, its security config, its lk).
pub const IDENTITY_SET: [&str; 10] = [
    "PRELOADER",
    "MBR",
    "EBR1",
    "EBR2",
    "PRO_INFO",
    "NVRAM",
    "PROTECT_F",
    "PROTECT_S",
    "SECCFG",
    "UBOOT",
];

/// One partition as read from the phone, twice.
#[derive(Debug, Clone)]
pub struct ReadTwice {
    /// Where it was read.
    pub target: Target,
    /// The first read.
    pub bytes: Vec<u8>,
    /// Whether the second read gave the same bytes.
    pub same: bool,
    /// Both reads, milliseconds.
    pub millis: u64,
}

/// What [`read_identity`] brings back from the phone.
#[derive(Debug, Clone)]
pub struct IdentityRead {
    /// The phone.
    pub fingerprint: Fingerprint,
    /// Every partition of [`IDENTITY_SET`] the phone has.
    pub parts: Vec<ReadTwice>,
    /// Those it does not have.
    pub skipped: Vec<String>,
}

/// Reads the identity set twice on `phone` (read only).
pub fn read_identity<T: Transport>(phone: &mut Phone<'_, T>) -> Result<IdentityRead, DeviceError> {
    let fingerprint = phone.fingerprint();
    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    for name in IDENTITY_SET {
        match phone.resolve(&Place::partition(name)) {
            Ok(t) => targets.push(t),
            Err(_) => skipped.push(name.to_string()),
        }
    }
    let nvram_found = targets
        .iter()
        .filter(|t| NVRAM_SET.iter().any(|n| n.eq_ignore_ascii_case(&t.name)))
        .count();
    if nvram_found == 0 {
        return Err(DeviceError::Unsupported(
            "the phone's partition table names none of the NVRAM set (PRO_INFO, NVRAM, \
             PROTECT_F, PROTECT_S): there is nothing to back up by name"
                .into(),
        ));
    }
    let mut plan = Vec::new();
    for t in &targets {
        plan.push(step(OpKind::Read, t));
        plan.push(step(OpKind::Read, t));
    }
    phone.plan(plan);
    for name in &skipped {
        phone.skip(OpKind::Read, name, "the phone has no such partition");
    }
    let mut parts = Vec::new();
    for target in targets {
        let t0 = std::time::Instant::now();
        let bytes = super::read_all(phone, &target)?;
        phone.verifying(&target.name);
        let again = super::read_all(phone, &target)?;
        parts.push(ReadTwice {
            same: bytes == again,
            millis: t0.elapsed().as_millis() as u64,
            target,
            bytes,
        });
    }
    let mut fingerprint = fingerprint;
    for p in &parts {
        match p.target.name.to_ascii_uppercase().as_str() {
            "PRELOADER" => fingerprint.preloader = super::identify::preloader_identity(&p.bytes),
            "UBOOT" => fingerprint.lcm = super::identify::uboot_panels(&p.bytes),
            _ => {}
        }
    }
    Ok(IdentityRead {
        fingerprint,
        parts,
        skipped,
    })
}

/// Backs up the identity of the phone of `job` into `backups`, recording the job in
/// `journal`; the board profile is the ranking's best for what was read.
pub fn run(
    job: Job,
    backups: &Store,
    registry: &Registry,
    journal: Option<&Journal>,
) -> crate::Result<Done<BackupDone>> {
    let rec = Recorder::start(journal, JobKind::Backup, &NewJob::default());
    let result = (|| {
        let done = job.run(read_identity)?;
        let read = &done.value;
        let profile = matching::rank(registry, &read.fingerprint.evidence()).best;
        rec.update(&NewJob {
            device_key: Some(read.fingerprint.device_key()),
            fingerprint: super::fingerprint_json(&read.fingerprint),
            profile: profile.clone(),
            ..NewJob::default()
        });
        let backup = store_verified(
            backups,
            read,
            profile.as_deref(),
            SystemTime::now(),
            &mut |r| rec.partition(r),
        )?;
        rec.update(&NewJob {
            backup_id: Some(backup.id.clone()),
            ..NewJob::default()
        });
        Ok(Done {
            value: BackupDone::new(&backup, read.skipped.clone()),
            port: done.port,
            ended: done.ended,
            warning: done.warning,
        })
    })();
    rec.end(&result);
    result
}

/// What a backup stored.
#[derive(Debug, Clone, Serialize)]
pub struct BackupDone {
    /// The backup's id (`<device-key>/<timestamp>`).
    pub id: String,
    /// Its folder.
    pub path: std::path::PathBuf,
    /// Files with their partition and SHA-256.
    pub files: Vec<crate::backup::FileEntry>,
    /// Partitions of the set the phone does not have.
    pub skipped: Vec<String>,
    /// The phone's device key.
    pub device_key: String,
}

/// Stores what [`read_identity`] read, refusing it whole when any partition read differently
/// twice (a flaky link or a failing chip: a backup must be the phone's real content).
/// `on_part` sees one result per partition, for the journal.
pub fn store(
    store: &Store,
    read: &IdentityRead,
    profile: Option<&str>,
    at: SystemTime,
    on_part: &mut dyn FnMut(&PartitionResult),
) -> Result<Backup, BackupError> {
    let differ: Vec<&str> = read
        .parts
        .iter()
        .filter(|p| !p.same)
        .map(|p| p.target.name.as_str())
        .collect();
    for p in &read.parts {
        on_part(&PartitionResult {
            partition: p.target.name.clone(),
            action: "read".into(),
            bytes: 2 * p.bytes.len() as u64,
            millis: p.millis,
            sha256: None,
            ok: p.same,
            error: (!p.same).then(|| "two reads differ".into()),
        });
    }
    if !differ.is_empty() {
        return Err(BackupError::Damaged {
            id: read.fingerprint.device_key(),
            problems: format!(
                "{} read differently twice; nothing was stored. Check the cable and try \
                 again",
                differ.join(", ")
            ),
        });
    }
    let mut w = store.begin(BackupKind::Identity, &read.fingerprint, profile)?;
    for p in &read.parts {
        let t = &p.target;
        w.add(
            &format!("{}.bin", t.name),
            &t.name,
            t.region,
            t.addr,
            &p.bytes,
        )?;
    }
    w.commit(at)
}

/// [`store`], then re-hashes every stored file against its manifest: the backup returned
/// is on disk whole and verified, or an error says why not.
pub fn store_verified(
    backups: &Store,
    read: &IdentityRead,
    profile: Option<&str>,
    at: SystemTime,
    on_part: &mut dyn FnMut(&PartitionResult),
) -> Result<Backup, BackupError> {
    let backup = store(backups, read, profile, at, on_part)?;
    backups.verify(&backup.id)?.require_ok()?;
    Ok(backup)
}

/// The newest identity backup of the phone `device_key` in `backups` whose every file still
/// matches its manifest (a damaged or partial one is passed over).
pub fn verified(backups: &Store, device_key: &str) -> Option<Backup> {
    backups
        .list(Some(device_key))
        .into_iter()
        .rev()
        .filter(|b| b.manifest.kind == BackupKind::Identity)
        .find(|b| backups.verify(&b.id).is_ok_and(|v| v.ok))
}

impl BackupDone {
    /// The summary of a stored backup.
    pub fn new(b: &Backup, skipped: Vec<String>) -> BackupDone {
        BackupDone {
            id: b.id.clone(),
            path: b.path.clone(),
            files: b.manifest.files.clone(),
            skipped,
            device_key: b.manifest.device_key.clone(),
        }
    }
}
