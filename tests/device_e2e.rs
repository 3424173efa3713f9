//! End to end: the `mtkbench sim` binary serves a simulated MT6572 on a pseudo-terminal, and
//! the `mtkbench` device commands talk to it through the real serial transport, exactly as
//! they would to `/dev/ttyACM0`. Identify (JSON fields), readback compared with the
//! simulator's image, write and read back, erase, the partition table, the reboot at the end,
//! the identity guard, `--record`, and every `--fault` kind ending in a clear error that names
//! the step; on a NAND phone: page readback (with and without spare areas), writes padded
//! with 0xFF, block erases to 0xFF, misaligned ranges refused with the nearest aligned one,
//! and the identity guard.
//!
//! Nothing can hang: every command runs with a deadline and is killed past it, the simulator
//! is killed when its guard drops, and every wait for the simulator has a timeout.

mod device_support;

use std::path::Path;

use device_support::cli::Bench;
use mtkbench::{firmware::scatter::Region, transport::transcript::Transcript};
use serde_json::Value;

/// The partition `name` of an identify report: (offset, size).
fn partition(report: &Value, name: &str) -> (u64, u64) {
    let p = report["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report}"));
    (p["offset"].as_u64().unwrap(), p["size"].as_u64().unwrap())
}

fn is_hex(v: &Value, len: usize) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[test]
fn identify_prints_the_fingerprint_and_reboots_the_phone() {
    let bench = Bench::new();
    let mut sim = bench.sim(&[]);
    let record = bench.path("session.txt");
    let r = bench
        .device(&sim, "identify", &["--record", record.to_str().unwrap()])
        .json();
    assert_eq!(r["mode"], "brom");
    assert_eq!(r["hw_code"], 25970);
    assert_eq!(r["hw_subcode"], 0x8A00);
    assert_eq!(r["hw_version"], 0xCA00);
    assert_eq!(r["sw_version"], 0);
    assert!(is_hex(&r["me_id"], 32), "{}", r["me_id"]);
    assert_eq!(
        r["target_config"],
        serde_json::json!({"sbc": false, "sla": false, "daa": false, "raw": 0})
    );
    let storage = &r["storage"];
    assert_eq!(storage["type"], "emmc");
    assert!(storage["boot1_size"].as_u64().unwrap() > 0);
    assert!(storage["user_size"].as_u64().unwrap() >= 1 << 30);
    assert!(is_hex(&storage["cid"], 32), "{}", storage["cid"]);
    assert!(r["ram_size"].as_u64().unwrap() > 0);
    assert_eq!(r["partition_source"]["kind"], "mbr");
    assert_eq!(r["partition_source"]["profile"], sim.banner["profile"]);
    let (nvram_at, nvram_len) = partition(&r, "NVRAM");
    assert!(nvram_at > 0 && nvram_len > 0);
    assert_eq!(partition(&r, "PRELOADER").0, 0);
    assert_eq!(r["rebooted"], true);
    sim.replugged();

    // The transcript holds both directions and parses back.
    let text = std::fs::read_to_string(&record).unwrap();
    let t = Transcript::parse(&text).unwrap();
    assert!(t.records.len() > 50);
    assert!(
        text.contains("H> A0") && text.contains("D> 5F"),
        "{}",
        &text[..400]
    );

    // The DA is remembered: the next command needs no --da.
    let again = bench
        .run(&["--json", "identify", "--port", &sim.port])
        .json();
    assert_eq!(again["me_id"], r["me_id"]);
}

