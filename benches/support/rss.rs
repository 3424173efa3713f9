//! The memory figures of the benchmarks, from this process's `/proc/self/status`: the peak
//! resident set (`VmHWM`) and any other `kB` line such as the current one (`VmRSS`), the
//! simulator's thread included. Linux only; 0 where `/proc` is missing. Not a test.

/// The value of the `/proc/self/status` line that starts with `field` (`"VmRSS:"`), KiB; 0
/// when the file or the line is missing.
pub fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

/// Peak resident memory of this process so far, MiB.
pub fn peak_rss_mib() -> f64 {
    status_kib("VmHWM:") as f64 / 1024.0
}
