//! The modes that format, end to end against `mtkbench sim` through the real serial path, each
//! in one connection: a phone given a ROM of another layout (`sim --write-rom --variant
//! other-layout`) is refused Download Only with the difference and mended by `repair --mode
//! firmware-upgrade`, which writes the ROM's table, reads it again and restores the NVRAM set
//! into it; Format All + Download is refused without a verified backup and done with one; a
//! disconnect after the format is resumed with `flash --resume`, which restores the NVRAM set.
//! A cut between the ROM's MBR and its last EBR is resumed to the full layout. Every time, the
//! NVRAM set read back before and after is byte-identical.

mod device_support;

use std::path::{Path, PathBuf};

use device_support::cli::{Bench, Output, Sim};
use mtkbench::firmware::scatter::Region;
use serde_json::Value;

const NVRAM_SET: [&str; 4] = ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"];

/// Identifies the simulated phone (the sim then comes back on a new port).
fn identify(bench: &Bench, sim: &mut Sim) -> Value {
    let out = bench.device(sim, "identify", &[]);
    let fingerprint = out.json();
    sim.replugged();
    fingerprint
}

/// Where `name` lies in `fingerprint`: offset and size in the user area.
fn place(fingerprint: &Value, name: &str) -> (u64, u64) {
    let p = fingerprint["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {fingerprint}"));
    (p["offset"].as_u64().unwrap(), p["size"].as_u64().unwrap())
}

/// The NVRAM set as `mtkbench readback --region user` reads it from the phone (by the places
/// the phone had when first identified: the ROMs here keep them), one file per partition.
fn read_back(bench: &Bench, sim: &mut Sim, fingerprint: &Value, tag: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for name in NVRAM_SET {
        let (offset, size) = place(fingerprint, name);
        let file = bench.path(&format!("{tag}-{name}.bin"));
        let done = bench.device(
            sim,
            "readback",
            &[
                "--region",
                "user",
                "--offset",
                &format!("{offset:#x}"),
                "--length",
                &format!("{size:#x}"),
                "--out",
                file.to_str().unwrap(),
            ],
        );
        assert!(done.ok(), "{}", done.stderr);
        sim.replugged();
        out.push(std::fs::read(&file).unwrap());
    }
    // The same bytes as the simulator's own flash holds.
    for (name, bytes) in NVRAM_SET.iter().zip(&out) {
        let (offset, _) = place(fingerprint, name);
        assert_eq!(&sim.flash(Region::EmmcUser, offset, bytes.len()), bytes);
    }
    out
}

/// The NVRAM set straight from the simulator's image, by the places of `fingerprint`.
fn nvram_in_flash(sim: &Sim, fingerprint: &Value) -> Vec<Vec<u8>> {
    NVRAM_SET
        .iter()
        .map(|name| {
            let (at, size) = place(fingerprint, name);
            sim.flash(Region::EmmcUser, at, size as usize)
        })
        .collect()
}

/// `mtkbench sim --write-rom DIR --variant VARIANT` for the simulated board.
fn sim_rom(bench: &Bench, variant: &str) -> PathBuf {
    let dir = bench.path(variant);
    let out = bench.run(&[
        "sim",
        "--write-rom",
        dir.to_str().unwrap(),
        "--variant",
        variant,
    ]);
    assert!(out.ok(), "{}", out.stderr);
    dir
}

/// The user-area offset of `name` in a package's scatter, and its image file; `None` when the
/// scatter has no such partition.
fn rom_place(rom: &Path, name: &str) -> Option<(u64, Option<String>)> {
    let scatter = mtkbench::firmware::scatter::parse(
        &std::fs::read_to_string(rom.join("MT6572_Android_scatter.txt")).unwrap(),
    )
    .unwrap();
    let p = scatter.partitions.iter().find(|p| p.name == name)?;
    Some((p.region_offset, p.file.clone()))
}

