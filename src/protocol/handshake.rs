//! The start handshake (MT6572.md §2): the host sends `A0 0A 50 05` one byte at a time and
//! the phone answers each byte with its bitwise complement (`5F F5 AF FA`).
//!
//! * [`HostHandshake`] is the host's [`Exchange`]: on a wrong byte or silence it throws away
//!   stale input and starts again with `A0`, as mtkclient's `Port.run_serial_handshake` does;
//!   after [`HANDSHAKE_MAX_ATTEMPTS`] starts it fails with what it expected and what it got.
//! * [`DeviceHandshake`] is the phone side: it answers every byte with its complement and
//!   tolerates any number of leading `A0` bytes (mtkclient floods `A0` while the phone boots).
//!
//! Sans-IO: bytes in, steps out.

use super::{
    Exchange, ProtocolError, Step,
    decisions::{HANDSHAKE_MAX_ATTEMPTS, HANDSHAKE_REPLY_TIMEOUT},
};

/// The four bytes the host sends.
pub const START_SEQUENCE: [u8; 4] = [0xA0, 0x0A, 0x50, 0x05];

/// The reply the phone sends to a handshake byte: its bitwise complement.
pub const fn reply_to(byte: u8) -> u8 {
    !byte
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostState {
    Send,
    Recv,
    Discard,
    Done,
    Failed,
}

/// The host side of the handshake; see the module documentation.
#[derive(Debug, Clone)]
pub struct HostHandshake {
    index: usize,
    state: HostState,
    attempts: u32,
    max_attempts: u32,
}

impl Default for HostHandshake {
    fn default() -> Self {
        Self::new()
    }
}

impl HostHandshake {
    /// A handshake that gives up after [`HANDSHAKE_MAX_ATTEMPTS`] starts.
    pub fn new() -> Self {
        Self::with_max_attempts(HANDSHAKE_MAX_ATTEMPTS)
    }

    /// A handshake that gives up after `max_attempts` starts (at least one).
    pub fn with_max_attempts(max_attempts: u32) -> Self {
        HostHandshake {
            index: 0,
            state: HostState::Send,
            attempts: 1,
            max_attempts: max_attempts.max(1),
        }
    }

    /// How many times the sequence has been started so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Starts over from `A0`; false when the attempts are used up.
    fn restart(&mut self) -> bool {
        if self.attempts >= self.max_attempts {
            self.state = HostState::Failed;
            return false;
        }
        self.attempts += 1;
        self.index = 0;
        self.state = HostState::Discard;
        true
    }
}

impl Exchange for HostHandshake {
    type Output = ();

    fn poll(&mut self) -> Result<Step<()>, ProtocolError> {
        match self.state {
            HostState::Send => {
                self.state = HostState::Recv;
                Ok(Step::Send(vec![START_SEQUENCE[self.index]]))
            }
            HostState::Recv => Ok(Step::Recv {
                len: 1,
                what: "start handshake",
                timeout: HANDSHAKE_REPLY_TIMEOUT,
            }),
            HostState::Discard => {
                self.state = HostState::Send;
                Ok(Step::Discard)
            }
            HostState::Done => {
                self.state = HostState::Failed;
                Ok(Step::Done(()))
            }
            HostState::Failed => Err(ProtocolError::Sequence(
                "the handshake has already ended".into(),
            )),
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), ProtocolError> {
        let [got] = bytes else {
            return Err(ProtocolError::Sequence(format!(
                "the handshake reads one byte at a time, {} were fed",
                bytes.len()
            )));
        };
        if self.state != HostState::Recv {
            return Err(ProtocolError::Sequence(
                "a handshake byte was fed while none was expected".into(),
            ));
        }
        let expected = reply_to(START_SEQUENCE[self.index]);
        if *got == expected {
            self.index += 1;
            self.state = if self.index == START_SEQUENCE.len() {
                HostState::Done
            } else {
                HostState::Send
            };
            return Ok(());
        }
        if self.restart() {
            Ok(())
        } else {
            Err(ProtocolError::Handshake {
                expected,
                got: *got,
                attempts: self.attempts,
            })
        }
    }

    fn on_timeout(&mut self) -> bool {
        self.state == HostState::Recv && self.restart()
    }
}

/// The phone side of the handshake; see the module documentation.
#[derive(Debug, Clone, Default)]
pub struct DeviceHandshake {
    index: usize,
}

impl DeviceHandshake {
    /// A phone waiting for `A0`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one byte from the host; returns the reply byte to send and whether the
    /// handshake is now complete. Rule (MT6572.md §2, device side \[U\]): a matching byte
    /// advances, an unexpected `A0` restarts at step 2, anything else restarts at step 1.
    pub fn feed(&mut self, byte: u8) -> (u8, bool) {
        if byte == START_SEQUENCE[self.index] {
            self.index += 1;
        } else if byte == START_SEQUENCE[0] {
            self.index = 1;
        } else {
            self.index = 0;
        }
        let done = self.index == START_SEQUENCE.len();
        if done {
            self.index = 0;
        }
        (reply_to(byte), done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the host against a closure that plays the phone; returns what the host sent.
    fn run(
        hs: &mut HostHandshake,
        mut phone: impl FnMut(u8) -> Option<u8>,
    ) -> Result<Vec<u8>, ProtocolError> {
        let mut sent = Vec::new();
        let mut reply = None;
        for _ in 0..10_000 {
            match hs.poll()? {
                Step::Send(b) => {
                    sent.extend_from_slice(&b);
                    reply = phone(b[0]);
                }
                Step::Recv { len: 1, .. } => match reply.take() {
                    Some(r) => hs.feed(&[r])?,
                    None => {
                        if !hs.on_timeout() {
                            return Err(ProtocolError::Sequence("timed out".into()));
                        }
                    }
                },
                Step::Discard => {}
                Step::Done(()) => return Ok(sent),
                other => panic!("unexpected step {other:?}"),
            }
        }
        panic!("handshake never ended")
    }

    #[test]
    fn reply_is_the_complement() {
        let replies: Vec<u8> = START_SEQUENCE.iter().map(|&b| reply_to(b)).collect();
        assert_eq!(replies, [0x5F, 0xF5, 0xAF, 0xFA]);
    }

    #[test]
    fn clean_handshake_sends_the_four_bytes_once() {
        let mut hs = HostHandshake::new();
        let sent = run(&mut hs, |b| Some(!b)).unwrap();
        assert_eq!(sent, START_SEQUENCE);
        assert_eq!(hs.attempts(), 1);
    }

    #[test]
    fn host_restarts_from_a0_on_mismatch() {
        // The phone answers the first 0A wrongly, then behaves.
        let mut bad_once = true;
        let mut hs = HostHandshake::new();
        let sent = run(&mut hs, |b| {
            if b == 0x0A && bad_once {
                bad_once = false;
                Some(0x00)
            } else {
                Some(!b)
            }
        })
        .unwrap();
        assert_eq!(sent, [0xA0, 0x0A, 0xA0, 0x0A, 0x50, 0x05]);
        assert_eq!(hs.attempts(), 2);
    }

    #[test]
    fn host_floods_a0_while_the_phone_is_silent() {
        // The phone boots: silent for the first five bytes.
        let mut silent = 5;
        let mut hs = HostHandshake::new();
        let sent = run(&mut hs, |b| {
            if silent > 0 {
                silent -= 1;
                None
            } else {
                Some(!b)
            }
        })
        .unwrap();
        assert_eq!(&sent[..5], &[0xA0; 5]);
        assert_eq!(&sent[5..], &START_SEQUENCE);
    }

    #[test]
    fn host_discards_input_before_each_restart() {
        let mut hs = HostHandshake::new();
        hs.poll().unwrap();
        hs.poll().unwrap();
        hs.feed(&[0x42]).unwrap();
        assert_eq!(hs.poll().unwrap(), Step::Discard);
        assert_eq!(hs.poll().unwrap(), Step::Send(vec![0xA0]));
    }

    #[test]
    fn host_gives_up_with_expected_and_got() {
        let mut hs = HostHandshake::with_max_attempts(3);
        let e = run(&mut hs, |_| Some(0x00)).unwrap_err();
        assert_eq!(
            e,
            ProtocolError::Handshake {
                expected: 0x5F,
                got: 0x00,
                attempts: 3
            }
        );
        // Silence runs out the same way, but as a timeout the caller reports.
        let mut hs = HostHandshake::with_max_attempts(2);
        assert!(run(&mut hs, |_| None).is_err());
        assert_eq!(hs.attempts(), 2);
    }

    #[test]
    fn host_rejects_out_of_order_feeding() {
        let mut hs = HostHandshake::new();
        assert!(hs.feed(&[0x5F]).is_err());
        let mut hs = HostHandshake::new();
        hs.poll().unwrap();
        hs.poll().unwrap();
        assert!(hs.feed(&[0x5F, 0xF5]).is_err());
    }

    fn device_run(bytes: &[u8]) -> (Vec<u8>, Option<usize>) {
        let mut d = DeviceHandshake::new();
        let mut out = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            let (r, done) = d.feed(b);
            out.push(r);
            if done {
                return (out, Some(i));
            }
        }
        (out, None)
    }

    #[test]
    fn device_answers_every_byte_with_its_complement() {
        let (out, done) = device_run(&START_SEQUENCE);
        assert_eq!(out, [0x5F, 0xF5, 0xAF, 0xFA]);
        assert_eq!(done, Some(3));
    }

    #[test]
    fn device_tolerates_a_leading_a0_flood() {
        let mut input = vec![0xA0; 37];
        input.extend_from_slice(&START_SEQUENCE[1..]);
        let (out, done) = device_run(&input);
        assert_eq!(done, Some(input.len() - 1));
        assert!(out[..37].iter().all(|&b| b == 0x5F));
    }

    #[test]
    fn device_restarts_after_garbage_and_mid_sequence_a0() {
        // Garbage, a broken attempt, an A0 in the middle, then a clean finish.
        let input = [
            0x13, 0x37, 0xA0, 0x0A, 0x99, 0xA0, 0x0A, 0xA0, 0x0A, 0x50, 0x05,
        ];
        let (out, done) = device_run(&input);
        assert_eq!(done, Some(input.len() - 1));
        assert_eq!(out.len(), input.len());
        assert!(out.iter().zip(input).all(|(&o, i)| o == !i));
        // Without the final 05 it is not done.
        assert_eq!(device_run(&input[..input.len() - 1]).1, None);
    }

    #[test]
    fn host_and_device_complete_together_after_noise() {
        // The phone's line carries a garbage byte first; the host restarts and succeeds.
        let mut dev = DeviceHandshake::new();
        let mut noise = Some(0xEE);
        let mut connected = false;
        let mut hs = HostHandshake::new();
        run(&mut hs, |b| {
            let (r, done) = dev.feed(b);
            connected |= done;
            Some(noise.take().unwrap_or(r))
        })
        .unwrap();
        assert!(connected);
        assert_eq!(hs.attempts(), 2);
    }
}
