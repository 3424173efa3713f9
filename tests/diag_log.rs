//! Boot-log analysis end to end: the boot timeline of multi-boot logs, streaming in any chunk
//! size, EXPDB dumps, the real MT6572 format strings, and the `diagnose log` command.

mod common;

use std::path::{Path, PathBuf};

use common::mtkbench;
use mtkbench::diag::{
    self,
    log::{Analysis, Analyzer, LogKind},
    rules::{BootMode, EndReason, RuleBase, Stage},
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/logs")
        .join(name)
}

fn rules() -> &'static RuleBase {
    RuleBase::builtin().unwrap()
}

fn analyse_bytes(name: &str, kind: LogKind, bytes: &[u8], chunk: usize) -> Analysis {
    let mut a = Analyzer::new(rules());
    a.begin_input(name, kind);
    for piece in bytes.chunks(chunk.max(1)) {
        a.push_bytes(piece);
    }
    a.finish()
}

#[test]
fn a_healthy_boot_is_one_complete_attempt_with_its_time() {
    let a = diag::analyze_files(&[fixture("healthy_boot.uart.log")], rules()).unwrap();
    assert_eq!(a.boots.len(), 1);
    let b = &a.boots[0];
    assert_eq!((b.start_line, b.end_line), (2, 75));
    assert_eq!(b.reached, Stage::BootCompleted);
    assert_eq!(b.ended_by, EndReason::Running);
    // preloader 1523 ms + LK 2311 ms + last kernel timestamp 18.1 s
    assert_eq!(b.duration_ms, Some(1523 + 2311 + 18_100));
    assert!(a.findings.is_empty(), "{:?}", a.findings);
}

#[test]
fn concatenated_dmesg_splits_where_the_kernel_clock_restarts() {
    let a = diag::analyze_files(&[fixture("three_boots.dmesg")], rules()).unwrap();
    let starts: Vec<u64> = a.boots.iter().map(|b| b.start_line).collect();
    assert_eq!(starts, [2, 7, 12]);
    let ends: Vec<u64> = a.boots.iter().map(|b| b.end_line).collect();
    assert_eq!(ends, [6, 11, 13]);
    let took: Vec<Option<u64>> = a.boots.iter().map(|b| b.duration_ms).collect();
    assert_eq!(took, [Some(7250), Some(4200), Some(1500)]);
    let why = a.boots[1].end_evidence.as_ref().unwrap();
    assert_eq!(why.line, 10);
    assert!(why.text.contains("low battery"));
}

#[test]
fn the_next_preloader_says_why_the_previous_boot_ended() {
    let a = diag::analyze_files(&[fixture("watchdog_loop.uart.log")], rules()).unwrap();
    assert_eq!(a.boots.len(), 2);
    assert_eq!(a.boots[0].ended_by, EndReason::WatchdogReset);
    let ev = a.boots[0].end_evidence.as_ref().unwrap();
    assert!(
        ev.line > a.boots[1].start_line,
        "the evidence is in the next boot"
    );
    assert!(ev.text.contains("WDT normal boot!"));
    assert_eq!(a.boots[1].ended_by, EndReason::Hang);
}

#[test]
fn a_preloader_that_restarts_makes_separate_attempts() {
    let a = diag::analyze_files(&[fixture("dram_cal_fail.uart.log")], rules()).unwrap();
    assert_eq!(a.boots.len(), 3);
    assert!(a.boots.iter().all(|b| b.reached == Stage::Preloader));
    assert!(
        a.boots.iter().all(|b| b.duration_ms.is_none()),
        "no clock in these lines"
    );
    let f = a.finding("dram-calibration-failed").unwrap();
    assert_eq!(f.boots, [0, 1, 2]);
}

#[test]
fn recovery_boots_are_counted_per_attempt() {
    let a = diag::analyze_files(&[fixture("recovery_loop.uart.log")], rules()).unwrap();
    assert!(a.boots.iter().all(|b| b.mode == Some(BootMode::Recovery)));
    let f = a.finding("recovery-loop").unwrap();
    assert_eq!(f.count, 3, "three boots, not six lines");
    let mount = a.finding("mount-failed").unwrap();
    assert_eq!(mount.title, "A filesystem did not mount (/cache)");
}

