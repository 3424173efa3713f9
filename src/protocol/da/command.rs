//! The commands of the legacy DA's storage stage (MT6572.md §5.8), each with one [`Wire`]
//! layout: the command headers ([`DaRequest`]: readback 0xD6, NAND readback 0xDF, write 0x62,
//! format 0xD4, ...), the refusal with a status ([`Refusal`]), the USB status, format
//! progress and the partition table (PMT) the phone answers with.
//!
//! Bytes only: the exchanges that send and answer them are [`super::host`] and
//! [`super::device`]; the reports of the set-up stage are [`super::report`]. Sans-IO.

use super::{ACK, NACK, invalid};
use crate::protocol::{
    DaStatus, Hex, ProtocolError,
    wire::{DecodeError, Put, Reader, Wire},
};

/// A DA command refused with a status (decisions N4, D13): `A5` where the phone's `5A` (or a
/// format progress report) was due, then the status, u32 big-endian. Both sides use this one
/// layout: the phone encodes it, the host decodes it after reading the `A5` on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The DA status (mtkclient's numbering for later codes, decision N6).
    pub status: u32,
}

impl Refusal {
    /// Bytes after the leading `A5`: the status.
    pub const STATUS_LEN: usize = 4;

    /// The host's error for this refusal of `what` (the command, e.g. "FINISH").
    pub fn error(self, what: &'static str) -> ProtocolError {
        ProtocolError::Da {
            what,
            status: DaStatus::from_code(self.status),
        }
    }
}

impl Wire for Refusal {
    const WHAT: &'static str = "DA refusal";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u8(NACK);
        out.put_u32(self.status);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let first = r.u8()?;
        if first != NACK {
            return Err(DecodeError::Invalid(ProtocolError::Unexpected {
                what: Self::WHAT,
                expected: Hex(vec![NACK]),
                got: Hex(vec![first]),
            }));
        }
        Ok(Refusal { status: r.u32()? })
    }
}

/// Answer to 0x72 USB_CHECK_STATUS: `5A speed` (§5.8 \[V\]), or a [`Refusal`] (decision D13),
/// which decodes as the DA error for USB_CHECK_STATUS. Speed 0 (full speed) would make
/// mtkclient re-enumerate; the simulator answers 1 (decision D7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsbStatus {
    /// 0 = full speed, 1 = high speed.
    pub speed: u8,
}

impl Wire for UsbStatus {
    const WHAT: &'static str = "USB status";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u8(ACK);
        out.put_u8(self.speed);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let ack = r.u8()?;
        if ack == NACK {
            let refusal = Refusal { status: r.u32()? };
            let what = DaRequest::name_of(DaRequest::USB_CHECK);
            return Err(DecodeError::Invalid(refusal.error(what)));
        }
        if ack != ACK {
            return Err(DecodeError::Invalid(ProtocolError::Unexpected {
                what: Self::WHAT,
                expected: Hex(vec![ACK]),
                got: Hex(vec![ack]),
            }));
        }
        Ok(UsbStatus { speed: r.u8()? })
    }
}

/// Header of readback 0xD6 (§5.8 \[V\]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadbackRequest {
    /// Host OS byte (0x0C Linux).
    pub host_os: u8,
    /// Storage byte (0x02 eMMC).
    pub storage: u8,
    /// Byte offset inside the selected eMMC partition.
    pub addr: u64,
    /// Bytes to read.
    pub len: u64,
    /// Packet size.
    pub packet: u32,
}

/// What a NAND readback (0xDF) returns per page (decision N3; the values follow SP Flash
/// Tool's `NUTL_ReadFlag_E` order, and §5.8's `00 NUTL_READ_PAGE_SPARE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NandReadFlag {
    /// Each page's data, then its spare area.
    PageSpare,
    /// Page data only: what an image file holds.
    PageOnly,
    /// Spare areas only.
    SpareOnly,
}

