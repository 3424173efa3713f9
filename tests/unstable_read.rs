//! An unstable read, end to end against `mtkbench sim --fault flaky-read=NVRAM` (every second
//! read of NVRAM's first byte comes back flipped, as over a bad cable): the identity backup,
//! which reads each partition twice and compares them by SHA-256, stores nothing, leaves no
//! staged folder, and tells the technician what happened and what to do; a Firmware Upgrade,
//! whose first steps take that backup, stops before any erase.

mod device_support;

use std::path::Path;

use device_support::cli::{Bench, Output, Sim};
use mtkbench::firmware::scatter::Region;
use serde_json::Value;

/// Every file under `dir` (a folder that does not exist has none).
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            out.push(path.clone());
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The store holds no backup, complete or staged: at most the phone's (empty) folder.
fn nothing_stored(bench: &Bench) {
    let store = mtkbench::backup::Store::new(&bench.path("data"));
    assert!(store.list(None).is_empty(), "{:?}", store.list(None));
    let left: Vec<_> = files_under(store.root())
        .into_iter()
        .filter(|p| p.parent() != Some(store.root()))
        .collect();
    assert!(left.is_empty(), "left in the store: {left:?}");
}

/// The technician reads what happened (which partition, unstable read), that nothing was
/// stored or changed, and what to do about the cable, the hub and the battery.
fn says_unstable(out: &Output) {
    let said = out.failure();
    assert_eq!(out.code, 1, "{said}");
    for needle in [
        "NVRAM read differently twice",
        "no backup was stored",
        "nothing on the phone was changed",
        "cable",
        "USB hub",
        "battery",
        "run the backup again",
    ] {
        assert!(said.contains(needle), "{needle:?} missing: {said}");
    }
}

/// The phone's partitions, from `identify`.
fn partitions(bench: &Bench, sim: &mut Sim) -> Vec<(String, u64, u64)> {
    let fingerprint = bench.device(sim, "identify", &[]).json();
    sim.replugged();
    fingerprint["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["region"] == "user")
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["offset"].as_u64().unwrap(),
                p["size"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The first 64 KiB of every partition, from the simulator's image.
fn heads(sim: &Sim, parts: &[(String, u64, u64)]) -> Vec<Vec<u8>> {
    parts
        .iter()
        .map(|(_, at, size)| sim.flash(Region::EmmcUser, *at, (*size).min(0x1_0000) as usize))
        .collect()
}

#[test]
fn a_backup_whose_two_reads_differ_stores_nothing_and_says_why() {
    let bench = Bench::new();
    let sim = bench.sim(&["--fault", "flaky-read=NVRAM"]);
    let out = bench.device(&sim, "backup", &[]);
    says_unstable(&out);
    nothing_stored(&bench);
}

#[test]
fn a_firmware_upgrade_stops_before_any_erase_when_the_backup_reads_differ() {
    let bench = Bench::new();
    let rom = bench.path("fits");
    let made = bench.run(&["sim", "--write-rom", rom.to_str().unwrap()]);
    assert!(made.ok(), "{}", made.stderr);
    let mut sim = bench.sim(&["--fault", "flaky-read=NVRAM"]);
    let parts = partitions(&bench, &mut sim);
    assert!(parts.iter().any(|(n, _, _)| n == "NVRAM"), "{parts:?}");
    let before = heads(&sim, &parts);

    let out = bench.device(
        &sim,
        "flash",
        &["--rom", rom.to_str().unwrap(), "--mode", "firmware-upgrade"],
    );
    says_unstable(&out);
    nothing_stored(&bench);
    // Not one partition changed: the format never started.
    let after = heads(&sim, &parts);
    for ((name, _, _), (b, a)) in parts.iter().zip(before.iter().zip(&after)) {
        assert!(b == a, "{name} changed");
    }
    // The job record says so: no step past the backup ran.
    let jobs: Vec<_> = files_under(&bench.path("data").join("jobs"));
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let record: Value = serde_json::from_slice(&std::fs::read(&jobs[0]).unwrap()).unwrap();
    assert!(record["backup"].is_null(), "{record}");
    let steps = record["steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["action"] == "erase"), "{record}");
    for s in steps {
        assert_eq!(s["state"], "pending", "{s}");
    }
}
