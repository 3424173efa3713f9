//! Backup of the phone's identity: PRO_INFO, NVRAM, PROTECT_F, PROTECT_S, SECCFG, the
//! preloader (BOOT_1; on NAND its PRELOADER partition), MBR/EBR and UBOOT, each read twice and
//! compared, stored with [`crate::backup::Store`]: the first read streams into a staged
//! backup, the second is compared by its SHA-256, and the backup enters the store whole or
//! not at all. Partitions the phone does not have are skipped (and said so); a phone without
//! the NVRAM set cannot be backed up.

use std::{io::Write, time::SystemTime};

use serde::Serialize;

use crate::{
    backup::{Backup, BackupError, BackupKind, BackupWriter, FileSink, Store},
    device::Fingerprint,
    diag::lcm::UbootScan,
    engine::{Recorder, identify::PRELOADER_READ},
    firmware::NVRAM_SET,
    fsutil::Hashing,
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

/// One partition as read from the phone, twice: the first read streamed into the staged
/// backup, the second only hashed.
#[derive(Debug, Clone)]
pub struct ReadTwice {
    /// Where it was read.
    pub target: Target,
    /// Bytes of the first read.
    pub length: u64,
    /// SHA-256 of the first read (the staged file's).
    pub sha256: String,
    /// Whether the second read hashed the same.
    pub same: bool,
    /// Both reads, milliseconds.
    pub millis: u64,
}

/// What [`read_identity`] brings back from the phone: every partition staged in a backup
/// that is not in the store yet ([`store`] commits it, or drops it and nothing remains).
#[derive(Debug)]
pub struct IdentityRead {
    /// The phone.
    pub fingerprint: Fingerprint,
    /// Every partition of [`IDENTITY_SET`] the phone has.
    pub parts: Vec<ReadTwice>,
    /// Those it does not have.
    pub skipped: Vec<String>,
    staged: BackupWriter,
}

/// Writes into the staged file and, for the partitions the fingerprint is completed from,
/// into a second sink.
struct Tee<'a> {
    file: &'a mut FileSink,
    also: &'a mut dyn Write,
}

impl Write for Tee<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.also.write_all(&buf[..n])?;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Keeps the first [`PRELOADER_READ`] bytes written to it and drops the rest: the part of
/// the preloader its identity is read from, the same span `identify` reads.
#[derive(Default)]
struct Head(Vec<u8>);

impl Write for Head {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = (PRELOADER_READ as usize).saturating_sub(self.0.len());
        self.0.extend_from_slice(&buf[..buf.len().min(room)]);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads the identity set twice on `phone` (read only), streaming the first read of each
/// partition into a new backup of `backups` (staged, not yet committed) and hashing the
/// second: no partition is ever held whole in memory (the fingerprint's preloader identity
/// is read from the preloader's first [`PRELOADER_READ`] bytes, as `identify` does). A file
/// that cannot be staged is the inner error.
pub fn read_identity<T: Transport>(
    phone: &mut Phone<'_, T>,
    backups: &Store,
) -> Result<Result<IdentityRead, BackupError>, DeviceError> {
    let mut fingerprint = phone.fingerprint();
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
    let mut staged = match backups.begin(BackupKind::Identity, &fingerprint, None) {
        Ok(w) => w,
        Err(e) => return Ok(Err(e)),
    };
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
        let mut sink = match staged.stream(&format!("{}.bin", target.name)) {
            Ok(sink) => sink,
            Err(e) => return Ok(Err(e)),
        };
        let name = target.name.to_ascii_uppercase();
        let mut preloader = Head::default();
        let mut uboot = UbootScan::default();
        let mut none = std::io::sink();
        let also: &mut dyn Write = match name.as_str() {
            "PRELOADER" => &mut preloader,
            "UBOOT" => &mut uboot,
            _ => &mut none,
        };
        phone.read(
            &target,
            &mut Tee {
                file: &mut sink,
                also,
            },
        )?;
        let entry = match staged.finish(sink, &target.name, target.region, target.addr) {
            Ok(entry) => entry.clone(),
            Err(e) => return Ok(Err(e)),
        };
        match name.as_str() {
            "PRELOADER" => {
                fingerprint.preloader = super::identify::preloader_identity(&preloader.0);
            }
            "UBOOT" => fingerprint.lcm = uboot.evidence("phone's own UBOOT").names,
            _ => {}
        }
        drop(preloader);
        phone.verifying(&target.name);
        let mut again = Hashing::new(std::io::empty());
        phone.read(&target, &mut again)?;
        parts.push(ReadTwice {
            same: again.hex() == entry.sha256,
            millis: t0.elapsed().as_millis() as u64,
            length: entry.length,
            sha256: entry.sha256,
            target,
        });
    }
    Ok(Ok(IdentityRead {
        fingerprint,
        parts,
        skipped,
        staged,
    }))
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
        let done = job.run(|phone| read_identity(phone, backups))?;
        let read = done.value?;
        let profile = matching::rank(registry, &read.fingerprint.evidence()).best;
        rec.update(&NewJob {
            device_key: Some(read.fingerprint.device_key()),
            fingerprint: super::fingerprint_json(&read.fingerprint),
            profile: profile.clone(),
            ..NewJob::default()
        });
        let skipped = read.skipped.clone();
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
            value: BackupDone::new(&backup, skipped),
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

/// Commits the backup [`read_identity`] staged, refusing it whole when any partition read
/// differently twice (a flaky link or a failing chip: a backup must be the phone's real
/// content; the staged files are then removed). `on_part` sees one result per partition,
/// for the journal.
pub fn store(
    read: IdentityRead,
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
            bytes: 2 * p.length,
            millis: p.millis,
            sha256: None,
            ok: p.same,
            error: (!p.same).then(|| "two reads differ".into()),
        });
    }
    if !differ.is_empty() {
        return Err(BackupError::UnstableRead {
            parts: differ.into_iter().map(str::to_owned).collect(),
        });
    }
    let mut staged = read.staged;
    staged.describe(&read.fingerprint, profile)?;
    staged.commit(at)
}

