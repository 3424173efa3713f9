//! The planner's scenarios, and property tests that try to break its invariants over random
//! layouts, selections, backups and overrides.

use proptest::prelude::*;

use super::*;
use crate::{
    device::target::Partition,
    error::Advice,
    firmware::{preloader::PreloaderIdentity, scatter::Storage},
    flash::facts::{BackedUp, RomImage, Span},
};

const BOOT1: u64 = 0x40_0000;
const USER: u64 = 0x1000_0000;

/// The user-area layout of the test board: name and size, laid end to end from 0.
const LAYOUT: [(&str, u64); 12] = [
    ("MBR", 0x8_0000),
    ("EBR1", 0x8_0000),
    ("PRO_INFO", 0x30_0000),
    ("NVRAM", 0x50_0000),
    ("PROTECT_F", 0xA0_0000),
    ("PROTECT_S", 0xA0_0000),
    ("SECCFG", 0x2_0000),
    ("UBOOT", 0x6_0000),
    ("BOOTIMG", 0x60_0000),
    ("RECOVERY", 0x60_0000),
    ("ANDROID", 0x400_0000),
    ("USRDATA", 0x200_0000),
];

fn identity(project: &str, emi: u32) -> PreloaderIdentity {
    PreloaderIdentity {
        build_name: Some(format!("preloader_{project}")),
        project: Some(project.into()),
        emi_version: Some(emi),
    }
}

fn lay_out(sizes: &[(&str, u64)]) -> Vec<(String, u64, u64)> {
    let mut at = 0;
    sizes
        .iter()
        .map(|(n, s)| {
            let p = ((*n).to_string(), at, *s);
            at += s;
            p
        })
        .collect()
}

fn device_with(sizes: &[(&str, u64)]) -> DeviceFacts {
    let mut partitions = vec![Partition {
        name: "PRELOADER".into(),
        region: Region::Boot1,
        offset: 0,
        size: BOOT1,
    }];
    partitions.extend(
        lay_out(sizes)
            .into_iter()
            .map(|(name, offset, size)| Partition {
                name,
                region: Region::User,
                offset,
                size,
            }),
    );
    DeviceFacts {
        key: "emmc-0011".into(),
        hw_code: 0x6572,
        storage: Some(Storage::Emmc),
        regions: vec![
            (Region::Boot1, BOOT1),
            (Region::Boot2, BOOT1),
            (Region::User, USER),
        ],
        partitions,
        preloader: Some(identity("bench_demo", 10)),
    }
}

fn image(name: &str, size: u64) -> RomImage {
    RomImage {
        file: format!("{}.img", name.to_lowercase()),
        download: true,
        size: Some(size),
        sha256: Some(format!("{:064x}", size)),
    }
}

fn rom_with(sizes: &[(&str, u64)]) -> RomView {
    let mut partitions = vec![RomPartition {
        name: "PRELOADER".into(),
        region: Region::Boot1,
        offset: 0,
        size: Some(0x4_0000),
        bootloader: true,
        image: Some(image("PRELOADER", 0x1_0000)),
    }];
    partitions.extend(
        lay_out(sizes)
            .into_iter()
            .map(|(name, offset, size)| RomPartition {
                image: Some(image(&name, size / 2)),
                name,
                region: Region::User,
                offset,
                size: Some(size),
                bootloader: false,
            }),
    );
    RomView {
        platform: Some("MT6572".into()),
        storage: Storage::Emmc,
        partitions,
        preloader: Some(identity("bench_demo", 10)),
    }
}

fn backup(device: &DeviceFacts, this_session: bool) -> BackupFacts {
    BackupFacts {
        id: "b1".into(),
        device_key: device.key.clone(),
        verified: true,
        this_session,
        partitions: device
            .partitions
            .iter()
            .filter(|p| is_nvram_set(&p.name))
            .map(|p| BackedUp {
                name: p.name.clone(),
                size: p.size,
                sha256: "ab".repeat(32),
            })
            .collect(),
    }
}

