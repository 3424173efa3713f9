//! The DRAM/EMI branch of the legacy DA (MT6572.md §5.5, decisions E1–E6): what follows the
//! configuration block when the DA cannot use RAM yet, on both sides.
//!
//! Host: [`dram_result`] sends the configuration block and reads the result: 0 (RAM ready) or
//! 0xBC3 followed by the DA's prompt (unknown word, the 16-byte flash id, 0xBC4, NAND ids),
//! returned as an [`EmiRequest`]. The caller then picks EMI settings that fit (the device and
//! job layers do that; this module knows no preloader) and runs [`EmiSetup`]: `ENABLE_DRAM`
//! with the EMI version, the version's own preamble, the blob, the checksum, and the RAM
//! result. Phone: [`EmiDevice`] parses what the host sends after the prompt and frames the
//! phone's answers; its owner decides whether the settings fit.
//!
//! Sans-IO: no port, no clock; every read names what it waits for, so that a phone that stalls
//! (real MT6572 phones are known to, at "RAM-Info") times out with that name.

use std::{collections::VecDeque, time::Duration};

use super::{ACK, DRAM_EMI_NEEDED, DRAM_OK, DaConfig, NACK};
use crate::protocol::{
    DaStatus, Exchange, Hex, ProtocolError, Step,
    checksum::sum16,
    decisions::{DA_REPLY_TIMEOUT, DA2_REPORT_TIMEOUT},
    wire::{Put, Wire},
};

/// The marker the DA sends after the flash id (§5.5; anything else is an error).
pub const NAND_MARKER: u32 = 0x0BC4;
/// ENABLE_DRAM.
pub const ENABLE_DRAM: u8 = 0xE8;
/// The word the host sends after the blob's checksum to start the RAM setup (§5.5).
pub const RAM_SETUP_WORD: u32 = 0x8000_0001;
/// The most NAND ids the host accepts in the prompt (decision E4).
pub const MAX_PROMPT_NAND_IDS: u16 = 64;
/// The most EMI bytes either side accepts (decision E2).
pub const MAX_EMI_LEN: u32 = 0x10_0000;
/// What the simulated DA announces as its EMI buffer for v11 (decision E2): 8 records.
pub const SIM_EMI_BUFFER: u32 = 8 * 0xA8;
/// The RAM type byte of DRAM in the RAM result.
pub const RAM_TYPE_DRAM: u8 = 0x02;

/// What the DA says after 0xBC3, before the host may send EMI settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmiRequest {
    /// The 4 bytes of unknown meaning right after 0xBC3 (kept raw, decision E4).
    pub unknown: [u8; 4],
    /// The 16-byte "dram info": the memory's flash id (eMMC CID or NAND READ ID).
    pub flash_id: [u8; 16],
    /// The NAND ids after 0xBC4.
    pub nand_ids: Vec<u16>,
}

impl EmiRequest {
    /// The prompt as the DA sends it after the 0xBC3 word.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.unknown.to_vec();
        out.extend_from_slice(&self.flash_id);
        out.put_u32(NAND_MARKER);
        out.put_u16(self.nand_ids.len() as u16);
        for id in &self.nand_ids {
            out.put_u16(*id);
        }
        out
    }
}

/// The DRAM result after the configuration block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DramPrompt {
    /// 0: RAM is ready (a preloader set it up).
    Ready,
    /// 0xBC3: the DA needs EMI settings.
    EmiNeeded(EmiRequest),
}

/// The RAM result after the EMI settings (§5.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RamResult {
    /// `m_ext_ram_ret`: 0 is OK.
    pub ret: u32,
    /// 0x02 = DRAM.
    pub ram_type: u8,
    /// Chip select.
    pub chip_select: u8,
    /// RAM size in bytes.
    pub size: u64,
    /// The five more words of EMI version 0x0D.
    pub extra: Vec<u32>,
}

