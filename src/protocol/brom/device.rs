//! The phone side of the BootROM / preloader commands (MT6572.md §3): [`BromDevice`], fed the
//! host's bytes, answers the handshake and the echoes by itself and asks its owner (the
//! simulator) for every real answer: [`BromDevice::pending`] shows the [`BromRequest`],
//! [`BromDevice::answer`] takes the [`BromAnswer`].
//!
//! The state machine only: the command table, the reply layouts and the host's scripts are in
//! [`super`], so both ends read one table. It holds no storage and no device facts: those
//! come in the owner's answers. Sans-IO.

use super::{
    BromCommand, DaUploadReply, HwCode, HwSwVer, MeId, Read32Reply, STATUS_OK_MAX, TargetConfig,
    WRITE32_FIRST_STATUS_MAX,
};
use crate::protocol::{ProtocolError, checksum::Xor16, handshake::DeviceHandshake, wire::Wire};

/// A complete request the phone must answer ([`BromDevice::pending`], then
/// [`BromDevice::answer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BromRequest {
    /// FD; answer [`BromAnswer::HwCode`].
    GetHwCode,
    /// FC; answer [`BromAnswer::HwSwVer`].
    GetHwSwVer,
    /// FE; answer [`BromAnswer::Byte`] (a BROM answers 0xFE).
    GetBlVer,
    /// FF; answer [`BromAnswer::Byte`] (a preloader answers 0xFF).
    GetBromVer,
    /// D8; answer [`BromAnswer::TargetConfig`].
    GetTargetConfig,
    /// E1; answer [`BromAnswer::MeId`].
    GetMeId,
    /// D4 header; answer [`BromAnswer::Status`] (at most [`WRITE32_FIRST_STATUS_MAX`] to
    /// receive the values).
    Write32 {
        /// First address.
        addr: u32,
        /// Number of words that follow.
        count: u32,
    },
    /// One D4 value, already echoed; answer [`BromAnswer::Status`].
    Write32Value {
        /// The address of this word.
        addr: u32,
        /// The value to store.
        value: u32,
    },
    /// D1; answer [`BromAnswer::Read32`] with `count` values.
    Read32 {
        /// First address.
        addr: u32,
        /// Number of words.
        count: u32,
    },
    /// D7 header; answer [`BromAnswer::Status`] (at most 0xFF to receive the payload, which
    /// then arrives as [`BromEvent::DaData`]).
    SendDa {
        /// Load address.
        addr: u32,
        /// Payload length, signature included.
        len: u32,
        /// Signature length.
        sig_len: u32,
    },
    /// The whole D7 payload is in; answer [`BromAnswer::DaReceived`].
    DaReceived {
        /// XOR16 of the payload, as the phone computes it.
        checksum: u16,
    },
    /// D5; answer [`BromAnswer::Status`] (0 starts the DA: the BROM side is then over).
    JumpDa {
        /// Jump address.
        addr: u32,
    },
}

/// What [`BromDevice::feed`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BromEvent<'a> {
    /// The handshake has just completed.
    Connected,
    /// A piece of a D7 payload (already counted in the checksum). After the last piece,
    /// [`BromDevice::pending`] shows [`BromRequest::DaReceived`].
    DaData(&'a [u8]),
    /// A byte that is not a known command; it was dropped without a reply (decision B3).
    Ignored(u8),
}

/// The phone's answers, one per [`BromRequest`] kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BromAnswer {
    /// For [`BromRequest::GetHwCode`].
    HwCode(HwCode),
    /// For [`BromRequest::GetHwSwVer`].
    HwSwVer(HwSwVer),
    /// For [`BromRequest::GetBlVer`] and [`BromRequest::GetBromVer`].
    Byte(u8),
    /// For [`BromRequest::GetTargetConfig`].
    TargetConfig(TargetConfig),
    /// For [`BromRequest::GetMeId`].
    MeId(MeId),
    /// For WRITE32 (header and values), SEND_DA header and JUMP_DA.
    Status(u16),
    /// For [`BromRequest::Read32`].
    Read32(Read32Reply),
    /// For [`BromRequest::DaReceived`].
    DaReceived(DaUploadReply),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DevState {
    Handshake,
    Idle,
    Args { cmd: BromCommand, have: Vec<u8> },
    Write32Value { addr: u32, left: u32, have: Vec<u8> },
    DaData { left: u32, xor: Xor16 },
    Answer { req: BromRequest, left: u32 },
    Jumped,
}

/// The phone side of the BROM protocol; see the module documentation.
///
/// Use: feed the host's bytes with [`feed`](BromDevice::feed) (it may consume only part of
/// them); after each call answer whatever [`pending`](BromDevice::pending) shows with
/// [`answer`](BromDevice::answer), and send [`take_output`](BromDevice::take_output) to the
/// host. Feeding while a request is pending is an error.
#[derive(Debug, Clone)]
pub struct BromDevice {
    state: DevState,
    handshake: DeviceHandshake,
    out: Vec<u8>,
}

