//! Live UART capture: the phone's debug console (preloader, LK and kernel at 921600 8N1, read
//! through a USB-serial adapter) saved byte for byte and analysed while it streams.
//!
//! - [`capture`] reads any [`Transport`] in short slices, writes every byte to a sink (the raw
//!   capture), feeds the [`Analyzer`] and reports what changed as [`LiveUpdate`] values: a new
//!   boot, a stage reached, a boot's ending, a new finding. It stops on a flag (Ctrl-C), at a
//!   deadline, or when the port goes away; what arrived before is kept.
//! - [`CaptureFile`] is the raw capture on disk: an [`AtomicFile`] (a hidden `.FILE.*.partial`
//!   beside `FILE` while the capture runs, renamed to `FILE` at the end, never replacing a
//!   file) that is forced to disk every second. A `.partial` file left behind is the capture
//!   of a process that was killed; it is a complete log up to that moment.
//! - [`capture_hint`] says what a capture without a boot log means (wiring, line speed).
//!
//! Nothing here draws or prints: the command line (or the TUI) renders the updates. The port is
//! only seen through the [`Transport`] trait (no `serialport` here), so every path of
//! [`capture`] is tested over the scripted transport.

use std::{
    io::{self, Write},
    path::{Path, PathBuf},
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant, SystemTime},
};

use super::{
    doctor::Problem,
    log::{Analysis, Analyzer},
    rules::{EndReason, Severity, Stage},
};
use crate::{
    error::Advice,
    fsutil::AtomicFile,
    transport::{Transport, TransportError, transcript::utc_timestamp},
};

/// The speed of the MT6572 debug UART (preloader, LK and kernel): 921600 8N1.
pub const UART_BAUD: u32 = 921_600;

/// Longest single wait for input, so that the stop flag and the deadline are seen promptly.
const READ_SLICE: Duration = Duration::from_millis(100);

/// Read buffer size (about 45 ms of a full-speed 921600 baud stream).
const CHUNK_BYTES: usize = 4096;

/// After a stop, bytes that had already arrived are still taken, up to this many (a phone
/// that keeps talking must not hold the stop up).
const DRAIN_LIMIT: usize = 256 * 1024;

/// How often [`CaptureFile`] forces its bytes to disk.
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// Something the live view may show; emitted by [`capture`] in log order. Boot numbers are
/// indexes into [`Analysis::boots`] (0 is the first boot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveUpdate {
    /// The first bytes arrived: the adapter is wired and the phone is talking.
    Receiving,
    /// A boot attempt started (the phone was powered on or restarted).
    BootStarted {
        /// Which boot.
        boot: usize,
        /// Its first line in the capture.
        line: u64,
        /// How far it had got when this was reported.
        stage: Stage,
    },
    /// A boot attempt got further.
    StageReached {
        /// Which boot.
        boot: usize,
        /// The stage it reached.
        stage: Stage,
    },
    /// A log line shows why a boot attempt ended (reported again if a stronger reason shows
    /// up later, as a panic after its watchdog line).
    BootEnded {
        /// Which boot.
        boot: usize,
        /// Why it ended.
        reason: EndReason,
        /// The line that shows it.
        line: u64,
    },
    /// A rule fired for the first time in this capture.
    Finding {
        /// The rule's id.
        id: String,
        /// How serious it is.
        severity: Severity,
        /// One line, filled from the evidence.
        title: String,
        /// The first line that shows it.
        line: Option<u64>,
    },
}

/// One line of a running capture's view, for a technician (boots numbered from one, lines
/// cited as `L<n>`).
pub fn live_line(update: &LiveUpdate) -> String {
    match update {
        LiveUpdate::Receiving => "receiving: the phone is talking".into(),
        LiveUpdate::BootStarted { boot, line, stage } if *stage == Stage::Preloader => {
            format!("boot {}: started at L{line} (preloader)", boot + 1)
        }
        LiveUpdate::BootStarted { boot, line, stage } => {
            format!(
                "boot {}: started at L{line}, reached {}",
                boot + 1,
                stage.label()
            )
        }
        LiveUpdate::StageReached { boot, stage } => {
            format!("boot {}: reached {}", boot + 1, stage.label())
        }
        LiveUpdate::BootEnded { boot, reason, line } => {
            format!("boot {}: ended by {} (L{line})", boot + 1, reason.label())
        }
        LiveUpdate::Finding { title, line, .. } => match line {
            Some(line) => format!("finding: {title} (L{line})"),
            None => format!("finding: {title}"),
        },
    }
}

