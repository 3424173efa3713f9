//! Which ROM of the library fits this phone? Every indexed package gets a verdict (`fits`,
//! `risky`, `refused`) and its reasons, best first: SoC and storage type, the user-area layout
//! (equal, or only Firmware Upgrade / Format All + Download can apply it), the preloader's
//! project and EMI version, panel coverage in lk AND kernel with the predicted display and the
//! partitions to keep from the phone, Checksum.ini and missing files, and NVRAM-set images
//! (identity cloning).
//!
//! Each check is a small function of the package's facts and the phone's evidence, so a check
//! can be replaced without touching the others; storage, preloader, boot region and layout are
//! [`crate::firmware::board::check`]'s (the one "is this ROM for this board" rule). Pure: index and evidence in, verdicts out; reads
//! no file and knows no port.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{
    firmware::{
        board::{self, Aspect, BoardFacts},
        facts::{ChecksumStatus, LayoutEntry, RomFacts},
        is_nvram_set,
        rom::PLATFORM,
        scatter::{Region, Storage},
    },
    library::{LibraryIndex, index::Outcome, relative},
    profile::{
        BoardProfile, ProfileError, Registry, StorageKind,
        matching::{self, BoardEvidence, BoardRanking},
    },
};

/// The verdict on one package, best first when sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Made for this phone as far as can be checked.
    Fits,
    /// Can be flashed with care: the reasons say what to skip or which mode to use.
    Risky,
    /// Must not be flashed to this phone.
    Refused,
}

impl Verdict {
    /// `fits`, `risky`, `refused`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Fits => "fits",
            Verdict::Risky => "risky",
            Verdict::Refused => "refused",
        }
    }
}

/// How much one reason weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Checked and fine.
    Ok,
    /// Could not be checked.
    Unknown,
    /// A risk: flash with care.
    Risk,
    /// A reason to refuse the package.
    Refuse,
}

/// One reason, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How much it weighs.
    pub level: Level,
    /// What was compared and what follows for the phone.
    pub text: String,
}

/// What the screen will do after flashing, from the panel drivers in lk and the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Display {
    /// The phone's panel driver is in both.
    Works,
    /// lk lacks the driver: white (or blank) screen from power-on.
    WhiteScreen,
    /// lk drives the logo, the kernel lacks the driver: black screen after the logo.
    BlackAfterLogo,
    /// The phone's panel or the ROM's drivers are not known.
    Unknown,
}

/// The verdict on one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageMatch {
    /// The package, relative to the library root.
    pub package: PathBuf,
    /// fits, risky or refused.
    pub verdict: Verdict,
    /// Why, weightiest first.
    pub reasons: Vec<Finding>,
    /// The predicted display.
    pub display: Display,
    /// Partitions to keep from the phone instead of writing the ROM's (panel drivers).
    pub keep_from_phone: Vec<String>,
    /// Partitions not written by default (another board's preloader, NVRAM-set images).
    pub skip: Vec<String>,
    /// Whether Download Only can apply it (the layouts are equal); otherwise only Firmware
    /// Upgrade or Format All + Download can.
    pub download_only: bool,
}

/// What the phone is, for matching: the ranking evidence and, when chosen, its board profile
/// (whose panel drivers stand in when the phone's UBOOT named none).
#[derive(Debug, Clone, Copy)]
pub struct Phone<'a> {
    /// What the phone showed.
    pub evidence: &'a BoardEvidence,
    /// The board profile chosen for it, if any.
    pub profile: Option<&'a BoardProfile>,
}

/// Collects findings.
#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn push(&mut self, level: Level, text: impl Into<String>) {
        self.0.push(Finding {
            level,
            text: text.into(),
        });
    }
}

/// The platform: another SoC is refused.
fn check_platform(f: &RomFacts, out: &mut Findings) {
    match f.platform.as_deref() {
        Some(p) if p.eq_ignore_ascii_case(PLATFORM) => {
            out.push(Level::Ok, format!("made for {PLATFORM}"))
        }
        Some(p) => out.push(
            Level::Refuse,
            format!("made for {p}, not {PLATFORM}: it cannot run on this phone"),
        ),
        None => out.push(Level::Risk, "the scatter names no platform"),
    }
}

