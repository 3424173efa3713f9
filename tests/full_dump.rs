//! `backup --full` end to end against `mtkbench sim` over a real pseudo-terminal, on a small
//! board (`tests/fixtures/full_dump/tiny72.toml`: the a516_row layout shrunk, so the whole
//! flash reads in seconds): the dump is a package (scatter from the phone's own table, one
//! hashed image per partition, the backups' manifest) that `backups verify` checks and
//! `library match` ranks for the board; and it brings a blank phone of the same board (the
//! same chip, its flash erased) back to the original: the preloader restored by the proof that
//! the dump is this phone's (or written with the explicit override), the partition table, then
//! the package flashed as a ROM through the flash path, the NVRAM set restored by the same
//! proof; the phone then identifies exactly as the original did and holds the same bytes in
//! every partition.

mod device_support;

use device_support::cli::{Bench, Sim, restored};
use mtkbench::firmware::scatter::Region;
use serde_json::Value;

/// A bench whose profiles folder holds the small board.
fn tiny_bench() -> Bench {
    let bench = Bench::new();
    let dir = bench.path("config/profiles");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("tiny72.toml"),
        include_str!("fixtures/full_dump/tiny72.toml"),
    )
    .unwrap();
    bench
}

/// Runs a device command and waits for the phone to come back.
fn on(bench: &Bench, sim: &mut Sim, cmd: &str, extra: &[&str]) -> Value {
    let out = bench.device(sim, cmd, extra).json();
    sim.replugged();
    out
}

/// What identify says about the phone, without what belongs to the connection.
fn identity(mut v: Value) -> Value {
    for key in ["port", "rebooted", "warning"] {
        v.as_object_mut().unwrap().remove(key);
    }
    v
}

