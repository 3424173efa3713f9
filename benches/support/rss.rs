//! The memory figure of the device benchmarks: the process's peak resident set (`VmHWM`), the
//! simulator's thread included. Linux only; 0 where `/proc` is missing. Not a test.

/// Peak resident memory of this process so far, MiB.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
