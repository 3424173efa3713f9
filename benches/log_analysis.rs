//! How fast `diagnose log` analyses a big boot log.
//!
//! Generates a ~100 MB UART capture of many boot attempts in a temporary folder (preloader, LK
//! and a chatty kernel each; some attempts panic, some hang and are reset by the watchdog),
//! then analyses it with the built-in rule base through the same path as the command
//! (`diag::analyze_files`: read in chunks, split lines, prefilter, match, split boots).
//! Prints the size, the time of each run, MB/s and the process's peak resident memory.
//!
//! Run: `cargo bench --bench log_analysis` (release build). `MTKBENCH_BENCH_MB` changes the
//! size.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::PathBuf,
    time::Instant,
};

use mtkbench::diag::{self, rules::RuleBase};

/// Kernel chatter between boot markers, like a real MT6572 console (driver polls, battery
/// thread, watchdog kicks, msdc clock changes, binder, wlan). Some of it contains rule
/// literals (`denied`, `nvram`, `error`) so the regex confirmation step runs too.
const CHATTER: &[&str] = &[
    "[WDK]: kick Ex WDT,RT[{n}]",
    "[BAT_thread] [Battery] Vbat={v} mV, SOC=87%, charging=0",
    "msdc1 -> !!! Set<400KHz> Source<197000KHz> -> sclk<399KHz> DDR<0> mode<0> div<247>",
    "binder: 512:530 transaction failed 29189, size 204-0",
    "[wlan] kalIoctl: prIoReq {n} done",
    "[MSENSOR] mag_read: x=12 y=-40 z=301",
    "healthd: battery l=87 v={v} t=28.0 h=2 st=3 chg=",
    "[TPD] tpd_event_handler: touch up",
    "init: sys_prop: permission denied uid:1000  name:persist.radio.airplane_mode_on",
    "[NVRAM] nvram_read: file=/data/nvram/APCFG/APRDEB/WIFI ok",
    "PM: suspend entry 2014-05-08 17:22:{s} UTC",
    "mtk-tpd: error reading touch data, retry {n}",
    "[AUXADC] channel 1 raw={n}",
    "lowmemorykiller: Killing 'com.android.music' (1412), adj 9",
];

fn preloader(out: &mut impl Write, watchdog_before: bool) -> std::io::Result<()> {
    let reason = if watchdog_before {
        "WDT normal boot!"
    } else {
        "Power key boot!"
    };
    write!(
        out,
        "[PLFM] Init I2C: OK(0)\n[PLFM] Init PWRAP: OK(0)\n\
         [pmic6323_init] Preloader Start..................\n[PLFM] Init PMIC: OK(0)\n\
         [BLDR] Build Time: 20140508-172209\n[EMI] eMMC/NAND ID = 15,1,0,4D,41,47,34,46,41\n\
         [EMI] DRAMC rank 0 calibration passed\n[PLFM] Init Boot Device: OK(0)\n\
         [SD0] Initialized\n[PLFM] {reason}\n[BLDR] boot time: 1523ms\n[BLDR] jump to 0x81E00000\n"
    )
}

fn lk(out: &mut impl Write) -> std::io::Result<()> {
    out.write_all(
        b"[LK_pmic6323_init] LK Start...................\n\
          [PROFILE] ------- platform_early_init takes 52 ms -------- \n\
          [LCM Specified]\t[st7701_wvga_dsi_vdo]\n[mtkfb] LCM is connected\n\
          check VBAT=3950 mV with 3450 mV\n\
          cmdline: console=tty0 console=ttyMT1,921600n1 lcm=1-st7701_wvga_dsi_vdo fps=6000\n\
          lk boot time = 2311 ms\nlk finished --> jump to linux kernel\n",
    )
}