#[test]
fn human_identify_lists_partitions_and_the_profile_that_named_them() {
    let bench = Bench::new();
    let sim = bench.sim(&[]);
    let da = bench.da();
    let out = bench.run(&[
        "identify",
        "--port",
        &sim.port,
        "--da",
        da.to_str().unwrap(),
    ]);
    assert!(out.ok(), "{}", out.stderr);
    assert!(out.stdout.contains("hw code 0x6572"), "{}", out.stdout);
    assert!(
        out.stdout.contains("names from profile a516_row"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("NVRAM"), "{}", out.stdout);
}

#[test]
fn readback_equals_the_simulators_flash() {
    let bench = Bench::new();
    let mut sim = bench.sim(&[]);
    let out = bench.path("uboot.bin");
    let r = bench
        .device(
            &sim,
            "readback",
            &["--partition", "uboot", "--out", out.to_str().unwrap()],
        )
        .json();
    assert_eq!(r["name"], "UBOOT");
    let (at, len) = (r["offset"].as_u64().unwrap(), r["length"].as_u64().unwrap());
    let got = std::fs::read(&out).unwrap();
    assert_eq!(got.len() as u64, len);
    assert_eq!(got, sim.flash(Region::EmmcUser, at, len as usize));
    assert!(got.iter().any(|&b| b != 0), "UBOOT read back empty");
    assert!(is_hex(&r["sha256"], 64));
    sim.replugged();

    // A range of a region, relative to it.
    let out = bench.path("boot1.bin");
    bench
        .device(
            &sim,
            "readback",
            &[
                "--region",
                "boot1",
                "--offset",
                "0x200",
                "--length",
                "3K",
                "--out",
                out.to_str().unwrap(),
            ],
        )
        .json();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        sim.flash(Region::EmmcBoot1, 0x200, 3 * 1024)
    );
}

#[test]
fn write_then_read_back_then_erase() {
    let bench = Bench::new();
    let mut sim = bench.sim(&[]);
    // Not a multiple of 512 and more than one 1 MiB packet.
    let image: Vec<u8> = (0..0x10_0123u32).map(|i| (i % 251) as u8).collect();
    let file = bench.path("logo.bin");
    std::fs::write(&file, &image).unwrap();
    let w = bench
        .device(
            &sim,
            "write",
            &["--partition", "LOGO", "--file", file.to_str().unwrap()],
        )
        .json();
    assert_eq!(w["length"], image.len() as u64);
    let at = w["offset"].as_u64().unwrap();
    assert_eq!(sim.flash(Region::EmmcUser, at, image.len()), image);
    sim.replugged();

    let back = bench.path("logo.back");
    let length = format!("{:#x}", image.len());
    bench
        .device(
            &sim,
            "readback",
            &[
                "--partition",
                "LOGO",
                "--length",
                &length,
                "--out",
                back.to_str().unwrap(),
            ],
        )
        .json();
    assert_eq!(std::fs::read(&back).unwrap(), image);
    sim.replugged();

    let e = bench
        .device(
            &sim,
            "erase",
            &["--partition", "logo", "--length", "0x10000"],
        )
        .json();
    assert_eq!(e["length"], 0x10000);
    assert_eq!(sim.flash(Region::EmmcUser, at, 0x10000), vec![0u8; 0x10000]);
    assert_eq!(
        sim.flash(Region::EmmcUser, at + 0x10000, 16),
        image[0x10000..0x10010]
    );
    sim.replugged();
    let back = bench.path("logo.erased");
    bench
        .device(
            &sim,
            "readback",
            &[
                "--partition",
                "LOGO",
                "--length",
                "0x10000",
                "--out",
                back.to_str().unwrap(),
            ],
        )
        .json();
    assert_eq!(std::fs::read(&back).unwrap(), vec![0u8; 0x10000]);
}

