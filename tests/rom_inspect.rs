//! `rom inspect` on ROM packages built here in a temporary folder: a full folder, the same as
//! a .zip (scatter in a subfolder), a zip with a `../evil` entry, and the CLI's JSON.

mod common;

use common::rom::{boot_img, scatter, write_folder, write_zip};
use mtkbench::firmware::{
    checksum::checksum16,
    rom::{self, ChecksumStatus, ImageReport, RomReport, Severity},
    synth::{self, TableEntry},
};

/// The flashable preloader of project `bench_demo` (EMI info v11).
fn preloader() -> Vec<u8> {
    synth::preloader("bench_demo", 11)
}

/// An MBR/EBR sector with `entries` (type, start LBA, sectors).
fn table(entries: &[(u8, u32, u32)]) -> Vec<u8> {
    let entries: Vec<TableEntry> = entries
        .iter()
        .map(|&(type_code, start_lba, sectors)| TableEntry {
            type_code,
            start_lba,
            sectors,
        })
        .collect();
    synth::partition_sector(&entries)
}

fn lk() -> Vec<u8> {
    synth::lk_image(&[
        "lcm_compare_id",
        "hx8369b_fwvga_dsi_vdo",
        "mt6572v1_phone",
        "bx9901_wvga_dsi_vdo_own",
    ])
}

/// The files of the package, by name.
fn files() -> Vec<(&'static str, Vec<u8>)> {
    let mut ext4 = vec![0u8; 8192];
    ext4[0x438..0x43A].copy_from_slice(&[0x53, 0xEF]);
    let pre = preloader();
    let lk = lk();
    let checksum_ini = format!(
        "[VERSION]\r\nVERSION=V1\r\nTOOL=v3.1316.0\r\n[IsEnableChecksum]\r\nCHECKSUM_SWITCH=1\r\n\
         [CheckSum]\r\nPRELOADER=0x{:04X}\r\nUBOOT=0x{:04X}\r\nANDROID=0x{:04X}\r\n",
        checksum16(&pre),
        checksum16(&lk),
        checksum16(&ext4).wrapping_add(1),
    );
    vec![
        (
            "MT6572_Android_scatter.txt",
            scatter("MT6572", "bench_demo", "recovery.img").into_bytes(),
        ),
        ("Checksum.ini", checksum_ini.into_bytes()),
        ("preloader_bench_demo.bin", pre),
        // As the scatter lays them out: EBR1 at physical 0x80000 of the user area, ANDROID at
        // 0x300000 (1 MiB), CACHE at 0x400000 = EBR1 + 0x380000 (1 MiB).
        (
            "MBR",
            table(&[(0x05, 0x400, u32::MAX), (0x83, 0x1800, 0x800)]),
        ),
        ("EBR1", table(&[(0x83, 0x1C00, 0x800)])),
        ("nvram.bin", vec![0x4E; 4096]),
        ("lk.bin", lk),
        (
            "boot.img",
            boot_img(&["otm8018b_dsi_vdo", "lcm_esd_check", "hx8369b_fwvga_dsi_vdo"]),
        ),
        ("recovery.img", vec![0xAB; 0x10001]),
        ("system.img", ext4),
    ]
}

fn image<'a>(report: &'a RomReport, partition: &str) -> &'a ImageReport {
    report
        .images
        .iter()
        .find(|i| i.partition == partition)
        .unwrap_or_else(|| panic!("no image for {partition}"))
}