impl Default for BromDevice {
    fn default() -> Self {
        Self::new()
    }
}

impl BromDevice {
    /// A phone in BROM/preloader mode, waiting for the handshake.
    pub fn new() -> Self {
        BromDevice {
            state: DevState::Handshake,
            handshake: DeviceHandshake::new(),
            out: Vec::new(),
        }
    }

    /// Bytes to send to the host (echoes, handshake replies, encoded answers).
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// The request waiting for an answer, if any.
    pub fn pending(&self) -> Option<BromRequest> {
        match &self.state {
            DevState::Answer { req, .. } => Some(*req),
            _ => None,
        }
    }

    /// True once a JUMP_DA was answered with status 0: the DA runs now (see `da::DaDevice`).
    pub fn jumped(&self) -> bool {
        self.state == DevState::Jumped
    }

    /// Takes bytes from the host. Returns how many were consumed and what happened.
    pub fn feed<'a>(
        &mut self,
        input: &'a [u8],
    ) -> Result<(usize, Option<BromEvent<'a>>), ProtocolError> {
        let Some(&first) = input.first() else {
            return Ok((0, None));
        };
        match &mut self.state {
            DevState::Handshake => {
                for (i, &b) in input.iter().enumerate() {
                    let (reply, done) = self.handshake.feed(b);
                    self.out.push(reply);
                    if done {
                        self.state = DevState::Idle;
                        return Ok((i + 1, Some(BromEvent::Connected)));
                    }
                }
                Ok((input.len(), None))
            }
            DevState::Idle => {
                let Some(cmd) = BromCommand::from_byte(first) else {
                    return Ok((1, Some(BromEvent::Ignored(first))));
                };
                if cmd.echoes() {
                    self.out.push(first);
                }
                if cmd.arg_count() == 0 {
                    let req = match cmd {
                        BromCommand::GetHwCode => BromRequest::GetHwCode,
                        BromCommand::GetHwSwVer => BromRequest::GetHwSwVer,
                        BromCommand::GetBlVer => BromRequest::GetBlVer,
                        BromCommand::GetBromVer => BromRequest::GetBromVer,
                        BromCommand::GetTargetConfig => BromRequest::GetTargetConfig,
                        _ => BromRequest::GetMeId,
                    };
                    self.ask(req, 0);
                    return Ok((1, None));
                }
                self.state = DevState::Args {
                    cmd,
                    have: Vec::new(),
                };
                Ok((1, None))
            }
            DevState::Args { cmd, have } => {
                let cmd = *cmd;
                let n = take_word(have, input, &mut self.out);
                if have.len() < cmd.arg_count() * 4 {
                    return Ok((n, None));
                }
                let a: Vec<u32> = have
                    .chunks_exact(4)
                    .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
                    .collect();
                let req = match cmd {
                    BromCommand::Write32 => BromRequest::Write32 {
                        addr: a[0],
                        count: a[1],
                    },
                    BromCommand::Read32 => BromRequest::Read32 {
                        addr: a[0],
                        count: a[1],
                    },
                    BromCommand::SendDa => BromRequest::SendDa {
                        addr: a[0],
                        len: a[1],
                        sig_len: a[2],
                    },
                    _ => BromRequest::JumpDa { addr: a[0] },
                };
                self.ask(req, 0);
                Ok((n, None))
            }
            DevState::Write32Value { addr, left, have } => {
                let (addr, left) = (*addr, *left);
                let n = take_word(have, input, &mut self.out);
                if have.len() < 4 {
                    return Ok((n, None));
                }
                let value = u32::from_be_bytes([have[0], have[1], have[2], have[3]]);
                let req = BromRequest::Write32Value { addr, value };
                self.ask(req, left);
                Ok((n, None))
            }
            DevState::DaData { left, xor } => {
                let n = input.len().min(*left as usize);
                let data = &input[..n];
                xor.update(data);
                *left -= n as u32;
                if *left == 0 {
                    let checksum = xor.value();
                    self.state = DevState::Answer {
                        req: BromRequest::DaReceived { checksum },
                        left: 0,
                    };
                }
                Ok((n, Some(BromEvent::DaData(data))))
            }
            DevState::Answer { req, .. } => Err(ProtocolError::Sequence(format!(
                "the phone was fed bytes before answering {req:?}"
            ))),
            DevState::Jumped => Err(ProtocolError::Sequence(
                "the BROM has jumped to the DA; feed the DA machine instead".into(),
            )),
        }
    }

    fn ask(&mut self, req: BromRequest, left: u32) {
        self.state = DevState::Answer { req, left };
    }

    /// Answers the pending request; the encoded answer is added to the output.
    pub fn answer(&mut self, answer: BromAnswer) -> Result<(), ProtocolError> {
        let DevState::Answer { req, left } = self.state.clone() else {
            return Err(ProtocolError::Sequence(
                "an answer was given while no request was pending".into(),
            ));
        };
        let next = match (req, &answer) {
            (BromRequest::GetHwCode, BromAnswer::HwCode(a)) => self.emit(a, DevState::Idle),
            (BromRequest::GetHwSwVer, BromAnswer::HwSwVer(a)) => self.emit(a, DevState::Idle),
            (BromRequest::GetBlVer | BromRequest::GetBromVer, BromAnswer::Byte(b)) => {
                self.emit(b, DevState::Idle)
            }
            (BromRequest::GetTargetConfig, BromAnswer::TargetConfig(a)) => {
                self.emit(a, DevState::Idle)
            }
            (BromRequest::GetMeId, BromAnswer::MeId(a)) => self.emit(a, DevState::Idle),
            (BromRequest::Read32 { .. }, BromAnswer::Read32(a)) => {
                self.out.extend_from_slice(&a.to_bytes());
                DevState::Idle
            }
            (BromRequest::DaReceived { .. }, BromAnswer::DaReceived(a)) => {
                self.emit(a, DevState::Idle)
            }
            (BromRequest::Write32 { addr, count }, BromAnswer::Status(s)) => {
                let next = if *s <= WRITE32_FIRST_STATUS_MAX && count > 0 {
                    DevState::Write32Value {
                        addr,
                        left: count,
                        have: Vec::new(),
                    }
                } else {
                    DevState::Idle
                };
                self.emit(s, next)
            }
            (BromRequest::Write32Value { addr, .. }, BromAnswer::Status(s)) => {
                let next = if *s <= STATUS_OK_MAX && left > 1 {
                    DevState::Write32Value {
                        addr: addr.wrapping_add(4),
                        left: left - 1,
                        have: Vec::new(),
                    }
                } else {
                    DevState::Idle
                };
                self.emit(s, next)
            }
            (BromRequest::SendDa { len, .. }, BromAnswer::Status(s)) => {
                let next = if *s > STATUS_OK_MAX {
                    DevState::Idle
                } else if len == 0 {
                    DevState::Answer {
                        req: BromRequest::DaReceived { checksum: 0 },
                        left: 0,
                    }
                } else {
                    DevState::DaData {
                        left: len,
                        xor: Xor16::new(),
                    }
                };
                self.emit(s, next)
            }
            (BromRequest::JumpDa { .. }, BromAnswer::Status(s)) => {
                let next = if *s == 0 {
                    DevState::Jumped
                } else {
                    DevState::Idle
                };
                self.emit(s, next)
            }
            (req, answer) => {
                return Err(ProtocolError::Sequence(format!(
                    "{answer:?} does not answer {req:?}"
                )));
            }
        };
        self.state = next;
        Ok(())
    }

    fn emit<W: Wire>(&mut self, msg: &W, next: DevState) -> DevState {
        msg.encode(&mut self.out);
        next
    }
}

