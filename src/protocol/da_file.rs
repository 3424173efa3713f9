//! MTK AllInOne Download Agent files (MT6572.md §6): parse the header and entries, pick the
//! entry for a chip, and hand out the DA1/DA2 stages to upload.
//!
//! MediaTek's DA cannot be shipped: the technician points mtkbench at the
//! `MTK_AllInOne_DA.bin` of their SP Flash Tool folder. For the simulator and tests,
//! [`generate_sim_da`] builds a structurally valid file whose regions hold readable placeholder
//! text and whose identifier says "simulator only", so nobody mistakes it for a real DA.
//!
//! Parsing is pure (bytes in, typed values out); reading the file is the caller's job. Every
//! length and offset is checked, so a damaged or foreign file gives a clear error, never a
//! panic. All fields are little-endian.

use crate::{error::Advice, protocol::mt6572};

/// The name at offset 0 of every DA file.
pub const FILE_NAME_TAG: &str = "MTK_DOWNLOAD_AGENT";
/// The header magic at offset 0x64 (bytes 99 88 66 22).
pub const HEADER_MAGIC: u32 = 0x2266_8899;
/// The magic at the start of each entry (bytes DA DA).
pub const ENTRY_MAGIC: u16 = 0xDADA;
/// Size of the file header; entries start here.
pub const HEADER_LEN: usize = 0x6C;
/// Size of an entry.
pub const ENTRY_LEN: usize = 0xDC;
/// Size of an entry in the old format (no sw_version/reserved1).
pub const OLD_ENTRY_LEN: usize = 0xD8;
/// Load regions per entry.
pub const MAX_REGIONS: usize = 10;
/// Size of one load region record.
pub const REGION_LEN: usize = 20;
/// The most entries accepted (real files have a few dozen).
pub const MAX_ENTRIES: u32 = 1024;
/// Index of DA stage 1 in an entry's regions (legacy smartphone flow, §5.1).
pub const DA1_REGION: usize = 1;
/// Index of DA stage 2.
pub const DA2_REGION: usize = 2;

/// The identifier of files made by [`generate_sim_da`].
pub const SIM_DA_ID: &str = "MTKBENCH SIMULATOR-ONLY DA - NOT MEDIATEK CODE - WILL NOT RUN";

/// Text repeated in the simulator DA's regions, so a hex dump says what the bytes are.
const SIM_FILL: &[u8] = b"MTKBENCH SIMULATOR PLACEHOLDER, NOT A DOWNLOAD AGENT. ";

/// Why a DA file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DaFileError {
    /// The file ends before a structure it announces.
    #[error("the DA file is too short: {what} needs {need} bytes, the file has {got}")]
    TooShort {
        /// What was being read.
        what: String,
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        got: usize,
    },
    /// Not a MediaTek AllInOne DA file at all.
    #[error("this is not a MediaTek download agent file: {0}")]
    NotADaFile(String),
    /// A V6 (XML) DA, which the MT6572's legacy protocol cannot use.
    #[error("this is a V6 (XML) download agent, for newer chips; an MT6572 needs a legacy DA")]
    V6,
    /// An entry is damaged.
    #[error("DA entry {index} is damaged: {detail}")]
    BadEntry {
        /// Entry number, from 0.
        index: usize,
        /// What is wrong.
        detail: String,
    },
    /// No entry fits the chip.
    #[error(
        "the DA file has no entry for hw code {hw_code:#06x} (hw ver {hw_ver:#06x}, sw ver \
         {sw_ver:#06x}); it has entries for {available}"
    )]
    NoEntry {
        /// The chip's hw code.
        hw_code: u16,
        /// The chip's hardware version.
        hw_ver: u16,
        /// The chip's software version.
        sw_ver: u16,
        /// The hw codes present, for the message.
        available: String,
    },
    /// The chosen entry lacks a stage.
    #[error("DA entry {index} has no {stage} region")]
    MissingStage {
        /// Entry number.
        index: usize,
        /// "DA1" or "DA2".
        stage: &'static str,
    },
}