/// Why [`capture`] stopped.
#[derive(Debug)]
pub enum CaptureEnd {
    /// The stop flag was raised (Ctrl-C).
    Stopped,
    /// The deadline passed.
    TimeUp,
    /// The port went away (adapter unplugged) or failed; everything before is kept.
    PortLost(TransportError),
}

/// What [`capture`] did.
#[derive(Debug)]
pub struct CaptureSummary {
    /// Bytes received and written to the sink.
    pub bytes: u64,
    /// Why it stopped.
    pub end: CaptureEnd,
}

/// Captures a live console until `stop` is raised, `deadline` passes or the port goes away.
///
/// Every byte read is written to `sink` and flushed at once (so a crash loses nothing the
/// sink had accepted), then fed to `analyzer` (whose input the caller has begun, normally as
/// [`LogKind::Uart`](super::log::LogKind::Uart)). Whenever the analysis moved,
/// `on_update` gets what is new. After a stop or the deadline, bytes already waiting in the
/// port are still taken (up to 256 KiB). The caller ends the analysis with
/// [`Analyzer::finish`].
///
/// Fails only when the sink fails (the disk is full or gone); a port that fails ends the
/// capture with [`CaptureEnd::PortLost`].
pub fn capture(
    transport: &mut dyn Transport,
    sink: &mut dyn Write,
    analyzer: &mut Analyzer<'_>,
    stop: &AtomicBool,
    deadline: Option<Instant>,
    on_update: &mut dyn FnMut(&LiveUpdate),
) -> io::Result<CaptureSummary> {
    let mut live = Live {
        sink,
        analyzer,
        on_update,
        tracker: Tracker::default(),
        bytes: 0,
        revision: None,
    };
    let mut buf = vec![0u8; CHUNK_BYTES];
    let end = loop {
        if stop.load(Ordering::SeqCst) {
            break CaptureEnd::Stopped;
        }
        let wait = match deadline {
            None => READ_SLICE,
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => left.min(READ_SLICE),
                _ => break CaptureEnd::TimeUp,
            },
        };
        match transport.read_some(&mut buf, wait) {
            Ok(0) | Err(TransportError::Timeout { .. }) => {}
            Ok(n) => live.take(&buf[..n])?,
            Err(e) => break CaptureEnd::PortLost(e),
        }
    };
    if !matches!(end, CaptureEnd::PortLost(_)) {
        let mut drained = 0;
        while drained < DRAIN_LIMIT {
            match transport.read_some(&mut buf, Duration::ZERO) {
                Ok(n) if n > 0 => {
                    live.take(&buf[..n])?;
                    drained += n;
                }
                _ => break,
            }
        }
    }
    Ok(CaptureSummary {
        bytes: live.bytes,
        end,
    })
}

/// The state of one [`capture`] run.
struct Live<'a, 'r> {
    sink: &'a mut dyn Write,
    analyzer: &'a mut Analyzer<'r>,
    on_update: &'a mut dyn FnMut(&LiveUpdate),
    tracker: Tracker,
    bytes: u64,
    /// The analyzer's revision at the last snapshot.
    revision: Option<u64>,
}

impl Live<'_, '_> {
    fn take(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.sink.write_all(chunk)?;
        self.sink.flush()?;
        if self.bytes == 0 {
            (self.on_update)(&LiveUpdate::Receiving);
        }
        self.bytes += chunk.len() as u64;
        self.analyzer.push_bytes(chunk);
        let revision = self.analyzer.revision();
        if self.revision != Some(revision) {
            self.revision = Some(revision);
            self.tracker
                .update(&self.analyzer.snapshot(), &mut *self.on_update);
        }
        Ok(())
    }
}

/// What the live view has been told so far.
#[derive(Debug, Default)]
struct Tracker {
    /// Per boot: the stage reported and the ending reported.
    boots: Vec<(Stage, Option<EndReason>)>,
    /// Ids of the findings reported.
    findings: Vec<String>,
}

