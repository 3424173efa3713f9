//! [`ScriptedTransport`]: a fake port that plays a transcript. Every host write must match
//! the transcript's next `H>` bytes; reads are served from its `D>` bytes; `!! timeout` and
//! `!! disconnect` lines become a read timeout and a disconnect. It can be built in code or
//! loaded from a transcript file (the same format `--record` writes), so recorded sessions
//! become test fixtures.
//!
//! It never panics: a write that differs from the script fails with
//! [`TransportError::OffScript`], naming the transcript line.

use std::{path::Path, time::Duration};

use super::{
    Transport, TransportError,
    transcript::{Direction, Event, Record, Transcript, TranscriptError},
};
use crate::error::HostError;

/// A transport that plays a transcript; see the module documentation.
#[derive(Debug, Clone, Default)]
pub struct ScriptedTransport {
    records: Vec<Record>,
    /// The current record.
    pos: usize,
    /// Bytes of the current record already used.
    offset: usize,
    name: String,
}

impl ScriptedTransport {
    /// An empty script (add steps with the builder methods).
    pub fn new() -> Self {
        ScriptedTransport {
            name: "scripted".into(),
            ..Default::default()
        }
    }

    /// Plays a parsed transcript.
    pub fn from_transcript(t: Transcript) -> Self {
        ScriptedTransport {
            records: t.records,
            ..Self::new()
        }
    }

    /// Parses and plays transcript text.
    pub fn from_text(text: &str) -> Result<Self, TranscriptError> {
        Ok(Self::from_transcript(Transcript::parse(text)?))
    }

    /// Loads and plays a transcript file.
    pub fn from_file(path: &Path) -> crate::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| HostError::io("read", path, e))?;
        let mut s = Self::from_text(&text)?;
        s.name = format!("transcript {}", path.display());
        Ok(s)
    }

    fn push(mut self, event: Event) -> Self {
        let line = self.records.len() + 1;
        self.records.push(Record {
            line,
            at: None,
            event,
        });
        self
    }

    /// The host must write `bytes` next.
    pub fn expect_write(self, bytes: &[u8]) -> Self {
        self.push(Event::Data(Direction::HostToPhone, bytes.to_vec()))
    }

    /// The phone sends `bytes`.
    pub fn reply(self, bytes: &[u8]) -> Self {
        self.push(Event::Data(Direction::PhoneToHost, bytes.to_vec()))
    }

    /// The next read times out.
    pub fn then_timeout(self) -> Self {
        self.push(Event::Timeout)
    }

    /// The port disconnects.
    pub fn then_disconnect(self) -> Self {
        self.push(Event::Disconnect)
    }

    /// True when every line of the script has been played.
    pub fn is_finished(&self) -> bool {
        self.pos >= self.records.len()
    }

    /// Fails with what is left when the script has not been played to its end.
    pub fn check_finished(&self) -> Result<(), TransportError> {
        match self.records.get(self.pos) {
            None => Ok(()),
            Some(r) => Err(TransportError::OffScript {
                line: r.line,
                detail: format!(
                    "the session ended early; the transcript still has {}",
                    describe(r, self.offset)
                ),
            }),
        }
    }

    fn advance(&mut self) {
        self.pos += 1;
        self.offset = 0;
    }
}

fn describe(r: &Record, offset: usize) -> String {
    match &r.event {
        Event::Data(dir, bytes) => format!(
            "{} {}",
            dir.marker(),
            crate::protocol::Hex::of(&bytes[offset.min(bytes.len())..])
        ),
        Event::Timeout => "!! timeout".into(),
        Event::Disconnect => "!! disconnect".into(),
    }
}

