//! The job record of a flash: what was asked (the phone's fingerprint as first identified, the
//! ROM, the mode and the technician's choices) and, per step of the plan, whether it completed
//! and verified. It is rewritten atomically after every step, so a disconnect, a cancel or a
//! crash leaves a record that says exactly which partitions are complete, and `flash --resume`
//! continues from the first step that is not.
//!
//! Resuming never trusts a stored plan: the plan is rebuilt by [`super::plan::build`] from the
//! recorded fingerprint and choices and the ROM as it is now, and must equal the recorded
//! steps ([`JobRecord::check_plan`]); the phone must be the same one
//! ([`JobRecord::check_device`]). Pure apart from [`JobRecord::save`] and [`JobRecord::load`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::plan::{Action, Mode, Plan};
use crate::{
    device::{Fingerprint, target::Region},
    error::{Advice, HostError},
    fsutil,
};

/// How far one step got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepState {
    /// Not started, or interrupted: it runs (again) on resume.
    Pending,
    /// Done; not read back (`--no-verify`, or nothing to compare).
    Done,
    /// Done, read back and equal.
    Verified,
}

/// One step of the plan and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Partition.
    pub partition: String,
    /// What the step does.
    pub action: Action,
    /// Region.
    #[serde(
        serialize_with = "Region::serialize_short",
        deserialize_with = "Region::deserialize_short"
    )]
    pub region: Region,
    /// First byte in the region.
    pub addr: u64,
    /// Bytes.
    pub length: u64,
    /// How far it got.
    pub state: StepState,
    /// SHA-256 of what was written (or read into the backup), once done.
    pub sha256: Option<String>,
}

/// A flash job, as kept on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    /// The job's id (also its file name).
    pub id: String,
    /// The phone as it was identified when the job was planned.
    pub fingerprint: Fingerprint,
    /// The ROM package.
    pub rom: PathBuf,
    /// The mode.
    pub mode: Mode,
    /// `--partitions`, if given.
    pub selection: Option<Vec<String>>,
    /// `--preloader-of-another-board`.
    pub preloader_of_another_board: bool,
    /// Whether each write is read back and compared.
    pub verify: bool,
    /// `--i-understand-this-erases-identity` (Format All + Download), so a resume rebuilds
    /// the same plan.
    #[serde(default)]
    pub erases_identity: bool,
    /// The identity backup the job restores the NVRAM set from: the verified one the plan
    /// named, or the one its own backup steps took (set as soon as it is stored, before
    /// anything is erased). `flash --resume` restores from it.
    #[serde(default)]
    pub backup: Option<String>,
    /// The steps.
    pub steps: Vec<StepRecord>,
}

/// Why a job cannot be resumed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    /// No job record to resume.
    #[error("no interrupted flash job to resume{}", .id.as_ref().map(|i| format!(" called {i}")).unwrap_or_default())]
    NoJob {
        /// The id asked for, if one was.
        id: Option<String>,
    },
    /// The connected phone is another one.
    #[error("job {job} was for phone {recorded}, but the connected phone is {connected}")]
    OtherPhone {
        /// The job.
        job: String,
        /// The phone it was for.
        recorded: String,
        /// The phone connected now.
        connected: String,
    },
    /// The ROM or the choices no longer give the same plan.
    #[error("job {job} cannot continue: {reason}")]
    PlanChanged {
        /// The job.
        job: String,
        /// What differs.
        reason: String,
    },
    /// The record does not parse.
    #[error("job record {path} is damaged: {reason}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// The parser's reason.
        reason: String,
    },
}

impl Advice for ResumeError {
    fn help(&self) -> String {
        match self {
            ResumeError::NoJob { .. } => {
                "start the flash again without --resume; `ls <data>/jobs` shows the job records"
                    .into()
            }
            ResumeError::OtherPhone { .. } => {
                "connect the phone this job was flashing; this phone was not touched".into()
            }
            ResumeError::PlanChanged { .. } => {
                "the ROM package changed since the job started: put the same package back, or \
                 start a new flash"
                    .into()
            }
            ResumeError::Damaged { .. } => {
                "start a new flash; the partitions already written are written again".into()
            }
        }
    }

    fn is_bad_input(&self) -> bool {
        true
    }
}

impl JobRecord {
    /// A fresh record for `plan`: every step pending.
    pub fn new(
        id: String,
        fingerprint: Fingerprint,
        rom: PathBuf,
        selection: Option<Vec<String>>,
        preloader_of_another_board: bool,
        verify: bool,
        plan: &Plan,
    ) -> JobRecord {
        JobRecord {
            id,
            fingerprint,
            rom,
            mode: plan.mode(),
            selection,
            preloader_of_another_board,
            verify,
            erases_identity: false,
            backup: plan.backup().map(str::to_owned),
            steps: plan
                .steps()
                .iter()
                .map(|s| StepRecord {
                    partition: s.partition().into(),
                    action: s.action(),
                    region: s.region(),
                    addr: s.addr(),
                    length: s.length(),
                    state: StepState::Pending,
                    sha256: None,
                })
                .collect(),
        }
    }

