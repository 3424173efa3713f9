//! BootROM / preloader commands (MT6572.md §3) for both ends of the link.
//!
//! * [`BromCommand`] is the command table: byte, name, whether the phone echoes the command
//!   byte, and how many echoed 32-bit arguments follow. Host scripts and the phone-side parser
//!   both read it, so the header layout is written once.
//! * Replies ([`HwCode`], [`HwSwVer`], [`TargetConfig`], [`MeId`], [`DaUploadReply`],
//!   [`Read32Reply`]) implement [`Wire`]: the simulator encodes them, the host decodes them.
//! * Host side: one function per command returning a [`Script`] ([`get_hw_code`],
//!   [`write32`], [`send_da`], ...), plus [`disable_watchdog`] for the MT6572 init write.
//! * Phone side, in [`device`]: [`BromDevice`], fed the host's bytes, answers the handshake
//!   and echoes by itself and asks its owner (the simulator) for every real answer:
//!   [`BromDevice::pending`] shows the [`BromRequest`], [`BromDevice::answer`] takes the
//!   [`BromAnswer`].
//!
//! Sources: mtkclient a6a7147 `mtkclient/Library/mtk_preloader.py` as described in MT6572.md
//! §3.3; tags there. Sans-IO.

use super::{
    ProtocolError,
    checksum::xor16,
    decisions::{BROM_REPLY_TIMEOUT, SEND_DA_TRAILER_TIMEOUT},
    mt6572,
    script::Script,
    wire::{DecodeError, Put, Reader, Wire},
};

pub mod device;

pub use device::{BromAnswer, BromDevice, BromEvent, BromRequest};

/// Highest first status word WRITE32 accepts (MT6580/82 answer 0x0001; mtkclient allows <= 3).
pub const WRITE32_FIRST_STATUS_MAX: u16 = 0x0003;

/// Highest status word counted as success elsewhere (mtkclient's rule, §3.1).
pub const STATUS_OK_MAX: u16 = 0x00FF;

/// The BROM/preloader commands mtkbench uses on an MT6572 (§3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BromCommand {
    /// FD: hardware code and a status word.
    GetHwCode,
    /// FC: hardware sub-code, hardware and software versions.
    GetHwSwVer,
    /// FE: bootloader version; a BROM answers FE itself. Not echoed.
    GetBlVer,
    /// FF: BROM version byte. Not echoed.
    GetBromVer,
    /// D8: security configuration bits.
    GetTargetConfig,
    /// D4: write 32-bit words (used to disable the watchdog).
    Write32,
    /// D1: read 32-bit words.
    Read32,
    /// E1: the chip's ME ID.
    GetMeId,
    /// D7: upload a DA stage.
    SendDa,
    /// D5: jump to an uploaded DA stage.
    JumpDa,
}

impl BromCommand {
    /// Every command, in table order.
    pub const ALL: [BromCommand; 10] = [
        BromCommand::GetHwCode,
        BromCommand::GetHwSwVer,
        BromCommand::GetBlVer,
        BromCommand::GetBromVer,
        BromCommand::GetTargetConfig,
        BromCommand::Write32,
        BromCommand::Read32,
        BromCommand::GetMeId,
        BromCommand::SendDa,
        BromCommand::JumpDa,
    ];

    /// The command byte.
    pub const fn byte(self) -> u8 {
        match self {
            BromCommand::GetHwCode => 0xFD,
            BromCommand::GetHwSwVer => 0xFC,
            BromCommand::GetBlVer => 0xFE,
            BromCommand::GetBromVer => 0xFF,
            BromCommand::GetTargetConfig => 0xD8,
            BromCommand::Write32 => 0xD4,
            BromCommand::Read32 => 0xD1,
            BromCommand::GetMeId => 0xE1,
            BromCommand::SendDa => 0xD7,
            BromCommand::JumpDa => 0xD5,
        }
    }

