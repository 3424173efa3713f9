//! What kind of log an input is, decided from its file name and first bytes.
//!
//! Pure: the caller reads the head of the file and hands it over; nothing here opens files.

use serde::{Deserialize, Serialize};

use super::lines::{is_logcat_line, kernel_clock};

/// The kinds of input `diagnose log` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    /// A serial console capture (preloader, LK and kernel at 921600 8N1).
    Uart,
    /// The previous boot's kernel log (`/proc/last_kmsg`).
    LastKmsg,
    /// A kernel log (`dmesg`).
    Dmesg,
    /// Android's `logcat`.
    Logcat,
    /// An SP Flash Tool log.
    SpFlashTool,
    /// An mtkbench transcript (hex `H>`/`D>` lines) or mtkbench's own log file.
    Transcript,
    /// The EXPDB partition read back from the phone (AEE panic dump, binary).
    Expdb,
    /// Some other binary file; its text runs are analysed.
    Binary,
    /// Text of no recognised kind; analysed with the same rules.
    Text,
}

impl LogKind {
    /// Words for a technician.
    pub fn label(self) -> &'static str {
        match self {
            LogKind::Uart => "UART capture",
            LogKind::LastKmsg => "last_kmsg",
            LogKind::Dmesg => "dmesg",
            LogKind::Logcat => "logcat",
            LogKind::SpFlashTool => "SP Flash Tool log",
            LogKind::Transcript => "mtkbench transcript",
            LogKind::Expdb => "EXPDB dump",
            LogKind::Binary => "binary dump",
            LogKind::Text => "text",
        }
    }

    /// True when the input is binary and only its printable runs are analysed.
    pub fn is_binary(self) -> bool {
        matches!(self, LogKind::Expdb | LogKind::Binary)
    }

    /// True when the input records a phone booting, so it is split into boot attempts.
    pub fn has_boots(self) -> bool {
        !matches!(self, LogKind::SpFlashTool | LogKind::Transcript)
    }
}

/// First bytes of an EXPDB partition that holds a panic dump: the AEE ipanic header magic
/// 0xAEE0DEAD, little-endian (MT6572 LK `app/mt_boot/aee/aee.h`, `struct ipanic_header`).
const IPANIC_MAGIC: [u8; 4] = [0xAD, 0xDE, 0xE0, 0xAE];

/// How many lines of the head are looked at.
const SAMPLE_LINES: usize = 400;

/// Decides the kind of an input from its file name (may be empty) and its first bytes.
pub fn detect_kind(name: &str, head: &[u8]) -> LogKind {
    let name = name.to_ascii_lowercase();
    if head.starts_with(&IPANIC_MAGIC) || (name.contains("expdb") && looks_binary(head)) {
        return LogKind::Expdb;
    }
    if looks_binary(head) {
        return LogKind::Binary;
    }
    let mut sample = 0usize;
    let mut votes = Votes::default();
    for line in head.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) || line.starts_with(b"#") {
            continue;
        }
        sample += 1;
        votes.count(line);
        if sample >= SAMPLE_LINES {
            break;
        }
    }
    if sample == 0 {
        return if name.contains("kmsg") {
            LogKind::LastKmsg
        } else {
            LogKind::Text
        };
    }
    let most = |n: usize| n * 3 >= sample; // at least a third of the sampled lines
    if votes.spflash > 0 {
        LogKind::SpFlashTool
    } else if most(votes.transcript) {
        LogKind::Transcript
    } else if votes.bootloader > 0 {
        LogKind::Uart
    } else if most(votes.logcat) {
        LogKind::Logcat
    } else if most(votes.kernel) {
        if [
            "last_kmsg",
            "last-kmsg",
            "lastkmsg",
            "console-ramoops",
            "ramoops",
        ]
        .iter()
        .any(|n| name.contains(n))
        {
            LogKind::LastKmsg
        } else {
            LogKind::Dmesg
        }
    } else if name.contains("kmsg") {
        LogKind::LastKmsg
    } else {
        LogKind::Text
    }
}

#[derive(Default)]
struct Votes {
    spflash: usize,
    transcript: usize,
    bootloader: usize,
    logcat: usize,
    kernel: usize,
}