    /// The first step that has not completed, or `None` when the job is finished.
    pub fn next(&self) -> Option<usize> {
        self.steps
            .iter()
            .position(|s| s.state == StepState::Pending && s.action.changes_phone())
    }

    /// True when every step that changes the phone completed.
    pub fn is_finished(&self) -> bool {
        self.next().is_none()
    }

    /// Marks step `index` as done (or verified), with the hash of its bytes.
    pub fn mark(&mut self, index: usize, state: StepState, sha256: Option<String>) {
        if let Some(step) = self.steps.get_mut(index) {
            step.state = state;
            step.sha256 = sha256;
        }
    }

    /// Refuses to continue on another phone.
    pub fn check_device(&self, connected_key: &str) -> Result<(), ResumeError> {
        let recorded = self.fingerprint.device_key();
        if recorded == connected_key {
            Ok(())
        } else {
            Err(ResumeError::OtherPhone {
                job: self.id.clone(),
                recorded,
                connected: connected_key.into(),
            })
        }
    }

    /// Refuses to continue when the rebuilt `plan` is not the recorded one.
    pub fn check_plan(&self, plan: &Plan) -> Result<(), ResumeError> {
        let changed = |reason: String| ResumeError::PlanChanged {
            job: self.id.clone(),
            reason,
        };
        if plan.steps().len() != self.steps.len() {
            return Err(changed(format!(
                "the plan now has {} steps, the job had {}",
                plan.steps().len(),
                self.steps.len()
            )));
        }
        for (now, was) in plan.steps().iter().zip(&self.steps) {
            let same = now.partition() == was.partition
                && now.action() == was.action
                && now.region() == was.region
                && now.addr() == was.addr
                && now.length() == was.length;
            if !same {
                return Err(changed(format!(
                    "{} is now {:?} {:#x}+{:#x}, the job had {:?} {:#x}+{:#x}",
                    was.partition,
                    now.action(),
                    now.addr(),
                    now.length(),
                    was.action,
                    was.addr,
                    was.length
                )));
            }
        }
        Ok(())
    }

    /// The file of job `id` in `dir`.
    pub fn path_in(dir: &Path, id: &str) -> PathBuf {
        dir.join(format!("{id}.json"))
    }