    /// The command for a byte, if mtkbench knows it.
    pub fn from_byte(b: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.byte() == b)
    }

    /// mtkclient's name for the command.
    pub const fn name(self) -> &'static str {
        match self {
            BromCommand::GetHwCode => "GET_HW_CODE",
            BromCommand::GetHwSwVer => "GET_HW_SW_VER",
            BromCommand::GetBlVer => "GET_BL_VER",
            BromCommand::GetBromVer => "GET_VERSION",
            BromCommand::GetTargetConfig => "GET_TARGET_CONFIG",
            BromCommand::Write32 => "WRITE32",
            BromCommand::Read32 => "READ32",
            BromCommand::GetMeId => "GET_ME_ID",
            BromCommand::SendDa => "SEND_DA",
            BromCommand::JumpDa => "JUMP_DA",
        }
    }

    /// Whether the phone echoes the command byte (FE and FF are answered directly, §3.1).
    pub const fn echoes(self) -> bool {
        !matches!(self, BromCommand::GetBlVer | BromCommand::GetBromVer)
    }

    /// How many big-endian u32 arguments follow the command byte, each echoed by the phone.
    pub const fn arg_count(self) -> usize {
        match self {
            BromCommand::Write32 | BromCommand::Read32 => 2,
            BromCommand::SendDa => 3,
            BromCommand::JumpDa => 1,
            _ => 0,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Replies (one layout each, used by both ends)

/// FD reply: `hw_code:u16 status:u16` (§3.3.1 \[V\]). mtkclient reads the second word as a
/// provisional hardware version and never checks it, so neither does mtkbench.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HwCode {
    /// 0x6572 for an MT6572.
    pub hw_code: u16,
    /// The status word (0 on real MT6572 units).
    pub status: u16,
}

impl Wire for HwCode {
    const WHAT: &'static str = "GET_HW_CODE reply";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16(self.hw_code);
        out.put_u16(self.status);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(HwCode {
            hw_code: r.u16()?,
            status: r.u16()?,
        })
    }
}

/// FC reply: `hw_sub_code hw_ver sw_ver status`, all u16 (§3.3.2 \[V\]; status ignored, as
/// mtkclient does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HwSwVer {
    /// Hardware sub-code.
    pub hw_sub_code: u16,
    /// Hardware version (selects the DA entry).
    pub hw_ver: u16,
    /// Software version (selects the DA entry).
    pub sw_ver: u16,
    /// Status word.
    pub status: u16,
}

impl Wire for HwSwVer {
    const WHAT: &'static str = "GET_HW_SW_VER reply";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16(self.hw_sub_code);
        out.put_u16(self.hw_ver);
        out.put_u16(self.sw_ver);
        out.put_u16(self.status);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(HwSwVer {
            hw_sub_code: r.u16()?,
            hw_ver: r.u16()?,
            sw_ver: r.u16()?,
            status: r.u16()?,
        })
    }
}

/// D8 reply: `config:u32 status:u16` (§3.3.4 \[V\]); the bits are the phone's security setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetConfig {
    /// The configuration bits (0 on real MT6572 units).
    pub config: u32,
    /// Status word; above 0xFF the host fails.
    pub status: u16,
}

impl TargetConfig {
    /// Secure boot (SBC) is enabled.
    pub fn secure_boot(&self) -> bool {
        self.config & 0x01 != 0
    }
    /// Serial link authorisation (SLA) is required.
    pub fn sla(&self) -> bool {
        self.config & 0x02 != 0
    }
    /// DA authorisation (DAA) is required: only signed DAs run.
    pub fn daa(&self) -> bool {
        self.config & 0x04 != 0
    }
    /// EPP parameters follow the boot header.
    pub fn epp(&self) -> bool {
        self.config & 0x08 != 0
    }
    /// A root certificate is required.
    pub fn root_cert(&self) -> bool {
        self.config & 0x10 != 0
    }
    /// Memory reads need authorisation.
    pub fn mem_read_auth(&self) -> bool {
        self.config & 0x20 != 0
    }
    /// Memory writes need authorisation.
    pub fn mem_write_auth(&self) -> bool {
        self.config & 0x40 != 0
    }
    /// Command C8 is blocked.
    pub fn cmd_c8_blocked(&self) -> bool {
        self.config & 0x80 != 0
    }
    /// Any protection that stops an unsigned DA (SBC, SLA or DAA).
    pub fn is_protected(&self) -> bool {
        self.config & 0x07 != 0
    }
}

