//! The display-driver check on ROM packages built here (with and without the panel driver in
//! lk and in the kernel, with images missing or damaged), the library hook over inspected
//! packages, the real MTK Droid Tools phone.info, and `mtkbench diagnose lcm` end to end.

mod common;

use std::{
    path::{Path, PathBuf},
    process::Output,
};

use common::{
    json,
    rom::{boot_img, scatter, write_folder, write_zip},
};
use mtkbench::{
    diag::lcm::{self, Gap, LcmFacts, LcmVerdict, Outcome, PanelEvidence, Reason},
    firmware::{bootimg, rom, synth},
};

const ST: &str = "st7701_wvga_dsi_vdo";
const OTM: &str = "otm8019a_wvga_dsi_vdo";
const HX: &str = "hx8369b_fwvga_dsi_vdo";
const ILI: &str = "ili9806e_fwvga_dsi_vdo";

/// A ROM package's files: the scatter, lk.bin with `lk` (when given) and boot.img whose kernel
/// carries `kernel` (when given), each list with a decoy that is not a panel name.
fn files(lk: Option<&[&str]>, kernel: Option<&[&str]>) -> Vec<(&'static str, Vec<u8>)> {
    let mut files = vec![(
        "MT6572_Android_scatter.txt",
        scatter("MT6572", "bench_demo", "recovery.img").into_bytes(),
    )];
    if let Some(names) = lk {
        let mut strings = vec!["lcm_compare_id"];
        strings.extend_from_slice(names);
        files.push(("lk.bin", synth::lk_image(&strings)));
    }
    if let Some(names) = kernel {
        let mut strings = vec!["lcm_esd_check"];
        strings.extend_from_slice(names);
        files.push(("boot.img", boot_img(&strings)));
    }
    files
}

/// Writes a package folder `name` under `root` and returns its path.
fn package(root: &Path, name: &str, lk: Option<&[&str]>, kernel: Option<&[&str]>) -> PathBuf {
    let dir = root.join(name);
    write_folder(&dir, &files(lk, kernel));
    dir
}

fn facts(path: &Path) -> LcmFacts {
    LcmFacts::from_report(&rom::inspect(path).unwrap())
}

fn check_by_hand(names: &[&str], path: &Path) -> LcmVerdict {
    lcm::check(&PanelEvidence::by_hand(names).unwrap(), &facts(path))
}

#[test]
fn driver_in_lk_and_kernel_works_from_folder_and_zip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = package(tmp.path(), "rom", Some(&[OTM, ST]), Some(&[ST, HX]));
    let v = check_by_hand(&[ST], &dir);
    assert_eq!(v.outcome, Outcome::Works, "{}", v.explanation);
    assert_eq!(v.lk, [OTM, ST]);
    assert_eq!(v.kernel, [ST, HX]);
    assert_eq!(v.candidates[0].reason, Reason::KernelMatches);
    assert!(v.fix.is_empty() && v.missing.is_empty());

    let zip = tmp.path().join("rom.zip");
    write_zip(&zip, "S10_ROM/", &files(Some(&[OTM, ST]), Some(&[ST, HX])));
    assert_eq!(facts(&zip), facts(&dir));
    assert_eq!(
        check_by_hand(&["1-ST7701_WVGA_DSI_VDO"], &zip).outcome,
        Outcome::Works
    );
}

#[test]
fn driver_missing_from_lk_gives_a_white_screen() {
    let tmp = tempfile::tempdir().unwrap();
    // Even with the driver in the kernel: LK never sets the panel up.
    let dir = package(tmp.path(), "rom", Some(&[OTM, HX]), Some(&[ST, HX]));
    let v = check_by_hand(&[ST], &dir);
    assert_eq!(v.outcome, Outcome::WhiteScreen);
    assert_eq!(v.candidates[0].reason, Reason::LkLacks);
    assert!(
        v.explanation.starts_with(
            "White screen from the boot logo on: this ROM's lk has no driver for st7701"
        ),
        "{}",
        v.explanation
    );
    assert_eq!(v.fix.len(), 2);
}

