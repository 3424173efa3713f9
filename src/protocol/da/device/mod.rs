//! The phone's side of the legacy DA (MT6572.md §5): [`DaDevice`] parses what the host sends
//! and frames what the phone answers, so that the simulator only supplies the content (its
//! storage, its reports). Every layout comes from the parent module's [`Wire`] types, the same
//! ones the host uses. Sans-IO.
//!
//! Use: after the BROM's JUMP_DA, call [`DaDevice::start`] with the DA1 report. Then, in a
//! loop: [`feed`](DaDevice::feed) the host's bytes (it may consume only part of them), handle
//! the [`DaEvent`] (data arriving), answer every [`DaAsk`] that [`pending`](DaDevice::pending)
//! shows with [`answer`](DaDevice::answer) (an answer can raise the next ask at once, e.g. the
//! next readback packet), and send [`take_output`](DaDevice::take_output) to the host.
//!
//! This file holds the questions and answers, the state and the parsing of the host's bytes;
//! `answer.rs` checks a complete command and frames the owner's answers.

use super::{
    ACK, Da1Report, Da2Header, Da2Report, DaConfig, DaRequest, FORMAT_DONE, FormatProgress,
    FormatRequest, NACK, NandGeometry, NandReadFlag, NandReadbackRequest, ReadbackRequest, SYNC,
    UNKNOWN_CMD, UsbStatus, WriteRequest,
    dram::{EmiAsk, EmiDevice, EmiRequest, RamResult},
    host::FORMAT_COMPLETE,
};
use crate::protocol::{
    DaStatus, Hex, ProtocolError,
    checksum::Sum16,
    wire::{DecodeError, Put, Wire},
};

mod answer;

/// A question the phone's owner must answer; see [`DaAnswer`] for what fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaAsk {
    /// The host's configuration block; answer [`DaAnswer::DramResult`] (0 = ready) or
    /// [`DaAnswer::NeedEmi`] (0xBC3 and the EMI exchange, §5.5).
    Config(DaConfig),
    /// ENABLE_DRAM with this EMI version; answer `Ack` to go on or `Nack` (A5) to refuse.
    EnableDram(u32),
    /// The host's EMI bytes (as many as the DA announced) and the RAM setup word are in;
    /// answer [`DaAnswer::RamResult`] (0 goes on to the DA2 upload).
    EmiSettings(Vec<u8>),
    /// The DA2 upload header; answer [`DaAnswer::Ack`] or [`DaAnswer::Nack`].
    Da2Upload(Da2Header),
    /// A DA2 packet is complete (`received` bytes so far); answer `Ack` or `Nack`.
    Da2Packet {
        /// Bytes of DA2 received so far.
        received: u32,
    },
    /// DA2 is in and the host acked; answer [`DaAnswer::Da2Report`].
    Da2Complete,
    /// 0x72; answer [`DaAnswer::UsbStatus`] or [`DaAnswer::Refused`] (decision D13).
    UsbCheck,
    /// 0x60 with its partition id; answer `Ack` or `Nack`.
    SwitchPart {
        /// eMMC partition id (8 = user).
        part: u8,
    },
    /// 0xD6; answer `Ack` (packets follow) or [`DaAnswer::ReadbackRefused`].
    Readback(ReadbackRequest),
    /// The next readback packet; answer [`DaAnswer::Data`] (or [`DaAnswer::SummedData`])
    /// with exactly `len` bytes.
    ReadbackPacket {
        /// Byte offset of the packet.
        addr: u64,
        /// Its length.
        len: u32,
    },
    /// 0xDF, already checked against the NAND geometry (decision N5); answer `Ack` (the page
    /// layout and packets follow) or [`DaAnswer::ReadbackRefused`].
    NandReadback(NandReadbackRequest),
    /// The next NAND readback packet; answer [`DaAnswer::Data`] with exactly `len` bytes:
    /// `pages` pages from page-data offset `addr`, each as `flag` selects (page data then
    /// spare for [`NandReadFlag::PageSpare`], decision N3).
    NandReadbackPacket {
        /// Page-data offset of the first page.
        addr: u64,
        /// Pages in the packet.
        pages: u32,
        /// Bytes to answer.
        len: u32,
        /// What each page contributes.
        flag: NandReadFlag,
    },
    /// 0x62; answer `Ack` (data follows as [`DaEvent::WriteData`]) or `Nack`; for NAND
    /// (storage [`STORAGE_NAND_62`](super::STORAGE_NAND_62), already checked against the geometry) `Ack` or
    /// [`DaAnswer::Refused`], never `Nack`. NAND data is page data only, at page-data offsets
    /// (decision N4).
    Write(WriteRequest),
    /// A write packet is complete; answer [`DaAnswer::Cont`] or `Nack` (NAND: `Cont` or
    /// [`DaAnswer::Refused`]: [`STATUS_DATA_CHECKSUM`] when `checksum_ok` is false,
    /// S_DA_NAND_PAGE_PROGRAM_FAILED when programming fails).
    ///
    /// [`STATUS_DATA_CHECKSUM`]: crate::protocol::decisions::STATUS_DATA_CHECKSUM
    WritePacket {
        /// Byte offset of the packet.
        addr: u64,
        /// Its length (padding included).
        len: u32,
        /// Whether the host's checksum matched the bytes.
        checksum_ok: bool,
    },
    /// 0xD4; answer [`DaAnswer::Progress`] (100 % ends it) or [`DaAnswer::Refused`] (e.g. a
    /// range beyond the partition, decision D13). NAND requests (storage [`STORAGE_NAND_D6`](super::STORAGE_NAND_D6))
    /// are already checked to be whole blocks; erased NAND reads 0xFF.
    Format(FormatRequest),
    /// The host acked a progress report below 100 %; answer the next [`DaAnswer::Progress`]
    /// or [`DaAnswer::Refused`] (e.g. S_DA_NAND_ERASE_FAILED).
    FormatMore {
        /// The last percentage sent.
        percent: u8,
    },
    /// 0xA5; answer [`DaAnswer::Pmt`] or [`DaAnswer::Refused`] (decision D13).
    ReadPmt,
    /// 0xD9; answer `Ack` or [`DaAnswer::Refused`] (decision D13).
    Finish,
    /// The mode word after FINISH; answer `Ack` (the phone then reboots).
    FinishMode(u32),
}

