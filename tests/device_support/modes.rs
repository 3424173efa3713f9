//! What the tests of the modes that format share: the simulated phone identified and its
//! NVRAM set read back, the simulator's ROMs, plans, job records and their states, and the
//! check that a finished job verified every write and restored the identity.

use std::path::{Path, PathBuf};

use mtkbench::firmware::scatter::Region;
use serde_json::Value;

use super::cli::{Bench, Output, Sim};

pub const NVRAM_SET: [&str; 4] = ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"];

/// Identifies the simulated phone (the sim then comes back on a new port).
pub fn identify(bench: &Bench, sim: &mut Sim) -> Value {
    let out = bench.device(sim, "identify", &[]);
    let fingerprint = out.json();
    sim.replugged();
    fingerprint
}

/// Where `name` lies in `fingerprint`: offset and size in the user area.
pub fn place(fingerprint: &Value, name: &str) -> (u64, u64) {
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
pub fn read_back(bench: &Bench, sim: &mut Sim, fingerprint: &Value, tag: &str) -> Vec<Vec<u8>> {
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
pub fn nvram_in_flash(sim: &Sim, fingerprint: &Value) -> Vec<Vec<u8>> {
    NVRAM_SET
        .iter()
        .map(|name| {
            let (at, size) = place(fingerprint, name);
            sim.flash(Region::EmmcUser, at, size as usize)
        })
        .collect()
}

/// `mtkbench sim --write-rom DIR --variant VARIANT` for the simulated board.
pub fn sim_rom(bench: &Bench, variant: &str) -> PathBuf {
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
pub fn rom_place(rom: &Path, name: &str) -> Option<(u64, Option<String>)> {
    let scatter = mtkbench::firmware::scatter::parse(
        &std::fs::read_to_string(rom.join("MT6572_Android_scatter.txt")).unwrap(),
    )
    .unwrap();
    let p = scatter.partitions.iter().find(|p| p.name == name)?;
    Some((p.region_offset, p.file.clone()))
}

pub fn states(flashed: &Value) -> Vec<(String, String, String)> {
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
pub fn all_verified(flashed: &Value) {
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
pub fn upgrade_plan(bench: &Bench, fingerprint: &Value, rom_arg: &str) -> Value {
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
pub fn cut_upgrade(bench: &Bench, rom_arg: &str, cut: u64) -> (Sim, Output, Value) {
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
pub fn state_of(record: &Value, partition: &str, action: &str) -> String {
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
pub struct Phone {
    pub bench: Bench,
    pub sim: Sim,
    pub fingerprint: Value,
    pub before: Vec<Vec<u8>>,
    pub rom: PathBuf,
}

pub fn phone_with_rom(variant: &str) -> Phone {
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

/// The simulator's ROM of `variant` copied to `name`, with the `EBR1` image padded with zeros
/// to `ebr1_len` bytes (its first sector is the table; the rest of the partition is unused),
/// and without its Checksum.ini (whose sum is of the unpadded image).
pub fn rom_with_long_ebr1(bench: &Bench, variant: &str, name: &str, ebr1_len: usize) -> PathBuf {
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