impl Wire for TargetConfig {
    const WHAT: &'static str = "GET_TARGET_CONFIG reply";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u32(self.config);
        out.put_u16(self.status);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(TargetConfig {
            config: r.u32()?,
            status: r.u16()?,
        })
    }
}

/// The longest ME ID accepted; real chips send 16 bytes (§3.3.7).
pub const ME_ID_MAX_LEN: u32 = 0x100;

/// E1 reply: `len:u32`, `len` bytes, `status:u16` **little-endian** (§3.3.7 \[V\]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeId {
    /// The ME ID bytes (16 on MT6572).
    pub id: Vec<u8>,
    /// Status word.
    pub status: u16,
}

impl Wire for MeId {
    const WHAT: &'static str = "GET_ME_ID reply";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u32(self.id.len() as u32);
        out.extend_from_slice(&self.id);
        out.put_u16_le(self.status);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let len = r.u32()?;
        if len > ME_ID_MAX_LEN {
            return Err(DecodeError::Invalid(ProtocolError::Malformed {
                what: Self::WHAT,
                detail: format!("an ME ID of {len} bytes is not plausible"),
            }));
        }
        Ok(MeId {
            id: r.bytes(len as usize)?.to_vec(),
            status: r.u16_le()?,
        })
    }
}

/// D7 trailer after the payload: `checksum:u16 status:u16` (§3.3.9 \[V\]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaUploadReply {
    /// The phone's XOR16 of the payload.
    pub checksum: u16,
    /// Status word.
    pub status: u16,
}

impl Wire for DaUploadReply {
    const WHAT: &'static str = "SEND_DA checksum and status";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16(self.checksum);
        out.put_u16(self.status);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(DaUploadReply {
            checksum: r.u16()?,
            status: r.u16()?,
        })
    }
}

/// D1 reply after the echoed header: `status:u16`, the words, `status:u16` (§3.3.6 \[C\]).
/// The phone encodes it in one piece; the host reads it in three steps, so that a failing
/// first status stops it early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read32Reply {
    /// First status word.
    pub status: u16,
    /// The words read.
    pub values: Vec<u32>,
    /// Final status word.
    pub status2: u16,
}