/// The phone's answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaAnswer {
    /// DRAM result after the configuration block (0 = ready, decision D4).
    DramResult(u32),
    /// 0xBC3 and the DA's prompt: the DA cannot use RAM until the host sends EMI settings;
    /// it will announce `ram_info` and a buffer of `dram_len` bytes (decisions E2, E4).
    NeedEmi {
        /// The prompt after 0xBC3.
        request: EmiRequest,
        /// The 16 RAM-Info bytes.
        ram_info: [u8; 16],
        /// The EMI buffer length.
        dram_len: u32,
    },
    /// The RAM result after the EMI settings.
    RamResult(RamResult),
    /// 5A.
    Ack,
    /// A5.
    Nack,
    /// Refuses a readback: A5, then (after the host's A5) this status, little-endian.
    ReadbackRefused(u32),
    /// A [`Refusal`](super::Refusal): A5 and this status, big-endian. Answers a NAND write (header or
    /// packet, decision N4), a format (request or progress step), USB_CHECK_STATUS, READ_PMT
    /// and FINISH (decision D13); not eMMC writes, which keep mtkclient's bare A5.
    Refused(u32),
    /// 5A and the DA2 storage report.
    Da2Report(Box<Da2Report>),
    /// `5A speed`.
    UsbStatus(UsbStatus),
    /// A readback packet's bytes; the checksum is added (decision D1). A buffer with room for
    /// the two checksum bytes (capacity ≥ length + 2) becomes the output without a copy.
    Data(Vec<u8>),
    /// A readback packet's bytes with their 16-bit byte sum already worked out (decision D1),
    /// e.g. while the previous packet drained; sent as given, without a copy as for `Data`.
    SummedData {
        /// The packet.
        data: Vec<u8>,
        /// Its checksum.
        sum: u16,
    },
    /// 69 after a write packet.
    Cont,
    /// A format progress report.
    Progress(FormatProgress),
    /// The partition table data (see `encode_pmt`).
    Pmt(Vec<u8>),
}

/// What [`DaDevice::feed`] reports besides questions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaEvent<'a> {
    /// A piece of the DA2 upload.
    Da2Data(&'a [u8]),
    /// A piece of write data for `addr` (padding included).
    WriteData {
        /// Byte offset of the first byte.
        addr: u64,
        /// The bytes.
        data: &'a [u8],
    },
    /// A command byte mtkbench does not know; the phone answered BB (decision D8).
    Unknown(u8),
    /// The phone refused a NAND command on its own, without asking (decision N5): no NAND,
    /// a misaligned or out-of-range request, an unknown read flag.
    Refused {
        /// The command byte.
        command: u8,
        /// The status sent to the host.
        status: DaStatus,
    },
}

/// Where a transfer stands. For NAND readback, `addr`, `left` and `packet` count page data
/// and `nand` says how pages go on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Transfer {
    addr: u64,
    left: u64,
    packet: u64,
    nand: Option<NandUnit>,
    /// A NAND write: [`DaAnswer::Refused`] is a valid answer to its packets.
    refusable: bool,
}

/// How NAND pages go on the wire during a readback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NandUnit {
    flag: NandReadFlag,
    page: u32,
    unit: u32,
}

impl Transfer {
    fn next_len(&self) -> u32 {
        self.left.min(self.packet) as u32
    }

    /// The question for the next readback packet.
    fn packet_ask(&self) -> DaAsk {
        match self.nand {
            None => DaAsk::ReadbackPacket {
                addr: self.addr,
                len: self.next_len(),
            },
            Some(n) => {
                let pages = self.next_len() / n.page;
                DaAsk::NandReadbackPacket {
                    addr: self.addr,
                    pages,
                    len: pages * n.unit,
                    flag: n.flag,
                }
            }
        }
    }