fn problem_for(report: &RomReport, partition: &str, severity: Severity) -> String {
    report
        .problems
        .iter()
        .filter(|p| p.partition.as_deref() == Some(partition) && p.severity == severity)
        .map(|p| p.message.clone())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The checks shared by the folder and the zip form of the package.
fn assert_full_report(report: &RomReport) {
    assert_eq!(report.platform.as_deref(), Some("MT6572"));
    assert_eq!(report.project.as_deref(), Some("bench_demo"));
    // Partitions that name a file, in scatter order (NONE files are left out).
    let names: Vec<&str> = report.images.iter().map(|i| i.partition.as_str()).collect();
    assert_eq!(
        names,
        [
            "PRELOADER",
            "MBR",
            "EBR1",
            "NVRAM",
            "UBOOT",
            "BOOTIMG",
            "RECOVERY",
            "LOGO",
            "ANDROID",
            "CACHE"
        ]
    );

    let pre = image(report, "PRELOADER");
    assert!(pre.present && pre.fits == Some(true));
    assert_eq!(pre.kind.as_deref(), Some("preloader"));
    assert_eq!(pre.checksum, Some(ChecksumStatus::Ok));
    assert_eq!(pre.sha256.as_ref().unwrap().len(), 64);
    assert_eq!(pre.size, Some(preloader().len() as u64));

    assert_eq!(image(report, "MBR").kind.as_deref(), Some("mbr"));
    assert_eq!(image(report, "EBR1").kind.as_deref(), Some("ebr"));
    assert_eq!(image(report, "UBOOT").kind.as_deref(), Some("mtk:LK"));
    assert_eq!(image(report, "UBOOT").checksum, Some(ChecksumStatus::Ok));
    assert_eq!(
        image(report, "BOOTIMG").kind.as_deref(),
        Some("android-boot")
    );
    assert_eq!(
        image(report, "BOOTIMG").checksum,
        Some(ChecksumStatus::Unlisted)
    );
    assert_eq!(image(report, "ANDROID").kind.as_deref(), Some("ext4"));
    assert_eq!(
        image(report, "ANDROID").checksum,
        Some(ChecksumStatus::Mismatch)
    );
    assert_eq!(image(report, "NVRAM").kind.as_deref(), Some("raw"));

    let recovery = image(report, "RECOVERY");
    assert_eq!(recovery.fits, Some(false));
    assert!(problem_for(report, "RECOVERY", Severity::Error).contains("does not fit"));

    let logo = image(report, "LOGO");
    assert!(!logo.present && logo.sha256.is_none() && logo.checksum.is_none());
    assert!(problem_for(report, "LOGO", Severity::Error).contains("missing"));
    // Missing but not to be downloaded: listed, no problem.
    assert!(!image(report, "CACHE").present);
    assert_eq!(problem_for(report, "CACHE", Severity::Error), "");

    assert!(problem_for(report, "ANDROID", Severity::Error).contains("Checksum.ini expects"));
    assert!(problem_for(report, "NVRAM", Severity::Warning).contains("identity"));
    assert_eq!(problem_for(report, "PRELOADER", Severity::Warning), "");

    assert_eq!(
        report.lcm.lk,
        ["hx8369b_fwvga_dsi_vdo", "bx9901_wvga_dsi_vdo_own"]
    );
    assert_eq!(
        report.lcm.kernel,
        ["otm8018b_dsi_vdo", "hx8369b_fwvga_dsi_vdo"]
    );
    let pl = report.preloader.as_ref().unwrap();
    assert_eq!(pl.identity.project.as_deref(), Some("bench_demo"));
    assert_eq!(pl.identity.emi_version, Some(11));
    assert_eq!(report.checksum_ini.as_ref().unwrap().entries, 3);

    assert_eq!(report.count(Severity::Error), 3, "{:#?}", report.problems);
    assert_eq!(report.count(Severity::Warning), 1, "{:#?}", report.problems);
    // Errors come first.
    assert!(
        report
            .problems
            .windows(2)
            .all(|w| w[0].severity <= w[1].severity)
    );
}

#[test]
fn full_rom_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rom");
    write_folder(&dir, &files());
    let report = rom::inspect(&dir).unwrap();
    assert_eq!(report.container, "folder");
    assert_eq!(report.scatter, "MT6572_Android_scatter.txt");
    assert_full_report(&report);
    // Naming the scatter file itself inspects its folder.
    let by_scatter = rom::inspect(&dir.join("MT6572_Android_scatter.txt")).unwrap();
    assert_eq!(by_scatter.images, report.images);
}

#[test]
fn same_rom_as_a_zip_with_the_scatter_in_a_subfolder() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("rom");
    write_folder(&folder, &files());
    let zip = tmp.path().join("rom.zip");
    write_zip(&zip, "A516_ROM_S118/", &files());
    let report = rom::inspect(&zip).unwrap();
    assert_eq!(report.container, "zip");
    assert_eq!(report.scatter, "A516_ROM_S118/MT6572_Android_scatter.txt");
    assert_full_report(&report);
    // Byte for byte the same images as the folder.
    let from_folder = rom::inspect(&folder).unwrap();
    assert_eq!(report.images, from_folder.images);
}

