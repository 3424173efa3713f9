//! Every sentence the workstation shows, in one place, written for a tired technician at a
//! bench: what happened, why it matters for this phone, and the next key. Pure.

use std::path::Path;

use super::state::{LogLevel, Transfer};
use crate::{
    device::{
        Fingerprint, Mode, Stage,
        dram::{DramReport, EmiSource},
    },
    diag::lcm::LcmVerdict,
    firmware::preloader::PreloaderIdentity,
    flash::{Action as PlanAction, Mode as FlashMode, Plan},
    repair::{Outcome, RepairReport, RepairStep},
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
pub const CONNECT_DEAD: &str = "No preloader port (a dead phone)? BROM only: hold VOL-DOWN, or \
     short the test point (KCOL0) to ground, while plugging in.";
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
        TextPurpose::UartPort => (
            "Capture the UART live",
            "Port of the USB-serial adapter wired to the phone's TX, RX and GND (/dev/ttyUSB0):",
        ),
    }
}

/// Diagnose, live UART: what runs and what to do.
pub fn uart_capturing(port: &str, running: bool) -> String {
    if running {
        format!(
            "Capturing {port} at {} baud: power the phone on now. u stops; what arrived is \
             kept and analysed.",
            crate::diag::uart::UART_BAUD
        )
    } else {
        format!("Capture of {port} ended.")
    }
}
/// Diagnose, live UART, before the phone said anything.
pub const UART_SILENT: &str = "Nothing received yet. Silence after power-on: check the wiring \
                               (adapter TX to phone RX, RX to TX, GND) and the speed.";
