//! The panel side of the LCM check: which display driver the phone needs, gathered as
//! [`PanelEvidence`] from the phone's own UBOOT read back ([`UbootScan`], [`uboot_evidence`]),
//! a boot log ([`LogScan`], [`panels_in_log`], [`log_evidence`]), a board profile, or names
//! typed by hand, with the name rules ([`normalise_name`]) every source shares.
//!
//! It gathers and cleans names only: comparing them with a ROM is [`super::check`]'s, and
//! reading the phone is the caller's (it streams UBOOT into a [`UbootScan`]). The only I/O is
//! reading one file in [`uboot_evidence`] and [`log_evidence`].

use std::{
    fs::File,
    io::{self, BufRead, BufReader, Write},
    path::Path,
};

use serde::Serialize;

use super::{Drivers, LcmCheckError, Outcome, judge};

use crate::{
    error::HostError,
    firmware::{
        lcm::{self as names, is_panel_name},
        mtk_header,
    },
    profile::BoardProfile,
};

/// Where the panel name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceSource {
    /// The phone's own UBOOT (lk) partition, read back from the phone.
    UbootReadback,
    /// A boot log (`lcm=` on the kernel command line, LK/kernel detection lines).
    Log,
    /// The board profile.
    Profile,
    /// Typed by the technician.
    ByHand,
}

impl EvidenceSource {
    /// The source in a technician's words.
    pub fn words(self) -> &'static str {
        match self {
            EvidenceSource::UbootReadback => "the phone's own UBOOT, read back",
            EvidenceSource::Log => "boot log",
            EvidenceSource::Profile => "board profile",
            EvidenceSource::ByHand => "given by hand",
        }
    }
}

/// What is known about the panel driver the phone needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PanelEvidence {
    /// Where it came from.
    pub source: EvidenceSource,
    /// Which file, line or profile, in words (`boot.log line 12`, `profile a516_row`).
    pub origin: String,
    /// Candidate driver names: one when the panel is known, several when the phone's lk (or
    /// its board) carries several and auto-detects, none when the evidence names no panel.
    pub names: Vec<String>,
    /// True when the evidence shows the phone's own lk carries (or found) the panel driver, so
    /// keeping the phone's own UBOOT is known to help.
    pub phone_firmware_has_panel: bool,
    /// The phone's own kernel (its BOOTIMG read back), when it was read: whether keeping
    /// BOOTIMG keeps a kernel that drives the panel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_kernel: Option<PhoneKernel>,
    /// Caveats, and why `names` is empty when it is.
    pub notes: Vec<String>,
}

/// The panel drivers of the phone's own kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneKernel {
    /// Where the kernel was read (`phone's own BOOTIMG read over /dev/ttyACM0`).
    pub origin: String,
    /// Its drivers, or why they are not known.
    pub drivers: Drivers,
    /// True when it drives every panel the evidence names, by the same rules [`check`](super::check) uses
    /// for a ROM's kernel (the name the phone's lk passes, compared exactly).
    pub has_panel: bool,
}

// ---- names -----------------------------------------------------------------------------------

/// The longest driver name accepted.
const MAX_NAME: usize = 64;

/// Splits `lcm=1-name` / `1-name` / `name` into (LK found the panel?, name), after trimming
/// quotes and brackets. `None` when what is left is not `[A-Za-z0-9_]{1,64}`.
fn split_value(raw: &str) -> Option<(Option<bool>, &str)> {
    let v = raw
        .trim()
        .trim_matches(|c: char| matches!(c, '"' | '\'' | '[' | ']' | '(' | ')' | ',' | ';'))
        .trim();
    let v = v.strip_prefix("lcm=").unwrap_or(v);
    let (found, name) = match v.as_bytes() {
        [d @ (b'0' | b'1'), b'-', ..] => (Some(*d == b'1'), &v[2..]),
        _ => (None, v),
    };
    let ok = (1..=MAX_NAME).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then_some((found, name))
}

