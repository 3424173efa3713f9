//! Library scan throughput: `cargo bench --bench library_scan`.
//!
//! Generates a ROM library in a temporary folder under the target directory (never committed,
//! removed at the end): by default 50 packages, one zip for every nine folders, each with a
//! scatter file, a small preloader, lk.bin, a boot image with a gzip kernel, and a 60 MiB
//! system image of pseudo-random data (so nothing compresses and nothing is skipped). Then it
//! times:
//! - SHA-256 alone (the `sha2` crate) and `rom::scan_image` (SHA-256 + 16-bit checksum + header
//!   sniff) over one in-memory buffer, as the ceiling a scan can reach on this machine;
//! - cold scans (empty index: every package read), warm scans (nothing changed: nothing read),
//!   and a scan after one package's system image grew.
//!
//! The files were just written, so they are in the page cache: the figures are hashing and
//! parsing speed, not disk speed (dropping the caches needs root and hurts everyone else on a
//! shared machine). Set `MTKBENCH_BENCH_PACKAGES` and `MTKBENCH_BENCH_SYSTEM_MIB` to change
//! the library's size.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::Path,
    time::{Duration, Instant},
};

use mtkbench::{
    firmware::{rom, scatter::Region, synth},
    library::{self, ScanSummary},
};
use sha2::{Digest, Sha256};
use zip::{CompressionMethod, write::SimpleFileOptions};

/// The integration tests' package builders (scatter text through `firmware::synth`).
#[allow(dead_code)]
#[path = "../tests/common/rom.rs"]
mod fixtures;

const MIB: usize = 1 << 20;

/// SplitMix64: fast, and enough to make data that neither compresses nor repeats.
struct Prng(u64);

impl Prng {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        self.fill(&mut v);
        v
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn scatter(project: &str) -> String {
    fixtures::scatter_of(
        "MT6572",
        project,
        &[
            (
                "PRELOADER",
                "preloader.bin",
                true,
                0x0,
                0x600000,
                Region::EmmcBoot1,
            ),
            ("UBOOT", "lk.bin", true, 0x600000, 0x60000, Region::EmmcUser),
            (
                "BOOTIMG",
                "boot.img",
                true,
                0x660000,
                0x600000,
                Region::EmmcUser,
            ),
            (
                "ANDROID",
                "system.img",
                true,
                0xC60000,
                0x40000000,
                Region::EmmcUser,
            ),
        ],
    )
}

/// A 256 KiB lk.bin with two panel driver names.
fn lk(rng: &mut Prng) -> Vec<u8> {
    let mut payload = rng.bytes(256 * 1024);
    payload.extend_from_slice(b"\0hx8379a_fwvga_dsi_vdo\0otm8018b_dsi_vdo\0");
    synth::mtk_image("LK", &payload)
}

/// A boot image (page 2048) whose kernel is a gzip stream of ~2 MiB with one panel name.
fn boot(rng: &mut Prng) -> Vec<u8> {
    let mut plain = rng.bytes(2 * MIB);
    plain.extend_from_slice(b"\0hx8379a_fwvga_dsi_vdo\0");
    let kernel = synth::mtk_image("KERNEL", &synth::gzip(&plain));
    synth::boot_image(&kernel, &[], 2048)
}

/// Writes `len` pseudo-random bytes to `out` in 1 MiB pieces.
fn stream_random(out: &mut impl Write, len: usize, rng: &mut Prng) {
    let mut buf = vec![0u8; MIB];
    let mut left = len;
    while left > 0 {
        let n = left.min(MIB);
        rng.fill(&mut buf[..n]);
        out.write_all(&buf[..n]).unwrap();
        left -= n;
    }
}

/// Writes one package (a folder or, when `zip`, a stored zip); returns its image bytes.
fn write_package(root: &Path, i: usize, zip: bool, system_len: usize) -> u64 {
    let project = format!("bench_p{i:02}");
    let mut rng = Prng(0x5EED_0000 + i as u64);
    let small = [
        ("MT6572_Android_scatter.txt", scatter(&project).into_bytes()),
        ("preloader.bin", synth::preloader(&project, 11)),
        ("lk.bin", lk(&mut rng)),
        ("boot.img", boot(&mut rng)),
    ];
    let images: u64 =
        small[1..].iter().map(|(_, b)| b.len() as u64).sum::<u64>() + system_len as u64;
    let dir = root.join(format!("brand{}/model{i:02}", i % 5));
    if zip {
        std::fs::create_dir_all(&dir).unwrap();
        let file = File::create(dir.join(format!("{project}.zip"))).unwrap();
        let mut z = zip::ZipWriter::new(BufWriter::with_capacity(MIB, file));
        let opts = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .large_file(system_len >= u32::MAX as usize);
        for (name, bytes) in &small {
            z.start_file(format!("{project}/{name}"), opts).unwrap();
            z.write_all(bytes).unwrap();
        }
        z.start_file(format!("{project}/system.img"), opts).unwrap();
        stream_random(&mut z, system_len, &mut rng);
        z.finish().unwrap().flush().unwrap();
    } else {
        let dir = dir.join(&project);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in &small {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        let mut out = BufWriter::with_capacity(MIB, File::create(dir.join("system.img")).unwrap());
        stream_random(&mut out, system_len, &mut rng);
        out.flush().unwrap();
    }
    images
}

/// CPU time this process has used (user + system), from `/proc/self/stat` in clock ticks of
/// 10 ms (Linux's USER_HZ); zero where there is no `/proc`.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let ticks = fields.get(11).unwrap_or(&0) + fields.get(12).unwrap_or(&0);
    Duration::from_millis(ticks * 10)
}

/// Wall-clock and CPU time of one run. On a shared machine the wall clock includes waiting
/// for a core; CPU time is what the work itself cost.
#[derive(Clone, Copy)]
struct Took {
    wall: Duration,
    cpu: Duration,
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Took) {
    let (wall, cpu) = (Instant::now(), cpu_time());
    let out = f();
    let took = Took {
        wall: wall.elapsed(),
        cpu: cpu_time().saturating_sub(cpu),
    };
    (out, took)
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (T, Took) {
    let mut best: Option<(T, Took)> = None;
    for _ in 0..runs {
        let (out, took) = timed(&mut f);
        if best.as_ref().is_none_or(|(_, b)| took.wall < b.wall) {
            best = Some((out, took));
        }
    }
    best.unwrap()
}

fn mb_s(bytes: u64, took: Duration) -> f64 {
    if took.is_zero() {
        return f64::NAN;
    }
    bytes as f64 / 1e6 / took.as_secs_f64()
}

/// `412 MB/s wall, 1290 MB/s CPU`.
fn speeds(bytes: u64, took: Took) -> String {
    format!(
        "{:>6.0} MB/s wall, {:>6.0} MB/s CPU",
        mb_s(bytes, took.wall),
        mb_s(bytes, took.cpu)
    )
}

fn cpu() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let sha_ni = info.split_whitespace().any(|w| w == "sha_ni");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{model}, {cores} logical CPUs, sha_ni {}",
        if sha_ni { "yes" } else { "no" }
    )
}

