//! Tries every way from outside the crate to write or erase a range the guard did not pass:
//! build a guarded target by a trait (`Default`, `From`, `TryFrom`, `FromStr`, serde
//! `Deserialize`), guard against facts other than the ones the session read from the phone,
//! guard before the partition table is read, name a range like a harmless partition, reuse a
//! guarded target's range, and write a target guarded on one session through another. None may give a guarded target for a protected or foreign
//! range. A restore's write of the identity needs a proof ([`mtkbench::backup::ProvenFile`])
//! that only a verified backup of the connected phone gives: no trait builds one, and one
//! made for another phone, of another phone's backup without consent, or of a changed file
//! opens nothing. The ROM's partition table in a layout rewrite passes by a proof of this
//! phone's whole identity backup, and that proof lifts nothing else. (Struct literals, field mutation and a plain `Target` handed to `Session::write` are
//! refused by the compiler: the `compile_fail` examples of `device::guard` show it.)

use std::{marker::PhantomData, path::Path, time::Duration};

use mtkbench::{
    backup::{Backup, BackupKind, Consent, FileEntry, ProvenFile, RestoreProof, Store},
    device::{
        DaInfo, DeviceError, Fingerprint, Session,
        guard::{self, GuardedErase, GuardedWrite, Override},
        target::{Region, Selector, Target, resolve},
    },
    profile::Registry,
    protocol::da_file::{DaFile, generate_sim_da},
    transport::ScriptedTransport,
};

/// True when `$t` implements `$bound`, decided at compile time by method resolution: the
/// probe's `Yes` method applies only when the bound holds, `No`'s (one auto-reference
/// further) otherwise.
macro_rules! implements {
    ($t:ty: $($bound:tt)+) => {{
        struct Probe<T>(PhantomData<T>);
        // One of the two is always left unused: the answer.
        #[allow(dead_code)]
        trait Yes {
            fn has(&self) -> bool {
                true
            }
        }
        impl<T: $($bound)+> Yes for Probe<T> {}
        #[allow(dead_code)]
        trait No {
            fn has(&self) -> bool {
                false
            }
        }
        impl<T> No for &Probe<T> {}
        (&Probe::<$t>(PhantomData)).has()
    }};
}

#[test]
fn no_trait_builds_a_guarded_target() {
    // The probe sees the traits the types do have.
    assert!(implements!(GuardedWrite: Clone));
    assert!(implements!(GuardedErase: std::fmt::Debug));
    assert!(implements!(Target: serde::Serialize));
    assert!(implements!(Target: Clone));

    assert!(!implements!(GuardedWrite: Default));
    assert!(!implements!(GuardedErase: Default));
    assert!(!implements!(GuardedWrite: From<Target>));
    assert!(!implements!(GuardedErase: From<Target>));
    assert!(!implements!(GuardedWrite: for<'a> From<&'a Target>));
    assert!(!implements!(GuardedErase: for<'a> From<&'a Target>));
    assert!(!implements!(GuardedWrite: TryFrom<Target>));
    assert!(!implements!(GuardedErase: TryFrom<Target>));
    assert!(!implements!(GuardedWrite: From<GuardedErase>));
    assert!(!implements!(GuardedErase: From<GuardedWrite>));
    assert!(!implements!(GuardedWrite: std::str::FromStr));
    assert!(!implements!(GuardedErase: std::str::FromStr));
    assert!(!implements!(GuardedWrite: for<'de> serde::Deserialize<'de>));
    assert!(!implements!(GuardedErase: for<'de> serde::Deserialize<'de>));
    // Nor is there a way to change a guarded range in place.
    assert!(!implements!(GuardedWrite: std::ops::DerefMut));
    assert!(!implements!(GuardedErase: std::ops::DerefMut));
    assert!(!implements!(GuardedWrite: AsMut<Target>));
    assert!(!implements!(GuardedErase: AsMut<Target>));
    assert!(!implements!(GuardedWrite: std::borrow::BorrowMut<Target>));
}