impl Read32Reply {
    /// The reply's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.put_u16(self.status);
        for v in &self.values {
            out.put_u32(*v);
        }
        out.put_u16(self.status2);
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Host side

/// A BROM command's host-side exchange.
pub type BromExchange<T> = Script<T>;

/// The command byte, echoed or not, then the echoed arguments (from [`BromCommand`]).
fn header<T>(
    cmd: BromCommand,
    args: &[u32],
    finish: fn(&[u8]) -> Result<T, ProtocolError>,
) -> Script<T> {
    debug_assert_eq!(args.len(), cmd.arg_count());
    let mut s = Script::new(finish);
    s = if cmd.echoes() {
        s.echo(cmd.name(), [cmd.byte()], BROM_REPLY_TIMEOUT)
    } else {
        s.send([cmd.byte()])
    };
    for a in args {
        s = s.echo(cmd.name(), a.to_be_bytes(), BROM_REPLY_TIMEOUT);
    }
    s
}

fn nothing(_: &[u8]) -> Result<(), ProtocolError> {
    Ok(())
}

/// FD: the hardware code (§3.3.1).
pub fn get_hw_code() -> BromExchange<HwCode> {
    header(BromCommand::GetHwCode, &[], HwCode::from_exact)
        .recv::<HwCode>("GET_HW_CODE reply", BROM_REPLY_TIMEOUT)
}

/// FC: hardware sub-code and versions (§3.3.2).
pub fn get_hw_sw_ver() -> BromExchange<HwSwVer> {
    header(BromCommand::GetHwSwVer, &[], HwSwVer::from_exact)
        .recv::<HwSwVer>("GET_HW_SW_VER reply", BROM_REPLY_TIMEOUT)
}

/// FE: the bootloader version byte; `0xFE` means the BROM answered (§3.3.3). See
/// [`is_brom_answer`].
pub fn get_bl_ver() -> BromExchange<u8> {
    header(BromCommand::GetBlVer, &[], u8::from_exact)
        .recv::<u8>("GET_BL_VER reply", BROM_REPLY_TIMEOUT)
}

/// FF: the BROM version byte (a preloader answers `0xFF`, §3.3.3).
pub fn get_brom_ver() -> BromExchange<u8> {
    header(BromCommand::GetBromVer, &[], u8::from_exact)
        .recv::<u8>("GET_VERSION reply", BROM_REPLY_TIMEOUT)
}

/// True when the answer to FE shows the BROM is talking (it answers FE with FE), false for a
/// preloader (which answers its version, e.g. 0x01).
pub fn is_brom_answer(fe_answer: u8) -> bool {
    fe_answer == BromCommand::GetBlVer.byte()
}

/// D8: the security configuration; fails on a status above 0xFF (§3.3.4).
pub fn get_target_config() -> BromExchange<TargetConfig> {
    fn finish(b: &[u8]) -> Result<TargetConfig, ProtocolError> {
        let tc = TargetConfig::from_exact(b)?;
        if tc.status > STATUS_OK_MAX {
            return Err(ProtocolError::Brom {
                what: "GET_TARGET_CONFIG",
                status: super::BromStatus::from_code(tc.status),
            });
        }
        Ok(tc)
    }
    header(BromCommand::GetTargetConfig, &[], finish)
        .recv::<TargetConfig>("GET_TARGET_CONFIG reply", BROM_REPLY_TIMEOUT)
}

/// D4: writes `values` to consecutive words from `addr` (§3.3.5). An empty list only sends
/// the header.
pub fn write32(addr: u32, values: &[u32]) -> BromExchange<()> {
    let mut s = header(BromCommand::Write32, &[addr, values.len() as u32], nothing).status(
        "WRITE32 status",
        WRITE32_FIRST_STATUS_MAX,
        BROM_REPLY_TIMEOUT,
    );
    for v in values {
        s = s
            .echo("WRITE32 value", v.to_be_bytes(), BROM_REPLY_TIMEOUT)
            .status("WRITE32 value status", STATUS_OK_MAX, BROM_REPLY_TIMEOUT);
    }
    s
}

/// The one write mtkclient makes during MT6572 init: WDT_MODE = 0x22000064 (§3.3.5 \[V\]).
pub fn disable_watchdog() -> BromExchange<()> {
    write32(mt6572::WDT_MODE_ADDR, &[mt6572::WDT_DISABLE_VALUE])
}

/// D1: reads `count` words from `addr` (§3.3.6).
pub fn read32(addr: u32, count: u32) -> BromExchange<Vec<u32>> {
    fn finish(b: &[u8]) -> Result<Vec<u32>, ProtocolError> {
        Ok(b.chunks_exact(4)
            .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
            .collect())
    }
    header(BromCommand::Read32, &[addr, count], finish)
        .status("READ32 status", STATUS_OK_MAX, BROM_REPLY_TIMEOUT)
        .recv_exact("READ32 data", count as usize * 4, BROM_REPLY_TIMEOUT)
        .status("READ32 final status", STATUS_OK_MAX, BROM_REPLY_TIMEOUT)
}

/// E1: the ME ID (§3.3.7). mtkclient sends FE first; that is a separate [`get_bl_ver`].
pub fn get_me_id() -> BromExchange<MeId> {
    fn finish(b: &[u8]) -> Result<MeId, ProtocolError> {
        let id = MeId::from_exact(b)?;
        if id.status > STATUS_OK_MAX {
            return Err(ProtocolError::Brom {
                what: "GET_ME_ID",
                status: super::BromStatus::from_code(id.status),
            });
        }
        Ok(id)
    }
    header(BromCommand::GetMeId, &[], finish).recv::<MeId>("GET_ME_ID reply", BROM_REPLY_TIMEOUT)
}

/// What the phone said after a DA upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaUploaded {
    /// Our XOR16 of the payload.
    pub checksum: u16,
    /// The phone's; 0 when the phone does not compute one.
    pub phone_checksum: u16,
}