impl Tracker {
    /// Emits what `analysis` has that was not reported yet, in log order as far as it can
    /// tell: a boot's news, then the new findings first seen before the next boot started.
    fn update(&mut self, analysis: &Analysis, emit: &mut dyn FnMut(&LiveUpdate)) {
        let mut findings: Vec<LiveUpdate> = Vec::new();
        for f in &analysis.findings {
            if self.findings.contains(&f.id) {
                continue;
            }
            self.findings.push(f.id.clone());
            findings.push(LiveUpdate::Finding {
                id: f.id.clone(),
                severity: f.severity,
                title: f.title.clone(),
                line: f.evidence.first().map(|e| e.line),
            });
        }
        let first_line = |u: &LiveUpdate| match u {
            LiveUpdate::Finding { line, .. } => line.unwrap_or(u64::MAX),
            _ => u64::MAX,
        };
        findings.sort_by_key(first_line);
        let mut findings = findings.into_iter().peekable();
        for (i, boot) in analysis.boots.iter().enumerate() {
            if i == self.boots.len() {
                self.boots.push((boot.reached, None));
                emit(&LiveUpdate::BootStarted {
                    boot: i,
                    line: boot.start_line,
                    stage: boot.reached,
                });
            }
            let (stage, ended) = &mut self.boots[i];
            if boot.reached > *stage {
                *stage = boot.reached;
                emit(&LiveUpdate::StageReached {
                    boot: i,
                    stage: boot.reached,
                });
            }
            if let Some(evidence) = &boot.end_evidence
                && *ended != Some(boot.ended_by)
            {
                *ended = Some(boot.ended_by);
                emit(&LiveUpdate::BootEnded {
                    boot: i,
                    reason: boot.ended_by,
                    line: evidence.line,
                });
            }
            let next_boot = analysis.boots.get(i + 1).map_or(u64::MAX, |b| b.start_line);
            while let Some(f) = findings.next_if(|f| first_line(f) < next_boot) {
                emit(&f);
            }
        }
        findings.for_each(|f| emit(&f));
    }
}

/// What a finished capture without a boot log most likely means, in words for the bench;
/// `None` when at least one boot attempt was recognised.
pub fn capture_hint(bytes: u64, analysis: &Analysis) -> Option<String> {
    if bytes == 0 {
        return Some(
            "nothing arrived from the phone: connect the adapter's RX to the phone's TX (and TX \
             to RX), connect GND, then power the phone on while the capture runs"
                .into(),
        );
    }
    if analysis.boots.is_empty() {
        return Some(format!(
            "{bytes} bytes arrived but no preloader, LK or kernel line was recognised: check the \
             speed (an MT6572 console runs at {UART_BAUD}; use --baud if this phone differs) \
             and the GND wire (a loose ground garbles every byte)"
        ));
    }
    None
}

/// The raw capture on disk: an [`AtomicFile`] whose [`Write::flush`] forces the bytes to disk
/// at most once a second, so a power cut loses at most the last second of log. A capture
/// never replaces an existing file.
#[derive(Debug)]
pub struct CaptureFile {
    file: AtomicFile,
    last_sync: Instant,
}

impl CaptureFile {
    /// Starts the capture file for `path` (and its folder). Refuses when `path` exists.
    pub fn create(path: &Path) -> crate::Result<CaptureFile> {
        if path.symlink_metadata().is_ok() {
            return Err(UartError::Exists {
                path: path.to_path_buf(),
            }
            .into());
        }
        Ok(CaptureFile {
            file: AtomicFile::create(path)?,
            last_sync: Instant::now(),
        })
    }

    /// The name the capture gets at the end.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The name it has while it is written.
    pub fn temp_path(&self) -> &Path {
        self.file.temp_path()
    }

    /// Forces the capture to disk and gives it its final name, which is returned.
    pub fn finish(self) -> crate::Result<PathBuf> {
        Ok(self.file.commit()?.path)
    }
}

impl Write for CaptureFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()?;
        if self.last_sync.elapsed() >= SYNC_EVERY {
            self.file.sync_data()?;
            self.last_sync = Instant::now();
        }
        Ok(())
    }
}

/// A free capture name in `dir`: `uart-<UTC time>.log` (`uart-2024-02-29T23-59-59Z.log`),
/// with `-2`, `-3`, ... added when that name is taken.
pub fn default_capture_path(dir: &Path, now: SystemTime) -> PathBuf {
    let stamp = utc_timestamp(now).replace(':', "-");
    crate::fsutil::free_name(dir, &format!("uart-{stamp}"), "log", Path::exists)
}

