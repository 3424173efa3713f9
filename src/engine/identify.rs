//! Identify: the session's fingerprint, completed with what only the phone's own flash tells
//! (the preloader's project and EMI version, the panel drivers in its UBOOT) and the marking
//! the technician read off the board, then ranked against the board profiles.

use serde::Serialize;

use crate::{
    device::{Fingerprint, fingerprint::StorageFacts},
    diag::lcm::UbootScan,
    engine::Recorder,
    firmware::preloader::{self, PreloaderIdentity},
    job::{DeviceError, Done, Job, OpKind, Phone, Place, Region, Selector, step},
    journal::{JobKind, Journal, NewJob},
    profile::{
        Registry,
        matching::{self, BoardRanking},
    },
    transport::Transport,
};

/// How much of the preloader area is read: the GFH, the EMI block and the build name all lie
/// in the first 256 KiB of every MT6572 preloader seen (they are ~100 KiB long).
pub const PRELOADER_READ: u64 = 0x4_0000;

/// What identify found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identified {
    /// The fingerprint (preloader, lcm and marking filled in).
    #[serde(flatten)]
    pub fingerprint: Fingerprint,
    /// The board ranking.
    pub board: BoardRanking,
}

/// Where the preloader lives on this phone: the head of boot1 (eMMC), else the head of the
/// PRELOADER partition (NAND).
fn preloader_place(f: &Fingerprint) -> Place {
    match f.storage {
        StorageFacts::Emmc { boot1_size, .. } => Place {
            selector: Selector::Region(Region::Boot1),
            offset: Some(0),
            length: Some(PRELOADER_READ.min(boot1_size)),
        },
        _ => Place {
            selector: Selector::Partition("PRELOADER".into()),
            offset: Some(0),
            length: None,
        },
    }
}

/// Identifies the phone on `phone`: reads the preloader head and UBOOT (read only), then
/// ranks the board profiles of `registry`. A part that cannot be found or decoded is left
/// empty, and the ranking says it could not be checked.
pub fn identify<T: Transport>(
    phone: &mut Phone<'_, T>,
    registry: &Registry,
    pcb_marking: Option<&str>,
) -> Result<Identified, DeviceError> {
    let fingerprint = fingerprint(phone, pcb_marking)?;
    let board = matching::rank(registry, &fingerprint.evidence());
    Ok(Identified { fingerprint, board })
}

/// The phone's fingerprint as every job needs it: the session's, plus the preloader's
/// project and EMI version read from the phone's own preloader (BOOT_1 on eMMC, the
/// PRELOADER partition on NAND), the panel drivers named in its UBOOT, and the marking the
/// technician read off the board. Read only. The one identify path: `identify`, `flash` and
/// `repair` all start here, so the planner's preloader guard compares against what the phone
/// really holds.
pub fn fingerprint<T: Transport>(
    phone: &mut Phone<'_, T>,
    pcb_marking: Option<&str>,
) -> Result<Fingerprint, DeviceError> {
    let mut fingerprint = phone.fingerprint();
    fingerprint.pcb_marking = pcb_marking
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    let mut pl_place = preloader_place(&fingerprint);
    if let Ok(t) = phone.resolve(&pl_place)
        && t.len > PRELOADER_READ
    {
        pl_place.length = Some(PRELOADER_READ);
    }
    let pl = phone.resolve(&pl_place).ok();
    let uboot = phone.resolve(&Place::partition("UBOOT")).ok();
    let plan = pl
        .iter()
        .chain(uboot.iter())
        .map(|t| step(OpKind::Read, t))
        .collect();
    phone.plan(plan);
    if let Some(t) = &pl
        && fingerprint.dead_boot.is_none()
    {
        let head = super::read_all(phone, t)?;
        fingerprint.preloader = preloader_identity(&head);
    }
    if let Some(t) = &uboot {
        let mut scan = UbootScan::default();
        phone.read(t, &mut scan)?;
        fingerprint.lcm = scan.evidence("phone's own UBOOT").names;
    }
    Ok(fingerprint)
}

/// A dead boot (the DA needed DRAM settings): the phone's own preloader is missing or foreign,
/// so the board is ranked on what remains (storage, partition table, UBOOT panels, the PCB
/// marking) and the preloader guard gets the identified board's project with the EMI version
/// that set up its RAM, when the settings came from the phone's own backup or from a
/// preloader of that project. Otherwise the phone's preloader stays unknown and the guard
/// keeps any ROM's preloader. Pure.
pub fn settle_dead_boot(fingerprint: &mut Fingerprint, registry: &Registry) {
    let Some(dead) = &fingerprint.dead_boot else {
        return;
    };
    let ranking = matching::rank(registry, &fingerprint.evidence());
    let board = ranking
        .best
        .as_deref()
        .and_then(|id| registry.get(id))
        .and_then(|p| p.profile.preloader.as_ref())
        .map(|p| p.project.clone());
    let own = matches!(dead.source, crate::device::dram::EmiSource::Backup { .. });
    let same = |b: &str| {
        dead.project
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(b))
    };
    if let Some(b) = board.filter(|b| own || same(b)) {
        fingerprint.preloader = Some(PreloaderIdentity {
            build_name: None,
            project: Some(b),
            emi_version: Some(dead.version),
        });
    }
}

/// The identity strings of a preloader area read from the phone, if it carries any.
pub fn preloader_identity(bytes: &[u8]) -> Option<PreloaderIdentity> {
    preloader::scan(bytes)
        .ok()
        .map(|info| PreloaderIdentity::from(&info))
        .filter(|p| p.project.is_some() || p.emi_version.is_some())
}

/// Identifies the phone of `job`, recording the job in `journal`.
pub fn run(
    job: Job,
    registry: &Registry,
    pcb_marking: Option<&str>,
    journal: Option<&Journal>,
) -> crate::Result<Done<Identified>> {
    let rec = Recorder::start(journal, JobKind::Identify, &NewJob::default());
    let done = job.run(|phone| identify(phone, registry, pcb_marking));
    if let Ok(d) = &done {
        rec.update(&NewJob {
            device_key: Some(d.value.fingerprint.device_key()),
            fingerprint: super::fingerprint_json(&d.value.fingerprint),
            profile: d.value.board.best.clone(),
            ..NewJob::default()
        });
    }
    rec.end(&done);
    done
}