impl RamResult {
    /// The result as the DA sends it (`extra` words after the size).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.put_u32(self.ret);
        out.put_u8(self.ram_type);
        out.put_u8(self.chip_select);
        out.put_u64(self.size);
        for w in &self.extra {
            out.put_u32(*w);
        }
        out
    }

    fn from_bytes(b: &[u8]) -> RamResult {
        let word = |at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        let mut size = [0u8; 8];
        size.copy_from_slice(&b[6..14]);
        RamResult {
            ret: word(0),
            ram_type: b[4],
            chip_select: b[5],
            size: u64::from_be_bytes(size),
            extra: (14..b.len()).step_by(4).map(word).collect(),
        }
    }
}

/// What [`EmiSetup`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmiOutcome {
    /// The RAM result (its `ret` is 0: any other value is an error).
    pub ram: RamResult,
    /// The 16 "RAM-Info" bytes (versions 0x0A/0x0B), raw.
    pub ram_info: Option<[u8; 16]>,
    /// The buffer length the DA announced.
    pub dram_len: u32,
    /// EMI bytes sent.
    pub sent: u32,
    /// The DA's checksum of them.
    pub checksum: u16,
    /// Whether it equals our 16-bit byte sum of the bytes sent (decision E3: not fatal).
    pub checksum_matches: bool,
}

/// How the host's part depends on the EMI version (§5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmiLayout {
    /// 0x0A, 0x0B: `RAM-Info`(16), `dram_len`, host `5A`; then exactly `dram_len` bytes
    /// (decision E2).
    RamInfo,
    /// 0x0F, 0x10, 0x11, 0x14, 0x15: `dram_len`, host `5A`, host `len`; the whole blob.
    HostLength,
    /// 0x0C, 0x0D: `dram_len`, host `5A`; the blob cut to `dram_len`, first dword 0x100.
    Patched,
    /// 0x00: `dram_len`, host `5A`, host `dram_len`; the blob cut to `dram_len`.
    Echoed,
}

impl EmiLayout {
    /// The layout of `version`, if §5.5 gives one.
    pub fn of(version: u32) -> Option<EmiLayout> {
        Some(match version {
            0x0A | 0x0B => EmiLayout::RamInfo,
            0x0F | 0x10 | 0x11 | 0x14 | 0x15 => EmiLayout::HostLength,
            0x0C | 0x0D => EmiLayout::Patched,
            0x00 => EmiLayout::Echoed,
            _ => return None,
        })
    }
}

/// The bytes the host sends for a blob, given the layout and the DA's `dram_len` (decision
/// E2). The phone side uses the same rule to know how many bytes come.
pub fn emi_payload(layout: EmiLayout, blob: &[u8], dram_len: u32) -> Vec<u8> {
    let cut = |b: &[u8]| {
        let mut v = b[..b.len().min(dram_len as usize)].to_vec();
        v.resize(dram_len as usize, 0);
        v
    };
    match layout {
        EmiLayout::HostLength => blob.to_vec(),
        EmiLayout::RamInfo | EmiLayout::Echoed => cut(blob),
        EmiLayout::Patched => {
            let mut v = cut(blob);
            if v.len() >= 4 {
                v[..4].copy_from_slice(&0x100u32.to_le_bytes());
            }
            v
        }
    }
}

// ---------------------------------------------------------------------------------------------

/// One operation of a [`Flow`]: bytes to send, or a read whose bytes go to the handler.
#[derive(Debug, Clone)]
enum Op<F> {
    Send(Vec<u8>),
    Recv {
        what: &'static str,
        len: usize,
        timeout: Duration,
        field: F,
    },
}

fn recv<F>(what: &'static str, len: usize, field: F) -> Op<F> {
    Op::Recv {
        what,
        len,
        timeout: DA_REPLY_TIMEOUT,
        field,
    }
}

/// A host flow whose next reads depend on what was read: a queue of operations that the
/// handler extends after each read.
#[derive(Debug)]
struct Flow<F> {
    ops: VecDeque<Op<F>>,
    waiting: Option<F>,
    over: bool,
}

impl<F: Copy> Flow<F> {
    fn new(first: Vec<Op<F>>) -> Self {
        Flow {
            ops: first.into(),
            waiting: None,
            over: false,
        }
    }