fn states(flashed: &Value) -> Vec<(String, String, String)> {
    flashed["steps"]
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

/// Every write and restore of a finished job verified, every NVRAM-set partition restored.
fn all_verified(flashed: &Value) {
    let states = states(flashed);
    for (p, a, s) in &states {
        if a == "write" || a == "restore" {
            assert_eq!(s, "verified", "{p} {a}: {states:?}");
        }
    }
    for name in NVRAM_SET {
        assert!(
            states.contains(&(name.into(), "restore".into(), "verified".into())),
            "{name}: {states:?}"
        );
        assert!(
            !states.contains(&(name.into(), "write".into(), "verified".into())),
            "{name} written from the ROM: {states:?}"
        );
    }
}

/// The Firmware Upgrade plan of `rom` for the phone of `fingerprint` (`flash --dry-run
/// --fingerprint`), as JSON.
fn upgrade_plan(bench: &Bench, fingerprint: &Value, rom_arg: &str) -> Value {
    let fp = bench.path("fingerprint.json");
    std::fs::write(&fp, fingerprint.to_string()).unwrap();
    let plan = bench.run(&[
        "--json",
        "flash",
        "--fingerprint",
        fp.to_str().unwrap(),
        "--rom",
        rom_arg,
        "--mode",
        "firmware-upgrade",
        "--dry-run",
    ]);
    plan.json()
}

/// A Firmware Upgrade of `rom_arg` on a simulator started with the link cut once it has
/// received `cut` bytes: the simulated phone (back on its next port), the failed flash, and
/// the one job record it left.
fn cut_upgrade(bench: &Bench, rom_arg: &str, cut: u64) -> (Sim, Output, Value) {
    let mut sim = bench.sim(&["--fault", &format!("disconnect-after-received={cut:#x}")]);
    let cutoff = bench.device(
        &sim,
        "flash",
        &["--rom", rom_arg, "--mode", "firmware-upgrade"],
    );
    assert_eq!(cutoff.code, 1, "{}", cutoff.stderr);
    sim.replugged();
    let jobs: Vec<PathBuf> = std::fs::read_dir(bench.path("data").join("jobs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let record: Value = serde_json::from_slice(&std::fs::read(&jobs[0]).unwrap()).unwrap();
    (sim, cutoff, record)
}

/// The state of the step `action` on `partition` in a job record.
fn state_of(record: &Value, partition: &str, action: &str) -> String {
    record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["partition"] == partition && s["action"] == action)
        .map(|s| s["state"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {action} of {partition}: {record}"))
}

/// A simulated phone, identified, with its NVRAM set read back, and the simulator's ROM of
/// `variant` for its board.
struct Phone {
    bench: Bench,
    sim: Sim,
    fingerprint: Value,
    before: Vec<Vec<u8>>,
    rom: PathBuf,
}

fn phone_with_rom(variant: &str) -> Phone {
    let bench = Bench::new();
    let mut sim = bench.sim(&[]);
    let fingerprint = identify(&bench, &mut sim);
    let before = read_back(&bench, &mut sim, &fingerprint, "before");
    let rom = sim_rom(&bench, variant);
    Phone {
        bench,
        sim,
        fingerprint,
        before,
        rom,
    }
}

#[test]
fn another_layout_is_refused_download_only_and_mended_by_a_firmware_upgrade() {
    let Phone {
        bench,
        mut sim,
        fingerprint,
        before,
        rom,
    } = phone_with_rom("other-layout");
    let rom_arg = rom.to_str().unwrap();

    let refused = bench.device(
        &sim,
        "repair",
        &["--rom", rom_arg, "--mode", "download-only"],
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("Download Only refused"),
        "{}",
        refused.stderr
    );
    // The difference, partition by partition, and the way out.
    assert!(
        refused.stderr.contains("CACHE: phone user"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--mode firmware-upgrade"),
        "{}",
        refused.stderr
    );
    sim.replugged();

    let upgrade = bench.device(
        &sim,
        "repair",
        &["--rom", rom_arg, "--mode", "firmware-upgrade"],
    );
    assert!(upgrade.ok(), "{}", upgrade.stderr);
    let report = upgrade.json();
    assert_eq!(report["outcome"], "repaired", "{report}");
    // The repair's own backup, taken in this connection, is the one restored.
    assert_eq!(report["backup_taken"], true, "{report}");
    assert_eq!(report["plan"]["backup"], report["backup_id"], "{report}");
    all_verified(&report["flashed"]);
    sim.replugged();

    // The phone now has the ROM's table: MBR and EBRs as the package has them, CACHE where
    // the ROM puts it.
    for name in ["MBR", "EBR1", "EBR2"] {
        let Some((at, file)) = rom_place(&rom, name) else {
            continue;
        };
        let want = std::fs::read(rom.join(file.unwrap())).unwrap();
        assert_eq!(sim.flash(Region::EmmcUser, at, want.len()), want, "{name}");
    }
    let (cache_at, cache_file) = rom_place(&rom, "CACHE").unwrap();
    assert_ne!(cache_at, place(&fingerprint, "CACHE").0);
    let cache = std::fs::read(rom.join(cache_file.unwrap())).unwrap();
    assert_eq!(sim.flash(Region::EmmcUser, cache_at, cache.len()), cache);

    let after = read_back(&bench, &mut sim, &fingerprint, "after");
    assert_eq!(before, after, "the NVRAM set changed");
}

#[test]
fn format_all_needs_a_verified_backup_and_keeps_the_identity() {
    let Phone {
        bench,
        mut sim,
        fingerprint,
        before,
        rom,
    } = phone_with_rom("fits");
    let rom_arg = rom.to_str().unwrap();
    let format = |sim: &Sim, extra: &[&str]| {
        let mut args = vec!["--rom", rom_arg, "--mode", "format-all"];
        args.extend_from_slice(extra);
        bench.device(sim, "flash", &args)
    };

    let refused = format(&sim, &["--i-understand-this-erases-identity"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("no backup of this phone's identity"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("mtkbench backup"),
        "{}",
        refused.stderr
    );
    sim.replugged();
    assert_eq!(read_back(&bench, &mut sim, &fingerprint, "refused"), before);

    let backup = bench.device(&sim, "backup", &[]);
    let backup_id = backup.json()["id"].as_str().unwrap().to_string();
    sim.replugged();

    // A backup is not enough: headless, the erasure of the identity is confirmed by a flag.
    let unconfirmed = format(&sim, &[]);
    assert_eq!(unconfirmed.code, 2, "{}", unconfirmed.stderr);
    assert!(
        unconfirmed
            .stderr
            .contains("--i-understand-this-erases-identity"),
        "{}",
        unconfirmed.stderr
    );
    sim.replugged();

    let done = format(&sim, &["--i-understand-this-erases-identity"]);
    assert!(done.ok(), "{}", done.stderr);
    let report = done.json();
    assert_eq!(report["plan"]["backup"], backup_id.as_str(), "{report}");
    assert_eq!(report["backup"], backup_id.as_str(), "{report}");
    all_verified(&report);
    sim.replugged();
    assert_eq!(
        read_back(&bench, &mut sim, &fingerprint, "after"),
        before,
        "the NVRAM set changed"
    );
}

#[test]
fn a_disconnect_after_the_format_is_resumed_and_the_identity_restored() {
    let bench = Bench::new();
    let rom = sim_rom(&bench, "fits");
    let rom_arg = rom.to_str().unwrap();
    let (fingerprint, before) = {
        let mut sim = bench.sim(&[]);
        let fingerprint = identify(&bench, &mut sim);
        (
            fingerprint.clone(),
            read_back(&bench, &mut sim, &fingerprint, "before"),
        )
    };
    let plan = upgrade_plan(&bench, &fingerprint, rom_arg);
    let length = |action: &str, name: Option<&str>| -> u64 {
        plan["plan"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["action"] == action && name.is_none_or(|n| s["partition"] == n))
            .map(|s| s["length"].as_u64().unwrap())
            .sum()
    };
    // The simulator counts from its start: the DA, then every image (the format and the reads
    // of the backup send only commands), then PRO_INFO restored, then 64 KiB into NVRAM. The
    // commands around them are a few KiB; NVRAM is MiBs, so the cut lands inside it.
    let da = std::fs::metadata(bench.da()).unwrap().len();
    let cut = da + length("write", None) + length("restore", Some("PRO_INFO")) + 0x1_0000;
    assert!(length("restore", Some("NVRAM")) > 0x10_0000);
    let (mut sim, cutoff, record) = cut_upgrade(&bench, rom_arg, cut);
    let backup_id = record["backup"].as_str().expect("no backup in the record");
    let store = mtkbench::backup::Store::new(&bench.path("data"));
    assert!(store.verify(backup_id).unwrap().ok);
    // The technician is told the identity is out, where it is kept, and what to run.
    for said in [
        "formatted and not yet written back",
        backup_id,
        "flash --resume",
    ] {
        assert!(cutoff.stderr.contains(said), "{said}: {}", cutoff.stderr);
    }
    let state = |partition: &str, action: &str| state_of(&record, partition, action);
    // The format ran and the identity is not back whole: the job record says which steps
    // completed and where the backup of the identity is.
    let (nvram_at, nvram_size) = place(&fingerprint, "NVRAM");
    assert!(
        sim.flash(Region::EmmcUser, nvram_at, nvram_size as usize) != before[1],
        "the cut left NVRAM whole: {record}"
    );
    assert_eq!(state("NVRAM", "erase"), "done", "{record}");
    assert_eq!(state("PRO_INFO", "restore"), "verified", "{record}");
    assert_eq!(state("NVRAM", "restore"), "pending", "{record}");

    let resumed = bench.device(&sim, "flash", &["--resume"]);
    assert!(resumed.ok(), "{}", resumed.stderr);
    let report = resumed.json();
    assert!(report["resumed_from"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(report["backup"], backup_id, "{report}");
    all_verified(&report);
    sim.replugged();
    assert_eq!(
        read_back(&bench, &mut sim, &fingerprint, "after"),
        before,
        "the NVRAM set was not restored byte for byte"
    );
}

#[test]
fn repair_in_format_all_takes_the_backup_first_and_keeps_the_identity() {
    let Phone {
        bench,
        mut sim,
        fingerprint,
        before,
        rom,
    } = phone_with_rom("fits");
    let rom_arg = rom.to_str().unwrap();

    // Headless, the erasure of the identity is confirmed by its flag; nothing is formatted
    // without it.
    let unconfirmed = bench.device(&sim, "repair", &["--rom", rom_arg, "--mode", "format-all"]);
    assert_eq!(unconfirmed.code, 2, "{}", unconfirmed.stderr);
    assert!(
        unconfirmed
            .stderr
            .contains("--i-understand-this-erases-identity"),
        "{}",
        unconfirmed.stderr
    );
    sim.replugged();
    assert_eq!(
        read_back(&bench, &mut sim, &fingerprint, "unconfirmed"),
        before
    );

    let done = bench.device(
        &sim,
        "repair",
        &[
            "--rom",
            rom_arg,
            "--mode",
            "format-all",
            "--i-understand-this-erases-identity",
        ],
    );
    assert!(done.ok(), "{}", done.stderr);
    let report = done.json();
    assert_eq!(report["outcome"], "repaired", "{report}");
    // The first repair took the backup; this one found it verified and restored from it.
    assert_eq!(report["backup_taken"], false, "{report}");
    assert_eq!(report["plan"]["backup"], report["backup_id"], "{report}");
    all_verified(&report["flashed"]);
    sim.replugged();
    assert_eq!(
        read_back(&bench, &mut sim, &fingerprint, "after"),
        before,
        "the NVRAM set changed"
    );
}

/// The simulator's ROM of `variant` copied to `name`, with the `EBR1` image padded with zeros
/// to `ebr1_len` bytes (its first sector is the table; the rest of the partition is unused),
/// and without its Checksum.ini (whose sum is of the unpadded image).
fn rom_with_long_ebr1(bench: &Bench, variant: &str, name: &str, ebr1_len: usize) -> PathBuf {
    let from = sim_rom(bench, variant);
    let dir = bench.path(name);
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(&from).unwrap() {
        let e = e.unwrap();
        if e.file_name() != "Checksum.ini" {
            std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
        }
    }
    let mut ebr1 = std::fs::read(dir.join("EBR1")).unwrap();
    ebr1.resize(ebr1_len, 0);
    std::fs::write(dir.join("EBR1"), ebr1).unwrap();
    dir
}

#[test]
fn a_cut_between_the_mbr_and_the_last_ebr_is_resumed_to_the_full_layout() {
    let bench = Bench::new();
    // Another layout, so the ROM's table differs from the phone's; EBR1 padded to 256 KiB
    // so the cut can land inside its write with room for the commands around it.
    let rom = rom_with_long_ebr1(&bench, "other-layout", "long-ebr", 0x4_0000);
    let rom_arg = rom.to_str().unwrap();
    let (fingerprint, before) = {
        let mut sim = bench.sim(&[]);
        let fingerprint = identify(&bench, &mut sim);
        let before = nvram_in_flash(&sim, &fingerprint);
        (fingerprint, before)
    };
    let plan = upgrade_plan(&bench, &fingerprint, rom_arg);
    let writes: Vec<(String, u64)> = plan["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == "write")
        .map(|s| {
            (
                s["partition"].as_str().unwrap().to_string(),
                s["length"].as_u64().unwrap(),
            )
        })
        .collect();
    // The table goes first: the MBR, then EBR1, the last (and only) EBR of this ROM.
    assert_eq!(writes[0], ("MBR".to_string(), 0x200), "{writes:?}");
    assert_eq!(writes[1], ("EBR1".to_string(), 0x4_0000), "{writes:?}");
    assert!(!writes[2..].iter().any(|(p, _)| p.starts_with("EBR")));
    // The simulator counts what it received from its start: the DA, the MBR, then half of
    // EBR1 (the backup's reads and the format send only commands, a few KiB).
    let da = std::fs::metadata(bench.da()).unwrap().len();
    let cut = da + writes[0].1 + writes[1].1 / 2;
    let (mut sim, cutoff, record) = cut_upgrade(&bench, rom_arg, cut);
    let state = |partition: &str, action: &str| state_of(&record, partition, action);
    // The cut landed where it was aimed: the ROM's MBR is on the phone and verified, its
    // EBR1 is not, and the identity is out (formatted, in the backup).
    assert_eq!(state("MBR", "write"), "verified", "{record}");
    assert_eq!(state("EBR1", "write"), "pending", "{record}");
    assert_eq!(state("NVRAM", "erase"), "done", "{record}");
    let (mbr_at, mbr_file) = rom_place(&rom, "MBR").unwrap();
    let rom_mbr = std::fs::read(rom.join(mbr_file.unwrap())).unwrap();
    assert_eq!(sim.flash(Region::EmmcUser, mbr_at, rom_mbr.len()), rom_mbr);
    let (ebr1_at, ebr1_file) = rom_place(&rom, "EBR1").unwrap();
    let rom_ebr1 = std::fs::read(rom.join(ebr1_file.unwrap())).unwrap();
    assert_ne!(
        sim.flash(Region::EmmcUser, ebr1_at, rom_ebr1.len()),
        rom_ebr1,
        "the cut came after EBR1 was written"
    );
    assert!(
        cutoff.stderr.contains("flash --resume"),
        "{}",
        cutoff.stderr
    );

    let resumed = bench.device(&sim, "flash", &["--resume"]);
    assert!(resumed.ok(), "{}", resumed.stderr);
    let report = resumed.json();
    assert!(report["resumed_from"].as_u64().unwrap() > 0, "{report}");
    all_verified(&report);
    sim.replugged();
    // The ROM's whole table and its images are on the phone.
    for name in ["MBR", "EBR1", "CACHE", "UBOOT"] {
        let (at, file) = rom_place(&rom, name).unwrap();
        let want = std::fs::read(rom.join(file.unwrap())).unwrap();
        assert_eq!(sim.flash(Region::EmmcUser, at, want.len()), want, "{name}");
    }
    let after = nvram_in_flash(&sim, &fingerprint);
    assert!(
        before == after,
        "the NVRAM set was not restored byte for byte"
    );
}

#[test]
fn a_dry_run_of_format_all_without_a_backup_shows_the_backup_taken_first() {
    let bench = Bench::new();
    let rom = sim_rom(&bench, "fits");
    let mut sim = bench.sim(&[]);
    let fingerprint = identify(&bench, &mut sim);
    let heads = |sim: &Sim| -> Vec<Vec<u8>> {
        fingerprint["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["region"] == "user")
            .map(|p| {
                let size = p["size"].as_u64().unwrap().min(0x10_0000);
                sim.flash(
                    Region::EmmcUser,
                    p["offset"].as_u64().unwrap(),
                    size as usize,
                )
            })
            .collect()
    };
    let before = heads(&sim);
    let store = mtkbench::backup::Store::new(&bench.path("data"));
    for confirmed in [false, true] {
        let mut args = vec!["--rom", rom.to_str().unwrap(), "--mode", "format-all"];
        args.push("--dry-run");
        if confirmed {
            args.push("--i-understand-this-erases-identity");
        }
        let out = bench.device(&sim, "repair", &args);
        assert!(out.ok(), "{}", out.stderr);
        sim.replugged();
        let report = out.json();
        assert_eq!(report["outcome"], "planned", "{report}");
        assert_eq!(report["backup_taken"], false, "{report}");
        assert!(report["backup_id"].is_null(), "{report}");
        assert!(
            report["backup"]
                .as_str()
                .unwrap()
                .contains("no verified identity backup yet"),
            "{report}"
        );
        // The plan: the NVRAM set read into a new backup before the first erase, and restored
        // from it at the end.
        let steps = report["plan"]["steps"].as_array().unwrap();
        let first = |action: &str| steps.iter().position(|s| s["action"] == action);
        let backed_up: Vec<&str> = steps
            .iter()
            .filter(|s| s["action"] == "backup")
            .map(|s| s["partition"].as_str().unwrap())
            .collect();
        assert_eq!(backed_up, NVRAM_SET, "{report}");
        assert!(first("backup") < first("erase"), "{report}");
        let restored: Vec<&str> = steps
            .iter()
            .filter(|s| s["action"] == "restore")
            .map(|s| s["partition"].as_str().unwrap())
            .collect();
        assert_eq!(restored, NVRAM_SET, "{report}");
        let warnings: Vec<&str> = report["plan"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("reads its identity set") && w.contains("before anything")),
            "{warnings:?}"
        );
        // The confirmation Format All then needs, named until it is given.
        let asks = warnings
            .iter()
            .any(|w| w.contains("--i-understand-this-erases-identity"));
        assert_eq!(asks, !confirmed, "{warnings:?}");
        // What the technician reads: the plan's table, with its warnings.
        assert!(out.stderr.contains("backup  NVRAM"), "{}", out.stderr);
        assert!(out.stderr.contains("warning: this phone has no verified"));
    }
    // A dry run reads nothing into the store and writes nothing to the phone.
    assert!(store.list(None).is_empty());
    assert!(heads(&sim) == before, "the phone's flash changed");
}

#[test]
fn a_firmware_upgrade_names_the_backup_it_restored_not_an_older_one() {
    let Phone {
        bench,
        mut sim,
        fingerprint,
        before,
        rom,
    } = phone_with_rom("fits");
    let rom_arg = rom.to_str().unwrap();
    let older = bench.device(&sim, "backup", &[]).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    sim.replugged();

    // A dry run says the older backup does not serve and a new one would be read.
    let dry = bench.device(
        &sim,
        "repair",
        &["--rom", rom_arg, "--mode", "firmware-upgrade", "--dry-run"],
    );
    let dry = dry.json();
    sim.replugged();
    assert!(dry["backup_id"].is_null(), "{dry}");
    let note = dry["backup"].as_str().unwrap();
    assert!(
        note.contains(&older) && note.contains("earlier session") && note.contains("would read"),
        "{note}"
    );

    let out = bench.device(
        &sim,
        "repair",
        &["--rom", rom_arg, "--mode", "firmware-upgrade"],
    );
    assert!(out.ok(), "{}", out.stderr);
    let report = out.json();
    sim.replugged();
    assert_eq!(report["outcome"], "repaired", "{report}");
    let used = report["flashed"]["backup"].as_str().unwrap();
    assert_ne!(used, older, "{report}");
    assert_eq!(report["backup_id"], used, "{report}");
    assert_eq!(report["plan"]["backup"], used, "{report}");
    assert_eq!(report["backup_taken"], true, "{report}");
    let note = report["backup"].as_str().unwrap();
    assert!(note.contains(&older) && note.contains(used), "{note}");
    all_verified(&report["flashed"]);
    // Both backups are kept, verified; the journal row names the one restored.
    let store = mtkbench::backup::Store::new(&bench.path("data"));
    assert_eq!(store.list(None).len(), 2);
    assert!(store.verify(used).unwrap().ok && store.verify(&older).unwrap().ok);
    let history = bench.run(&["--json", "history"]).json();
    assert_eq!(history["jobs"][0]["backup_id"], used, "{history:#}");
    assert_eq!(
        read_back(&bench, &mut sim, &fingerprint, "after"),
        before,
        "the NVRAM set changed"
    );
}