impl Transport for ScriptedTransport {
    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        let mut rest = data;
        while !rest.is_empty() {
            let Some(r) = self.records.get(self.pos) else {
                return Err(TransportError::OffScript {
                    line: 0,
                    detail: format!(
                        "the host wrote {} after the end of the transcript",
                        crate::protocol::Hex::of(rest)
                    ),
                });
            };
            match &r.event {
                Event::Data(Direction::HostToPhone, all) => {
                    let total = all.len();
                    let want = &all[self.offset..];
                    let n = want.len().min(rest.len());
                    if want[..n] != rest[..n] {
                        return Err(TransportError::OffScript {
                            line: r.line,
                            detail: format!(
                                "the host wrote {} where the transcript has {}",
                                crate::protocol::Hex::of(&rest[..n]),
                                crate::protocol::Hex::of(&want[..n])
                            ),
                        });
                    }
                    rest = &rest[n..];
                    self.offset += n;
                    if self.offset == total {
                        self.advance();
                    }
                }
                Event::Disconnect => {
                    self.advance();
                    return Err(TransportError::Disconnected {
                        port: self.name.clone(),
                    });
                }
                _ => {
                    return Err(TransportError::OffScript {
                        line: r.line,
                        detail: format!(
                            "the host wrote {} while the transcript has {} first",
                            crate::protocol::Hex::of(rest),
                            describe(r, self.offset)
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    fn read_some(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, TransportError> {
        let Some(r) = self.records.get(self.pos) else {
            return Ok(0);
        };
        match &r.event {
            Event::Data(Direction::PhoneToHost, bytes) => {
                let avail = &bytes[self.offset..];
                let n = avail.len().min(buf.len());
                buf[..n].copy_from_slice(&avail[..n]);
                self.offset += n;
                if self.offset == bytes.len() {
                    self.advance();
                }
                Ok(n)
            }
            Event::Timeout => {
                self.advance();
                Ok(0)
            }
            Event::Disconnect => {
                self.advance();
                Err(TransportError::Disconnected {
                    port: self.name.clone(),
                })
            }
            // The phone says nothing until the host has written: a timeout.
            Event::Data(Direction::HostToPhone, _) => Ok(0),
        }
    }

    fn name(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_millis(10);

    #[test]
    fn plays_writes_and_reads_in_any_split() {
        let mut s = ScriptedTransport::new()
            .expect_write(&[0xD4, 0x10, 0x00])
            .expect_write(&[0x70, 0x00])
            .reply(&[0xD4, 0x10])
            .reply(&[0x00, 0x70, 0x00]);
        // Writes may be split differently from the script.
        s.write_all(&[0xD4]).unwrap();
        s.write_all(&[0x10, 0x00, 0x70]).unwrap();
        s.write_all(&[0x00]).unwrap();
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf, T).unwrap();
        assert_eq!(buf, [0xD4, 0x10, 0x00, 0x70, 0x00]);
        assert!(s.is_finished());
        s.check_finished().unwrap();
    }

    #[test]
    fn a_wrong_write_names_the_line() {
        let mut s = ScriptedTransport::from_text("H> A0\nD> 5F\nH> 0A\n").unwrap();
        s.write_all(&[0xA0]).unwrap();
        let mut b = [0u8; 1];
        s.read_exact(&mut b, T).unwrap();
        let e = s.write_all(&[0x0B]).unwrap_err();
        match e {
            TransportError::OffScript { line, detail } => {
                assert_eq!(line, 3);
                assert!(detail.contains("0B") && detail.contains("0A"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn writing_before_reading_the_phones_bytes_is_off_script() {
        let mut s = ScriptedTransport::new()
            .reply(&[0x5F])
            .expect_write(&[0x0A]);
        let e = s.write_all(&[0x0A]).unwrap_err();
        assert!(
            matches!(e, TransportError::OffScript { line: 1, .. }),
            "{e}"
        );
        let mut s = ScriptedTransport::new();
        assert!(matches!(
            s.write_all(&[1]),
            Err(TransportError::OffScript { line: 0, .. })
        ));
    }

    #[test]
    fn short_reads_then_timeouts_and_disconnects() {
        let mut s = ScriptedTransport::new()
            .expect_write(&[0xFD])
            .reply(&[0xFD, 0x65])
            .then_timeout()
            .reply(&[0x01])
            .then_disconnect();
        s.write_all(&[0xFD]).unwrap();
        let mut buf = [0u8; 4];
        match s.read_exact(&mut buf, T).unwrap_err() {
            TransportError::Timeout { wanted, got, .. } => assert_eq!((wanted, got), (4, 2)),
            other => panic!("{other:?}"),
        }
        assert_eq!(&buf[..2], &[0xFD, 0x65]);
        let mut one = [0u8; 1];
        s.read_exact(&mut one, T).unwrap();
        assert!(matches!(
            s.read_exact(&mut one, T),
            Err(TransportError::Disconnected { .. })
        ));
        s.check_finished().unwrap();
    }

    #[test]
    fn loading_a_file_reports_the_bad_line_as_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        std::fs::write(&path, "# header\nH> A0\nD> 5FF\n").unwrap();
        let e = ScriptedTransport::from_file(&path).unwrap_err();
        assert!(e.to_string().starts_with("transcript line 3:"), "{e}");
        assert_eq!(e.exit_code(), 2);
        std::fs::write(&path, "H> A0\nD> 5F\n").unwrap();
        let s = ScriptedTransport::from_file(&path).unwrap();
        assert!(s.name().contains("t.txt"));
        assert!(ScriptedTransport::from_file(&dir.path().join("missing.txt")).is_err());
    }

    #[test]
    fn reading_when_the_host_should_write_times_out_and_leftovers_are_reported() {
        let mut s = ScriptedTransport::new().expect_write(&[0xA0]);
        let mut b = [0u8; 1];
        assert!(matches!(
            s.read_exact(&mut b, T),
            Err(TransportError::Timeout { got: 0, .. })
        ));
        let e = s.check_finished().unwrap_err();
        assert!(e.to_string().contains("H> A0"), "{e}");
    }
}