/// Writes boot attempts until the file holds `target` bytes; returns (bytes, boots).
fn generate(path: &PathBuf, target: u64) -> std::io::Result<(u64, u64)> {
    let file = File::create(path)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut written = 0u64;
    let mut boots = 0u64;
    let mut previous_hung = false;
    while written < target {
        let mut buf = Vec::with_capacity(256 * 1024);
        preloader(&mut buf, previous_hung)?;
        lk(&mut buf)?;
        writeln!(
            buf,
            "[    0.000000] Booting Linux on physical CPU 0\n\
             [    0.000000] Linux version 3.4.5 (buildslave@nj-bs5) #1 SMP PREEMPT"
        )?;
        let chatter_lines = 1500 + (boots % 7) * 100;
        for i in 0..chatter_lines {
            let ts = 0.5 + i as f64 * 0.013;
            let template = CHATTER[(i as usize + boots as usize) % CHATTER.len()];
            let line = template
                .replace("{n}", &(i * 7919 % 100_000).to_string())
                .replace("{v}", &(3900 + i % 100).to_string())
                .replace("{s}", &format!("{:02}", i % 60));
            writeln!(buf, "[{ts:>12.6}] {line}")?;
            if i == 200 {
                writeln!(buf, "[{ts:>12.6}] Freeing init memory: 212K")?;
            }
            if i == 400 {
                writeln!(
                    buf,
                    "[{ts:>12.6}] BOOTPROF: 5800.123456:Zygote:Preload Start"
                )?;
            }
        }
        let end = 0.5 + chatter_lines as f64 * 0.013;
        previous_hung = false;
        match boots % 3 {
            0 => writeln!(
                buf,
                "[{end:>12.6}] PC is at tpd_i2c_probe+0x3c/0x2f0\n\
                 [{end:>12.6}] Kernel panic - not syncing: Fatal exception"
            )?,
            1 => previous_hung = true,
            _ => writeln!(
                buf,
                "[{end:>12.6}] Restarting system with command 'recovery'."
            )?,
        }
        out.write_all(&buf)?;
        written += buf.len() as u64;
        boots += 1;
    }
    out.flush()?;
    Ok((written, boots))
}

/// Time this thread has spent on a CPU, in nanoseconds (Linux `schedstat`): unlike the wall
/// clock it does not count time spent waiting for a CPU on a busy machine.
fn cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// Peak and current resident memory of this process in KiB (`VmHWM`, `VmRSS`), on Linux.
fn memory_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mb: u64 = std::env::var("MTKBENCH_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("uart-capture.log");
    let started = Instant::now();
    let (bytes, boots) = generate(&path, mb * 1_000_000)?;
    println!(
        "generated {:.1} MB, {boots} boot attempts, in {:.2?}",
        bytes as f64 / 1e6,
        started.elapsed()
    );
    let loaded = Instant::now();
    let rules = RuleBase::builtin()?;
    println!(
        "rule base: {} rules loaded and compiled in {:.2?}",
        rules.rules().len(),
        loaded.elapsed()
    );
    if let Some((hwm, rss)) = memory_kib() {
        println!("memory before analysis: peak {hwm} KiB, resident {rss} KiB");
    }
    let mut times = Vec::new();
    let mut cpu_times = Vec::new();
    for run in 1..=3 {
        let cpu = cpu_ns();
        let t = Instant::now();
        let analysis =
            diag::analyze_files(std::slice::from_ref(&path), rules).map_err(|e| e.to_string())?;
        let elapsed = t.elapsed();
        let cpu = cpu.zip(cpu_ns()).map(|(a, b)| (b - a) as f64 / 1e9);
        times.push(elapsed);
        cpu_times.extend(cpu);
        println!(
            "run {run}: {:.3} s wall, {} CPU, {:.0} MB/s, {} lines, {} boots, {} findings",
            elapsed.as_secs_f64(),
            cpu.map_or("?".to_string(), |c| format!("{c:.3} s")),
            bytes as f64 / 1e6 / elapsed.as_secs_f64(),
            analysis.inputs[0].lines,
            analysis.boots.len(),
            analysis.findings.len()
        );
    }
    times.sort();
    let best = times[0].as_secs_f64();
    let median = times[times.len() / 2].as_secs_f64();
    println!(
        "best {best:.3} s ({:.0} MB/s), median {median:.3} s ({:.0} MB/s)",
        bytes as f64 / 1e6 / best,
        bytes as f64 / 1e6 / median
    );
    cpu_times.sort_by(f64::total_cmp);
    if let Some(best_cpu) = cpu_times.first() {
        println!(
            "best CPU time {best_cpu:.3} s ({:.0} MB/s of CPU)",
            bytes as f64 / 1e6 / best_cpu
        );
    }
    if let Some((hwm, rss)) = memory_kib() {
        println!("memory after analysis: peak {hwm} KiB, resident {rss} KiB (whole process)");
    }
    Ok(())
}
