//! Every sentence the workstation shows, in one place, written for a tired technician at a
//! bench: what happened, why it matters for this phone, and the next key. Pure.

use std::path::Path;

use super::state::Transfer;
use crate::{
    device::{Fingerprint, Mode, Stage},
    diag::lcm::LcmVerdict,
};

/// First log line.
pub const LOG_STARTED: &str = "Workstation started. Waiting for a phone on a download port.";
/// Log line of `--demo`.
pub const LOG_DEMO: &str =
    "Demo: a simulated MT6572 phone is on the bench and a demo ROM library is loaded.";
/// The ports could not be listed.
pub const PORTS_FAILED: &str = "Cannot list the serial ports";
/// The library could not be read.
pub const LIBRARY_FAILED: &str = "Cannot read the ROM library";
/// The doctor found nothing.
pub const DOCTOR_CLEAN: &str = "Host check: nothing on this computer gets in the way.";
/// A log file could not be read.
pub const LOG_READ_FAILED: &str = "Cannot analyse that log";
/// The display check could not be done.
pub const DISPLAY_FAILED: &str = "Cannot check the display drivers";
/// No ROM is selected.
pub const NO_ROM_SELECTED: &str = "No ROM is selected: the library list is empty.";
/// Next step after a log that could not be read.
pub const NEXT_LOG: &str = "Press Esc, then o to type another log file path.";
/// Next step after a failed display check.
pub const NEXT_DISPLAY: &str = "Press Esc, then 3 to pick another ROM and c to check it.";
/// Next step when no ROM is selected.
pub const NEXT_PICK_ROM: &str =
    "Press Esc, then 3 for the ROM list (r reloads it after adding ROMs).";

/// The Connect panel's instructions for a phone that powers on.
pub const CONNECT_STEPS: [&str; 2] = [
    "Phone off (battery out for 5 s if it boot-loops), battery back in.",
    "Hold VOL-DOWN and plug the USB cable in; let go when the port is seen.",
];
/// The Connect panel's advice for a dead phone.
pub const CONNECT_DEAD: &str =
    "Dead phone, no port at all? Short the test point (KCOL0) to ground while plugging in.";
/// The Connect panel's note on timing.
pub const CONNECT_TIMING: &str =
    "The preloader port lives only 2-5 s; it is caught the moment it appears.";

/// Title of the text popup per purpose, and what to type.
pub fn text_prompt(purpose: super::state::TextPurpose) -> (&'static str, &'static str) {
    use super::state::TextPurpose;
    match purpose {
        TextPurpose::PcbMarking => (
            "PCB marking",
            "The text printed on the phone's board (under the battery cover or shield):",
        ),
        TextPurpose::LogFile => (
            "Open a boot log",
            "Path of a UART capture, last_kmsg, dmesg, logcat or SP Flash Tool log:",
        ),
        TextPurpose::ErrorCode => (
            "Explain an error",
            "An error name or number as the tool printed it (S_FT_ENABLE_DRAM_FAIL, 3012):",
        ),
    }
}

/// Log line: a download port appeared.
pub fn port_seen(path: &str) -> String {
    format!("Download port seen: {path}")
}

/// Log line: the doctor found problems.
pub fn doctor_found(n: usize) -> String {
    format!("Host check: {n} problem(s) on this computer may stop flashing; see Connect.")
}

/// Log line: the library was read.
pub fn library_loaded(n: usize) -> String {
    format!("ROM library: {n} package(s).")
}

/// Log line: a PCB marking was typed.
pub fn marking_typed(marking: &str) -> String {
    format!("PCB marking typed: {marking}")
}

/// Log line: a log file is being analysed.
pub fn analysing(path: &Path) -> String {
    format!("Analysing {} ...", path.display())
}

/// Log line: a log file was analysed.
pub fn log_analyzed(path: &Path, boots: usize, findings: usize) -> String {
    format!(
        "{}: {boots} boot attempt(s), {findings} finding(s).",
        path.display()
    )
}

/// Log line: a display check is running.
pub fn checking_display(rom: &Path) -> String {
    format!("Checking the display drivers of {} ...", rom.display())
}