/// What the board check ([`crate::firmware::board::check`]) compares, from the phone: its
/// storage and layout, its preloader read from BOOT_1 (else the chosen profile's), and the
/// profile's boot-region size (the phone's boot partition size is a chip fact, not the
/// scatter's linear offset).
fn board_facts(phone: Phone<'_>) -> (BoardFacts, bool) {
    let ev = phone.evidence;
    let (project, emi, from_profile) = match (&ev.preloader_project, phone.profile) {
        (Some(p), _) => (Some(p.clone()), ev.emi_version, false),
        (None, Some(p)) => (
            p.preloader
                .as_ref()
                .map(|q| q.project.clone())
                .or_else(|| p.projects.first().cloned()),
            p.preloader.as_ref().and_then(|q| q.bloader_info_version),
            true,
        ),
        (None, None) => (None, None, false),
    };
    let region = match ev.storage {
        Some(StorageKind::Nand) => Region::Nand,
        _ => Region::EmmcUser,
    };
    let facts = BoardFacts {
        origin: if from_profile {
            "this phone, preloader per its board profile".into()
        } else {
            "this phone".into()
        },
        storage: ev.storage.map(|k| match k {
            StorageKind::Emmc => Storage::Emmc,
            StorageKind::Nand => Storage::Nand,
        }),
        preloader_project: project,
        emi_version: emi,
        boot_region_size: phone.profile.and_then(|p| p.storage.boot_region_size),
        layout: ev
            .layout
            .iter()
            .map(|s| LayoutEntry {
                name: s.name.clone(),
                region,
                region_offset: s.offset,
                size: Some(s.size),
            })
            .collect(),
    };
    (facts, from_profile)
}

/// Storage, preloader project and EMI version, boot region and layout, through the board
/// check; returns (Download Only can apply it, PRELOADER must be skipped).
fn check_board(f: &RomFacts, phone: Phone<'_>, out: &mut Findings) -> (bool, bool) {
    let (board, _) = board_facts(phone);
    let findings = board::check(f, &board);
    let mut download_only = !board.layout.is_empty();
    let mut skip_preloader = f.preloader.is_some() && board.preloader_project.is_none();
    if board.layout.is_empty() {
        out.push(
            Level::Unknown,
            "layout not compared (the phone's partition table is unknown); use Firmware \
             Upgrade",
        );
    }
    if skip_preloader {
        out.push(
            Level::Risk,
            "the phone's preloader project is unknown: PRELOADER is not written",
        );
    }
    for finding in &findings {
        let (level, then) = match finding.aspect {
            Aspect::Storage => (Level::Refuse, ""),
            Aspect::PreloaderProject | Aspect::EmiVersion => {
                skip_preloader = true;
                (Level::Risk, "; PRELOADER is not written")
            }
            Aspect::BootRegion | Aspect::Layout => {
                download_only = false;
                (
                    Level::Risk,
                    "; Download Only is refused: only Firmware Upgrade or Format All + \
                     Download can apply it",
                )
            }
        };
        out.push(level, format!("{}{then}", finding.message));
    }
    let has = |a: Aspect| findings.iter().any(|x| x.aspect == a);
    if has(Aspect::Storage) {
        download_only = false;
    } else if board.storage.is_some() {
        out.push(
            Level::Ok,
            format!("{} ROM for an {} phone", f.storage, f.storage),
        );
    }
    if download_only {
        out.push(
            Level::Ok,
            "partition layout as on the phone: Download Only can apply it",
        );
    }
    if let Some(p) = f
        .preloader
        .as_ref()
        .and_then(|p| p.identity.project.as_deref())
        && !skip_preloader
    {
        out.push(Level::Ok, format!("preloader project {p}, as the phone's"));
    }
    (download_only, skip_preloader)
}