/// A panel driver name as the evidence gives it, cleaned up for comparison: surrounding quotes
/// and brackets, `lcm=` and the `0-`/`1-` found flag LK puts in front are removed; the case is
/// kept (lk is compared ignoring it, the kernel exactly). `None` when what is left is not 1–64
/// characters of `[A-Za-z0-9_]`.
pub fn normalise_name(raw: &str) -> Option<String> {
    split_value(raw).map(|(_, name)| name.to_owned())
}

/// Adds `name` to `names` unless it is there already in any case.
fn push_name(names: &mut Vec<String>, name: &str) {
    if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        names.push(name.to_owned());
    }
}

/// Notes for names the scanner could not find in a binary.
fn shape_notes(names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|n| !is_panel_name(n))
        .map(|n| {
            format!(
                "{n} does not look like the driver names found inside lk and kernel images, \
                 so a ROM that lacks it cannot be told from one that hides it"
            )
        })
        .collect()
}

// ---- evidence --------------------------------------------------------------------------------

impl PanelEvidence {
    /// Names typed by the technician (`st7701_wvga_dsi_vdo`, `1-st7701_wvga_dsi_vdo`,
    /// `lcm=1-…`); several mean "one of these".
    pub fn by_hand<S: AsRef<str>>(given: &[S]) -> Result<PanelEvidence, LcmCheckError> {
        let mut names = Vec::new();
        for g in given {
            let name = normalise_name(g.as_ref()).ok_or_else(|| LcmCheckError::NotAName {
                given: g.as_ref().to_owned(),
            })?;
            push_name(&mut names, &name);
        }
        Ok(PanelEvidence {
            source: EvidenceSource::ByHand,
            origin: "given by hand".into(),
            notes: shape_notes(&names),
            names,
            phone_firmware_has_panel: false,
            phone_kernel: None,
        })
    }

    /// The drivers a board profile says its firmware needs (one of them drives a given unit).
    pub fn from_profile(profile: &BoardProfile) -> PanelEvidence {
        let mut names = Vec::new();
        for d in &profile.lcm.drivers {
            if let Some(n) = normalise_name(d) {
                push_name(&mut names, &n);
            }
        }
        let mut notes = Vec::new();
        if names.is_empty() {
            notes.push(format!(
                "profile {} does not record the panel driver of this board",
                profile.id
            ));
        }
        if let (Some(seen), true) = (&profile.lcm.seen_running, names.len() > 1) {
            notes.push(format!(
                "the board's firmware carries {} panel drivers (second-source panels); one \
                 unit was seen running {seen}",
                names.len()
            ));
        }
        notes.extend(shape_notes(&names));
        PanelEvidence {
            source: EvidenceSource::Profile,
            origin: format!("profile {}", profile.id),
            names,
            phone_firmware_has_panel: false,
            phone_kernel: None,
            notes,
        }
    }

    /// The drivers found in the phone's own UBOOT read back (`names` from
    /// [`crate::firmware::lcm::names_in`]); `looks_like_lk` says whether the file starts with
    /// an LK header. The phone's panel is one of them: LK auto-detects among several.
    pub fn from_uboot(origin: &str, names: &[String], looks_like_lk: bool) -> PanelEvidence {
        let mut list = Vec::new();
        for n in names {
            push_name(&mut list, n);
        }
        let mut notes = Vec::new();
        if !looks_like_lk {
            notes.push(format!(
                "{origin} does not start with an LK header: make sure it is the UBOOT partition"
            ));
        }
        if list.is_empty() {
            notes.push(format!("no panel driver name was found in {origin}"));
        } else if list.len() > 1 {
            notes.push(format!(
                "the phone's lk carries {} drivers and picks the panel at boot",
                list.len()
            ));
        }
        PanelEvidence {
            source: EvidenceSource::UbootReadback,
            origin: origin.to_owned(),
            phone_firmware_has_panel: !list.is_empty(),
            phone_kernel: None,
            names: list,
            notes,
        }
    }