impl Votes {
    fn count(&mut self, line: &[u8]) {
        let has = |needle: &[u8]| line.windows(needle.len()).any(|w| w == needle);
        if [
            "BROM_DLL",
            "FlashTool",
            "SP Flash Tool",
            "BROM ERROR",
            "DA_DL_",
            "FlashToolLib",
        ]
        .iter()
        .any(|n| has(n.as_bytes()))
        {
            self.spflash += 1;
        }
        if is_transcript_line(line) || has(b" mtkbench::") {
            self.transcript += 1;
        }
        if [
            "[BLDR]",
            "[PLFM]",
            "Preloader Start",
            "[LK]",
            "[PROFILE] -------",
            "[LK_",
            "welcome to lk",
            "lk finished --> jump to linux kernel",
            "[EMI]",
        ]
        .iter()
        .any(|n| has(n.as_bytes()))
        {
            self.bootloader += 1;
        }
        if is_logcat_line(line) || has(b"--------- beginning of") {
            self.logcat += 1;
        }
        if kernel_clock(line).is_some() {
            self.kernel += 1;
        }
    }
}

/// A transcript event line: `H> A0`, `D> 5F`, `!! timeout`, with or without the time in
/// seconds in front, as `--record` writes them (`    0.000412 D> 5F`).
fn is_transcript_line(line: &[u8]) -> bool {
    let line = line.trim_ascii_start();
    let event = match line.iter().position(u8::is_ascii_whitespace) {
        Some(end) if line[..end].iter().all(|&b| b.is_ascii_digit() || b == b'.') => {
            line[end..].trim_ascii_start()
        }
        _ => line,
    };
    [b"H> ", b"D> ", b"!! "]
        .iter()
        .any(|m| event.starts_with(*m))
}

/// NUL bytes, or more than a tenth of the bytes neither printable nor whitespace.
fn looks_binary(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(8192)];
    if sample.is_empty() {
        return false;
    }
    if sample.contains(&0) {
        return true;
    }
    let odd = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x1b))
        .count();
    odd * 10 > sample.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_content() {
        let uart = b"[PLFM] Init I2C: OK(0)\n[BLDR] Build Time: 20140101\n";
        assert_eq!(detect_kind("capture.txt", uart), LogKind::Uart);
        let dmesg = b"<6>[    0.000000] Booting Linux\n<6>[    0.010000] hello\n";
        assert_eq!(detect_kind("dmesg.txt", dmesg), LogKind::Dmesg);
        assert_eq!(detect_kind("last_kmsg", dmesg), LogKind::LastKmsg);
        let logcat = b"--------- beginning of main\n01-02 10:11:12.345   123   456 I Tag: hi\n";
        assert_eq!(detect_kind("x.log", logcat), LogKind::Logcat);
        let spft = b"10:11:12 BROM_DLL[1][2]: hello\nBROM ERROR : S_FT_DA_NO_RESPONSE (4001)\n";
        assert_eq!(detect_kind("x.log", spft), LogKind::SpFlashTool);
        let tr = b"# mtkbench transcript\nH> a0\nD> 5f\nH> 0a\nD> f5\n";
        assert_eq!(detect_kind("t.txt", tr), LogKind::Transcript);
        let recorded = b"# mtkbench transcript v1\n# port: /dev/pts/3\n    0.000000 H> A0\n\
            \x20   0.000412 D> 5F\n    0.051000 !! timeout\n# error: x (mtkbench::timeout)\n";
        assert_eq!(detect_kind("session.txt", recorded), LogKind::Transcript);
        assert_eq!(detect_kind("n.txt", b"12.5 H>ello\n"), LogKind::Text);
        assert_eq!(detect_kind("n.txt", b"hello\nworld\n"), LogKind::Text);
    }

    #[test]
    fn binary_dumps() {
        let mut expdb = IPANIC_MAGIC.to_vec();
        expdb.extend_from_slice(&[4, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(detect_kind("dump.bin", &expdb), LogKind::Expdb);
        assert_eq!(detect_kind("EXPDB.img", &[0u8; 64]), LogKind::Expdb);
        assert_eq!(detect_kind("other.bin", &[0u8, 1, 2, 3]), LogKind::Binary);
    }
}
