//! The host's side of the legacy DA flows (MT6572.md §5), as [`Exchange`] step machines.
//!
//! Linear flows are [`Script`]s ([`da_sync`], [`upload_da2`], [`usb_check`],
//! [`switch_part`]); flows with loops or optional steps have small machines of their own
//! ([`PmtRead`], [`Finish`], and, in `storage.rs`, the data commands [`Readback`], [`Write`],
//! [`Format`]). Storage data is streamed through [`Step::RecvData`] and [`Step::SendData`]:
//! no machine holds an image. eMMC and NAND (decision D5 and the NAND decisions). Sans-IO.

use super::{
    ACK, DA2_PACKET, Da1Report, Da2Header, Da2Report, DaRequest, EmmcPart, NACK, Refusal, SYNC,
    UsbStatus,
};
use crate::protocol::{
    Exchange, Hex, ProtocolError, Step,
    decisions::{
        DA_REPLY_TIMEOUT, DA_SYNC_TIMEOUT, DA2_REPORT_TIMEOUT, FINISH_ACK_TIMEOUT, data_timeout,
    },
    script::Script,
    wire::{Reader, Wire},
};

mod storage;

pub use storage::{
    FORMAT_COMPLETE, Format, Readback, ReadbackSummary, Write, format, nand_format, nand_readback,
    nand_write, readback, write,
};

fn expect_byte(what: &'static str, expected: u8, got: &[u8]) -> Result<(), ProtocolError> {
    if got == [expected] {
        Ok(())
    } else {
        Err(ProtocolError::Unexpected {
            what,
            expected: Hex(vec![expected]),
            got: Hex::of(got),
        })
    }
}

fn ended<T>() -> Result<Step<T>, ProtocolError> {
    Err(ProtocolError::Sequence(
        "the exchange has already ended".into(),
    ))
}

fn out_of_order() -> ProtocolError {
    ProtocolError::Sequence("bytes were fed while nothing was being received".into())
}

/// What DA1 says right after the jump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Da1Info {
    /// The storage report.
    pub report: Da1Report,
    /// The three bytes after the host's ack (DA version and chip id, decision D2).
    pub da_version: [u8; 3],
}

/// After JUMP_DA: the sync byte C0, the DA1 storage report, the host's ack, and three more
/// bytes (§5.2 \[V\]).
pub fn da_sync() -> Script<Da1Info> {
    fn finish(b: &[u8]) -> Result<Da1Info, ProtocolError> {
        let mut r = Reader::new(b);
        let report = Da1Report::decode(&mut r).map_err(|e| e.finalize(Da1Report::WHAT))?;
        let da_version = r.array().map_err(|e| e.finalize("DA version bytes"))?;
        Ok(Da1Info { report, da_version })
    }
    Script::new(finish)
        .expect("DA sync", [SYNC], DA_SYNC_TIMEOUT)
        .recv::<Da1Report>("DA1 storage report", DA_SYNC_TIMEOUT)
        .send([ACK])
        .recv_exact("DA version bytes", 3, DA_REPLY_TIMEOUT)
}

/// Uploads DA2 through the running DA1 in 0x1000-byte packets, each acked, then reads the DA2
/// storage report (§5.6, §5.7 \[V\]).
pub fn upload_da2(addr: u32, payload: &[u8]) -> Script<Da2Report> {
    let header = Da2Header {
        addr,
        len: payload.len() as u32,
        packet: DA2_PACKET,
    };
    let mut s = Script::new(Da2Report::from_exact)
        .send(header.to_bytes())
        .expect("DA2 upload header ack", [ACK], DA_REPLY_TIMEOUT);
    for chunk in payload.chunks(DA2_PACKET as usize) {
        s = s
            .payload(chunk.to_vec())
            .expect("DA2 packet ack", [ACK], DA_REPLY_TIMEOUT);
    }
    s.send([ACK])
        .expect("DA2 final ack", [ACK], DA2_REPORT_TIMEOUT)
        .recv::<Da2Report>("DA2 storage report", DA2_REPORT_TIMEOUT)
}