    /// The panel seen in a boot log ([`LogScan`]): names the phone's firmware confirmed first;
    /// failing those, names it was handed without saying; never an `lcm=0-` name, which is
    /// only what LK fell back to after finding no panel.
    pub fn from_log(origin: &str, seen: &[LogPanel]) -> PanelEvidence {
        let pick = |want: Option<bool>| -> (Vec<String>, Vec<usize>) {
            let mut names = Vec::new();
            let mut lines = Vec::new();
            for p in seen.iter().filter(|p| p.detected == want) {
                push_name(&mut names, &p.name);
                lines.push(p.line);
            }
            (names, lines)
        };
        let (confirmed, lines) = pick(Some(true));
        let (names, lines, proven) = if confirmed.is_empty() {
            let (unsure, lines) = pick(None);
            (unsure, lines, false)
        } else {
            (confirmed, lines, true)
        };
        let mut notes = Vec::new();
        if !names.is_empty() && !proven {
            notes.push(
                "the log names the driver but does not say whether the phone's lk found its \
                 panel with it"
                    .into(),
            );
        }
        if names.is_empty() {
            match seen.iter().find(|p| p.detected == Some(false)) {
                Some(p) => notes.push(format!(
                    "line {}: lcm=0-{}: the phone's lk found no matching panel, so {} is only \
                     the driver it fell back to",
                    p.line, p.name, p.name
                )),
                None => notes.push(format!(
                    "no lcm= value or LCM detection line was found in {origin}"
                )),
            }
        }
        notes.extend(shape_notes(&names));
        let origin = match lines.as_slice() {
            [] => origin.to_owned(),
            [one] => format!("{origin} line {one}"),
            [first, ..] => format!("{origin} lines {first}..{}", lines[lines.len() - 1]),
        };
        PanelEvidence {
            source: EvidenceSource::Log,
            origin,
            names,
            phone_firmware_has_panel: proven,
            phone_kernel: None,
            notes,
        }
    }

    /// Adds the panel drivers of the phone's own kernel (its BOOTIMG read back, see
    /// [`boot_image_drivers`](super::boot_image_drivers)), read from `origin`. With the drivers of the phone's own lk in
    /// `names`, it decides whether keeping the phone's UBOOT and BOOTIMG is proven to light
    /// the panel: the kernel must take every name lk may pass, by the rules of [`check`](super::check).
    pub fn with_phone_kernel(mut self, origin: &str, drivers: Drivers) -> PanelEvidence {
        let kernel = drivers.names();
        let has_panel = self.phone_firmware_has_panel
            && kernel.is_some()
            && self
                .names
                .iter()
                .all(|n| judge(n, Some(&self.names), kernel).outcome == Outcome::Works);
        self.notes.push(match (&drivers, has_panel) {
            (Drivers::Listed(k), true) => format!(
                "{origin}: its kernel carries the panel driver ({})",
                k.join(", ")
            ),
            (Drivers::Listed(k), false) if !k.is_empty() => format!(
                "{origin}: its kernel does not take every driver the phone's lk may pass (it \
                 has {})",
                k.join(", ")
            ),
            _ => format!(
                "{origin}: its kernel could not be checked: {}",
                drivers.why_unknown()
            ),
        });
        self.phone_kernel = Some(PhoneKernel {
            origin: origin.to_owned(),
            drivers,
            has_panel,
        });
        self
    }
}

// ---- boot logs -------------------------------------------------------------------------------

/// The kind of log line a panel name was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogClue {
    /// `lcm=<found>-<name>` on a kernel command line (`/proc/cmdline`, "Kernel command
    /// line:").
    Cmdline,
    /// MTK Droid Tools' `LCD Driver IC : <found>-<name>`.
    DriverIc,
    /// The kernel's `[LCM Auto Detect], try to find driver for [<name>]`.
    KernelLookup,
    /// `[LCM Auto Detect] [<i>] - [<name>]` followed by `[success]` (LK or kernel).
    AutoDetect,
    /// `[LCM Specified]\t[<name>]` (a single-driver build), with `compare id success/fail`
    /// when the log has it.
    Specified,
}

