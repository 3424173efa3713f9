//! Device link benchmark (not a test): how much of a pseudo-terminal's raw throughput the
//! protocol keeps, reading and writing a large range through the simulated MT6572.
//!
//! In one run it measures, in rounds of slices (see [`SLICES`]),
//! 1. the raw throughput of a pseudo-terminal pair in each direction, laid out as a session
//!    is ([`RawLink`]: the host's end read or written through `SerialTransport` in the main
//!    thread, the phone's end in one long-lived thread), 1 MiB blocks;
//! 2. `device::Session::write` and `Session::read` of the same amount through the simulator
//!    (served in a thread on its own pseudo-terminal, backed by a sparse image file), with the
//!    data generated and discarded on the fly; each write range is guarded
//!    (`device::guard::write`, outside the timed part) like any write;
//!
//! and prints MB/s per round, the ratio of each session figure to the raw one (the median over
//! the rounds, and the ratio of the best round of each kind), the CPU split, and the peak
//! resident memory, which must not grow with the amount (data is streamed, never buffered
//! whole).
//!
//! Run: `cargo bench --bench link` (256 MiB; `MTKBENCH_BENCH_MIB=64` for less;
//! `MTKBENCH_BENCH_SLICES=1` for one transfer of each kind per round).

#[path = "../tests/device_support/mod.rs"]
mod device_support;
#[path = "support/raw_link.rs"]
mod raw_link;
#[path = "support/rss.rs"]
mod rss;

use std::{
    io::{Read, Write},
    path::Path,
    time::{Duration, Instant},
};

use device_support::InProcessSim;
use mtkbench::{
    device::{
        Session,
        guard::{self, GuardedWrite, Override},
        progress::mb_per_s,
        target::{Region, Target},
    },
    profile::Registry,
    protocol::da_file::{DaFile, generate_sim_da},
    sim::device::Mode,
    transport::{SerialTransport, Transport},
};
use raw_link::RawLink;
use rss::peak_rss_mib;

const MIB: u64 = 1 << 20;

/// Where in the user area the benchmark writes (inside ANDROID on the a516_row layout, clear
/// of everything the guard protects).
const BENCH_ADDR: u64 = 0x1000_0000;

/// The write of `target` from the generated pattern, as the guard lets it through.
fn guarded<T: Transport>(s: &Session<T>, target: &Target) -> GuardedWrite {
    guard::write(
        s,
        target,
        Path::new("generated pattern"),
        target.len,
        Override::None,
    )
    .expect("the guard lets the benchmark's range through")
}

/// CPU seconds (user + system) used so far: by this thread (`main`: the host's end, raw or
/// session) and by the whole process (adding the phone's end: the raw link's thread or the
/// simulator's).
#[derive(Debug, Clone, Copy)]
struct Cpu {
    main: f64,
    all: f64,
}

fn cpu() -> Cpu {
    Cpu {
        main: ticks("/proc/thread-self/stat"),
        all: ticks("/proc/self/stat"),
    }
}

impl std::ops::Sub for Cpu {
    type Output = Cpu;
    fn sub(self, o: Cpu) -> Cpu {
        Cpu {
            main: self.main - o.main,
            all: self.all - o.all,
        }
    }
}

impl Cpu {
    fn other(&self) -> f64 {
        self.all - self.main
    }
}

/// User + system time in a stat file, in seconds.
fn ticks(file: &str) -> f64 {
    // Fields 14 and 15 of a stat file, in clock ticks (100 per second on Linux).
    std::fs::read_to_string(file)
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(0.0)
}

/// A reader that makes `left` bytes of a pattern (0, 1, .., 255, 0, ..) without holding
/// them, copying from one cycle of it: no per-byte work of its own in the host's path.
struct Pattern {
    left: u64,
    at: usize,
    cycle: [u8; 256],
}

impl Pattern {
    fn new(left: u64) -> Self {
        Pattern {
            left,
            at: 0,
            cycle: std::array::from_fn(|i| i as u8),
        }
    }
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        let mut done = 0;
        while done < n {
            let k = (n - done).min(256 - self.at);
            buf[done..done + k].copy_from_slice(&self.cycle[self.at..self.at + k]);
            self.at = (self.at + k) % 256;
            done += k;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A writer that counts and drops.
struct Count(u64);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Time and CPU spent on one kind of transfer.
#[derive(Debug, Clone, Copy)]
struct Tally {
    time: Duration,
    cpu: Cpu,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.time += o.time;
        self.cpu.main += o.cpu.main;
        self.cpu.all += o.cpu.all;
    }
}

impl Tally {
    const ZERO: Tally = Tally {
        time: Duration::ZERO,
        cpu: Cpu {
            main: 0.0,
            all: 0.0,
        },
    };