impl NandReadFlag {
    /// The byte on the wire.
    pub fn byte(self) -> u8 {
        match self {
            NandReadFlag::PageSpare => 0,
            NandReadFlag::PageOnly => 1,
            NandReadFlag::SpareOnly => 2,
        }
    }

    /// The flag for a wire byte; `None` for flags mtkbench does not know.
    pub fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0 => NandReadFlag::PageSpare,
            1 => NandReadFlag::PageOnly,
            2 => NandReadFlag::SpareOnly,
            _ => return None,
        })
    }

    /// Bytes sent per page for a page of `page_size` data and `spare_size` spare bytes.
    pub fn unit(self, page_size: u32, spare_size: u32) -> u32 {
        match self {
            NandReadFlag::PageSpare => page_size + spare_size,
            NandReadFlag::PageOnly => page_size,
            NandReadFlag::SpareOnly => spare_size,
        }
    }
}

/// Header of NAND readback 0xDF (§5.8 \[C, U\], decision N3):
/// `DF host_os flag addr_type addr:u32 len:u32 container:u32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NandReadbackRequest {
    /// Host OS byte (0x0C Linux).
    pub host_os: u8,
    /// Read flag, see [`NandReadFlag`] (kept raw: the phone refuses unknown ones).
    pub flag: u8,
    /// Address type ([`NAND_ADDR_LOGICAL`](super::NAND_ADDR_LOGICAL)).
    pub addr_type: u8,
    /// Page-data byte offset, page aligned (decisions N2, N5).
    pub addr: u32,
    /// Page-data bytes to read, page aligned.
    pub len: u32,
    /// "Container length", always 0.
    pub container: u32,
}

/// The phone's answer after the 5A of a NAND readback (§5.8 \[C, U\], decision N3): the page
/// layout and the bytes it sends per page for the requested flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NandPageLayout {
    /// Data bytes per page.
    pub page_size: u32,
    /// Spare bytes per page.
    pub spare_size: u32,
    /// Bytes sent per page ([`NandReadFlag::unit`]); §5.8 calls it "packet", which it is
    /// with one page per packet.
    pub unit: u32,
}

impl Wire for NandPageLayout {
    const WHAT: &'static str = "NAND readback page layout";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u32(self.page_size);
        out.put_u32(self.spare_size);
        out.put_u32(self.unit);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let l = NandPageLayout {
            page_size: r.u32()?,
            spare_size: r.u32()?,
            unit: r.u32()?,
        };
        if l.page_size == 0 || l.unit == 0 {
            return Err(invalid(
                Self::WHAT,
                format!(
                    "page size {} and {} bytes per page cannot be read",
                    l.page_size, l.unit
                ),
            ));
        }
        Ok(l)
    }
}

/// Header of write 0x62 (§5.8 \[V\]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteRequest {
    /// Storage byte (0x01 eMMC in this command's numbering).
    pub storage: u8,
    /// eMMC partition id (8 = user).
    pub part: u8,
    /// Byte offset.
    pub addr: u64,
    /// Total bytes, a multiple of 512.
    pub len: u64,
    /// Packet size.
    pub packet: u32,
}

/// Header of format 0xD4 (§5.8 \[V\]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatRequest {
    /// Storage byte (0x02 eMMC).
    pub storage: u8,
    /// Format type (0 = NUTL erase).
    pub kind: u8,
    /// Validation (0 = none).
    pub validation: u8,
    /// Address type (0 = logical).
    pub addr_type: u8,
    /// Byte offset.
    pub addr: u64,
    /// Bytes to erase.
    pub len: u64,
}

/// A DA command header as the host sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaRequest {
    /// 0x72.
    UsbCheck,
    /// 0x60; the partition byte follows after the phone's ack.
    SwitchPart,
    /// 0xD6.
    Readback(ReadbackRequest),
    /// 0xDF.
    NandReadback(NandReadbackRequest),
    /// 0x62.
    Write(WriteRequest),
    /// 0xD4.
    Format(FormatRequest),
    /// 0xA5.
    ReadPmt,
    /// 0xD9.
    Finish,
}