    /// The next send or read, or `None` when the queue is empty.
    fn next<T>(&mut self) -> Result<Option<Step<T>>, ProtocolError> {
        if self.over || self.waiting.is_some() {
            return Err(ProtocolError::Sequence(
                "the DRAM exchange was polled out of turn".into(),
            ));
        }
        Ok(match self.ops.pop_front() {
            None => None,
            Some(Op::Send(b)) => Some(Step::Send(b)),
            Some(Op::Recv {
                what,
                len,
                timeout,
                field,
            }) => {
                self.waiting = Some(field);
                Some(Step::Recv { len, what, timeout })
            }
        })
    }

    fn take(&mut self) -> Result<F, ProtocolError> {
        self.waiting.take().ok_or_else(|| {
            ProtocolError::Sequence("bytes were fed while nothing was being received".into())
        })
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PromptField {
    Result,
    Unknown,
    FlashId,
    Marker,
    NandCount,
    NandIds,
}

/// The configuration block and the DRAM result, with the DA's prompt on 0xBC3 (§5.5).
#[derive(Debug)]
pub struct DramResult {
    flow: Flow<PromptField>,
    req: EmiRequest,
    done: Option<DramPrompt>,
}

/// The configuration block, then the DRAM result: [`DramPrompt::Ready`] on 0, the DA's
/// [`EmiRequest`] on 0xBC3, a DA error otherwise.
pub fn dram_result(config: &DaConfig) -> DramResult {
    DramResult {
        flow: Flow::new(vec![
            Op::Send(config.to_bytes()),
            recv(
                "DRAM result (u32 after the configuration block)",
                4,
                PromptField::Result,
            ),
        ]),
        req: EmiRequest {
            unknown: [0; 4],
            flash_id: [0; 16],
            nand_ids: Vec::new(),
        },
        done: None,
    }
}

impl Exchange for DramResult {
    type Output = DramPrompt;

    fn poll(&mut self) -> Result<Step<DramPrompt>, ProtocolError> {
        match self.flow.next()? {
            Some(step) => Ok(step),
            None => match self.done.take() {
                Some(p) => {
                    self.flow.over = true;
                    Ok(Step::Done(p))
                }
                None => Err(ProtocolError::Sequence(
                    "the DRAM result exchange has already ended".into(),
                )),
            },
        }
    }

    fn feed(&mut self, b: &[u8]) -> Result<(), ProtocolError> {
        let field = self.flow.take()?;
        let ops = &mut self.flow.ops;
        match field {
            PromptField::Result => match be32(b) {
                DRAM_OK => self.done = Some(DramPrompt::Ready),
                DRAM_EMI_NEEDED => {
                    ops.push_back(recv(
                        "the 4 bytes after the DRAM result 0xBC3",
                        4,
                        PromptField::Unknown,
                    ));
                    ops.push_back(recv(
                        "the 16-byte flash id (\"dram info\") after 0xBC3",
                        16,
                        PromptField::FlashId,
                    ));
                    ops.push_back(recv(
                        "the 0xBC4 word after the flash id",
                        4,
                        PromptField::Marker,
                    ));
                    ops.push_back(recv(
                        "the NAND id count after 0xBC4",
                        2,
                        PromptField::NandCount,
                    ));
                }
                code => {
                    return Err(ProtocolError::Da {
                        what: "DRAM setup",
                        status: DaStatus::from_code(code),
                    });
                }
            },
            PromptField::Unknown => self.req.unknown.copy_from_slice(b),
            PromptField::FlashId => self.req.flash_id.copy_from_slice(b),
            PromptField::Marker => {
                if be32(b) != NAND_MARKER {
                    return Err(ProtocolError::Unexpected {
                        what: "the 0xBC4 word after the flash id",
                        expected: Hex(NAND_MARKER.to_be_bytes().to_vec()),
                        got: Hex::of(b),
                    });
                }
            }
            PromptField::NandCount => {
                let n = u16::from_be_bytes([b[0], b[1]]);
                if n > MAX_PROMPT_NAND_IDS {
                    return Err(ProtocolError::Malformed {
                        what: "NAND ids after 0xBC4",
                        detail: format!("{n} ids (at most {MAX_PROMPT_NAND_IDS} accepted)"),
                    });
                }
                if n == 0 {
                    self.done = Some(DramPrompt::EmiNeeded(self.req.clone()));
                } else {
                    ops.push_back(recv(
                        "the NAND ids after 0xBC4",
                        2 * usize::from(n),
                        PromptField::NandIds,
                    ));
                }
            }
            PromptField::NandIds => {
                self.req.nand_ids = b
                    .chunks(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                self.done = Some(DramPrompt::EmiNeeded(self.req.clone()));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EmiField {
    EnableAck,
    RamInfo,
    DramLen,
    Checksum,
    Result,
}

/// The host's EMI exchange after an [`EmiRequest`]: `ENABLE_DRAM`, the version's preamble,
/// the blob, the checksum and the RAM result (§5.5, decisions E2–E5).
#[derive(Debug)]
pub struct EmiSetup {
    flow: Flow<EmiField>,
    version: u32,
    layout: EmiLayout,
    blob: Vec<u8>,
    out: EmiOutcome,
    done: bool,
}

impl EmiSetup {
    /// Sets up RAM with the EMI `blob` (everything after `MTK_BIN`+0xC) of EMI `version`.
    pub fn new(version: u32, blob: Vec<u8>) -> Result<EmiSetup, ProtocolError> {
        let layout = EmiLayout::of(version).ok_or_else(|| ProtocolError::Malformed {
            what: "EMI version",
            detail: format!("{version:#x} has no layout in the protocol notes"),
        })?;
        let mut cmd = vec![ENABLE_DRAM];
        cmd.put_u32(if version == 0 { u32::MAX } else { version });
        let mut ops = vec![
            Op::Send(cmd),
            recv("ENABLE_DRAM answer (5A, or A5)", 1, EmiField::EnableAck),
        ];
        if layout == EmiLayout::RamInfo {
            ops.push(recv(
                "the 16 RAM-Info bytes after ENABLE_DRAM (real MT6572 phones are known to \
                 stall here)",
                16,
                EmiField::RamInfo,
            ));
        }
        ops.push(recv("the EMI length word (dram_len)", 4, EmiField::DramLen));
        Ok(EmiSetup {
            flow: Flow::new(ops),
            version,
            layout,
            blob,
            out: EmiOutcome {
                ram: RamResult {
                    ret: 0,
                    ram_type: 0,
                    chip_select: 0,
                    size: 0,
                    extra: Vec::new(),
                },
                ram_info: None,
                dram_len: 0,
                sent: 0,
                checksum: 0,
                checksum_matches: false,
            },
            done: false,
        })
    }

    fn result_len(&self) -> usize {
        if self.version == 0x0D { 14 + 20 } else { 14 }
    }
}

impl Exchange for EmiSetup {
    type Output = EmiOutcome;

    fn poll(&mut self) -> Result<Step<EmiOutcome>, ProtocolError> {
        match self.flow.next()? {
            Some(step) => Ok(step),
            None if self.done => {
                self.done = false;
                self.flow.over = true;
                Ok(Step::Done(self.out.clone()))
            }
            None => Err(ProtocolError::Sequence(
                "the EMI exchange has already ended".into(),
            )),
        }
    }

    fn feed(&mut self, b: &[u8]) -> Result<(), ProtocolError> {
        match self.flow.take()? {
            EmiField::EnableAck => match b {
                [ACK] => {}
                [NACK] => {
                    return Err(ProtocolError::EmiRejected {
                        version: self.version,
                    });
                }
                _ => {
                    return Err(ProtocolError::Unexpected {
                        what: "ENABLE_DRAM answer",
                        expected: Hex(vec![ACK]),
                        got: Hex::of(b),
                    });
                }
            },
            EmiField::RamInfo => {
                let mut info = [0u8; 16];
                info.copy_from_slice(b);
                self.out.ram_info = Some(info);
            }
            EmiField::DramLen => {
                let dram_len = be32(b);
                if dram_len == 0 || dram_len > MAX_EMI_LEN {
                    return Err(ProtocolError::Malformed {
                        what: "EMI length word (dram_len)",
                        detail: format!("{dram_len:#x} (1 to {MAX_EMI_LEN:#x} accepted)"),
                    });
                }
                self.out.dram_len = dram_len;
                let payload = emi_payload(self.layout, &self.blob, dram_len);
                let ops = &mut self.flow.ops;
                ops.push_back(Op::Send(vec![ACK]));
                match self.layout {
                    EmiLayout::HostLength => {
                        ops.push_back(Op::Send((payload.len() as u32).to_be_bytes().to_vec()));
                    }
                    EmiLayout::Echoed => {
                        ops.push_back(Op::Send(dram_len.to_be_bytes().to_vec()));
                    }
                    EmiLayout::RamInfo | EmiLayout::Patched => {}
                }
                self.out.sent = payload.len() as u32;
                self.out.checksum = sum16(&payload);
                ops.push_back(Op::Send(payload));
                ops.push_back(recv(
                    "the EMI checksum (u16 after the EMI settings)",
                    2,
                    EmiField::Checksum,
                ));
            }
            EmiField::Checksum => {
                let got = u16::from_be_bytes([b[0], b[1]]);
                self.out.checksum_matches = got == self.out.checksum;
                self.out.checksum = got;
                let len = self.result_len();
                let ops = &mut self.flow.ops;
                ops.push_back(Op::Send(vec![ACK]));
                ops.push_back(Op::Send(RAM_SETUP_WORD.to_be_bytes().to_vec()));
                ops.push_back(Op::Recv {
                    what: "the RAM result (m_ext_ram_ret, type, chip select, size)",
                    len,
                    timeout: DA2_REPORT_TIMEOUT,
                    field: EmiField::Result,
                });
            }
            EmiField::Result => {
                let ram = RamResult::from_bytes(b);
                if ram.ret != 0 {
                    return Err(ProtocolError::RamSetupFailed {
                        code: ram.ret,
                        version: self.version,
                    });
                }
                self.out.ram = ram;
                self.done = true;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------

/// A question the phone's owner answers during the EMI exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmiAsk {
    /// `ENABLE_DRAM` with this version: answer `true` (5A) to go on, `false` (A5) to refuse.
    EnableDram(u32),
    /// The EMI bytes are in and the host sent the setup word: answer with the [`RamResult`].
    Settings(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Dev {
    Command,
    Version,
    LenAck,
    Blob {
        len: usize,
    },
    SumAck,
    SetupWord,
    Answer(EmiAsk),
    /// RAM is ready: the DA goes on to the DA2 upload.
    Ready,
    /// The DA stopped (refused version or failed RAM setup).
    Stopped,
}

/// The phone's side of the EMI exchange, after it sent 0xBC3 and its [`EmiRequest`] (the
/// simulator supports the version-0x0B layout, decision E6).
#[derive(Debug, Clone)]
pub struct EmiDevice {
    state: Dev,
    buf: Vec<u8>,
    out: Vec<u8>,
    ram_info: [u8; 16],
    dram_len: u32,
    blob: Vec<u8>,
}

impl EmiDevice {
    /// The DA, having sent its prompt; it will announce `ram_info` and a buffer of
    /// `dram_len` bytes.
    pub fn new(ram_info: [u8; 16], dram_len: u32) -> Self {
        EmiDevice {
            state: Dev::Command,
            buf: Vec::new(),
            out: Vec::new(),
            ram_info,
            dram_len,
            blob: Vec::new(),
        }
    }

    /// Bytes to send to the host.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// The pending question, if any.
    pub fn pending(&self) -> Option<&EmiAsk> {
        match &self.state {
            Dev::Answer(a) => Some(a),
            _ => None,
        }
    }

    /// True once RAM is set up (the DA2 upload follows).
    pub fn ready(&self) -> bool {
        self.state == Dev::Ready
    }

    /// True once the DA gave up (it reads nothing more).
    pub fn stopped(&self) -> bool {
        self.state == Dev::Stopped
    }

    fn word(&mut self, input: &[u8], n: usize) -> (usize, Option<Vec<u8>>) {
        let take = (n - self.buf.len()).min(input.len());
        self.buf.extend_from_slice(&input[..take]);
        if self.buf.len() == n {
            (take, Some(std::mem::take(&mut self.buf)))
        } else {
            (take, None)
        }
    }

    /// Takes host bytes; returns how many were used.
    pub fn feed(&mut self, input: &[u8]) -> Result<usize, ProtocolError> {
        let Some(&first) = input.first() else {
            return Ok(0);
        };
        match self.state.clone() {
            Dev::Command => {
                if first != ENABLE_DRAM {
                    self.state = Dev::Stopped;
                    return Err(ProtocolError::Unexpected {
                        what: "ENABLE_DRAM after the DRAM prompt",
                        expected: Hex(vec![ENABLE_DRAM]),
                        got: Hex(vec![first]),
                    });
                }
                self.state = Dev::Version;
                Ok(1)
            }
            Dev::Version => {
                let (n, w) = self.word(input, 4);
                if let Some(w) = w {
                    self.state = Dev::Answer(EmiAsk::EnableDram(be32(&w)));
                }
                Ok(n)
            }
            Dev::LenAck | Dev::SumAck => {
                if first != ACK {
                    self.state = Dev::Stopped;
                    return Err(ProtocolError::Unexpected {
                        what: "host ack in the EMI exchange",
                        expected: Hex(vec![ACK]),
                        got: Hex(vec![first]),
                    });
                }
                self.state = if self.state == Dev::LenAck {
                    Dev::Blob {
                        len: self.dram_len as usize,
                    }
                } else {
                    Dev::SetupWord
                };
                Ok(1)
            }
            Dev::Blob { len } => {
                let take = (len - self.blob.len()).min(input.len());
                self.blob.extend_from_slice(&input[..take]);
                if self.blob.len() == len {
                    self.out.put_u16(sum16(&self.blob));
                    self.state = Dev::SumAck;
                }
                Ok(take)
            }
            Dev::SetupWord => {
                let (n, w) = self.word(input, 4);
                if let Some(w) = w {
                    let w = be32(&w);
                    if w != RAM_SETUP_WORD {
                        self.state = Dev::Stopped;
                        return Err(ProtocolError::Unexpected {
                            what: "RAM setup word",
                            expected: Hex(RAM_SETUP_WORD.to_be_bytes().to_vec()),
                            got: Hex(w.to_be_bytes().to_vec()),
                        });
                    }
                    self.state = Dev::Answer(EmiAsk::Settings(std::mem::take(&mut self.blob)));
                }
                Ok(n)
            }
            Dev::Answer(_) => Err(ProtocolError::Sequence(
                "the phone was fed EMI bytes before answering".into(),
            )),
            Dev::Ready | Dev::Stopped => {
                Err(ProtocolError::Sequence("the EMI exchange is over".into()))
            }
        }
    }

    /// Answers `ENABLE_DRAM`: `true` sends 5A, RAM-Info and the buffer length; `false` sends
    /// A5 and stops.
    pub fn answer_enable(&mut self, accept: bool) -> Result<(), ProtocolError> {
        if !matches!(self.state, Dev::Answer(EmiAsk::EnableDram(_))) {
            return Err(ProtocolError::Sequence(
                "ENABLE_DRAM answered while not asked".into(),
            ));
        }
        if accept {
            self.out.push(ACK);
            self.out.extend_from_slice(&self.ram_info);
            self.out.put_u32(self.dram_len);
            self.state = Dev::LenAck;
        } else {
            self.out.push(NACK);
            self.state = Dev::Stopped;
        }
        Ok(())
    }

    /// Answers the settings with the RAM result; `ret` 0 lets the DA go on.
    pub fn answer_settings(&mut self, result: &RamResult) -> Result<(), ProtocolError> {
        if !matches!(self.state, Dev::Answer(EmiAsk::Settings(_))) {
            return Err(ProtocolError::Sequence(
                "EMI settings answered while not asked".into(),
            ));
        }
        self.out.extend_from_slice(&result.to_bytes());
        self.state = if result.ret == 0 {
            Dev::Ready
        } else {
            Dev::Stopped
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests;