#[test]
fn findings_fill_their_titles_from_the_evidence() {
    let a = diag::analyze_files(&[fixture("panic_loop.uart.log")], rules()).unwrap();
    let f = a.finding("kernel-panic").unwrap();
    assert_eq!(f.title, "Kernel crash in tpd_i2c_probe");
    assert!(f.explanation.contains("(Fatal exception)"));
    assert!(f.evidence.iter().any(|e| e.text.contains("PC is at")));
    let a = diag::analyze_files(&[fixture("spflash_dram.log")], rules()).unwrap();
    let f = a.finding("tool-error").unwrap();
    assert!(
        f.fix.contains("mtkbench explain S_FT_ENABLE_DRAM_FAIL"),
        "{}",
        f.fix
    );
    // mtkbench's own log names modules (`mtkbench::transport: ...`); only error names count.
    let a = diag::analyze_files(&[fixture("handshake_failed.transcript")], rules()).unwrap();
    let f = a.finding("tool-error").unwrap();
    assert_eq!(
        f.title,
        "The flashing tool reported mtkbench::handshake_failed"
    );
    assert_eq!(f.count, 1);
}

#[test]
fn chunk_size_does_not_change_the_analysis() {
    for name in [
        "panic_loop.uart.log",
        "three_boots.dmesg",
        "system_server_loop.logcat",
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let kind = diag::log::detect_kind(name, &bytes);
        let whole = serde_json::to_string(&analyse_bytes(name, kind, &bytes, bytes.len())).unwrap();
        for chunk in [1, 7, 4096] {
            let pieces = serde_json::to_string(&analyse_bytes(name, kind, &bytes, chunk)).unwrap();
            assert_eq!(whole, pieces, "{name} in chunks of {chunk}");
        }
    }
}

#[test]
fn a_live_capture_can_feed_lines() {
    let mut a = Analyzer::new(rules());
    a.begin_input("uart /dev/ttyUSB0", LogKind::Uart);
    for line in [
        "[PLFM] Init I2C: OK(0)",
        "[pmic6323_init] Preloader Start....",
        "[EMI] no MDL match !",
    ] {
        a.push_line(line.as_bytes());
    }
    let analysis = a.finish();
    assert_eq!(analysis.inputs[0].lines, 3);
    assert_eq!(analysis.boots[0].reached, Stage::Preloader);
    assert_eq!(
        analysis.finding("emi-no-match").unwrap().evidence[0].line,
        3
    );
}

#[test]
fn an_expdb_dump_is_read_through_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("expdb.bin");
    std::fs::write(&path, common::expdb_image()).unwrap();
    let a = diag::analyze_files(&[path], rules()).unwrap();
    assert_eq!(a.inputs[0].kind, LogKind::Expdb);
    let f = a.finding("kernel-panic").unwrap();
    assert_eq!(f.title, "Kernel crash in mtkfb_update_screen_impl");
    assert_eq!(a.boots.len(), 1);
    assert_eq!(a.boots[0].ended_by, EndReason::KernelPanic);
}