fn request(mode: Mode) -> Request<'static> {
    Request {
        mode,
        selection: None,
        backup: None,
        overrides: Overrides::default(),
        planning: Planning::default(),
    }
}

fn actions(plan: &Plan, action: Action) -> Vec<&str> {
    plan.steps()
        .iter()
        .filter(|s| s.action() == action)
        .map(|s| s.partition())
        .collect()
}

/// The test board with EBR1 grown and everything after it moved: another layout.
fn moved_layout() -> Vec<(&'static str, u64)> {
    let mut sizes = LAYOUT.to_vec();
    sizes[1].1 = 0x10_0000;
    sizes
}

#[test]
fn download_only_writes_every_image_but_the_identity_in_scatter_order() {
    let plan = build(
        &device_with(&LAYOUT),
        &rom_with(&LAYOUT),
        &request(Mode::DownloadOnly),
    )
    .unwrap();
    let written = actions(&plan, Action::Write);
    assert_eq!(
        written,
        [
            "PRELOADER",
            "MBR",
            "EBR1",
            "SECCFG",
            "UBOOT",
            "BOOTIMG",
            "RECOVERY",
            "ANDROID",
            "USRDATA"
        ]
    );
    assert_eq!(
        actions(&plan, Action::Skip),
        ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"]
    );
    assert!(actions(&plan, Action::Erase).is_empty());
    assert!(
        plan.warnings()
            .iter()
            .filter(|w| w.contains("clone"))
            .count()
            == 4
    );
    let boot = plan
        .steps()
        .iter()
        .find(|s| s.partition() == "BOOTIMG")
        .unwrap();
    assert_eq!(
        (boot.region(), boot.addr(), boot.length()),
        (Region::User, 0x1D8_0000, 0x30_0000)
    );
    assert_eq!(
        boot.source(),
        Some(&Source::Image {
            file: "bootimg.img".into(),
            sha256: Some(format!("{:064x}", 0x30_0000))
        })
    );
}

#[test]
fn download_only_with_a_selection_keeps_the_rest() {
    let names = ["bootimg".to_string()];
    let req = Request {
        selection: Some(&names),
        ..request(Mode::DownloadOnly)
    };
    let plan = build(&device_with(&LAYOUT), &rom_with(&LAYOUT), &req).unwrap();
    assert_eq!(actions(&plan, Action::Write), ["BOOTIMG"]);
    assert_eq!(actions(&plan, Action::Keep).len(), 12);
    assert_eq!(plan.bytes_to_write(), 0x30_0000);
}

#[test]
fn download_only_is_refused_on_another_layout_with_each_difference() {
    let err = build(
        &device_with(&LAYOUT),
        &rom_with(&moved_layout()),
        &request(Mode::DownloadOnly),
    )
    .unwrap_err();
    let PlanError::LayoutDiffers { differences } = &err else {
        panic!("{err:?}")
    };
    // EBR1 grew; everything after it moved.
    assert_eq!(differences.len(), 11);
    assert_eq!(differences[0].partition, "EBR1");
    assert_eq!(
        differences[0].rom,
        Some(Span {
            region: Region::User,
            offset: 0x8_0000,
            size: Some(0x10_0000)
        })
    );
    let text = err.to_string();
    assert!(
        text.contains("EBR1: phone user 0x80000 size 0x80000, ROM user 0x80000 size 0x100000"),
        "{text}"
    );
    assert_eq!(err.remedy().unwrap().mode, Mode::FirmwareUpgrade);
}

