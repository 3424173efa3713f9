//! The EMI (DRAM setup) block of a preloader: which RAM parts a preloader can bring up, and the
//! bytes a download agent needs to set up RAM on a phone whose preloader is gone (MT6572.md
//! §5.5, decisions E1–E3 in `src/protocol/DECISIONS.md`).
//!
//! A preloader carries `MTK_BLOADER_INFO_vNN` (the EMI version, decimal; v11 on MT6572), and a
//! little later the tag `MTK_BIN`: the u32 at `MTK_BIN`+8 counts the EMI settings records and
//! the records start at `MTK_BIN`+0xC. What a DA receives is everything from `MTK_BIN`+0xC
//! (mtkclient's cut). Each v11 record names the memory part by the first `id_length` bytes of
//! its flash id (the eMMC CID or NAND READ ID of the multi-chip package) and gives the RAM
//! type and the rank sizes; the register values in between are kept raw.
//!
//! Pure: parses bytes already in memory (a preloader is at most a few MiB). Knows no phone and
//! opens no file.

use serde::{Deserialize, Serialize};

use crate::{error::Advice, firmware::mtk_header::read_u32};

/// The tag before the version number.
pub const BLOADER_TAG: &[u8] = b"MTK_BLOADER_INFO_v";
/// The tag before the EMI settings.
pub const BIN_TAG: &[u8] = b"MTK_BIN";
/// Where the record count sits after [`BIN_TAG`].
const COUNT_AT: usize = 8;
/// Where the records (the blob a DA receives) start after [`BIN_TAG`].
pub const BLOB_AT: usize = 0xC;
/// The EMI version of every MT6572 preloader.
pub const MT6572_EMI_VERSION: u32 = 11;
/// Length of one v11 EMI settings record (decision E1).
pub const V11_RECORD_LEN: usize = 0xA8;
/// The most records a preloader's table holds (real ones list a handful of MCPs).
pub const MAX_RECORDS: u32 = 64;
/// Longest flash id a v11 record can hold.
pub const V11_ID_LEN: usize = 12;
/// Offsets inside a v11 record (decision E1).
const V11_ID_AT: usize = 8;
const V11_RANKS_AT: usize = 0x58;

/// One RAM part an EMI table lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RamPart {
    /// The record's type word (0x0202 = eMMC + LPDDR2 MCP, 0x0102 = NAND + LPDDR2, ...).
    pub kind: u32,
    /// The flash id prefix the preloader matches (first `id_length` bytes).
    pub flash_id: Vec<u8>,
    /// Rank sizes in bytes (unused ranks 0).
    pub ranks: [u32; 4],
}

impl RamPart {
    /// Total RAM in bytes.
    pub fn ram_size(&self) -> u64 {
        self.ranks.iter().map(|&r| u64::from(r)).sum()
    }

    /// The RAM technology and package the type word names.
    pub fn kind_name(&self) -> String {
        let ram = match self.kind & 0xFF {
            1 => "DDR1",
            2 => "LPDDR2",
            3 => "LPDDR3",
            4 => "PCDDR3",
            _ => "unknown RAM",
        };
        match self.kind >> 8 {
            0 => format!("discrete {ram}"),
            1 => format!("NAND + {ram} MCP"),
            2 => format!("eMMC + {ram} MCP"),
            _ => format!("type {:#06x}", self.kind),
        }
    }

    /// True when `flash_id` (what the phone reports) starts with this part's id, raw or with
    /// each 32-bit word byte-swapped (mtkclient's two readings, MT6572.md §5.5).
    pub fn fits_flash_id(&self, flash_id: &[u8]) -> bool {
        if self.flash_id.is_empty() || flash_id.len() < self.flash_id.len() {
            return false;
        }
        if flash_id.starts_with(&self.flash_id) {
            return true;
        }
        let swapped: Vec<u8> = flash_id
            .chunks(4)
            .flat_map(|c| c.iter().rev().copied())
            .collect();
        swapped.starts_with(&self.flash_id)
    }