#[test]
fn zip_slip_entries_and_names_are_refused_and_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = files();
    files[0].1 = scatter("MT6572", "bench_demo", "../evil").into_bytes();
    files.push(("../evil", vec![0xEE; 16]));
    let zip = tmp.path().join("evil.zip");
    write_zip(&zip, "", &files);
    let report = rom::inspect(&zip).unwrap();
    let recovery = image(&report, "RECOVERY");
    assert!(!recovery.present && recovery.sha256.is_none());
    assert!(problem_for(&report, "RECOVERY", Severity::Error).contains("outside"));
    assert!(
        report.problems.iter().any(|p| p.severity == Severity::Error
            && p.partition.is_none()
            && p.message.contains("\"../evil\"")),
        "{:#?}",
        report.problems
    );
}

#[test]
fn folder_names_escaping_the_package_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rom");
    let mut files = files();
    files[0].1 = scatter("MT6572", "bench_demo", "../outside.img").into_bytes();
    write_folder(&dir, &files);
    std::fs::write(tmp.path().join("outside.img"), b"secret").unwrap();
    let report = rom::inspect(&dir).unwrap();
    assert!(!image(&report, "RECOVERY").present);
    assert!(problem_for(&report, "RECOVERY", Severity::Error).contains("outside the ROM folder"));
}

#[cfg(unix)]
#[test]
fn symlinks_leading_out_of_the_package_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rom");
    write_folder(&dir, &files());
    std::fs::write(tmp.path().join("outside.img"), b"secret").unwrap();
    std::fs::remove_file(dir.join("recovery.img")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("outside.img"), dir.join("recovery.img")).unwrap();
    let report = rom::inspect(&dir).unwrap();
    assert!(!image(&report, "RECOVERY").present);
    assert!(problem_for(&report, "RECOVERY", Severity::Error).contains("outside"));
}

#[test]
fn other_platform_and_preloader_project_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rom");
    let mut files = files();
    files[0].1 = scatter("MT6582", "MTDTtest", "recovery.img").into_bytes();
    write_folder(&dir, &files);
    let report = rom::inspect(&dir).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.severity == Severity::Error && p.message.contains("MT6582")),
        "{:#?}",
        report.problems
    );
    let warning = problem_for(&report, "PRELOADER", Severity::Warning);
    assert!(
        warning.contains("bench_demo") && warning.contains("MTDTtest"),
        "{warning}"
    );
}

#[test]
fn missing_scatter_and_bad_paths_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("boot.img"), b"x").unwrap();
    let err = rom::inspect(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("no scatter file"), "{err}");
    assert_eq!(err.exit_code(), 2);
    let err = rom::inspect(&tmp.path().join("nope")).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let bad_zip = tmp.path().join("broken.zip");
    std::fs::write(&bad_zip, b"PK\x03\x04 this is not really a zip").unwrap();
    let err = rom::inspect(&bad_zip).unwrap_err();
    assert!(err.to_string().contains("not a readable zip"), "{err}");
}

#[test]
fn cli_json_has_the_documented_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rom");
    write_folder(&dir, &files());
    let out = common::mtkbench_in(tmp.path())
        .args(["--json", "rom", "inspect"])
        .arg(&dir)
        .output()
        .unwrap();
    // The package has errors: exit 1, and the JSON report is printed all the same.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the ROM package has 3 error(s)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "platform",
        "project",
        "storage",
        "images",
        "lcm",
        "preloader",
        "problems",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["platform"], "MT6572");
    assert_eq!(json["storage"], "EMMC");
    let images = json["images"].as_array().unwrap();
    for key in [
        "partition",
        "file",
        "present",
        "size",
        "sha256",
        "fits",
        "checksum",
        "kind",
    ] {
        assert!(
            images.iter().all(|i| i.get(key).is_some()),
            "image key {key}"
        );
    }
    let android = images.iter().find(|i| i["partition"] == "ANDROID").unwrap();
    assert_eq!(android["checksum"], "mismatch");
    assert_eq!(android["size"], 8192);
    assert!(json["lcm"]["lk"].is_array() && json["lcm"]["kernel"].is_array());
    assert_eq!(json["preloader"]["project"], "bench_demo");
    assert_eq!(json["preloader"]["emi_version"], 11);
    let problems = json["problems"].as_array().unwrap();
    assert!(problems.iter().all(|p| {
        matches!(p["severity"].as_str(), Some("error" | "warning"))
            && p.get("partition").is_some()
            && p["message"].is_string()
    }));
}

