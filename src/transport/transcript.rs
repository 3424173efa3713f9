//! The transcript format: a readable hex record of a session, written by
//! [`super::RecordingTransport`] (`--record FILE`) for support staff, and replayed by
//! [`super::ScriptedTransport`] as a test fixture. Pure text in, records out.
//!
//! ```text
//! # mtkbench transcript v1
//! # port: /dev/ttyACM0
//! # started: 2026-11-21T09:14:03Z
//!     0.000000 H> A0
//!     0.000412 D> 5F              # comments run to the end of the line
//!     0.051000 !! timeout         # the host waited and nothing came
//!              H> D4 10007000     # the time is optional; bytes may be grouped
//!     9.100000 !! disconnect
//! ```
//!
//! `H>` is host to phone, `D>` phone to host, as in the protocol notes. Consecutive lines in
//! the same direction form one byte stream: how bytes are split over lines does not matter.

use std::{
    fmt::Write as _,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use crate::error::Advice;

/// First line of every transcript mtkbench writes.
pub const MAGIC_LINE: &str = "# mtkbench transcript v1";

/// Bytes per line when writing.
pub const BYTES_PER_LINE: usize = 32;

/// Who sent the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Host to phone (`H>`).
    HostToPhone,
    /// Phone to host (`D>`).
    PhoneToHost,
}

impl Direction {
    /// The marker used in transcripts.
    pub fn marker(self) -> &'static str {
        match self {
            Direction::HostToPhone => "H>",
            Direction::PhoneToHost => "D>",
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Bytes went over the link.
    Data(Direction, Vec<u8>),
    /// The host waited for bytes and none (or not enough) came.
    Timeout,
    /// The port went away.
    Disconnect,
}

/// One line's event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Line number in the text, from 1.
    pub line: usize,
    /// Time since the session started, if the line has one.
    pub at: Option<Duration>,
    /// The event.
    pub event: Event,
}

/// A parsed transcript.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transcript {
    /// The events in order.
    pub records: Vec<Record>,
}

/// A line that is not valid transcript syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transcript line {line}: {detail}")]
pub struct TranscriptError {
    /// Line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub detail: String,
}

impl Advice for TranscriptError {
    fn help(&self) -> String {
        "fix that line (`H>`/`D>` followed by hex bytes, or `!! timeout` / `!! disconnect`), or \
         record the session again with --record FILE"
            .into()
    }

    fn is_bad_input(&self) -> bool {
        true
    }
}

impl Transcript {
    /// Parses transcript text.
    pub fn parse(text: &str) -> Result<Transcript, TranscriptError> {
        let mut records = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split('#').next().unwrap_or("");
            let mut tokens = content.split_whitespace().peekable();
            let Some(&first) = tokens.peek() else {
                continue;
            };
            let err = |detail: String| TranscriptError { line, detail };
            let at = if first.starts_with(|c: char| c.is_ascii_digit()) {
                tokens.next();
                let secs: f64 = first
                    .parse()
                    .map_err(|_| err(format!("`{first}` is not a time in seconds")))?;
                Some(
                    Duration::try_from_secs_f64(secs)
                        .map_err(|_| err(format!("`{first}` is not a time in seconds")))?,
                )
            } else {
                None
            };
            let marker = tokens
                .next()
                .ok_or_else(|| err("a time with nothing after it".into()))?;
            let event = match marker {
                "H>" | "D>" => {
                    let dir = if marker == "H>" {
                        Direction::HostToPhone
                    } else {
                        Direction::PhoneToHost
                    };
                    let mut bytes = Vec::new();
                    for group in tokens {
                        let decoded = hex::decode(group)
                            .map_err(|_| err(format!("`{group}` is not whole hex bytes")))?;
                        bytes.extend_from_slice(&decoded);
                    }
                    if bytes.is_empty() {
                        return Err(err(format!("`{marker}` without any bytes")));
                    }
                    Event::Data(dir, bytes)
                }
                "!!" => match tokens.next() {
                    Some("timeout") => Event::Timeout,
                    Some("disconnect") => Event::Disconnect,
                    other => {
                        return Err(err(format!(
                            "`!! {}` is not an event (use `!! timeout` or `!! disconnect`)",
                            other.unwrap_or("")
                        )));
                    }
                },
                other => {
                    return Err(err(format!(
                        "`{other}` is not a direction (use `H>`, `D>` or `!!`)"
                    )));
                }
            };
            records.push(Record { line, at, event });
        }
        Ok(Transcript { records })
    }

    /// Every byte in one direction, in order.
    pub fn bytes(&self, dir: Direction) -> Vec<u8> {
        self.records
            .iter()
            .filter_map(|r| match &r.event {
                Event::Data(d, b) if *d == dir => Some(b.as_slice()),
                _ => None,
            })
            .flatten()
            .copied()
            .collect()
    }
}

