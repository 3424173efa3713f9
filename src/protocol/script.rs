//! [`Script`]: a linear host-side exchange built from a list of operations (send, send and
//! expect the echo, expect fixed bytes, read a status word, read a message). Every BROM
//! command and the linear legacy-DA steps are scripts; flows with loops of unknown length
//! (readback, write, format) have their own machines in [`super::da`].
//!
//! The script keeps the bytes of every `recv` operation, in order, and hands them to its
//! `finish` function, which decodes them with the same [`Wire`] types the phone side encodes
//! with. Sans-IO: no port, no clock.

use std::{collections::VecDeque, time::Duration};

use super::{
    BromStatus, Exchange, Hex, Progress, ProtocolError, Step,
    wire::{DecodeError, Wire},
};

/// Size of the pieces in which a script sends a large payload (the serial path's packet size,
/// MT6572.md §3.3.9), so that progress can be reported.
pub const PAYLOAD_CHUNK: usize = 0x400;

type FrameFn = fn(&[u8]) -> Result<usize, DecodeError>;
type FinishFn<T> = fn(&[u8]) -> Result<T, ProtocolError>;

#[derive(Debug, Clone)]
enum Op {
    Send(Vec<u8>),
    Payload(Vec<u8>),
    Echo {
        what: &'static str,
        bytes: Vec<u8>,
        timeout: Duration,
    },
    Expect {
        what: &'static str,
        bytes: Vec<u8>,
        timeout: Duration,
    },
    Status {
        what: &'static str,
        max_ok: u16,
        timeout: Duration,
    },
    Recv {
        what: &'static str,
        frame: FrameFn,
        timeout: Duration,
    },
    RecvExact {
        what: &'static str,
        len: usize,
        timeout: Duration,
    },
}

#[derive(Debug)]
enum Phase {
    Ready,
    /// An echo whose bytes still have to be sent.
    EchoToSend,
    Receiving,
    Finished,
    Failed,
}

/// A linear exchange; see the module documentation.
#[derive(Debug)]
pub struct Script<T> {
    ops: VecDeque<Op>,
    current: Option<Op>,
    phase: Phase,
    pending: Vec<u8>,
    received: Vec<u8>,
    finish: FinishFn<T>,
    payload_done: u64,
    payload_total: u64,
}

impl<T> Script<T> {
    pub(crate) fn new(finish: FinishFn<T>) -> Self {
        Script {
            ops: VecDeque::new(),
            current: None,
            phase: Phase::Ready,
            pending: Vec::new(),
            received: Vec::new(),
            finish,
            payload_done: 0,
            payload_total: 0,
        }
    }

    /// Bytes handed to `finish` ahead of everything received: values the host computed
    /// itself (our own checksum of a payload).
    pub(crate) fn carry(mut self, bytes: &[u8]) -> Self {
        self.received.extend_from_slice(bytes);
        self
    }

    /// Host sends `bytes`, nothing comes back.
    pub(crate) fn send(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.ops.push_back(Op::Send(bytes.into()));
        self
    }

    /// Host sends payload bytes (counted for progress), nothing comes back.
    pub(crate) fn payload(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        let bytes = bytes.into();
        self.payload_total += bytes.len() as u64;
        self.ops.push_back(Op::Payload(bytes));
        self
    }

    /// Host sends `bytes` and the phone must send the same bytes back.
    pub(crate) fn echo(
        mut self,
        what: &'static str,
        bytes: impl Into<Vec<u8>>,
        t: Duration,
    ) -> Self {
        self.ops.push_back(Op::Echo {
            what,
            bytes: bytes.into(),
            timeout: t,
        });
        self
    }

    /// The phone must send exactly `bytes`.
    pub(crate) fn expect(
        mut self,
        what: &'static str,
        bytes: impl Into<Vec<u8>>,
        t: Duration,
    ) -> Self {
        self.ops.push_back(Op::Expect {
            what,
            bytes: bytes.into(),
            timeout: t,
        });
        self
    }

    /// The phone sends a big-endian BROM status word; above `max_ok` the exchange fails.
    pub(crate) fn status(mut self, what: &'static str, max_ok: u16, t: Duration) -> Self {
        self.ops.push_back(Op::Status {
            what,
            max_ok,
            timeout: t,
        });
        self
    }

    /// The phone sends one `M` message; its bytes are kept for `finish`.
    pub(crate) fn recv<M: Wire>(mut self, what: &'static str, t: Duration) -> Self {
        self.ops.push_back(Op::Recv {
            what,
            frame: M::frame_len,
            timeout: t,
        });
        self
    }