/// A panel driver name found in a boot log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogPanel {
    /// The driver name, [`normalise_name`]d.
    pub name: String,
    /// 1-based line number.
    pub line: usize,
    /// Whether the firmware matched the panel with it: `Some(true)` for `lcm=1-`, `[success]`,
    /// `compare id success`; `Some(false)` for `lcm=0-`, `compare id fail`; `None` when the
    /// line does not say.
    pub detected: Option<bool>,
    /// The kind of line.
    pub clue: LogClue,
}

/// Picks panel driver names out of a boot log fed line by line (UART log, `dmesg`, `last_kmsg`,
/// `/proc/cmdline`, MTK Droid Tools' phone.info). Pure; the log analyzer can feed it too.
#[derive(Debug, Default)]
pub struct LogScan {
    line: usize,
    /// An `[LCM Auto Detect] [i] - [name]` line still waiting for its `[success]`/`[fail]`.
    pending: Option<(String, usize)>,
    found: Vec<LogPanel>,
}

/// The text between the first `[` after `from` and the next `]`.
fn bracketed(from: &str) -> Option<&str> {
    let start = from.find('[')? + 1;
    let len = from[start..].find(']')?;
    Some(&from[start..start + len])
}

/// Finds `needle` ignoring ASCII case; returns the text after it.
fn after_ci<'a>(line: &'a str, needle: &str) -> Option<&'a str> {
    let lower = line.to_ascii_lowercase();
    let i = lower.find(&needle.to_ascii_lowercase())?;
    Some(&line[i + needle.len()..])
}

impl LogScan {
    /// Feeds the next line (without its line break).
    pub fn feed(&mut self, line: &str) {
        self.line += 1;
        let n = self.line;
        // A detection line's verdict may come on the next line (two printk calls).
        if let Some((name, at)) = self.pending.take()
            && line.contains("[success]")
            && !line.contains("[LCM Auto Detect]")
        {
            self.push(&name, at, Some(true), LogClue::AutoDetect);
        }
        let mut rest = line;
        while let Some(i) = rest.find("lcm=") {
            let starts_word = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric();
            let value = &rest[i + 4..];
            let end = value
                .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
                .unwrap_or(value.len());
            if starts_word && let Some((found, name)) = split_value(&value[..end]) {
                self.push(name, n, found, LogClue::Cmdline);
            }
            rest = &value[end..];
        }
        if let Some(after) = after_ci(line, "LCD Driver IC")
            && let Some((_, value)) = after.split_once(':')
            && let Some((found, name)) = split_value(value)
        {
            self.push(name, n, found, LogClue::DriverIc);
        }
        if let Some(after) = line.split_once("try to find driver for").map(|(_, a)| a)
            && let Some((_, name)) = bracketed(after).and_then(split_value)
        {
            self.push(name, n, None, LogClue::KernelLookup);
        }
        if let Some(after) = line.split_once("[LCM Auto Detect] [").map(|(_, a)| a)
            && let Some((_, tail)) = after.split_once(" - ")
            && let Some(name) = bracketed(tail).and_then(split_value).map(|(_, n)| n)
        {
            if tail.contains("[success]") {
                self.push(name, n, Some(true), LogClue::AutoDetect);
            } else if !tail.contains("[fail]") {
                self.pending = Some((name.to_owned(), n));
            }
        }
        if let Some(after) = line.split_once("[LCM Specified]").map(|(_, a)| a) {
            if let Some(name) = bracketed(after).and_then(split_value).map(|(_, n)| n) {
                self.push(name, n, None, LogClue::Specified);
            } else if after.contains("compare id") {
                let ok = after.contains("success");
                if let Some(last) = self
                    .found
                    .iter_mut()
                    .rev()
                    .find(|p| p.clue == LogClue::Specified)
                {
                    last.detected = Some(ok);
                }
            }
        }
    }

