//! The legacy Download Agent protocol (MT6572.md §5), for both ends of the link.
//!
//! * This file: the shared constants (acks, storage bytes, packet sizes), [`StorageKind`] and
//!   [`EmmcPart`].
//! * [`report`]: the set-up stage's bytes, each with one [`Wire`](super::wire::Wire) layout: the DA1 storage
//!   report, the 18-byte configuration block, the DA2 upload header, the DA2 storage report.
//! * [`command`]: the storage stage's bytes: the command headers ([`DaRequest`]), the USB
//!   status, format progress, the PMT and the refusal with a status ([`Refusal`]).
//! * [`host`]: the host's exchanges (sync, config, DA2 upload, USB check, switch partition,
//!   readback 0xD6, NAND readback 0xDF, write 0x62, format 0xD4, PMT 0xA5, finish 0xD9).
//! * [`device`]: [`DaDevice`], the phone side that the simulator drives.
//!
//! Sources: mtkclient a6a7147 `Library/DA/legacy/dalegacy_lib.py` and `dalegacy_param.py`, as
//! described in MT6572.md §5 (tags there). Sans-IO.

use super::{ProtocolError, wire::DecodeError};

pub mod command;
pub mod device;
pub mod dram;
pub mod host;
pub mod report;

pub use command::{
    DaRequest, FORMAT_DONE, FormatProgress, FormatRequest, NandPageLayout, NandReadFlag,
    NandReadbackRequest, PMT_ENTRY_LEN, PMT_MARKER_OFFSET, PmtEntry, ReadbackRequest, Refusal,
    UsbStatus, WriteRequest, encode_pmt, parse_pmt,
};
pub use device::{DaAnswer, DaAsk, DaDevice, DaEvent};
pub use dram::{DramPrompt, EmiRequest, EmiSetup, RamResult, dram_result};
pub use host::{
    Finish, Format, PmtRead, Readback, ReadbackSummary, Write, da_sync, finish, format,
    nand_format, nand_readback, nand_write, read_pmt, readback, switch_part, upload_da2, usb_check,
    write,
};
pub use report::{
    DRAM_EMI_NEEDED, DRAM_OK, Da1Report, Da2Header, Da2Report, DaConfig, EmmcInfo, MAX_NAND_IDS,
    NandFacts, NandGeometry, NandInfo, NandSizeWidth, NorInfo, PassInfo, RamInfo, SdmmcInfo,
};

/// Generic OK.
pub const ACK: u8 = 0x5A;
/// Generic failure; the host also sends it to abort a failed readback.
pub const NACK: u8 = 0xA5;
/// "Continue": the per-packet ack of write 0x62.
pub const CONT: u8 = 0x69;
/// The first byte the DA sends after the jump.
pub const SYNC: u8 = 0xC0;
/// Last byte of the DA2 report.
pub const SOC_OK: u8 = 0xC1;
/// What the phone answers to a command it does not know (decision D8).
pub const UNKNOWN_CMD: u8 = 0xBB;

/// Host OS byte in the readback header: 0x0C means Linux.
pub const HOST_OS_LINUX: u8 = 0x0C;
/// Storage byte of readback 0xD6 and format 0xD4 for eMMC.
pub const STORAGE_EMMC_D6: u8 = 0x02;
/// Storage byte of write 0x62 for eMMC (a different numbering, §5.8).
pub const STORAGE_EMMC_62: u8 = 0x01;
/// Storage byte of format 0xD4 (and readback 0xD6) for NAND: the numbering of those commands
/// is 0 NOR, 1 NAND, 2 eMMC (§5.8, mtkclient's `Storage`).
pub const STORAGE_NAND_D6: u8 = 0x01;
/// Storage byte of write 0x62 for NAND (§5.8, the `DaStorage` numbering).
pub const STORAGE_NAND_62: u8 = 0x10;
/// Partition byte of write 0x62 on NAND: a NAND has no hardware partitions (decision N4).
pub const NAND_PART: u8 = 0x00;
/// Address-type byte of 0xDF as §5.8 documents it ("01 NUTL_ADDR_LOGICAL", decision N3).
pub const NAND_ADDR_LOGICAL: u8 = 0x01;
/// Packet size the host asks for in readback and write: 1 MiB.
pub const DATA_PACKET: u32 = 0x0010_0000;
/// Packet size of the DA2 upload.
pub const DA2_PACKET: u32 = 0x1000;
/// Write lengths are rounded up to this, and each chunk is padded with zeros to it.
pub const SECTOR: u64 = 512;

/// Storage kind as the DA reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// eMMC (every known MT6572 smartphone).
    Emmc,
    /// Raw NAND.
    Nand,
    /// NOR, or nothing found.
    Nor,
}

/// eMMC hardware partitions (§5.8 0x60).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmmcPart {
    /// Boot partition 1: the preloader.
    Boot1,
    /// Boot partition 2: normally unused.
    Boot2,
    /// Replay-protected memory block.
    Rpmb,
    /// General-purpose partition 1 to 4 (the number is 1..=4).
    Gp(u8),
    /// The user area: everything but the preloader.
    User,
}

impl EmmcPart {
    /// The partition id on the wire.
    pub fn id(self) -> u8 {
        match self {
            EmmcPart::Boot1 => 1,
            EmmcPart::Boot2 => 2,
            EmmcPart::Rpmb => 3,
            EmmcPart::Gp(n) => 3 + n.clamp(1, 4),
            EmmcPart::User => 8,
        }
    }

    /// The partition for a wire id.
    pub fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            1 => EmmcPart::Boot1,
            2 => EmmcPart::Boot2,
            3 => EmmcPart::Rpmb,
            4..=7 => EmmcPart::Gp(id - 3),
            8 => EmmcPart::User,
            _ => return None,
        })
    }
}

fn invalid(what: &'static str, detail: String) -> DecodeError {
    DecodeError::Invalid(ProtocolError::Malformed { what, detail })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        hex::decode(s).unwrap()
    }

    #[test]
    fn emmc_partition_ids() {
        for id in 1..=8 {
            assert_eq!(EmmcPart::from_id(id).unwrap().id(), id);
        }
        assert_eq!(EmmcPart::User.id(), 8);
        assert_eq!(EmmcPart::from_id(0), None);
        assert_eq!(EmmcPart::from_id(9), None);
    }
}
