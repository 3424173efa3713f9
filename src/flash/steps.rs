//! The steps of a flash plan as the executor ([`super::execute`]) carries them out on the
//! phone, one function per action: the identity backup, a format, an image written and read
//! back (in the modes that format, the ROM's partition table by the proof of the job's
//! identity backup, [`crate::device::guard::rewrite_layout`]), the identity restored from its
//! backup by proof. Each returns how far it got and the
//! hash of its bytes, a refusal (nothing more is written), or the device error that ends the
//! job. Nothing here prints, draws, or touches the job record but [`backup_step`], which
//! writes the new backup's id into it before anything is erased.

use std::{cell::OnceCell, io::Read, path::Path, time::SystemTime};

use super::{
    LoadedRom,
    execute::{FlashError, Places},
    plan::{Action, Mode, Plan, Source, Step},
    record::{JobRecord, StepState},
};
use crate::{
    backup::{Consent, RestoreProof, Store},
    engine::{Recorder, backup, restore},
    firmware::{is_boot_code, is_layout},
    fsutil::Hashing,
    job::{DeviceError, OpKind, Override, Phone, Place, Region, Target},
    journal::NewJob,
    transport::Transport,
};

/// What one step gives back: how far it got and the hash of its bytes, or a refusal.
pub(super) type StepResult = Result<crate::Result<(StepState, Option<String>)>, DeviceError>;

/// A backup step: the first one reads the phone's identity set twice, stores it whole and
/// verified, and writes its id into the job record (saved before anything is erased); each
/// gives the SHA-256 of its partition in that backup.
pub(super) fn backup_step<T: Transport>(
    phone: &mut Phone<'_, T>,
    s: &Step,
    record: &mut JobRecord,
    at: Places<'_>,
    rec: &Recorder<'_>,
) -> StepResult {
    let id = match &record.backup {
        Some(id) => id.clone(),
        None => {
            let read = match backup::read_identity(phone, at.backups)? {
                Ok(read) => read,
                Err(e) => return Ok(Err(e.into())),
            };
            let stored = match backup::store_verified(
                at.backups,
                read,
                None,
                SystemTime::now(),
                &mut |_| {},
            ) {
                Ok(stored) => stored,
                Err(e) => return Ok(Err(e.into())),
            };
            rec.update(&NewJob {
                backup_id: Some(stored.id.clone()),
                ..NewJob::default()
            });
            record.backup = Some(stored.id.clone());
            if let Err(e) = record.save(at.jobs_dir) {
                return Ok(Err(e));
            }
            stored.id
        }
    };
    let sha256 = match at.backups.open(&id) {
        Ok(b) => b
            .manifest
            .files
            .iter()
            .find(|f| f.partition.eq_ignore_ascii_case(s.partition()))
            .map(|f| f.sha256.clone()),
        Err(e) => return Ok(Err(e.into())),
    };
    Ok(Ok((StepState::Done, sha256)))
}

/// The identity backup the job holds, if any: the one its plan named, or the one its own
/// backup steps took.
fn backup_in_hand<'a>(plan: &'a Plan, record: &'a JobRecord) -> Option<&'a str> {
    plan.backup().or(record.backup.as_deref())
}

/// A format step: the ROM's range for the partition (the plan's layout, which the phone's
/// table may not hold yet), erased only with the identity backup in hand; it may cover the
/// identity (which is restored at the end) but never the boot code.
pub(super) fn erase_step<T: Transport>(
    phone: &mut Phone<'_, T>,
    plan: &Plan,
    s: &Step,
    record: &JobRecord,
) -> StepResult {
    if backup_in_hand(plan, record).is_none() {
        return Ok(Err(FlashError::NoBackupInHand {
            mode: plan.mode(),
            partition: s.partition().into(),
        }
        .into()));
    }
    let target = Target {
        is_partition: false,
        ..target_of(s)
    };
    let end = target.addr.saturating_add(target.len);
    let boot = phone.map().partitions.iter().find(|p| {
        is_boot_code(&p.name)
            && p.region == target.region
            && p.offset < end
            && target.addr < p.offset.saturating_add(p.size)
    });
    if let Some(boot) = boot {
        return Ok(Err(FlashError::CoversBootCode {
            partition: s.partition().into(),
            covers: boot.name.clone(),
        }
        .into()));
    }
    // The identity backup in hand is what lets a format reach the NVRAM set.
    let guarded = phone.guard_erase(&target, Override::ForceIdentityPartition)?;
    phone.erase(&guarded)?;
    Ok(Ok((StepState::Done, None)))
}