fn fixture() -> ScriptedTransport {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/transcripts/device_emmc_session.txt");
    ScriptedTransport::from_file(&path).unwrap()
}

fn refused(e: DeviceError) {
    assert!(matches!(e, DeviceError::Refused { .. }), "{e}");
}

fn out_of_range(e: DeviceError) {
    assert!(matches!(e, DeviceError::OutOfRange { .. }), "{e}");
}

/// A session replaying the recorded one up to its partition table.
fn with_table() -> (Session<ScriptedTransport>, DaInfo) {
    let mut s = Session::new(fixture());
    s.connect(Duration::from_secs(2)).unwrap();
    s.identify_brom().unwrap();
    let da = s
        .boot_da(&DaFile::parse(generate_sim_da()).unwrap())
        .unwrap();
    s.partition_table(&Registry::builtin()).unwrap();
    (s, da)
}

#[test]
fn a_target_guarded_on_one_session_is_not_written_through_another() {
    let (a, da) = with_table();
    let (mut b, _) = with_table();
    // The same phone layout on both: only where the check was made differs.
    assert_eq!(a.partition_map(), b.partition_map());
    let map = a.partition_map().unwrap();
    let place = |name: &str, len| {
        let sel = Selector::Partition(name.into());
        resolve(&sel, None, Some(len), &map.partitions, |r| da.region(r)).unwrap()
    };
    let logo = place("LOGO", 0x1000);
    let write = guard::write(&a, &logo, Path::new("logo.bin"), 0x200, Override::None).unwrap();
    let erase = guard::erase(&a, &logo, Override::None).unwrap();
    let e = b.write(&write, &mut std::io::empty()).unwrap_err();
    assert!(
        e.to_string().contains("guard it again on this session"),
        "{e}"
    );
    let e = b.erase(&erase).unwrap_err();
    assert!(
        e.to_string().contains("guard it again on this session"),
        "{e}"
    );
    // Nothing was sent: `b` still goes on exactly as recorded, with the read of UBOOT's start
    // (an LK image: the MTK header magic).
    let mut head = Vec::new();
    b.read(&place("UBOOT", 0x400), &mut head).unwrap();
    assert_eq!(&head[..4], &[0x88, 0x16, 0x88, 0x58]);
}