    fn push(&mut self, name: &str, line: usize, detected: Option<bool>, clue: LogClue) {
        self.found.push(LogPanel {
            name: name.to_owned(),
            line,
            detected,
            clue,
        });
    }

    /// The names found, in log order.
    pub fn finish(self) -> Vec<LogPanel> {
        self.found
    }
}

/// [`LogScan`] over a whole text.
pub fn panels_in_log(text: &str) -> Vec<LogPanel> {
    let mut scan = LogScan::default();
    for line in text.lines() {
        scan.feed(line);
    }
    scan.finish()
}

// ---- file edges ------------------------------------------------------------------------------

/// Lines longer than this are cut (a log is text; a binary given by mistake has no line
/// breaks and must not fill memory).
const MAX_LOG_LINE: usize = 4096;

/// Reads a boot log (any encoding, any size, streamed) and takes the panel from it.
pub fn log_evidence(path: &Path) -> crate::Result<PanelEvidence> {
    let io = |e| HostError::io("read log", path, e);
    let mut reader = BufReader::new(File::open(path).map_err(io)?);
    let mut scan = LogScan::default();
    let mut line = Vec::with_capacity(256);
    loop {
        let buf = reader.fill_buf().map_err(io)?;
        if buf.is_empty() {
            break;
        }
        let used = buf.len();
        for &b in buf {
            if b == b'\n' {
                scan.feed(String::from_utf8_lossy(&line).trim_end_matches('\r'));
                line.clear();
            } else if line.len() < MAX_LOG_LINE {
                line.push(b);
            }
        }
        reader.consume(used);
    }
    if !line.is_empty() {
        scan.feed(String::from_utf8_lossy(&line).trim_end_matches('\r'));
    }
    Ok(PanelEvidence::from_log(&file_label(path), &scan.finish()))
}

/// The phone's own UBOOT (lk) as it streams in, from a file or straight from the phone, in
/// bounded memory: its first bytes (for the LK header) and the panel driver names in it.
#[derive(Debug, Default)]
pub struct UbootScan {
    head: Vec<u8>,
    names: names::NameScanner,
}

impl Write for UbootScan {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = mtk_header::HEADER_LEN.saturating_sub(self.head.len());
        self.head.extend_from_slice(&buf[..room.min(buf.len())]);
        self.names.feed(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl UbootScan {
    /// The evidence of what streamed in, read from `origin` ("uboot.bin", "phone's own UBOOT
    /// read over /dev/ttyACM0").
    pub fn evidence(self, origin: &str) -> PanelEvidence {
        let looks_like_lk = mtk_header::parse(&self.head).is_ok_and(|h| h.name == "LK");
        PanelEvidence::from_uboot(origin, &self.names.into_names(), looks_like_lk)
    }
}

/// Reads the phone's own UBOOT (lk) read back earlier, streamed, and takes its drivers.
pub fn uboot_evidence(path: &Path) -> crate::Result<PanelEvidence> {
    let io = |e| HostError::io("read UBOOT readback", path, e);
    let mut file = File::open(path).map_err(io)?;
    let mut scan = UbootScan::default();
    io::copy(&mut file, &mut scan).map_err(io)?;
    Ok(scan.evidence(&file_label(path)))
}

fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Advice,
        diag::lcm::tests::{HX, OTM, ST, hand},
        firmware::synth,
    };

    #[test]
    fn names_are_normalised_like_lk_writes_them() {
        for raw in [
            "st7701_wvga_dsi_vdo",
            "1-st7701_wvga_dsi_vdo",
            "0-st7701_wvga_dsi_vdo",
            " lcm=1-st7701_wvga_dsi_vdo ",
            "[st7701_wvga_dsi_vdo]",
            "\"st7701_wvga_dsi_vdo\"",
        ] {
            assert_eq!(normalise_name(raw).as_deref(), Some(ST), "{raw}");
        }
        assert_eq!(
            normalise_name("ST7701_wvga_dsi_vdo").as_deref(),
            Some("ST7701_wvga_dsi_vdo"),
            "case is kept for the kernel's exact compare"
        );
        // A "2-" is not LK's flag; "-" is not a name character.
        for bad in [
            "",
            "1-",
            "2-st7701",
            "st 7701",
            "st7701-wvga",
            &"a".repeat(65),
        ] {
            assert_eq!(normalise_name(bad), None, "{bad}");
        }
        let e = PanelEvidence::by_hand(&["ok_name_dsi", "no good"]).unwrap_err();
        assert!(e.to_string().contains("no good"));
        assert!(e.is_bad_input());
        // Same name twice in another case counts once.
        assert_eq!(hand(&[ST, "1-ST7701_WVGA_DSI_VDO"]).names, [ST]);
    }

