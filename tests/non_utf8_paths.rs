//! Paths that are not UTF-8, as ROM archives unpacked on machines with other code pages carry
//! them: every command that takes or finds a path works with them and shows them lossily. A
//! test per command; Linux (Unix) only, where such names can be made.
#![cfg(unix)]

mod common;

use std::{
    ffi::OsStr,
    os::unix::ffi::OsStrExt,
    path::{Path, PathBuf},
    process::Output,
};

use common::rom::{boot_img, scatter, write_folder};
use mtkbench::firmware::synth;

/// A folder name in Latin-1 (`réseau_ÿ`), which is not UTF-8.
fn latin1(parent: &Path, stem: &[u8]) -> PathBuf {
    let mut name = stem.to_vec();
    name.extend_from_slice(b"_r\xE9seau_\xFF");
    parent.join(OsStr::from_bytes(&name))
}

/// A ROM package in a Latin-1 folder whose recovery image also has a Latin-1 name, named so
/// in the scatter file's bytes.
fn package(root: &Path) -> PathBuf {
    let dir = latin1(root, b"rom");
    let text = scatter("MT6572", "bench_demo", "RECOVERY_NAME");
    let mut bytes = Vec::new();
    let (before, after) = text.split_once("RECOVERY_NAME").unwrap();
    bytes.extend_from_slice(before.as_bytes());
    bytes.extend_from_slice(b"r\xE9cup.img");
    bytes.extend_from_slice(after.as_bytes());
    write_folder(
        &dir,
        &[
            ("lk.bin", synth::lk_image(&["hx8369b_fwvga_dsi_vdo"])),
            ("boot.img", boot_img(&["hx8369b_fwvga_dsi_vdo"])),
        ],
    );
    std::fs::write(dir.join("MT6572_Android_scatter.txt"), bytes).unwrap();
    std::fs::write(dir.join(OsStr::from_bytes(b"r\xE9cup.img")), [0u8; 100]).unwrap();
    dir
}

fn run(home: &Path, args: &[&OsStr]) -> Output {
    common::mtkbench_in(home).args(args).output().unwrap()
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// Ran to the end (exit 0 or 1: a report was printed), never a panic or "unreadable".
fn reported(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}: {stderr}",
        out.status
    );
    let text = String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8");
    assert!(!text.is_empty());
    text
}

#[test]
fn scatter_show() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = package(tmp.path());
    let file = dir.join("MT6572_Android_scatter.txt");
    let text = reported(&run(
        tmp.path(),
        &[os("scatter"), os("show"), file.as_os_str()],
    ));
    assert!(text.contains("r\u{FFFD}seau_\u{FFFD}"), "{text}");
    let json = reported(&run(
        tmp.path(),
        &[os("--json"), os("scatter"), os("show"), file.as_os_str()],
    ));
    serde_json::from_str::<serde_json::Value>(&json).unwrap();
}

#[test]
fn rom_inspect_finds_every_image_by_its_name_in_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = package(tmp.path());
    let report = mtkbench::firmware::rom::inspect(&dir).unwrap();
    let recovery = report
        .images
        .iter()
        .find(|i| i.partition == "RECOVERY")
        .unwrap();
    assert!(recovery.present, "{:?}", report.problems);
    assert_eq!(recovery.size, Some(100));
    reported(&run(
        tmp.path(),
        &[os("rom"), os("inspect"), dir.as_os_str()],
    ));
    let json = reported(&run(
        tmp.path(),
        &[os("--json"), os("rom"), os("inspect"), dir.as_os_str()],
    ));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["package"].as_str().unwrap().contains("\u{FFFD}"));
}

#[test]
fn library_scan_and_list_keep_the_path_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let library = latin1(tmp.path(), b"library");
    package(&library);
    let lib = || [os("--library"), library.as_os_str()];
    let scan = [&[os("library"), os("scan")][..], &lib()].concat();
    reported(&run(tmp.path(), &scan));
    let list = [&[os("--json"), os("library"), os("list")][..], &lib()].concat();
    let v: serde_json::Value = serde_json::from_str(&reported(&run(tmp.path(), &list))).unwrap();
    let packages = v["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 1, "{v}");
    assert!(packages[0]["facts"].is_object(), "{v}");
    assert!(v["vanished"].as_array().unwrap().is_empty(), "{v}");
    // The second scan finds the package unchanged: the index kept its path exactly.
    let again = [&[os("--json"), os("library"), os("scan")][..], &lib()].concat();
    let v: serde_json::Value = serde_json::from_str(&reported(&run(tmp.path(), &again))).unwrap();
    assert_eq!(v["reused"], 1, "{v}");
}

#[test]
fn diagnose_lcm_with_rom_uboot_and_log() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = package(tmp.path());
    let uboot = dir.join(OsStr::from_bytes(b"uboot_\xE9.bin"));
    std::fs::write(&uboot, synth::lk_image(&["hx8369b_fwvga_dsi_vdo"])).unwrap();
    let log = dir.join(OsStr::from_bytes(b"boot_\xE9.log"));
    std::fs::write(&log, "Kernel command line: lcm=1-hx8369b_fwvga_dsi_vdo\n").unwrap();
    let base = [os("diagnose"), os("lcm"), os("--rom"), dir.as_os_str()];
    for extra in [
        [os("--uboot"), uboot.as_os_str()],
        [os("--log"), log.as_os_str()],
        [os("--lcm"), os("hx8369b_fwvga_dsi_vdo")],
    ] {
        let text = reported(&run(tmp.path(), &[&base[..], &extra].concat()));
        assert!(text.starts_with("Works"), "{text}");
    }
}

#[test]
fn diagnose_log() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = latin1(tmp.path(), b"logs");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join(OsStr::from_bytes(b"uart_\xE9.log"));
    std::fs::write(&log, "[PLFM] Init I2C: OK\nKernel panic - not syncing: x\n").unwrap();
    reported(&run(
        tmp.path(),
        &[os("diagnose"), os("log"), log.as_os_str()],
    ));
    let json = reported(&run(
        tmp.path(),
        &[os("--json"), os("diagnose"), os("log"), log.as_os_str()],
    ));
    serde_json::from_str::<serde_json::Value>(&json).unwrap();
}

#[test]
fn profiles_check() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = latin1(tmp.path(), b"profiles");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/a516_row.toml"),
        dir.join("a516_row.toml"),
    )
    .unwrap();
    let json = run(
        tmp.path(),
        &[os("--json"), os("profiles"), os("check"), dir.as_os_str()],
    );
    let stderr = String::from_utf8_lossy(&json.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    serde_json::from_slice::<serde_json::Value>(&json.stdout).unwrap();
    reported(&run(
        tmp.path(),
        &[os("profiles"), os("check"), dir.as_os_str()],
    ));
}