/// D7: uploads `payload` (a DA region, body plus signature) to `addr` (§3.3.9). Fails when
/// the phone reports a non-zero checksum that differs from ours (decision B2).
pub fn send_da(addr: u32, sig_len: u32, payload: &[u8]) -> BromExchange<DaUploaded> {
    fn finish(b: &[u8]) -> Result<DaUploaded, ProtocolError> {
        // The script keeps only the trailer; our own checksum was appended before it.
        let (ours, trailer) = b.split_at(b.len().min(2));
        let ours = u16::from_exact(ours)?;
        let reply = DaUploadReply::from_exact(trailer)?;
        if reply.status > STATUS_OK_MAX {
            return Err(ProtocolError::Brom {
                what: "SEND_DA upload",
                status: super::BromStatus::from_code(reply.status),
            });
        }
        if reply.checksum != 0 && reply.checksum != ours {
            return Err(ProtocolError::Checksum {
                what: "DA upload",
                expected: ours,
                got: reply.checksum,
            });
        }
        Ok(DaUploaded {
            checksum: ours,
            phone_checksum: reply.checksum,
        })
    }
    header(
        BromCommand::SendDa,
        &[addr, payload.len() as u32, sig_len],
        finish,
    )
    .carry(&xor16(payload).to_be_bytes())
    .status("SEND_DA status", STATUS_OK_MAX, BROM_REPLY_TIMEOUT)
    .payload(payload.to_vec())
    .recv::<DaUploadReply>("SEND_DA checksum", SEND_DA_TRAILER_TIMEOUT)
}