/// Log line: a display check is done.
pub fn display_checked(rom: &Path, v: &LcmVerdict) -> String {
    let name = rom.file_name().map_or_else(
        || rom.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    format!("Display check of {name}: {}", v.outcome.words())
}

/// Size in a short human form (MiB or GiB, one decimal).
pub fn size(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    let b = bytes as f64;
    if b >= 1024.0 * MIB {
        format!("{:.1} GiB", b / (1024.0 * MIB))
    } else if b >= MIB {
        format!("{:.1} MiB", b / MIB)
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

/// Backup panel heading.
pub const BACKUP_WHAT: &str = "The phone's identity, read twice and compared before any write:";
/// What the identity backup holds.
pub const BACKUP_PARTS: [&str; 4] = [
    "PRO_INFO, NVRAM: IMEIs, Wi-Fi and BT MACs, radio calibration",
    "PROTECT_F, PROTECT_S: modem protect data",
    "SECCFG, the preloader (boot1), MBR/EBR",
    "UBOOT: the phone's own display driver (for the display check)",
];
/// How a backup is kept.
pub const BACKUP_HOW: &str = "Each backup is written once into its own folder with a SHA-256 \
                              manifest and never overwritten; a restore refuses a backup whose \
                              hashes do not match.";
/// No backup yet.
pub const BACKUP_NONE: &str = "No backup of this phone yet. Format All + Download stays locked \
                               until one is verified.";
/// The three modes, as SP Flash Tool names them, and what each does.
pub const FLASH_MODES: [(&str, &str); 3] = [
    (
        "Download Only",
        "writes the chosen images; refused if the phone's layout differs",
    ),
    (
        "Firmware Upgrade",
        "backs up NVRAM, formats, downloads, restores NVRAM",
    ),
    (
        "Format All + Download",
        "erases everything first; needs a verified backup and a typed yes",
    ),
];
/// Flash panel: plan before write.
pub const FLASH_PLAN_FIRST: &str = "Nothing is written before the whole plan (every partition, \
                                    address, length and why) is on screen and confirmed.";
/// Verify heading.
pub const VERIFY_WHAT: &str = "Read back what was written and compare hashes.";
/// Verify detail.
pub const VERIFY_HOW: &str = "Each written partition is read back from the phone and its \
                              SHA-256 compared with the image; a mismatch names the partition.";
/// Report heading.
pub const REPORT_WHAT: &str = "The repair journal entry and the job sheet.";
/// Report detail.
pub const REPORT_HOW: &str = "Device, board, ROM, mode, backup id, the result of every \
                              partition and the timings go into the journal; the job sheet \
                              for the customer is written beside it.";

/// Title of the error popup when the session fails.
pub const SESSION_FAILED: &str = "The phone session stopped";
/// What to press to arm again.
pub const NEXT_ARM: &str = "Then press Esc, 1 and Enter to arm again.";
/// Log line: armed.
pub const ARMED: &str = "Armed: waiting for the phone's download port.";
/// Log line: stopping after the current packet.
pub const STOPPING: &str = "Stopping after the current packet; the session then ends.";
/// Title of the popup asked when quitting mid-write.
pub const STOP_WRITE_TITLE: &str = "A write is running. Stop after the current packet?";

/// What the quit-mid-write popup says.
pub fn stop_write_lines(t: &Transfer, backup: Option<&str>) -> Vec<String> {
    let pct = (t.done as f64 * 100.0 / t.total.max(1) as f64).round();
    vec![
        format!(
            "{} is {pct}% {}; stopping leaves it half-done and the phone may not boot until \
             it is flashed again.",
            t.name,
            if t.op == crate::device::OpKind::Erase {
                "erased"
            } else {
                "written"
            }
        ),
        match backup {
            Some(b) => format!("The identity backup ({b}) is not touched."),
            None => "There is no identity backup of this phone yet.".into(),
        },
        "y stops between two packets and quits; n keeps going.".into(),
    ]
}

/// Log line: a protocol stage begins.
pub fn stage(stage: Stage) -> String {
    let mut s = stage.describe().to_string();
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    s
}

/// Log line: a transfer completed.
pub fn transfer_done(t: &Transfer) -> String {
    format!(
        "{} {}: {} in {:.1} s ({:.1} MB/s)",
        t.op.as_str(),
        t.name,
        size(t.total),
        t.elapsed.as_secs_f64(),
        crate::device::progress::mb_per_s(t.total, t.elapsed)
    )
}

/// Log line: a job stopped on request.
pub fn cancelled(name: Option<&str>, done: u64) -> String {
    match name {
        Some(n) => format!("Stopped on request: {n} after {}.", size(done)),
        None => "Stopped on request.".into(),
    }
}

/// Log line: the phone identified itself.
pub fn identified(port: &str, f: &Fingerprint) -> String {
    format!(
        "Identified on {port}: {} in {} mode; the session stays open.",
        chip(f.hw_code),
        mode(f.mode)
    )
}

/// The chip's name from its hardware code.
pub fn chip(hw_code: u16) -> String {
    match hw_code {
        0x6572 => "MT6572".into(),
        other => format!("hw {other:#06x}"),
    }
}

/// BROM or preloader.
pub fn mode(mode: Mode) -> &'static str {
    match mode {
        Mode::Brom => "BROM",
        Mode::Preloader => "preloader",
    }
}

/// The Connect panel in the demo.
pub const DEMO_PLUGGED: &str = "Demo: the simulated phone is plugged in on a pseudo-terminal.";