/// Panel coverage in lk and the kernel.
fn check_panel(f: &RomFacts, panels: &[String], out: &mut Findings) -> (Display, Vec<String>) {
    if panels.is_empty() {
        out.push(
            Level::Unknown,
            "the phone's panel driver is unknown: the display after flashing cannot be predicted",
        );
        return (Display::Unknown, Vec::new());
    }
    if f.lcm.lk.is_empty() && f.lcm.kernel.is_empty() {
        out.push(
            Level::Unknown,
            "no panel driver names could be read from the ROM's lk and kernel",
        );
        return (Display::Unknown, Vec::new());
    }
    let has = |list: &[String]| panels.iter().find(|p| list.contains(p)).cloned();
    let boot_parts = || vec!["BOOTIMG".to_string(), "RECOVERY".to_string()];
    match (has(&f.lcm.lk), has(&f.lcm.kernel)) {
        (Some(p), Some(_)) => {
            out.push(
                Level::Ok,
                format!("panel driver {p} in lk and kernel: the display works"),
            );
            (Display::Works, Vec::new())
        }
        (Some(p), None) => {
            out.push(
                Level::Risk,
                format!(
                    "panel driver {p} in lk but not in the kernel: black screen after the \
                     logo; keep BOOTIMG and RECOVERY from the phone"
                ),
            );
            (Display::BlackAfterLogo, boot_parts())
        }
        (None, kernel) => {
            let mut keep = vec!["UBOOT".to_string()];
            let text = if kernel.is_some() {
                format!(
                    "lk lacks the phone's panel driver ({}): white screen; keep UBOOT from \
                     the phone",
                    panels.join(", ")
                )
            } else {
                keep.extend(boot_parts());
                format!(
                    "neither lk nor the kernel has the phone's panel driver ({}): white \
                     screen; keep UBOOT, BOOTIMG and RECOVERY from the phone",
                    panels.join(", ")
                )
            };
            out.push(Level::Risk, text);
            (Display::WhiteScreen, keep)
        }
    }
}

/// Checksum.ini, missing files and images too large for their partition.
fn check_files(f: &RomFacts, out: &mut Findings) {
    match &f.checksum_ini {
        None => out.push(
            Level::Unknown,
            "no Checksum.ini: the images cannot be checked against the packager's sums",
        ),
        Some(_) => {
            let bad: Vec<&str> = f
                .images
                .iter()
                .filter(|i| i.checksum == Some(ChecksumStatus::Mismatch))
                .map(|i| i.file.as_str())
                .collect();
            if bad.is_empty() {
                out.push(Level::Ok, "every listed image matches Checksum.ini");
            } else {
                out.push(
                    Level::Risk,
                    format!(
                        "{} does not match Checksum.ini: damaged or altered; download the ROM \
                         again",
                        bad.join(", ")
                    ),
                );
            }
        }
    }
    let missing: Vec<&str> = f
        .images
        .iter()
        .filter(|i| i.download && !i.present)
        .map(|i| i.file.as_str())
        .collect();
    if !missing.is_empty() {
        out.push(
            Level::Risk,
            format!(
                "missing files: {}; those partitions cannot be written",
                missing.join(", ")
            ),
        );
    }
    let big: Vec<&str> = f
        .images
        .iter()
        .filter(|i| i.fits == Some(false))
        .map(|i| i.partition.as_str())
        .collect();
    if !big.is_empty() {
        out.push(
            Level::Refuse,
            format!(
                "image larger than its partition: {}; it would overwrite the next partition",
                big.join(", ")
            ),
        );
    }
}

/// NVRAM-set images in the package: writing them clones another phone's identity.
fn check_nvram(f: &RomFacts, out: &mut Findings) -> Vec<String> {
    let nv: Vec<String> = f
        .images
        .iter()
        .filter(|i| i.present && is_nvram_set(&i.partition))
        .map(|i| i.partition.clone())
        .collect();
    if !nv.is_empty() {
        out.push(
            Level::Risk,
            format!(
                "carries {}: another phone's IMEI, MACs and calibration; writing them clones \
                 that phone's identity, so they are skipped",
                nv.join(", ")
            ),
        );
    }
    nv
}

/// The verdict on one package's facts.
pub fn match_package(package: PathBuf, f: &RomFacts, phone: Phone<'_>) -> PackageMatch {
    let ev = phone.evidence;
    let mut out = Findings::default();
    check_platform(f, &mut out);
    let (download_only, skip_preloader) = check_board(f, phone, &mut out);
    let mut skip = Vec::new();
    if skip_preloader {
        skip.push("PRELOADER".to_string());
    }
    let panels: Vec<String> = if ev.lcm.is_empty() {
        phone
            .profile
            .map(|p| p.lcm.drivers.clone())
            .unwrap_or_default()
    } else {
        ev.lcm.clone()
    };
    let (display, keep_from_phone) = check_panel(f, &panels, &mut out);
    check_files(f, &mut out);
    skip.extend(check_nvram(f, &mut out));
    let mut reasons = out.0;
    reasons.sort_by_key(|r| std::cmp::Reverse(r.level));
    let verdict = match reasons.first().map(|r| r.level) {
        Some(Level::Refuse) => Verdict::Refused,
        Some(Level::Risk) => Verdict::Risky,
        _ => Verdict::Fits,
    };
    PackageMatch {
        package,
        verdict,
        reasons,
        display,
        keep_from_phone,
        skip,
        download_only,
    }
}