#[test]
fn driver_missing_from_kernel_gives_black_after_logo() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = package(tmp.path(), "rom", Some(&[ST, HX]), Some(&[OTM, HX]));
    let v = check_by_hand(&[ST], &dir);
    assert_eq!(v.outcome, Outcome::BlackAfterLogo);
    assert_eq!(v.candidates[0].reason, Reason::KernelLacks);
    // A kernel with one driver takes it without comparing: another panel's driver.
    let dir = package(tmp.path(), "single", Some(&[ST, HX]), Some(&[HX]));
    let v = check_by_hand(&[ST], &dir);
    assert_eq!(v.outcome, Outcome::BlackAfterLogo);
    assert_eq!(v.candidates[0].reason, Reason::KernelSingleOther);
}

#[test]
fn driver_missing_from_both_is_a_white_screen() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = package(tmp.path(), "rom", Some(&[HX]), Some(&[HX, OTM]));
    assert_eq!(check_by_hand(&[ILI], &dir).outcome, Outcome::WhiteScreen);
}

#[test]
fn missing_or_damaged_images_leave_the_outcome_unknown_and_say_why() {
    let tmp = tempfile::tempdir().unwrap();
    let no_lk = package(tmp.path(), "no_lk", None, Some(&[ST]));
    let v = check_by_hand(&[ST], &no_lk);
    assert_eq!(v.outcome, Outcome::Unknown);
    assert_eq!(v.missing.len(), 1);
    assert_eq!(v.missing[0].what, Gap::Lk);
    assert!(
        v.missing[0].why.contains("lk.bin (UBOOT) is missing"),
        "{:?}",
        v.missing
    );

    let no_boot = package(tmp.path(), "no_boot", Some(&[ST]), None);
    let v = check_by_hand(&[ST], &no_boot);
    assert_eq!(v.outcome, Outcome::Unknown);
    assert_eq!(v.missing[0].what, Gap::Kernel);
    assert!(v.missing[0].why.contains("boot.img (BOOTIMG) is missing"));
    // A kernel that cannot be checked does not hide a white screen.
    let v = check_by_hand(&[ILI], &no_boot);
    assert_eq!(v.outcome, Outcome::WhiteScreen);

    let cut = package(tmp.path(), "cut", Some(&[ST]), Some(&[ST]));
    // Cut off 40 bytes before the end of the kernel, as an interrupted download would be.
    let boot = std::fs::read(cut.join("boot.img")).unwrap();
    let kernel_end = bootimg::parse(&boot).unwrap().kernel_range().end as usize;
    std::fs::write(cut.join("boot.img"), &boot[..kernel_end - 40]).unwrap();
    let v = check_by_hand(&[ST], &cut);
    assert_eq!(v.outcome, Outcome::Unknown);
    assert!(
        v.missing[0].why.contains("cannot be read"),
        "{:?}",
        v.missing
    );

    let no_names = package(tmp.path(), "no_names", Some(&[]), Some(&[ST]));
    let v = check_by_hand(&[ST], &no_names);
    assert!(
        v.missing[0]
            .why
            .contains("no panel driver name was recognised in lk.bin")
    );
}

#[test]
fn phone_uboot_with_several_drivers_against_roms() {
    let tmp = tempfile::tempdir().unwrap();
    let uboot = tmp.path().join("uboot.bin");
    std::fs::write(&uboot, synth::lk_image(&["lcm_compare_id", ST, OTM])).unwrap();
    let ev = lcm::uboot_evidence(&uboot).unwrap();
    assert_eq!(ev.names, [ST, OTM]);
    assert!(ev.phone_firmware_has_panel);
    let both = package(tmp.path(), "both", Some(&[OTM, ST]), Some(&[ST, OTM]));
    assert_eq!(lcm::check(&ev, &facts(&both)).outcome, Outcome::Works);
    let one = package(tmp.path(), "one", Some(&[ST]), Some(&[ST, HX]));
    let v = lcm::check(&ev, &facts(&one));
    assert_eq!(v.outcome, Outcome::Unknown);
    assert_eq!(v.missing[0].what, Gap::WhichPanel);
}