#[test]
fn firmware_upgrade_backs_up_formats_downloads_and_restores() {
    let device = device_with(&LAYOUT);
    let rom = rom_with(&moved_layout());
    let plan = build(&device, &rom, &request(Mode::FirmwareUpgrade)).unwrap();
    let order: Vec<Action> = plan.steps().iter().map(|s| s.action()).collect();
    let first = |a| order.iter().position(|x| *x == a).unwrap();
    let last = |a| order.iter().rposition(|x| *x == a).unwrap();
    assert!(last(Action::Backup) < first(Action::Erase));
    assert!(last(Action::Erase) < first(Action::Write));
    assert!(last(Action::Write) < first(Action::Restore));
    assert_eq!(
        actions(&plan, Action::Backup),
        ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"]
    );
    assert_eq!(
        actions(&plan, Action::Restore),
        ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"]
    );
    // The restore goes to the ROM's (new) place, from the backup this plan takes.
    let nvram = plan
        .steps()
        .iter()
        .find(|s| s.action() == Action::Restore && s.partition() == "NVRAM")
        .unwrap();
    assert_eq!((nvram.addr(), nvram.length()), (0x48_0000, 0x50_0000));
    assert_eq!(
        nvram.source(),
        Some(&Source::Backup {
            id: None,
            sha256: None
        })
    );
    assert!(!actions(&plan, Action::Erase).contains(&"PRELOADER"));
    assert_eq!(plan.backup(), None);
}

#[test]
fn the_modes_that_format_write_the_roms_table_before_any_other_image() {
    // EBR2 sits after UBOOT, as on MT6572 boards; its table names the partitions after it.
    let mut sizes = LAYOUT.to_vec();
    sizes.insert(8, ("EBR2", 0x8_0000));
    let device = device_with(&sizes);
    let rom = rom_with(&sizes);
    let upgrade = build(&device, &rom, &request(Mode::FirmwareUpgrade)).unwrap();
    let writes = actions(&upgrade, Action::Write);
    assert_eq!(writes[..3], ["MBR", "EBR1", "EBR2"], "{writes:?}");
    let ebr2 = upgrade
        .steps()
        .iter()
        .find(|s| s.action() == Action::Write && s.partition() == "EBR2")
        .unwrap();
    assert!(ebr2.why().contains("read again"), "{}", ebr2.why());
    let backup = backup(&device, false);
    let format = build(
        &device,
        &rom,
        &Request {
            backup: Some(&backup),
            overrides: Overrides {
                erases_identity: true,
                ..Overrides::default()
            },
            ..request(Mode::FormatAll)
        },
    )
    .unwrap();
    assert_eq!(
        actions(&format, Action::Write)[..3],
        ["MBR", "EBR1", "EBR2"]
    );
    // Download Only keeps the scatter's order: the layout does not change.
    let download = build(&device, &rom, &request(Mode::DownloadOnly)).unwrap();
    let writes = actions(&download, Action::Write);
    let at = |name: &str| writes.iter().position(|w| *w == name).unwrap();
    assert!(at("UBOOT") < at("EBR2"), "{writes:?}");
}

#[test]
fn firmware_upgrade_uses_a_verified_backup_taken_in_this_connection() {
    let device = device_with(&LAYOUT);
    let b = backup(&device, true);
    let req = Request {
        backup: Some(&b),
        ..request(Mode::FirmwareUpgrade)
    };
    let plan = build(&device, &rom_with(&LAYOUT), &req).unwrap();
    assert!(actions(&plan, Action::Backup).is_empty());
    assert_eq!(plan.backup(), Some("b1"));
    let restore = plan
        .steps()
        .iter()
        .find(|s| s.action() == Action::Restore)
        .unwrap();
    assert_eq!(
        restore.source(),
        Some(&Source::Backup {
            id: Some("b1".into()),
            sha256: Some("ab".repeat(32))
        })
    );
    // An older backup is not trusted for this: the plan takes a fresh one.
    let old = backup(&device, false);
    let req = Request {
        backup: Some(&old),
        ..request(Mode::FirmwareUpgrade)
    };
    let plan = build(&device, &rom_with(&LAYOUT), &req).unwrap();
    assert_eq!(actions(&plan, Action::Backup).len(), 4);
    assert_eq!(plan.backup(), None);
}