/// A restore step: the partition written back from the job's identity backup (verified again
/// now, of this same phone) into the phone's current table, where the ROM's layout may have
/// moved it but not resized it, then read back and compared.
pub(super) fn restore_step<T: Transport>(
    phone: &mut Phone<'_, T>,
    plan: &Plan,
    s: &Step,
    record: &JobRecord,
    backups: &Store,
) -> StepResult {
    let Some(id) = backup_in_hand(plan, record) else {
        return Ok(Err(FlashError::NoBackupInHand {
            mode: plan.mode(),
            partition: s.partition().into(),
        }
        .into()));
    };
    let checked = backups.open(id).and_then(|b| Ok((backups.verify(id)?, b)));
    let (verification, backup) = match checked {
        Ok(checked) => checked,
        Err(e) => return Ok(Err(e.into())),
    };
    let fingerprint = phone.fingerprint();
    let partitions = [s.partition().to_string()];
    let files = match restore::check_moved(&backup, &verification, &fingerprint, &partitions) {
        Ok(p) => p.files,
        Err(e) => return Ok(Err(e.into())),
    };
    // The proof that this file is this phone's, hashed now: what lets the guard through.
    let proven = backups
        .prove(id, &fingerprint, Consent::SameDevice)
        .and_then(|proof| proof.files(backups, &files));
    let Some(file) = proven.map(|f| f.into_iter().next()).transpose() else {
        return Ok(Err(restore::RestoreError::NotInBackup {
            id: id.into(),
            partition: s.partition().into(),
        }
        .into()));
    };
    let file = match file {
        Ok(file) => file,
        Err(e) => return Ok(Err(e.into())),
    };
    let sha256 = file.entry().sha256.clone();
    let restored = match restore::write_back_one(phone, &file)? {
        Ok(restored) => restored,
        Err(e) => return Ok(Err(e.into())),
    };
    if !restored.verified {
        return Ok(Err(restore::ReadBackMismatch {
            id: id.into(),
            partition: s.partition().into(),
        }
        .into()));
    }
    Ok(Ok((StepState::Verified, Some(sha256))))
}

pub(super) fn op_of(action: Action) -> OpKind {
    match action {
        Action::Erase => OpKind::Erase,
        Action::Backup => OpKind::Read,
        _ => OpKind::Write,
    }
}

pub(super) fn target_of(s: &Step) -> Target {
    Target {
        name: s.partition().into(),
        is_partition: true,
        region: s.region(),
        addr: s.addr(),
        len: s.length(),
    }
}

/// What a write step in a mode that formats is guarded by besides the phone's current table:
/// the job's identity backup, which lets the ROM's partition table through (the identity is
/// written back into the new table at the end).
#[derive(Clone, Copy)]
pub(super) struct Formatting<'a> {
    mode: Mode,
    backup: Option<&'a str>,
    backups: &'a Store,
    /// The proof, once made in this run (each table image would hash the backup again).
    proven: &'a OnceCell<RestoreProof>,
}

