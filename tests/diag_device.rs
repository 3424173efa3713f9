//! Diagnostics that read the phone itself, end to end against the `mtkbench sim` binary on a
//! pseudo-terminal: `diagnose lcm --port` with ROM packages built here (with and without the
//! simulated board's panel driver, and with the phone's own kernel replaced), `diagnose log
//! --port` on an EXPDB holding a kernel panic, and a failed command whose `--record`
//! transcript and log file name the same error-table entry.

mod common;
mod device_support;

use std::path::{Path, PathBuf};

use common::rom::{boot_img, scatter, write_folder};
use device_support::cli::{Bench, Output, Sim};
use mtkbench::{
    firmware::{scatter::Region, synth},
    profile::Registry,
};

const ST: &str = "st7701_wvga_dsi_vdo";
const ILI: &str = "ili9806e_fwvga_dsi_vdo";

/// The panel drivers of the simulated phone's board (its UBOOT and kernel carry them).
fn board_drivers(sim: &Sim) -> Vec<String> {
    let id = sim.banner["profile"].as_str().unwrap();
    let registry = Registry::builtin();
    let drivers = registry.get(id).unwrap().profile.lcm.drivers.clone();
    assert!(!drivers.is_empty(), "profile {id} records no panel driver");
    assert!(!drivers.iter().any(|d| d == ST), "{drivers:?}");
    drivers
}

/// A ROM package folder whose lk and kernel both carry `drivers`.
fn rom(bench: &Bench, name: &str, drivers: &[&str]) -> PathBuf {
    let dir = bench.path(name);
    let mut strings = vec!["lcm_compare_id"];
    strings.extend_from_slice(drivers);
    write_folder(
        &dir,
        &[
            (
                "MT6572_Android_scatter.txt",
                scatter("MT6572", "bench_demo", "recovery.img").into_bytes(),
            ),
            ("lk.bin", synth::lk_image(&strings)),
            ("boot.img", boot_img(&strings)),
        ],
    );
    dir
}

/// `mtkbench [--json] diagnose <what> --port P --da DA <extra>`.
fn diagnose(bench: &Bench, sim: &Sim, json: bool, what: &str, extra: &[&str]) -> Output {
    let da = bench.da();
    let mut args = vec![
        "diagnose",
        what,
        "--port",
        &sim.port,
        "--da",
        da.to_str().unwrap(),
    ];
    if json {
        args.insert(0, "--json");
    }
    args.extend_from_slice(extra);
    bench.run(&args)
}

fn lcm(bench: &Bench, sim: &Sim, json: bool, rom: &Path) -> Output {
    diagnose(bench, sim, json, "lcm", &["--rom", rom.to_str().unwrap()])
}

