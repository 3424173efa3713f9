//! A dead phone end to end (`mtkbench sim --preloader erased|foreign` over a real
//! pseudo-terminal): its DA asks for DRAM settings; they come from the phone's own backup, a
//! matching ROM, or a file; another project's are refused without the override; settings that
//! do not fit say what to try; and a repair with a matching ROM writes the preloader back (the
//! journal keeps the EMI source), after which the phone starts in preloader mode again,
//! identifies as before, NVRAM set untouched.

mod device_support;

use device_support::cli::Bench;
use mtkbench::{
    firmware::scatter::{Region, Storage},
    profile::Registry,
    sim::{boot, layout::Layout},
};
use serde_json::Value;

/// The simulated board's layout (the bench's default profile).
fn layout() -> Layout {
    let reg = Registry::builtin();
    Layout::from_profile(&reg.get("a516_row").unwrap().profile, Storage::Emmc).unwrap()
}

/// The NVRAM set's bytes as the simulator holds them.
fn nvram_set(sim: &device_support::cli::Sim) -> Vec<Vec<u8>> {
    let l = layout();
    ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"]
        .iter()
        .map(|n| {
            let p = l.part(n).unwrap();
            sim.flash(Region::EmmcUser, p.offset, p.size as usize)
        })
        .collect()
}

fn dead_boot(report: &Value) -> &Value {
    let f = report.get("fingerprint").unwrap_or(report);
    &f["dead_boot"]
}

#[test]
fn the_emi_of_its_own_backup_brings_a_dead_phone_up() {
    let bench = Bench::new();
    let mut sim = bench.sim(&[]);
    let healthy = bench.device(&sim, "identify", &[]).json();
    sim.replugged();
    assert!(bench.device(&sim, "backup", &[]).ok());
    drop(sim);
    let mut sim = bench.sim(&["--preloader", "erased", "--mode", "preloader"]);
    assert_eq!(sim.banner["preloader"], "erased");

    let out = bench.device(&sim, "identify", &[]);
    let report = out.json();
    assert_eq!(report["mode"], "brom", "no preloader mode on a dead phone");
    let dead = dead_boot(&report);
    assert_eq!(dead["source"]["kind"], "backup", "{report}");
    assert_eq!(dead["project"], "a516_row");
    assert_eq!(dead["ram_size"], healthy["ram_size"]);
    assert_eq!(report["storage"], healthy["storage"]);
    sim.replugged();
    let text = bench.run(&[
        "identify",
        "--port",
        &sim.port,
        "--da",
        bench.da().to_str().unwrap(),
    ]);
    assert!(text.ok(), "{}", text.stderr);
    assert!(
        text.stdout
            .contains("dead boot: preloader missing or foreign"),
        "{}",
        text.stdout
    );
}

#[test]
fn without_settings_the_dead_phone_is_explained() {
    let bench = Bench::new();
    let sim = bench.sim(&["--preloader", "erased"]);
    let out = bench.device(&sim, "identify", &[]);
    let err = out.failure();
    assert!(err.contains("DRAM"), "{err}");
    assert!(err.contains("--preloader FILE"), "{err}");
}

#[test]
fn a_foreign_preloader_is_refused_and_wrong_settings_say_what_to_try() {
    let bench = Bench::new();
    let mut sim = bench.sim(&["--preloader", "foreign"]);
    let foreign = bench.path("preloader_other.bin");
    std::fs::write(&foreign, boot::foreign_preloader(&layout())).unwrap();
    let foreign = foreign.to_str().unwrap();

    // Another project's settings: refused without the override, nothing sent.
    let out = bench.device(
        &sim,
        "identify",
        &["--preloader", foreign, "--board", "a516_row"],
    );
    let err = out.failure();
    assert!(
        err.contains("built for project mtkbench_other_board, not the board's a516_row"),
        "{err}"
    );
    assert!(err.contains("--allow-foreign-emi"), "{err}");

    // With the override they are still checked against the phone's memory: they do not fit.
    let out = bench.device(
        &sim,
        "identify",
        &[
            "--preloader",
            foreign,
            "--board",
            "a516_row",
            "--allow-foreign-emi",
        ],
    );
    let err = out.failure();
    assert!(err.contains("none of the RAM parts they list"), "{err}");
    assert!(err.contains("256 MiB"), "{err}");
    assert!(
        err.contains("the phone's own preloader from its identity backup"),
        "{err}"
    );
    // The phone was not rebooted by a failed session; it is still there for the next try.
    let _ = &mut sim;
}

#[test]
fn repair_with_a_matching_rom_brings_back_preloader_mode_and_keeps_the_identity() {
    let bench = Bench::new();
    let mut sim = bench.sim(&["--mode", "preloader"]);
    let before = bench.device(&sim, "identify", &[]).json();
    assert_eq!(before["mode"], "preloader");
    sim.replugged();
    let identity = nvram_set(&sim);
    drop(sim);
    let rom = bench.path("rom");
    let w = bench.run(&["sim", "--write-rom", rom.to_str().unwrap()]);
    assert!(w.ok(), "{}", w.stderr);
    let mut sim = bench.sim(&["--preloader", "foreign", "--mode", "preloader"]);

    let out = bench.device(
        &sim,
        "repair",
        &[
            "--rom",
            rom.to_str().unwrap(),
            "--mode",
            "download-only",
            "--board",
            "a516_row",
        ],
    );
    assert!(out.ok(), "{}", out.stderr);
    let report = out.json();
    assert_eq!(report["outcome"], "repaired");
    let dead = dead_boot(&report);
    assert_eq!(dead["source"]["kind"], "rom", "{report}");
    assert_eq!(dead["source"]["file"], "preloader_a516_row.bin", "{report}");
    let flashed = report["flashed"].to_string();
    assert!(flashed.contains("PRELOADER"), "{flashed}");
    // The journal's row of the repair keeps the EMI source with the phone's fingerprint.
    let journal = mtkbench::journal::Journal::open_in(&bench.path("data")).unwrap();
    let row = journal
        .get(report["journal_job"].as_i64().unwrap())
        .unwrap();
    let fp: Value = serde_json::from_str(&row.job.fingerprint.unwrap()).unwrap();
    assert_eq!(fp["dead_boot"]["source"]["kind"], "rom", "{fp}");
    sim.replugged();

    // The phone starts in preloader mode again and identifies as before.
    let after = bench.device(&sim, "identify", &[]).json();
    assert_eq!(after["mode"], "preloader");
    assert_eq!(after["dead_boot"], Value::Null);
    for key in ["storage", "ram_size", "preloader", "lcm", "partitions"] {
        assert_eq!(after[key], before[key], "{key}");
    }
    sim.replugged();
    assert_eq!(nvram_set(&sim), identity, "the NVRAM set changed");
}