    /// The transfer after the packet of [`packet_ask`](Transfer::packet_ask) was sent.
    fn advanced(self) -> Transfer {
        let n = u64::from(self.next_len());
        Transfer {
            addr: self.addr + n,
            left: self.left - n,
            ..self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Collect {
    Config,
    Da2Header,
    Command,
    FinishMode,
    /// The host's pages-per-packet word of a NAND readback that will read `len` page-data
    /// bytes at `addr`.
    NandPages {
        addr: u64,
        len: u64,
        unit: NandUnit,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum St {
    NotStarted,
    SyncAck {
        version: [u8; 3],
    },
    Collect {
        what: Collect,
        buf: Vec<u8>,
    },
    Da2Data {
        received: u32,
        total: u32,
        packet: u32,
        in_packet: u32,
    },
    Da2Final,
    SwitchPartArg,
    RefusedAck {
        status: u32,
    },
    ReadbackAck(Transfer),
    WriteMarker(Transfer),
    WriteData {
        t: Transfer,
        len: u32,
        got: u32,
        sum: Sum16,
    },
    WriteChecksum {
        t: Transfer,
        len: u32,
        sum: Sum16,
        buf: Vec<u8>,
    },
    FormatAck {
        percent: u8,
    },
    PmtLenAck {
        data: Vec<u8>,
    },
    PmtDataAck,
    /// The EMI exchange runs ([`DaDevice::emi`] holds it).
    Emi,
    Answer {
        ask: DaAsk,
        t: Transfer,
    },
    Finished,
}

/// The phone side of the legacy DA; see the module documentation.
#[derive(Debug, Clone)]
pub struct DaDevice {
    state: St,
    out: Vec<u8>,
    nand: Option<NandGeometry>,
    /// The EMI exchange after 0xBC3, while it runs.
    emi: Option<Box<EmiDevice>>,
}

impl Default for DaDevice {
    fn default() -> Self {
        Self::new()
    }
}

fn wrong_byte(what: &'static str, expected: u8, got: u8) -> ProtocolError {
    ProtocolError::Unexpected {
        what,
        expected: Hex(vec![expected]),
        got: Hex(vec![got]),
    }
}

impl DaDevice {
    /// A DA that has not started yet.
    pub fn new() -> Self {
        DaDevice {
            state: St::NotStarted,
            out: Vec::new(),
            nand: None,
            emi: None,
        }
    }

    /// DA1 starts: sends C0 and its storage report; after the host's ack it will send
    /// `version` (decision D2) and wait for the configuration block.
    pub fn start(&mut self, report: &Da1Report, version: [u8; 3]) -> Result<(), ProtocolError> {
        if self.state != St::NotStarted {
            return Err(ProtocolError::Sequence("the DA has already started".into()));
        }
        self.out.push(SYNC);
        report.encode(&mut self.out);
        self.state = St::SyncAck { version };
        Ok(())
    }

    /// Bytes to send to the host.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// The question waiting for an answer, if any.
    pub fn pending(&self) -> Option<&DaAsk> {
        match &self.state {
            St::Answer { ask, .. } => Some(ask),
            _ => None,
        }
    }

    /// The NAND geometry of the DA2 report this phone sent ([`NandInfo::geometry`]); NAND
    /// commands are refused while there is none.
    ///
    /// [`NandInfo::geometry`]: super::NandInfo::geometry
    pub fn nand_geometry(&self) -> Option<NandGeometry> {
        self.nand
    }

    /// The readback packet the phone will be asked for once the host acks the one it is
    /// sending, if another is due: the phone may read it ahead while the current one drains.
    pub fn next_packet(&self) -> Option<DaAsk> {
        match &self.state {
            St::ReadbackAck(t) if t.left > 0 => Some(t.packet_ask()),
            _ => None,
        }
    }

    /// True after FINISH and its mode word were acked: the phone reboots.
    pub fn finished(&self) -> bool {
        self.state == St::Finished
    }

    fn ask(&mut self, ask: DaAsk, t: Transfer) {
        self.state = St::Answer { ask, t };
    }

    /// Takes bytes from the host. Returns how many were consumed and any data event.
    pub fn feed<'a>(
        &mut self,
        input: &'a [u8],
    ) -> Result<(usize, Option<DaEvent<'a>>), ProtocolError> {
        let Some(&first) = input.first() else {
            return Ok((0, None));
        };
        let state = std::mem::replace(&mut self.state, St::Finished);
        let (used, event) = match state {
            St::NotStarted => {
                self.state = St::NotStarted;
                return Err(ProtocolError::Sequence("the DA has not started".into()));
            }
            St::Finished => {
                return Err(ProtocolError::Sequence(
                    "the DA has finished; the phone reboots".into(),
                ));
            }
            St::Answer { ask, t } => {
                self.state = St::Answer { ask, t };
                return Err(ProtocolError::Sequence(
                    "the phone was fed bytes before answering".into(),
                ));
            }
            St::SyncAck { version } => {
                if first != ACK {
                    self.state = St::SyncAck { version };
                    return Err(wrong_byte("DA1 report ack", ACK, first));
                }
                self.out.extend_from_slice(&version);
                self.state = St::Collect {
                    what: Collect::Config,
                    buf: Vec::new(),
                };
                (1, None)
            }
            St::Collect { what, mut buf } => {
                if what == Collect::Command && buf.is_empty() && !DaRequest::is_known(first) {
                    self.out.push(UNKNOWN_CMD);
                    self.state = St::Collect { what, buf };
                    return Ok((1, Some(DaEvent::Unknown(first))));
                }
                let used = match what {
                    Collect::Config => collect::<DaConfig>(&mut buf, input)?,
                    Collect::Da2Header => collect::<Da2Header>(&mut buf, input)?,
                    Collect::Command => collect::<DaRequest>(&mut buf, input)?,
                    Collect::FinishMode | Collect::NandPages { .. } => {
                        collect::<u32>(&mut buf, input)?
                    }
                };
                match used {
                    (n, None) => {
                        self.state = St::Collect { what, buf };
                        (n, None)
                    }
                    (n, Some(())) => (n, self.collected(what, &buf)?),
                }
            }
            St::Da2Data {
                received,
                total,
                packet,
                in_packet,
            } => {
                let n = input
                    .len()
                    .min((total - received) as usize)
                    .min((packet - in_packet) as usize);
                let (received, in_packet) = (received + n as u32, in_packet + n as u32);
                if in_packet == packet || received == total {
                    let t = Transfer {
                        addr: 0,
                        left: u64::from(total - received),
                        packet: u64::from(packet),
                        ..Transfer::default()
                    };
                    self.ask(DaAsk::Da2Packet { received }, t);
                } else {
                    self.state = St::Da2Data {
                        received,
                        total,
                        packet,
                        in_packet,
                    };
                }
                (n, Some(DaEvent::Da2Data(&input[..n])))
            }
            St::Emi => {
                let Some(emi) = self.emi.as_mut() else {
                    return Err(ProtocolError::Sequence("no EMI exchange is running".into()));
                };
                let used = emi.feed(input);
                self.out.extend(emi.take_output());
                let used = match used {
                    Ok(n) => n,
                    Err(e) => {
                        self.emi = None;
                        self.idle();
                        return Err(e);
                    }
                };
                match emi.pending().cloned() {
                    Some(EmiAsk::EnableDram(v)) => {
                        self.ask(DaAsk::EnableDram(v), Transfer::default())
                    }
                    Some(EmiAsk::Settings(b)) => {
                        self.ask(DaAsk::EmiSettings(b), Transfer::default())
                    }
                    None => self.state = St::Emi,
                }
                (used, None)
            }
            St::Da2Final => {
                if first != ACK {
                    self.state = St::Da2Final;
                    return Err(wrong_byte("DA2 final ack", ACK, first));
                }
                self.ask(DaAsk::Da2Complete, Transfer::default());
                (1, None)
            }
            St::SwitchPartArg => {
                self.ask(DaAsk::SwitchPart { part: first }, Transfer::default());
                (1, None)
            }
            St::RefusedAck { status } => {
                if first != NACK {
                    self.state = St::RefusedAck { status };
                    return Err(wrong_byte("readback abort", NACK, first));
                }
                self.out.put_u32_le(status);
                self.idle();
                (1, None)
            }
            St::ReadbackAck(t) => {
                if first != ACK {
                    self.state = St::ReadbackAck(t);
                    return Err(wrong_byte("readback packet ack", ACK, first));
                }
                if t.left == 0 {
                    self.idle();
                } else {
                    self.ask(t.packet_ask(), t);
                }
                (1, None)
            }
            St::WriteMarker(t) => {
                if first != ACK {
                    self.state = St::WriteMarker(t);
                    return Err(wrong_byte("write packet start", ACK, first));
                }
                self.state = St::WriteData {
                    t,
                    len: t.next_len(),
                    got: 0,
                    sum: Sum16::new(),
                };
                (1, None)
            }
            St::WriteData {
                t,
                len,
                got,
                mut sum,
            } => {
                let n = input.len().min((len - got) as usize);
                let data = &input[..n];
                sum.update(data);
                let addr = t.addr + u64::from(got);
                let got = got + n as u32;
                self.state = if got == len {
                    St::WriteChecksum {
                        t,
                        len,
                        sum,
                        buf: Vec::new(),
                    }
                } else {
                    St::WriteData { t, len, got, sum }
                };
                (n, Some(DaEvent::WriteData { addr, data }))
            }
            St::WriteChecksum {
                mut t,
                len,
                sum,
                mut buf,
            } => {
                let (n, done) = collect::<u16>(&mut buf, input)?;
                if done.is_some() {
                    let got = u16::from_exact(&buf)?;
                    let ask = DaAsk::WritePacket {
                        addr: t.addr,
                        len,
                        checksum_ok: got == sum.value(),
                    };
                    t.addr += u64::from(len);
                    t.left -= u64::from(len);
                    self.ask(ask, t);
                } else {
                    self.state = St::WriteChecksum { t, len, sum, buf };
                }
                (n, None)
            }
            St::FormatAck { percent } => {
                if first != ACK {
                    self.state = St::FormatAck { percent };
                    return Err(wrong_byte("format progress ack", ACK, first));
                }
                if percent >= FORMAT_COMPLETE {
                    self.out.extend_from_slice(&FORMAT_DONE);
                    self.idle();
                } else {
                    self.ask(DaAsk::FormatMore { percent }, Transfer::default());
                }
                (1, None)
            }
            St::PmtLenAck { data } => {
                if first != ACK {
                    self.state = St::PmtLenAck { data };
                    return Err(wrong_byte("PMT length ack", ACK, first));
                }
                self.out.extend_from_slice(&data);
                self.state = St::PmtDataAck;
                (1, None)
            }
            St::PmtDataAck => {
                if first != ACK {
                    self.state = St::PmtDataAck;
                    return Err(wrong_byte("PMT data ack", ACK, first));
                }
                self.idle();
                (1, None)
            }
        };
        Ok((used, event))
    }

    fn idle(&mut self) {
        self.state = St::Collect {
            what: Collect::Command,
            buf: Vec::new(),
        };
    }
}

/// Moves bytes from `input` into `buf` until `buf` holds one complete `T`. Returns how many
/// bytes were taken and whether the message is complete.
fn collect<T: Wire>(buf: &mut Vec<u8>, input: &[u8]) -> Result<(usize, Option<()>), ProtocolError> {
    let mut used = 0;
    loop {
        match T::parse(buf) {
            Ok(_) => return Ok((used, Some(()))),
            Err(DecodeError::Invalid(e)) => return Err(e),
            Err(DecodeError::Incomplete { more }) => {
                let n = more.min(input.len() - used);
                if n == 0 {
                    return Ok((used, None));
                }
                buf.extend_from_slice(&input[used..used + n]);
                used += n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::protocol::{
        Exchange, Step,
        da::{
            EmmcPart, NandInfo, PmtEntry, StorageKind, da_sync, dram_result, encode_pmt, finish,
            format, nand_format, nand_readback, nand_write, parse_pmt, read_pmt, readback,
            switch_part, upload_da2, usb_check, write,
        },
        decisions::{
            SIM_NAND_FLASH_ID, SIM_NAND_IDS, STATUS_DATA_CHECKSUM, STATUS_INVALID_BEGIN_ADDR,
        },
    };
    use crate::protocol::{
        da::{NandPageLayout, Refusal},
        decisions::{STATUS_INVALID_RANGE, STATUS_UNSUPPORTED_OPERATION},
    };

    /// A tiny phone: 64 KiB of storage, answers everything as an MT6572 would.
    struct Phone {
        dev: DaDevice,
        storage: Vec<u8>,
        da2: Vec<u8>,
        asks: Vec<DaAsk>,
        wire: VecDeque<u8>,
        refuse_readback: bool,
        nand: bool,
        refused: Vec<(u8, DaStatus)>,
        /// A status the owner answers to the next NAND write packet or format report.
        fail_with: Option<DaStatus>,
        /// A command byte the owner refuses, and the status (0x72, 0xD4, 0xA5, 0xD9).
        refuse_command: Option<(u8, u32)>,
    }

    /// The test NAND: 64 KiB of 2 KiB pages with 64-byte spares, 4 pages per block.
    fn small_nand() -> NandGeometry {
        NandGeometry {
            page_size: 0x800,
            spare_size: 0x40,
            pages_per_block: 4,
            flash_size: 0x10000,
        }
    }

    /// The spare area of page `index` in the test NAND.
    fn spare(index: u64) -> Vec<u8> {
        vec![0xA0 | (index as u8 & 0x1F); 0x40]
    }

    impl Phone {
        fn new() -> Self {
            Self::with(Da1Report::emmc([0x15; 16]), false)
        }

        fn new_nand() -> Self {
            Self::with(Da1Report::nand(&SIM_NAND_IDS), true)
        }

        fn with(report: Da1Report, nand: bool) -> Self {
            let mut dev = DaDevice::new();
            dev.start(&report, [3, 2, 0]).unwrap();
            let mut wire = VecDeque::new();
            wire.extend(dev.take_output());
            Phone {
                dev,
                storage: (0..0x10000u32).map(|i| ((i * 13) >> 3) as u8).collect(),
                da2: Vec::new(),
                asks: Vec::new(),
                wire,
                refuse_readback: false,
                nand,
                refused: Vec::new(),
                fail_with: None,
                refuse_command: None,
            }
        }

        fn da2_report(&self) -> Da2Report {
            let mut r = crate::protocol::da::report::tests::spec_da2_report().0;
            if self.nand {
                r.nand = NandInfo::detected(SIM_NAND_FLASH_ID, &SIM_NAND_IDS, small_nand());
                r.emmc = Default::default();
            }
            r
        }

        /// `pages` NAND pages from `addr` as `flag` selects.
        fn nand_pages(&self, addr: u64, pages: u32, flag: NandReadFlag) -> Vec<u8> {
            let mut out = Vec::new();
            for i in 0..u64::from(pages) {
                let a = (addr + i * 0x800) as usize;
                if flag != NandReadFlag::SpareOnly {
                    out.extend_from_slice(&self.storage[a..a + 0x800]);
                }
                if flag != NandReadFlag::PageOnly {
                    out.extend(spare(a as u64 / 0x800));
                }
            }
            out
        }

        fn respond(&mut self, ask: &DaAsk) -> DaAnswer {
            let command = match ask {
                DaAsk::UsbCheck => Some(DaRequest::USB_CHECK),
                DaAsk::Format(_) => Some(DaRequest::FORMAT),
                DaAsk::ReadPmt => Some(DaRequest::READ_PMT),
                DaAsk::Finish => Some(DaRequest::FINISH),
                _ => None,
            };
            if let Some((refused, status)) = self.refuse_command
                && command == Some(refused)
            {
                return DaAnswer::Refused(status);
            }
            match ask {
                DaAsk::Config(_) => DaAnswer::DramResult(0),
                DaAsk::Da2Complete => DaAnswer::Da2Report(Box::new(self.da2_report())),
                DaAsk::UsbCheck => DaAnswer::UsbStatus(UsbStatus { speed: 1 }),
                DaAsk::Readback(_) | DaAsk::NandReadback(_) if self.refuse_readback => {
                    DaAnswer::ReadbackRefused(0xBDF)
                }
                DaAsk::NandReadbackPacket {
                    addr, pages, flag, ..
                } => DaAnswer::Data(self.nand_pages(*addr, *pages, *flag)),
                DaAsk::ReadbackPacket { addr, len } => {
                    let a = *addr as usize;
                    DaAnswer::Data(self.storage[a..a + *len as usize].to_vec())
                }
                DaAsk::WritePacket { .. } | DaAsk::FormatMore { .. }
                    if self.fail_with.is_some() =>
                {
                    DaAnswer::Refused(self.fail_with.take().map_or(0, DaStatus::code))
                }
                DaAsk::WritePacket { checksum_ok, .. } => match (*checksum_ok, self.nand) {
                    (true, _) => DaAnswer::Cont,
                    (false, true) => DaAnswer::Refused(STATUS_DATA_CHECKSUM),
                    (false, false) => DaAnswer::Nack,
                },
                DaAsk::Format(q) => {
                    let (a, l) = (q.addr as usize, q.len as usize);
                    self.storage[a..a + l].fill(if self.nand { 0xFF } else { 0 });
                    DaAnswer::Progress(FormatProgress {
                        init: 0,
                        percent: 50,
                    })
                }
                DaAsk::FormatMore { .. } => DaAnswer::Progress(FormatProgress {
                    init: 0,
                    percent: 100,
                }),
                DaAsk::ReadPmt => DaAnswer::Pmt(encode_pmt(&[PmtEntry {
                    name: "NVRAM".into(),
                    size: 0x1000,
                    mask_flags: 0xFF,
                    offset: 0x2000,
                }])),
                _ => DaAnswer::Ack,
            }
        }

        fn take(&mut self, mut bytes: &[u8]) {
            while !bytes.is_empty() {
                let (n, ev) = self.dev.feed(bytes).unwrap();
                match ev {
                    Some(DaEvent::Da2Data(d)) => self.da2.extend_from_slice(d),
                    Some(DaEvent::WriteData { addr, data }) => {
                        let a = addr as usize;
                        self.storage[a..a + data.len()].copy_from_slice(data);
                    }
                    Some(DaEvent::Refused { command, status }) => {
                        self.refused.push((command, status));
                    }
                    Some(DaEvent::Unknown(_)) | None => {}
                }
                while let Some(ask) = self.dev.pending().cloned() {
                    let answer = self.respond(&ask);
                    self.asks.push(ask);
                    self.dev.answer(answer).unwrap();
                }
                bytes = &bytes[n..];
            }
            let out = self.dev.take_output();
            self.wire.extend(out);
        }

        /// Runs a host exchange against this phone.
        fn run<E: Exchange>(&mut self, ex: &mut E, source: &[u8]) -> (E::Output, Vec<u8>) {
            self.try_run(ex, source).unwrap()
        }

        /// Runs a host exchange against this phone; the host's error ends it.
        fn try_run<E: Exchange>(
            &mut self,
            ex: &mut E,
            source: &[u8],
        ) -> Result<(E::Output, Vec<u8>), ProtocolError> {
            let (mut sink, mut s) = (Vec::new(), 0);
            loop {
                match ex.poll()? {
                    Step::Send(b) => self.take(&b),
                    Step::SendData { len } => {
                        let chunk = &source[s..s + len];
                        s += len;
                        ex.data_sent(chunk)?;
                        self.take(chunk);
                    }
                    step @ (Step::Recv { len, .. } | Step::RecvData { len, .. }) => {
                        if self.wire.len() < len {
                            assert!(ex.on_timeout(), "host starved waiting for {len} bytes");
                            continue;
                        }
                        let got: Vec<u8> = self.wire.drain(..len).collect();
                        if matches!(step, Step::RecvData { .. }) {
                            sink.extend_from_slice(&got);
                        }
                        ex.feed(&got)?;
                    }
                    Step::Discard => self.wire.clear(),
                    Step::Done(v) => {
                        assert!(self.wire.is_empty(), "unread: {:?}", self.wire);
                        return Ok((v, sink));
                    }
                }
            }
        }

        fn ready() -> Self {
            Self::start_up(Phone::new())
        }

        fn ready_nand() -> Self {
            let p = Self::start_up(Phone::new_nand());
            assert_eq!(p.dev.nand_geometry(), Some(small_nand()));
            p
        }

        fn start_up(mut p: Phone) -> Self {
            let (info, _) = p.run(&mut da_sync(), &[]);
            assert_eq!(info.da_version, [3, 2, 0]);
            let cfg = DaConfig::mt6572(5, 0xFE, info.report.storage());
            p.run(&mut dram_result(&cfg), &[]);
            let da2 = vec![0x42; 0x2345];
            let (report, _) = p.run(&mut upload_da2(0x8000_0000, &da2), &[]);
            assert_eq!(p.da2, da2);
            let kind = if p.nand {
                StorageKind::Nand
            } else {
                StorageKind::Emmc
            };
            assert_eq!(info.report.storage(), kind);
            assert_eq!(report.storage(kind).0, kind);
            p
        }
    }

    #[test]
    fn start_up_asks_for_config_then_da2_packets() {
        let p = Phone::ready();
        assert!(matches!(p.asks[0], DaAsk::Config(c) if c.brom_ver == 5 && c.bl_ver == 0xFE));
        assert!(matches!(p.asks[1], DaAsk::Da2Upload(h) if h.len == 0x2345 && h.packet == 0x1000));
        let packets: Vec<_> = p.asks[2..5].to_vec();
        assert_eq!(
            packets,
            [
                DaAsk::Da2Packet { received: 0x1000 },
                DaAsk::Da2Packet { received: 0x2000 },
                DaAsk::Da2Packet { received: 0x2345 },
            ]
        );
        assert_eq!(p.asks[5], DaAsk::Da2Complete);
    }

    #[test]
    fn readback_write_format_pmt_and_finish_back_to_back() {
        let mut p = Phone::ready();
        assert_eq!(p.run(&mut usb_check(), &[]).0.speed, 1);
        p.run(&mut switch_part(EmmcPart::User), &[]);
        assert_eq!(p.asks.last(), Some(&DaAsk::SwitchPart { part: 8 }));

        let expect = p.storage[0x100..0x100 + 0x900].to_vec();
        let mut rb = readback(0x100, 0x900);
        let (summary, sink) = p.run(&mut rb, &[]);
        assert_eq!(sink, expect);
        assert_eq!(summary.checksum_mismatches, 0);

        let image: Vec<u8> = (0..1000u32).map(|i| (i % 7) as u8 + 1).collect();
        p.run(&mut write(EmmcPart::User, 0x4000, 1000), &image);
        assert_eq!(&p.storage[0x4000..0x4000 + 1000], &image[..]);
        assert!(
            p.storage[0x4000 + 1000..0x4000 + 1024]
                .iter()
                .all(|&b| b == 0)
        );

        p.run(&mut format(0x8000, 0x200), &[]);
        assert!(p.storage[0x8000..0x8200].iter().all(|&b| b == 0));
        assert!(
            p.asks
                .iter()
                .any(|a| matches!(a, DaAsk::FormatMore { percent: 50 }))
        );

        let (pmt, _) = p.run(&mut read_pmt(), &[]);
        assert_eq!(parse_pmt(&pmt).unwrap()[0].name, "NVRAM");

        p.run(&mut finish(0), &[]);
        assert!(p.dev.finished());
        assert_eq!(p.asks.last(), Some(&DaAsk::FinishMode(0)));
        assert!(p.dev.feed(&[0x72]).is_err());
    }

    #[test]
    fn readback_refusal_sends_the_status_after_the_hosts_abort() {
        let mut p = Phone::ready();
        p.refuse_readback = true;
        let mut rb = readback(0, 0x10);
        let err = loop {
            match rb.poll().unwrap() {
                Step::Send(b) => p.take(&b),
                Step::Recv { len, .. } => {
                    let got: Vec<u8> = p.wire.drain(..len).collect();
                    if let Err(e) = rb.feed(&got) {
                        break e;
                    }
                }
                other => panic!("{other:?}"),
            }
        };
        assert!(matches!(err, ProtocolError::Da { status, .. } if status.code() == 0xBDF));
        // The phone is back in command mode.
        assert_eq!(p.run(&mut usb_check(), &[]).0.speed, 1);
    }

    #[test]
    fn a_bad_write_checksum_is_reported_to_the_phone() {
        let mut p = Phone::ready();
        let mut header = crate::protocol::da::DaRequest::Write(WriteRequest {
            storage: 1,
            part: 8,
            addr: 0,
            len: 512,
            packet: 0x10_0000,
        })
        .to_bytes();
        header.push(ACK);
        header.extend_from_slice(&[1; 512]);
        header.extend_from_slice(&[0, 0]);
        p.take(&header);
        assert!(p.asks.contains(&DaAsk::WritePacket {
            addr: 0,
            len: 512,
            checksum_ok: false
        }));
        assert_eq!(p.wire.drain(..).collect::<Vec<_>>(), [ACK, NACK]);
    }

    #[test]
    fn usb_check_format_pmt_and_finish_refusals_reach_the_host_named() {
        let mut p = Phone::ready();
        let timeout = DaStatus::Timeout;
        for (command, name) in [
            (DaRequest::USB_CHECK, "USB_CHECK_STATUS"),
            (DaRequest::FORMAT, "FORMAT"),
            (DaRequest::READ_PMT, "READ_PMT"),
            (DaRequest::FINISH, "FINISH"),
        ] {
            p.refuse_command = Some((command, timeout.code()));
            let err = match command {
                DaRequest::USB_CHECK => p.try_run(&mut usb_check(), &[]).map(drop),
                DaRequest::FORMAT => p.try_run(&mut format(0, 0x200), &[]).map(drop),
                DaRequest::READ_PMT => p.try_run(&mut read_pmt(), &[]).map(drop),
                _ => p.try_run(&mut finish(0), &[]).map(drop),
            }
            .unwrap_err();
            assert_eq!(
                err,
                ProtocolError::Da {
                    what: name,
                    status: timeout
                }
            );
            assert!(err.to_string().starts_with(name), "{err}");
            assert!(p.wire.is_empty(), "{name}: the whole refusal was read");
            p.refuse_command = None;
            assert_eq!(
                p.run(&mut usb_check(), &[]).0.speed,
                1,
                "{name}: back in command mode"
            );
        }
        assert!(!p.dev.finished(), "a refused FINISH does not reboot");
        // The bytes: A5 and the status, big-endian, in place of the 5A.
        p.refuse_command = Some((DaRequest::READ_PMT, 3039));
        p.take(&[DaRequest::READ_PMT]);
        let got: Vec<u8> = p.wire.drain(..).collect();
        assert_eq!(got, [NACK, 0, 0, 0x0B, 0xDF]);
        assert_eq!(Refusal::from_exact(&got).unwrap().status, 3039);
        // A later eMMC progress step may be refused too.
        p.refuse_command = None;
        p.fail_with = Some(DaStatus::Timeout);
        let err = p.try_run(&mut format(0, 0x200), &[]).unwrap_err();
        assert!(
            matches!(err, ProtocolError::Da { what: "FORMAT", .. }),
            "{err:?}"
        );
        // A bare A5 is not a refusal for these commands.
        p.dev.feed(&[DaRequest::USB_CHECK]).unwrap();
        assert_eq!(p.dev.pending(), Some(&DaAsk::UsbCheck));
        assert!(p.dev.answer(DaAnswer::Nack).is_err());
        p.dev.answer(DaAnswer::Refused(3020)).unwrap();
        assert_eq!(p.dev.take_output(), [NACK, 0, 0, 0x0B, 0xCC]);
    }

    #[test]
    fn unknown_commands_get_bb_and_misuse_is_refused() {
        let mut p = Phone::ready();
        let (n, ev) = p.dev.feed(&[0x70, 0x01]).unwrap();
        assert_eq!((n, ev), (1, Some(DaEvent::Unknown(0x70))));
        assert_eq!(p.dev.take_output(), [UNKNOWN_CMD]);
        assert!(p.dev.answer(DaAnswer::Ack).is_err(), "nothing pending");
        p.dev.feed(&[0x72]).unwrap();
        assert_eq!(p.dev.pending(), Some(&DaAsk::UsbCheck));
        assert!(p.dev.answer(DaAnswer::Cont).is_err(), "wrong answer kind");
        assert!(p.dev.feed(&[0x72]).is_err(), "answer first");
        p.dev
            .answer(DaAnswer::UsbStatus(UsbStatus { speed: 1 }))
            .unwrap();
        assert_eq!(p.dev.take_output(), [ACK, 1]);

        let mut fresh = DaDevice::new();
        assert!(fresh.feed(&[ACK]).is_err(), "not started");
        let mut started = DaDevice::new();
        started
            .start(
                &Da1Report {
                    nand_ret: 0,
                    nand_ids: vec![],
                    emmc_ret: 0,
                    emmc_cid: [0; 16],
                },
                [0; 3],
            )
            .unwrap();
        assert!(started.feed(&[0x00]).is_err(), "the report needs a 5A");
    }

    #[test]
    fn the_next_packet_is_announced_and_a_roomy_summed_packet_goes_out_uncopied() {
        let mut p = Phone::ready();
        let header = DaRequest::Readback(ReadbackRequest {
            host_os: 0x0C,
            storage: super::super::STORAGE_EMMC_D6,
            addr: 0x200,
            len: 0x180,
            packet: 0x100,
        });
        p.dev.feed(&header.to_bytes()).unwrap();
        assert!(matches!(p.dev.pending(), Some(DaAsk::Readback(_))));
        assert_eq!(p.dev.next_packet(), None);
        p.dev.answer(DaAnswer::Ack).unwrap();
        let first = DaAsk::ReadbackPacket {
            addr: 0x200,
            len: 0x100,
        };
        assert_eq!(p.dev.pending(), Some(&first));
        p.dev.answer(DaAnswer::Data(vec![1; 0x100])).unwrap();
        // Sent, not yet acked: the second packet is known before the host asks for it.
        let second = DaAsk::ReadbackPacket {
            addr: 0x300,
            len: 0x80,
        };
        assert_eq!(p.dev.next_packet(), Some(second.clone()));
        assert_eq!(p.dev.take_output().len(), 1 + 0x100 + 2);
        p.dev.feed(&[ACK]).unwrap();
        assert_eq!(p.dev.pending(), Some(&second));
        let mut data = Vec::with_capacity(0x80 + 2);
        data.resize(0x80, 2);
        let at = data.as_ptr();
        // A sum worked out ahead is sent as given (here the right one, 0x80 x 2).
        p.dev
            .answer(DaAnswer::SummedData { data, sum: 0x100 })
            .unwrap();
        let out = p.dev.take_output();
        assert_eq!(out.as_ptr(), at, "the packet's own buffer");
        assert_eq!(out[0x80..], 0x100u16.to_be_bytes());
        assert_eq!(p.dev.next_packet(), None, "that was the last");
    }

    #[test]
    fn commands_split_byte_by_byte_still_parse() {
        let mut p = Phone::ready();
        let q = crate::protocol::da::DaRequest::Readback(ReadbackRequest {
            host_os: 0x0C,
            storage: 2,
            addr: 0x10,
            len: 4,
            packet: 0x10_0000,
        })
        .to_bytes();
        for b in &q {
            p.dev.feed(std::slice::from_ref(b)).unwrap();
        }
        assert!(
            matches!(p.dev.pending(), Some(DaAsk::Readback(r)) if r.addr == 0x10 && r.len == 4)
        );
    }

    #[test]
    fn nand_readback_sends_layout_total_and_page_packets() {
        let mut p = Phone::ready_nand();
        let mut rb = nand_readback(0x800, 0x1800, NandReadFlag::PageSpare);
        let (summary, sink) = p.run(&mut rb, &[]);
        assert_eq!(sink, p.nand_pages(0x800, 3, NandReadFlag::PageSpare));
        assert_eq!(
            &sink[0x800..0x840],
            &spare(1)[..],
            "page 1's spare follows its data"
        );
        assert_eq!(summary.bytes, 3 * 0x840);
        assert_eq!(summary.checksum_mismatches, 0);
        assert_eq!(rb.progress().unwrap().total, 3 * 0x840);
        assert_eq!(
            rb.nand_layout(),
            Some(NandPageLayout {
                page_size: 0x800,
                spare_size: 0x40,
                unit: 0x840
            })
        );
        // One page per packet (decision N3).
        let packets: Vec<_> = p
            .asks
            .iter()
            .filter_map(|a| match a {
                DaAsk::NandReadbackPacket { addr, pages, .. } => Some((*addr, *pages)),
                _ => None,
            })
            .collect();
        assert_eq!(packets, [(0x800, 1), (0x1000, 1), (0x1800, 1)]);

        let (_, only) = p.run(&mut nand_readback(0, 0x1000, NandReadFlag::PageOnly), &[]);
        assert_eq!(only, p.storage[..0x1000]);
        let (s, spares) = p.run(&mut nand_readback(0, 0x1000, NandReadFlag::SpareOnly), &[]);
        assert_eq!(spares, [spare(0), spare(1)].concat());
        assert_eq!(s.bytes, 0x80);
        // The phone is back in command mode.
        assert_eq!(p.run(&mut usb_check(), &[]).0.speed, 1);
    }

    #[test]
    fn nand_readback_refuses_misaligned_and_foreign_requests_with_a_status() {
        let mut p = Phone::ready_nand();
        let cases = [
            (0x200, 0x800, STATUS_INVALID_BEGIN_ADDR),
            (0x800, 0x200, STATUS_INVALID_RANGE),
            (0xF800, 0x1000, STATUS_INVALID_RANGE),
        ];
        for (addr, len, code) in cases {
            let err = p
                .try_run(&mut nand_readback(addr, len, NandReadFlag::PageSpare), &[])
                .unwrap_err();
            assert!(
                matches!(err, ProtocolError::Da { what: "readback", status } if status.code() == code),
                "{addr:#x}+{len:#x}: {err:?}"
            );
            assert_eq!(
                p.run(&mut usb_check(), &[]).0.speed,
                1,
                "still in command mode"
            );
        }
        assert_eq!(p.refused.len(), 3);
        assert!(p.refused.iter().all(|(c, _)| *c == 0xDF));
        assert!(
            !p.asks.iter().any(|a| matches!(a, DaAsk::NandReadback(_))),
            "refused without asking the owner"
        );

        // An unknown read flag.
        let mut q = DaRequest::NandReadback(NandReadbackRequest {
            host_os: 0x0C,
            flag: 7,
            addr_type: 1,
            addr: 0,
            len: 0x800,
            container: 0,
        })
        .to_bytes();
        q.push(NACK);
        p.take(&q);
        let got: Vec<u8> = p.wire.drain(..).collect();
        assert_eq!(
            got,
            [&[NACK][..], &STATUS_UNSUPPORTED_OPERATION.to_le_bytes()].concat()
        );

        // The owner may refuse too.
        p.refuse_readback = true;
        let err = p
            .try_run(&mut nand_readback(0, 0x800, NandReadFlag::PageOnly), &[])
            .unwrap_err();
        assert!(matches!(err, ProtocolError::Da { status, .. } if status.code() == 0xBDF));
    }

    #[test]
    fn nand_commands_on_an_emmc_phone_get_nand_flash_not_found() {
        let mut p = Phone::ready();
        assert_eq!(p.dev.nand_geometry(), None);
        let err = p
            .try_run(&mut nand_readback(0, 0x800, NandReadFlag::PageOnly), &[])
            .unwrap_err();
        assert!(matches!(
            err,
            ProtocolError::Da {
                status: DaStatus::NandFlashNotFound,
                ..
            }
        ));
        assert_eq!(p.run(&mut usb_check(), &[]).0.speed, 1);
    }

    #[test]
    fn nand_readback_with_zero_pages_per_packet_is_a_protocol_error() {
        let mut p = Phone::ready_nand();
        let q = DaRequest::NandReadback(NandReadbackRequest {
            host_os: 0x0C,
            flag: 0,
            addr_type: 1,
            addr: 0,
            len: 0x800,
            container: 0,
        })
        .to_bytes();
        p.take(&q);
        let got: Vec<u8> = p.wire.drain(..).collect();
        assert_eq!(got, [&[ACK][..], &hex_u32s(&[0x800, 0x40, 0x840])].concat());
        assert!(matches!(
            p.dev.feed(&[0, 0, 0, 0]),
            Err(ProtocolError::Malformed { .. })
        ));
        // Byte by byte, a valid word is taken.
        let mut p = Phone::ready_nand();
        p.take(&q);
        p.wire.clear();
        for b in 2u32.to_be_bytes() {
            p.take(&[b]);
        }
        let got: Vec<u8> = p.wire.drain(..4).collect();
        assert_eq!(got, 0x840u32.to_be_bytes(), "one page, all of it");
    }

    fn hex_u32s(words: &[u32]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    fn da_status(r: Result<impl std::fmt::Debug, ProtocolError>) -> u32 {
        match r {
            Err(ProtocolError::Da { status, .. }) => status.code(),
            other => panic!("expected a DA status, got {other:?}"),
        }
    }

    #[test]
    fn nand_write_erase_and_readback_back_to_back() {
        let mut p = Phone::ready_nand();
        let image: Vec<u8> = (0..3000u32).map(|i| (i % 241) as u8).collect();
        let (written, _) = p.run(&mut nand_write(0x1000, 3000, 0x800), &image);
        assert_eq!(written, 3000);
        assert_eq!(&p.storage[0x1000..0x1000 + 3000], &image[..]);
        assert!(
            p.storage[0x1000 + 3000..0x2000].iter().all(|&b| b == 0xFF),
            "the last page is padded with 0xFF"
        );
        assert!(p.asks.iter().any(|a| matches!(
            a,
            DaAsk::Write(q) if q.storage == 0x10 && q.part == 0 && q.len == 0x1000
        )));
        assert!(p.asks.contains(&DaAsk::WritePacket {
            addr: 0x1000,
            len: 0x1000,
            checksum_ok: true
        }));
        let (_, back) = p.run(
            &mut nand_readback(0x1000, 0x1000, NandReadFlag::PageOnly),
            &[],
        );
        assert_eq!(&back[..3000], &image[..]);

        // Erase the second block (pages 4..8).
        p.run(&mut nand_format(0x2000, 0x2000), &[]);
        assert!(p.storage[0x2000..0x4000].iter().all(|&b| b == 0xFF));
        assert!(
            p.asks
                .iter()
                .any(|a| matches!(a, DaAsk::Format(q) if q.storage == 0x01))
        );
        let (_, erased) = p.run(
            &mut nand_readback(0x2000, 0x800, NandReadFlag::PageOnly),
            &[],
        );
        assert!(erased.iter().all(|&b| b == 0xFF));
        assert!(p.refused.is_empty());
    }

    #[test]
    fn nand_write_and_erase_refuse_misaligned_requests_with_a_status() {
        let mut p = Phone::ready_nand();
        let before = p.storage.clone();
        let image = vec![0x33; 0x1000];
        let bad_addr = STATUS_INVALID_BEGIN_ADDR;
        let bad_range = STATUS_INVALID_RANGE;
        assert_eq!(
            da_status(p.try_run(&mut nand_write(0x200, 0x800, 0x800), &image)),
            bad_addr
        );
        assert_eq!(
            da_status(p.try_run(&mut nand_write(0xF800, 0x1000, 0x800), &image)),
            bad_range
        );
        // 0x400 bytes with a 0x400-byte "page": the header says 0x400, not whole 2 KiB pages.
        assert_eq!(
            da_status(p.try_run(&mut nand_write(0, 0x400, 0x400), &image)),
            bad_range
        );
        assert_eq!(
            da_status(p.try_run(&mut nand_format(0x800, 0x2000), &[])),
            bad_addr
        );
        assert_eq!(
            da_status(p.try_run(&mut nand_format(0, 0x800), &[])),
            bad_range
        );
        assert_eq!(
            da_status(p.try_run(&mut nand_format(0xE000, 0x4000), &[])),
            bad_range
        );
        let commands: Vec<u8> = p.refused.iter().map(|(c, _)| *c).collect();
        assert_eq!(commands, [0x62, 0x62, 0x62, 0xD4, 0xD4, 0xD4]);
        assert!(p.storage == before, "nothing was written or erased");
        assert_eq!(
            p.run(&mut usb_check(), &[]).0.speed,
            1,
            "still in command mode"
        );

        // An eMMC phone has no NAND to write or erase.
        let mut e = Phone::ready();
        let r = e.try_run(&mut nand_write(0, 0x800, 0x800), &image);
        assert_eq!(da_status(r), DaStatus::NandFlashNotFound.code());
        let r = e.try_run(&mut nand_format(0, 0x2000), &[]);
        assert_eq!(da_status(r), DaStatus::NandFlashNotFound.code());
        // ... while eMMC writes and formats go on as before.
        e.run(&mut write(EmmcPart::User, 0, 0x200), &image[..0x200]);
        e.run(&mut format(0, 0x200), &[]);
    }

    #[test]
    fn nand_program_and_erase_failures_reach_the_host_as_statuses() {
        let mut p = Phone::ready_nand();
        p.fail_with = Some(DaStatus::NandPageProgramFailed);
        let image = vec![0x44; 0x1000];
        let r = p.try_run(&mut nand_write(0, 0x1000, 0x800), &image);
        assert_eq!(da_status(r), DaStatus::NandPageProgramFailed.code());
        // A packet whose sum does not match: the host's bytes are crafted by hand.
        let mut bytes = DaRequest::Write(WriteRequest {
            storage: 0x10,
            part: 0,
            addr: 0,
            len: 0x800,
            packet: 0x10_0000,
        })
        .to_bytes();
        bytes.push(ACK);
        bytes.extend_from_slice(&[1; 0x800]);
        bytes.extend_from_slice(&[0, 0]);
        p.take(&bytes);
        let got: Vec<u8> = p.wire.drain(..).collect();
        assert_eq!(got, [ACK, NACK, 0, 0, 0x0B, 0xF8], "A5 and 3064");
        p.fail_with = Some(DaStatus::NandEraseFailed);
        let r = p.try_run(&mut nand_format(0, 0x2000), &[]);
        assert_eq!(da_status(r), DaStatus::NandEraseFailed.code());
        assert!(p.wire.is_empty());
        assert_eq!(p.run(&mut usb_check(), &[]).0.speed, 1);
    }

    #[test]
    fn nand_refusals_need_a_status_and_emmc_ones_do_not_take_one() {
        let mut p = Phone::ready_nand();
        let header = DaRequest::Write(WriteRequest {
            storage: 0x10,
            part: 0,
            addr: 0,
            len: 0x800,
            packet: 0x10_0000,
        })
        .to_bytes();
        p.dev.feed(&header).unwrap();
        assert!(matches!(p.dev.pending(), Some(DaAsk::Write(_))));
        assert!(matches!(
            p.dev.answer(DaAnswer::Nack),
            Err(ProtocolError::Sequence(_))
        ));
        p.dev.answer(DaAnswer::Refused(3016)).unwrap();
        assert_eq!(p.dev.take_output(), [0xA5, 0, 0, 0x0B, 0xC8]);

        let mut e = Phone::ready();
        let header = DaRequest::Write(WriteRequest {
            storage: 0x01,
            part: 8,
            addr: 0,
            len: 0x200,
            packet: 0x10_0000,
        })
        .to_bytes();
        e.dev.feed(&header).unwrap();
        assert!(e.dev.answer(DaAnswer::Refused(3016)).is_err());
        e.dev.answer(DaAnswer::Nack).unwrap();
        assert_eq!(e.dev.take_output(), [NACK]);
    }
}
