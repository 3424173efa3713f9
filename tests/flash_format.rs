//! The modes that format, end to end against `mtkbench sim` through the real serial path, each
//! in one connection: a phone given a ROM of another layout (`sim --write-rom --variant
//! other-layout`) is refused Download Only with the difference and mended by `repair --mode
//! firmware-upgrade`, which writes the ROM's table, reads it again and restores the NVRAM set
//! into it; Format All + Download is refused without a verified backup and done with one; a
//! disconnect after the format is resumed with `flash --resume`, which restores the NVRAM set.
//! A dry run of Format All + Download on a phone without a backup shows the backup taken first.
//! Every time, the NVRAM set read back before and after is byte-identical.

mod device_support;

use device_support::{
    cli::{Bench, Sim},
    modes::{
        NVRAM_SET, Phone, all_verified, cut_upgrade, identify, phone_with_rom, place, read_back,
        rom_place, sim_rom, state_of, upgrade_plan,
    },
};
use mtkbench::firmware::scatter::Region;

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