impl Advice for DaFileError {
    fn help(&self) -> String {
        match self {
            DaFileError::NoEntry { .. } | DaFileError::V6 => {
                "use the MTK_AllInOne_DA.bin from an SP Flash Tool version that flashes MT6572 \
                 phones (v3 or v5), passed with --da FILE"
                    .into()
            }
            _ => "the DA file is damaged or is not a DA: copy MTK_AllInOne_DA.bin again from \
                  the SP Flash Tool folder and pass it with --da FILE"
                .into(),
        }
    }

    fn is_bad_input(&self) -> bool {
        true
    }
}

/// One load region of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadRegion {
    /// File offset of the region's bytes.
    pub buf: u32,
    /// Length, signature included.
    pub len: u32,
    /// Load address on the phone.
    pub start_addr: u32,
    /// Start offset (unused by the legacy flow).
    pub start_offset: u32,
    /// Signature length: the trailing part of `len`.
    pub sig_len: u32,
}

/// One DA entry (one chip and revision).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaEntry {
    /// Position in the file, from 0.
    pub index: usize,
    /// Chip hw code (0x6572).
    pub hw_code: u16,
    /// hw sub-code (not used for selection, §6.3).
    pub hw_sub_code: u16,
    /// Lowest chip hardware version the entry is for.
    pub hw_version: u16,
    /// Lowest chip software version (0 in the old format).
    pub sw_version: u16,
    /// Page size.
    pub page_size: u16,
    /// Entry region index (unused by the legacy flow).
    pub entry_region_index: u16,
    /// The load regions.
    pub regions: Vec<LoadRegion>,
}

/// A DA stage ready to upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaStage<'a> {
    /// Load (and jump) address.
    pub addr: u32,
    /// Signature length inside `bytes`.
    pub sig_len: u32,
    /// Body plus signature, in file order.
    pub bytes: &'a [u8],
}

/// A parsed DA file. It keeps the file's bytes, so stages borrow from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaFile {
    bytes: Vec<u8>,
    /// The identifier string.
    pub id: String,
    /// The header's version word.
    pub version: u32,
    /// Whether entries use the old 0xD8-byte layout.
    pub old_format: bool,
    /// The entries.
    pub entries: Vec<DaEntry>,
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

impl DaFile {
    /// Parses a whole DA file.
    pub fn parse(bytes: Vec<u8>) -> Result<DaFile, DaFileError> {
        let len = bytes.len();
        if len < HEADER_LEN {
            return Err(DaFileError::TooShort {
                what: "the header".into(),
                need: HEADER_LEN,
                got: len,
            });
        }
        if !bytes.starts_with(FILE_NAME_TAG.as_bytes()) {
            return Err(DaFileError::NotADaFile(format!(
                "it does not start with {FILE_NAME_TAG}"
            )));
        }
        let id = c_string(&bytes[0x20..0x60]);
        if id.contains("MTK_DA_v6") {
            return Err(DaFileError::V6);
        }
        let magic = le32(&bytes, 0x64);
        if magic != HEADER_MAGIC {
            return Err(DaFileError::NotADaFile(format!(
                "the header magic is {magic:#010x}, not {HEADER_MAGIC:#010x}"
            )));
        }
        let count = le32(&bytes, 0x68);
        if count > MAX_ENTRIES {
            return Err(DaFileError::NotADaFile(format!(
                "it announces {count} entries"
            )));
        }
        let old_format = count >= 2
            && bytes.get(HEADER_LEN + OLD_ENTRY_LEN..HEADER_LEN + OLD_ENTRY_LEN + 2)
                == Some(&ENTRY_MAGIC.to_le_bytes()[..]);
        let entry_len = if old_format { OLD_ENTRY_LEN } else { ENTRY_LEN };
        let need = HEADER_LEN + count as usize * entry_len;
        if len < need {
            return Err(DaFileError::TooShort {
                what: format!("{count} entries"),
                need,
                got: len,
            });
        }
        let entries = (0..count as usize)
            .map(|i| {
                let at = HEADER_LEN + i * entry_len;
                parse_entry(&bytes[at..at + entry_len], i, old_format, len)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DaFile {
            version: le32(&bytes, 0x60),
            bytes,
            id,
            old_format,
            entries,
        })
    }

    /// True for files made by [`generate_sim_da`]: they must never be sent to a real phone.
    pub fn is_simulator_placeholder(&self) -> bool {
        self.id == SIM_DA_ID
    }

    /// The entry mtkclient would choose (§6.3): the first with this hw code whose hw_version
    /// and sw_version are not above the chip's (a chip value of 0 matches anything). The
    /// hw_sub_code is not compared, and mtkclient's "mt6590" file-name filter is not applied.
    pub fn select(&self, hw_code: u16, hw_ver: u16, sw_ver: u16) -> Result<&DaEntry, DaFileError> {
        self.entries
            .iter()
            .find(|e| {
                e.hw_code == hw_code
                    && (hw_ver == 0 || e.hw_version <= hw_ver)
                    && (sw_ver == 0 || e.sw_version <= sw_ver)
            })
            .ok_or_else(|| {
                let mut codes: Vec<String> = self
                    .entries
                    .iter()
                    .map(|e| format!("{:#06x}", e.hw_code))
                    .collect();
                codes.dedup();
                DaFileError::NoEntry {
                    hw_code,
                    hw_ver,
                    sw_ver,
                    available: if codes.is_empty() {
                        "no chip at all".into()
                    } else {
                        codes.join(", ")
                    },
                }
            })
    }

    /// DA stage 1 (region 1) of `entry`.
    pub fn da1(&self, entry: &DaEntry) -> Result<DaStage<'_>, DaFileError> {
        self.stage(entry, DA1_REGION, "DA1")
    }

