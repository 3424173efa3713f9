//! MBR/EBR partition tables as written on MT6572 eMMC.
//!
//! Both are one classic 512-byte sector: four 16-byte entries at 0x1BE and the signature
//! `55 AA` at 0x1FE. On MT6572 (see `protocol/MT6572.md` §7.2 and the real tables of the Wiko
//! S4050, Lenovo A516 and Mobiwire S10):
//!
//! - the MBR sits at user-area offset 0; its LBAs are relative to the user area; entry 0 is an
//!   extended entry (type 0x05) pointing at EBR1 (LBA 0x400 = offset 0x80000) with 0xFFFFFFFF
//!   sectors, the others are the PROTECT_F, PROTECT_S and system partitions (type 0x83);
//! - EBR1 holds CACHE and USRDATA; its LBAs are relative to the EBR1 location (MediaTek style,
//!   not a chain as on a PC), and the last entry's sector count is a "rest of the disk" value.
//!
//! Pure parsing over bytes; no file or device access.

use serde::Serialize;

use crate::error::Advice;

/// Bytes per LBA.
pub const SECTOR: u64 = 512;

const ENTRIES_AT: usize = 0x1BE;
const SIGNATURE_AT: usize = 0x1FE;

/// One used slot of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PartitionEntry {
    /// Slot number, 0..=3.
    pub slot: u8,
    /// Status byte 0x80 (active).
    pub bootable: bool,
    /// Partition type (0x05 extended, 0x83 Linux).
    pub type_code: u8,
    /// First sector, relative to the table's base (user area for the MBR, EBR1 for an EBR).
    pub start_lba: u32,
    /// Number of sectors.
    pub sectors: u32,
}

impl PartitionEntry {
    /// True for an extended-partition entry (0x05, 0x0F or 0x85).
    pub fn is_extended(&self) -> bool {
        matches!(self.type_code, 0x05 | 0x0F | 0x85)
    }

    /// Start in bytes from the table's base.
    pub fn start_bytes(&self) -> u64 {
        u64::from(self.start_lba) * SECTOR
    }

    /// Length in bytes.
    pub fn len_bytes(&self) -> u64 {
        u64::from(self.sectors) * SECTOR
    }
}

/// Which of the two roles a table sector plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TableKind {
    /// Master boot record: has the extended entry.
    Mbr,
    /// Extended boot record: only data partitions.
    Ebr,
}

/// A decoded MBR or EBR sector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionTable {
    /// The used slots (type ≠ 0), in slot order.
    pub entries: Vec<PartitionEntry>,
}

impl PartitionTable {
    /// The extended entry, if any (an MBR has one).
    pub fn extended(&self) -> Option<&PartitionEntry> {
        self.entries.iter().find(|e| e.is_extended())
    }

    /// MBR when the sector has an extended entry, EBR otherwise. Where the partition name is
    /// known (`MBR`, `EBR1`, ...) it is the better witness.
    pub fn kind(&self) -> TableKind {
        if self.extended().is_some() {
            TableKind::Mbr
        } else {
            TableKind::Ebr
        }
    }
}

/// Why a buffer is not an MBR/EBR sector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitionTableError {
    /// Fewer than 512 bytes.
    #[error("the partition table is {len} bytes long; an MBR/EBR sector has 512")]
    TooShort {
        /// Bytes available.
        len: usize,
    },
    /// No `55 AA` at 0x1FE.
    #[error("no partition table: the sector does not end with 55 AA (found {found:02X} {second:02X})", found = .found[0], second = .found[1])]
    NoSignature {
        /// The two bytes at 0x1FE.
        found: [u8; 2],
    },
    /// A status byte other than 0x00 or 0x80: random data that happens to end in 55 AA.
    #[error("entry {slot} has status byte {status:#04x}; a partition table has 0x00 or 0x80 there")]
    BadStatus {
        /// Slot number.
        slot: u8,
        /// The status byte found.
        status: u8,
    },
}

impl Advice for PartitionTableError {
    fn help(&self) -> String {
        "this is not an MBR/EBR image: take MBR and EBR1 again from the same ROM as the scatter"
            .into()
    }

    fn is_bad_input(&self) -> bool {
        true
    }
}

/// Decodes the sector at the start of `bytes` (a 1024-byte readback is fine: only the first
/// 512 bytes are read).
pub fn parse(bytes: &[u8]) -> Result<PartitionTable, PartitionTableError> {
    if bytes.len() < 512 {
        return Err(PartitionTableError::TooShort { len: bytes.len() });
    }
    let signature = [bytes[SIGNATURE_AT], bytes[SIGNATURE_AT + 1]];
    if signature != [0x55, 0xAA] {
        return Err(PartitionTableError::NoSignature { found: signature });
    }
    let mut entries = Vec::new();
    for slot in 0..4u8 {
        let raw = &bytes[ENTRIES_AT + 16 * usize::from(slot)..][..16];
        let status = raw[0];
        if status != 0 && status != 0x80 {
            return Err(PartitionTableError::BadStatus { slot, status });
        }
        let type_code = raw[4];
        if type_code == 0 {
            continue;
        }
        entries.push(PartitionEntry {
            slot,
            bootable: status == 0x80,
            type_code,
            start_lba: u32::from_le_bytes([raw[8], raw[9], raw[10], raw[11]]),
            sectors: u32::from_le_bytes([raw[12], raw[13], raw[14], raw[15]]),
        });
    }
    Ok(PartitionTable { entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sector(entries: &[(u8, u32, u32)]) -> Vec<u8> {
        let mut s = vec![0u8; 512];
        for (i, (t, lba, n)) in entries.iter().enumerate() {
            let e = &mut s[ENTRIES_AT + 16 * i..][..16];
            e[4] = *t;
            e[8..12].copy_from_slice(&lba.to_le_bytes());
            e[12..16].copy_from_slice(&n.to_le_bytes());
        }
        s[510] = 0x55;
        s[511] = 0xAA;
        s
    }

    #[test]
    fn mbr_with_extended_entry() {
        let t = parse(&sector(&[(0x05, 0x400, u32::MAX), (0x83, 0x4800, 0x5000)])).unwrap();
        assert_eq!(t.kind(), TableKind::Mbr);
        assert_eq!(t.extended().unwrap().start_bytes(), 0x80000);
        assert_eq!(t.entries[1].len_bytes(), 0xa0_0000);
    }

    #[test]
    fn ebr_skips_empty_slots() {
        let mut s = sector(&[(0x83, 0x7f600, 0x200000)]);
        // slot 2 used, slot 1 empty
        s[ENTRIES_AT + 32 + 4] = 0x83;
        let t = parse(&s).unwrap();
        assert_eq!(t.kind(), TableKind::Ebr);
        assert_eq!(t.entries.iter().map(|e| e.slot).collect::<Vec<_>>(), [0, 2]);
    }

    #[test]
    fn refuses_non_tables() {
        assert_eq!(
            parse(&[0; 10]),
            Err(PartitionTableError::TooShort { len: 10 })
        );
        assert!(matches!(
            parse(&[0; 512]),
            Err(PartitionTableError::NoSignature { found: [0, 0] })
        ));
        let mut s = sector(&[(0x83, 1, 1)]);
        s[ENTRIES_AT] = 0x12;
        assert!(matches!(
            parse(&s),
            Err(PartitionTableError::BadStatus { slot: 0, .. })
        ));
        assert!(parse(&sector(&[])).unwrap().entries.is_empty());
    }
}