/// D5: starts the DA at `addr`; the status must be exactly 0 (§3.3.10).
pub fn jump_da(addr: u32) -> BromExchange<()> {
    header(BromCommand::JumpDa, &[addr], nothing).status("JUMP_DA status", 0, BROM_REPLY_TIMEOUT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{BromStatus, Exchange, Step};

    /// Runs a host exchange against a BromDevice, answering with `respond`. Returns the host's
    /// result, and everything each side sent.
    pub(crate) fn back_to_back<T: std::fmt::Debug>(
        mut ex: BromExchange<T>,
        dev: &mut BromDevice,
        mut respond: impl FnMut(BromRequest) -> BromAnswer,
    ) -> (Result<T, ProtocolError>, Vec<u8>, Vec<u8>) {
        let (mut host_sent, mut dev_sent) = (Vec::new(), Vec::new());
        let mut wire = std::collections::VecDeque::new();
        loop {
            let step = match ex.poll() {
                Ok(s) => s,
                Err(e) => return (Err(e), host_sent, dev_sent),
            };
            match step {
                Step::Send(bytes) => {
                    host_sent.extend_from_slice(&bytes);
                    let mut rest = &bytes[..];
                    while !rest.is_empty() {
                        let (n, _) = dev.feed(rest).unwrap();
                        if let Some(req) = dev.pending() {
                            dev.answer(respond(req)).unwrap();
                        }
                        rest = &rest[n..];
                        let out = dev.take_output();
                        dev_sent.extend_from_slice(&out);
                        wire.extend(out);
                    }
                }
                Step::Recv { len, .. } => {
                    let got: Vec<u8> = (0..len).map_while(|_| wire.pop_front()).collect();
                    assert_eq!(got.len(), len, "the phone sent too little");
                    if let Err(e) = ex.feed(&got) {
                        return (Err(e), host_sent, dev_sent);
                    }
                }
                Step::Done(v) => {
                    assert!(wire.is_empty(), "unread bytes: {wire:?}");
                    return (Ok(v), host_sent, dev_sent);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    pub(super) fn connected() -> BromDevice {
        let mut d = BromDevice::new();
        let (n, ev) = d.feed(&[0xA0, 0x0A, 0x50, 0x05]).unwrap();
        assert_eq!((n, ev), (4, Some(BromEvent::Connected)));
        assert_eq!(d.take_output(), [0x5F, 0xF5, 0xAF, 0xFA]);
        d
    }

    fn mt6572(req: BromRequest) -> BromAnswer {
        match req {
            BromRequest::GetHwCode => BromAnswer::HwCode(HwCode {
                hw_code: 0x6572,
                status: 0,
            }),
            BromRequest::GetHwSwVer => BromAnswer::HwSwVer(HwSwVer {
                hw_sub_code: 0x8A00,
                hw_ver: 0xCA00,
                sw_ver: 0,
                status: 0,
            }),
            BromRequest::GetBlVer => BromAnswer::Byte(0xFE),
            BromRequest::GetBromVer => BromAnswer::Byte(0x05),
            BromRequest::GetTargetConfig => BromAnswer::TargetConfig(TargetConfig {
                config: 0,
                status: 0,
            }),
            BromRequest::GetMeId => BromAnswer::MeId(MeId {
                id: (0..16).collect(),
                status: 0,
            }),
            BromRequest::Read32 { addr, count } => BromAnswer::Read32(Read32Reply {
                status: 0,
                values: (0..count).map(|i| addr + i).collect(),
                status2: 0,
            }),
            BromRequest::DaReceived { checksum } => BromAnswer::DaReceived(DaUploadReply {
                checksum,
                status: 0,
            }),
            _ => BromAnswer::Status(1),
        }
    }

    #[test]
    fn command_table_is_consistent() {
        for c in BromCommand::ALL {
            assert_eq!(BromCommand::from_byte(c.byte()), Some(c));
        }
        assert_eq!(BromCommand::from_byte(0x00), None);
        assert!(!BromCommand::GetBlVer.echoes());
        assert!(BromCommand::GetHwCode.echoes());
    }

    #[test]
    fn replies_round_trip_with_spec_bytes() {
        // §3.3.1: MT6572 sends 65 72 00 00.
        let hw = HwCode::from_exact(&[0x65, 0x72, 0, 0]).unwrap();
        assert_eq!(hw.hw_code, 0x6572);
        assert_eq!(hw.to_bytes(), [0x65, 0x72, 0, 0]);
        // §3.4 step 7: 8A00 CA00 0000 0000.
        let v = HwSwVer::from_exact(&[0x8A, 0, 0xCA, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!((v.hw_sub_code, v.hw_ver, v.sw_ver), (0x8A00, 0xCA00, 0));
        assert_eq!(v.to_bytes(), [0x8A, 0, 0xCA, 0, 0, 0, 0, 0]);
        let tc = TargetConfig::from_exact(&[0, 0, 0, 0x07, 0, 0]).unwrap();
        assert!(tc.secure_boot() && tc.sla() && tc.daa() && tc.is_protected());
        assert!(!tc.epp() && !tc.mem_read_auth() && !tc.cmd_c8_blocked());
        let me = MeId {
            id: vec![0xAB; 16],
            status: 0x0102,
        };
        let b = me.to_bytes();
        assert_eq!(&b[..4], &[0, 0, 0, 0x10]);
        assert_eq!(&b[20..], &[0x02, 0x01], "status is little-endian");
        assert_eq!(MeId::from_exact(&b).unwrap(), me);
        let up = DaUploadReply {
            checksum: 0xBEEF,
            status: 0,
        };
        assert_eq!(DaUploadReply::from_exact(&up.to_bytes()).unwrap(), up);
    }

    #[test]
    fn me_id_with_absurd_length_is_rejected() {
        assert!(matches!(
            MeId::parse(&[0xFF, 0xFF, 0xFF, 0xFF]),
            Err(DecodeError::Invalid(_))
        ));
    }

    #[test]
    fn watchdog_write_is_byte_exact() {
        // §3.3.5 \[V\]: D4 | 10007000 | 00000001 | 22000064, statuses 00 01.
        let mut dev = connected();
        let mut writes = Vec::new();
        let (r, host, phone) = back_to_back(disable_watchdog(), &mut dev, |req| {
            if let BromRequest::Write32Value { addr, value } = req {
                writes.push((addr, value));
            }
            BromAnswer::Status(1)
        });
        r.unwrap();
        assert_eq!(
            host,
            [
                0xD4, 0x10, 0x00, 0x70, 0x00, 0, 0, 0, 1, 0x22, 0x00, 0x00, 0x64
            ]
        );
        assert_eq!(
            phone,
            [
                0xD4, 0x10, 0x00, 0x70, 0x00, 0, 0, 0, 1, 0x00, 0x01, 0x22, 0x00, 0x00, 0x64, 0x00,
                0x01
            ]
        );
        assert_eq!(writes, [(0x1000_7000, 0x2200_0064)]);
    }

    #[test]
    fn every_query_works_back_to_back() {
        let mut dev = connected();
        let (hw, host, phone) = back_to_back(get_hw_code(), &mut dev, mt6572);
        assert_eq!(hw.unwrap().hw_code, 0x6572);
        assert_eq!((host, phone), (vec![0xFD], vec![0xFD, 0x65, 0x72, 0, 0]));

        let (v, _, _) = back_to_back(get_hw_sw_ver(), &mut dev, mt6572);
        assert_eq!(v.unwrap().hw_ver, 0xCA00);

        let (fe, host, phone) = back_to_back(get_bl_ver(), &mut dev, mt6572);
        assert!(is_brom_answer(fe.unwrap()));
        assert_eq!((host, phone), (vec![0xFE], vec![0xFE]), "FE is not echoed");

        let (ff, _, phone) = back_to_back(get_brom_ver(), &mut dev, mt6572);
        assert_eq!((ff.unwrap(), phone), (0x05, vec![0x05]));
        assert!(!is_brom_answer(0x01));

        let (tc, _, phone) = back_to_back(get_target_config(), &mut dev, mt6572);
        assert!(!tc.unwrap().is_protected());
        assert_eq!(phone, [0xD8, 0, 0, 0, 0, 0, 0]);

        let (me, _, _) = back_to_back(get_me_id(), &mut dev, mt6572);
        assert_eq!(me.unwrap().id, (0..16).collect::<Vec<u8>>());

        let (words, _, _) = back_to_back(read32(0x1000_0000, 3), &mut dev, mt6572);
        assert_eq!(words.unwrap(), [0x1000_0000, 0x1000_0001, 0x1000_0002]);
    }

    #[test]
    fn send_da_streams_payload_and_checks_the_xor() {
        let payload: Vec<u8> = (0..3000u32).map(|i| (i * 7) as u8).collect();
        let mut dev = connected();
        let mut seen = Vec::new();
        let ex = send_da(0x0200_7000, 0x100, &payload);
        let (r, host, phone) = back_to_back(ex, &mut dev, |req| {
            seen.push(req);
            mt6572(req)
        });
        let up = r.unwrap();
        assert_eq!(up.checksum, xor16(&payload));
        assert_eq!(up.phone_checksum, up.checksum);
        assert_eq!(
            &host[..13],
            &[0xD7, 2, 0, 0x70, 0, 0, 0, 0x0B, 0xB8, 0, 0, 1, 0]
        );
        assert_eq!(&host[13..], &payload[..]);
        // Echoes, status 0001, then checksum and status.
        assert_eq!(phone.len(), 13 + 2 + 4);
        assert_eq!(
            seen[0],
            BromRequest::SendDa {
                addr: 0x0200_7000,
                len: 3000,
                sig_len: 0x100
            }
        );
        assert_eq!(
            seen[1],
            BromRequest::DaReceived {
                checksum: xor16(&payload)
            }
        );
    }

    #[test]
    fn send_da_fails_on_checksum_mismatch_and_accepts_zero() {
        let payload = [1u8, 2, 3, 4];
        for (phone_sum, ok) in [(0x1234u16, false), (0, true)] {
            let mut dev = connected();
            let (r, _, _) =
                back_to_back(
                    send_da(0x0200_7000, 0, &payload),
                    &mut dev,
                    |req| match req {
                        BromRequest::DaReceived { .. } => BromAnswer::DaReceived(DaUploadReply {
                            checksum: phone_sum,
                            status: 0,
                        }),
                        _ => BromAnswer::Status(0),
                    },
                );
            assert_eq!(r.is_ok(), ok, "{r:?}");
        }
    }

    #[test]
    fn send_da_stops_before_the_payload_when_sla_is_required() {
        let mut dev = connected();
        let (r, host, _) = back_to_back(send_da(0x0200_7000, 0, &[9; 64]), &mut dev, |_| {
            BromAnswer::Status(0x1D0D)
        });
        assert_eq!(
            r.unwrap_err(),
            ProtocolError::Brom {
                what: "SEND_DA status",
                status: BromStatus::SlaRequired
            }
        );
        assert_eq!(host.len(), 13, "no payload byte was sent");
        assert_eq!(dev.pending(), None);
    }

    #[test]
    fn jump_da_needs_status_zero_and_then_hands_over() {
        let mut dev = connected();
        let (r, host, _) = back_to_back(jump_da(0x0200_7000), &mut dev, |_| BromAnswer::Status(0));
        r.unwrap();
        assert_eq!(host, [0xD5, 2, 0, 0x70, 0]);
        assert!(dev.jumped());
        assert!(dev.feed(&[0x72]).is_err());

        let mut dev = connected();
        let (r, _, _) = back_to_back(jump_da(0x0200_7000), &mut dev, |_| BromAnswer::Status(1));
        assert!(r.is_err());
        assert!(!dev.jumped());
    }

    #[test]
    fn write32_with_several_values_walks_the_addresses() {
        let mut dev = connected();
        let mut seen = Vec::new();
        let (r, _, _) = back_to_back(write32(0x100, &[1, 2, 3]), &mut dev, |req| {
            seen.push(req);
            BromAnswer::Status(0)
        });
        r.unwrap();
        assert_eq!(
            seen,
            [
                BromRequest::Write32 {
                    addr: 0x100,
                    count: 3
                },
                BromRequest::Write32Value {
                    addr: 0x100,
                    value: 1
                },
                BromRequest::Write32Value {
                    addr: 0x104,
                    value: 2
                },
                BromRequest::Write32Value {
                    addr: 0x108,
                    value: 3
                },
            ]
        );
    }

    #[test]
    fn write32_first_status_above_three_fails() {
        let mut dev = connected();
        let (r, _, _) = back_to_back(write32(0x100, &[1]), &mut dev, |_| BromAnswer::Status(4));
        assert!(matches!(
            r,
            Err(ProtocolError::Brom {
                what: "WRITE32 status",
                ..
            })
        ));
    }
}