fn report(what: &str, s: &ScanSummary, took: Took) {
    let rate = match s.bytes_hashed {
        0 => String::new(),
        n => speeds(n, took),
    };
    println!(
        "{what:<26} {:>2} read {:>2} reused {:>5.2} GB {:>7.3} s wall {:>6.2} s CPU {rate}",
        s.inspected,
        s.reused,
        s.bytes_hashed as f64 / 1e9,
        took.wall.as_secs_f64(),
        took.cpu.as_secs_f64(),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is understood.
    let packages = env_usize("MTKBENCH_BENCH_PACKAGES", 50);
    let system_len = env_usize("MTKBENCH_BENCH_SYSTEM_MIB", 60) * MIB;
    println!("machine: {}", cpu());

    // The ceiling: hashing alone, in memory.
    let buf = Prng(1).bytes(256 * MIB);
    let len = buf.len() as u64;
    let (_, took) = best_of(3, || Sha256::digest(&buf));
    println!(
        "sha2 SHA-256 alone, 256 MiB in memory, best of 3: {}",
        speeds(len, took)
    );
    let (_, took) = best_of(3, || rom::scan_image(&buf[..]).unwrap());
    println!(
        "rom::scan_image (SHA-256 + checksum16), same:     {}",
        speeds(len, took)
    );
    drop(buf);

    let tmp = tempfile::Builder::new()
        .prefix("library-bench-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let root = tmp.path().join("library");
    let index = tmp.path().join("cache").join(library::INDEX_FILE);
    let t = Instant::now();
    let mut image_bytes = 0;
    let mut zips = 0;
    for i in 0..packages {
        let zip = i % 10 == 9;
        zips += usize::from(zip);
        image_bytes += write_package(&root, i, zip, system_len);
    }
    println!(
        "library: {packages} packages ({} folders, {zips} stored zips), {:.2} GB of images, \
         generated in {:.1} s under {}",
        packages - zips,
        image_bytes as f64 / 1e9,
        t.elapsed().as_secs_f64(),
        env!("CARGO_TARGET_TMPDIR")
    );
    println!("(all files are in the page cache: these are hashing speeds, not disk speeds)");

    let scan = || library::scan(&root, &index, &mut |_| {}).unwrap();
    for run in 1..=3 {
        let _ = std::fs::remove_file(&index);
        let (s, took) = timed(scan);
        assert_eq!((s.inspected, s.failed), (packages, 0), "cold scan {s:?}");
        assert_eq!(s.bytes_hashed, image_bytes);
        report(&format!("cold scan #{run} (empty index)"), &s, took);
    }
    let (s, took) = best_of(5, scan);
    assert_eq!((s.inspected, s.bytes_hashed), (0, 0), "warm scan {s:?}");
    report("warm scan (best of 5)", &s, took);

    let changed = root.join("brand0/model00/bench_p00/system.img");
    File::options()
        .append(true)
        .open(&changed)
        .unwrap()
        .write_all(b"one more block")
        .unwrap();
    let (s, took) = timed(scan);
    assert_eq!(s.inspected, 1, "after one change {s:?}");
    report("one package changed", &s, took);
    println!(
        "index: {} KB for {packages} packages",
        std::fs::metadata(&index).map_or(0, |m| m.len()) / 1000
    );

    drop(tmp); // removes the generated library
}