    /// DA stage 2 (region 2) of `entry`.
    pub fn da2(&self, entry: &DaEntry) -> Result<DaStage<'_>, DaFileError> {
        self.stage(entry, DA2_REGION, "DA2")
    }

    fn stage(
        &self,
        entry: &DaEntry,
        region: usize,
        stage: &'static str,
    ) -> Result<DaStage<'_>, DaFileError> {
        let missing = DaFileError::MissingStage {
            index: entry.index,
            stage,
        };
        let r = entry.regions.get(region).ok_or(missing.clone())?;
        if r.len == 0 {
            return Err(missing);
        }
        // parse_entry checked the bounds.
        let bytes = self
            .bytes
            .get(r.buf as usize..r.buf as usize + r.len as usize)
            .ok_or(missing)?;
        Ok(DaStage {
            addr: r.start_addr,
            sig_len: r.sig_len,
            bytes,
        })
    }
}

fn parse_entry(e: &[u8], index: usize, old: bool, file_len: usize) -> Result<DaEntry, DaFileError> {
    let bad = |detail: String| DaFileError::BadEntry { index, detail };
    let magic = le16(e, 0);
    if magic != ENTRY_MAGIC {
        return Err(bad(format!("its magic is {magic:#06x}, not DADA")));
    }
    // The old format lacks sw_version and reserved1 (4 bytes) after hw_version.
    let shift = if old { 4 } else { 0 };
    let region_count = le16(e, 0x12 - shift) as usize;
    if region_count > MAX_REGIONS {
        return Err(bad(format!(
            "it announces {region_count} regions, at most 10 exist"
        )));
    }
    let regions = (0..region_count)
        .map(|i| {
            let at = 0x14 - shift + i * REGION_LEN;
            let r = LoadRegion {
                buf: le32(e, at),
                len: le32(e, at + 4),
                start_addr: le32(e, at + 8),
                start_offset: le32(e, at + 12),
                sig_len: le32(e, at + 16),
            };
            let end = u64::from(r.buf) + u64::from(r.len);
            if end > file_len as u64 {
                return Err(bad(format!(
                    "region {i} ends at byte {end:#x}, past the end of the file ({file_len:#x})"
                )));
            }
            if r.sig_len > r.len {
                return Err(bad(format!(
                    "region {i} has a {}-byte signature in {} bytes",
                    r.sig_len, r.len
                )));
            }
            Ok(r)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DaEntry {
        index,
        hw_code: le16(e, 2),
        hw_sub_code: le16(e, 4),
        hw_version: le16(e, 6),
        sw_version: if old { 0 } else { le16(e, 8) },
        page_size: le16(e, 0x0C - shift),
        entry_region_index: le16(e, 0x10 - shift),
        regions,
    })
}

/// The regions of the simulator DA: (load address, length, signature length).
const SIM_REGIONS: [(u32, u32, u32); 3] = [
    (mt6572::DA_REGION0_ADDR, 0x100, 0),
    (mt6572::DA1_LOAD_ADDR, 0x4100, 0x100),
    // Not a multiple of the DA2 packet size, so the last upload packet is short.
    (mt6572::DA2_LOAD_ADDR, 0x1_1123, 0x100),
];

/// Builds a structurally valid AllInOne DA file for the simulator: one MT6572 entry (hw code
/// 0x6572, sub-code 0, hw version 0xCA00, sw version 0) with three regions at the real load
/// addresses, filled with placeholder text. Its identifier is [`SIM_DA_ID`]. It contains no
/// code and would do nothing on a phone.
pub fn generate_sim_da() -> Vec<u8> {
    let data_start = (HEADER_LEN + ENTRY_LEN).next_multiple_of(0x100);
    let mut out = vec![0u8; data_start];
    out[..FILE_NAME_TAG.len()].copy_from_slice(FILE_NAME_TAG.as_bytes());
    out[0x20..0x20 + SIM_DA_ID.len()].copy_from_slice(SIM_DA_ID.as_bytes());
    out[0x60..0x64].copy_from_slice(&4u32.to_le_bytes());
    out[0x64..0x68].copy_from_slice(&HEADER_MAGIC.to_le_bytes());
    out[0x68..0x6C].copy_from_slice(&1u32.to_le_bytes());

    let mut entry = Vec::with_capacity(ENTRY_LEN);
    for v in [
        ENTRY_MAGIC,
        mt6572::HW_CODE,
        0x0000,                      // hw_sub_code, as in the known MT6572 entries
        mt6572::DA_ENTRY_HW_VERSION, // hw_version
        0x0000,                      // sw_version
        0x0000,                      // reserved1
        0x0000,                      // page size
        0x0000,                      // reserved3
        DA1_REGION as u16,           // entry_region_index (unused by the legacy flow)
        SIM_REGIONS.len() as u16,    // region count
    ] {
        entry.extend_from_slice(&v.to_le_bytes());
    }
    let mut offset = data_start;
    let mut payload = Vec::new();
    for (addr, len, sig) in SIM_REGIONS {
        for v in [offset as u32, len, addr, 0, sig] {
            entry.extend_from_slice(&v.to_le_bytes());
        }
        payload.extend(SIM_FILL.iter().copied().cycle().take(len as usize));
        offset += len as usize;
    }
    entry.resize(ENTRY_LEN, 0);
    out[HEADER_LEN..HEADER_LEN + ENTRY_LEN].copy_from_slice(&entry);
    out.extend_from_slice(&payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_file_parses_and_selects_the_mt6572_entry() {
        let bytes = generate_sim_da();
        let da = DaFile::parse(bytes.clone()).unwrap();
        assert!(da.is_simulator_placeholder());
        assert!(!da.old_format);
        assert_eq!(da.version, 4);
        assert_eq!(&bytes[0x64..0x68], &[0x99, 0x88, 0x66, 0x22]);
        let e = da.select(0x6572, 0xCA00, 0).unwrap();
        assert_eq!(
            (e.hw_code, e.hw_version, e.regions.len()),
            (0x6572, 0xCA00, 3)
        );
        let da1 = da.da1(e).unwrap();
        assert_eq!(
            (da1.addr, da1.sig_len, da1.bytes.len()),
            (0x0200_7000, 0x100, 0x4100)
        );
        assert!(da1.bytes.starts_with(b"MTKBENCH SIMULATOR PLACEHOLDER"));
        let da2 = da.da2(e).unwrap();
        assert_eq!((da2.addr, da2.bytes.len()), (0x8000_0000, 0x1_1123));
        // Chip versions of 0 match anything; a higher chip revision still matches.
        assert!(da.select(0x6572, 0, 0).is_ok());
        assert!(da.select(0x6572, 0xCA01, 0x0001).is_ok());
    }

    #[test]
    fn selection_respects_versions_and_hw_code() {
        let da = DaFile::parse(generate_sim_da()).unwrap();
        let e = da.select(0x6572, 0xC900, 0).unwrap_err();
        assert!(matches!(e, DaFileError::NoEntry { .. }));
        let e = da.select(0x6582, 0, 0).unwrap_err();
        assert!(e.to_string().contains("0x6572"), "{e}");
        assert!(e.is_bad_input());
        assert!(e.help().contains("--da"));
    }

    #[test]
    fn old_format_entries_are_detected() {
        // Two 0xD8-byte entries: the second's magic sits at 0x6C + 0xD8.
        let mut b = generate_sim_da()[..HEADER_LEN].to_vec();
        b[0x68..0x6C].copy_from_slice(&2u32.to_le_bytes());
        for code in [0x6572u16, 0x6582] {
            let mut e = vec![0u8; OLD_ENTRY_LEN];
            e[0..2].copy_from_slice(&ENTRY_MAGIC.to_le_bytes());
            e[2..4].copy_from_slice(&code.to_le_bytes());
            e[6..8].copy_from_slice(&0xCA00u16.to_le_bytes());
            b.extend_from_slice(&e);
        }
        let da = DaFile::parse(b).unwrap();
        assert!(da.old_format);
        assert_eq!(da.entries[1].hw_code, 0x6582);
        let e = da.select(0x6572, 0xCA00, 0).unwrap();
        assert_eq!(e.sw_version, 0);
        assert!(matches!(
            da.da1(e),
            Err(DaFileError::MissingStage { stage: "DA1", .. })
        ));
    }

    #[test]
    fn malformed_files_are_refused_with_reasons() {
        let good = generate_sim_da();
        assert!(matches!(
            DaFile::parse(good[..0x40].to_vec()),
            Err(DaFileError::TooShort { .. })
        ));
        let mut b = good.clone();
        b[0] = b'X';
        assert!(matches!(DaFile::parse(b), Err(DaFileError::NotADaFile(_))));
        let mut b = good.clone();
        b[0x64] = 0;
        assert!(matches!(DaFile::parse(b), Err(DaFileError::NotADaFile(_))));
        let mut b = good.clone();
        b[0x68..0x6C].copy_from_slice(&3u32.to_le_bytes());
        assert!(matches!(
            DaFile::parse(b),
            Err(DaFileError::BadEntry { .. } | DaFileError::TooShort { .. })
        ));
        let mut b = good.clone();
        b[HEADER_LEN] = 0;
        let e = DaFile::parse(b).unwrap_err();
        assert!(e.to_string().contains("magic"), "{e}");
        // A truncated payload: the last region ends past the file.
        let e = DaFile::parse(good[..good.len() - 1].to_vec()).unwrap_err();
        assert!(matches!(e, DaFileError::BadEntry { index: 0, .. }), "{e}");
        assert!(e.to_string().contains("past the end"), "{e}");
        let mut b = good.clone();
        b[0x20..0x29].copy_from_slice(b"MTK_DA_v6");
        assert_eq!(DaFile::parse(b), Err(DaFileError::V6));
        let mut b = good;
        // Region count 11.
        b[HEADER_LEN + 0x12] = 11;
        assert!(matches!(
            DaFile::parse(b),
            Err(DaFileError::BadEntry { .. })
        ));
    }

    #[test]
    fn signature_longer_than_region_is_refused() {
        let mut b = generate_sim_da();
        // Region 0's sig_len (entry + 0x14 + 16).
        let at = HEADER_LEN + 0x14 + 16;
        b[at..at + 4].copy_from_slice(&0x1000u32.to_le_bytes());
        let e = DaFile::parse(b).unwrap_err();
        assert!(e.to_string().contains("signature"), "{e}");
    }
}