impl<'a> Formatting<'a> {
    /// The identity backup `plan` and `record` hold, kept in `backups`; its proof is kept in
    /// `proven` for the run.
    pub(super) fn of(
        plan: &'a Plan,
        record: &'a JobRecord,
        backups: &'a Store,
        proven: &'a OnceCell<RestoreProof>,
    ) -> Self {
        Formatting {
            mode: plan.mode(),
            backup: backup_in_hand(plan, record),
            backups,
            proven,
        }
    }

    /// That backup, verified and proven for the connected phone.
    fn proof<T: Transport>(
        &self,
        phone: &Phone<'_, T>,
        partition: &str,
    ) -> crate::Result<&'a RestoreProof> {
        if let Some(proof) = self.proven.get() {
            return Ok(proof);
        }
        let id = self.backup.ok_or_else(|| FlashError::NoBackupInHand {
            mode: self.mode,
            partition: partition.into(),
        })?;
        let proof = self
            .backups
            .prove(id, &phone.fingerprint(), Consent::SameDevice)?;
        Ok(self.proven.get_or_init(|| proof))
    }
}

/// Writes one image, hashing it on the way, then reads it back and compares. In Download Only
/// (`formats` is `None`) the phone's table must hold the partition where the plan has it; in
/// the modes that format, the plan's range (the ROM's layout) is written, guarded against the
/// phone's current table, the ROM's partition table by the job's identity backup.
pub(super) fn write_step<T: Transport>(
    phone: &mut Phone<'_, T>,
    s: &Step,
    rom: &mut LoadedRom,
    rom_path: &Path,
    verify: bool,
    formats: Option<Formatting<'_>>,
) -> StepResult {
    let Some(Source::Image { file, sha256 }) = s.source() else {
        return Ok(Err(FlashError::ImageChanged {
            partition: s.partition().into(),
            file: String::new(),
        }
        .into()));
    };
    // The plan wrote a boot-region step only when the ROM's preloader was confirmed for this
    // board (or by the separate override): the guard's boot-code refusal is lifted for it
    // alone. Identity partitions are never written by a plan's write step.
    let boot_code = s.region() == Region::Boot1 || is_boot_code(s.partition());
    let force = if boot_code {
        Override::ForceIdentityPartition
    } else {
        Override::None
    };
    let image_path = rom_path.join(file);
    let guarded = if let Some(formatting) = formats {
        let target = Target {
            is_partition: false,
            ..target_of(s)
        };
        if is_layout(s.partition()) {
            let proof = match formatting.proof(phone, s.partition()) {
                Ok(proof) => proof,
                Err(e) => return Ok(Err(e)),
            };
            phone.guard_layout(&target, &image_path, proof)?
        } else {
            phone.guard_write_range(&target, &image_path, force)?
        }
    } else {
        let place = Place::partition(s.partition());
        let found = phone.resolve(&place)?;
        if found.addr != s.addr() || found.region != s.region() {
            return Ok(Err(FlashError::PlaceChanged {
                partition: s.partition().into(),
                found: found.addr,
                planned: s.addr(),
            }
            .into()));
        }
        phone.guard_write(&place, &image_path, s.length(), force)?
    };
    let image = match rom.package.image(file) {
        Ok(image) => image,
        Err(e) => return Ok(Err(e.into())),
    };
    let mut source = Hashing::new(image.take(s.length()));
    phone.write(&guarded, &mut source)?;
    let written = source.hex();
    if sha256.as_ref().is_some_and(|want| *want != written) {
        return Ok(Err(FlashError::ImageChanged {
            partition: s.partition().into(),
            file: file.clone(),
        }
        .into()));
    }
    if !verify {
        return Ok(Ok((StepState::Done, Some(written))));
    }
    phone.verifying(s.partition());
    let mut back = Hashing::new(std::io::empty());
    phone.read(guarded.target(), &mut back)?;
    let read = back.hex();
    if read != written {
        return Ok(Err(FlashError::VerifyFailed {
            partition: s.partition().into(),
            written,
            read,
        }
        .into()));
    }
    Ok(Ok((StepState::Verified, Some(written))))
}