    /// Writes the record to `dir` atomically, replacing the previous state of this job.
    pub fn save(&self, dir: &Path) -> crate::Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| HostError::io("create", dir, e))?;
        let text = serde_json::to_vec_pretty(self)
            .map_err(|e| HostError::Usage(format!("cannot encode the job record: {e}")))?;
        fsutil::write_atomic(&Self::path_in(dir, &self.id), &text)?;
        Ok(())
    }

    /// Reads job `id` from `dir`, or the newest unfinished one when `id` is `None`.
    pub fn load(dir: &Path, id: Option<&str>) -> crate::Result<JobRecord> {
        let no_job = || ResumeError::NoJob {
            id: id.map(str::to_owned),
        };
        let read = |path: &Path| -> crate::Result<JobRecord> {
            let text = std::fs::read(path).map_err(|e| HostError::io("read", path, e))?;
            serde_json::from_slice(&text).map_err(|e| {
                ResumeError::Damaged {
                    path: path.into(),
                    reason: e.to_string(),
                }
                .into()
            })
        };
        if let Some(id) = id {
            let path = Self::path_in(dir, id);
            if !path.is_file() {
                return Err(no_job().into());
            }
            return read(&path);
        }
        let mut newest: Option<(std::time::SystemTime, JobRecord)> = None;
        let entries = std::fs::read_dir(dir).map_err(|_| no_job())?;
        for entry in entries.filter_map(|e| e.ok()) {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let Ok(record) = read(&path) else { continue };
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            if !record.is_finished() && newest.as_ref().is_none_or(|(t, _)| modified > *t) {
                newest = Some((modified, record));
            }
        }
        newest.map(|(_, r)| r).ok_or_else(|| no_job().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flash::{
        facts::{DeviceFacts, RomImage, RomPartition, RomView},
        plan::{Overrides, Planning, Request, build},
    };

    /// A fingerprint as `identify --json` prints it (the simulated a516_row, first partitions).
    const FINGERPRINT: &str = r#"{"mode": "brom", "hw_code": 25970, "hw_subcode": 35328,
        "hw_version": 51712, "sw_version": 0, "brom_version": 5, "bl_version": 254,
        "target_config": {"sbc": false, "sla": false, "daa": false, "raw": 0},
        "me_id": "f783572b4c139e04f0f958ec51c76157",
        "storage": {"type": "emmc", "boot1_size": 6291456, "boot2_size": 6291456,
            "user_size": 3909091328, "cid": "15010053494d373245101d65ca823d79"},
        "ram_size": 536870912, "da_version": "030200",
        "partition_source": {"kind": "mbr", "profile": "a516_row"},
        "partitions": [{"name": "PRELOADER", "region": "boot1", "offset": 0, "size": 6291456},
            {"name": "MBR", "region": "user", "offset": 0, "size": 524288},
            {"name": "EBR1", "region": "user", "offset": 524288, "size": 524288},
            {"name": "UBOOT", "region": "user", "offset": 1048576, "size": 393216},
            {"name": "BOOTIMG", "region": "user", "offset": 1441792, "size": 6291456}],
        "preloader": null, "lcm": [], "pcb_marking": null}"#;

    fn fingerprint() -> Fingerprint {
        serde_json::from_str(FINGERPRINT).unwrap()
    }

    fn rom(boot_len: u64) -> RomView {
        let device = DeviceFacts::from_fingerprint(&fingerprint());
        RomView {
            platform: Some("MT6572".into()),
            storage: crate::firmware::scatter::Storage::Emmc,
            partitions: device
                .partitions
                .iter()
                .map(|p| RomPartition {
                    name: p.name.clone(),
                    region: p.region,
                    offset: p.offset,
                    size: Some(p.size),
                    bootloader: p.name == "PRELOADER",
                    image: ["UBOOT", "BOOTIMG"]
                        .contains(&p.name.as_str())
                        .then(|| RomImage {
                            file: p.name.to_lowercase(),
                            download: true,
                            size: Some(if p.name == "BOOTIMG" {
                                boot_len
                            } else {
                                0x1000
                            }),
                            sha256: None,
                        }),
                })
                .collect(),
            preloader: None,
        }
    }

    fn plan(boot_len: u64) -> Plan {
        let device = DeviceFacts::from_fingerprint(&fingerprint());
        let request = Request {
            mode: Mode::DownloadOnly,
            selection: None,
            backup: None,
            overrides: Overrides::default(),
            planning: Planning::default(),
        };
        build(&device, &rom(boot_len), &request).unwrap()
    }

    fn record(id: &str) -> JobRecord {
        JobRecord::new(
            id.into(),
            fingerprint(),
            "rom".into(),
            None,
            false,
            true,
            &plan(0x8000),
        )
    }

    #[test]
    fn steps_complete_one_by_one_and_the_job_finishes() {
        let mut r = record("j1");
        assert_eq!(r.steps.len(), 2);
        assert_eq!(r.next(), Some(0));
        r.mark(0, StepState::Verified, Some("aa".into()));
        assert_eq!(r.next(), Some(1));
        assert!(!r.is_finished());
        r.mark(1, StepState::Done, None);
        assert!(r.is_finished());
    }

    #[test]
    fn saved_records_load_back_and_the_newest_unfinished_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let mut done = record("done");
        done.mark(0, StepState::Verified, None);
        done.mark(1, StepState::Verified, None);
        done.save(dir.path()).unwrap();
        let mut open = record("open");
        open.mark(0, StepState::Verified, Some("ab".into()));
        open.save(dir.path()).unwrap();
        assert_eq!(JobRecord::load(dir.path(), Some("open")).unwrap(), open);
        assert_eq!(JobRecord::load(dir.path(), None).unwrap().id, "open");
        let err = JobRecord::load(dir.path(), Some("nope")).unwrap_err();
        assert!(err.to_string().contains("called nope"), "{err}");
        std::fs::write(JobRecord::path_in(dir.path(), "bad"), b"{").unwrap();
        let err = JobRecord::load(dir.path(), Some("bad")).unwrap_err();
        assert!(err.to_string().contains("damaged"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        assert!(JobRecord::load(empty.path(), None).is_err());
    }

    #[test]
    fn another_phone_or_another_plan_is_refused() {
        let r = record("j");
        let key = fingerprint().device_key();
        assert_eq!(r.check_device(&key), Ok(()));
        let err = r.check_device("emmc-0000").unwrap_err();
        assert!(err.to_string().contains("emmc-0000"), "{err}");
        assert_eq!(r.check_plan(&plan(0x8000)), Ok(()));
        let err = r.check_plan(&plan(0x9000)).unwrap_err();
        assert!(err.to_string().contains("BOOTIMG"), "{err}");
    }
}