impl DaRequest {
    /// Command byte of 0x72 USB_CHECK_STATUS.
    pub const USB_CHECK: u8 = 0x72;
    /// Command byte of 0x60 SDMMC_SWITCH_PART.
    pub const SWITCH_PART: u8 = 0x60;
    /// Command byte of 0xD6 READ.
    pub const READBACK: u8 = 0xD6;
    /// Command byte of 0xDF NAND_READPAGE.
    pub const NAND_READBACK: u8 = 0xDF;
    /// Command byte of 0x62 SDMMC_WRITE_DATA.
    pub const WRITE: u8 = 0x62;
    /// Command byte of 0xD4 FORMAT.
    pub const FORMAT: u8 = 0xD4;
    /// Command byte of 0xA5 SDMMC_READ_PMT.
    pub const READ_PMT: u8 = 0xA5;
    /// Command byte of 0xD9 FINISH.
    pub const FINISH: u8 = 0xD9;

    /// Every command byte mtkbench knows, with the name messages (and the simulator's
    /// `--fault nack=`) give it: mtkclient's names without their SDMMC_/_CMD decoration.
    pub const COMMANDS: [(u8, &'static str); 8] = [
        (Self::USB_CHECK, "USB_CHECK_STATUS"),
        (Self::SWITCH_PART, "SWITCH_PART"),
        (Self::READBACK, "READBACK"),
        (Self::NAND_READBACK, "NAND_READBACK"),
        (Self::WRITE, "WRITE"),
        (Self::FORMAT, "FORMAT"),
        (Self::READ_PMT, "READ_PMT"),
        (Self::FINISH, "FINISH"),
    ];

    /// Whether `b` starts a command mtkbench knows.
    pub fn is_known(b: u8) -> bool {
        Self::COMMANDS.iter().any(|(c, _)| *c == b)
    }

    /// The name of command byte `b` (see [`COMMANDS`](Self::COMMANDS)), or "unknown command".
    pub fn name_of(b: u8) -> &'static str {
        Self::COMMANDS
            .iter()
            .find(|(c, _)| *c == b)
            .map_or("unknown command", |(_, name)| name)
    }

    /// The command byte.
    pub fn byte(&self) -> u8 {
        match self {
            DaRequest::UsbCheck => Self::USB_CHECK,
            DaRequest::SwitchPart => Self::SWITCH_PART,
            DaRequest::Readback(_) => Self::READBACK,
            DaRequest::NandReadback(_) => Self::NAND_READBACK,
            DaRequest::Write(_) => Self::WRITE,
            DaRequest::Format(_) => Self::FORMAT,
            DaRequest::ReadPmt => Self::READ_PMT,
            DaRequest::Finish => Self::FINISH,
        }
    }
}