#[test]
fn library_hook_picks_inspected_roms_with_the_driver() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = package(tmp.path(), "bad", Some(&[HX]), Some(&[HX, OTM]));
    let mut verdict = check_by_hand(&[ST], &bad);
    assert_eq!(verdict.outcome, Outcome::WhiteScreen);
    let library = [
        package(tmp.path(), "lk_only", Some(&[ST]), Some(&[HX, OTM])),
        package(tmp.path(), "good", Some(&[HX, ST]), Some(&[ST, OTM])),
        package(tmp.path(), "kernel_only", Some(&[HX]), Some(&[ST, HX])),
        package(tmp.path(), "no_boot", Some(&[ST]), None),
    ];
    let found = lcm::roms_with_driver(&verdict, library.iter().map(|p| (p.clone(), facts(p))));
    assert_eq!(found, [library[1].clone()]);
    verdict.offer_roms(found.iter().map(|p| p.display()));
    assert!(
        verdict.fix[2].advice().contains("good"),
        "{:?}",
        verdict.fix
    );
}

#[test]
fn real_droid_tools_phone_info_names_the_running_panel() {
    let Some(real) = common::realdata("real_droid_tools_phone_info_names_the_running_panel") else {
        return;
    };
    let ev = lcm::log_evidence(&real.join("partinfo/mobiwire_s10__phone.info")).unwrap();
    assert_eq!(ev.names, [ST]);
    assert!(ev.phone_firmware_has_panel);
    assert_eq!(ev.origin, "mobiwire_s10__phone.info line 9");
}

// ---- the command -----------------------------------------------------------------------------