/// 0x72 USB_CHECK_STATUS: `5A speed` (§5.8).
pub fn usb_check() -> Script<UsbStatus> {
    Script::new(UsbStatus::from_exact)
        .send(DaRequest::UsbCheck.to_bytes())
        .recv::<UsbStatus>("USB status", DA_REPLY_TIMEOUT)
}

/// 0x60 SDMMC_SWITCH_PART: selects the eMMC partition for the following commands (§5.8).
pub fn switch_part(part: EmmcPart) -> Script<()> {
    Script::new(|_| Ok(()))
        .send(DaRequest::SwitchPart.to_bytes())
        .expect("switch partition", [ACK], DA_REPLY_TIMEOUT)
        .send([part.id()])
        .expect("switch partition ack", [ACK], DA_REPLY_TIMEOUT)
}

// ---------------------------------------------------------------------------------------------

/// The status a NAND phone sends after refusing with `A5` (decision N4): big-endian.
/// The error for a [`Refusal`] of `what` whose `A5` was read on its own; `status` is the rest.
fn refusal(what: &'static str, status: &[u8]) -> ProtocolError {
    let mut bytes = vec![NACK];
    bytes.extend_from_slice(status);
    match Refusal::from_exact(&bytes) {
        Ok(r) => r.error(what),
        Err(e) => e,
    }
}

/// The step that reads a [`Refusal`]'s status after its `A5`.
fn refusal_step<T>() -> Step<T> {
    Step::Recv {
        len: Refusal::STATUS_LEN,
        what: "refusal status",
        timeout: DA_REPLY_TIMEOUT,
    }
}

// ---------------------------------------------------------------------------------------------

/// The largest PMT answer accepted: 1 MiB (real tables are a few KiB).
pub const PMT_MAX_LEN: u32 = 0x10_0000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PmtState {
    Cmd,
    Ack,
    Refused,
    Len,
    LenAck,
    Data,
    DataAck,
    Done,
    Over,
}

/// 0xA5 SDMMC_READ_PMT (§5.8 \[V\]): `5A`, a length, the host's ack, the table, the host's ack;
/// or a [`Refusal`] in place of the `5A` (decision D13). The result is the raw table;
/// [`super::parse_pmt`] reads it.
#[derive(Debug, Clone)]
pub struct PmtRead {
    state: PmtState,
    len: u32,
    data: Vec<u8>,
}

/// Starts a PMT read; see [`PmtRead`].
pub fn read_pmt() -> PmtRead {
    PmtRead {
        state: PmtState::Cmd,
        len: 0,
        data: Vec::new(),
    }
}

impl Exchange for PmtRead {
    type Output = Vec<u8>;