/// Errors of the UART capture.
#[derive(Debug, thiserror::Error)]
pub enum UartError {
    /// The adapter's port could not be opened.
    #[error("cannot open the UART adapter: {source}")]
    Open {
        /// What the port said.
        source: TransportError,
        /// Host problems that explain it (brltty, the serial-port group), from the doctor.
        hints: Vec<Problem>,
    },
    /// The capture file already exists.
    #[error("{path} already exists")]
    Exists {
        /// The file.
        path: PathBuf,
    },
}

impl Advice for UartError {
    fn help(&self) -> String {
        match self {
            UartError::Open { source, hints } => {
                let kind = match source {
                    TransportError::Open { kind, .. } => Some(*kind),
                    _ => None,
                };
                let mut help = match kind {
                    Some(io::ErrorKind::NotFound) => {
                        "the adapter is not plugged in, or it has another name: a CH340, CP210x \
                         or FTDI adapter shows up as /dev/ttyUSB0, 1, ...; `mtkbench ports` \
                         lists them"
                    }
                    Some(io::ErrorKind::PermissionDenied) => {
                        "you have no permission on the adapter's port: join the serial-port \
                         group (`mtkbench doctor` prints the command)"
                    }
                    _ => {
                        "another program holds the port (minicom, screen, a second mtkbench): \
                         close it and try again"
                    }
                }
                .to_string();
                for p in hints {
                    help.push_str(&format!("\n       {}: {}", p.title, p.fix.join("; ")));
                }
                help
            }
            UartError::Exists { .. } => {
                "captures are never overwritten: choose another --out name, or move the old \
                 file away"
                    .into()
            }
        }
    }