#[test]
fn the_guard_judges_only_by_what_the_session_read_from_the_phone() {
    let mut s = Session::new(fixture());
    let nvram_like = Target {
        name: "user".into(),
        is_partition: false,
        region: Region::EmmcUser,
        addr: 0,
        len: 0x200,
    };
    // Before the DA and the table: there is nothing to judge by, so nothing is guarded.
    assert!(guard::erase(&s, &nvram_like, Override::None).is_err());
    s.connect(Duration::from_secs(2)).unwrap();
    s.identify_brom().unwrap();
    let da = s
        .boot_da(&DaFile::parse(generate_sim_da()).unwrap())
        .unwrap();
    // The DA runs but the table is not read yet: still refused, whatever the override.
    let e = guard::erase(&s, &nvram_like, Override::ForceIdentityPartition).unwrap_err();
    assert!(e.to_string().contains("partition table"), "{e}");
    let img = Path::new("x.img");
    assert!(guard::write(&s, &nvram_like, img, 0x200, Override::None).is_err());

    let map = s.partition_table(&Registry::builtin()).unwrap();
    assert_eq!(s.partition_map(), Some(&map));
    let at = |name: &str, offset, len| {
        resolve(
            &Selector::Partition(name.into()),
            offset,
            len,
            &map.partitions,
            |r| da.region(r),
        )
        .unwrap()
    };
    let nvram = at("NVRAM", None, None);
    let uboot = at("UBOOT", None, None);

    // The identity and the boot code by name, in any case.
    for name in [
        "NVRAM",
        "nvram",
        "PRO_INFO",
        "protect_f",
        "PROTECT_S",
        "PRELOADER",
    ] {
        let t = at(name, None, Some(0x200));
        refused(guard::erase(&s, &t, Override::None).unwrap_err());
        refused(guard::write(&s, &t, img, 0x200, Override::None).unwrap_err());
    }
    // A raw range of the user area over NVRAM, under any name.
    let raw = Target {
        name: "scratch".into(),
        is_partition: false,
        region: Region::EmmcUser,
        addr: nvram.addr + 0x1000,
        len: 0x1000,
    };
    refused(guard::erase(&s, &raw, Override::None).unwrap_err());
    refused(guard::write(&s, &raw, img, 0x1000, Override::None).unwrap_err());
    // A range named like a harmless partition but placed over NVRAM.
    let liar = Target {
        name: uboot.name.clone(),
        is_partition: true,
        ..raw.clone()
    };
    out_of_range(guard::erase(&s, &liar, Override::None).unwrap_err());
    // Anything in boot1.
    let boot1 = Target {
        name: "boot1".into(),
        is_partition: false,
        region: Region::EmmcBoot1,
        addr: 0x1_0000,
        len: 0x200,
    };
    refused(guard::erase(&s, &boot1, Override::None).unwrap_err());
    // Past the end of what the phone reported.
    let past = Target {
        addr: da.region(Region::EmmcUser).unwrap() - 0x200,
        len: 0x400,
        ..raw.clone()
    };
    out_of_range(guard::erase(&s, &past, Override::None).unwrap_err());

    // A guarded target hands out its range only as a copy: the copy is a plain `Target`,
    // which the session does not take, and guarding a moved copy judges it afresh.
    let ok = guard::write(&s, &uboot, img, 0x200, Override::None).unwrap();
    assert_eq!(ok.forced(), None);
    let moved = Target {
        addr: nvram.addr,
        ..ok.target().clone()
    };
    out_of_range(guard::write(&s, &moved, img, 0x200, Override::None).unwrap_err());
    let moved = Target {
        is_partition: false,
        name: "user".into(),
        ..moved
    };
    refused(guard::write(&s, &moved, img, 0x200, Override::None).unwrap_err());
    // An image larger than its room is refused, not cut.
    let e = guard::write(&s, &uboot, img, uboot.len + 1, Override::None).unwrap_err();
    assert!(matches!(e, DeviceError::ImageTooLarge { .. }), "{e}");

    // The override lets the identity through only as a recorded value.
    let forced = guard::erase(&s, &nvram, Override::ForceIdentityPartition).unwrap();
    let f = forced.forced().unwrap();
    assert_eq!(
        (f.flag, f.holds),
        ("--force-identity-partition", "identity")
    );
}

#[test]
fn no_trait_builds_a_restore_proof() {
    assert!(implements!(ProvenFile: Clone));
    assert!(!implements!(ProvenFile: Default));
    assert!(!implements!(RestoreProof: Default));
    assert!(!implements!(ProvenFile: From<FileEntry>));
    assert!(!implements!(ProvenFile: for<'a> From<&'a FileEntry>));
    assert!(!implements!(ProvenFile: TryFrom<FileEntry>));
    assert!(!implements!(ProvenFile: for<'de> serde::Deserialize<'de>));
    assert!(!implements!(RestoreProof: for<'de> serde::Deserialize<'de>));
    assert!(!implements!(ProvenFile: std::str::FromStr));
    assert!(!implements!(RestoreProof: From<Backup>));
}

/// The same fingerprint with another eMMC CID: another phone of the same board.
fn twin(f: &Fingerprint) -> Fingerprint {
    let mut v = serde_json::to_value(f).unwrap();
    v["storage"]["cid"] = "15010053454d3847".repeat(2).into();
    let twin: Fingerprint = serde_json::from_value(v).unwrap();
    assert_ne!(twin.device_key(), f.device_key());
    twin
}

/// A backup of `phone` in `store` holding `bytes` as its NVRAM, read from `nvram`.
fn backup_of(store: &Store, phone: &Fingerprint, nvram: &Target, bytes: &[u8]) -> String {
    let mut w = store.begin(BackupKind::Identity, phone, None).unwrap();
    w.add("NVRAM.bin", "NVRAM", nvram.region, nvram.addr, bytes)
        .unwrap();
    // Two backups of one phone in one second get consecutive ids.
    w.commit(std::time::SystemTime::now()).unwrap().id
}

