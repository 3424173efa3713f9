//! Firmware Upgrade against `mtkbench sim` through the real serial path: a disconnect between
//! the ROM's MBR and its last EBR is resumed with `flash --resume` to the full, verified layout
//! with the NVRAM set byte-identical; a repair of a phone whose store holds a backup from an
//! earlier session reads a new one and names that one, the one it restored from. (Apart from
//! `flash_format`, so that the whole flashes of both files do not all run at once.)

mod device_support;

use device_support::{
    cli::Bench,
    modes::{
        Phone, all_verified, cut_upgrade, identify, nvram_in_flash, phone_with_rom, read_back,
        rom_place, rom_with_long_ebr1, state_of, upgrade_plan,
    },
};
use mtkbench::firmware::scatter::Region;

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