    /// One line for a technician: type, size, flash id.
    pub fn describe(&self) -> String {
        let used = self.ranks.iter().filter(|&&r| r > 0).count();
        format!(
            "{}, {} MiB in {used} rank{}, flash id {} (\"{}\")",
            self.kind_name(),
            self.ram_size() >> 20,
            if used == 1 { "" } else { "s" },
            hex(&self.flash_id),
            printable(&self.flash_id),
        )
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn printable(b: &[u8]) -> String {
    b.iter()
        .map(|&c| if c.is_ascii_graphic() { c as char } else { '.' })
        .collect()
}

/// A preloader's EMI block, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmiBlock {
    /// The `NN` of `MTK_BLOADER_INFO_vNN`.
    pub version: u32,
    /// Offset of `MTK_BIN` in the image.
    pub bin_offset: usize,
    /// The RAM parts listed, in table order.
    pub parts: Vec<RamPart>,
    /// Everything after `MTK_BIN`+0xC: what a DA receives.
    #[serde(skip)]
    pub blob: Vec<u8>,
}

impl EmiBlock {
    /// The records only (count × record length), the part of [`Self::blob`] the table covers.
    pub fn table_len(&self) -> usize {
        self.parts.len() * V11_RECORD_LEN
    }

    /// The parts whose flash id fits what a phone reports.
    pub fn fitting(&self, flash_id: &[u8]) -> impl Iterator<Item = &RamPart> {
        self.parts.iter().filter(move |p| p.fits_flash_id(flash_id))
    }

    /// A short list of the parts, for `rom inspect` and `profiles show`.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self.parts.iter().map(RamPart::describe).collect();
        format!("EMI v{}: {}", self.version, parts.join("; "))
    }
}

/// Why a preloader's EMI block cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmiError {
    /// No `MTK_BLOADER_INFO_v` tag at all.
    #[error("the preloader has no MTK_BLOADER_INFO tag, so it carries no DRAM (EMI) settings")]
    NoBloaderInfo,
    /// The tag is there but no number follows.
    #[error("the preloader's MTK_BLOADER_INFO tag has no version number")]
    NoVersion,
    /// No `MTK_BIN` after the info tag.
    #[error("the preloader has MTK_BLOADER_INFO_v{version} but no MTK_BIN EMI table after it")]
    NoTable {
        /// The EMI version seen.
        version: u32,
    },
    /// A version whose record layout mtkbench does not know.
    #[error("EMI version {version} is not the MT6572's ({MT6572_EMI_VERSION})")]
    UnsupportedVersion {
        /// The EMI version seen.
        version: u32,
    },
    /// The count is 0 or implausible.
    #[error("the EMI table lists {count} RAM parts (expected 1 to {MAX_RECORDS})")]
    BadCount {
        /// The count read.
        count: u32,
    },
    /// The records run past the end of the image.
    #[error("the EMI table needs {need} bytes but the preloader ends after {have}")]
    Truncated {
        /// Bytes the table needs.
        need: usize,
        /// Bytes present after `MTK_BIN`+0xC.
        have: usize,
    },
    /// A record that cannot be a RAM part.
    #[error("EMI record {index} is damaged: {why}")]
    BadRecord {
        /// Record index, from 0.
        index: usize,
        /// What is wrong.
        why: &'static str,
    },
}

impl Advice for EmiError {
    fn help(&self) -> String {
        "take the DRAM settings from a preloader built for this board: the phone's own (from \
         its identity backup) or the preloader_<project>.bin of a ROM for this board"
            .into()
    }