#[test]
fn identity_partitions_are_refused_before_the_port_is_touched() {
    let bench = Bench::new();
    let mut sim = bench.sim(&[]);
    let file = bench.path("x.bin");
    std::fs::write(&file, [0xAAu8; 512]).unwrap();
    let f = file.to_str().unwrap();
    for (cmd, args) in [
        ("write", vec!["--partition", "nvram", "--file", f]),
        ("write", vec!["--partition", "PRELOADER", "--file", f]),
        ("write", vec!["--region", "boot1", "--file", f]),
        ("erase", vec!["--partition", "Protect_F"]),
        ("erase", vec!["--partition", "pro_info"]),
    ] {
        let out = bench.device(&sim, cmd, &args);
        let err = out.failure();
        assert_eq!(out.code, 2, "{err}");
        assert!(err.contains("--force-identity-partition"), "{err}");
        assert!(err.contains("IMEI") || err.contains("hard brick"), "{err}");
    }
    // A raw range over the NVRAM set is refused after the table is read, before writing.
    let identify = bench.device(&sim, "identify", &[]).json();
    sim.replugged();
    let (nvram_at, _) = partition(&identify, "NVRAM");
    let before = sim.flash(Region::EmmcUser, nvram_at, 512);
    let at = format!("{nvram_at:#x}");
    let out = bench.device(
        &sim,
        "write",
        &["--region", "user", "--offset", &at, "--file", f],
    );
    assert!(out.failure().contains("it covers NVRAM"), "{}", out.stderr);
    assert_eq!(sim.flash(Region::EmmcUser, nvram_at, 512), before);
    sim.replugged();

    // With the flag, the technician may (here: the simulator's NVRAM).
    bench
        .device(
            &sim,
            "write",
            &[
                "--partition",
                "NVRAM",
                "--file",
                f,
                "--force-identity-partition",
            ],
        )
        .json();
    assert_eq!(sim.flash(Region::EmmcUser, nvram_at, 512), vec![0xAA; 512]);
}

