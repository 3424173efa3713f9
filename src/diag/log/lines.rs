//! Turning a byte stream into lines, and reading the clocks printed on them.
//!
//! Pure and allocation-light: the splitter hands out slices of the chunk it was given and only
//! copies a line that straddles two chunks.

/// A line longer than this is cut (and the rest starts a new line), so that a file without
/// newlines cannot grow memory without bound.
pub const MAX_LINE: usize = 64 * 1024;

/// Shortest printable run kept from a binary input (like `strings -n 4`).
const MIN_BINARY_RUN: usize = 4;

/// Splits chunks of bytes into lines. Text mode splits at `\n` and drops a trailing `\r`;
/// binary mode keeps runs of printable ASCII (and tabs), like `strings`.
#[derive(Debug, Default)]
pub struct LineSplitter {
    binary: bool,
    partial: Vec<u8>,
}

impl LineSplitter {
    /// A splitter for text (`binary == false`) or for the printable runs of binary data.
    pub fn new(binary: bool) -> LineSplitter {
        LineSplitter {
            binary,
            partial: Vec::new(),
        }
    }

    /// Feeds a chunk; `emit` gets every line completed by it.
    pub fn push(&mut self, chunk: &[u8], mut emit: impl FnMut(&[u8])) {
        if self.binary {
            self.push_binary(chunk, &mut emit);
        } else {
            self.push_text(chunk, &mut emit);
        }
    }

    /// Ends the stream; `emit` gets the last, unterminated line if there is one.
    pub fn finish(&mut self, mut emit: impl FnMut(&[u8])) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            if self.binary {
                if line.len() >= MIN_BINARY_RUN {
                    emit(&line);
                }
            } else {
                emit(line.strip_suffix(b"\r").unwrap_or(&line));
            }
        }
    }

    fn push_text(&mut self, chunk: &[u8], emit: &mut impl FnMut(&[u8])) {
        let mut rest = chunk;
        while let Some(nl) = memchr::memchr(b'\n', rest) {
            let piece = &rest[..nl];
            rest = &rest[nl + 1..];
            if self.partial.is_empty() {
                emit(piece.strip_suffix(b"\r").unwrap_or(piece));
            } else {
                self.partial.extend_from_slice(piece);
                let line = &self.partial;
                emit(line.strip_suffix(b"\r").unwrap_or(line));
                self.partial.clear();
            }
        }
        self.partial.extend_from_slice(rest);
        while self.partial.len() > MAX_LINE {
            let tail = self.partial.split_off(MAX_LINE);
            emit(&self.partial);
            self.partial = tail;
        }
    }

    fn push_binary(&mut self, chunk: &[u8], emit: &mut impl FnMut(&[u8])) {
        for &b in chunk {
            if (0x20..0x7f).contains(&b) || b == b'\t' {
                self.partial.push(b);
                if self.partial.len() >= MAX_LINE {
                    emit(&self.partial);
                    self.partial.clear();
                }
            } else {
                if self.partial.len() >= MIN_BINARY_RUN {
                    emit(&self.partial);
                }
                self.partial.clear();
            }
        }
    }
}

/// The kernel's printk clock at the start of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelClock {
    /// Microseconds since the kernel started.
    pub us: u64,
    /// Index of the closing `]`: the message starts after it.
    pub end: usize,
}

/// The kernel's printk clock on a line: `[   12.345678]`, optionally after a `<6>` log level
/// (`<6>[   12.345678] ...`, `[   12.345678]<0>...` also work).
pub fn kernel_clock(line: &[u8]) -> Option<KernelClock> {
    let mut i = 0;
    if line.first() == Some(&b'<') {
        let close = line.iter().take(5).position(|&b| b == b'>')?;
        i = close + 1;
    }
    if line.get(i) != Some(&b'[') {
        return None;
    }
    i += 1;
    while line.get(i) == Some(&b' ') {
        i += 1;
    }
    let (secs, next) = digits(line, i, 10)?;
    if line.get(next) != Some(&b'.') {
        return None;
    }
    let (frac, end) = digits(line, next + 1, 9)?;
    if line.get(end) != Some(&b']') {
        return None;
    }
    let frac_len = u32::try_from(end - next - 1).ok()?;
    let micros = if frac_len >= 6 {
        frac / 10u64.pow(frac_len - 6)
    } else {
        frac * 10u64.pow(6 - frac_len)
    };
    let us = secs.checked_mul(1_000_000)?.checked_add(micros)?;
    Some(KernelClock { us, end })
}