    #[test]
    fn log_lines_give_the_panel_and_whether_lk_found_it() {
        let log = "\
[    0.000000] Kernel command line: console=ttyMT0 lcm=1-st7701_wvga_dsi_vdo fps=6000 vram=4194304
xlcm=1-not_this_one_dsi
[    1.2] [LCM Auto Detect], try to find driver for [st7701_wvga_dsi_vdo]
[    1.3] [LCM Auto Detect] [0] - [otm8019a_wvga_dsi_vdo]\t\t[fail]
[    1.3] [LCM Auto Detect] [1] - [st7701_wvga_dsi_vdo]\t
\t\t[success]
LCD Driver IC : 1-st7701_wvga_dsi_vdo
[LCM Specified]\t[hx8369b_fwvga_dsi_vdo]
[LCM Specified] compare id fail
";
        let found = panels_in_log(log);
        let got: Vec<(&str, usize, Option<bool>, LogClue)> = found
            .iter()
            .map(|p| (p.name.as_str(), p.line, p.detected, p.clue))
            .collect();
        assert_eq!(
            got,
            [
                (ST, 1, Some(true), LogClue::Cmdline),
                (ST, 3, None, LogClue::KernelLookup),
                (ST, 5, Some(true), LogClue::AutoDetect),
                (ST, 7, Some(true), LogClue::DriverIc),
                (HX, 8, Some(false), LogClue::Specified),
            ]
        );
        let ev = PanelEvidence::from_log("boot.log", &found);
        assert_eq!(ev.names, [ST]);
        assert!(ev.phone_firmware_has_panel);
        assert_eq!(ev.origin, "boot.log lines 1..7");
    }

    #[test]
    fn profile_evidence_lists_the_board_drivers() {
        let registry = crate::profile::Registry::builtin();
        let a516 = &registry.get("a516_row").unwrap().profile;
        let ev = PanelEvidence::from_profile(a516);
        assert_eq!(ev.source, EvidenceSource::Profile);
        assert_eq!(ev.names, [HX, OTM]);
        let up40 = &registry.get("up40_h405f_meo").unwrap().profile;
        let ev = PanelEvidence::from_profile(up40);
        assert!(ev.notes[0].contains("seen running st7701_wvga_dsi_vdo"));
        let unknown = &registry.get("s4050ap").unwrap().profile;
        let ev = PanelEvidence::from_profile(unknown);
        assert!(ev.names.is_empty());
        assert!(ev.notes[0].contains("does not record"));
    }

    #[test]
    fn uboot_scan_streams_in_any_chunks() {
        let lk = synth::mtk_image(
            "LK",
            b"\x10\xb5st7701_wvga_dsi_vdo\0hx8369b_fwvga_dsi_vdo\0",
        );
        for chunk in [1, 7, 512, 4096] {
            let mut scan = UbootScan::default();
            for piece in lk.chunks(chunk) {
                scan.write_all(piece).unwrap();
            }
            let ev = scan.evidence("uboot.bin");
            assert_eq!(ev.names, [ST, HX], "chunk {chunk}");
            assert!(
                ev.notes.iter().all(|n| !n.contains("LK header")),
                "{:?}",
                ev.notes
            );
        }
        let ev = UbootScan::default().evidence("blank");
        assert!(ev.names.is_empty() && ev.notes[0].contains("LK header"));
    }
}