    fn is_bad_input(&self) -> bool {
        true
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Finds and validates the EMI block of a preloader image (flashable or an `EMMC_BOOT`
/// readback: the tags are searched, not placed).
pub fn extract(image: &[u8]) -> Result<EmiBlock, EmiError> {
    let tag = find(image, BLOADER_TAG, 0).ok_or(EmiError::NoBloaderInfo)?;
    let digits_at = tag + BLOADER_TAG.len();
    let digits: Vec<u8> = image[digits_at..]
        .iter()
        .take(4)
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    let version: u32 = std::str::from_utf8(&digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(EmiError::NoVersion)?;
    let bin_offset = find(image, BIN_TAG, digits_at).ok_or(EmiError::NoTable { version })?;
    if version != MT6572_EMI_VERSION {
        return Err(EmiError::UnsupportedVersion { version });
    }
    let count = image
        .get(bin_offset + COUNT_AT..bin_offset + BLOB_AT)
        .map(|_| read_u32(image, bin_offset + COUNT_AT))
        .unwrap_or(0);
    if count == 0 || count > MAX_RECORDS {
        return Err(EmiError::BadCount { count });
    }
    let blob = image.get(bin_offset + BLOB_AT..).unwrap_or(&[]);
    let need = count as usize * V11_RECORD_LEN;
    if blob.len() < need {
        return Err(EmiError::Truncated {
            need,
            have: blob.len(),
        });
    }
    let parts = blob[..need]
        .chunks(V11_RECORD_LEN)
        .enumerate()
        .map(|(index, rec)| parse_record(index, rec))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(EmiBlock {
        version,
        bin_offset,
        parts,
        blob: blob.to_vec(),
    })
}

/// Reads one v11 record (decision E1).
pub fn parse_record(index: usize, rec: &[u8]) -> Result<RamPart, EmiError> {
    let bad = |why| EmiError::BadRecord { index, why };
    if rec.len() < V11_RECORD_LEN {
        return Err(bad("it is shorter than a v11 record"));
    }
    let kind = read_u32(rec, 0);
    if kind == 0 || kind & 0xFF == 0 || kind & 0xFF > 4 || kind >> 8 > 2 {
        return Err(bad("its RAM type word is not one MediaTek defines"));
    }
    let id_len = read_u32(rec, 4) as usize;
    if id_len == 0 || id_len > V11_ID_LEN {
        return Err(bad("its flash id length is not 1 to 12"));
    }
    let ranks = [0, 1, 2, 3].map(|i| read_u32(rec, V11_RANKS_AT + 4 * i));
    if ranks.iter().all(|&r| r == 0) {
        return Err(bad("it gives no RAM size"));
    }
    Ok(RamPart {
        kind,
        flash_id: rec[V11_ID_AT..V11_ID_AT + id_len].to_vec(),
        ranks,
    })
}

/// Encodes one v11 record (the simulator's and the tests' preloaders; register values are a
/// fixed plausible pattern, no real timings).
pub fn encode_record(part: &RamPart) -> Vec<u8> {
    let mut rec = vec![0u8; V11_RECORD_LEN];
    rec[..4].copy_from_slice(&part.kind.to_le_bytes());
    let id_len = part.flash_id.len().min(V11_ID_LEN);
    rec[4..8].copy_from_slice(&(id_len as u32).to_le_bytes());
    rec[V11_ID_AT..V11_ID_AT + id_len].copy_from_slice(&part.flash_id[..id_len]);
    for (i, w) in (0x14..V11_RANKS_AT).step_by(4).enumerate() {
        rec[w..w + 4].copy_from_slice(&(0x2200_1100u32 + i as u32).to_le_bytes());
    }
    for (i, r) in part.ranks.iter().enumerate() {
        let at = V11_RANKS_AT + 4 * i;
        rec[at..at + 4].copy_from_slice(&r.to_le_bytes());
    }
    rec
}

/// The `MTK_BIN` table for `parts`: tag, pad, count, records (what [`extract`] reads).
pub fn encode_table(parts: &[RamPart]) -> Vec<u8> {
    let mut out = BIN_TAG.to_vec();
    out.resize(COUNT_AT, 0);
    out.extend_from_slice(&(parts.len() as u32).to_le_bytes());
    for p in parts {
        out.extend_from_slice(&encode_record(p));
    }
    out
}

/// Reads the RAM parts of a v11 blob as a DA receives it (records from its start, up to the
/// first record whose type is 0 or the end). Records that do not decode end the list.
pub fn parts_in_blob(blob: &[u8]) -> Vec<RamPart> {
    blob.chunks_exact(V11_RECORD_LEN)
        .enumerate()
        .map_while(|(i, rec)| parse_record(i, rec).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(id: &[u8], mib: u32) -> RamPart {
        RamPart {
            kind: 0x0202,
            flash_id: id.to_vec(),
            ranks: [mib << 20, 0, 0, 0],
        }
    }

    fn image(version: &str, parts: &[RamPart]) -> Vec<u8> {
        let mut img = vec![0x77u8; 0x400];
        img.extend_from_slice(b"MTK_BLOADER_INFO_v");
        img.extend_from_slice(version.as_bytes());
        img.resize(img.len() + 0x40, 0);
        img.extend_from_slice(&encode_table(parts));
        img.extend_from_slice(&[0x99; 0x100]);
        img
    }

    #[test]
    fn extracts_parts_and_blob() {
        let parts = [
            part(b"\x15\x01\x00SIM72E", 512),
            part(b"\x90\x01\x4aH8G", 256),
        ];
        let img = image("11", &parts);
        let emi = extract(&img).unwrap();
        assert_eq!(emi.version, 11);
        assert_eq!(emi.parts, parts);
        assert_eq!(&emi.blob[..V11_RECORD_LEN], &encode_record(&parts[0])[..]);
        assert_eq!(emi.blob.len(), 2 * V11_RECORD_LEN + 0x100);
        assert_eq!(parts_in_blob(&emi.blob), parts);
        assert!(
            emi.summary()
                .contains("eMMC + LPDDR2 MCP, 512 MiB in 1 rank")
        );
        assert!(emi.summary().contains("SIM72E"));
    }

    #[test]
    fn flash_id_matches_raw_or_word_swapped() {
        let p = part(b"\x15\x01\x00SIM72E", 512);
        let cid = *b"\x15\x01\x00SIM72E\x10\x01\x02\x03\x04\x3d\x01";
        assert!(p.fits_flash_id(&cid));
        let swapped: Vec<u8> = cid
            .chunks(4)
            .flat_map(|c| c.iter().rev().copied())
            .collect();
        assert!(p.fits_flash_id(&swapped));
        assert!(!p.fits_flash_id(b"\x90\x01\x4aH8G00000000000"));
        assert!(!p.fits_flash_id(b"\x15"));
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        assert_eq!(extract(b"no tags here"), Err(EmiError::NoBloaderInfo));
        assert_eq!(extract(b"MTK_BLOADER_INFO_vXX"), Err(EmiError::NoVersion));
        assert_eq!(
            extract(b"MTK_BLOADER_INFO_v11\0\0"),
            Err(EmiError::NoTable { version: 11 })
        );
        let p = [part(b"ABC", 512)];
        assert_eq!(
            extract(&image("10", &p)),
            Err(EmiError::UnsupportedVersion { version: 10 })
        );
        assert_eq!(
            extract(&image("11", &[])),
            Err(EmiError::BadCount { count: 0 })
        );
        let mut short = image("11", &p);
        short.truncate(short.len() - 0x100 - 8);
        assert!(matches!(extract(&short), Err(EmiError::Truncated { .. })));
        let mut bad = p[0].clone();
        bad.kind = 0x0909;
        let mut img = image("11", &p);
        let at = find(&img, BIN_TAG, 0).unwrap() + BLOB_AT;
        img[at..at + 4].copy_from_slice(&bad.kind.to_le_bytes());
        assert!(matches!(
            extract(&img),
            Err(EmiError::BadRecord { index: 0, .. })
        ));
        let mut no_size = p[0].clone();
        no_size.ranks = [0; 4];
        let img = [&b"MTK_BLOADER_INFO_v11"[..], &encode_table(&[no_size])].concat();
        assert!(matches!(extract(&img), Err(EmiError::BadRecord { .. })));
    }

    #[test]
    fn the_blob_list_ends_at_an_empty_record() {
        let p = part(b"ABCDEFGHI", 1024);
        let mut blob = encode_record(&p);
        blob.extend_from_slice(&[0; V11_RECORD_LEN]);
        blob.extend_from_slice(&encode_record(&p));
        assert_eq!(parts_in_blob(&blob), [p]);
    }
}

#[cfg(test)]
mod real_and_synthetic {
    use super::*;
    use crate::firmware::synth;

    #[test]
    fn the_synthetic_preloader_lists_the_simulated_part() {
        let img = synth::preloader("a516_row", 11);
        let emi = extract(&img).unwrap();
        assert_eq!(emi.parts, [synth::sim_ram_part(synth::DEFAULT_SIM_RAM)]);
        let readback = synth::emmc_boot_region(&img);
        assert_eq!(extract(&readback).unwrap().parts, emi.parts);
        let two = synth::sim_ram_part(1536 << 20);
        assert_eq!(two.ranks, [1 << 30, 512 << 20, 0, 0]);
        assert_eq!(two.ram_size(), 1536 << 20);
    }

    /// Every file under `../shared/realdata` that carries `MTK_BLOADER_INFO_v11` and `MTK_BIN`
    /// must give a valid EMI table.
    #[test]
    fn real_preloaders_give_their_emi_tables() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
        if !root.is_dir() {
            eprintln!("skipped: {} is absent", root.display());
            return;
        }
        let mut stack = vec![root];
        let mut seen = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let Ok(bytes) = std::fs::read(&path) else {
                    continue;
                };
                let tagged = find(&bytes, b"MTK_BLOADER_INFO_v11", 0)
                    .is_some_and(|at| find(&bytes, BIN_TAG, at).is_some());
                if tagged {
                    let emi = extract(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    assert!(!emi.parts.is_empty());
                    seen += 1;
                }
            }
        }
        if seen == 0 {
            eprintln!("skipped: no preloader binary with an EMI table in ../shared/realdata");
        }
    }
}