/// The time of a `logcat -v time` / `-v threadtime` line (`MM-DD HH:MM:SS.mmm`), in
/// milliseconds since an arbitrary point that only moves forward within a year.
pub fn logcat_time_ms(line: &[u8]) -> Option<u64> {
    let f = |at: usize, len: usize| -> Option<u64> {
        let (v, end) = digits(line, at, len)?;
        (end == at + len).then_some(v)
    };
    let sep = |at: usize, b: u8| line.get(at) == Some(&b);
    if !(sep(2, b'-') && sep(5, b' ') && sep(8, b':') && sep(11, b':') && sep(14, b'.')) {
        return None;
    }
    let (month, day) = (f(0, 2)?, f(3, 2)?);
    let (h, m, s, ms) = (f(6, 2)?, f(9, 2)?, f(12, 2)?, f(15, 3)?);
    let days = month * 31 + day;
    Some((((days * 24 + h) * 60 + m) * 60 + s) * 1000 + ms)
}

/// True for a logcat line: `-v time`/`-v threadtime` (a [`logcat_time_ms`] clock) or
/// `-v brief` (`I/Tag( 123): message`).
pub fn is_logcat_line(line: &[u8]) -> bool {
    logcat_time_ms(line).is_some()
        || (matches!(
            line,
            [b'V' | b'D' | b'I' | b'W' | b'E' | b'F' | b'A', b'/', ..]
        ) && line.windows(3).any(|w| w == b"): "))
}

/// Parses up to `max` decimal digits from `at`; returns the value and the index after them.
fn digits(line: &[u8], at: usize, max: usize) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    let mut i = at;
    while i < line.len() && i - at < max && line[i].is_ascii_digit() {
        value = value * 10 + u64::from(line[i] - b'0');
        i += 1;
    }
    (i > at).then_some((value, i))
}

/// A line as it is quoted in a finding: lossy UTF-8, control characters and tabs shown as
/// spaces, trailing blanks dropped, cut to `max` characters.
pub fn quote(line: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(line);
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(binary: bool, chunks: &[&[u8]]) -> Vec<String> {
        let mut s = LineSplitter::new(binary);
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, |l| out.push(String::from_utf8_lossy(l).into_owned()));
        }
        s.finish(|l| out.push(String::from_utf8_lossy(l).into_owned()));
        out
    }

    #[test]
    fn text_lines_across_chunks() {
        let got = split(false, &[b"one\r\ntw", b"o\nthr", b"ee"]);
        assert_eq!(got, ["one", "two", "three"]);
        assert_eq!(split(false, &[b"a\n\nb\n"]), ["a", "", "b"]);
    }

    #[test]
    fn binary_keeps_printable_runs() {
        let got = split(true, &[b"\0\0Kernel pa", b"nic\0ab\xffPC is at foo\n"]);
        assert_eq!(got, ["Kernel panic", "PC is at foo"]);
    }

    #[test]
    fn very_long_lines_are_cut() {
        let long = vec![b'x'; MAX_LINE * 2 + 10];
        let got = split(false, &[&long]);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].len(), MAX_LINE);
    }

    #[test]
    fn kernel_clock_is_parsed() {
        let us = |l: &[u8]| kernel_clock(l).map(|c| c.us);
        assert_eq!(us(b"[    1.234567] x"), Some(1_234_567));
        assert_eq!(us(b"<6>[   12.000001] x"), Some(12_000_001));
        assert_eq!(us(b"[0.5]"), Some(500_000));
        assert_eq!(us(b"[PLFM] Init"), None);
        assert_eq!(us(b"<6>hello"), None);
        assert_eq!(
            kernel_clock(b"<6>[   12.000001] x").map(|c| c.end),
            Some(16)
        );
    }

    #[test]
    fn logcat_clock() {
        let a = logcat_time_ms(b"01-02 10:11:12.345   12   34 I Tag: x").unwrap();
        let b = logcat_time_ms(b"01-02 10:11:13.000 I/Tag( 12): x").unwrap();
        assert_eq!(b - a, 655);
        assert_eq!(logcat_time_ms(b"1-02 10:11:12.345"), None);
    }

    #[test]
    fn quoting_cleans_control_characters() {
        assert_eq!(quote(b"a\tb\x1b[0m  \xff", 100), "a b [0m  \u{fffd}");
        assert_eq!(quote(b"abcdef", 3), "abc");
    }
}
