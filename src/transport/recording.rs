//! [`RecordingTransport`]: wraps any transport and writes every byte in both directions, with
//! timestamps, timeouts and disconnects, as a transcript (see [`super::transcript`]) that
//! support staff can read and [`super::ScriptedTransport`] can replay. This is `--record FILE`.
//!
//! Recording never breaks a session: if the transcript cannot be written, a warning is logged
//! and the session goes on unrecorded.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::Path,
    time::{Duration, Instant, SystemTime},
};

use super::{
    Transport, TransportError,
    transcript::{Direction, Event, format_event, header},
};
use crate::error::HostError;

/// A transport that records its traffic; see the module documentation.
pub struct RecordingTransport<T: Transport> {
    inner: T,
    out: Option<Box<dyn Write + Send>>,
    start: Instant,
}

impl<T: Transport> std::fmt::Debug for RecordingTransport<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingTransport")
            .field("port", &self.inner.name())
            .field("recording", &self.out.is_some())
            .finish()
    }
}

impl<T: Transport> RecordingTransport<T> {
    /// Records `inner`'s traffic into `out`, starting with the transcript header.
    pub fn new(inner: T, out: impl Write + Send + 'static) -> Self {
        let mut r = RecordingTransport {
            out: Some(Box::new(out)),
            start: Instant::now(),
            inner,
        };
        let head = header(r.inner.name(), SystemTime::now());
        r.emit(&head);
        r
    }

    /// Records `inner`'s traffic into a new file at `path`.
    pub fn create(inner: T, path: &Path) -> Result<Self, HostError> {
        let file = File::create(path).map_err(|e| HostError::io("create", path, e))?;
        Ok(Self::new(inner, BufWriter::new(file)))
    }

    /// The wrapped transport (the transcript is flushed after every event already).
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// Writes a comment line into the transcript, e.g. which step starts.
    pub fn note(&mut self, text: &str) {
        let line = format!("# {}\n", text.replace('\n', " "));
        self.emit(&line);
    }

    fn emit(&mut self, text: &str) {
        let Some(out) = &mut self.out else {
            return;
        };
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            tracing::warn!(error = %e, "cannot write the session transcript; recording stops");
            self.out = None;
        }
    }

    fn log(&mut self, event: Event, note: &str) {
        let text = format_event(self.start.elapsed(), &event, note);
        self.emit(&text);
    }

    fn log_error(&mut self, e: &TransportError) {
        match e {
            TransportError::Disconnected { .. } => self.log(Event::Disconnect, ""),
            other => {
                let note = format!("# {:>11} error: {other}\n", "");
                self.emit(&note);
            }
        }
    }
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

impl<T: Transport> Transport for RecordingTransport<T> {
    fn note(&mut self, text: &str) {
        RecordingTransport::note(self, text);
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        let r = self.inner.write_all(data);
        match &r {
            Ok(()) => self.log(Event::Data(Direction::HostToPhone, data.to_vec()), ""),
            Err(e) => self.log_error(e),
        }
        r
    }

    fn read_some(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let r = self.inner.read_some(buf, timeout);
        match &r {
            Ok(0) => self.log(
                Event::Timeout,
                &format!("nothing within {} ms", ms(timeout)),
            ),
            Ok(n) => self.log(Event::Data(Direction::PhoneToHost, buf[..*n].to_vec()), ""),
            Err(e) => self.log_error(e),
        }
        r
    }

    fn read_exact(&mut self, buf: &mut [u8], timeout: Duration) -> Result<(), TransportError> {
        let r = self.inner.read_exact(buf, timeout);
        match &r {
            Ok(()) => self.log(Event::Data(Direction::PhoneToHost, buf.to_vec()), ""),
            Err(TransportError::Timeout {
                wanted,
                got,
                waited,
                ..
            }) => {
                if *got > 0 {
                    self.log(
                        Event::Data(Direction::PhoneToHost, buf[..*got].to_vec()),
                        "",
                    );
                }
                let note = format!("waited {} ms for {wanted} byte(s), got {got}", ms(*waited));
                self.log(Event::Timeout, &note);
            }
            Err(e) => self.log_error(e),
        }
        r
    }

    fn name(&self) -> &str {
        self.inner.name()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::transport::{ScriptedTransport, transcript::Transcript};

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    pub(crate) struct Shared(pub Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        pub(crate) fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    const T: Duration = Duration::from_millis(5);

    #[test]
    fn recording_then_replaying_gives_the_same_session() {
        let phone = ScriptedTransport::new()
            .expect_write(&[0xA0])
            .reply(&[0x5F])
            .expect_write(&[0xFD])
            .reply(&[0xFD, 0x65])
            .then_timeout()
            .reply(&[0x72, 0x00, 0x00])
            .then_disconnect();
        let sink = Shared::default();
        let mut rec = RecordingTransport::new(phone, sink.clone());
        // A session with a short read, a retry and a disconnect.
        let session = |t: &mut dyn Transport| -> Vec<String> {
            let mut log = Vec::new();
            let mut b1 = [0u8; 1];
            t.write_all(&[0xA0]).unwrap();
            t.read_exact(&mut b1, T).unwrap();
            t.write_all(&[0xFD]).unwrap();
            let mut b4 = [0u8; 4];
            log.push(format!(
                "{:?}",
                t.read_exact(&mut b4, T)
                    .map_err(|e| e.to_string().contains("got 2"))
            ));
            let mut b3 = [0u8; 3];
            t.read_exact(&mut b3, T).unwrap();
            log.push(format!("{b3:?}"));
            log.push(format!("{:?}", t.read_some(&mut b1, T).is_err()));
            log
        };
        let first = session(&mut rec);
        rec.into_inner().check_finished().unwrap();

        let text = sink.text();
        assert!(
            text.starts_with("# mtkbench transcript v1\n# port: scripted\n"),
            "{text}"
        );
        assert!(
            text.contains("H> A0") && text.contains("D> FD 65"),
            "{text}"
        );
        assert!(text.contains("!! timeout  # waited"), "{text}");
        assert!(text.contains("!! disconnect"), "{text}");

        // The transcript replays the same session through a ScriptedTransport.
        let mut replay = ScriptedTransport::from_transcript(Transcript::parse(&text).unwrap());
        let second = session(&mut replay);
        assert_eq!(first, second);
        replay.check_finished().unwrap();
    }

    #[test]
    fn a_failing_transcript_does_not_break_the_session() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let phone = ScriptedTransport::new().expect_write(&[1]).reply(&[2]);
        let mut rec = RecordingTransport::new(phone, Broken);
        rec.write_all(&[1]).unwrap();
        let mut b = [0u8; 1];
        rec.read_exact(&mut b, T).unwrap();
        assert_eq!(b, [2]);
    }

    #[test]
    fn create_writes_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.txt");
        let phone = ScriptedTransport::new().expect_write(&[0xA0]);
        let mut rec = RecordingTransport::create(phone, &path).unwrap();
        rec.note("handshake\nstarts");
        rec.write_all(&[0xA0]).unwrap();
        drop(rec);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.lines().any(|l| l.trim_end().ends_with("H> A0")),
            "{text}"
        );
        assert!(text.contains("\n# handshake starts\n"), "{text}");
        assert!(
            RecordingTransport::create(ScriptedTransport::new(), &dir.path().join("no/such/dir"))
                .is_err()
        );
    }
}