/// Every indexed package under `root`, matched against `phone`, best first (verdict, then
/// fewer risks, then path).
pub fn rank(index: &LibraryIndex, root: &Path, phone: Phone<'_>) -> Vec<PackageMatch> {
    let mut out: Vec<PackageMatch> = index
        .under(root)
        .map(|(path, entry)| {
            let rel = relative(root, path);
            match &entry.outcome {
                Outcome::Ok(f) => match_package(rel, f, phone),
                Outcome::Failed(why) => PackageMatch {
                    package: rel,
                    verdict: Verdict::Refused,
                    reasons: vec![Finding {
                        level: Level::Refuse,
                        text: format!("cannot be read as a ROM package: {why}"),
                    }],
                    display: Display::Unknown,
                    keep_from_phone: Vec::new(),
                    skip: Vec::new(),
                    download_only: false,
                },
            }
        })
        .collect();
    let risks = |m: &PackageMatch| m.reasons.iter().filter(|r| r.level >= Level::Risk).count();
    out.sort_by(|a, b| {
        a.verdict
            .cmp(&b.verdict)
            .then_with(|| risks(a).cmp(&risks(b)))
            .then_with(|| a.package.cmp(&b.package))
    });
    out
}

/// The whole answer of `library match`: which board the phone is, and the library for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LibraryMatch {
    /// The board ranking.
    pub board: BoardRanking,
    /// The profile used for matching (chosen, or the ranking's best); `None`: unknown board.
    pub profile: Option<String>,
    /// Every package, best first.
    pub matches: Vec<PackageMatch>,
}

