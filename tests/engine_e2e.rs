//! The repair engine end to end against `mtkbench sim` over a real pseudo-terminal: identify
//! ranks the right board first on every shipped board and says "unknown" for a board with no
//! profile; a backup is read twice, stored, verified, restored to the same phone (read back
//! equal to the phone's flash), refused when a byte is flipped and refused on another phone;
//! the journal holds every job with its result.

mod device_support;

use device_support::cli::{Bench, restored};
use mtkbench::{firmware::scatter::Region, profile::Registry};
use serde_json::Value;

#[test]
fn identify_ranks_every_shipped_board_first() {
    for entry in Registry::builtin().iter() {
        let id = entry.profile.id.as_str();
        let bench = Bench::new();
        let sim = bench.sim(&["--profile", id]);
        let r = bench
            .device(&sim, "identify", &["--pcb-marking", "unknown-marking"])
            .json();
        assert_eq!(r["board"]["best"], id, "{id}: {:#}", r["board"]);
        assert_eq!(r["board"]["candidates"][0]["profile"], id);
        assert!(r["board"]["candidates"][0]["reasons"][0]["text"].is_string());
        assert!(
            r["preloader"]["project"].is_string(),
            "{id}: {}",
            r["preloader"]
        );
        assert_eq!(r["pcb_marking"], "unknown-marking");
        let drivers = &entry.profile.lcm.drivers;
        let lcm: Vec<&str> = r["lcm"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            lcm,
            drivers.iter().map(String::as_str).collect::<Vec<_>>(),
            "{id}"
        );
    }
}

#[test]
fn a_board_without_a_profile_is_unknown() {
    // The phone is built from a profile only its own simulator knows.
    let maker = Bench::new();
    let text = include_str!("../profiles/a516_row.toml")
        .replace("id = \"a516_row\"", "id = \"mystery72\"")
        .replace("projects = [\"a516_row\"]", "projects = [\"mystery72\"]")
        .replace("project = \"a516_row\"", "project = \"mystery72\"");
    let dir = maker.path("config/profiles");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("mystery72.toml"), text).unwrap();
    let sim = maker.sim(&["--profile", "mystery72"]);
    let bench = Bench::new();
    let save = bench.path("mystery.json");
    let r = bench
        .device(&sim, "identify", &["--save", save.to_str().unwrap()])
        .json();
    assert_eq!(r["preloader"]["project"], "mystery72");
    assert_eq!(r["board"]["best"], Value::Null, "{:#}", r["board"]);
    assert!(
        r["board"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("unknown board")
    );
    // The saved fingerprint reads back for offline matching.
    let saved: mtkbench::device::Fingerprint =
        serde_json::from_str(&std::fs::read_to_string(&save).unwrap()).unwrap();
    assert_eq!(
        saved.preloader.unwrap().project.as_deref(),
        Some("mystery72")
    );
}

#[test]
fn backup_verify_restore_and_refusals_all_in_the_journal() {
    let bench = Bench::new();
    let mut sim = bench.sim(&[]);
    let b = bench.device(&sim, "backup", &[]).json();
    sim.replugged();
    let id = b["id"].as_str().unwrap().to_string();
    let files = b["files"].as_array().unwrap();
    let names: Vec<&str> = files
        .iter()
        .map(|f| f["partition"].as_str().unwrap())
        .collect();
    for p in [
        "PRELOADER",
        "MBR",
        "EBR1",
        "PRO_INFO",
        "NVRAM",
        "PROTECT_F",
        "PROTECT_S",
        "SECCFG",
        "UBOOT",
    ] {
        assert!(names.contains(&p), "{p} not in {names:?}");
    }
    assert!(
        files
            .iter()
            .all(|f| f["sha256"].as_str().unwrap().len() == 64)
    );
    let path = std::path::PathBuf::from(b["path"].as_str().unwrap());
    assert!(path.join("manifest.toml").is_file());
    // The NVRAM file is the phone's NVRAM.
    let nv = files.iter().find(|f| f["partition"] == "NVRAM").unwrap();
    let (off, len) = (
        nv["offset"].as_u64().unwrap(),
        nv["length"].as_u64().unwrap(),
    );
    let stored = std::fs::read(path.join("NVRAM.bin")).unwrap();
    assert_eq!(stored, sim.flash(Region::EmmcUser, off, len as usize));
    assert!(bench.run(&["--json", "backups", "verify", &id]).ok());

    // Restore to the same phone: written, read back equal, and the phone's flash holds it.
    let r = bench.device(&sim, "restore", &["--backup", &id]).json();
    sim.replugged();
    assert_eq!(
        restored(&r),
        ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"]
    );
    assert_eq!(stored, sim.flash(Region::EmmcUser, off, len as usize));

    // Another phone: refused, nothing written.
    let other_bench = Bench::new();
    let mut other = other_bench.sim_serial("E2E-OTHER", &[]);
    let before = other.flash(Region::EmmcUser, off, len as usize);
    let out = bench.run(&[
        "restore",
        "--port",
        &other.port,
        "--da",
        bench.da().to_str().unwrap(),
        "--backup",
        &id,
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("identity cloning"), "{}", out.stderr);
    other.replugged();
    assert_eq!(other.flash(Region::EmmcUser, off, len as usize), before);

    // A flipped byte: refused before the phone is caught.
    let f = path.join("PROTECT_F.bin");
    let mut bytes = std::fs::read(&f).unwrap();
    bytes[7] ^= 1;
    std::fs::write(&f, bytes).unwrap();
    let out = bench.device(&sim, "restore", &["--backup", &id]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("PROTECT_F.bin (PROTECT_F) has changed"),
        "{}",
        out.stderr
    );

    // The journal: backup done, restore done, restore to the other phone failed.
    let h = bench.run(&["--json", "history"]).json();
    let jobs: Vec<(String, String)> = h["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["kind"].as_str().unwrap().to_string(),
                j["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        jobs,
        [
            ("restore".to_string(), "failed".to_string()),
            ("restore".into(), "done".into()),
            ("backup".into(), "done".into()),
        ],
        "{h:#}"
    );
    let backup_job = &h["jobs"][2];
    assert_eq!(backup_job["backup_id"], id.as_str());
    assert_eq!(backup_job["profile"], "a516_row");
    assert!(backup_job["partitions"].as_array().unwrap().len() >= 9);
    let restore_job = &h["jobs"][1];
    assert_eq!(restore_job["partitions"].as_array().unwrap().len(), 4);
    let sheet = bench.run(&["report", &restore_job["id"].to_string()]);
    assert!(
        sheet.stdout.contains("restored from backup"),
        "{}",
        sheet.stdout
    );
}

#[test]
fn a_nand_phone_backs_up_its_equivalents_and_restores() {
    let bench = Bench::new();
    let mut sim = bench.sim(&["--storage", "nand"]);
    let b = bench.device(&sim, "backup", &[]).json();
    sim.replugged();
    let names: Vec<&str> = b["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["partition"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "PRELOADER",
            "PRO_INFO",
            "NVRAM",
            "PROTECT_F",
            "PROTECT_S",
            "SECCFG",
            "UBOOT"
        ]
    );
    assert_eq!(b["skipped"], serde_json::json!(["MBR", "EBR1", "EBR2"]));
    assert!(b["device_key"].as_str().unwrap().starts_with("meid-"));
    let id = b["id"].as_str().unwrap();
    let r = bench.device(&sim, "restore", &["--backup", id]).json();
    sim.replugged();
    assert_eq!(r["restored"].as_array().unwrap().len(), 4);
    assert!(
        r["restored"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["verified"] == true)
    );
}