/// [`store`], then re-hashes every stored file against its manifest: the backup returned
/// is on disk whole and verified, or an error says why not.
pub fn store_verified(
    backups: &Store,
    read: IdentityRead,
    profile: Option<&str>,
    at: SystemTime,
    on_part: &mut dyn FnMut(&PartitionResult),
) -> Result<Backup, BackupError> {
    let backup = store(read, profile, at, on_part)?;
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

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::device::target::Region;

    fn phone(cid: &str) -> Fingerprint {
        crate::backup::tests::fingerprint(cid)
    }

    /// A read staged as [`read_identity`] stages it: NVRAM streamed into the writer, its
    /// second read the same or not.
    fn staged(backups: &Store, same: bool) -> IdentityRead {
        let fingerprint = phone("aa");
        let mut w = backups
            .begin(BackupKind::Identity, &fingerprint, None)
            .unwrap();
        let mut sink = w.stream("NVRAM.bin").unwrap();
        sink.write_all(&[0x4E; 8192]).unwrap();
        let entry = w.finish(sink, "NVRAM", Region::User, 0x40_0000).unwrap();
        let part = ReadTwice {
            target: Target {
                name: "NVRAM".into(),
                is_partition: true,
                region: Region::User,
                addr: 0x40_0000,
                len: 8192,
            },
            length: entry.length,
            sha256: entry.sha256.clone(),
            same,
            millis: 1,
        };
        IdentityRead {
            fingerprint,
            parts: vec![part],
            skipped: Vec::new(),
            staged: w,
        }
    }

    #[test]
    fn the_preloader_head_keeps_only_what_identify_reads() {
        let mut head = Head::default();
        let packet = vec![0x5A; 0x1_0000];
        for _ in 0..100 {
            // A whole 6.25 MiB preloader, packet by packet: every byte is accepted (the tee
            // must not stop the read) but only the first PRELOADER_READ are kept.
            assert_eq!(head.write(&packet).unwrap(), packet.len());
        }
        assert_eq!(head.0.len() as u64, PRELOADER_READ);
        assert!(head.0.capacity() as u64 <= 2 * PRELOADER_READ);
    }

    fn entries(dir: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn two_reads_that_differ_leave_nothing_not_even_the_staged_files() {
        let dir = tempfile::tempdir().unwrap();
        let backups = Store::new(dir.path());
        let read = staged(&backups, false);
        let key = read.fingerprint.device_key();
        let mut seen = Vec::new();
        let err = store_verified(&backups, read, None, SystemTime::now(), &mut |r| {
            seen.push((r.partition.clone(), r.ok, r.bytes))
        })
        .unwrap_err();
        assert!(
            matches!(&err, BackupError::UnstableRead { parts } if parts == &["NVRAM"]),
            "{err}"
        );
        assert_eq!(seen, vec![("NVRAM".to_string(), false, 2 * 8192)]);
        assert!(backups.list(None).is_empty());
        assert_eq!(entries(&backups.root().join(&key)), Vec::<String>::new());
    }

    #[test]
    fn two_reads_alike_commit_the_staged_files_whole_with_the_completed_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let backups = Store::new(dir.path());
        let mut read = staged(&backups, true);
        read.fingerprint.lcm = vec!["panel_read_from_uboot".into()];
        let b = store_verified(
            &backups,
            read,
            Some("a516_row"),
            SystemTime::now(),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(b.manifest.profile.as_deref(), Some("a516_row"));
        assert_eq!(b.manifest.fingerprint.lcm, vec!["panel_read_from_uboot"]);
        assert_eq!(b.manifest.files.len(), 1);
        assert_eq!(b.manifest.files[0].length, 8192);
        assert!(backups.verify(&b.id).unwrap().ok);
        let key = b.manifest.device_key.clone();
        assert_eq!(
            entries(&backups.root().join(&key)).len(),
            1,
            "no staging folder left"
        );
    }

    #[test]
    fn a_staged_backup_cannot_be_described_as_another_phone() {
        let dir = tempfile::tempdir().unwrap();
        let backups = Store::new(dir.path());
        let mut read = staged(&backups, true);
        read.fingerprint = phone("bb");
        assert!(store(read, None, SystemTime::now(), &mut |_| {}).is_err());
        assert!(backups.list(None).is_empty());
    }
}
