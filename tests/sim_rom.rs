//! `mtkbench sim --write-rom`: the package a technician (or the demo library) gets for the
//! simulated board, read back by `rom inspect`; a full folder is never written into.

mod common;

use common::{json, mtkbench_in};

#[test]
fn write_rom_then_inspect_it() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("lib/nvram-inside");
    let d = dir.to_str().unwrap();
    let out = mtkbench_in(home.path())
        .args([
            "sim",
            "--write-rom",
            d,
            "--variant",
            "nvram-inside",
            "--json",
        ])
        .output()
        .unwrap();
    let v = json(&out);
    assert_eq!(v["profile"], "a516_row");
    assert_eq!(v["variant"], "nvram-inside");
    assert_eq!(v["storage"], "EMMC");
    let files: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(files[0], "MT6572_Android_scatter.txt");
    for f in [
        "preloader_a516_row.bin",
        "lk.bin",
        "boot.img",
        "nvram.bin",
        "Checksum.ini",
    ] {
        assert!(files.contains(&f), "{f} missing from {files:?}");
    }

    let out = mtkbench_in(home.path())
        .args(["rom", "inspect", d, "--json"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["preloader"]["project"], "a516_row");
    assert_eq!(r["lcm"]["lk"][0], "hx8369b_fwvga_dsi_vdo");

    // A second write into the same folder is refused and changes nothing.
    let before = std::fs::read(dir.join("lk.bin")).unwrap();
    let out = mtkbench_in(home.path())
        .args(["sim", "--write-rom", d, "--variant", "wrong-lcm"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(std::fs::read(dir.join("lk.bin")).unwrap(), before);
}

#[test]
fn an_unknown_profile_is_bad_input() {
    let home = tempfile::tempdir().unwrap();
    let d = home.path().join("x");
    let out = mtkbench_in(home.path())
        .args([
            "sim",
            "--write-rom",
            d.to_str().unwrap(),
            "--profile",
            "nope",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!d.exists());
}