#[test]
fn cli_human_output_fits_80_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rom");
    write_folder(&dir, &files());
    let out = common::mtkbench_in(tmp.path())
        .args(["rom", "inspect"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(
        text.contains("MISSING") && text.contains("MISMATCH"),
        "{text}"
    );
    assert!(text.contains("3 error(s), 1 warning(s)"), "{text}");
}

#[test]
fn cli_exit_code_is_0_clean_1_with_errors_2_unreadable() {
    let tmp = tempfile::tempdir().unwrap();
    let clean = tmp.path().join("clean");
    let parts: [common::rom::Part<'_>; 2] = [
        (
            "PRELOADER",
            "preloader_bench_demo.bin",
            true,
            0,
            0x60_0000,
            mtkbench::firmware::scatter::Region::EmmcBoot1,
        ),
        (
            "UBOOT",
            "lk.bin",
            true,
            0x60_0000,
            0x6_0000,
            mtkbench::firmware::scatter::Region::EmmcUser,
        ),
    ];
    write_folder(
        &clean,
        &[
            (
                "MT6572_Android_scatter.txt",
                common::rom::scatter_of("MT6572", "bench_demo", &parts).into_bytes(),
            ),
            ("preloader_bench_demo.bin", preloader()),
            ("lk.bin", lk()),
        ],
    );
    let report = rom::inspect(&clean).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let run = |args: &[&str], path: &std::path::Path| {
        common::mtkbench_in(tmp.path())
            .args(args)
            .arg(path)
            .output()
            .unwrap()
    };
    for json in [false, true] {
        let args: &[&str] = if json {
            &["--json", "rom", "inspect"]
        } else {
            &["rom", "inspect"]
        };
        let out = run(args, &clean);
        assert_eq!(out.status.code(), Some(0), "clean, json {json}");
        assert!(!out.stdout.is_empty());
        let broken = tmp.path().join("broken");
        write_folder(&broken, &files());
        let out = run(args, &broken);
        assert_eq!(out.status.code(), Some(1), "errors, json {json}");
        assert!(!out.stdout.is_empty(), "the report still prints");
        if json {
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap();
        }
        let out = run(args, &tmp.path().join("nothing-here"));
        assert_eq!(out.status.code(), Some(2), "unreadable, json {json}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn mbr_and_ebr_are_resolved_to_absolute_offsets_and_checked_against_the_scatter() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rom");
    write_folder(&dir, &files());
    let report = rom::inspect(&dir).unwrap();
    assert_eq!(problem_for(&report, "EBR1", Severity::Error), "");
    assert_eq!(problem_for(&report, "MBR", Severity::Error), "");
    let resolved = |report: &RomReport, name: &str| match &image(report, name).detail {
        Some(rom::ImageContent::PartitionTable { resolved, .. }) => {
            resolved.iter().map(|r| r.user_offset).collect::<Vec<_>>()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(resolved(&report, "MBR"), [0x8_0000, 0x30_0000]);
    // Counted from EBR1's own place (0x80000), not from the start of the user area.
    assert_eq!(resolved(&report, "EBR1"), [0x40_0000]);

    // An EBR1 from another build: its CACHE lies 0x80000 lower than the scatter's.
    let mut files = files();
    let ebr = files.iter_mut().find(|(n, _)| *n == "EBR1").unwrap();
    ebr.1 = table(&[(0x83, 0x1800, 0x800)]);
    write_folder(&dir, &files);
    let report = rom::inspect(&dir).unwrap();
    let error = problem_for(&report, "EBR1", Severity::Error);
    assert!(
        error.contains("entry 0 (type 83) of EBR1 points at physical 0x380000 of the user area"),
        "{error}"
    );
    assert!(error.contains("nearest is"), "{error}");
    let out = common::mtkbench_in(tmp.path())
        .args(["rom", "inspect"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("physical, in the user area"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
}