/// Turns a printf format string into a line such a format prints: `%d` becomes 0 (so
/// `[SD%d]` is the boot eMMC), `%x` 1f, `%s` a bracketed tag.
fn render(format: &str) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // flags, width, precision and length modifiers, then the conversion
        while chars
            .peek()
            .is_some_and(|c| "-+ #0123456789.lh".contains(*c))
        {
            chars.next();
        }
        match chars.next() {
            Some('d' | 'i' | 'u') => out.push('0'),
            Some('x' | 'X') => out.push_str("1f"),
            Some('s') => out.push_str("[MOD]"),
            Some('c') => out.push('x'),
            Some('p') => out.push_str("0x80000000"),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[test]
fn the_rules_match_what_real_mt6572_bootloaders_and_kernels_print() {
    let Some(real) = common::realdata("the_rules_match_what_real_mt6572_bootloaders_print") else {
        return;
    };
    let catalogs = real.join("logs/string_catalogs");
    let expect: &[(&str, &[&str])] = &[
        (
            "preloader_strings__mobiwire_s10.txt",
            &[
                "dram-calibration-failed",
                "emi-no-match",
                "emmc-not-responding",
                "pmic-wrap-failed",
                "watchdog-reset",
                "lk-crash",
            ],
        ),
        (
            "preloader_strings__lenovo_a516_S118.txt",
            &[
                "dram-calibration-failed",
                "emi-no-match",
                "pmic-wrap-failed",
                "watchdog-reset",
            ],
        ),
        (
            "lk_strings__mobiwire_s10.txt",
            &[
                "mboot-load-error",
                "battery-too-low",
                "lcm-not-detected",
                "secure-boot-verify-failed",
                "lk-crash",
                "emmc-io-errors",
            ],
        ),
        (
            "lk_strings__lenovo_a516_S118.txt",
            &[
                "mboot-load-error",
                "battery-too-low",
                "battery-missing",
                "secure-boot-verify-failed",
            ],
        ),
        (
            "kernel_strings__lenovo_a516_S117_3.4.5.txt",
            &[
                "kernel-panic",
                "watchdog-reset",
                "mount-failed",
                "emmc-io-errors",
            ],
        ),
    ];
    for (file, rule_ids) in expect {
        let text = std::fs::read_to_string(catalogs.join(file)).unwrap();
        let rendered: String = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| render(l) + "\n")
            .collect();
        let a = analyse_bytes(file, LogKind::Uart, rendered.as_bytes(), 1 << 16);
        for id in *rule_ids {
            assert!(
                a.finding(id).is_some(),
                "{id} does not match anything in {file}"
            );
        }
    }
}

#[test]
fn cli_json_has_the_documented_shape() {
    let path = fixture("panic_loop.uart.log");
    let out = mtkbench(&["--json", "diagnose", "log", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["inputs"][0]["path"], path.to_str().unwrap());
    assert_eq!(v["inputs"][0]["kind"], "uart");
    let boot = &v["boots"][0];
    assert_eq!(boot["start_line"], 2);
    assert_eq!(boot["reached"], "kernel");
    assert_eq!(boot["ended_by"], "kernel_panic");
    assert!(boot["duration_ms"].is_u64());
    let f = &v["findings"][0];
    assert_eq!(f["id"], "kernel-panic");
    assert_eq!(f["severity"], "critical");
    for key in ["title", "explanation", "fix"] {
        assert!(f[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
    }
    assert!(f["evidence"][0]["line"].is_u64());
    assert!(f["evidence"][0]["text"].is_string());
}

#[test]
fn cli_human_output_fits_80_columns() {
    let paths: Vec<String> = [
        "panic_loop.uart.log",
        "lcm_kernel_mismatch.uart.log",
        "three_boots.dmesg",
    ]
    .iter()
    .map(|n| fixture(n).to_string_lossy().into_owned())
    .collect();
    let mut args = vec!["diagnose", "log"];
    args.extend(paths.iter().map(String::as_str));
    let out = mtkbench(&args);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Boot attempts in"), "{text}");
    assert!(
        text.contains("[CRITICAL] Kernel crash in tpd_i2c_probe"),
        "{text}"
    );
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line}");
    }
}

#[test]
fn cli_reads_standard_input() {
    let home = tempfile::tempdir().unwrap();
    let mut child = common::mtkbench_in(home.path())
        .args(["--json", "diagnose", "log", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"[PLFM] Init PWRAP: OK(0)\n[EMI] R0 cal fail\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["inputs"][0]["path"], "-");
    assert_eq!(v["findings"][0]["id"], "dram-calibration-failed");
}

#[test]
fn cli_missing_file_is_bad_input() {
    let out = mtkbench(&["diagnose", "log", "/nonexistent/boot.log"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cannot read /nonexistent/boot.log"), "{err}");
}