    fn poll(&mut self) -> Result<Step<Vec<u8>>, ProtocolError> {
        Ok(match self.state {
            PmtState::Cmd => {
                self.state = PmtState::Ack;
                Step::Send(DaRequest::ReadPmt.to_bytes())
            }
            PmtState::Ack => Step::Recv {
                len: 1,
                what: "PMT ack",
                timeout: DA_REPLY_TIMEOUT,
            },
            PmtState::Refused => refusal_step(),
            PmtState::Len => Step::Recv {
                len: 4,
                what: "PMT length",
                timeout: DA_REPLY_TIMEOUT,
            },
            PmtState::LenAck => {
                self.state = if self.len == 0 {
                    PmtState::DataAck
                } else {
                    PmtState::Data
                };
                Step::Send(vec![ACK])
            }
            PmtState::Data => Step::Recv {
                len: self.len as usize,
                what: "PMT data",
                timeout: data_timeout(self.len as usize),
            },
            PmtState::DataAck => {
                self.state = PmtState::Done;
                Step::Send(vec![ACK])
            }
            PmtState::Done => {
                self.state = PmtState::Over;
                Step::Done(std::mem::take(&mut self.data))
            }
            PmtState::Over => return ended(),
        })
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), ProtocolError> {
        let state = self.state;
        self.state = PmtState::Over;
        self.state = match state {
            PmtState::Ack if bytes == [NACK] => PmtState::Refused,
            PmtState::Ack => {
                expect_byte("PMT ack", ACK, bytes)?;
                PmtState::Len
            }
            PmtState::Refused => {
                return Err(refusal(DaRequest::name_of(DaRequest::READ_PMT), bytes));
            }
            PmtState::Len => {
                self.len = u32::from_exact(bytes)?;
                if self.len > PMT_MAX_LEN {
                    return Err(ProtocolError::Malformed {
                        what: "PMT length",
                        detail: format!("{} bytes is not plausible", self.len),
                    });
                }
                PmtState::LenAck
            }
            PmtState::Data if bytes.len() == self.len as usize => {
                self.data = bytes.to_vec();
                PmtState::DataAck
            }
            _ => return Err(out_of_order()),
        };
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FinState {
    Cmd,
    Ack,
    Refused,
    Mode,
    ModeAck,
    Done,
    Over,
}

/// Boot mode word of FINISH: normal boot.
pub const FINISH_MODE_NORMAL: u32 = 0;

/// 0xD9 FINISH (§5.8): `D9`, the phone's 5A, the mode word, and an ack that may never come
/// because the phone is already rebooting (decision D9). The phone may send a [`Refusal`] in
/// place of its 5A (decision D13).
#[derive(Debug, Clone)]
pub struct Finish {
    state: FinState,
    mode: u32,
}

/// Ends the DA session and reboots the phone in `mode`; see [`Finish`].
pub fn finish(mode: u32) -> Finish {
    Finish {
        state: FinState::Cmd,
        mode,
    }
}

impl Exchange for Finish {
    type Output = ();

    fn poll(&mut self) -> Result<Step<()>, ProtocolError> {
        Ok(match self.state {
            FinState::Cmd => {
                self.state = FinState::Ack;
                Step::Send(DaRequest::Finish.to_bytes())
            }
            FinState::Ack => Step::Recv {
                len: 1,
                what: "finish ack",
                timeout: DA_REPLY_TIMEOUT,
            },
            FinState::Refused => refusal_step(),
            FinState::Mode => {
                self.state = FinState::ModeAck;
                Step::Send(self.mode.to_be_bytes().to_vec())
            }
            FinState::ModeAck => Step::Recv {
                len: 1,
                what: "finish mode ack",
                timeout: FINISH_ACK_TIMEOUT,
            },
            FinState::Done => {
                self.state = FinState::Over;
                Step::Done(())
            }
            FinState::Over => return ended(),
        })
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), ProtocolError> {
        let state = self.state;
        self.state = FinState::Over;
        self.state = match state {
            FinState::Ack if bytes == [NACK] => FinState::Refused,
            FinState::Ack => {
                expect_byte("finish ack", ACK, bytes)?;
                FinState::Mode
            }
            FinState::Refused => return Err(refusal(DaRequest::name_of(DaRequest::FINISH), bytes)),
            // Whatever arrives, the phone is leaving download mode.
            FinState::ModeAck => FinState::Done,
            _ => return Err(out_of_order()),
        };
        Ok(())
    }

    fn on_timeout(&mut self) -> bool {
        if self.state == FinState::ModeAck {
            self.state = FinState::Done;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{DaStatus, da::FormatProgress};

    /// Plays a scripted phone: each Recv takes the next bytes of `phone`; returns the host's
    /// bytes, the sink, and the result.
    pub(super) fn run<E: Exchange>(
        ex: &mut E,
        phone: &[u8],
        source: &[u8],
    ) -> (Result<E::Output, ProtocolError>, Vec<u8>, Vec<u8>) {
        run_in_pieces(ex, phone, source, usize::MAX)
    }

    /// [`run`], reporting storage data (RecvData, SendData) in pieces of at most `piece`
    /// bytes, as a driver may.
    pub(super) fn run_in_pieces<E: Exchange>(
        ex: &mut E,
        phone: &[u8],
        source: &[u8],
        piece: usize,
    ) -> (Result<E::Output, ProtocolError>, Vec<u8>, Vec<u8>) {
        let (mut host, mut sink) = (Vec::new(), Vec::new());
        let (mut p, mut s) = (0usize, 0usize);
        loop {
            let step = match ex.poll() {
                Ok(step) => step,
                Err(e) => return (Err(e), host, sink),
            };
            let r = match step {
                Step::Send(b) => {
                    host.extend_from_slice(&b);
                    Ok(())
                }
                Step::Recv { len, .. } | Step::RecvData { len, .. } => {
                    if p + len > phone.len() {
                        if ex.on_timeout() {
                            continue;
                        }
                        return (Err(ProtocolError::Sequence("timeout".into())), host, sink);
                    }
                    let got = &phone[p..p + len];
                    p += len;
                    if matches!(step, Step::RecvData { .. }) {
                        sink.extend_from_slice(got);
                        got.chunks(piece).try_for_each(|c| ex.feed(c))
                    } else {
                        ex.feed(got)
                    }
                }
                Step::SendData { len } => {
                    let chunk = &source[s..s + len];
                    s += len;
                    host.extend_from_slice(chunk);
                    chunk.chunks(piece).try_for_each(|c| ex.data_sent(c))
                }
                Step::Discard => Ok(()),
                Step::Done(v) => {
                    assert_eq!(p, phone.len(), "unread phone bytes");
                    return (Ok(v), host, sink);
                }
            };
            if let Err(e) = r {
                return (Err(e), host, sink);
            }
        }
    }

    #[test]
    fn sync_reads_report_and_acks() {
        let report = Da1Report {
            nand_ret: 0xBC4,
            nand_ids: vec![0; 5],
            emmc_ret: 0,
            emmc_cid: [0x15; 16],
        };
        let mut phone = vec![SYNC];
        phone.extend_from_slice(&report.to_bytes());
        phone.extend_from_slice(&[3, 2, 0]);
        let (r, host, _) = run(&mut da_sync(), &phone, &[]);
        let info = r.unwrap();
        assert_eq!(info.report, report);
        assert_eq!(info.da_version, [3, 2, 0]);
        assert_eq!(host, [ACK]);
        // A wrong first byte is "Error on DA sync".
        let (r, _, _) = run(&mut da_sync(), &[0x00], &[]);
        assert!(matches!(
            r,
            Err(ProtocolError::Unexpected {
                what: "DA sync",
                ..
            })
        ));
    }

    #[test]
    fn da2_upload_packets_and_acks() {
        let payload = vec![0xAB; 0x1123];
        let (report, report_bytes) = super::super::report::tests::spec_da2_report();
        let mut phone = vec![ACK, ACK, ACK, ACK];
        phone.extend_from_slice(&report_bytes);
        let (r, host, _) = run(&mut upload_da2(0x8000_0000, &payload), &phone, &[]);
        assert_eq!(r.unwrap(), report);
        assert_eq!(
            &host[..12],
            &[0x80, 0, 0, 0, 0, 0, 0x11, 0x23, 0, 0, 0x10, 0]
        );
        assert_eq!(&host[12..12 + 0x1123], &payload[..]);
        assert_eq!(&host[12 + 0x1123..], &[ACK]);
        // A NACK after a packet stops the upload.
        let (r, _, _) = run(&mut upload_da2(0x8000_0000, &payload), &[ACK, NACK], &[]);
        assert!(matches!(
            r,
            Err(ProtocolError::Unexpected {
                what: "DA2 packet ack",
                ..
            })
        ));
    }

    #[test]
    fn usb_check_and_switch_part() {
        let (r, host, _) = run(&mut usb_check(), &[ACK, 1], &[]);
        assert_eq!((r.unwrap().speed, host), (1, vec![0x72]));
        let (r, host, _) = run(&mut switch_part(EmmcPart::User), &[ACK, ACK], &[]);
        r.unwrap();
        assert_eq!(host, [0x60, 0x08]);
    }

    #[test]
    fn pmt_read_acks_twice() {
        let table = super::super::encode_pmt(&[super::super::PmtEntry {
            name: "BOOTIMG".into(),
            size: 0x60_0000,
            mask_flags: 0xFF,
            offset: 0x1D8_0000,
        }]);
        let mut phone = vec![ACK];
        phone.extend_from_slice(&(table.len() as u32).to_be_bytes());
        phone.extend_from_slice(&table);
        let (r, host, _) = run(&mut read_pmt(), &phone, &[]);
        let got = r.unwrap();
        assert_eq!(got, table);
        assert_eq!(host, [0xA5, ACK, ACK]);
        assert_eq!(super::super::parse_pmt(&got).unwrap()[0].name, "BOOTIMG");
        let (r, _, _) = run(&mut read_pmt(), &[ACK, 0xFF, 0, 0, 0], &[]);
        assert!(matches!(r, Err(ProtocolError::Malformed { .. })));
    }

    #[test]
    fn finish_tolerates_a_missing_last_ack() {
        let (r, host, _) = run(&mut finish(FINISH_MODE_NORMAL), &[ACK, ACK], &[]);
        r.unwrap();
        assert_eq!(host, [0xD9, 0, 0, 0, 0]);
        let (r, _, _) = run(&mut finish(FINISH_MODE_NORMAL), &[ACK], &[]);
        r.unwrap();
        let (r, _, _) = run(&mut finish(FINISH_MODE_NORMAL), &[NACK], &[]);
        assert!(r.is_err());
    }

    #[test]
    fn refusals_with_a_status_name_the_command() {
        let refusal = Refusal { status: 3020 }.to_bytes();
        assert_eq!(refusal, [NACK, 0, 0, 0x0B, 0xCC]);
        let named = |what| ProtocolError::Da {
            what,
            status: DaStatus::Timeout,
        };
        let (r, _, _) = run(&mut usb_check(), &refusal, &[]);
        assert_eq!(r.unwrap_err(), named("USB_CHECK_STATUS"));
        let (r, _, _) = run(&mut format(0, 0x200), &refusal, &[]);
        assert_eq!(r.unwrap_err(), named("FORMAT"));
        let (r, host, _) = run(&mut read_pmt(), &refusal, &[]);
        assert_eq!(r.unwrap_err(), named("READ_PMT"));
        assert_eq!(host, [0xA5], "no ack after a refusal");
        let (r, host, _) = run(&mut finish(0), &refusal, &[]);
        assert_eq!(r.unwrap_err(), named("FINISH"));
        assert_eq!(host, [0xD9], "no mode word after a refusal");
        // In place of a later progress report.
        let mut phone = FormatProgress {
            init: 0,
            percent: 40,
        }
        .to_bytes();
        phone.extend_from_slice(&refusal);
        let (r, host, _) = run(&mut format(0, 0x200), &phone, &[]);
        assert_eq!(r.unwrap_err(), named("FORMAT"));
        assert_eq!(host.last(), Some(&ACK));
    }

    #[test]
    fn machines_refuse_to_run_past_their_end() {
        let mut f = finish(0);
        assert!(f.feed(&[ACK]).is_err());
        assert!(f.poll().is_err(), "an error ends the exchange");
        let mut rb = readback(0, 0);
        assert!(matches!(rb.poll(), Ok(Step::Done(_))));
        assert!(rb.poll().is_err());
    }
}