/// Moves bytes from `input` into `have` up to the next 4-byte boundary; echoes each word as
/// it completes. Returns how many bytes were taken.
fn take_word(have: &mut Vec<u8>, input: &[u8], out: &mut Vec<u8>) -> usize {
    let n = (4 - have.len() % 4).min(input.len());
    have.extend_from_slice(&input[..n]);
    if have.len().is_multiple_of(4) {
        out.extend_from_slice(&have[have.len() - 4..]);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::brom::tests::connected;

    #[test]
    fn device_echoes_arguments_split_across_feeds() {
        let mut dev = connected();
        let bytes = [0xD5, 0x02, 0x00, 0x70, 0x00];
        for (i, b) in bytes.iter().enumerate() {
            let (n, ev) = dev.feed(std::slice::from_ref(b)).unwrap();
            assert_eq!((n, ev), (1, None));
            if i < 4 {
                assert_eq!(dev.pending(), None);
            } else {
                assert_eq!(
                    dev.pending(),
                    Some(BromRequest::JumpDa { addr: 0x0200_7000 })
                );
            }
        }
        assert_eq!(dev.take_output(), bytes);
    }

    #[test]
    fn device_ignores_unknown_bytes_and_rejects_wrong_answers() {
        let mut dev = connected();
        assert_eq!(
            dev.feed(&[0x42, 0xFD]).unwrap(),
            (1, Some(BromEvent::Ignored(0x42)))
        );
        assert!(dev.take_output().is_empty());
        assert!(
            dev.answer(BromAnswer::Status(0)).is_err(),
            "nothing pending"
        );
        dev.feed(&[0xFD]).unwrap();
        assert_eq!(dev.pending(), Some(BromRequest::GetHwCode));
        assert!(dev.answer(BromAnswer::Byte(1)).is_err(), "wrong kind");
        assert!(dev.feed(&[0xFD]).is_err(), "answer first");
    }
}
