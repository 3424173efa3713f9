use std::time::{Duration, UNIX_EPOCH};

use super::*;

/// A phone with eMMC CID `cid` (its device key), for tests of the store.
pub(crate) fn fingerprint(cid: &str) -> Fingerprint {
    serde_json::from_value(serde_json::json!({
        "mode": "brom", "hw_code": 25970, "hw_subcode": 35328, "hw_version": 51712,
        "sw_version": 0, "brom_version": 1, "bl_version": 254,
        "target_config": {"sbc": false, "sla": false, "daa": false, "raw": 0},
        "me_id": "00112233445566778899aabbccddeeff",
        "storage": {"type": "emmc", "boot1_size": 6291456, "boot2_size": 6291456,
                    "user_size": 3909091328u64, "cid": cid},
        "ram_size": 536870912, "da_version": "040001",
        "partition_source": {"kind": "mbr", "profile": "a516_row"},
        "partitions": [{"name": "NVRAM", "region": "user", "offset": 4194304, "size": 5242880}],
        "preloader": {"build_name": "preloader_a516_row.bin", "project": "a516_row",
                      "emi_version": 11},
        "lcm": ["hx8369b_fwvga_dsi_vdo"],
        "pcb_marking": null
    }))
    .unwrap()
}

const T0: u64 = 1_796_292_000;

fn at(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s)
}

fn write_one(store: &Store, cid: &str, when: u64) -> Backup {
    let mut w = store
        .begin(BackupKind::Identity, &fingerprint(cid), Some("a516_row"))
        .unwrap();
    w.add("NVRAM.bin", "NVRAM", Region::User, 0x40_0000, &[0x4E; 4096])
        .unwrap();
    w.add("PRO_INFO.bin", "PRO_INFO", Region::User, 0x10_0000, b"imei")
        .unwrap();
    w.commit(at(when)).unwrap()
}

#[test]
fn a_backup_round_trips_and_verifies() {
    let data = tempfile::tempdir().unwrap();
    let store = Store::new(data.path());
    let b = write_one(&store, "15010053494d373245", T0);
    assert_eq!(b.id, "emmc-15010053494d373245/20261203T100000Z");
    assert_eq!(
        b.path,
        data.path()
            .join("backups/emmc-15010053494d373245/20261203T100000Z")
    );
    let opened = store.open(&b.id).unwrap();
    assert_eq!(opened, b);
    assert_eq!(opened.manifest.tool_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(opened.manifest.created, "2026-12-03T10:00:00Z");
    assert_eq!(
        opened.manifest.fingerprint,
        fingerprint("15010053494d373245")
    );
    assert_eq!(opened.manifest.files[0].length, 4096);
    let v = store.verify(&b.id).unwrap();
    assert!(v.ok && v.require_ok().is_ok(), "{v:?}");
    assert_eq!(
        store.read_file(&b, &b.manifest.files[1]).unwrap(),
        b"imei".to_vec()
    );
    // Nothing else is left in the device's folder (no temporary folder).
    let entries: Vec<_> = std::fs::read_dir(b.path.parent().unwrap())
        .unwrap()
        .collect();
    assert_eq!(entries.len(), 1);
}

#[test]
fn a_flipped_byte_a_missing_file_and_an_escaping_path_are_refused() {
    let data = tempfile::tempdir().unwrap();
    let store = Store::new(data.path());
    let b = write_one(&store, "aa", T0);
    let nv = b.path.join("NVRAM.bin");
    let mut bytes = std::fs::read(&nv).unwrap();
    bytes[100] ^= 0x01;
    std::fs::write(&nv, &bytes).unwrap();
    let v = store.verify(&b.id).unwrap();
    assert!(!v.ok);
    assert_eq!(v.files[0].status, FileStatus::Changed);
    assert_eq!(v.files[1].status, FileStatus::Ok);
    let err = v.require_ok().unwrap_err();
    assert!(
        err.to_string().contains("NVRAM.bin (NVRAM) has changed"),
        "{err}"
    );
    assert!(store.read_file(&b, &b.manifest.files[0]).is_err());

    let b2 = write_one(&store, "bb", T0);
    std::fs::remove_file(b2.path.join("PRO_INFO.bin")).unwrap();
    let v = store.verify(&b2.id).unwrap();
    assert_eq!(v.files[1].status, FileStatus::Missing);
    assert!(
        v.problems()
            .unwrap()
            .contains("PRO_INFO.bin (PRO_INFO) is missing")
    );

    // A manifest pointing outside the folder, at a file that exists and would hash right.
    let b3 = write_one(&store, "cc", T0);
    let outside = data.path().join("backups/cc-secret.bin");
    std::fs::write(&outside, [0x4E; 4096]).unwrap();
    let m = b3.path.join(manifest::FILE);
    for evil in ["../../cc-secret.bin", "/etc/passwd", "sub/NVRAM.bin", ".."] {
        let text = std::fs::read_to_string(&m).unwrap().replacen(
            "file = \"NVRAM.bin\"",
            &format!("file = {evil:?}"),
            1,
        );
        std::fs::write(&m, &text).unwrap();
        let v = store.verify(&b3.id).unwrap();
        assert_eq!(v.files[0].status, FileStatus::Escapes, "{evil}");
        assert_eq!(v.files[0].actual, None);
        assert!(!v.ok);
        let back = store.open(&b3.id).unwrap();
        assert!(store.read_file(&back, &back.manifest.files[0]).is_err());
        let restored = text.replacen(&format!("file = {evil:?}"), "file = \"NVRAM.bin\"", 1);
        std::fs::write(&m, restored).unwrap();
    }
}

#[test]
fn a_backup_is_never_overwritten() {
    let data = tempfile::tempdir().unwrap();
    let store = Store::new(data.path());
    let a = write_one(&store, "aa", T0);
    let b = write_one(&store, "aa", T0);
    assert_ne!(a.id, b.id);
    assert_eq!(b.id, "emmc-aa/20261203T100001Z");
    assert!(store.verify(&a.id).unwrap().ok && store.verify(&b.id).unwrap().ok);
    let ids: Vec<String> = store
        .list(Some("emmc-aa"))
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(ids, [a.id.clone(), b.id.clone()]);
    assert_eq!(store.latest("emmc-aa").unwrap().id, b.id);
    assert!(store.list(Some("emmc-zz")).is_empty());
}

#[test]
fn an_abandoned_backup_leaves_nothing_and_bad_ids_are_refused() {
    let data = tempfile::tempdir().unwrap();
    let store = Store::new(data.path());
    {
        let mut w = store
            .begin(BackupKind::Identity, &fingerprint("dd"), None)
            .unwrap();
        w.add("NVRAM.bin", "NVRAM", Region::User, 0, b"x").unwrap();
        assert!(w.add("NVRAM.bin", "NVRAM", Region::User, 0, b"x").is_err());
        assert!(w.add("../x", "NVRAM", Region::User, 0, b"x").is_err());
    }
    assert!(store.list(None).is_empty());
    let dir = data.path().join("backups/emmc-dd");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    for id in [
        "../x/y",
        "emmc-dd",
        "a/b/c",
        "emmc-dd/.partial-x",
        "/etc/passwd",
    ] {
        assert!(
            matches!(store.open(id), Err(BackupError::BadId { .. })),
            "{id}"
        );
    }
    assert!(matches!(
        store.open("emmc-dd/20990101T000000Z"),
        Err(BackupError::NotFound { .. })
    ));
}