    /// The phone sends exactly `len` bytes; they are kept for `finish`.
    pub(crate) fn recv_exact(mut self, what: &'static str, len: usize, t: Duration) -> Self {
        self.ops.push_back(Op::RecvExact {
            what,
            len,
            timeout: t,
        });
        self
    }

    fn fail(&mut self, e: ProtocolError) -> ProtocolError {
        self.phase = Phase::Failed;
        e
    }

    /// What the current receive operation still needs.
    fn recv_step(&mut self) -> Result<Step<T>, ProtocolError> {
        let have = self.pending.len();
        let step = match &self.current {
            Some(Op::Echo {
                what,
                bytes,
                timeout,
                ..
            })
            | Some(Op::Expect {
                what,
                bytes,
                timeout,
                ..
            }) => Step::Recv {
                len: bytes.len() - have,
                what,
                timeout: *timeout,
            },
            Some(Op::Status { what, timeout, .. }) => Step::Recv {
                len: 2 - have,
                what,
                timeout: *timeout,
            },
            Some(Op::RecvExact { what, len, timeout }) => Step::Recv {
                len: len - have,
                what,
                timeout: *timeout,
            },
            Some(Op::Recv {
                what,
                frame,
                timeout,
            }) => match frame(&self.pending) {
                Err(DecodeError::Incomplete { more }) => Step::Recv {
                    len: more,
                    what,
                    timeout: *timeout,
                },
                Err(DecodeError::Invalid(e)) => return Err(self.fail(e)),
                Ok(_) => {
                    return Err(self.fail(ProtocolError::Sequence(
                        "a complete message was left unconsumed".into(),
                    )));
                }
            },
            _ => {
                return Err(self.fail(ProtocolError::Sequence(
                    "no receive operation is active".into(),
                )));
            }
        };
        Ok(step)
    }

    /// Checks the current receive operation once enough bytes are in; true when it is done.
    fn complete_current(&mut self) -> Result<bool, ProtocolError> {
        let got = &self.pending;
        let done = match &self.current {
            Some(Op::Echo { what, bytes, .. }) => {
                if got.len() < bytes.len() {
                    return Ok(false);
                }
                if got != bytes {
                    return Err(ProtocolError::Echo {
                        what,
                        sent: Hex::of(bytes),
                        got: Hex::of(got),
                    });
                }
                true
            }
            Some(Op::Expect { what, bytes, .. }) => {
                if got.len() < bytes.len() {
                    return Ok(false);
                }
                if got != bytes {
                    return Err(ProtocolError::Unexpected {
                        what,
                        expected: Hex::of(bytes),
                        got: Hex::of(got),
                    });
                }
                true
            }
            Some(Op::Status { what, max_ok, .. }) => {
                let [hi, lo] = got[..] else {
                    return Ok(false);
                };
                let status = BromStatus::from_code(u16::from_be_bytes([hi, lo]));
                if status.code() > *max_ok {
                    return Err(ProtocolError::Brom { what, status });
                }
                true
            }
            Some(Op::RecvExact { len, .. }) => {
                if got.len() < *len {
                    return Ok(false);
                }
                self.received.extend_from_slice(got);
                true
            }
            Some(Op::Recv { frame, .. }) => match frame(got) {
                Ok(n) if n == got.len() => {
                    self.received.extend_from_slice(got);
                    true
                }
                Ok(_) => {
                    return Err(ProtocolError::Sequence(
                        "more bytes were fed than the message needs".into(),
                    ));
                }
                Err(DecodeError::Incomplete { .. }) => false,
                Err(DecodeError::Invalid(e)) => return Err(e),
            },
            _ => {
                return Err(ProtocolError::Sequence(
                    "bytes were fed while nothing was being received".into(),
                ));
            }
        };
        Ok(done)
    }
}

impl<T> Exchange for Script<T> {
    type Output = T;