impl Wire for DaRequest {
    const WHAT: &'static str = "DA command";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u8(self.byte());
        match self {
            DaRequest::Readback(q) => {
                out.put_u8(q.host_os);
                out.put_u8(q.storage);
                out.put_u64(q.addr);
                out.put_u64(q.len);
                out.put_u32(q.packet);
            }
            DaRequest::NandReadback(q) => {
                out.put_u8(q.host_os);
                out.put_u8(q.flag);
                out.put_u8(q.addr_type);
                out.put_u32(q.addr);
                out.put_u32(q.len);
                out.put_u32(q.container);
            }
            DaRequest::Write(q) => {
                out.put_u8(q.storage);
                out.put_u8(q.part);
                out.put_u64(q.addr);
                out.put_u64(q.len);
                out.put_u32(q.packet);
            }
            DaRequest::Format(q) => {
                out.put_u8(q.storage);
                out.put_u8(q.kind);
                out.put_u8(q.validation);
                out.put_u8(q.addr_type);
                out.put_u64(q.addr);
                out.put_u64(q.len);
            }
            DaRequest::UsbCheck
            | DaRequest::SwitchPart
            | DaRequest::ReadPmt
            | DaRequest::Finish => {}
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let cmd = r.u8()?;
        let req = match cmd {
            Self::USB_CHECK => DaRequest::UsbCheck,
            Self::SWITCH_PART => DaRequest::SwitchPart,
            Self::READ_PMT => DaRequest::ReadPmt,
            Self::FINISH => DaRequest::Finish,
            Self::READBACK => DaRequest::Readback(ReadbackRequest {
                host_os: r.u8()?,
                storage: r.u8()?,
                addr: r.u64()?,
                len: r.u64()?,
                packet: r.u32()?,
            }),
            Self::NAND_READBACK => DaRequest::NandReadback(NandReadbackRequest {
                host_os: r.u8()?,
                flag: r.u8()?,
                addr_type: r.u8()?,
                addr: r.u32()?,
                len: r.u32()?,
                container: r.u32()?,
            }),
            Self::WRITE => DaRequest::Write(WriteRequest {
                storage: r.u8()?,
                part: r.u8()?,
                addr: r.u64()?,
                len: r.u64()?,
                packet: r.u32()?,
            }),
            Self::FORMAT => DaRequest::Format(FormatRequest {
                storage: r.u8()?,
                kind: r.u8()?,
                validation: r.u8()?,
                addr_type: r.u8()?,
                addr: r.u64()?,
                len: r.u64()?,
            }),
            other => {
                return Err(invalid(
                    Self::WHAT,
                    format!("unknown DA command {other:#04X}"),
                ));
            }
        };
        match req {
            DaRequest::Readback(ReadbackRequest { packet: 0, .. })
            | DaRequest::Write(WriteRequest { packet: 0, .. }) => Err(invalid(
                Self::WHAT,
                format!("command {cmd:#04X} with a packet size of 0"),
            )),
            req => Ok(req),
        }
    }
}

/// One format progress report: `5A 5A progress_init:u32 percent:u8` (§5.8 \[V\]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatProgress {
    /// The progress_init word (0 in the minimal answer).
    pub init: u32,
    /// Percent done; 100 ends the format.
    pub percent: u8,
}

/// What the phone sends after the host acks a 100 % progress report.
pub const FORMAT_DONE: [u8; 2] = [ACK, ACK];

impl Wire for FormatProgress {
    const WHAT: &'static str = "format progress";
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&FORMAT_DONE);
        out.put_u32(self.init);
        out.put_u8(self.percent);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let head = r.array::<2>()?;
        if head != FORMAT_DONE {
            return Err(DecodeError::Invalid(ProtocolError::Unexpected {
                what: Self::WHAT,
                expected: Hex(FORMAT_DONE.to_vec()),
                got: Hex(head.to_vec()),
            }));
        }
        Ok(FormatProgress {
            init: r.u32()?,
            percent: r.u8()?,
        })
    }
}

/// Size of one PMT entry in the 0xA5 answer (§5.8 \[V\]).
pub const PMT_ENTRY_LEN: usize = 0x60;
/// Offset of the byte that marks the 0x60-byte layout: the first entry's mask_flags, 0xFF.
pub const PMT_MARKER_OFFSET: usize = 0x48;

/// One partition of the DA's partition table (0xA5 answer), all little-endian on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PmtEntry {
    /// Name, at most 64 bytes.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Mask flags; the first entry's low byte is 0xFF (the layout marker, decision D6).
    pub mask_flags: u64,
    /// Byte offset in the user area.
    pub offset: u64,
}

/// Encodes PMT entries as the 0xA5 answer's data (decision D6).
pub fn encode_pmt(entries: &[PmtEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * PMT_ENTRY_LEN);
    for e in entries {
        let mut name = [0u8; 64];
        let n = e.name.len().min(64);
        name[..n].copy_from_slice(&e.name.as_bytes()[..n]);
        out.extend_from_slice(&name);
        out.put_u64_le(e.size);
        out.put_u64_le(e.mask_flags);
        out.put_u64_le(e.offset);
        out.extend_from_slice(&[0; 8]);
    }
    out
}

