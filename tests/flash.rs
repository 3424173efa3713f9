//! `mtkbench flash` end to end against `mtkbench sim`, through the real serial path:
//! `--dry-run` plans for a ROM made for the simulated phone's own layout, live (`--port`) and
//! offline (`--fingerprint` saved by `identify --json`), and writes nothing; Download Only is
//! refused on another layout with each difference; Firmware Upgrade is planned with its backup,
//! format, download and restore; Format All is refused without a backup. A boot-looping phone
//! (broken BOOTIMG) is repaired with Download Only, every write read back and verified, its
//! NVRAM set untouched; a disconnect injected in the middle of a write is resumed with
//! `--resume` to completion. `repair` takes the identity backup of a phone without one in the
//! same connection (its NVRAM file is the simulator's), and a second repair reuses it.

mod common;
mod device_support;

use std::path::{Path, PathBuf};

use common::rom::{write_rom, write_rom_with};
use device_support::cli::{Bench, Output};
use mtkbench::firmware::{scatter::Region, synth};
use serde_json::Value;

fn steps(plan: &Value) -> Vec<(String, String)> {
    plan["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["partition"].as_str().unwrap().to_string(),
                s["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn action_of<'a>(steps: &'a [(String, String)], partition: &str) -> Vec<&'a str> {
    steps
        .iter()
        .filter(|(p, _)| p == partition)
        .map(|(_, a)| a.as_str())
        .collect()
}

/// Identifies the simulated phone and saves its fingerprint; returns it and its file.
fn identify(bench: &Bench) -> (Value, PathBuf, Output) {
    let mut sim = bench.sim(&[]);
    let out = bench.device(&sim, "identify", &[]);
    assert!(out.ok(), "{}", out.stderr);
    let path = bench.path("fingerprint.json");
    std::fs::write(&path, &out.stdout).unwrap();
    sim.replugged();
    let before = sim.flash(Region::EmmcUser, 0, 0x200_0000);
    let rom = write_rom(&bench.path("rom"), &out.json(), 0);
    let live = bench.device(
        &sim,
        "flash",
        &[
            "--rom",
            rom.to_str().unwrap(),
            "--mode",
            "download-only",
            "--dry-run",
        ],
    );
    assert_eq!(
        sim.flash(Region::EmmcUser, 0, 0x200_0000),
        before,
        "a dry run wrote to the phone"
    );
    (out.json(), path, live)
}

#[test]
fn dry_run_plans_download_only_for_the_connected_phone_and_writes_nothing() {
    let bench = Bench::new();
    let (fingerprint, _, live) = identify(&bench);
    assert!(live.ok(), "{}", live.stderr);
    let plan = live.json();
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["plan"]["mode"], "download-only");
    let steps = steps(&plan);
    assert_eq!(action_of(&steps, "BOOTIMG"), ["write"]);
    assert_eq!(action_of(&steps, "UBOOT"), ["write"]);
    // The identity image in the ROM is skipped, with the cloning warning.
    assert_eq!(action_of(&steps, "NVRAM"), ["skip"]);
    assert!(plan["plan"]["warnings"].to_string().contains("clon"));
    // Live identify read the phone's own preloader (BOOT_1): the ROM's, built for this
    // board, passes the preloader guard.
    assert!(
        fingerprint["preloader"]["project"].is_string(),
        "{fingerprint}"
    );
    let preloader = &plan["plan"]["steps"][0];
    assert!(
        preloader["why"]
            .as_str()
            .unwrap()
            .contains("built for this board"),
        "{preloader}"
    );
    assert_eq!(action_of(&steps, "PRELOADER"), ["write"]);
    let boot = &plan["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["partition"] == "BOOTIMG")
        .unwrap()
        .clone();
    let phone_boot = fingerprint["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "BOOTIMG")
        .unwrap();
    assert_eq!(boot["addr"], phone_boot["offset"]);
    assert_eq!(boot["region"], "user");
    assert_eq!(boot["source"]["kind"], "image");
    assert_eq!(boot["source"]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn offline_plans_refuse_another_layout_and_plan_a_firmware_upgrade() {
    let bench = Bench::new();
    let (fingerprint, fp, _) = identify(&bench);
    let moved = write_rom(&bench.path("moved"), &fingerprint, 0x8_0000);
    let run = |mode: &str, extra: &[&str]| {
        let mut args = vec![
            "--json",
            "flash",
            "--fingerprint",
            fp.to_str().unwrap(),
            "--rom",
            moved.to_str().unwrap(),
            "--mode",
            mode,
            "--dry-run",
        ];
        args.extend_from_slice(extra);
        bench.run(&args)
    };
    let refused = run("download-only", &[]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stdout.is_empty());
    assert!(
        refused.stderr.contains("Download Only refused"),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains("EBR1: phone user 0x80000 size 0x80000, ROM user 0x80000 size 0x100000"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--mode firmware-upgrade"),
        "{}",
        refused.stderr
    );

    let upgrade = run("firmware-upgrade", &[]);
    assert!(upgrade.ok(), "{}", upgrade.stderr);
    let steps = steps(&upgrade.json());
    // The ROM's NVRAM image is skipped; the phone's own is backed up and restored.
    assert_eq!(
        action_of(&steps, "NVRAM"),
        ["backup", "erase", "skip", "restore"]
    );
    for id in ["PRO_INFO", "PROTECT_F", "PROTECT_S"] {
        assert_eq!(
            action_of(&steps, id),
            ["backup", "erase", "restore"],
            "{id}"
        );
    }
    assert_eq!(action_of(&steps, "BOOTIMG"), ["erase", "write"]);

    // A dry run shows an unconfirmed Format All, but never one without a verified backup.
    for flags in [&[][..], &["--i-understand-this-erases-identity"][..]] {
        let format = run("format-all", flags);
        assert_eq!(format.code, 2, "{flags:?}: {}", format.stdout);
        assert!(
            format.stderr.contains("no backup of this phone's identity"),
            "{}",
            format.stderr
        );
    }
    let format = run("format-all", &["--i-understand-this-erases-identity"]);
    assert_eq!(format.code, 2);
    assert!(
        format.stderr.contains("no backup of this phone's identity"),
        "{}",
        format.stderr
    );
    assert!(
        format.stderr.contains("mtkbench backup"),
        "{}",
        format.stderr
    );
}

/// The bytes of `file` in `rom`.
fn image(rom: &Path, file: &str) -> Vec<u8> {
    std::fs::read(rom.join(file)).unwrap()
}

fn place(fingerprint: &Value, name: &str) -> u64 {
    fingerprint["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()["offset"]
        .as_u64()
        .unwrap()
}

/// The phone's NVRAM set, straight from the simulator's flash.
fn nvram_set(sim: &device_support::cli::Sim, fingerprint: &Value) -> Vec<Vec<u8>> {
    ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"]
        .iter()
        .map(|name| {
            let p = fingerprint["partitions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == *name)
                .unwrap();
            sim.flash(
                Region::EmmcUser,
                p["offset"].as_u64().unwrap(),
                p["size"].as_u64().unwrap() as usize,
            )
        })
        .collect()
}

/// A simulated phone that boot-loops: garbage over the start of BOOTIMG, as a bad OTA leaves
/// it. Returns the running simulator and the phone's fingerprint.
fn boot_looping_phone(bench: &Bench) -> (device_support::cli::Sim, Value) {
    let mut sim = bench.sim(&[]);
    let fingerprint = bench.device(&sim, "identify", &[]).json();
    sim.replugged();
    let garbage = bench.path("garbage.bin");
    std::fs::write(&garbage, vec![0xEE; 0x10_0000]).unwrap();
    let out = bench.device(
        &sim,
        "write",
        &[
            "--partition",
            "BOOTIMG",
            "--file",
            garbage.to_str().unwrap(),
        ],
    );
    assert!(out.ok(), "{}", out.stderr);
    sim.replugged();
    (sim, fingerprint)
}

fn states(report: &Value) -> Vec<(String, String, String)> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["partition"].as_str().unwrap().to_string(),
                s["action"].as_str().unwrap().to_string(),
                s["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_boot_looping_phone_is_repaired_with_download_only_and_every_write_verified() {
    let bench = Bench::new();
    let (mut sim, fingerprint) = boot_looping_phone(&bench);
    let identity = nvram_set(&sim, &fingerprint);
    let rom = write_rom(&bench.path("rom"), &fingerprint, 0);

    let out = bench.device(
        &sim,
        "flash",
        &["--rom", rom.to_str().unwrap(), "--mode", "download-only"],
    );
    assert!(out.ok(), "{}", out.stderr);
    let report = out.json();
    assert_eq!(report["rebooted"], true);
    let states = states(&report);
    for name in ["UBOOT", "BOOTIMG", "RECOVERY"] {
        assert!(
            states.contains(&(name.into(), "write".into(), "verified".into())),
            "{name}: {states:?}"
        );
    }
    assert!(states.contains(&("NVRAM".into(), "skip".into(), "pending".into())));
    sim.replugged();
    for (name, file) in [
        ("BOOTIMG", "boot.img"),
        ("UBOOT", "lk.bin"),
        ("RECOVERY", "recovery.img"),
    ] {
        let want = image(&rom, file);
        let at = place(&fingerprint, name);
        assert_eq!(sim.flash(Region::EmmcUser, at, want.len()), want, "{name}");
    }
    assert_eq!(
        nvram_set(&sim, &fingerprint),
        identity,
        "the NVRAM set changed"
    );
    // The job record says every write completed.
    let job = report["job"].as_str().unwrap();
    let record: Value = serde_json::from_slice(
        &std::fs::read(bench.path("data").join("jobs").join(format!("{job}.json"))).unwrap(),
    )
    .unwrap();
    assert!(
        record["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["action"] == "write")
            .all(|s| s["state"] == "verified"),
        "{record}"
    );
}

#[test]
fn a_disconnect_in_the_middle_of_a_write_is_resumed_to_completion() {
    let bench = Bench::new();
    // The DA, the table and the small images come first; the cut at 2 MiB received lands in
    // the 3 MiB boot.img.
    let mut sim = bench.sim(&["--fault", "disconnect-after-received=0x200000"]);
    let fingerprint = bench.device(&sim, "identify", &[]).json();
    sim.replugged();
    let identity = nvram_set(&sim, &fingerprint);
    let rom = write_rom_with(&bench.path("rom"), &fingerprint, 0, 0x30_0000);
    let cut = bench.device(
        &sim,
        "flash",
        &["--rom", rom.to_str().unwrap(), "--mode", "download-only"],
    );
    assert_eq!(cut.code, 1, "{}", cut.stderr);
    assert!(
        cut.stderr.contains("BOOTIMG") || cut.stderr.contains("writ"),
        "{}",
        cut.stderr
    );
    sim.replugged();
    let boot = image(&rom, "boot.img");
    let at = place(&fingerprint, "BOOTIMG");
    assert_ne!(
        sim.flash(Region::EmmcUser, at, boot.len()),
        boot,
        "the cut left BOOTIMG whole"
    );

    // The journal's row of the cut job says which partitions completed and which failed.
    let journal_of = |outcome: &str| {
        let out = bench.run(&["--json", "history", "--kind", "flash", "--outcome", outcome]);
        assert!(out.ok(), "{}", out.stderr);
        let jobs = out.json()["jobs"].as_array().unwrap().clone();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        jobs[0].clone()
    };
    let failed = journal_of("failed");
    assert!(
        failed["device_key"].as_str().unwrap().starts_with("emmc-"),
        "{failed}"
    );
    let rows = failed["partitions"].as_array().unwrap();
    let row = |name: &str| rows.iter().find(|r| r["partition"] == name).cloned();
    assert_eq!(row("UBOOT").unwrap()["ok"], true, "{failed}");
    assert_eq!(row("BOOTIMG").unwrap()["ok"], false, "{failed}");
    assert!(row("RECOVERY").is_none(), "{failed}");
    assert!(failed["error"].is_string(), "{failed}");

    let resumed = bench.device(&sim, "flash", &["--resume"]);
    assert!(resumed.ok(), "{}", resumed.stderr);
    let report = resumed.json();
    assert!(report["resumed_from"].as_u64().unwrap() >= 1, "{report}");
    let states = states(&report);
    assert!(
        states
            .iter()
            .filter(|(_, a, _)| a == "write")
            .all(|(_, _, s)| s == "verified"),
        "{states:?}"
    );
    let done = journal_of("done");
    let rows = done["partitions"].as_array().unwrap();
    for name in ["BOOTIMG", "RECOVERY"] {
        let r = rows.iter().find(|r| r["partition"] == name).unwrap();
        assert_eq!(r["ok"], true, "{done}");
        assert_eq!(r["sha256"].as_str().unwrap().len(), 64, "{done}");
    }
    assert!(done["throughput"].is_u64(), "{done}");
    sim.replugged();
    assert_eq!(sim.flash(Region::EmmcUser, at, boot.len()), boot);
    assert_eq!(
        nvram_set(&sim, &fingerprint),
        identity,
        "the NVRAM set changed"
    );
    // Nothing left to resume.
    let again = bench.device(&sim, "flash", &["--resume"]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(
        again.stderr.contains("no interrupted flash job"),
        "{}",
        again.stderr
    );
}

#[test]
fn the_preloader_of_another_board_is_refused_and_this_boards_is_written() {
    let bench = Bench::new();
    let (mut fingerprint, _, _) = identify(&bench);
    // The phone's own preloader, as identify reads it from BOOT_1.
    fingerprint["preloader"] = serde_json::json!({
        "build_name": "preloader_a516_row",
        "project": "a516_row",
        "emi_version": 10
    });
    let fp = bench.path("with-preloader.json");
    std::fs::write(&fp, fingerprint.to_string()).unwrap();
    let plan_for = |rom: &Path| {
        let out = bench.run(&[
            "--json",
            "flash",
            "--fingerprint",
            fp.to_str().unwrap(),
            "--rom",
            rom.to_str().unwrap(),
            "--mode",
            "download-only",
            "--dry-run",
        ]);
        assert!(out.ok(), "{}", out.stderr);
        out.json()
    };
    let same = write_rom(&bench.path("same"), &fingerprint, 0);
    let plan = plan_for(&same);
    assert_eq!(action_of(&steps(&plan), "PRELOADER"), ["write"]);

    let other = write_rom(&bench.path("other"), &fingerprint, 0);
    std::fs::write(
        other.join("preloader_a516_row.bin"),
        synth::preloader("s4511_board", 10),
    )
    .unwrap();
    let plan = plan_for(&other);
    assert_eq!(action_of(&steps(&plan), "PRELOADER"), ["skip"]);
    let why = plan["plan"]["steps"][0]["why"].as_str().unwrap();
    assert!(
        why.contains("s4511_board") && why.contains("hard brick"),
        "{why}"
    );
}

#[test]
fn repair_mends_a_boot_looping_phone_in_one_connection() {
    let bench = Bench::new();
    let (mut sim, fingerprint) = boot_looping_phone(&bench);
    let identity = nvram_set(&sim, &fingerprint);
    let rom = write_rom(&bench.path("rom"), &fingerprint, 0);
    let rom = rom.to_str().unwrap();

    // A dry run identifies, checks and plans, and writes nothing.
    let before = sim.flash(Region::EmmcUser, place(&fingerprint, "BOOTIMG"), 0x1000);
    let dry = bench.device(
        &sim,
        "repair",
        &["--rom", rom, "--mode", "download-only", "--dry-run"],
    );
    assert!(dry.ok(), "{}", dry.stderr);
    assert_eq!(dry.json()["outcome"], "planned");
    // It says it would take the identity backup, and stores none.
    assert_eq!(dry.json()["backup_id"], Value::Null);
    assert!(
        dry.json()["backup"]
            .as_str()
            .unwrap()
            .contains("would read its identity set twice"),
        "{}",
        dry.stdout
    );
    let store = mtkbench::backup::Store::new(&bench.path("data"));
    assert!(store.list(None).is_empty(), "a dry run stored a backup");
    assert!(dry.stderr.contains("== Plan"), "{}", dry.stderr);
    sim.replugged();
    assert_eq!(
        sim.flash(Region::EmmcUser, place(&fingerprint, "BOOTIMG"), 0x1000),
        before
    );

    let out = bench.device(&sim, "repair", &["--rom", rom, "--mode", "download-only"]);
    assert!(out.ok(), "{}", out.stderr);
    let report = out.json();
    assert_eq!(report["outcome"], "repaired");
    assert_eq!(report["rebooted"], true);
    assert_eq!(report["fingerprint"]["hw_code"], 0x6572);
    assert_eq!(report["board_findings"], serde_json::json!([]), "{report}");
    // The phone had no backup: the repair took one in the same connection, before flashing.
    assert_eq!(report["backup_taken"], true, "{report}");
    let backup_id = report["backup_id"].as_str().unwrap().to_string();
    assert!(report["backup"].as_str().unwrap().contains(&backup_id));
    let states = states(&report["flashed"]);
    assert!(states.contains(&("BOOTIMG".into(), "write".into(), "verified".into())));
    // The job is in the journal, and its sheet was made from that row.
    assert!(report["journal_job"].is_i64(), "{report}");
    let sheet = &report["sheet"];
    assert_eq!(sheet["job"], report["journal_job"], "{sheet}");
    let lines = sheet["partitions"].to_string();
    assert!(lines.contains("BOOTIMG") && lines.contains("ok"), "{sheet}");
    assert!(sheet["rows"].to_string().contains("Phone ID"), "{sheet}");
    // The dry run before it was not recorded.
    let history = bench.run(&["--json", "history", "--kind", "flash"]);
    assert_eq!(history.json()["jobs"].as_array().unwrap().len(), 1);
    for step in [
        "Identify",
        "Check the ROM",
        "Identity backup",
        "Plan",
        "Flash and verify",
    ] {
        assert!(out.stderr.contains(step), "{step}: {}", out.stderr);
    }
    sim.replugged();
    // The backup's NVRAM file is the phone's NVRAM as the simulator holds it, and verifies.
    let backup = store.open(&backup_id).unwrap();
    assert_eq!(backup.manifest.kind, mtkbench::backup::BackupKind::Identity);
    let entry = backup
        .manifest
        .files
        .iter()
        .find(|f| f.partition == "NVRAM")
        .unwrap();
    assert_eq!(
        store.read_file(&backup, entry).unwrap(),
        sim.flash(
            Region::EmmcUser,
            place(&fingerprint, "NVRAM"),
            entry.length as usize
        )
    );
    assert_eq!(identity[1], store.read_file(&backup, entry).unwrap());
    assert!(store.verify(&backup_id).unwrap().ok);
    let boot = image(Path::new(rom), "boot.img");
    assert_eq!(
        sim.flash(Region::EmmcUser, place(&fingerprint, "BOOTIMG"), boot.len()),
        boot
    );
    assert_eq!(
        nvram_set(&sim, &fingerprint),
        identity,
        "the NVRAM set changed"
    );

    // A second repair of the same phone relies on that backup and takes none.
    let again = bench.device(&sim, "repair", &["--rom", rom, "--mode", "download-only"]);
    assert!(again.ok(), "{}", again.stderr);
    let again = again.json();
    assert_eq!(again["outcome"], "repaired");
    assert_eq!(again["backup_taken"], false, "{again}");
    assert_eq!(again["backup_id"], backup_id.as_str());
    assert!(again["backup"].as_str().unwrap().contains("none taken"));
    assert_eq!(store.list(None).len(), 1, "a second backup was taken");
    sim.replugged();

    // A backup whose file no longer matches its manifest is not relied on: a new one is taken.
    std::fs::write(backup.path.join(&entry.file), b"damaged").unwrap();
    let third = bench.device(&sim, "repair", &["--rom", rom, "--mode", "download-only"]);
    assert!(third.ok(), "{}", third.stderr);
    let third = third.json();
    assert_eq!(third["backup_taken"], true, "{third}");
    assert_ne!(third["backup_id"], backup_id.as_str());
    assert!(
        store
            .verify(third["backup_id"].as_str().unwrap())
            .unwrap()
            .ok
    );
    sim.replugged();

    // Another layout: Download Only is refused with the difference, nothing written.
    let moved = write_rom(&bench.path("moved"), &fingerprint, 0x8_0000);
    let refused = bench.device(
        &sim,
        "repair",
        &["--rom", moved.to_str().unwrap(), "--mode", "download-only"],
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("EBR1: phone user"),
        "{}",
        refused.stderr
    );
    // The board check said first that this ROM's layout is not the phone's.
    assert!(
        refused.stderr.contains("not for this board"),
        "{}",
        refused.stderr
    );
    sim.replugged();
    assert_eq!(
        nvram_set(&sim, &fingerprint),
        identity,
        "the NVRAM set changed"
    );
}

#[test]
fn a_live_phone_keeps_its_preloader_against_another_boards() {
    let bench = Bench::new();
    let (fingerprint, _, _) = identify(&bench);
    let rom = write_rom(&bench.path("other"), &fingerprint, 0);
    std::fs::write(
        rom.join("preloader_a516_row.bin"),
        synth::preloader("s4511_board", 11),
    )
    .unwrap();
    let sim = bench.sim(&[]);
    let out = bench.device(
        &sim,
        "flash",
        &[
            "--rom",
            rom.to_str().unwrap(),
            "--mode",
            "download-only",
            "--dry-run",
        ],
    );
    assert!(out.ok(), "{}", out.stderr);
    let plan = out.json();
    assert_eq!(action_of(&steps(&plan), "PRELOADER"), ["skip"], "{plan}");
    let why = plan["plan"]["steps"][0]["why"].as_str().unwrap();
    assert!(
        why.contains("s4511_board") && why.contains("a516_row"),
        "{why}"
    );
}