#[test]
fn a_restore_writes_the_identity_only_by_a_proof_made_for_this_phone() {
    let (s, da) = with_table();
    let map = s.partition_map().unwrap().clone();
    let nvram = resolve(
        &Selector::Partition("NVRAM".into()),
        None,
        None,
        &map.partitions,
        |r| da.region(r),
    )
    .unwrap();
    let this = Fingerprint::new(s.brom_info().unwrap(), &da, &map);
    let other = twin(&this);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let own = backup_of(&store, &this, &nvram, b"this phone's IMEI");
    let foreign = backup_of(&store, &other, &nvram, b"another phone's IMEI");
    let nvram_file = |proof: &RestoreProof| proof.files(&store, &proof.nvram_set()).unwrap();

    // This phone's verified backup: let through, and recorded as the proof.
    let proof = store.prove(&own, &this, Consent::SameDevice).unwrap();
    assert!(!proof.cloning());
    let files = nvram_file(&proof);
    let g = guard::restore(&s, &nvram, &files[0]).unwrap();
    let f = g.forced().unwrap();
    assert_eq!(
        (f.flag, f.holds),
        ("verified backup of this phone", "identity")
    );
    assert_eq!(g.target().len, files[0].entry().length);
    // ... but only back to where it was read: not over UBOOT, not at another offset.
    let uboot = resolve(
        &Selector::Partition("UBOOT".into()),
        None,
        None,
        &map.partitions,
        |r| da.region(r),
    )
    .unwrap();
    refused(guard::restore(&s, &uboot, &files[0]).unwrap_err());
    let shifted = Target {
        addr: nvram.addr + 0x1000,
        len: nvram.len - 0x1000,
        ..nvram.clone()
    };
    refused(guard::restore(&s, &shifted, &files[0]).unwrap_err());

    // A new layout moved NVRAM (a Firmware Upgrade): the backup goes to where the phone has it
    // now only when the partition kept its size exactly.
    let read_elsewhere = Target {
        addr: nvram.addr + 0x10_0000,
        ..nvram.clone()
    };
    let whole = vec![0x5A; nvram.len as usize];
    let moved = backup_of(&store, &this, &read_elsewhere, &whole);
    let moved_proof = store.prove(&moved, &this, Consent::SameDevice).unwrap();
    let g = guard::restore(&s, &nvram, &nvram_file(&moved_proof)[0]).unwrap();
    assert_eq!((g.target().addr, g.target().len), (nvram.addr, nvram.len));
    let resized = backup_of(&store, &this, &read_elsewhere, &whole[..0x1000]);
    let resized_proof = store.prove(&resized, &this, Consent::SameDevice).unwrap();
    refused(guard::restore(&s, &nvram, &nvram_file(&resized_proof)[0]).unwrap_err());

    // Another phone's backup: no proof without the consent.
    let e = store
        .prove(&foreign, &this, Consent::SameDevice)
        .unwrap_err();
    assert!(e.to_string().contains("identity cloning"), "{e}");
    // With --other-device it is let through and recorded as cloning.
    let cloning = store.prove(&foreign, &this, Consent::OtherDevice).unwrap();
    assert!(cloning.cloning());
    let g = guard::restore(&s, &nvram, &nvram_file(&cloning)[0]).unwrap();
    assert_eq!(
        g.forced().unwrap().flag,
        "--other-device (identity cloning)"
    );

    // A proof made for the other phone does not open this one, whatever it holds.
    let theirs = store.prove(&foreign, &other, Consent::SameDevice).unwrap();
    refused(guard::restore(&s, &nvram, &nvram_file(&theirs)[0]).unwrap_err());
    let claimed = store.prove(&own, &other, Consent::OtherDevice).unwrap();
    refused(guard::restore(&s, &nvram, &nvram_file(&claimed)[0]).unwrap_err());

    // A backup whose file changed proves nothing.
    let backup = store.open(&own).unwrap();
    let file = backup.path.join("NVRAM.bin");
    let mut perms = std::fs::metadata(&file).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&file, perms).unwrap();
    std::fs::write(&file, b"this phone's IMEJ").unwrap();
    let e = store.prove(&own, &this, Consent::SameDevice).unwrap_err();
    assert!(e.to_string().contains("has changed"), "{e}");
    // A proof taken before the change reads the file again, hashed: refused too.
    let e = proof.file(&store, &proof.nvram_set()[0]).unwrap_err();
    assert!(e.to_string().contains("has changed"), "{e}");
}