/// Ranks the board, then the library under `root` for it. `profile` overrides the ranking's
/// choice (an unknown id is an error).
pub fn match_library(
    index: &LibraryIndex,
    root: &Path,
    evidence: &BoardEvidence,
    registry: &Registry,
    profile: Option<&str>,
) -> Result<LibraryMatch, ProfileError> {
    let board = matching::rank(registry, evidence);
    let chosen = match profile.or(board.best.as_deref()) {
        Some(id) => Some(&registry.require(id)?.profile),
        None => None,
    };
    let matches = rank(
        index,
        root,
        Phone {
            evidence,
            profile: chosen,
        },
    );
    Ok(LibraryMatch {
        profile: chosen.map(|p| p.id.clone()),
        board,
        matches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        firmware::scatter::Storage,
        profile::Registry,
        sim::{
            layout::Layout,
            rom::{self, RomVariant},
        },
    };

    /// What a simulated phone of `profile` shows (as identify reads it).
    fn phone_of(profile: &BoardProfile) -> BoardEvidence {
        let kind = match profile.storage.kind {
            StorageKind::Emmc => Storage::Emmc,
            StorageKind::Nand => Storage::Nand,
        };
        let l = Layout::from_profile(profile, kind).unwrap();
        BoardEvidence {
            storage: Some(profile.storage.kind),
            boot_region_size: profile.storage.boot_region_size,
            ram_size: Some(l.ram_size),
            layout: l
                .parts
                .iter()
                .map(|p| crate::firmware::layout::Span::new(&p.name, p.offset, p.size))
                .collect(),
            layout_named_by: None,
            preloader_project: Some(l.project.clone()),
            emi_version: Some(l.emi_version),
            lcm: l.lcm.clone(),
            pcb_marking: None,
        }
    }

    fn library_of(profile: &BoardProfile) -> (tempfile::TempDir, LibraryIndex, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("lib");
        rom::write_library(&root, profile).unwrap();
        let index = dir.path().join("index.json");
        crate::library::scan(&root, &index, &mut |_| {}).unwrap();
        let root = root.canonicalize().unwrap();
        (dir, LibraryIndex::load(&index), root)
    }

    fn find<'a>(m: &'a [PackageMatch], name: &str) -> &'a PackageMatch {
        m.iter().find(|p| p.package == Path::new(name)).unwrap()
    }

    #[test]
    fn a_library_of_every_variant_sorts_and_explains() {
        let board = Registry::builtin().get("a516_row").unwrap().profile.clone();
        let (_dir, index, root) = library_of(&board);
        let ev = phone_of(&board);
        let m = rank(
            &index,
            &root,
            Phone {
                evidence: &ev,
                profile: Some(&board),
            },
        );
        assert_eq!(m.len(), RomVariant::ALL.len());
        assert_eq!(m[0].package, Path::new("fits"), "{m:#?}");
        assert_eq!(m[0].verdict, Verdict::Fits);
        assert_eq!(m[0].display, Display::Works);
        assert!(m[0].download_only && m[0].skip.is_empty());
        // Sorted by verdict.
        assert!(m.windows(2).all(|w| w[0].verdict <= w[1].verdict));

        let nand = find(&m, "nand");
        assert_eq!(nand.verdict, Verdict::Refused);
        assert!(
            nand.reasons[0].text.contains("has EMMC"),
            "{:?}",
            nand.reasons
        );
        assert_eq!(m.last().unwrap().verdict, Verdict::Refused);

        let lcm = find(&m, "wrong-lcm");
        assert_eq!(lcm.verdict, Verdict::Risky);
        assert_eq!(lcm.display, Display::WhiteScreen);
        assert_eq!(lcm.keep_from_phone, ["UBOOT", "BOOTIMG", "RECOVERY"]);

        let layout = find(&m, "other-layout");
        assert_eq!(layout.verdict, Verdict::Risky);
        assert!(!layout.download_only);
        assert!(
            layout.reasons[0].text.contains("CACHE at physical"),
            "{:?}",
            layout.reasons
        );
        assert!(
            layout.reasons[0]
                .text
                .contains("only Firmware Upgrade or Format All")
        );

        let other = find(&m, "other-board");
        assert_eq!(other.verdict, Verdict::Risky);
        assert_eq!(other.skip, ["PRELOADER"]);
        assert!(other.reasons[0].text.contains("mtkbench_other_board"));

        let sum = find(&m, "bad-checksum");
        assert_eq!(sum.verdict, Verdict::Risky);
        assert!(
            sum.reasons[0]
                .text
                .starts_with("lk.bin does not match Checksum.ini")
        );

        let nv = find(&m, "nvram-inside");
        assert_eq!(nv.verdict, Verdict::Risky);
        assert_eq!(nv.skip, ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"]);
        assert!(nv.reasons[0].text.contains("clones"));
    }

    #[test]
    fn panel_in_lk_only_predicts_black_after_the_logo() {
        let board = Registry::builtin().get("a516_row").unwrap().profile.clone();
        let pkg = rom::build(&board, RomVariant::Fits).unwrap();
        let dir = tempfile::tempdir().unwrap();
        rom::write(&dir.path().join("p"), &pkg).unwrap();
        let mut facts = crate::firmware::rom::inspect(&dir.path().join("p"))
            .unwrap()
            .facts
            .without_details();
        facts.lcm.kernel = vec!["some_other_panel".into()];
        let ev = phone_of(&board);
        let m = match_package(
            "p".into(),
            &facts,
            Phone {
                evidence: &ev,
                profile: None,
            },
        );
        assert_eq!(m.display, Display::BlackAfterLogo);
        assert_eq!(m.keep_from_phone, ["BOOTIMG", "RECOVERY"]);
        // The phone's panel unknown: nothing predicted, and said so.
        let blind = BoardEvidence { lcm: vec![], ..ev };
        let m = match_package(
            "p".into(),
            &facts,
            Phone {
                evidence: &blind,
                profile: None,
            },
        );
        assert_eq!(m.display, Display::Unknown);
        assert!(
            m.reasons
                .iter()
                .any(|r| r.text.contains("cannot be predicted"))
        );
    }

    #[test]
    fn a_nand_phone_refuses_emmc_roms() {
        let reg = Registry::builtin();
        let nand = reg.get("ref_nand_2k").unwrap().profile.clone();
        let (_dir, index, root) = library_of(&reg.get("a516_row").unwrap().profile);
        let ev = phone_of(&nand);
        let m = rank(
            &index,
            &root,
            Phone {
                evidence: &ev,
                profile: Some(&nand),
            },
        );
        for p in &m {
            if p.package == Path::new("nand") {
                // The a516 board laid out on NAND: right storage, another layout and project.
                assert_eq!(p.verdict, Verdict::Risky, "{p:#?}");
            } else {
                assert_eq!(p.verdict, Verdict::Refused, "{}", p.package.display());
            }
        }
    }
}