/// The UART capture failed.
pub const UART_FAILED: &str = "Cannot capture the UART";
/// What to do after a failed capture.
pub const NEXT_UART: &str = "Press Esc, then u to try another port.";
/// Log line: a capture was saved.
pub fn capture_saved(path: &Path) -> String {
    format!(
        "UART capture saved in {}; its boots and findings are in Diagnose.",
        path.display()
    )
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

/// Size in the fewest characters (`3.6G`, `512M`), for the device bar.
pub fn short_size(bytes: u64) -> String {
    size(bytes)
        .replace(" GiB", "G")
        .replace(" MiB", "M")
        .replace(" KiB", "K")
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
pub const BACKUP_NONE: &str = "No backup of this phone in the store yet: the repair takes one \
                               before anything is written.";
/// Backup panel before the repair starts.
pub const BACKUP_IN_REPAIR: &str = "The repair backs the identity up in this same connection \
                                    before anything is written, unless this phone already has a \
                                    verified backup (5 Flash starts it).";
/// Backup panel: this phone's backups.
pub fn backups_of_phone(n: usize, newest: &str) -> String {
    format!("{n} backup(s) of this phone; the newest, {newest}:")
}
/// The three modes, as SP Flash Tool names them, and what each does.
pub const FLASH_MODES: [(&str, &str); 3] = [
    ("Download Only", "write images; keeps the layout"),
    ("Firmware Upgrade", "NVRAM backed up, format, restore"),
    (
        "Format All + Download",
        "erase all; needs backup + typed yes",
    ),
];
/// Flash panel: plan before write.
pub const FLASH_PLAN_FIRST: &str = "Enter starts the repair on the connected phone: it checks \
                                    the ROM, backs the identity up if needed and shows the whole \
                                    plan (every partition, address, length and why); nothing is \
                                    written before you confirm it.";
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

/// Said when `w` is pressed before a repair has ended with a journal entry.
pub const NO_SHEET: &str = "No job sheet yet: it is made when a repair ends and is recorded \
                            in the journal. Finish the repair (5 Flash), then press w here.";
/// Title of the error popup when the job sheet cannot be written.
pub const SHEET_FAILED: &str = "The job sheet could not be written";
/// What to do when the job sheet cannot be written.
pub const NEXT_SHEET: &str = "The repair itself is recorded in the journal. Free some disk \
                              space or fix the data folder's permissions, then press w again.";

/// Where the customer's job sheet went.
pub fn sheet_written(path: &std::path::Path) -> String {
    format!(
        "Job sheet for the customer written to {} (print it or hand it over).",
        path.display()
    )
}

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
    let done = if t.op == crate::device::OpKind::Erase {
        "erased"
    } else {
        "written"
    };
    let consequence = if crate::firmware::is_boot_code(&t.name) {
        "stopping now leaves a half-written preloader, a hard brick that only the BootROM \
         (VOL-DOWN or the test point) can flash again"
    } else {
        "stopping leaves it half-done and the phone may not boot until it is flashed again"
    };
    vec![
        format!("{} is {pct}% {done}; {consequence}.", t.name),
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
pub fn identified(f: &Fingerprint) -> String {
    format!(
        "Identified: {} in {} mode; the phone stays connected until it is repaired.",
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
/// The Connect panel in the dead-boot demo.
pub const DEMO_DEAD: &str = "Demo: a dead phone (its preloader erased) is plugged in: no \
     preloader port, only the BootROM, as through the test point. Its identity backup from an \
     earlier visit is in the demo's data.";

/// The Identify panel's preloader: its project and EMI version, and on a dead boot where they
/// came from (the phone's own is not read then: the identified board's project with the EMI
/// version of the settings' source, see [`Fingerprint::preloader`]).
pub fn preloader(p: &PreloaderIdentity, dead: Option<&DramReport>) -> String {
    let known = format!(
        "{}, EMI v{}",
        p.project.as_deref().unwrap_or("project unknown"),
        p.emi_version.map_or("?".into(), |v| v.to_string())
    );
    let Some(d) = dead else {
        return known;
    };
    let from = match &d.source {
        EmiSource::Backup { id } => format!("this phone's backup {id}"),
        EmiSource::Rom { file } => format!("the ROM's preloader {file}"),
        EmiSource::File { file } => format!("the preloader file {file}"),
    };
    format!("{known} (from {from}; the phone's own is missing or foreign)")
}

/// The Identify panel's lines for a dead boot: what and why, then where the RAM settings came
/// from (the project too when they are not the phone's own); `preloader_named`: the preloader
/// line above already names that source. Kept short so the board ranking still fits at 80x24.
pub fn dead_boot(d: &DramReport, preloader_named: bool) -> Vec<String> {
    if preloader_named {
        return vec![
            "dead boot: the download agent needed DRAM settings; RAM set up from that preloader"
                .into(),
        ];
    }
    let project = match (&d.source, d.project.as_deref()) {
        (EmiSource::Backup { .. }, _) | (_, None) => String::new(),
        (_, Some(p)) => format!(", project {p}"),
    };
    vec![
        "dead boot: preloader missing or foreign (the download agent needed DRAM settings)".into(),
        format!("RAM set up from {}{project}", d.source),
    ]
}

/// The ROM panel's lines for a dead phone: the EMI source used, and when the preloader is
/// written from the chosen ROM (`project`: the board's preloader project, once known).
pub fn dead_boot_rom(d: &DramReport, project: Option<&str>) -> [String; 2] {
    [
        format!("Dead boot: RAM set up from {}.", d.source),
        match project {
            Some(p) => format!(
                "The preloader is written from this ROM when its project is the board's ({p}); \
                 the plan shows it and the preloader guard refuses another."
            ),
            None => "The board's preloader project is unknown: the preloader is written from \
                     this ROM only if the preloader guard can match it (the plan shows it)."
                .into(),
        },
    ]
}

/// What must be typed to confirm Format All + Download.
pub const FORMAT_WORD: &str = "FORMAT";
/// Title of the error popup when the repair fails.
pub const REPAIR_FAILED: &str = "The repair stopped";
/// What to do after a failed repair.
pub const NEXT_REPAIR: &str = "Then press Esc; 5 and Enter try the repair again (d diagnoses).";
/// Log line: the plan was refused.
pub const PLAN_REFUSED: &str = "Plan not confirmed: nothing was written to the phone.";
/// Log line: the plan was confirmed.
pub const PLAN_CONFIRMED: &str = "Plan confirmed: writing. q asks before stopping.";
/// Log line: the phone waits, connected, for the ROM and mode.
pub fn waiting_choice(port: &str) -> String {
    format!(
        "Connected on {port}: choose the board (2), the ROM (3) and the mode (5); the phone \
         stays connected."
    )
}
/// The visit refused the ROM or mode chosen.
pub const CHOICE_REFUSED: &str = "That ROM or mode cannot be used on this phone";
/// What to do after a refused choice.
pub const NEXT_CHOOSE_AGAIN: &str = "Nothing was written and the phone stays connected: press \
                                     Esc, then 3 for another ROM or 5 for another mode.";
/// No phone is connected for the repair.
pub const NOT_CONNECTED: &str = "No phone is connected";
/// Why the repair cannot start.
pub const NOT_CONNECTED_WHAT: &str = "The repair runs on the phone connected now, and no visit \
                                      is waiting for it (the last one ended).";
/// What to do to connect.
pub const NEXT_ARM_NOW: &str = "Press Esc, 1 and Enter to arm, then put the phone in download \
                                mode (the demo phone comes by itself).";
/// Device bar: backups this phone already has.
pub fn backups_found(n: usize) -> String {
    format!("{n} in store")
}
/// Log line: flashed and verified.
pub const FLASHED: &str = "Flashed and verified.";
/// A job already runs.
pub const BUSY: &str = "The phone is busy";
/// Why nothing started.
pub const BUSY_WHAT: &str = "A job is already running on the phone; only one runs at a time.";
/// What to do while busy.
pub const NEXT_WAIT: &str = "Press Esc and wait for it to end (the log shows its progress).";
/// No ROM chosen yet.
pub const NO_ROM_CHOSEN: &str = "No ROM chosen";
/// Why the repair cannot start.
pub const NO_ROM_WHAT: &str = "The repair needs a ROM from the library that fits this phone.";
/// What to do without a ROM.
pub const NEXT_CHOOSE_ROM: &str =
    "Press Esc, 3 for the library, Enter on a package to see it and Enter again to choose it.";

/// What the technician calls each repair step.
pub fn repair_step(step: RepairStep) -> &'static str {
    match step {
        RepairStep::Identify => "connect and identify",
        RepairStep::CheckRom => "check the ROM against the phone",
        RepairStep::Backup => "identity backup",
        RepairStep::Plan => "the plan",
        RepairStep::Flash => "flash and verify",
    }
}

/// Flash panel: the repair step running now, and what it does for the phone.
pub fn repair_now(step: RepairStep) -> String {
    let what = match step {
        RepairStep::Identify => "the phone answers and is identified",
        RepairStep::CheckRom => "the ROM is compared with the phone's board and planned",
        RepairStep::Backup => {
            "the identity set is read twice and compared, then stored and verified (4 Backup \
             shows each read); nothing is written before it is safe"
        }
        RepairStep::Plan => "the plan waits for your answer",
        RepairStep::Flash => "writing, each partition read back and compared",
    };
    format!("Now: {}: {what}.", repair_step(step))
}

/// Log line: a repair step begins.
pub fn repair_started(step: RepairStep) -> String {
    format!("Repair: {} ...", repair_step(step))
}

/// Log line: a repair step did nothing.
pub fn repair_skipped(step: RepairStep, why: &str) -> String {
    format!("Repair, {}: {why}", repair_step(step))
}

/// Log line: a ROM was chosen.
pub fn rom_chosen(path: &Path) -> String {
    format!(
        "ROM chosen: {}. Next: the mode (←/→), then Enter starts the repair.",
        path.display()
    )
}

/// Log line: the repair starts.
pub fn repair_starting(mode: FlashMode, rom: &Path) -> String {
    format!(
        "Repair with {} in {}: checking the ROM against the connected phone ...",
        rom.file_name()
            .map_or_else(|| rom.display().to_string(), |n| n.to_string_lossy().into()),
        mode.title()
    )
}

/// Log line: the plan is ready.
pub fn plan_ready(plan: &Plan) -> String {
    format!(
        "Plan ready: {} step(s), {} to write. Confirm it in the popup.",
        plan.steps().len(),
        size(plan.bytes_to_write())
    )
}

/// The confirmation of a plan: what will be written and erased, and whether the phone's
/// identity is protected.
pub fn plan_confirmation(plan: &Plan) -> (String, Vec<String>) {
    let names = |pick: &dyn Fn(PlanAction) -> bool| -> Vec<String> {
        plan.steps()
            .iter()
            .filter(|s| pick(s.action()))
            .map(|s| s.partition().to_string())
            .collect()
    };
    let written = names(&|a| a == PlanAction::Write);
    let erased = names(&|a| a == PlanAction::Erase);
    let mut lines = vec![
        format!(
            "{}: write {} ({})",
            plan.mode().title(),
            if written.is_empty() {
                "nothing".to_string()
            } else {
                written.join(" ")
            },
            size(plan.bytes_to_write())
        ),
        if erased.is_empty() {
            "Erased: nothing.".to_string()
        } else {
            format!("Erased: {}.", erased.join(" "))
        },
    ];
    lines.push(plan.identity_line());
    lines.extend(plan.warnings().iter().map(|w| format!("! {w}")));
    lines.push("The whole plan is in the Flash panel behind this popup.".into());
    ("Write this plan to the phone?".into(), lines)
}

/// Log line and level for how a repair ended.
pub fn repair_outcome(report: &RepairReport) -> (LogLevel, String) {
    match report.outcome {
        Outcome::Repaired => (
            LogLevel::Good,
            format!(
                "Repaired: {} partition(s) written and verified. See 6 Verify and 7 Report.",
                report.flashed.as_ref().map_or(0, |f| f.tally().verified)
            ),
        ),
        Outcome::Planned => (LogLevel::Info, "Planned only: nothing was written.".into()),
        Outcome::NotConfirmed => (
            LogLevel::Info,
            "Not confirmed: nothing was written; the phone was rebooted.".into(),
        ),
    }
}

/// Connect, after a visit: the next phone.
pub const NEXT_PHONE: &str = "Enter arms for the next phone (or this one again): put it in \
                              download mode when the panel says it waits.";
/// Connect, after identification: one connection for the whole visit.
pub const NEXT_CONNECTION: &str = "The phone stays connected from identify to reboot: choose the \
                                   board (2), the ROM (3) and the mode (5); the backup, the plan \
                                   and the flash run in this same connection.";

/// The device bar when no profile convinces.
pub const UNKNOWN_BOARD: &str = "unknown board";
/// The library could not be matched.
pub const MATCH_FAILED: &str = "Cannot rank the library for this phone";

/// Log line: the board ranking and the library's verdicts.
pub fn board_ranked(m: &crate::library::matching::LibraryMatch) -> String {
    let fits = m
        .matches
        .iter()
        .filter(|p| p.verdict == crate::library::matching::Verdict::Fits)
        .count();
    format!(
        "{} {fits} of {} ROM(s) fit.",
        m.board.summary,
        m.matches.len()
    )
}

/// Log line: a board was chosen.
pub fn board_chosen(id: &str) -> String {
    format!("Board chosen: {id}. The library is ranked for it in 3 ROM.")
}

/// Device bar: a verified backup was taken in this session.
pub const BACKUP_VERIFIED: &str = "verified";
/// The repair read the identity twice, stored it and checked it against its manifest.
pub const REPAIR_BACKUP_TAKEN: &str = "Identity backed up in this same connection: read twice, \
                                       compared, stored and verified before any write.";

/// `words` as a sentence: a capital first letter and one full stop.
pub fn sentence(words: &str) -> String {
    let mut chars = words.trim_end_matches('.').chars();
    chars.next().map_or_else(String::new, |first| {
        format!("{}{}.", first.to_uppercase(), chars.as_str())
    })
}
/// What to do after `e`, in the workstation's words: a remedy the library names as a value
/// (a mode to choose) becomes the keys that choose it; any other advice as the library gives
/// it.
pub fn next_step(e: &crate::Error) -> String {
    match e
        .downcast_ref::<crate::flash::PlanError>()
        .and_then(crate::flash::PlanError::remedy)
    {
        Some(r) => remedy(&r),
        None => e.help(),
    }
}

/// A remedy as the workstation's keys: 5 and ←/→ choose the mode, 3 the ROM.
pub fn remedy(r: &crate::flash::Remedy) -> String {
    let mut words = format!("choose {} (5, then ←/→): {}", r.mode.title(), r.because);
    if let Some(rom) = r.rom {
        words.push_str(&format!("; or pick {rom} (3)"));
    }
    words
}
/// Backup panel while a job runs.
pub const BACKUP_RUNNING: &str = "Working with the phone; the log shows each read.";

/// Log line: an interrupted job of this phone was found.
pub fn unfinished(r: &crate::flash::record::JobRecord) -> String {
    let done = r.steps.len() - r.next().map_or(0, |n| r.steps.len() - n);
    format!(
        "Interrupted flash job {} for this phone ({}, {} of {} steps done): 5 then u resumes it.",
        r.id,
        r.mode.title(),
        done,
        r.steps.len()
    )
}

/// Log line: the visit ends so that an interrupted job can resume.
pub fn resume_next(id: &str) -> String {
    format!(
        "Ending this visit without writing; job {id} resumes in the next connection (put the \
         phone in download mode again when the workstation arms)."
    )
}

/// Log line: resuming a job.
pub fn resuming(id: &str) -> String {
    format!("Resuming job {id}: waiting for the phone ...")
}

/// Log line: a resumed job completed.
pub fn resumed(f: &crate::flash::execute::Flashed) -> String {
    format!(
        "Job {} resumed from step {} and completed. See 6 Verify.",
        f.job,
        f.resumed_from + 1
    )
}