#[test]
fn a_layout_rewrite_writes_the_table_only_by_a_proof_of_this_phones_whole_identity() {
    let (s, da) = with_table();
    let map = s.partition_map().unwrap().clone();
    let at = |name: &str, len| {
        let sel = Selector::Partition(name.into());
        resolve(&sel, None, len, &map.partitions, |r| da.region(r)).unwrap()
    };
    let mbr = Target {
        is_partition: false,
        ..at("MBR", Some(0x200))
    };
    let img = Path::new("MBR");
    let this = Fingerprint::new(s.brom_info().unwrap(), &da, &map);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let backup = |phone: &Fingerprint, names: &[&str]| {
        let mut w = store.begin(BackupKind::Identity, phone, None).unwrap();
        for name in names {
            let p = at(name, None);
            let file = format!("{name}.bin");
            w.add(&file, name, p.region, p.addr, name.as_bytes())
                .unwrap();
        }
        w.commit(std::time::SystemTime::now()).unwrap().id
    };
    let whole = backup(&this, &["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"]);

    // Without a proof the table is judged by its bytes at the session.
    let plain = guard::write(&s, &mbr, img, 0x200, Override::None).unwrap();
    assert!(plain.judged_by_bytes());
    // With this phone's whole identity backup proven: let through, recorded, not judged.
    let proof = store.prove(&whole, &this, Consent::SameDevice).unwrap();
    let g = guard::rewrite_layout(&s, &mbr, img, 0x200, &proof).unwrap();
    assert!(!g.judged_by_bytes());
    let f = g.forced().unwrap();
    assert_eq!(f.holds, "partition table");
    assert!(f.flag.contains("identity backup"), "{f:?}");
    // It lifts the table's refusal only: not the NVRAM set, not the boot code.
    refused(guard::rewrite_layout(&s, &at("NVRAM", None), img, 0x200, &proof).unwrap_err());
    let preloader = at("PRELOADER", None);
    refused(guard::rewrite_layout(&s, &preloader, img, 0x200, &proof).unwrap_err());

    let table_refused = |e: DeviceError, said: &str| {
        assert!(matches!(e, DeviceError::TableRefused { .. }), "{e}");
        assert!(e.to_string().contains(said), "{said}: {e}");
    };
    // A backup without all of the NVRAM set could not put it all back.
    let part = backup(&this, &["NVRAM"]);
    let proof = store.prove(&part, &this, Consent::SameDevice).unwrap();
    let e = guard::rewrite_layout(&s, &mbr, img, 0x200, &proof).unwrap_err();
    table_refused(e, "does not hold PRO_INFO");
    // Another phone's backup, even with consent, is not this phone's identity.
    let other = twin(&this);
    let foreign = backup(&other, &["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"]);
    let cloning = store.prove(&foreign, &this, Consent::OtherDevice).unwrap();
    let e = guard::rewrite_layout(&s, &mbr, img, 0x200, &cloning).unwrap_err();
    table_refused(e, "another phone's");
    // A proof made for the other phone does not open this one.
    let theirs = store.prove(&foreign, &other, Consent::SameDevice).unwrap();
    let e = guard::rewrite_layout(&s, &mbr, img, 0x200, &theirs).unwrap_err();
    table_refused(e, "checked for another phone");
}