/// The comment lines that start a transcript.
pub fn header(port: &str, started: SystemTime) -> String {
    format!(
        "{MAGIC_LINE}\n# port: {port}\n# started: {}\n# H> = host to phone, D> = phone to host; \
         times are seconds since the start\n",
        utc_timestamp(started)
    )
}

/// The lines for one event at time `at`, with an optional trailing comment.
pub fn format_event(at: Duration, event: &Event, note: &str) -> String {
    let time = format!("{:>12.6}", at.as_secs_f64());
    let comment = if note.is_empty() {
        String::new()
    } else {
        format!("  # {note}")
    };
    let mut out = String::new();
    match event {
        Event::Data(dir, bytes) => {
            for (i, chunk) in bytes.chunks(BYTES_PER_LINE).enumerate() {
                let _ = write!(out, "{time} {}", dir.marker());
                for b in chunk {
                    let _ = write!(out, " {b:02X}");
                }
                if i == 0 {
                    out.push_str(&comment);
                }
                out.push('\n');
            }
        }
        Event::Timeout => {
            let _ = writeln!(out, "{time} !! timeout{comment}");
        }
        Event::Disconnect => {
            let _ = writeln!(out, "{time} !! disconnect{comment}");
        }
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC.
pub fn utc_timestamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_times_directions_groups_comments_and_events() {
        let t = Transcript::parse(
            "# mtkbench transcript v1\n\
             \n\
                 0.000100 H> A0\n\
                 0.000200 D> 5F   # reply\n\
                          H> D4 10007000 00000001\n\
             1 !! timeout waited 50 ms\n\
               !! disconnect\n",
        )
        .unwrap();
        assert_eq!(t.records.len(), 5);
        assert_eq!(t.records[0].line, 3);
        assert_eq!(t.records[0].at, Some(Duration::from_micros(100)));
        assert_eq!(t.records[2].at, None);
        assert_eq!(
            t.records[2].event,
            Event::Data(
                Direction::HostToPhone,
                vec![0xD4, 0x10, 0, 0x70, 0, 0, 0, 0, 1]
            )
        );
        assert_eq!(t.records[3].event, Event::Timeout);
        assert_eq!(t.records[4].event, Event::Disconnect);
        assert_eq!(t.bytes(Direction::PhoneToHost), [0x5F]);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("H> A0\nD> 5G\n", 2, "not whole hex"),
            ("H> A0\n\nH> ABC\n", 3, "not whole hex"),
            ("X> 00\n", 1, "not a direction"),
            ("0.5\n", 1, "nothing after"),
            ("1.0x H> 00\n", 1, "not a time"),
            ("H>\n", 1, "without any bytes"),
            ("# ok\n!! reboot\n", 2, "not an event"),
        ];
        for (text, line, words) in cases {
            let e = Transcript::parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}");
            assert!(e.detail.contains(words), "{text:?}: {}", e.detail);
            assert!(
                e.to_string()
                    .starts_with(&format!("transcript line {line}:"))
            );
            assert!(e.is_bad_input());
        }
    }

    #[test]
    fn formatted_events_parse_back() {
        let data: Vec<u8> = (0..70).collect();
        let mut text = header(
            "/dev/ttyACM0",
            UNIX_EPOCH + Duration::from_secs(1_763_716_443),
        );
        text += &format_event(
            Duration::from_micros(1_500),
            &Event::Data(Direction::PhoneToHost, data.clone()),
            "three lines",
        );
        text += &format_event(
            Duration::from_secs(2),
            &Event::Timeout,
            "waited 50 ms for 1 byte",
        );
        text += &format_event(Duration::from_secs(3), &Event::Disconnect, "");
        assert!(text.starts_with(MAGIC_LINE));
        assert!(text.contains("# started: 2025-11-21T09:14:03Z"), "{text}");
        assert!(text.contains("\n    0.001500 D> 00 01 02"), "{text}");
        let t = Transcript::parse(&text).unwrap();
        assert_eq!(t.records.len(), 5, "70 bytes take three lines");
        assert_eq!(t.bytes(Direction::PhoneToHost), data);
        assert_eq!(t.records[3].event, Event::Timeout);
        assert_eq!(t.records[4].event, Event::Disconnect);
    }

    #[test]
    fn utc_timestamps_are_calendar_correct() {
        let at = |s: u64| utc_timestamp(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_709_251_199), "2024-02-29T23:59:59Z");
    }
}