    fn is_bad_input(&self) -> bool {
        match self {
            UartError::Open { source, .. } => source.is_bad_input(),
            UartError::Exists { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        diag::{log::LogKind, rules::RuleBase},
        transport::ScriptedTransport,
    };

    const BOOT: &[u8] = b"[PLFM] Init I2C: OK(0)\n\
        [BLDR] jump to 0x81E00000\n\
        [LK_pmic6323_init] LK Start...................\n\
        <5>[    0.000000] Booting Linux on physical CPU 0\n\
        <0>[    2.500000] Kernel panic - not syncing: oops\n";

    /// Runs a capture over `script` into a vector; returns the sink, the summary, the
    /// updates and the final analysis.
    fn run(
        script: ScriptedTransport,
        stop_after: Option<usize>,
    ) -> (Vec<u8>, CaptureSummary, Vec<LiveUpdate>, Analysis) {
        let rules = RuleBase::builtin().unwrap();
        let mut analyzer = Analyzer::new(rules);
        analyzer.begin_input("capture.log", LogKind::Uart);
        let mut t = script;
        let mut sink = Vec::new();
        let stop = AtomicBool::new(false);
        let mut updates = Vec::new();
        let summary = capture(&mut t, &mut sink, &mut analyzer, &stop, None, &mut |u| {
            updates.push(u.clone());
            if stop_after.is_some_and(|n| updates.len() >= n) {
                stop.store(true, Ordering::SeqCst);
            }
        })
        .unwrap();
        (sink, summary, updates, analyzer.finish())
    }

    /// `bytes` cut into pieces of `size` (lines end up split anywhere).
    fn chunked(bytes: &[u8], size: usize) -> ScriptedTransport {
        bytes
            .chunks(size)
            .fold(ScriptedTransport::new(), |s, c| s.reply(c).then_timeout())
    }

    #[test]
    fn every_byte_reaches_the_sink_and_lines_split_mid_chunk_are_whole() {
        let mut whole = BOOT.to_vec();
        whole.extend_from_slice(BOOT);
        let (sink, summary, updates, analysis) = run(chunked(&whole, 7).then_disconnect(), None);
        assert_eq!(sink, whole);
        assert_eq!(summary.bytes, whole.len() as u64);
        assert!(matches!(
            summary.end,
            CaptureEnd::PortLost(TransportError::Disconnected { .. })
        ));
        assert_eq!(analysis.boots.len(), 2);
        assert_eq!(analysis.inputs[0].lines, 10);
        assert!(analysis.finding("kernel-panic").is_some());

        assert_eq!(updates[0], LiveUpdate::Receiving);
        let started: Vec<u64> = updates
            .iter()
            .filter_map(|u| match u {
                LiveUpdate::BootStarted { line, .. } => Some(*line),
                _ => None,
            })
            .collect();
        assert_eq!(started, [1, 6]);
        let reached: Vec<(usize, Stage)> = updates
            .iter()
            .filter_map(|u| match u {
                LiveUpdate::StageReached { boot, stage } => Some((*boot, *stage)),
                _ => None,
            })
            .collect();
        assert_eq!(
            reached,
            [
                (0, Stage::Lk),
                (0, Stage::Kernel),
                (1, Stage::Lk),
                (1, Stage::Kernel)
            ]
        );
        let ended: Vec<(usize, EndReason, u64)> = updates
            .iter()
            .filter_map(|u| match u {
                LiveUpdate::BootEnded { boot, reason, line } => Some((*boot, *reason, *line)),
                _ => None,
            })
            .collect();
        assert_eq!(
            ended,
            [
                (0, EndReason::KernelPanic, 5),
                (1, EndReason::KernelPanic, 10)
            ]
        );
        let findings: Vec<&LiveUpdate> = updates
            .iter()
            .filter(|u| matches!(u, LiveUpdate::Finding { .. }))
            .collect();
        assert_eq!(findings.len(), 1, "a finding is reported once: {updates:?}");
        assert!(matches!(
            findings[0],
            LiveUpdate::Finding { id, line: Some(5), .. } if id == "kernel-panic"
        ));
    }

    #[test]
    fn chunk_size_changes_nothing_but_the_number_of_reads() {
        let (_, _, by_byte, a) = run(chunked(BOOT, 1).then_disconnect(), None);
        let (_, _, at_once, b) = run(chunked(BOOT, BOOT.len()).then_disconnect(), None);
        assert_eq!(a.boots.len(), b.boots.len());
        assert_eq!(a.findings.len(), b.findings.len());
        // Read at once, the boot shows up already in the kernel: no separate stage updates.
        assert!(by_byte.len() > at_once.len());
        assert!(at_once.contains(&LiveUpdate::BootStarted {
            boot: 0,
            line: 1,
            stage: Stage::Kernel
        }));
    }

    #[test]
    fn the_stop_flag_ends_the_capture_but_keeps_what_already_arrived() {
        // The stop comes with the first update; the rest is already waiting in the port.
        let script = ScriptedTransport::new()
            .reply(&BOOT[..10])
            .reply(&BOOT[10..]);
        let (sink, summary, _, analysis) = run(script, Some(1));
        assert!(matches!(summary.end, CaptureEnd::Stopped));
        assert_eq!(sink, BOOT);
        assert_eq!(analysis.boots.len(), 1);
    }

    #[test]
    fn the_deadline_ends_a_silent_capture() {
        let rules = RuleBase::builtin().unwrap();
        let mut analyzer = Analyzer::new(rules);
        let mut t = ScriptedTransport::new().then_timeout().then_timeout();
        let mut sink = Vec::new();
        let stop = AtomicBool::new(false);
        let mut updates = 0;
        let summary = capture(
            &mut t,
            &mut sink,
            &mut analyzer,
            &stop,
            Some(Instant::now()),
            &mut |_| updates += 1,
        )
        .unwrap();
        assert!(matches!(summary.end, CaptureEnd::TimeUp));
        assert_eq!((summary.bytes, updates), (0, 0));
        let hint = capture_hint(0, &analyzer.finish()).unwrap();
        assert!(hint.contains("RX") && hint.contains("GND"), "{hint}");
    }

    #[test]
    fn a_vanished_port_keeps_the_partial_line() {
        let script = ScriptedTransport::new()
            .reply(b"[PLFM] Init I2C: OK(0)\n[BATTERY] battery voltage(33")
            .then_disconnect();
        let (sink, summary, _, analysis) = run(script, None);
        assert!(matches!(summary.end, CaptureEnd::PortLost(_)));
        assert!(sink.ends_with(b"voltage(33"));
        assert_eq!(analysis.inputs[0].lines, 2, "the cut line is analysed too");
    }

    #[test]
    fn a_failing_sink_fails_the_capture() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let rules = RuleBase::builtin().unwrap();
        let mut analyzer = Analyzer::new(rules);
        let mut t = ScriptedTransport::new().reply(BOOT);
        let stop = AtomicBool::new(false);
        let e = capture(&mut t, &mut Full, &mut analyzer, &stop, None, &mut |_| {}).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::StorageFull);
    }

