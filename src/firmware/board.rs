//! Is this ROM for this board? A pure comparison of a ROM's [`RomFacts`] with what is known
//! about the board ([`BoardFacts`]: from a board profile, or from a phone's fingerprint and
//! its own preloader), giving typed [`BoardFinding`]s with a technician's words.
//!
//! What is compared, each only when both sides know it:
//! - storage type (eMMC or NAND);
//! - the project the ROM's preloader was built for against the board's preloader project (a
//!   preloader for another board initialises RAM and storage wrongly: a hard brick);
//! - the EMI settings version of the two preloaders;
//! - the boot-region size the scatter is laid out for (20 MiB against 6 MiB moves every
//!   partition of the user area);
//! - the layout: each partition both sides name, by its physical offset in its region.
//!
//! A ROM with any finding is not for this board: its PRELOADER, MBR and EBR must never be
//! written to it, and no advice may suggest flashing "this ROM without UBOOT and BOOTIMG"
//! (that still writes them). [`BoardFinding::NEVER_FLASH`] lists those partitions.
//!
//! Reads no file and knows no phone: callers turn a profile (`BoardFacts::from(&profile)`, in
//! `profile`) or a device fingerprint into [`BoardFacts`].

use serde::Serialize;

use crate::firmware::{
    facts::{LayoutEntry, RomFacts},
    scatter::{Region, Storage},
};

/// What is known about the board a ROM is meant for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BoardFacts {
    /// Where the facts come from (`profile a516_row`, `the phone on /dev/ttyACM0`).
    pub origin: String,
    /// eMMC or NAND.
    pub storage: Option<Storage>,
    /// The project the board's own preloader was built for.
    pub preloader_project: Option<String>,
    /// The EMI settings version of the board's own preloader.
    pub emi_version: Option<u32>,
    /// The boot region's size in scatter linear addresses (eMMC).
    pub boot_region_size: Option<u64>,
    /// The partitions of the user area (NAND: of the array), by physical offset.
    pub layout: Vec<LayoutEntry>,
}

/// Which fact differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aspect {
    /// eMMC against NAND.
    Storage,
    /// The preloader's project.
    PreloaderProject,
    /// The preloader's EMI settings version.
    EmiVersion,
    /// The boot-region size.
    BootRegion,
    /// Where partitions lie.
    Layout,
}

/// One way in which a ROM is not for a board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardFinding {
    /// What differs.
    pub aspect: Aspect,
    /// The ROM's value, in words.
    pub rom: String,
    /// The board's value, in words.
    pub board: String,
    /// The finding for a technician: what differs and what it means.
    pub message: String,
}

impl BoardFinding {
    /// Partitions of a ROM for another board that must never be written to this one.
    pub const NEVER_FLASH: [&'static str; 3] = ["PRELOADER", "MBR", "EBR1/EBR2"];
}

/// How many layout differences are named one by one.
const MAX_LAYOUT_NAMED: usize = 3;

/// Compares a ROM with a board. Empty when nothing known differs; otherwise the ROM is not
/// for this board (see the module documentation).
pub fn check(rom: &RomFacts, board: &BoardFacts) -> Vec<BoardFinding> {
    let mut out = Vec::new();
    let on = &board.origin;
    let mut push = |aspect, rom: String, board: String, message: String| {
        out.push(BoardFinding {
            aspect,
            rom,
            board,
            message,
        })
    };
    if let Some(storage) = board.storage
        && storage != rom.storage
    {
        push(
            Aspect::Storage,
            rom.storage.to_string(),
            storage.to_string(),
            format!(
                "this ROM is for {} storage but the board ({on}) has {storage}: it cannot \
                 work on it",
                rom.storage
            ),
        );
    }
    let rom_pl = rom.preloader.as_ref();
    if let (Some(theirs), Some(ours)) = (
        rom_pl.and_then(|p| p.identity.project.as_deref()),
        board.preloader_project.as_deref(),
    ) && !theirs.eq_ignore_ascii_case(ours)
    {
        push(
            Aspect::PreloaderProject,
            theirs.to_owned(),
            ours.to_owned(),
            format!(
                "this ROM's preloader was built for board {theirs}, this board ({on}) runs \
                 {ours}: another board's preloader sets up RAM and storage wrongly and leaves \
                 a phone that does not start (a hard brick)"
            ),
        );
    }
    if let (Some(theirs), Some(ours)) = (
        rom_pl.and_then(|p| p.identity.emi_version),
        board.emi_version,
    ) && theirs != ours
    {
        push(
            Aspect::EmiVersion,
            format!("v{theirs}"),
            format!("v{ours}"),
            format!(
                "this ROM's preloader carries EMI settings v{theirs}, this board's ({on}) \
                 v{ours}: the RAM settings are for other memory chips"
            ),
        );
    }
    if let (Some(theirs), Some(ours)) = (rom.boot_region_size, board.boot_region_size)
        && theirs != ours
    {
        push(
            Aspect::BootRegion,
            size_words(theirs),
            size_words(ours),
            format!(
                "this ROM's scatter counts a {} boot region, this board ({on}) {}: every \
                 partition of the user area would be written at the wrong place",
                size_words(theirs),
                size_words(ours)
            ),
        );
    }
    let moved: Vec<String> = rom
        .layout
        .iter()
        .filter(|r| r.region != Region::EmmcBoot1 && r.region != Region::EmmcBoot2)
        .filter_map(|r| {
            let b = board
                .layout
                .iter()
                .find(|b| b.name.eq_ignore_ascii_case(&r.name) && b.region == r.region)?;
            (b.region_offset != r.region_offset).then(|| {
                format!(
                    "{} at physical 0x{:X} of the {} (board: 0x{:X})",
                    r.name,
                    r.region_offset,
                    region_words(r.region),
                    b.region_offset
                )
            })
        })
        .collect();
    if let Some(first) = moved.first() {
        let named = moved
            .iter()
            .take(MAX_LAYOUT_NAMED)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ");
        let more = moved.len().saturating_sub(MAX_LAYOUT_NAMED);
        push(
            Aspect::Layout,
            first.clone(),
            on.clone(),
            format!(
                "{} partition(s) of this ROM lie elsewhere than on this board ({on}): \
                 {named}{}",
                moved.len(),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ),
        );
    }
    out
}

/// `6 MiB` for whole MiB, the exact hex value otherwise.
fn size_words(bytes: u64) -> String {
    if bytes > 0 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("0x{bytes:X} bytes")
    }
}