    fn poll(&mut self) -> Result<Step<T>, ProtocolError> {
        loop {
            match self.phase {
                Phase::Finished | Phase::Failed => {
                    return Err(ProtocolError::Sequence(
                        "the exchange has already ended".into(),
                    ));
                }
                Phase::EchoToSend => {
                    self.phase = Phase::Receiving;
                    if let Some(Op::Echo { bytes, .. }) = &self.current {
                        return Ok(Step::Send(bytes.clone()));
                    }
                }
                Phase::Receiving => return self.recv_step(),
                Phase::Ready => {}
            }
            let Some(op) = self.ops.pop_front() else {
                self.phase = Phase::Finished;
                return match (self.finish)(&self.received) {
                    Ok(v) => Ok(Step::Done(v)),
                    Err(e) => Err(self.fail(e)),
                };
            };
            match op {
                Op::Send(bytes) => return Ok(Step::Send(bytes)),
                Op::Payload(mut bytes) => {
                    if bytes.len() > PAYLOAD_CHUNK {
                        let rest = bytes.split_off(PAYLOAD_CHUNK);
                        self.ops.push_front(Op::Payload(rest));
                    }
                    self.payload_done += bytes.len() as u64;
                    return Ok(Step::Send(bytes));
                }
                op => {
                    self.phase = if matches!(op, Op::Echo { .. }) {
                        Phase::EchoToSend
                    } else {
                        Phase::Receiving
                    };
                    self.current = Some(op);
                    self.pending.clear();
                }
            }
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), ProtocolError> {
        if !matches!(self.phase, Phase::Receiving) {
            return Err(self.fail(ProtocolError::Sequence(
                "bytes were fed while nothing was being received".into(),
            )));
        }
        self.pending.extend_from_slice(bytes);
        match self.complete_current() {
            Ok(true) => {
                self.current = None;
                self.phase = Phase::Ready;
                Ok(())
            }
            Ok(false) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn progress(&self) -> Option<Progress> {
        (self.payload_total > 0).then_some(Progress {
            done: self.payload_done,
            total: self.payload_total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_millis(10);

    fn collect(bytes: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        Ok(bytes.to_vec())
    }

    #[test]
    fn echo_then_status_then_message() {
        let mut s = Script::new(collect)
            .echo("cmd", [0xD8], T)
            .status("status", 0xFF, T)
            .recv::<u32>("value", T);
        assert_eq!(s.poll().unwrap(), Step::Send(vec![0xD8]));
        assert!(matches!(
            s.poll().unwrap(),
            Step::Recv {
                len: 1,
                what: "cmd",
                ..
            }
        ));
        s.feed(&[0xD8]).unwrap();
        assert!(matches!(s.poll().unwrap(), Step::Recv { len: 2, .. }));
        // Bytes may arrive in pieces; the script asks for the rest.
        s.feed(&[0x00]).unwrap();
        assert!(matches!(s.poll().unwrap(), Step::Recv { len: 1, .. }));
        s.feed(&[0x01]).unwrap();
        assert!(matches!(s.poll().unwrap(), Step::Recv { len: 4, .. }));
        s.feed(&[1, 2, 3, 4]).unwrap();
        assert_eq!(s.poll().unwrap(), Step::Done(vec![1, 2, 3, 4]));
        assert!(matches!(s.poll(), Err(ProtocolError::Sequence(_))));
    }

    #[test]
    fn wrong_echo_and_bad_status_fail_with_the_step_name() {
        let mut s = Script::new(collect).echo("GET_HW_CODE echo", [0xFD], T);
        s.poll().unwrap();
        s.poll().unwrap();
        let e = s.feed(&[0x00]).unwrap_err();
        assert!(
            matches!(
                e,
                ProtocolError::Echo {
                    what: "GET_HW_CODE echo",
                    ..
                }
            ),
            "{e}"
        );
        assert!(s.poll().is_err());

        let mut s = Script::new(collect).status("SEND_DA status", 0xFF, T);
        s.poll().unwrap();
        let e = s.feed(&[0x1D, 0x0D]).unwrap_err();
        assert_eq!(
            e,
            ProtocolError::Brom {
                what: "SEND_DA status",
                status: BromStatus::SlaRequired
            }
        );
    }

    #[test]
    fn payload_is_chunked_and_counted() {
        let mut s = Script::new(collect).payload(vec![7u8; PAYLOAD_CHUNK + 3]);
        assert_eq!(s.progress().unwrap().total, (PAYLOAD_CHUNK + 3) as u64);
        let Step::Send(a) = s.poll().unwrap() else {
            panic!()
        };
        assert_eq!(a.len(), PAYLOAD_CHUNK);
        let Step::Send(b) = s.poll().unwrap() else {
            panic!()
        };
        assert_eq!(b.len(), 3);
        assert_eq!(s.progress().unwrap().done, (PAYLOAD_CHUNK + 3) as u64);
        assert_eq!(s.poll().unwrap(), Step::Done(vec![]));
    }

    #[test]
    fn feeding_without_a_receive_is_a_sequence_error() {
        let mut s = Script::new(collect).send([1]);
        assert!(matches!(s.feed(&[1]), Err(ProtocolError::Sequence(_))));
    }
}
