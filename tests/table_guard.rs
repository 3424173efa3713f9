//! The guard over the phone's partition table (MBR, EBR), end to end: `mtkbench write` against
//! `mtkbench sim` over a real pseudo-terminal. A table that would hide the NVRAM set from the
//! phone and from every tool is refused, by name and by a raw range over the EBR sector, before
//! a byte is written, with a message that says why it matters for the IMEI and what to do
//! instead; the override lets it through and the transcript says so; a table that keeps the
//! NVRAM set where it is (the phone's own, other boot code) passes without one.

mod device_support;

use device_support::cli::{Bench, Sim};
use mtkbench::firmware::scatter::Region;
use serde_json::Value;

/// The partition `name` of an identify report: (offset, size), if the table shows it.
fn partition(report: &Value, name: &str) -> Option<(u64, u64)> {
    let p = report["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)?;
    Some((p["offset"].as_u64().unwrap(), p["size"].as_u64().unwrap()))
}

/// A table sector with the entry that starts at LBA `from` moved to start at `to`.
fn moved(sector: &[u8], from: u64, to: u64) -> Vec<u8> {
    let mut out = sector.to_vec();
    let slot = (0..4)
        .map(|i| 0x1BE + 16 * i)
        .find(|e| u64::from(u32::from_le_bytes(out[e + 8..e + 12].try_into().unwrap())) == from)
        .unwrap_or_else(|| panic!("no entry starts at LBA {from:#x}"));
    out[slot + 8..slot + 12].copy_from_slice(&(to as u32).to_le_bytes());
    out
}

fn identify(bench: &Bench, sim: &mut Sim) -> Value {
    let r = bench.device(sim, "identify", &[]).json();
    sim.replugged();
    r
}

#[test]
fn a_table_that_hides_the_nvram_set_is_refused_unless_overridden_and_recorded() {
    let bench = Bench::new();
    let mut sim = bench.sim(&[]);
    let before = identify(&bench, &mut sim);
    let nvram = partition(&before, "NVRAM").unwrap();
    let (protect_f, _) = partition(&before, "PROTECT_F").unwrap();
    let (ebr_at, _) = partition(&before, "EBR1").unwrap();
    let (cache_at, _) = partition(&before, "CACHE").unwrap();
    let mbr = sim.flash(Region::EmmcUser, 0, 512);
    let ebr = sim.flash(Region::EmmcUser, ebr_at, 512);

    // By name: an MBR whose PROTECT_F starts 1 MiB later. Refused, nothing written.
    let shifted = moved(&mbr, protect_f / 512, protect_f / 512 + 0x800);
    let file = bench.path("mbr-moved.bin");
    std::fs::write(&file, &shifted).unwrap();
    let f = file.to_str().unwrap();
    let out = bench.device(&sim, "write", &["--partition", "MBR", "--file", f]);
    let err = out.failure();
    assert_eq!(out.code, 2, "{err}");
    for said in [
        "refusing to write MBR",
        "partition table",
        "PROTECT_F",
        "IMEI",
        "--mode firmware-upgrade",
        "--force-identity-partition",
    ] {
        assert!(err.contains(said), "{said}: {err}");
    }
    assert_eq!(sim.flash(Region::EmmcUser, 0, 512), mbr);
    sim.replugged();

    // A table that keeps the NVRAM set where it is passes: the phone's own, with other boot
    // code before the entries.
    let mut code = mbr.clone();
    code[..0x40].fill(0xEB);
    std::fs::write(&file, &code).unwrap();
    let w = bench
        .device(&sim, "write", &["--partition", "MBR", "--file", f])
        .json();
    assert_eq!(w["forced"], Value::Null, "{w:#}");
    assert_eq!(sim.flash(Region::EmmcUser, 0, 512), code);
    sim.replugged();

    // By range: a raw write over the EBR sector whose CACHE starts elsewhere. No layout names
    // that table, so the NVRAM set would not be shown: refused, nothing written.
    let rel = (cache_at - ebr_at) / 512;
    let bad_ebr = moved(&ebr, rel, rel + 0x800);
    let file = bench.path("ebr-moved.bin");
    std::fs::write(&file, &bad_ebr).unwrap();
    let f = file.to_str().unwrap();
    let at = format!("{ebr_at:#x}");
    let raw = ["--region", "user", "--offset", &at, "--file", f];
    let out = bench.device(&sim, "write", &raw);
    let err = out.failure();
    assert!(err.contains("user (it covers EBR1)"), "{err}");
    assert!(err.contains("no longer shows PRO_INFO, NVRAM"), "{err}");
    assert_eq!(sim.flash(Region::EmmcUser, ebr_at, 512), ebr);
    sim.replugged();

    // The override writes it, and says so in the answer and in the transcript.
    let record = bench.path("forced.txt");
    let mut forced = raw.to_vec();
    forced.extend(["--force-identity-partition", "--record"]);
    forced.push(record.to_str().unwrap());
    let w = bench.device(&sim, "write", &forced).json();
    assert_eq!(w["forced"]["flag"], "--force-identity-partition", "{w:#}");
    assert_eq!(w["forced"]["holds"], "partition table", "{w:#}");
    assert_eq!(sim.flash(Region::EmmcUser, ebr_at, 512), bad_ebr);
    let transcript = std::fs::read_to_string(&record).unwrap();
    assert!(
        transcript.contains(
            "guard override: --force-identity-partition lets this write reach user (it covers \
             EBR1) (the phone's partition table)"
        ),
        "{transcript}"
    );
    sim.replugged();

    // What the guard kept from happening: the phone's table no longer shows its NVRAM set.
    let hidden = identify(&bench, &mut sim);
    assert_eq!(partition(&hidden, "NVRAM"), None, "{hidden:#}");
    // With nothing shown there is nothing left to hide: the phone's own EBR goes back
    // without an override, and the NVRAM set is found where it always was.
    let file = bench.path("ebr.bin");
    std::fs::write(&file, &ebr).unwrap();
    let back = ["--region", "user", "--offset", &at, "--file"];
    let mut back = back.to_vec();
    back.push(file.to_str().unwrap());
    bench.device(&sim, "write", &back).json();
    sim.replugged();
    let mended = identify(&bench, &mut sim);
    assert_eq!(partition(&mended, "NVRAM"), Some(nvram));
}