#[test]
fn a_full_dump_flashes_a_blank_phone_of_the_board_back_into_the_original() {
    let bench = tiny_bench();
    let mut phone = bench.sim_serial("TWIN-1", &["--profile", "tiny72"]);
    let fp_file = bench.path("phone.json");
    let original = identity(on(
        &bench,
        &mut phone,
        "identify",
        &["--save", fp_file.to_str().unwrap()],
    ));
    assert_eq!(original["board"]["best"], "tiny72", "{original:#}");

    let dump = on(&bench, &mut phone, "backup", &["--full", "--into-library"]);
    let id = dump["id"].as_str().unwrap().to_string();
    let dir = std::path::PathBuf::from(dump["path"].as_str().unwrap());
    let files = dump["files"].as_array().unwrap().clone();
    let names: Vec<&str> = files
        .iter()
        .map(|f| f["partition"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "PRELOADER");
    for p in [
        "MBR", "EBR1", "NVRAM", "PRO_INFO", "UBOOT", "ANDROID", "USRDATA",
    ] {
        assert!(names.contains(&p), "{p} not in {names:?}");
    }
    assert!(
        files
            .iter()
            .all(|f| f["sha256"].as_str().unwrap().len() == 64)
    );
    // Every image is the phone's own bytes.
    for f in &files {
        let region: Region = serde_json::from_value(f["region"].clone()).unwrap();
        let bytes = std::fs::read(dir.join(f["file"].as_str().unwrap())).unwrap();
        let (off, len) = (f["offset"].as_u64().unwrap(), f["length"].as_u64().unwrap());
        assert_eq!(bytes.len() as u64, len);
        assert!(
            bytes == phone.flash(region, off, len as usize),
            "{} differs from the phone",
            f["file"]
        );
    }
    // The beyond-the-partitions tail is said, not read.
    assert_eq!(dump["unpartitioned"][0]["region"], "user");
    // The package: its scatter reads as a valid MT6572 eMMC scatter of the phone's layout,
    // the NVRAM set listed but not for download.
    let scatter = bench
        .run(&[
            "--json",
            "scatter",
            "show",
            dir.join("MT6572_Android_scatter.txt").to_str().unwrap(),
        ])
        .json();
    let parts = scatter["partitions"].as_array().unwrap();
    let nvram = parts.iter().find(|p| p["name"] == "NVRAM").unwrap();
    assert_eq!(nvram["download"], false, "{nvram:#}");
    let android = parts.iter().find(|p| p["name"] == "ANDROID").unwrap();
    assert_eq!(android["file"], "system.img");
    assert!(bench.run(&["--json", "backups", "verify", &id]).ok());
    // The journal holds the dump: a backup job in mode full, one row per image.
    let h = bench.run(&["--json", "history", "--kind", "backup"]).json();
    let job = &h["jobs"][0];
    assert_eq!(
        (&job["outcome"], &job["mode"], &job["backup_id"]),
        (
            &Value::from("done"),
            &Value::from("full"),
            &Value::from(id.as_str())
        ),
        "{h:#}"
    );
    assert_eq!(job["partitions"].as_array().unwrap().len(), files.len());
    // In the library, ranked for this board: layout and preloader as the phone's.
    let library = std::path::PathBuf::from(dump["library"].as_str().unwrap());
    assert!(library.join("MT6572_Android_scatter.txt").is_file());
    let m = bench
        .run(&[
            "--json",
            "library",
            "match",
            "--fingerprint",
            fp_file.to_str().unwrap(),
        ])
        .json();
    assert_eq!(m["profile"], "tiny72");
    let first = &m["matches"][0];
    assert!(
        first["package"]
            .as_str()
            .unwrap()
            .starts_with("tiny72-full-"),
        "{m:#}"
    );
    assert_ne!(first["verdict"], "refused", "{first:#}");
    assert_eq!(first["download_only"], true, "{first:#}");

    // A blank phone of the same board: the same chip, erased flash.
    let blank_bench = tiny_bench();
    let mut blank = blank_bench.sim_serial("TWIN-1", &["--profile", "tiny72", "--blank"]);
    let before = identity(on(&bench, &mut blank, "identify", &[]));
    assert_eq!(before["storage"]["cid"], original["storage"]["cid"]);
    assert_ne!(before["partitions"], original["partitions"]);
    let file = |partition: &str| {
        let f = files.iter().find(|f| f["partition"] == partition).unwrap();
        (
            dir.join(f["file"].as_str().unwrap()),
            f["offset"].as_u64().unwrap(),
        )
    };

    // The preloader is boot code: a plain write is refused, by name, before the phone is
    // caught. It goes back by the proof that the dump is this phone's own (the guard records
    // the proof in the transcript), or by the technician's recorded override.
    let (preloader, _) = file("PRELOADER");
    let pl = preloader.to_str().unwrap();
    let refused = bench.device(&blank, "write", &["--partition", "PRELOADER", "--file", pl]);
    assert!(
        refused.failure().contains("hard brick"),
        "{}",
        refused.stderr
    );
    let r = on(
        &bench,
        &mut blank,
        "restore",
        &["--backup", &id, "--partitions", "PRELOADER"],
    );
    assert_eq!(restored(&r), ["PRELOADER"]);
    let w = on(
        &bench,
        &mut blank,
        "write",
        &[
            "--partition",
            "PRELOADER",
            "--file",
            pl,
            "--force-identity-partition",
        ],
    );
    assert_eq!(w["forced"]["flag"], "--force-identity-partition", "{w:#}");
    // The partition table: the MBR and the EBR where the dump read them.
    for table in ["MBR", "EBR1"] {
        let (path, offset) = file(table);
        on(
            &bench,
            &mut blank,
            "write",
            &[
                "--region",
                "user",
                "--offset",
                &format!("{offset:#x}"),
                "--file",
                path.to_str().unwrap(),
            ],
        );
    }
    // The package as a ROM, through the flash path: the phone's layout is the scatter's now.
    let flashed = on(
        &bench,
        &mut blank,
        "flash",
        &["--rom", dir.to_str().unwrap(), "--mode", "download-only"],
    );
    let steps = flashed["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s["partition"] == "ANDROID" && s["state"] == "verified"),
        "{flashed:#}"
    );
    assert!(
        !steps
            .iter()
            .any(|s| s["partition"] == "NVRAM" && s["action"] == "write"),
        "{flashed:#}"
    );
    // The NVRAM set, by the proof that the dump is this phone's.
    let r = on(&bench, &mut blank, "restore", &["--backup", &id]);
    assert_eq!(
        restored(&r),
        ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"]
    );

    // The phone identifies exactly as the original, and holds the same bytes.
    let after = identity(on(&bench, &mut blank, "identify", &[]));
    assert_eq!(after, original);
    for f in &files {
        let region: Region = serde_json::from_value(f["region"].clone()).unwrap();
        let (off, len) = (f["offset"].as_u64().unwrap(), f["length"].as_u64().unwrap());
        assert!(
            blank.flash(region, off, len as usize) == phone.flash(region, off, len as usize),
            "{} differs after the flash-back",
            f["partition"]
        );
    }
}