#[test]
fn firmware_upgrade_is_refused_when_the_nvram_set_changes_size() {
    let mut sizes = LAYOUT.to_vec();
    sizes[3].1 = 0x40_0000;
    let err = build(
        &device_with(&LAYOUT),
        &rom_with(&sizes),
        &request(Mode::FirmwareUpgrade),
    )
    .unwrap_err();
    let PlanError::NvramDoesNotFit { differences, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(differences.len(), 1);
    assert_eq!(differences[0].partition, "NVRAM");
    assert!(err.help().contains("IMEI"));
}

#[test]
fn a_rom_layout_with_an_identity_partition_the_phone_lacks_is_refused() {
    // The phone has no PROTECT_F where the ROM's layout puts one: formatting it would leave
    // an identity partition with nothing of this phone's to restore into it.
    let phone: Vec<(&str, u64)> = LAYOUT
        .iter()
        .map(|&(n, size)| {
            if n == "PROTECT_F" {
                ("CACHE", size)
            } else {
                (n, size)
            }
        })
        .collect();
    for mode in [Mode::FirmwareUpgrade, Mode::FormatAll] {
        let err = build(&device_with(&phone), &rom_with(&LAYOUT), &request(mode)).unwrap_err();
        let PlanError::NvramDoesNotFit { differences, .. } = &err else {
            panic!("{mode:?}: {err:?}")
        };
        assert_eq!(differences.len(), 1, "{differences:?}");
        assert_eq!(differences[0].partition, "PROTECT_F");
        assert!(
            differences[0].to_string().contains("not on the phone"),
            "{err}"
        );
    }
}

#[test]
fn format_all_needs_a_verified_backup_of_this_phone_and_the_confirmation() {
    let device = device_with(&LAYOUT);
    let rom = rom_with(&LAYOUT);
    let confirmed = Overrides {
        erases_identity: true,
        ..Overrides::default()
    };
    let with = |backup: Option<&BackupFacts>, overrides| {
        build(
            &device,
            &rom,
            &Request {
                backup,
                overrides,
                ..request(Mode::FormatAll)
            },
        )
    };
    assert!(matches!(
        with(None, confirmed),
        Err(PlanError::NeedsVerifiedBackup { .. })
    ));
    let mut other = backup(&device, false);
    other.device_key = "emmc-ffff".into();
    let err = with(Some(&other), confirmed).unwrap_err();
    assert!(err.to_string().contains("another phone"), "{err}");
    let mut unverified = backup(&device, false);
    unverified.verified = false;
    assert!(matches!(
        with(Some(&unverified), confirmed),
        Err(PlanError::NeedsVerifiedBackup { .. })
    ));
    let good = backup(&device, false);
    assert_eq!(
        with(Some(&good), Overrides::default()),
        Err(PlanError::NotConfirmed)
    );
    let plan = with(Some(&good), confirmed).unwrap();
    assert!(actions(&plan, Action::Backup).is_empty());
    assert_eq!(actions(&plan, Action::Erase).len(), 12);
    assert_eq!(actions(&plan, Action::Restore).len(), 4);
    assert_eq!(plan.backup(), Some("b1"));
}

#[test]
fn format_all_in_a_repair_plans_its_backup_first_and_a_preview_names_the_confirmation() {
    let device = device_with(&LAYOUT);
    let rom = rom_with(&LAYOUT);
    let confirmed = Overrides {
        erases_identity: true,
        ..Overrides::default()
    };
    let with = |backup: Option<&BackupFacts>, overrides, planning| {
        build(
            &device,
            &rom,
            &Request {
                backup,
                overrides,
                planning,
                ..request(Mode::FormatAll)
            },
        )
    };
    let repair = Planning {
        backup_first: true,
        preview: false,
    };
    let dry_run = Planning {
        backup_first: true,
        preview: true,
    };
    // A repair takes the backup before anything is erased: its plan reads the NVRAM set
    // first, and says so.
    let plan = with(None, confirmed, repair).unwrap();
    let first_erase = plan
        .steps()
        .iter()
        .position(|s| s.action() == Action::Erase)
        .unwrap();
    let backups: Vec<usize> = (0..plan.steps().len())
        .filter(|&i| plan.steps()[i].action() == Action::Backup)
        .collect();
    assert_eq!(backups.len(), 4);
    assert!(backups.iter().all(|&i| i < first_erase), "{plan:?}");
    assert_eq!(actions(&plan, Action::Restore).len(), 4);
    assert!(
        actions(&plan, Action::Write)
            .iter()
            .all(|p| !is_nvram_set(p))
    );
    assert_eq!(plan.backup(), None);
    assert!(
        plan.warnings()
            .iter()
            .any(|w| w.contains("no verified identity backup yet")
                && w.contains("before anything is erased")),
        "{:?}",
        plan.warnings()
    );
    assert!(!plan.warnings().iter().any(|w| w.contains("--i-understand")));
    // Not confirmed: refused for real, shown with the confirmation it needs in a dry run.
    assert_eq!(
        with(None, Overrides::default(), repair),
        Err(PlanError::NotConfirmed)
    );
    let preview = with(None, Overrides::default(), dry_run).unwrap();
    assert_eq!(preview.steps(), plan.steps());
    assert!(
        preview
            .warnings()
            .iter()
            .any(|w| w.contains("--i-understand-this-erases-identity")
                && w.contains("typing the confirmation")),
        "{:?}",
        preview.warnings()
    );
    // With a verified backup at hand, none is taken, whatever the caller could do.
    let good = backup(&device, false);
    let plan = with(Some(&good), confirmed, dry_run).unwrap();
    assert!(actions(&plan, Action::Backup).is_empty());
    assert_eq!(plan.backup(), Some("b1"));
    // A flash (no backup of its own first) still refuses without one.
    assert!(matches!(
        with(None, confirmed, Planning::default()),
        Err(PlanError::NeedsVerifiedBackup { .. })
    ));
}

#[test]
fn the_preloader_of_another_board_is_kept_unless_overridden() {
    let device = device_with(&LAYOUT);
    for other in [identity("other_board", 10), identity("bench_demo", 11)] {
        let mut rom = rom_with(&LAYOUT);
        rom.preloader = Some(other);
        let plan = build(&device, &rom, &request(Mode::DownloadOnly)).unwrap();
        let pre = &plan.steps()[0];
        assert_eq!((pre.partition(), pre.action()), ("PRELOADER", Action::Skip));
        assert!(pre.why().contains("hard brick"), "{}", pre.why());
        let req = Request {
            overrides: Overrides {
                preloader_of_another_board: true,
                ..Overrides::default()
            },
            ..request(Mode::DownloadOnly)
        };
        let plan = build(&device, &rom, &req).unwrap();
        assert_eq!(plan.steps()[0].action(), Action::Write);
        assert!(plan.warnings().iter().any(|w| w.contains("override")));
    }
    // A phone whose preloader could not be read: not confirmed either.
    let mut unread = device.clone();
    unread.preloader = None;
    let plan = build(&unread, &rom_with(&LAYOUT), &request(Mode::DownloadOnly)).unwrap();
    assert_eq!(plan.steps()[0].action(), Action::Skip);
}

#[test]
fn an_image_larger_than_its_partition_is_refused() {
    let mut rom = rom_with(&LAYOUT);
    let boot = rom
        .partitions
        .iter_mut()
        .find(|p| p.name == "BOOTIMG")
        .unwrap();
    boot.image.as_mut().unwrap().size = Some(0x60_0001);
    let err = build(&device_with(&LAYOUT), &rom, &request(Mode::DownloadOnly)).unwrap_err();
    assert!(
        matches!(err, PlanError::ImageTooLarge { ref partition, image: 0x60_0001, .. } if partition == "BOOTIMG")
    );
}

#[test]
fn a_layout_beyond_the_phone_is_refused() {
    let mut device = device_with(&LAYOUT);
    device.regions[2].1 = 0x500_0000;
    let err = build(&device, &rom_with(&LAYOUT), &request(Mode::FirmwareUpgrade)).unwrap_err();
    assert!(
        matches!(err, PlanError::OutsideDevice { ref partition, .. } if partition == "ANDROID"),
        "{err:?}"
    );
}

#[test]
fn a_rom_for_another_chip_or_storage_is_refused() {
    let device = device_with(&LAYOUT);
    let mut rom = rom_with(&LAYOUT);
    rom.platform = Some("MT6582".into());
    assert!(matches!(
        build(&device, &rom, &request(Mode::DownloadOnly)),
        Err(PlanError::WrongChip { .. })
    ));
    let mut rom = rom_with(&LAYOUT);
    rom.storage = Storage::Nand;
    let err = build(&device, &rom, &request(Mode::DownloadOnly)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "this ROM is for NAND storage, the phone has EMMC: it is not for this phone"
    );
}

#[test]
fn selections_are_checked() {
    let device = device_with(&LAYOUT);
    let rom = rom_with(&LAYOUT);
    let names = ["LOGO".to_string()];
    let req = Request {
        selection: Some(&names),
        ..request(Mode::DownloadOnly)
    };
    let err = build(&device, &rom, &req).unwrap_err();
    assert!(matches!(err, PlanError::NotInRom { .. }));
    assert!(err.help().contains("BOOTIMG"));
    let names = ["BOOTIMG".to_string()];
    let req = Request {
        selection: Some(&names),
        ..request(Mode::FirmwareUpgrade)
    };
    assert!(matches!(
        build(&device, &rom, &req),
        Err(PlanError::SelectionNotAllowed { .. })
    ));
}

#[test]
fn a_missing_image_is_refused() {
    let mut rom = rom_with(&LAYOUT);
    rom.partitions[9].image.as_mut().unwrap().size = None;
    let err = build(&device_with(&LAYOUT), &rom, &request(Mode::DownloadOnly)).unwrap_err();
    assert!(matches!(err, PlanError::MissingImage { ref partition, .. } if partition == "BOOTIMG"));
}

#[test]
fn modes_parse_from_the_command_line_spelling() {
    assert_eq!("format-all".parse(), Ok(Mode::FormatAll));
    assert_eq!("Download-Only".parse(), Ok(Mode::DownloadOnly));
    assert!(
        "format"
            .parse::<Mode>()
            .unwrap_err()
            .contains("firmware-upgrade")
    );
}

// Property tests: random boards, ROMs, selections, backups and overrides.

/// A random list of (name, size) for the user area, from a pool that holds the NVRAM set.
fn arb_layout() -> impl Strategy<Value = Vec<(&'static str, u64)>> {
    proptest::sample::subsequence(LAYOUT.to_vec(), 4..=LAYOUT.len()).prop_flat_map(|parts| {
        let n = parts.len();
        (Just(parts), proptest::collection::vec(1u64..0x80u64, n)).prop_map(|(parts, sizes)| {
            parts
                .into_iter()
                .zip(sizes)
                .map(|((name, _), s)| (name, s * 0x2_0000))
                .collect()
        })
    })
}

#[derive(Debug, Clone)]
struct Case {
    device: DeviceFacts,
    rom: RomView,
    mode: Mode,
    selection: Option<Vec<String>>,
    backup: Option<BackupFacts>,
    overrides: Overrides,
    planning: Planning,
}

fn arb_case() -> impl Strategy<Value = Case> {
    (
        arb_layout(),
        prop_oneof![Just(None), arb_layout().prop_map(Some)],
        0usize..3,
        proptest::collection::vec(any::<u8>(), 16),
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            0u8..4,
            0u8..4,
        ),
        0x100_0000u64..0x2000_0000,
        proptest::option::of(proptest::sample::subsequence(
            LAYOUT.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            0..4,
        )),
        (any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(dev, rom_layout, mode, grow, flags, user, selection, planning)| {
                let mut device = device_with(&dev);
                device.regions[2].1 = user;
                let mut rom = rom_with(rom_layout.as_deref().unwrap_or(&dev));
                // Images of random size: some larger than their partition, some missing.
                for (p, g) in rom.partitions.iter_mut().zip(&grow) {
                    if let (Some(img), Some(size)) = (p.image.as_mut(), p.size) {
                        img.size = match g % 64 {
                            0 => None,
                            1 => Some(size + u64::from(*g)),
                            2 | 3 => Some(size),
                            _ => Some(size * u64::from(*g) / 256),
                        };
                        img.download = g % 16 != 5;
                    }
                }
                let (pre_match, this_session, confirm, override_pre, backup_kind, sel_kind) = flags;
                if !pre_match {
                    rom.preloader = Some(identity("other_board", 10));
                }
                let backup = match backup_kind {
                    0 => None,
                    1 => Some(backup(&device, this_session)),
                    2 => Some(BackupFacts {
                        device_key: "emmc-other".into(),
                        ..backup(&device, this_session)
                    }),
                    _ => Some(BackupFacts {
                        verified: false,
                        ..backup(&device, this_session)
                    }),
                };
                let mode = [Mode::DownloadOnly, Mode::FirmwareUpgrade, Mode::FormatAll][mode];
                let selection = selection
                    .filter(|_| sel_kind == 0)
                    .map(|s| s.into_iter().map(String::from).collect());
                Case {
                    device,
                    rom,
                    mode,
                    selection,
                    backup,
                    overrides: Overrides {
                        preloader_of_another_board: override_pre,
                        erases_identity: confirm,
                    },
                    planning: Planning {
                        backup_first: planning.0,
                        preview: planning.1,
                    },
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_plan_breaks_an_invariant(case in arb_case()) {
        let req = Request {
            mode: case.mode,
            selection: case.selection.as_deref(),
            backup: case.backup.as_ref(),
            overrides: case.overrides,
            planning: case.planning,
        };
        let Ok(plan) = build(&case.device, &case.rom, &req) else { return Ok(()) };
        let trusted_backup = case.backup.as_ref().is_some_and(|b| b.verified && b.device_key == case.device.key);
        // What the confirmation tells the technician agrees with the steps: no plan leaves
        // the identity erased or overwritten.
        prop_assert!(!matches!(plan.identity(), Identity::AtRisk(_)), "{plan:?}");
        if plan.steps().iter().any(|s| s.action() == Action::Restore) {
            prop_assert!(matches!(plan.identity(), Identity::Restored(_)), "{plan:?}");
        }
        for step in plan.steps() {
            let nvram = is_nvram_set(step.partition());
            // The NVRAM set is written only by a restore from a verified backup of this phone
            // (an existing one, or the one this plan's own backup steps take first).
            if step.action() == Action::Write {
                prop_assert!(!nvram, "{step:?}");
            }
            if step.action() == Action::Restore {
                prop_assert!(nvram);
                let backed_up_here = plan.steps().iter().any(|s| s.action() == Action::Backup && s.partition().eq_ignore_ascii_case(step.partition()));
                prop_assert!(backed_up_here || (trusted_backup && plan.backup().is_some()), "{plan:?}");
            }
            if step.action() == Action::Erase && nvram {
                prop_assert!(plan.steps().iter().any(|s| s.action() == Action::Restore && s.partition() == step.partition()));
            }
            if step.action().changes_phone() {
                // Inside a partition of the layout written, and inside the phone.
                let part = case.rom.partition(step.partition()).unwrap();
                let region = case.device.region_size(step.region()).unwrap();
                let end = step.addr() + step.length();
                prop_assert_eq!(step.region(), part.region);
                prop_assert!(step.addr() >= part.offset);
                prop_assert!(end <= part.offset + part.size.unwrap_or(region - part.offset));
                prop_assert!(end <= region);
                if step.action() == Action::Write {
                    prop_assert!(step.length() <= part.size.unwrap_or(u64::MAX));
                }
                // The preloader only when it matches the board, or by the explicit override.
                if part.bootloader {
                    prop_assert_eq!(step.action(), Action::Write);
                    prop_assert!(preloader_matches(&case.device, &case.rom) || case.overrides.preloader_of_another_board);
                }
            }
        }
        // The order the executor relies on in the modes that format: the identity backed up
        // (or a verified one named) before the first erase, the ROM's table written before
        // any other image (the phone's table is then read again), the restores last, and
        // every NVRAM-set partition that is formatted restored.
        if plan.mode() != Mode::DownloadOnly {
            let at = |pred: &dyn Fn(&Step) -> bool| -> Vec<usize> {
                plan.steps().iter().enumerate().filter(|(_, s)| pred(s)).map(|(i, _)| i).collect()
            };
            let backups = at(&|s| s.action() == Action::Backup);
            let erases = at(&|s| s.action() == Action::Erase);
            let tables = at(&|s| s.action() == Action::Write && is_layout(s.partition()));
            let images = at(&|s| s.action() == Action::Write && !is_layout(s.partition()));
            let restores = at(&|s| s.action() == Action::Restore);
            prop_assert!(!backups.is_empty() || plan.backup().is_some(), "{plan:?}");
            let last = |v: &[usize]| v.last().copied();
            let first = |v: &[usize]| v.first().copied();
            prop_assert!(last(&backups) < first(&erases).or(Some(usize::MAX)), "{plan:?}");
            prop_assert!(last(&erases) < first(&tables).or(first(&images)).or(first(&restores)).or(Some(usize::MAX)), "{plan:?}");
            prop_assert!(last(&tables) < first(&images).or(first(&restores)).or(Some(usize::MAX)), "{plan:?}");
            prop_assert!(last(&images) < first(&restores).or(Some(usize::MAX)), "{plan:?}");
            for s in plan.steps().iter().filter(|s| s.action() == Action::Erase && is_nvram_set(s.partition())) {
                prop_assert!(plan.steps().iter().any(|r| r.action() == Action::Restore && r.partition() == s.partition()), "{plan:?}");
            }
        }
        match plan.mode() {
            Mode::DownloadOnly => prop_assert!(differences(&case.device, &case.rom).is_empty()),
            // Format All + Download: with a verified backup of this phone, or its own backup
            // steps first when the caller takes one (a repair); confirmed, or only shown.
            Mode::FormatAll => {
                let backed_up = plan.steps().iter().any(|s| s.action() == Action::Backup);
                prop_assert!(trusted_backup || (case.planning.backup_first && backed_up), "{plan:?}");
                prop_assert!(case.overrides.erases_identity || case.planning.preview, "{plan:?}");
            }
            Mode::FirmwareUpgrade => {}
        }
        // Identity images inside the ROM are never written.
        for p in case.rom.partitions.iter().filter(|p| is_nvram_set(&p.name)) {
            prop_assert!(!plan.steps().iter().any(|s| s.partition() == p.name && s.action() == Action::Write));
        }
    }
}

/// The random cases reach plans in every mode (so the property above checks real plans, not
/// only refusals).
#[test]
fn random_cases_reach_plans_in_every_mode() {
    use proptest::{
        strategy::ValueTree,
        test_runner::{Config, TestRunner},
    };
    let mut runner = TestRunner::new(Config::default());
    let strategy = arb_case();
    let mut made = [0usize; 3];
    for _ in 0..2000 {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let req = Request {
            mode: case.mode,
            selection: case.selection.as_deref(),
            backup: case.backup.as_ref(),
            overrides: case.overrides,
            planning: case.planning,
        };
        if build(&case.device, &case.rom, &req).is_ok() {
            made[case.mode as usize] += 1;
        }
    }
    assert!(
        made.iter().all(|&n| n >= 10),
        "plans made per mode: {made:?}"
    );
}