/// Parses the 0xA5 answer's data. Like mtkclient, only the 0x60-byte layout marked by 0xFF at
/// offset 0x48 is understood; entries end at the first empty name or the end of the data.
pub fn parse_pmt(data: &[u8]) -> Result<Vec<PmtEntry>, ProtocolError> {
    const WHAT: &str = "partition table (PMT)";
    if data.get(PMT_MARKER_OFFSET) != Some(&0xFF) {
        return Err(ProtocolError::Malformed {
            what: WHAT,
            detail: "not the 0x60-byte entry layout (no 0xFF marker at offset 0x48)".into(),
        });
    }
    let mut out = Vec::new();
    for chunk in data.chunks_exact(PMT_ENTRY_LEN) {
        let mut r = Reader::new(chunk);
        let name = r.bytes(64).map_err(|e| e.finalize(WHAT))?;
        let end = name.iter().position(|&b| b == 0).unwrap_or(64);
        if end == 0 {
            break;
        }
        let name = std::str::from_utf8(&name[..end]).map_err(|_| ProtocolError::Malformed {
            what: WHAT,
            detail: format!("entry {} has a name that is not text", out.len()),
        })?;
        let mut num = || r.u64_le().map_err(|e| e.finalize(WHAT));
        let (size, mask_flags, offset) = (num()?, num()?, num()?);
        out.push(PmtEntry {
            name: name.to_string(),
            size,
            mask_flags,
            offset,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::da::{
        DATA_PACKET, EmmcPart, HOST_OS_LINUX, NAND_ADDR_LOGICAL, STORAGE_EMMC_62, STORAGE_EMMC_D6,
        tests::hex,
    };

    #[test]
    fn write_header_matches_the_captured_bytes() {
        // §5.8 example: 62 01 08 0000000001C00000 0000000000005000 00100000.
        let q = DaRequest::Write(WriteRequest {
            storage: STORAGE_EMMC_62,
            part: EmmcPart::User.id(),
            addr: 0x1C0_0000,
            len: 0x5000,
            packet: DATA_PACKET,
        });
        let b = q.to_bytes();
        assert_eq!(
            b,
            hex("62 01 08 0000000001C00000 0000000000005000 00100000")
        );
        assert_eq!(DaRequest::from_exact(&b).unwrap(), q);
    }

    #[test]
    fn every_request_round_trips() {
        let all = [
            DaRequest::UsbCheck,
            DaRequest::SwitchPart,
            DaRequest::ReadPmt,
            DaRequest::Finish,
            DaRequest::Readback(ReadbackRequest {
                host_os: HOST_OS_LINUX,
                storage: STORAGE_EMMC_D6,
                addr: 0x400,
                len: 0x200,
                packet: DATA_PACKET,
            }),
            DaRequest::Format(FormatRequest {
                storage: STORAGE_EMMC_D6,
                kind: 0,
                validation: 0,
                addr_type: 0,
                addr: 1,
                len: 2,
            }),
            DaRequest::NandReadback(NandReadbackRequest {
                host_os: HOST_OS_LINUX,
                flag: NandReadFlag::PageSpare.byte(),
                addr_type: NAND_ADDR_LOGICAL,
                addr: 0x800,
                len: 0x1000,
                container: 0,
            }),
        ];
        for q in all {
            let b = q.to_bytes();
            assert!(DaRequest::is_known(b[0]));
            assert_eq!(DaRequest::from_exact(&b).unwrap(), q);
        }
        assert_eq!(DaRequest::to_bytes(&all[4]).len(), 23);
        assert_eq!(DaRequest::to_bytes(&all[5]).len(), 21);
        assert!(!DaRequest::is_known(0x70));
        // A zero packet size would never finish a transfer.
        let mut zero = all[4].to_bytes();
        zero[19..23].fill(0);
        assert!(matches!(
            DaRequest::parse(&zero),
            Err(DecodeError::Invalid(_))
        ));
        assert!(matches!(
            DaRequest::parse(&[0x70]),
            Err(DecodeError::Invalid(_))
        ));
    }

    #[test]
    fn nand_readback_header_and_layout_have_the_documented_bytes() {
        // §5.8: DF 0C 00(NUTL_READ_PAGE_SPARE) 01(NUTL_ADDR_LOGICAL) addr len 0.
        let q = DaRequest::NandReadback(NandReadbackRequest {
            host_os: HOST_OS_LINUX,
            flag: NandReadFlag::PageSpare.byte(),
            addr_type: NAND_ADDR_LOGICAL,
            addr: 0x2_0000,
            len: 0x800,
            container: 0,
        });
        let b = q.to_bytes();
        assert_eq!(b, hex("DF 0C 00 01 00020000 00000800 00000000"));
        assert_eq!(DaRequest::from_exact(&b).unwrap(), q);
        assert!(DaRequest::is_known(0xDF));
        let l = NandPageLayout {
            page_size: 0x800,
            spare_size: 0x40,
            unit: 0x840,
        };
        assert_eq!(l.to_bytes(), hex("00000800 00000040 00000840"));
        assert_eq!(NandPageLayout::from_exact(&l.to_bytes()).unwrap(), l);
        assert!(NandPageLayout::from_exact(&hex("00000800 00000040 00000000")).is_err());
        for f in [
            NandReadFlag::PageSpare,
            NandReadFlag::PageOnly,
            NandReadFlag::SpareOnly,
        ] {
            assert_eq!(NandReadFlag::from_byte(f.byte()), Some(f));
        }
        assert_eq!(NandReadFlag::from_byte(3), None);
        assert_eq!(NandReadFlag::PageSpare.unit(0x800, 0x40), 0x840);
        assert_eq!(NandReadFlag::PageOnly.unit(0x800, 0x40), 0x800);
        assert_eq!(NandReadFlag::SpareOnly.unit(0x800, 0x40), 0x40);
    }

    #[test]
    fn usb_status_and_format_progress_check_their_acks() {
        assert_eq!(UsbStatus::from_exact(&[0x5A, 0x01]).unwrap().speed, 1);
        assert!(UsbStatus::from_exact(&[0xA5, 0x01]).is_err());
        let p = FormatProgress {
            init: 0,
            percent: 100,
        };
        assert_eq!(p.to_bytes(), [0x5A, 0x5A, 0, 0, 0, 0, 0x64]);
        assert_eq!(FormatProgress::from_exact(&p.to_bytes()).unwrap(), p);
        assert!(FormatProgress::from_exact(&[0x5A, 0, 0, 0, 0, 0, 0x64]).is_err());
    }

    #[test]
    fn pmt_round_trips_and_needs_its_marker() {
        let entries = vec![
            PmtEntry {
                name: "PRELOADER".into(),
                size: 0xC0_0000,
                mask_flags: 0xFF,
                offset: 0,
            },
            PmtEntry {
                name: "NVRAM".into(),
                size: 0x50_0000,
                mask_flags: 0,
                offset: 0x40_0000,
            },
        ];
        let b = encode_pmt(&entries);
        assert_eq!(b.len(), 2 * PMT_ENTRY_LEN);
        assert_eq!(b[PMT_MARKER_OFFSET], 0xFF);
        assert_eq!(parse_pmt(&b).unwrap(), entries);
        // A trailing empty entry ends the table.
        let mut padded = b.clone();
        padded.extend_from_slice(&[0; PMT_ENTRY_LEN]);
        assert_eq!(parse_pmt(&padded).unwrap().len(), 2);
        let mut unmarked = b;
        unmarked[PMT_MARKER_OFFSET] = 0;
        assert!(parse_pmt(&unmarked).is_err());
        assert!(parse_pmt(&[]).is_err());
    }
}