#[test]
fn a_readback_that_fails_part_way_leaves_no_file() {
    let bench = Bench::new();
    // The phone drops the link 200 KB into the data: well inside UBOOT (384 KiB).
    let sim = bench.sim(&["--fault", "disconnect-after=200000"]);
    let out = bench.path("uboot.bin");
    std::fs::write(bench.path("keep.txt"), b"untouched").unwrap();
    let res = bench.device(
        &sim,
        "readback",
        &["--partition", "UBOOT", "--out", out.to_str().unwrap()],
    );
    let err = res.failure();
    assert!(err.contains("reading storage"), "{err}");
    assert!(!out.exists());
    let left: Vec<_> = std::fs::read_dir(bench.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".mtkbench"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn a_disconnect_after_received_bytes_lands_in_the_middle_of_a_write() {
    let bench = Bench::new();
    // The DA and the table reads are well under 1 MiB: a cut at 2 MiB received lands inside
    // the 4 MiB image, in its second or third 1 MiB packet.
    let mut sim = bench.sim(&["--fault", "disconnect-after-received=0x200000"]);
    let image: Vec<u8> = (0..0x40_0000u32).map(|i| (i % 253 + 1) as u8).collect();
    let file = bench.path("expdb.bin");
    std::fs::write(&file, &image).unwrap();
    let report = bench.device(&sim, "identify", &[]).json();
    sim.replugged();
    let (at, _) = partition(&report, "EXPDB");
    let err = bench
        .device(
            &sim,
            "write",
            &["--partition", "EXPDB", "--file", file.to_str().unwrap()],
        )
        .failure()
        .to_string();
    assert!(err.contains("writ"), "{err}");
    sim.replugged();
    let flash = sim.flash(Region::EmmcUser, at, image.len());
    let stored = flash.iter().zip(&image).take_while(|(a, b)| a == b).count();
    assert!(
        (0x10_0000..0x20_0000).contains(&stored),
        "whole packets before the cut are stored, nothing after: {stored:#x}"
    );
    assert_ne!(flash[image.len() - 1], image[image.len() - 1]);
}

#[test]
fn nand_phone_identifies_with_its_pmt() {
    let bench = Bench::new();
    let sim = bench.sim(&["--storage", "nand"]);
    let r = bench.device(&sim, "identify", &[]).json();
    assert_eq!(r["storage"]["type"], "nand");
    assert!(r["storage"]["size"].as_u64().unwrap() >= 256 << 20);
    assert_eq!(r["partition_source"]["kind"], "pmt");
    let (pl_at, pl_len) = partition(&r, "PRELOADER");
    assert_eq!(pl_at, 0);
    assert!(pl_len > 0);
    partition(&r, "NVRAM");
    let regions: Vec<_> = r["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["region"].as_str().unwrap())
        .collect();
    assert!(regions.iter().all(|&r| r == "nand"), "{regions:?}");
}

/// NAND geometry of the simulator's `ref_nand_2k` phone (decision N1: 2 KiB pages, a spare
/// area of page / 32, 64 pages per block).
const PAGE: usize = 0x800;
const SPARE: usize = PAGE / 32;
const BLOCK: u64 = 0x2_0000;

#[test]
fn nand_partitions_read_back_as_the_simulators_flash() {
    let bench = Bench::new();
    let mut sim = bench.sim(&["--storage", "nand"]);
    let out = bench.path("uboot.bin");
    let r = bench
        .device(
            &sim,
            "readback",
            &["--partition", "uboot", "--out", out.to_str().unwrap()],
        )
        .json();
    assert_eq!(
        (r["name"].as_str(), r["region"].as_str()),
        (Some("UBOOT"), Some("nand"))
    );
    let (at, len) = (r["offset"].as_u64().unwrap(), r["length"].as_u64().unwrap());
    assert_eq!(r["bytes"], len);
    let got = std::fs::read(&out).unwrap();
    assert_eq!(got.len() as u64, len);
    assert_eq!(got, sim.flash(Region::Nand, at, len as usize));
    assert!(got.iter().any(|&b| b != 0xFF), "UBOOT read back erased");
    sim.replugged();

    // With spare areas: each page's data, then its spare bytes (0xFF: the simulator keeps
    // no OOB data).
    let out = bench.path("uboot.oob");
    let r = bench
        .device(
            &sim,
            "readback",
            &[
                "--partition",
                "UBOOT",
                "--length",
                "4K",
                "--with-spare",
                "--out",
                out.to_str().unwrap(),
            ],
        )
        .json();
    assert_eq!(r["with_spare"], true);
    assert_eq!(r["bytes"], 2 * (PAGE + SPARE) as u64);
    let dump = std::fs::read(&out).unwrap();
    let flash = sim.flash(Region::Nand, at, 2 * PAGE);
    for (i, unit) in dump.chunks(PAGE + SPARE).enumerate() {
        assert_eq!(unit[..PAGE], flash[i * PAGE..(i + 1) * PAGE], "page {i}");
        assert_eq!(unit[PAGE..], [0xFF; SPARE], "spare {i}");
    }
    sim.replugged();

    // A readback that is not whole pages is refused before the phone is asked, with the
    // nearest whole-page range (into a new file: a stored one is never replaced).
    let out = bench.path("uboot.part");
    let res = bench.device(
        &sim,
        "readback",
        &[
            "--partition",
            "UBOOT",
            "--offset",
            "0x100",
            "--length",
            "0x800",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let err = res.failure();
    assert_eq!(res.code, 2, "{err}");
    let cover = format!("--region nand --offset {at:#x} --length 0x1000");
    assert!(
        err.contains("whole pages of 0x800 bytes") && err.contains(&cover),
        "{err}"
    );
}

#[test]
fn nand_write_pads_pages_with_ff_reads_back_and_erases_to_ff() {
    let bench = Bench::new();
    let mut sim = bench.sim(&["--storage", "nand"]);
    // Not whole pages: the last page is filled up with 0xFF (decision N4).
    let image: Vec<u8> = (0..5000u32).map(|i| (i % 253) as u8).collect();
    let file = bench.path("logo.bin");
    std::fs::write(&file, &image).unwrap();
    let w = bench
        .device(
            &sim,
            "write",
            &["--partition", "LOGO", "--file", file.to_str().unwrap()],
        )
        .json();
    assert_eq!(
        (w["length"].as_u64(), w["stored"].as_u64()),
        (Some(5000), Some(0x1800))
    );
    let at = w["offset"].as_u64().unwrap();
    let mut padded = image.clone();
    padded.resize(0x1800, 0xFF);
    assert_eq!(sim.flash(Region::Nand, at, 0x1800), padded);
    sim.replugged();

    let back = bench.path("logo.back");
    bench
        .device(
            &sim,
            "readback",
            &[
                "--partition",
                "logo",
                "--length",
                "0x1800",
                "--out",
                back.to_str().unwrap(),
            ],
        )
        .json();
    assert_eq!(std::fs::read(&back).unwrap(), padded);
    sim.replugged();

    // An erase that is not whole blocks is refused before anything is sent, naming the
    // whole-block ranges around and inside it.
    let res = bench.device(
        &sim,
        "erase",
        &[
            "--partition",
            "LOGO",
            "--offset",
            "0x800",
            "--length",
            "0x40000",
        ],
    );
    let err = res.failure();
    assert_eq!(res.code, 2, "{err}");
    let cover = format!("--region nand --offset {at:#x} --length 0x60000");
    let inside = format!("--region nand --offset {:#x} --length 0x20000", at + BLOCK);
    assert!(err.contains("whole blocks of 0x20000 bytes"), "{err}");
    assert!(err.contains(&cover) && err.contains(&inside), "{err}");
    assert_eq!(sim.flash(Region::Nand, at, 0x1800), padded);
    sim.replugged();

    // One whole block, by region as the advice spells it: erased NAND reads 0xFF, the next
    // block keeps its content.
    let next = sim.flash(Region::Nand, at + BLOCK, 16);
    let offset = format!("{at:#x}");
    let e = bench
        .device(
            &sim,
            "erase",
            &[
                "--region", "nand", "--offset", &offset, "--length", "0x20000",
            ],
        )
        .json();
    assert_eq!(
        (e["region"].as_str(), e["length"].as_u64()),
        (Some("nand"), Some(BLOCK))
    );
    assert_eq!(
        sim.flash(Region::Nand, at, BLOCK as usize),
        vec![0xFF; BLOCK as usize]
    );
    assert_eq!(sim.flash(Region::Nand, at + BLOCK, 16), next);
    sim.replugged();
    let erased = bench.path("logo.erased");
    bench
        .device(
            &sim,
            "readback",
            &[
                "--partition",
                "LOGO",
                "--length",
                "0x1800",
                "--out",
                erased.to_str().unwrap(),
            ],
        )
        .json();
    assert_eq!(std::fs::read(&erased).unwrap(), vec![0xFF; 0x1800]);
}

#[test]
fn nand_identity_partitions_and_emmc_regions_are_refused() {
    let bench = Bench::new();
    let mut sim = bench.sim(&["--storage", "nand"]);
    let file = bench.path("x.bin");
    std::fs::write(&file, [0xAAu8; PAGE]).unwrap();
    let f = file.to_str().unwrap();
    // By name, before the port is opened.
    for (cmd, args) in [
        ("write", vec!["--partition", "NVRAM", "--file", f]),
        ("write", vec!["--partition", "preloader", "--file", f]),
        ("erase", vec!["--partition", "PRELOADER"]),
        ("erase", vec!["--partition", "nvram"]),
    ] {
        let out = bench.device(&sim, cmd, &args);
        let err = out.failure();
        assert_eq!(out.code, 2, "{err}");
        assert!(err.contains("--force-identity-partition"), "{err}");
        assert!(err.contains("IMEI") || err.contains("hard brick"), "{err}");
    }
    // A raw range over the preloader (the first NAND block), once the PMT is read.
    let before = sim.flash(Region::Nand, 0, PAGE);
    let out = bench.device(
        &sim,
        "erase",
        &["--region", "nand", "--offset", "0", "--length", "0x20000"],
    );
    assert!(
        out.failure().contains("it covers PRELOADER"),
        "{}",
        out.stderr
    );
    assert_eq!(sim.flash(Region::Nand, 0, PAGE), before);
    sim.replugged();

    // eMMC regions do not exist on NAND; the error names the one that does.
    let user_out = bench.path("user.bin").to_string_lossy().into_owned();
    let out = bench.device(
        &sim,
        "readback",
        &["--region", "user", "--length", "4K", "--out", &user_out],
    );
    let err = out.failure();
    assert_eq!(out.code, 2, "{err}");
    assert!(
        err.contains("no user region") && err.contains("--region nand"),
        "{err}"
    );
    sim.replugged();

    // With the flag, the technician may.
    let (nvram_at, _) = {
        let r = bench.device(&sim, "identify", &[]).json();
        partition(&r, "NVRAM")
    };
    sim.replugged();
    bench
        .device(
            &sim,
            "write",
            &[
                "--partition",
                "NVRAM",
                "--file",
                f,
                "--force-identity-partition",
            ],
        )
        .json();
    assert_eq!(sim.flash(Region::Nand, nvram_at, PAGE), vec![0xAA; PAGE]);
}

#[test]
fn preloader_mode_identifies_without_an_me_id() {
    let bench = Bench::new();
    let sim = bench.sim(&["--mode", "preloader"]);
    let r = bench.device(&sim, "identify", &[]).json();
    assert_eq!(r["mode"], "preloader");
    assert_eq!(r["brom_version"], 0xFF);
    assert!(r["me_id"].is_null());
}

#[test]
fn a_missing_da_explains_where_to_get_one() {
    let bench = Bench::new();
    let out = bench.run(&["identify", "--port", "/dev/null-no-such-port"]);
    let err = out.failure();
    assert_eq!(out.code, 2);
    assert!(err.contains("MTK_AllInOne_DA.bin"), "{err}");
    assert!(err.contains("mtkbench sim --write-da"), "{err}");
}

#[test]
fn a_port_that_does_not_exist_is_named() {
    let bench = Bench::new();
    let da = bench.da();
    // A path is waited for (a phone re-enumerates between two commands), up to --wait.
    let out = bench.run(&[
        "identify",
        "--port",
        "/dev/ttyACM-none",
        "--wait",
        "1",
        "--da",
        da.to_str().unwrap(),
    ]);
    let err = out.failure();
    assert!(err.contains("/dev/ttyACM-none"), "{err}");
}

#[test]
fn auto_gives_up_after_the_wait_with_advice() {
    let bench = Bench::new();
    let da = bench.da();
    let out = bench.run(&[
        "identify",
        "--port",
        "auto",
        "--wait",
        "1",
        "--da",
        da.to_str().unwrap(),
    ]);
    let err = out.failure();
    assert!(err.contains("Plug the phone in now"), "{err}");
    assert!(err.contains("VOL-DOWN"), "{err}");
}

#[test]
fn ports_lists_as_json() {
    let bench = Bench::new();
    let out = bench.run(&["--json", "ports"]);
    if out.ok() {
        assert!(out.json()["ports"].is_array());
    } else {
        // Some containers have no /sys/class/tty: still a clean error.
        out.failure();
    }
}

/// Runs `cmd` against a simulator with `fault` and returns stderr of the failure.
fn faulty(fault: &str, cmd: &str, extra: &[&str]) -> String {
    let bench = Bench::new();
    let sim = bench.sim(&["--fault", fault]);
    let out = bench.device(&sim, cmd, extra);
    assert_eq!(out.code, 1, "{fault}: {}", out.stderr);
    out.failure().to_string()
}

fn write_args(bench_file: &Path) -> Vec<String> {
    vec![
        "--partition".into(),
        "LOGO".into(),
        "--file".into(),
        bench_file.to_string_lossy().into_owned(),
    ]
}

#[test]
fn every_fault_kind_ends_in_a_clear_error_naming_the_step() {
    let cases: [(&str, &str); 8] = [
        ("disconnect-after=40", "reading the"),
        ("corrupt-checksum=1", "uploading download agent stage 1"),
        ("nack=SEND_DA", "uploading download agent stage 1"),
        ("nack=JUMP_DA", "starting download agent stage 1"),
        ("nack=WRITE32", "disabling the watchdog"),
        ("nack=SWITCH_PART", "reading the partition table"),
        ("stall-ms=1500", "reading the chip's hardware code"),
        ("garbage-after=30", "failed"),
    ];
    for (fault, step) in cases {
        let err = faulty(fault, "identify", &[]);
        assert!(err.contains(step), "{fault}: {err}");
    }
    let err = faulty("nack=READBACK", "identify", &[]);
    assert!(err.contains("reading the partition table"), "{err}");
    assert!(err.contains("mtkbench explain"), "{err}");
}

#[test]
fn a_refused_write_names_the_write_step() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("img.bin");
    std::fs::write(&file, [1u8; 4096]).unwrap();
    let args = write_args(&file);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let err = faulty("nack=WRITE", "write", &args);
    assert!(err.contains("writing storage"), "{err}");
}
