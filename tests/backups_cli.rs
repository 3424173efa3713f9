//! `mtkbench backups list|verify|show` over a store written through the library API (as
//! `backup` writes it): JSON and text, a flipped byte failing `verify` with exit 1, a bad id.

mod common;

use std::time::{Duration, UNIX_EPOCH};

use common::{json, mtkbench_in};
use mtkbench::{
    backup::{BackupKind, Store},
    device::{Fingerprint, target::Region},
};

fn fingerprint() -> Fingerprint {
    serde_json::from_value(serde_json::json!({
        "mode": "brom", "hw_code": 25970, "hw_subcode": 0, "hw_version": 0, "sw_version": 0,
        "brom_version": 1, "bl_version": 254,
        "target_config": {"sbc": false, "sla": false, "daa": false, "raw": 0},
        "me_id": null,
        "storage": {"type": "emmc", "boot1_size": 6291456, "boot2_size": 6291456,
                    "user_size": 3909091328u64, "cid": "1501aa"},
        "ram_size": 536870912, "da_version": "040001",
        "partition_source": {"kind": "pmt"}, "partitions": [],
        "preloader": null, "lcm": [], "pcb_marking": null
    }))
    .unwrap()
}

#[test]
fn list_show_verify_and_a_flipped_byte() {
    let home = tempfile::tempdir().unwrap();
    let store = Store::new(&home.path().join("data"));
    let mut w = store
        .begin(BackupKind::Identity, &fingerprint(), Some("a516_row"))
        .unwrap();
    w.add("NVRAM.bin", "NVRAM", Region::User, 0x40_0000, &[7u8; 8192])
        .unwrap();
    let b = w
        .commit(UNIX_EPOCH + Duration::from_secs(1_796_292_000))
        .unwrap();
    let run = |args: &[&str]| mtkbench_in(home.path()).args(args).output().unwrap();

    let l = json(&run(&["backups", "list", "--json"]));
    assert_eq!(l["backups"][0]["id"], "emmc-1501aa/20261203T100000Z");
    assert_eq!(
        l["backups"][0]["manifest"]["files"][0]["partition"],
        "NVRAM"
    );
    let text = String::from_utf8(run(&["backups", "list"]).stdout).unwrap();
    assert!(text.contains("identity backup, 1 files"), "{text}");

    let s = json(&run(&["backups", "show", &b.id, "--json"]));
    assert_eq!(s["manifest"]["profile"], "a516_row");
    assert_eq!(s["manifest"]["files"][0]["length"], 8192);

    let v = json(&run(&["backups", "verify", &b.id, "--json"]));
    assert_eq!(v["ok"], true);

    let f = b.path.join("NVRAM.bin");
    let mut bytes = std::fs::read(&f).unwrap();
    bytes[0] ^= 0x80;
    std::fs::write(&f, bytes).unwrap();
    let out = run(&["backups", "verify", &b.id]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("NVRAM        NVRAM.bin            CHANGED"),
        "{text}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Do not restore")
            || text.contains("Do not restore")
    );

    let bad = run(&["backups", "show", "../../etc"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("backups list"));
}