/// Runs `mtkbench diagnose lcm --rom <rom> <args>` with every folder in `home`.
fn run(home: &Path, rom: &Path, args: &[&str]) -> Output {
    common::mtkbench_in(home)
        .args(["diagnose", "lcm", "--rom"])
        .arg(rom)
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn cli_lcm_by_hand_human_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = package(tmp.path(), "rom", Some(&[HX, OTM]), Some(&[HX, OTM]));
    let out = run(tmp.path(), &dir, &["--lcm", ILI]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("White screen from the boot logo on: this ROM's lk has no driver for"),
        "{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(text.contains("Fix:") && text.contains("without UBOOT and BOOTIMG"));

    let j = json(&run(tmp.path(), &dir, &["--json", "--lcm", ILI]));
    assert_eq!(j["outcome"], "white-screen");
    assert_eq!(j["panel"], ILI);
    assert_eq!(j["lk"], serde_json::json!([HX, OTM]));
    assert_eq!(j["kernel"], serde_json::json!([HX, OTM]));
    assert!(j["explanation"].as_str().unwrap().contains(ILI));
    assert_eq!(j["fix"][0]["kind"], "keep-phone-firmware");
    assert_eq!(j["fix"][0]["skip"], serde_json::json!(["UBOOT", "BOOTIMG"]));
    assert_eq!(j["evidence"]["source"], "by-hand");

    // Several names: one of them.
    let j = json(&run(
        tmp.path(),
        &dir,
        &["--json", "--lcm", &format!("{HX},{OTM}")],
    ));
    assert_eq!(j["outcome"], "works");
    assert!(j["panel"].is_null());
}

#[test]
fn cli_profile_builtin_unrecorded_and_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = package(
        tmp.path(),
        "rom",
        Some(&[HX, "otm8018b_dsi_vdo"]),
        Some(&[HX]),
    );
    let j = json(&run(tmp.path(), &dir, &["--json", "--profile", "a516_row"]));
    // The A516 board has two panels; this kernel carries only one.
    assert_eq!(j["outcome"], "unknown");
    assert_eq!(j["evidence"]["source"], "profile");
    assert_eq!(j["missing"][0]["what"], "which-panel");
    let j = json(&run(tmp.path(), &dir, &["--json", "--profile", "s4050ap"]));
    assert_eq!(j["outcome"], "unknown");
    assert_eq!(j["missing"][0]["what"], "panel");
    let out = run(tmp.path(), &dir, &["--profile", "no_such_board"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn cli_uboot_readback() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = package(tmp.path(), "rom", Some(&[ST, HX]), Some(&[HX, OTM]));
    let uboot = tmp.path().join("uboot_readback.bin");
    let mut readback = synth::lk_image(&[ST]);
    readback.resize(0x60000, 0xFF);
    std::fs::write(&uboot, readback).unwrap();
    let j = json(&run(
        tmp.path(),
        &dir,
        &["--json", "--uboot", uboot.to_str().unwrap()],
    ));
    assert_eq!(j["outcome"], "black-after-logo");
    assert_eq!(j["evidence"]["source"], "uboot-readback");
    assert_eq!(j["evidence"]["origin"], "uboot_readback.bin");
    assert_eq!(j["fix"][0]["proven"], true);
    let out = run(tmp.path(), &dir, &["--uboot", "/nonexistent/uboot.bin"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn cli_boot_log() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = package(tmp.path(), "rom", Some(&[ST, HX]), Some(&[ST, HX]));
    let log = tmp.path().join("uart.log");
    std::fs::write(
        &log,
        b"[0.000000] Booting Linux\r\n\xff\xfe garbage\r\n\
          [0.000000] Kernel command line: console=ttyMT0,921600n1 lcm=1-st7701_wvga_dsi_vdo fps=6000\r\n",
    )
    .unwrap();
    let j = json(&run(
        tmp.path(),
        &dir,
        &["--json", "--log", log.to_str().unwrap()],
    ));
    assert_eq!(j["outcome"], "works");
    assert_eq!(j["panel"], ST);
    assert_eq!(j["evidence"]["source"], "log");
    assert_eq!(j["evidence"]["origin"], "uart.log line 3");
    let out = run(tmp.path(), &dir, &["--log", log.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Works: "), "{text}");
    assert!(text.contains("uart.log line 3 (boot log)"), "{text}");
}

#[test]
fn cli_refuses_no_source_two_sources_and_bad_names() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = package(tmp.path(), "rom", Some(&[ST]), Some(&[ST]));
    for args in [
        &[][..],
        &["--lcm", ST, "--profile", "a516_row"][..],
        &["--lcm", "not a name"][..],
    ] {
        let out = run(tmp.path(), &dir, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    let out = run(tmp.path(), &tmp.path().join("nope"), &["--lcm", ST]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// A package built for another board than `a516_row`: preloader of project
/// `konka72_i128_emmc` with EMI settings v9, a 20 MiB boot region, and an lk without the
/// A516's panel drivers.
fn other_board_package(root: &Path) -> PathBuf {
    use mtkbench::firmware::scatter::Region;
    const MIB: u64 = 1 << 20;
    let parts: [common::rom::Part<'_>; 5] = [
        (
            "PRELOADER",
            "preloader_konka72.bin",
            true,
            0,
            20 * MIB,
            Region::EmmcBoot1,
        ),
        ("MBR", "MBR", false, 20 * MIB, 0x8_0000, Region::EmmcUser),
        (
            "EBR1",
            "EBR1",
            false,
            20 * MIB + 0x8_0000,
            0x8_0000,
            Region::EmmcUser,
        ),
        (
            "UBOOT",
            "lk.bin",
            true,
            20 * MIB + 0x10_0000,
            0x6_0000,
            Region::EmmcUser,
        ),
        (
            "BOOTIMG",
            "boot.img",
            true,
            20 * MIB + 0x16_0000,
            0x60_0000,
            Region::EmmcUser,
        ),
    ];
    let dir = root.join("konka_rom");
    write_folder(
        &dir,
        &[
            (
                "MT6572_Android_scatter.txt",
                common::rom::scatter_of("MT6572", "konka72_i128_emmc", &parts).into_bytes(),
            ),
            (
                "preloader_konka72.bin",
                synth::preloader("konka72_i128_emmc", 9),
            ),
            ("lk.bin", synth::lk_image(&[ILI])),
            ("boot.img", boot_img(&[ILI])),
        ],
    );
    dir
}

#[test]
fn cli_rom_for_another_board_is_said_first_and_never_partly_flashed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = other_board_package(tmp.path());
    let out = run(tmp.path(), &dir, &["--profile", "a516_row"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("NOT FOR THIS BOARD\n"), "{text}");
    assert!(text.contains("konka72_i128_emmc"), "{text}");
    assert!(text.contains("20 MiB boot region"), "{text}");
    assert!(!text.contains("without UBOOT and BOOTIMG"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");

    let j = json(&run(tmp.path(), &dir, &["--json", "--profile", "a516_row"]));
    let aspects: Vec<&str> = j["not_for_board"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["aspect"].as_str().unwrap())
        .collect();
    assert_eq!(
        aspects,
        ["preloader-project", "emi-version", "boot-region", "layout"]
    );
    assert!(
        j["explanation"]
            .as_str()
            .unwrap()
            .starts_with("This ROM is not for this board: ")
    );
    let fixes = j["fix"].as_array().unwrap();
    assert!(
        fixes.iter().all(|f| f["kind"] != "keep-phone-firmware"),
        "{fixes:?}"
    );
    let first = fixes[0]["advice"].as_str().unwrap();
    assert!(
        first.contains("never its PRELOADER, MBR, EBR1/EBR2"),
        "{first}"
    );
    // The same ROM checked by a panel name alone: no board known, the display advice stands.
    let j = json(&run(tmp.path(), &dir, &["--json", "--lcm", HX]));
    assert!(j["not_for_board"].as_array().unwrap().is_empty());
    assert_eq!(j["fix"][0]["kind"], "keep-phone-firmware");
}

#[test]
fn headerless_lk_is_an_error_in_both_commands_and_its_names_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = package(tmp.path(), "rom", Some(&[ST]), Some(&[ST]));
    let lk = synth::lk_image(&["lcm_compare_id", ST]);
    std::fs::write(dir.join("lk.bin"), &lk[512..]).unwrap();

    let report = rom::inspect(&dir).unwrap();
    let uboot = report
        .images
        .iter()
        .find(|i| i.partition == "UBOOT")
        .unwrap();
    assert_eq!(uboot.kind.as_deref(), Some("lk-no-header"));
    assert_eq!(report.lcm.lk, [ST]);
    let error = report
        .problems
        .iter()
        .find(|p| p.partition.as_deref() == Some("UBOOT"))
        .unwrap();
    assert_eq!(error.severity, rom::Severity::Error);
    assert!(
        error.message.contains("no 512-byte MediaTek header"),
        "{}",
        error.message
    );
    assert!(error.message.contains("mkimage"), "{}", error.message);

    let out = common::mtkbench_in(tmp.path())
        .args(["rom", "inspect"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let inspect = String::from_utf8(out.stdout).unwrap();
    assert!(inspect.contains("lk-no-header"), "{inspect}");

    let j = json(&run(tmp.path(), &dir, &["--json", "--lcm", ST]));
    // The names are read, so the display check still runs...
    assert_eq!(j["lk"], serde_json::json!([ST]));
    assert_eq!(j["outcome"], "works");
    // ...and the error is the one `rom inspect` gives, word for word.
    assert_eq!(
        j["rom_errors"],
        serde_json::json!([format!("UBOOT: {}", error.message)])
    );
    let text = String::from_utf8(run(tmp.path(), &dir, &["--lcm", ST]).stdout).unwrap();
    assert!(text.contains("no 512-byte MediaTek"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
}

#[test]
fn xz_kernel_in_a_package_is_read_and_reported_truthfully() {
    use mtkbench::firmware::zimage::Compression;
    let tmp = tempfile::tempdir().unwrap();
    let dir = package(tmp.path(), "rom", Some(&[ST]), None);
    for compression in [Compression::Xz, Compression::Lzma] {
        let kernel = synth::kernel_image_packed(compression, &["lcm_esd_check", ST]);
        let img = synth::boot_image(&kernel, &synth::ramdisk_image(), 2048);
        std::fs::write(dir.join("boot.img"), img).unwrap();
        let report = rom::inspect(&dir).unwrap();
        assert_eq!(report.lcm.kernel, [ST]);
        assert_eq!(
            report.lcm.kernel_compression.as_deref(),
            Some(compression.json_name())
        );
        let j = json(&run(tmp.path(), &dir, &["--json", "--lcm", ST]));
        assert_eq!(j["outcome"], "works", "{compression:?}: {j}");
    }
}