    /// Times `work` and the CPU it takes.
    fn of(work: impl FnOnce()) -> Tally {
        let (start, before) = (Instant::now(), cpu());
        work();
        Tally {
            time: start.elapsed(),
            cpu: cpu() - before,
        }
    }
}

/// Rounds of measurements.
const ROUNDS: usize = 5;

/// Each round moves the amount in this many slices, and within a slice measures the four
/// kinds back to back (raw in, session read, raw out, session write): a shared machine's load
/// changes over seconds, so each kind sees the same load, and a round's ratios compare like
/// with like.
const SLICES: u64 = 8;

/// The middle value (the upper one of the two middle values for an even count).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn main() {
    let mib: u64 = std::env::var("MTKBENCH_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let bytes = mib * MIB;
    let slices: u64 = std::env::var("MTKBENCH_BENCH_SLICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(SLICES);
    println!("device link benchmark: {mib} MiB each way, {ROUNDS} rounds of {slices} slices");

    let sim = InProcessSim::start("a516_row", None, Mode::Brom, &[]);
    let port = SerialTransport::open(&sim.port_str()).expect("open the simulator's port");
    let mut s = Session::new(port);
    s.connect(Duration::from_secs(5)).expect("handshake");
    s.identify_brom().expect("identify");
    let da = DaFile::parse(generate_sim_da()).expect("simulator DA");
    s.boot_da(&da).expect("DA boot");
    s.partition_table(&Registry::builtin())
        .expect("partition table");
    let rss_before = peak_rss_mib();
    let target = Target {
        name: "bench".into(),
        is_partition: false,
        region: Region::User,
        addr: BENCH_ADDR,
        len: bytes,
    };

    // Fill the range once, unmeasured: every round then reads and rewrites data the image
    // file already holds (the first pass over a sparse file allocates its blocks, and reading
    // a hole costs the kernel more than reading data, neither of which a phone has).
    s.write(&guarded(&s, &target), &mut Pattern::new(bytes))
        .expect("session write");

    let mut raw = RawLink::open();
    // [raw in, session read, raw out, session write] per round.
    let mut rounds: Vec<[Tally; 4]> = Vec::new();
    println!("round   raw in  session read    raw out  session write   (MB/s)");
    let rate = |t: &Tally| mb_per_s(bytes, t.time);
    for round in 1..=ROUNDS {
        let mut t = [Tally::ZERO; 4];
        let mut at = 0;
        for slice in 0..slices {
            let len = bytes / slices + u64::from(slice < bytes % slices);
            let part = Target {
                addr: BENCH_ADDR + at,
                len,
                ..target.clone()
            };
            at += len;
            let write = guarded(&s, &part);
            t[0] += Tally::of(|| raw.transfer(len, true));
            t[1] += Tally::of(|| {
                let mut sink = Count(0);
                s.read(&part, &mut sink).expect("session read");
                assert_eq!(sink.0, len);
            });
            t[2] += Tally::of(|| raw.transfer(len, false));
            t[3] += Tally::of(|| {
                s.write(&write, &mut Pattern::new(len))
                    .expect("session write");
            });
        }
        println!(
            "{round:5} {:8.1} {:8.1} {:5.1} % {:8.1} {:8.1} {:5.1} %",
            rate(&t[0]),
            rate(&t[1]),
            100.0 * rate(&t[1]) / rate(&t[0]),
            rate(&t[2]),
            rate(&t[3]),
            100.0 * rate(&t[3]) / rate(&t[2]),
        );
        rounds.push(t);
    }
    s.finish().expect("finish");
    let rss_after = peak_rss_mib();

    let ratio = |session: usize, raw: usize| {
        median(
            rounds
                .iter()
                .map(|t| 100.0 * rate(&t[session]) / rate(&t[raw]))
                .collect(),
        )
    };
    let (read_median, write_median) = (ratio(1, 0), ratio(3, 2));
    let best = |k: usize| {
        rounds
            .iter()
            .map(|t| t[k])
            .min_by_key(|t| t.time)
            .unwrap_or(Tally::ZERO)
    };
    let [raw_in, read, raw_out, write] = [best(0), best(1), best(2), best(3)];
    println!(
        "best round of each kind; CPU seconds: host's end + phone's end (raw thread or simulator)"
    );
    println!(
        "phone->host   raw pty {:7.1} MB/s   cpu {:.2} + {:.2} s",
        rate(&raw_in),
        raw_in.cpu.main,
        raw_in.cpu.other()
    );
    println!(
        "              session {:7.1} MB/s   cpu {:.2} + {:.2} s   session/raw {:5.1} %",
        rate(&read),
        read.cpu.main,
        read.cpu.other(),
        100.0 * rate(&read) / rate(&raw_in)
    );
    println!(
        "host->phone   raw pty {:7.1} MB/s   cpu {:.2} + {:.2} s",
        rate(&raw_out),
        raw_out.cpu.main,
        raw_out.cpu.other()
    );
    println!(
        "              session {:7.1} MB/s   cpu {:.2} + {:.2} s   session/raw {:5.1} %",
        rate(&write),
        write.cpu.main,
        write.cpu.other(),
        100.0 * rate(&write) / rate(&raw_out)
    );
    println!(
        "median of the rounds' session/raw: read {read_median:5.1} %, write {write_median:5.1} %"
    );
    println!(
        "peak RSS (host + simulator): {rss_before:.1} MiB before the transfers, {rss_after:.1} MiB after"
    );
}