#[test]
fn lcm_port_reads_the_phones_own_uboot_and_predicts_works_or_white_screen() {
    let bench = Bench::new();
    let mut sim = bench.sim(&[]);
    let drivers = board_drivers(&sim);
    let names: Vec<&str> = drivers.iter().map(String::as_str).collect();

    let fitting = rom(&bench, "fitting", &names);
    let port = sim.port.clone();
    let j = lcm(&bench, &sim, true, &fitting).json();
    assert_eq!(j["outcome"], "works", "{j}");
    let ev = &j["evidence"];
    assert_eq!(ev["source"], "uboot-readback");
    assert_eq!(ev["origin"], format!("phone's own UBOOT read over {port}"));
    assert_eq!(ev["names"], serde_json::json!(drivers));
    assert_eq!(ev["phone_firmware_has_panel"], true);
    // It works: the phone's own kernel does not matter, so BOOTIMG was not read.
    assert!(ev.get("phone_kernel").is_none(), "{ev}");
    sim.replugged();

    let other = rom(&bench, "other_panel", &[ST]);
    let port = sim.port.clone();
    let j = lcm(&bench, &sim, true, &other).json();
    assert_eq!(j["outcome"], "white-screen", "{j}");
    let kernel = &j["evidence"]["phone_kernel"];
    assert_eq!(
        kernel["origin"],
        format!("phone's own BOOTIMG read over {port}")
    );
    assert_eq!(kernel["drivers"]["state"], "listed");
    assert_eq!(kernel["drivers"]["value"], serde_json::json!(drivers));
    assert_eq!(kernel["has_panel"], true);
    let keep = &j["fix"][0];
    assert_eq!(keep["kind"], "keep-phone-firmware");
    assert_eq!(keep["proven"], true, "{keep}");
    sim.replugged();

    // The same in words, for the technician.
    let out = lcm(&bench, &sim, false, &other);
    assert!(out.ok(), "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("White screen from the boot logo on: "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("phone's own UBOOT read over /dev/"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.lines().all(|l| l.chars().count() <= 80),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("reading UBOOT"), "{}", out.stderr);
}

#[test]
fn lcm_port_does_not_prove_keeping_a_phone_kernel_that_lacks_the_panel() {
    let bench = Bench::new();
    let mut sim = bench.sim(&[]);
    board_drivers(&sim);
    // The phone's own kernel replaced by one for another panel.
    let boot = bench.path("other_boot.img");
    std::fs::write(&boot, boot_img(&[ILI])).unwrap();
    let w = bench
        .device(
            &sim,
            "write",
            &["--partition", "BOOTIMG", "--file", boot.to_str().unwrap()],
        )
        .json();
    assert_eq!(w["name"], "BOOTIMG");
    sim.replugged();

    let j = lcm(&bench, &sim, true, &rom(&bench, "other_panel", &[ST])).json();
    assert_eq!(j["outcome"], "white-screen");
    let kernel = &j["evidence"]["phone_kernel"];
    assert_eq!(kernel["drivers"]["value"], serde_json::json!([ILI]));
    assert_eq!(kernel["has_panel"], false);
    assert_eq!(j["fix"][0]["proven"], false);
    let advice = j["fix"][0]["advice"].as_str().unwrap();
    assert!(advice.contains("may still go black"), "{advice}");
}

#[test]
fn log_port_reads_expdb_finds_the_panic_and_keeps_the_readback() {
    let bench = Bench::new();
    let mut sim = bench.sim(&[]);
    let dump = bench.path("expdb.bin");
    let image = common::expdb_image();
    std::fs::write(&dump, &image).unwrap();
    let w = bench
        .device(
            &sim,
            "write",
            &["--partition", "EXPDB", "--file", dump.to_str().unwrap()],
        )
        .json();
    let at = w["offset"].as_u64().unwrap();
    sim.replugged();

    let j = diagnose(&bench, &sim, true, "log", &[]).json();
    assert_eq!(j["rebooted"], true);
    assert_eq!(j["inputs"][0]["kind"], "expdb");
    let panic = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "kernel-panic")
        .unwrap_or_else(|| panic!("no kernel-panic finding: {j}"));
    assert_eq!(panic["title"], "Kernel crash in mtkfb_update_screen_impl");

    // The raw readback is kept, whole, under <data>/captures.
    let capture = PathBuf::from(j["capture"].as_str().unwrap());
    assert_eq!(
        capture.parent().unwrap(),
        bench.path("data").join("captures")
    );
    let name = capture.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("expdb-") && name.ends_with(".bin"),
        "{name}"
    );
    let kept = std::fs::read(&capture).unwrap();
    assert_eq!(kept.len() as u64, j["bytes"].as_u64().unwrap());
    assert_eq!(&kept[..image.len()], &image[..]);
    assert_eq!(kept, sim.flash(Region::EmmcUser, at, kept.len()));
    assert_eq!(j["inputs"][0]["path"], capture.to_str().unwrap());
    sim.replugged();

    // A second readback gets a name of its own, and the report in words names the file.
    let out = diagnose(&bench, &sim, false, "log", &[]);
    assert!(out.ok(), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("Kernel crash in mtkfb_update_screen_impl"),
        "{}",
        out.stdout
    );
    let kept: Vec<_> = std::fs::read_dir(bench.path("data").join("captures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(kept.iter().all(|n| n.starts_with("expdb-")), "{kept:?}");
}

#[test]
fn a_failed_commands_transcript_and_log_name_the_same_entry() {
    let bench = Bench::new();
    // The phone stops answering: a link failure of mtkbench's own, no status word.
    let sim = bench.sim(&["--fault", "stall-ms=1500"]);
    let record = bench.path("failed.txt");
    let out = bench.device(&sim, "identify", &["--record", record.to_str().unwrap()]);
    let err = out.failure();
    assert!(err.contains("(mtkbench::timeout)"), "{err}");

    let transcript = std::fs::read_to_string(&record).unwrap();
    let last = transcript.lines().last().unwrap();
    assert!(last.starts_with("# error: "), "{last}");
    assert!(last.ends_with("(mtkbench::timeout)"), "{last}");

    let log = bench.path("logs").join("mtkbench.log");
    for (file, kind) in [(&record, "transcript"), (&log, "transcript")] {
        let j = bench
            .run(&["--json", "diagnose", "log", file.to_str().unwrap()])
            .json();
        assert_eq!(j["inputs"][0]["kind"], kind, "{}", file.display());
        let found = j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "tool-error")
            .unwrap_or_else(|| panic!("no tool-error in {}: {j}", file.display()));
        assert_eq!(
            found["title"],
            "The flashing tool reported mtkbench::timeout"
        );
    }
    // And the entry explains it.
    let out = bench.run(&["explain", "mtkbench::timeout"]);
    assert!(out.ok(), "{}", out.stderr);
    assert!(out.stdout.contains("stopped answering"), "{}", out.stdout);
}

#[test]
fn diagnose_log_takes_files_or_a_port() {
    let bench = Bench::new();
    let out = bench.run(&["diagnose", "log"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("<FILE|--port"), "{}", out.stderr);
    let file = bench.path("x.log");
    std::fs::write(&file, "hello\n").unwrap();
    let out = bench.run(&[
        "diagnose",
        "log",
        file.to_str().unwrap(),
        "--port",
        "/dev/null",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}
