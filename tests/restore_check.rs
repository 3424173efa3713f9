//! The restore's own checks against the simulated phone over its PTY: what it writes and what
//! it reads back must both hash to the manifest (a phone whose read-back differs —
//! `mtkbench sim --fault flaky-read=NVRAM` — fails the restore, a good one holds the backup's
//! bytes), and a backup file changed on disk after its proof (`Store::prove`) is refused in the
//! pass just before its write, so not a byte of it reaches the phone.

mod device_support;

use std::path::Path;

use device_support::{InProcessSim, cli::Bench};
use mtkbench::{
    Advice,
    backup::{Consent, Store},
    engine::{backup, restore},
    firmware::scatter::Region,
    profile::Registry,
    sim::{
        device::Mode as SimMode,
        storage::{ImageStorage, Storage},
    },
};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn flash(image: &Path, offset: u64, len: u64) -> Vec<u8> {
    let mut storage = ImageStorage::open(image).unwrap();
    let mut buf = vec![0u8; len as usize];
    storage.read(Region::EmmcUser, offset, &mut buf).unwrap();
    buf
}

#[test]
fn what_is_written_and_read_back_must_hash_to_the_manifest() {
    let bench = Bench::new();
    let (id, nvram) = {
        let mut sim = bench.sim(&[]);
        let b = bench.device(&sim, "backup", &[]).json();
        sim.replugged();
        let nv: Value = b["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["partition"] == "NVRAM")
            .unwrap()
            .clone();
        (b["id"].as_str().unwrap().to_string(), nv)
    };
    let (at, len) = (
        nvram["offset"].as_u64().unwrap(),
        nvram["length"].as_u64().unwrap(),
    );
    let want = nvram["sha256"].as_str().unwrap();
    // The phone's NVRAM damaged while it is off, so the restore has real work to do.
    {
        let mut storage = ImageStorage::open(&bench.path("phone.img")).unwrap();
        storage
            .write(Region::EmmcUser, at, &[0xAA; 0x1000])
            .unwrap();
    }
    // From now on every second read of NVRAM's first byte comes back flipped.
    let mut sim = bench.sim(&["--fault", "flaky-read=NVRAM"]);
    assert_ne!(sha256(&sim.flash(Region::EmmcUser, at, len as usize)), want);

    // The restore's read-back is the first read: the written bytes and the read-back both
    // hash to the manifest, and the phone holds exactly them.
    let r = bench
        .device(&sim, "restore", &["--backup", &id, "--partitions", "NVRAM"])
        .json();
    sim.replugged();
    let nv = r["restored"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["partition"] == "NVRAM")
        .unwrap();
    assert_eq!(nv["verified"], true, "{r}");
    assert_eq!(sha256(&sim.flash(Region::EmmcUser, at, len as usize)), want);

    // The whole set: PRO_INFO goes first, then NVRAM, whose read-back is now the second,
    // flipped on the wire; its hash is not the manifest's, and the restore fails with the
    // partition named and the rest unwritten.
    let out = bench.device(&sim, "restore", &["--backup", &id]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let said = out.failure();
    assert!(
        said.contains(&format!("NVRAM read back differently from backup {id}")),
        "{said}"
    );
    assert!(
        said.contains("its other partitions were not written"),
        "{said}"
    );
    let h = bench.run(&["--json", "history"]).json();
    let rows = h["jobs"][0]["partitions"].as_array().unwrap();
    let nv_row = rows.iter().find(|p| p["partition"] == "NVRAM").unwrap();
    assert_eq!(nv_row["ok"], false, "{h:#}");
    assert!(
        !rows.iter().any(|p| p["partition"] == "PROTECT_F"),
        "written after the mismatch: {h:#}"
    );
}

#[test]
fn a_backup_file_changed_after_its_proof_is_refused_before_a_byte_is_sent() {
    let mut sim = InProcessSim::start("a516_row", None, SimMode::Brom, &[]);
    let data = tempfile::tempdir().unwrap();
    let store = Store::new(data.path());
    let taken = backup::run(sim.job(), &store, &Registry::builtin(), None).unwrap();
    sim.replugged();
    let id = taken.value.id.clone();
    let nvram = taken
        .value
        .files
        .iter()
        .find(|f| f.partition == "NVRAM")
        .unwrap()
        .clone();
    let before = flash(&sim.image, nvram.offset, nvram.length);
    assert_eq!(sha256(&before), nvram.sha256);

    let done = sim
        .job()
        .run(|phone| {
            let proof = store
                .prove(&id, &phone.fingerprint(), Consent::SameDevice)
                .unwrap();
            let files = proof.files(&store, &proof.nvram_set()).unwrap();
            // Proven: every file hashed right. Now NVRAM.bin changes on disk, as a sync tool
            // or a failing disk would change it, before the restore writes it.
            let nv = files
                .iter()
                .find(|f| f.entry().partition == "NVRAM")
                .unwrap();
            let mut bytes = std::fs::read(nv.path()).unwrap();
            bytes[0x100] ^= 0x5A;
            std::fs::write(nv.path(), bytes).unwrap();
            restore::write_back(phone, &files)
        })
        .unwrap();
    sim.replugged();
    let err = done.value.unwrap_err();
    let said = err.to_string();
    assert!(
        said.contains("NVRAM.bin of backup") && said.contains("changed on disk"),
        "{said}"
    );
    assert!(said.contains("nothing was written to NVRAM"), "{said}");
    // PRO_INFO comes first in the set and was written, whole and verified, before it.
    assert!(
        said.contains("written before it and read back equal: PRO_INFO"),
        "{said}"
    );
    assert!(err.help().contains("backups verify"), "{}", err.help());
    // Not one byte of the changed file reached the phone.
    assert_eq!(flash(&sim.image, nvram.offset, nvram.length), before);
}