/// `user area`, `boot region 1`, `NAND array`.
pub fn region_words(region: Region) -> &'static str {
    match region {
        Region::EmmcBoot1 => "boot region 1",
        Region::EmmcBoot2 => "boot region 2",
        Region::EmmcUser => "user area",
        Region::Nand => "NAND array",
    }
}

/// The advice for a ROM with findings: what to do instead, never a partial flash of it.
pub fn advice(findings: &[BoardFinding]) -> String {
    let what: Vec<&str> = findings
        .iter()
        .map(|f| match f.aspect {
            Aspect::Storage => "storage",
            Aspect::PreloaderProject => "preloader project",
            Aspect::EmiVersion => "EMI version",
            Aspect::BootRegion => "boot-region size",
            Aspect::Layout => "layout",
        })
        .collect();
    format!(
        "use a ROM built for this board (same {}); do not flash any part of this one, and \
         never its {}: they belong to another board",
        what.join(", "),
        BoardFinding::NEVER_FLASH.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::{
        facts::{LcmReport, PreloaderFacts},
        preloader::PreloaderLayout,
    };

    fn rom(project: &str, emi: u32, boot: u64, ebr1_at: u64) -> RomFacts {
        RomFacts {
            scatter: "MT6572_Android_scatter.txt".into(),
            platform: Some("MT6572".into()),
            project: Some(project.into()),
            storage: Storage::Emmc,
            boot_region_size: Some(boot),
            layout: vec![
                LayoutEntry {
                    name: "PRELOADER".into(),
                    region: Region::EmmcBoot1,
                    region_offset: 0,
                    size: Some(boot),
                },
                LayoutEntry {
                    name: "MBR".into(),
                    region: Region::EmmcUser,
                    region_offset: 0,
                    size: Some(0x8_0000),
                },
                LayoutEntry {
                    name: "EBR1".into(),
                    region: Region::EmmcUser,
                    region_offset: ebr1_at,
                    size: Some(0x8_0000),
                },
            ],
            images: vec![],
            lcm: LcmReport::default(),
            preloader: Some(PreloaderFacts {
                layout: PreloaderLayout::Flashable,
                identity: crate::firmware::preloader::PreloaderIdentity {
                    build_name: None,
                    project: Some(project.into()),
                    emi_version: Some(emi),
                },
                ram_parts: Vec::new(),
            }),
            checksum_ini: None,
            problems: vec![],
        }
    }

    fn board() -> BoardFacts {
        BoardFacts {
            origin: "profile a516_row".into(),
            storage: Some(Storage::Emmc),
            preloader_project: Some("a516_row".into()),
            emi_version: Some(11),
            boot_region_size: Some(6 << 20),
            layout: rom("a516_row", 11, 6 << 20, 0x8_0000).layout[1..].to_vec(),
        }
    }

    #[test]
    fn the_same_board_has_no_finding_and_unknowns_are_not_findings() {
        assert!(check(&rom("A516_ROW", 11, 6 << 20, 0x8_0000), &board()).is_empty());
        let unknown = BoardFacts {
            origin: "the phone".into(),
            ..BoardFacts::default()
        };
        assert!(check(&rom("other", 9, 20 << 20, 0x10_0000), &unknown).is_empty());
    }

    #[test]
    fn another_board_is_named_on_every_aspect() {
        let findings = check(&rom("konka72", 9, 20 << 20, 0x10_0000), &board());
        let aspects: Vec<Aspect> = findings.iter().map(|f| f.aspect).collect();
        assert_eq!(
            aspects,
            [
                Aspect::PreloaderProject,
                Aspect::EmiVersion,
                Aspect::BootRegion,
                Aspect::Layout
            ]
        );
        assert!(findings[0].message.contains("konka72"));
        assert!(findings[0].message.contains("a516_row"));
        assert!(
            findings[2].message.contains("20 MiB boot region"),
            "{findings:?}"
        );
        assert!(findings[2].message.contains("6 MiB"), "{findings:?}");
        assert!(
            findings[3]
                .message
                .contains("EBR1 at physical 0x100000 of the user area"),
            "{findings:?}"
        );
        let advice = advice(&findings);
        assert!(
            advice.contains("never its PRELOADER, MBR, EBR1/EBR2"),
            "{advice}"
        );
        assert!(!advice.contains("without UBOOT"), "{advice}");
    }
}