    #[test]
    fn garbage_without_boots_points_at_the_speed() {
        let rules = RuleBase::builtin().unwrap();
        let mut a = Analyzer::new(rules);
        a.begin_input("x", LogKind::Uart);
        a.push_bytes(b"\xf0\x0f\x80 x\x00 y\n");
        let hint = capture_hint(8, &a.finish()).unwrap();
        assert!(hint.contains("921600") && hint.contains("--baud"), "{hint}");
        let mut a = Analyzer::new(rules);
        a.begin_input("x", LogKind::Uart);
        a.push_bytes(BOOT);
        assert!(capture_hint(BOOT.len() as u64, &a.finish()).is_none());
    }

    #[test]
    fn capture_file_is_partial_until_finished_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("cap.log");
        let mut f = CaptureFile::create(&path).unwrap();
        let temp = f.temp_path().to_path_buf();
        assert!(temp.to_string_lossy().ends_with(".partial"), "{temp:?}");
        f.write_all(b"hello").unwrap();
        f.flush().unwrap();
        assert_eq!(std::fs::read(&temp).unwrap(), b"hello");
        assert!(!path.exists());
        assert_eq!(f.finish().unwrap(), path);
        assert_eq!(std::fs::read(&path).unwrap(), b"hello");
        assert!(!temp.exists());
        let e = CaptureFile::create(&path).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.help().contains("never overwritten"));
    }

    #[test]
    fn default_names_carry_the_time_and_skip_taken_ones() {
        let dir = tempfile::tempdir().unwrap();
        let now = std::time::UNIX_EPOCH + Duration::from_secs(951_782_400);
        let first = default_capture_path(dir.path(), now);
        assert_eq!(first, dir.path().join("uart-2000-02-29T00-00-00Z.log"));
        std::fs::write(&first, b"").unwrap();
        let second = default_capture_path(dir.path(), now);
        assert_eq!(second, dir.path().join("uart-2000-02-29T00-00-00Z-2.log"));
    }

    #[test]
    fn open_failures_explain_the_cause_and_carry_the_host_hints() {
        let open = |kind| TransportError::Open {
            port: "/dev/ttyUSB0".into(),
            kind,
            reason: "x".into(),
        };
        let hint = Problem {
            id: "brltty",
            level: super::super::doctor::Level::Warning,
            title: "brltty is installed".into(),
            breaks: String::new(),
            found: String::new(),
            fix: vec!["sudo apt remove brltty".into()],
        };
        let e = UartError::Open {
            source: open(io::ErrorKind::NotFound),
            hints: vec![hint],
        };
        assert!(e.to_string().contains("/dev/ttyUSB0"), "{e}");
        assert!(e.help().contains("ttyUSB") && e.help().contains("sudo apt remove brltty"));
        assert!(e.is_bad_input());
        let e = UartError::Open {
            source: open(io::ErrorKind::PermissionDenied),
            hints: vec![],
        };
        assert!(e.help().contains("group") && !e.is_bad_input());
    }

    #[test]
    fn live_lines_number_boots_from_one_and_cite_lines() {
        assert_eq!(
            live_line(&LiveUpdate::BootStarted {
                boot: 2,
                line: 40,
                stage: Stage::Preloader
            }),
            "boot 3: started at L40 (preloader)"
        );
        assert_eq!(
            live_line(&LiveUpdate::BootStarted {
                boot: 1,
                line: 42,
                stage: Stage::Lk
            }),
            "boot 2: started at L42, reached LK"
        );
        assert_eq!(
            live_line(&LiveUpdate::StageReached {
                boot: 2,
                stage: Stage::Kernel
            }),
            "boot 3: reached kernel"
        );
        assert_eq!(
            live_line(&LiveUpdate::BootEnded {
                boot: 0,
                reason: EndReason::WatchdogReset,
                line: 9
            }),
            "boot 1: ended by watchdog reset (L9)"
        );
        assert_eq!(
            live_line(&LiveUpdate::Finding {
                id: "battery-too-low".into(),
                severity: Severity::Critical,
                title: "battery below boot threshold".into(),
                line: Some(1234)
            }),
            "finding: battery below boot threshold (L1234)"
        );
    }
}
