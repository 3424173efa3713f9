//! The legacy Download Agent protocol (MT6572.md §5), for both ends of the link.
//!
//! * This file: the bytes and messages, each with one [`Wire`] layout: the DA1 storage report,
//!   the 18-byte configuration block, the DA2 upload header, the DA2 storage report, the USB
//!   status, the command headers ([`DaRequest`]), format progress, the PMT and the refusal
//!   with a status ([`Refusal`]).
//! * [`host`]: the host's exchanges (sync, config, DA2 upload, USB check, switch partition,
//!   readback 0xD6, NAND readback 0xDF, write 0x62, format 0xD4, PMT 0xA5, finish 0xD9).
//! * [`device`]: [`DaDevice`], the phone side that the simulator drives.
//!
//! Sources: mtkclient a6a7147 `Library/DA/legacy/dalegacy_lib.py` and `dalegacy_param.py`, as
//! described in MT6572.md §5 (tags there). Sans-IO.

use super::{
    DaStatus, ProtocolError,
    decisions::{
        SIM_NAND_ADDR_CYCLE, SIM_NAND_BMT_EXIST, SIM_NAND_ID_COUNT, SIM_NAND_IO_INTERFACE,
        STATUS_EMMC_FLASH_NOT_FOUND, STATUS_INVALID_BEGIN_ADDR, STATUS_INVALID_RANGE,
    },
    mt6572::{BMT_FLAG, BMT_PART_SIZE_EMMC, BMT_PART_SIZE_NAND},
    wire::{DecodeError, Put, Reader, Wire},
};

pub mod device;
pub mod dram;
pub mod host;

pub use device::{DaAnswer, DaAsk, DaDevice, DaEvent};
pub use dram::{DramPrompt, EmiRequest, EmiSetup, RamResult, dram_result};
pub use host::{
    Finish, Format, PmtRead, Readback, ReadbackSummary, Write, da_sync, finish, format,
    nand_format, nand_readback, nand_write, read_pmt, readback, switch_part, upload_da2, usb_check,
    write,
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

/// The most NAND id words a report may list (mtkclient's readers have no limit; real phones
/// send 5).
pub const MAX_NAND_IDS: u16 = 64;

fn nand_ids(r: &mut Reader<'_>, count: u16, what: &'static str) -> Result<Vec<u16>, DecodeError> {
    if count > MAX_NAND_IDS {
        return Err(invalid(what, format!("{count} NAND ids is not plausible")));
    }
    (0..count).map(|_| r.u16()).collect()
}

/// What DA1 sends right after the sync byte C0 (§5.2 \[V\]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Da1Report {
    /// NAND detection result (0xBC4 S_DA_NAND_FLASH_NOT_FOUND on eMMC phones).
    pub nand_ret: u32,
    /// NAND id words (five zeros on eMMC phones).
    pub nand_ids: Vec<u16>,
    /// eMMC detection result (0 on eMMC phones).
    pub emmc_ret: u32,
    /// The eMMC CID, as four big-endian dwords.
    pub emmc_cid: [u8; 16],
}

impl Da1Report {
    /// The report of an eMMC phone: NAND not found (0xBC4) with [`SIM_NAND_ID_COUNT`] zero
    /// ids, eMMC found with this CID (§5.2, decision D3).
    pub fn emmc(cid: [u8; 16]) -> Self {
        Da1Report {
            nand_ret: DaStatus::NandFlashNotFound.code(),
            nand_ids: vec![0; SIM_NAND_ID_COUNT],
            emmc_ret: DaStatus::Done.code(),
            emmc_cid: cid,
        }
    }

    /// The report of a NAND phone: NAND found with these id words (one READ ID byte per word,
    /// decision N1), eMMC not found ([`STATUS_EMMC_FLASH_NOT_FOUND`]), a zero CID.
    pub fn nand(ids: &[u16]) -> Self {
        Da1Report {
            nand_ret: DaStatus::Done.code(),
            nand_ids: ids.to_vec(),
            emmc_ret: STATUS_EMMC_FLASH_NOT_FOUND,
            emmc_cid: [0; 16],
        }
    }

    /// The host's classification (§5.2): a non-zero first NAND id means NAND, else a
    /// non-zero first CID dword means eMMC, else NOR.
    pub fn storage(&self) -> StorageKind {
        if self.nand_ids.first().is_some_and(|&id| id != 0) {
            StorageKind::Nand
        } else if self.emmc_cid[..4] != [0; 4] {
            StorageKind::Emmc
        } else {
            StorageKind::Nor
        }
    }
}

impl Wire for Da1Report {
    const WHAT: &'static str = "DA1 storage report";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u32(self.nand_ret);
        out.put_u16(self.nand_ids.len() as u16);
        for id in &self.nand_ids {
            out.put_u16(*id);
        }
        out.put_u32(self.emmc_ret);
        out.extend_from_slice(&self.emmc_cid);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let nand_ret = r.u32()?;
        let count = r.u16()?;
        Ok(Da1Report {
            nand_ret,
            nand_ids: nand_ids(r, count, Self::WHAT)?,
            emmc_ret: r.u32()?,
            emmc_cid: r.array()?,
        })
    }
}

/// The 18-byte configuration block the host sends to DA1 (§5.4 \[V\]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaConfig {
    /// The BROM version byte (answer to FF).
    pub brom_ver: u8,
    /// The bootloader version byte (answer to FE; FE in BROM mode).
    pub bl_ver: u8,
    /// NOR chip-select configuration, 0x0008.
    pub nor_cfg: u16,
    /// NOR chip select, 0.
    pub nor_cs: u8,
    /// NAND ACCCON timing, 0x7007FFFF.
    pub nand_acccon: u32,
    /// BMT flag.
    pub bmt_flag: u8,
    /// BMT partition size.
    pub bmt_part_size: u32,
    /// Force charge, 1 = on.
    pub force_charge: u8,
    /// Reset keys, 1 = default.
    pub reset_keys: u8,
    /// External clock, 2 = 26 MHz.
    pub ext_clock: u8,
    /// MSDC boot channel, 0.
    pub msdc_boot_ch: u8,
}

impl DaConfig {
    /// The block mtkclient sends to an MT6572 (§5.4, BMT values from §5.3).
    pub fn mt6572(brom_ver: u8, bl_ver: u8, storage: StorageKind) -> Self {
        DaConfig {
            brom_ver,
            bl_ver,
            nor_cfg: 0x0008,
            nor_cs: 0x00,
            nand_acccon: 0x7007_FFFF,
            bmt_flag: BMT_FLAG,
            bmt_part_size: match storage {
                StorageKind::Nand => BMT_PART_SIZE_NAND,
                StorageKind::Emmc | StorageKind::Nor => BMT_PART_SIZE_EMMC,
            },
            force_charge: 0x01,
            reset_keys: 0x01,
            ext_clock: 0x02,
            msdc_boot_ch: 0x00,
        }
    }
}

impl Wire for DaConfig {
    const WHAT: &'static str = "DA configuration block";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u8(self.brom_ver);
        out.put_u8(self.bl_ver);
        out.put_u16(self.nor_cfg);
        out.put_u8(self.nor_cs);
        out.put_u32(self.nand_acccon);
        out.put_u8(self.bmt_flag);
        out.put_u32(self.bmt_part_size);
        out.put_u8(self.force_charge);
        out.put_u8(self.reset_keys);
        out.put_u8(self.ext_clock);
        out.put_u8(self.msdc_boot_ch);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(DaConfig {
            brom_ver: r.u8()?,
            bl_ver: r.u8()?,
            nor_cfg: r.u16()?,
            nor_cs: r.u8()?,
            nand_acccon: r.u32()?,
            bmt_flag: r.u8()?,
            bmt_part_size: r.u32()?,
            force_charge: r.u8()?,
            reset_keys: r.u8()?,
            ext_clock: r.u8()?,
            msdc_boot_ch: r.u8()?,
        })
    }
}

/// The DRAM result after the configuration block that means "done" (§5.5).
pub const DRAM_OK: u32 = 0;
/// The DRAM result that asks for EMI settings (§5.5, [`dram`]).
pub const DRAM_EMI_NEEDED: u32 = 0x0BC3;

/// The DA2 upload header the host sends to DA1 (§5.6 \[V\]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Da2Header {
    /// Load address (0x80000000 on MT6572).
    pub addr: u32,
    /// Length of DA2.
    pub len: u32,
    /// Packet size, 0x1000.
    pub packet: u32,
}

impl Wire for Da2Header {
    const WHAT: &'static str = "DA2 upload header";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u32(self.addr);
        out.put_u32(self.len);
        out.put_u32(self.packet);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let h = Da2Header {
            addr: r.u32()?,
            len: r.u32()?,
            packet: r.u32()?,
        };
        if h.packet == 0 {
            return Err(invalid(Self::WHAT, "packet size 0".into()));
        }
        Ok(h)
    }
}

/// NOR part of the DA2 report, 0x1C bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NorInfo {
    /// Detection result (0xBC3 when there is no NOR).
    pub ret: u32,
    /// Chip select.
    pub chip_select: [u8; 2],
    /// Flash id.
    pub flash_id: u16,
    /// Size in bytes.
    pub flash_size: u32,
    /// Device codes.
    pub dev_code: [u16; 4],
    /// OTP status.
    pub otp_status: u32,
    /// OTP size.
    pub otp_size: u32,
}

/// How the NAND block's flash_size is encoded: mtkclient reads u64 and falls back to u32 when
/// the id count comes out 0 (§5.7 \[C\]); mtkbench does the same, and encodes what it decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NandSizeWidth {
    /// flash_size is a u64 (what the simulator sends, decision D3).
    #[default]
    U64,
    /// flash_size is a u32.
    U32,
}

/// NAND part of the DA2 report: 0x11 + 2·N bytes, then 9 bytes "NAND info 2".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NandInfo {
    /// Detection result (0xBC4 on eMMC phones).
    pub ret: u32,
    /// Chip select.
    pub chip_select: u8,
    /// Flash id.
    pub flash_id: u16,
    /// Size in bytes.
    pub flash_size: u64,
    /// Width of `flash_size` on the wire.
    pub size_width: NandSizeWidth,
    /// Device id words.
    pub ids: Vec<u16>,
    /// Page size.
    pub page_size: u16,
    /// Spare size.
    pub spare_size: u16,
    /// Pages per block.
    pub pages_per_block: u16,
    /// IO interface.
    pub io_interface: u8,
    /// Address cycles.
    pub addr_cycle: u8,
    /// Whether a BMT exists.
    pub bmt_exist: u8,
}

impl NandInfo {
    /// The block of a phone whose NAND was found: result 0, chip select 0, the u64 size
    /// layout, and `g`'s page layout. The IO interface, address cycles and BMT flag are the
    /// simulator's (decision N1).
    pub fn detected(flash_id: u16, ids: &[u16], g: NandGeometry) -> Self {
        NandInfo {
            ret: DaStatus::Done.code(),
            chip_select: 0,
            flash_id,
            flash_size: g.flash_size,
            size_width: NandSizeWidth::U64,
            ids: ids.to_vec(),
            page_size: g.page_size,
            spare_size: g.spare_size,
            pages_per_block: g.pages_per_block,
            io_interface: SIM_NAND_IO_INTERFACE,
            addr_cycle: SIM_NAND_ADDR_CYCLE,
            bmt_exist: SIM_NAND_BMT_EXIST,
        }
    }

    /// The page layout, when the DA found a NAND (result 0) and reported a usable layout
    /// (non-zero page size, pages per block and size).
    pub fn geometry(&self) -> Option<NandGeometry> {
        let g = NandGeometry {
            page_size: self.page_size,
            spare_size: self.spare_size,
            pages_per_block: self.pages_per_block,
            flash_size: self.flash_size,
        };
        let usable = self.ret == DaStatus::Done.code()
            && g.page_size != 0
            && g.pages_per_block != 0
            && g.flash_size != 0;
        usable.then_some(g)
    }
}

/// The page layout of a NAND flash as the DA2 report gives it (§5.7, "NAND info 2"). NAND
/// addresses on the wire are byte offsets into the page data, spare areas not counted
/// (decision N2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct NandGeometry {
    /// Data bytes per page (2048 on the common MT6572-era SLC parts).
    pub page_size: u16,
    /// Spare (OOB) bytes per page.
    pub spare_size: u16,
    /// Pages per erase block.
    pub pages_per_block: u16,
    /// Page data bytes of the whole array.
    pub flash_size: u64,
}

impl NandGeometry {
    /// Data bytes per erase block.
    pub fn block_size(&self) -> u64 {
        u64::from(self.page_size) * u64::from(self.pages_per_block)
    }

    /// Whether `addr..addr + len` may be read or programmed: both page aligned and inside the
    /// array (decision N5). The error is the status the phone answers.
    pub fn check_pages(&self, addr: u64, len: u64) -> Result<(), DaStatus> {
        self.check(addr, len, u64::from(self.page_size))
    }

    /// Whether `addr..addr + len` may be erased: both block aligned and inside the array
    /// (decision N5).
    pub fn check_blocks(&self, addr: u64, len: u64) -> Result<(), DaStatus> {
        self.check(addr, len, self.block_size())
    }

    fn check(&self, addr: u64, len: u64, unit: u64) -> Result<(), DaStatus> {
        if unit == 0 || !addr.is_multiple_of(unit) {
            return Err(DaStatus::from_code(STATUS_INVALID_BEGIN_ADDR));
        }
        match addr.checked_add(len) {
            Some(end) if len.is_multiple_of(unit) && end <= self.flash_size => Ok(()),
            _ => Err(DaStatus::from_code(STATUS_INVALID_RANGE)),
        }
    }
}

/// What the host knows about a NAND phone after both reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NandFacts {
    /// Page layout and size.
    pub geometry: NandGeometry,
    /// The DA2 report's flash id.
    pub flash_id: u16,
    /// The DA1 report's id words (the ones the classification used).
    pub ids: Vec<u16>,
}

/// eMMC part of the DA2 report, 0x5C bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmmcInfo {
    /// Detection result (0 on eMMC phones).
    pub ret: u32,
    /// BOOT1 size in bytes.
    pub boot1_size: u64,
    /// BOOT2 size in bytes.
    pub boot2_size: u64,
    /// RPMB size in bytes.
    pub rpmb_size: u64,
    /// GP1..GP4 sizes.
    pub gp_size: [u64; 4],
    /// User area size in bytes.
    pub ua_size: u64,
    /// The CID.
    pub cid: [u8; 16],
    /// Firmware version bytes.
    pub fw_ver: [u8; 8],
}

/// SD/MMC part of the DA2 report, 0x1C bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SdmmcInfo {
    /// Detection result.
    pub ret: u32,
    /// User area size.
    pub ua_size: u64,
    /// CID.
    pub cid: [u8; 16],
}

/// RAM part ("config info") of the DA2 report, 0x26 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RamInfo {
    /// Internal SRAM result.
    pub int_sram_ret: u32,
    /// Internal SRAM size.
    pub int_sram_size: u32,
    /// External RAM result.
    pub ext_ram_ret: u32,
    /// External RAM type (2 = DRAM).
    pub ext_ram_type: u8,
    /// External RAM chip select.
    pub ext_ram_chip_select: u8,
    /// External RAM size in bytes.
    pub ext_ram_size: u64,
    /// Random id.
    pub random_id: [u8; 16],
}

/// Last part of the DA2 report, 10 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassInfo {
    /// Download status.
    pub download_status: u32,
    /// Boot style.
    pub boot_style: u32,
    /// SOC_OK (0xC1) or not; mtkclient does not check it.
    pub soc_ok: u8,
}

impl Default for PassInfo {
    fn default() -> Self {
        PassInfo {
            download_status: 0,
            boot_style: 0,
            soc_ok: SOC_OK,
        }
    }
}

/// What DA2 sends after its upload (§5.7 \[V\]): 222 + 2·N bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Da2Report {
    /// NOR.
    pub nor: NorInfo,
    /// NAND.
    pub nand: NandInfo,
    /// eMMC.
    pub emmc: EmmcInfo,
    /// SD/MMC.
    pub sdmmc: SdmmcInfo,
    /// RAM.
    pub ram: RamInfo,
    /// Pass info.
    pub pass: PassInfo,
}

impl Da2Report {
    /// The storage kind and size mtkclient settles on after the report (§5.7 "After the
    /// report"), given the DA1 classification.
    pub fn storage(&self, da1: StorageKind) -> (StorageKind, u64) {
        if da1 == StorageKind::Nand {
            (StorageKind::Nand, self.nand.flash_size)
        } else if da1 == StorageKind::Emmc || self.emmc.ua_size != 0 {
            let size = if self.emmc.ua_size != 0 {
                self.emmc.ua_size
            } else {
                self.sdmmc.ua_size
            };
            (StorageKind::Emmc, size)
        } else {
            (StorageKind::Nor, u64::from(self.nor.flash_size))
        }
    }

    /// The NAND facts when DA1 classified the phone as NAND (§5.2) and this report gives a
    /// usable page layout; `None` otherwise (eMMC and NOR phones, or a DA that found no NAND).
    pub fn nand_facts(&self, da1: &Da1Report) -> Option<NandFacts> {
        if da1.storage() != StorageKind::Nand {
            return None;
        }
        Some(NandFacts {
            geometry: self.nand.geometry()?,
            flash_id: self.nand.flash_id,
            ids: da1.nand_ids.clone(),
        })
    }
}

impl Wire for Da2Report {
    const WHAT: &'static str = "DA2 storage report";
    fn encode(&self, out: &mut Vec<u8>) {
        let nor = &self.nor;
        out.put_u32(nor.ret);
        out.extend_from_slice(&nor.chip_select);
        out.put_u16(nor.flash_id);
        out.put_u32(nor.flash_size);
        for c in nor.dev_code {
            out.put_u16(c);
        }
        out.put_u32(nor.otp_status);
        out.put_u32(nor.otp_size);

        let nand = &self.nand;
        out.put_u32(nand.ret);
        out.put_u8(nand.chip_select);
        out.put_u16(nand.flash_id);
        match nand.size_width {
            NandSizeWidth::U64 => out.put_u64(nand.flash_size),
            NandSizeWidth::U32 => out.put_u32(nand.flash_size as u32),
        }
        out.put_u16(nand.ids.len() as u16);
        for id in &nand.ids {
            out.put_u16(*id);
        }
        out.put_u16(nand.page_size);
        out.put_u16(nand.spare_size);
        out.put_u16(nand.pages_per_block);
        out.put_u8(nand.io_interface);
        out.put_u8(nand.addr_cycle);
        out.put_u8(nand.bmt_exist);

        let e = &self.emmc;
        out.put_u32(e.ret);
        out.put_u64(e.boot1_size);
        out.put_u64(e.boot2_size);
        out.put_u64(e.rpmb_size);
        for g in e.gp_size {
            out.put_u64(g);
        }
        out.put_u64(e.ua_size);
        out.extend_from_slice(&e.cid);
        out.extend_from_slice(&e.fw_ver);

        out.put_u32(self.sdmmc.ret);
        out.put_u64(self.sdmmc.ua_size);
        out.extend_from_slice(&self.sdmmc.cid);

        let ram = &self.ram;
        out.put_u32(ram.int_sram_ret);
        out.put_u32(ram.int_sram_size);
        out.put_u32(ram.ext_ram_ret);
        out.put_u8(ram.ext_ram_type);
        out.put_u8(ram.ext_ram_chip_select);
        out.put_u64(ram.ext_ram_size);
        out.extend_from_slice(&ram.random_id);

        out.put_u8(ACK);
        out.put_u32(self.pass.download_status);
        out.put_u32(self.pass.boot_style);
        out.put_u8(self.pass.soc_ok);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let nor = NorInfo {
            ret: r.u32()?,
            chip_select: r.array()?,
            flash_id: r.u16()?,
            flash_size: r.u32()?,
            dev_code: [r.u16()?, r.u16()?, r.u16()?, r.u16()?],
            otp_status: r.u32()?,
            otp_size: r.u32()?,
        };
        let nand = decode_nand(r)?;
        let emmc = EmmcInfo {
            ret: r.u32()?,
            boot1_size: r.u64()?,
            boot2_size: r.u64()?,
            rpmb_size: r.u64()?,
            gp_size: [r.u64()?, r.u64()?, r.u64()?, r.u64()?],
            ua_size: r.u64()?,
            cid: r.array()?,
            fw_ver: r.array()?,
        };
        let sdmmc = SdmmcInfo {
            ret: r.u32()?,
            ua_size: r.u64()?,
            cid: r.array()?,
        };
        let ram = RamInfo {
            int_sram_ret: r.u32()?,
            int_sram_size: r.u32()?,
            ext_ram_ret: r.u32()?,
            ext_ram_type: r.u8()?,
            ext_ram_chip_select: r.u8()?,
            ext_ram_size: r.u64()?,
            random_id: r.array()?,
        };
        let ack = r.u8()?;
        if ack != ACK {
            return Err(invalid(
                Self::WHAT,
                format!("the pass-info ack is {ack:#04X}, not 5A"),
            ));
        }
        let pass = PassInfo {
            download_status: r.u32()?,
            boot_style: r.u32()?,
            soc_ok: r.u8()?,
        };
        Ok(Da2Report {
            nor,
            nand,
            emmc,
            sdmmc,
            ram,
            pass,
        })
    }
}

fn decode_nand(r: &mut Reader<'_>) -> Result<NandInfo, DecodeError> {
    let start = r.clone();
    let ret = r.u32()?;
    let chip_select = r.u8()?;
    let flash_id = r.u16()?;
    let mut flash_size = r.u64()?;
    let mut count = r.u16()?;
    let mut size_width = NandSizeWidth::U64;
    if count == 0 {
        // mtkclient's fallback: with a u32 size, the count sits 4 bytes earlier.
        let mut narrow = start;
        narrow.bytes(7)?;
        let size = narrow.u32()?;
        let c = narrow.u16()?;
        if c != 0 {
            *r = narrow;
            flash_size = u64::from(size);
            count = c;
            size_width = NandSizeWidth::U32;
        }
    }
    Ok(NandInfo {
        ret,
        chip_select,
        flash_id,
        flash_size,
        size_width,
        ids: nand_ids(r, count, Da2Report::WHAT)?,
        page_size: r.u16()?,
        spare_size: r.u16()?,
        pages_per_block: r.u16()?,
        io_interface: r.u8()?,
        addr_cycle: r.u8()?,
        bmt_exist: r.u8()?,
    })
}

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
                expected: super::Hex(vec![NACK]),
                got: super::Hex(vec![first]),
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
                expected: super::Hex(vec![ACK]),
                got: super::Hex(vec![ack]),
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
    /// Address type ([`NAND_ADDR_LOGICAL`]).
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
                expected: super::Hex(FORMAT_DONE.to_vec()),
                got: super::Hex(head.to_vec()),
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

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        hex::decode(s).unwrap()
    }

    /// The DA2 report mtkclient accepted in MT6572.md §5.7 (N = 5, 64 MiB user area).
    pub(crate) fn spec_da2_report() -> (Da2Report, Vec<u8>) {
        let bytes = hex(
            "00000BC3 0000 0000 00000000 0000000000000000 00000000 00000000
             00000BC4 00 0000 0000000000000000 0005 00000000000000000000 0000 0000 0000 00 00 00
             00000000 0000000000400000 0000000000400000 0000000000080000
             0000000000000000000000000000000000000000000000000000000000000000
             0000000004000000 150100523152344D423BC1A13E9C7E00 0000000000000000
             00000C4F 0000000000000000 00000000000000000000000000000000
             00000000 00020000 00000000 02 00 0000000020000000 11111111111111111111111111111111
             5A 00000000 00000000 C1",
        );
        let report = Da2Report {
            nor: NorInfo {
                ret: 0xBC3,
                ..Default::default()
            },
            nand: NandInfo {
                ret: 0xBC4,
                ids: vec![0; 5],
                ..Default::default()
            },
            emmc: EmmcInfo {
                ret: 0,
                boot1_size: 0x40_0000,
                boot2_size: 0x40_0000,
                rpmb_size: 0x8_0000,
                ua_size: 0x400_0000,
                cid: hex("150100523152344D423BC1A13E9C7E00").try_into().unwrap(),
                ..Default::default()
            },
            sdmmc: SdmmcInfo {
                ret: 0xC4F,
                ..Default::default()
            },
            ram: RamInfo {
                int_sram_size: 0x2_0000,
                ext_ram_type: 2,
                ext_ram_size: 0x2000_0000,
                random_id: [0x11; 16],
                ..Default::default()
            },
            pass: PassInfo::default(),
        };
        (report, bytes)
    }

    #[test]
    fn da2_report_matches_the_accepted_spec_bytes() {
        let (report, bytes) = spec_da2_report();
        assert_eq!(bytes.len(), 232, "222 + 2*5");
        assert_eq!(report.to_bytes(), bytes);
        assert_eq!(Da2Report::from_exact(&bytes).unwrap(), report);
        assert_eq!(
            report.storage(StorageKind::Emmc),
            (StorageKind::Emmc, 0x400_0000)
        );
    }

    #[test]
    fn da2_report_frame_length_is_found_incrementally() {
        let (_, bytes) = spec_da2_report();
        // With only the NOR block, the reader asks for the next field.
        assert_eq!(
            Da2Report::frame_len(&bytes[..0x1C]),
            Err(DecodeError::Incomplete { more: 4 })
        );
        assert_eq!(Da2Report::frame_len(&bytes), Ok(232));
    }

    #[test]
    fn da2_report_falls_back_to_a_u32_nand_size() {
        let (mut report, _) = spec_da2_report();
        report.nand.size_width = NandSizeWidth::U32;
        report.nand.flash_size = 0x1234;
        let bytes = report.to_bytes();
        assert_eq!(bytes.len(), 228);
        let back = Da2Report::from_exact(&bytes).unwrap();
        assert_eq!(back.nand.size_width, NandSizeWidth::U32);
        assert_eq!(back, report);
    }

    #[test]
    fn da2_report_with_a_bad_ack_is_rejected() {
        let (_, mut bytes) = spec_da2_report();
        let n = bytes.len();
        bytes[n - 10] = 0x00;
        assert!(matches!(
            Da2Report::from_exact(&bytes),
            Err(ProtocolError::Malformed { .. })
        ));
    }

    #[test]
    fn config_block_matches_the_captured_bytes() {
        // §5.4 BROM mode: 05 FE 0008 00 7007FFFF 00 000000A8 01 01 02 00.
        let c = DaConfig::mt6572(0x05, 0xFE, StorageKind::Emmc);
        let b = c.to_bytes();
        assert_eq!(b, hex("05 FE 0008 00 7007FFFF 00 000000A8 01 01 02 00"));
        assert_eq!(b.len(), 18);
        assert_eq!(DaConfig::from_exact(&b).unwrap(), c);
        // Preloader mode starts FF 01; NAND changes the BMT size.
        let p = DaConfig::mt6572(0xFF, 0x01, StorageKind::Nand).to_bytes();
        assert_eq!(&p[..2], &[0xFF, 0x01]);
        assert_eq!(&p[10..14], &[0x01, 0x50, 0x00, 0x00]);
    }

    #[test]
    fn da1_report_round_trips_and_classifies() {
        let mut r = Da1Report {
            nand_ret: 0xBC4,
            nand_ids: vec![0; 5],
            emmc_ret: 0,
            emmc_cid: [
                0x15, 1, 0, 0x52, 0x31, 0x52, 0x34, 0x4D, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
        };
        let b = r.to_bytes();
        // 4 + 2 + 10 + 4 + 16, as the MT6589 replay reads it (§5.2).
        assert_eq!(b.len(), 36);
        assert_eq!(&b[..6], &[0, 0, 0x0B, 0xC4, 0, 5]);
        assert_eq!(Da1Report::from_exact(&b).unwrap(), r);
        assert_eq!(r.storage(), StorageKind::Emmc);
        r.nand_ids[0] = 0xEC;
        assert_eq!(r.storage(), StorageKind::Nand);
        r.nand_ids[0] = 0;
        r.emmc_cid = [0; 16];
        assert_eq!(r.storage(), StorageKind::Nor);
        let mut absurd = b.clone();
        absurd[4] = 0xFF;
        assert!(matches!(
            Da1Report::parse(&absurd),
            Err(DecodeError::Invalid(_))
        ));
    }

    /// The simulator's NAND phone: 1 GiB, 2 KiB pages, 64-byte spare, 64 pages per block.
    pub(crate) fn nand_geometry() -> NandGeometry {
        NandGeometry {
            page_size: 0x800,
            spare_size: 0x40,
            pages_per_block: 64,
            flash_size: 1 << 30,
        }
    }

    /// The DA2 report of a NAND phone: the §5.7 report with its NAND block found and the eMMC
    /// block not.
    pub(crate) fn nand_da2_report() -> Da2Report {
        let (mut r, _) = spec_da2_report();
        r.nand = NandInfo::detected(
            crate::protocol::decisions::SIM_NAND_FLASH_ID,
            &crate::protocol::decisions::SIM_NAND_IDS,
            nand_geometry(),
        );
        r.emmc = EmmcInfo {
            ret: STATUS_EMMC_FLASH_NOT_FOUND,
            ..Default::default()
        };
        r
    }

    #[test]
    fn nand_da1_report_has_the_documented_layout_and_classifies_as_nand() {
        let r = Da1Report::nand(&crate::protocol::decisions::SIM_NAND_IDS);
        let b = r.to_bytes();
        assert_eq!(
            b,
            hex("00000000 0005 00EC 00D3 0051 0095 0058 00000C6B
                 00000000000000000000000000000000")
        );
        assert_eq!(Da1Report::from_exact(&b).unwrap(), r);
        assert_eq!(r.storage(), StorageKind::Nand);
        let e = Da1Report::emmc([0x15; 16]);
        assert_eq!(&e.to_bytes()[..6], &[0, 0, 0x0B, 0xC4, 0, 5]);
        assert_eq!(e.storage(), StorageKind::Emmc);
    }

    #[test]
    fn nand_da2_report_round_trips_and_yields_nand_facts() {
        let report = nand_da2_report();
        let b = report.to_bytes();
        assert_eq!(b.len(), 232, "222 + 2*5, as for eMMC");
        // NAND block: ret 0, CS 0, flash id, u64 size, 5 ids, then NAND info 2.
        assert_eq!(
            &b[0x1C..0x1C + 0x11 + 10 + 9],
            &hex(
                "00000000 00 ECD3 0000000040000000 0005 00EC 00D3 0051 0095 0058
                  0800 0040 0040 00 05 01"
            )[..]
        );
        let back = Da2Report::from_exact(&b).unwrap();
        assert_eq!(back, report);
        let da1 = Da1Report::nand(&crate::protocol::decisions::SIM_NAND_IDS);
        assert_eq!(back.storage(da1.storage()), (StorageKind::Nand, 1 << 30));
        let facts = back.nand_facts(&da1).unwrap();
        assert_eq!(facts.geometry, nand_geometry());
        assert_eq!(facts.geometry.block_size(), 0x2_0000);
        assert_eq!(facts.flash_id, 0xECD3);
        assert_eq!(facts.ids, da1.nand_ids);
        // An eMMC phone has no NAND facts, and neither has a report whose NAND was not found.
        let (emmc, _) = spec_da2_report();
        assert_eq!(emmc.nand_facts(&Da1Report::emmc([0x15; 16])), None);
        assert_eq!(emmc.nand_facts(&da1), None);
        assert_eq!(emmc.nand.geometry(), None);
    }

    #[test]
    fn nand_ranges_must_be_page_or_block_aligned_and_inside() {
        let g = nand_geometry();
        let bad_addr = DaStatus::from_code(STATUS_INVALID_BEGIN_ADDR);
        let bad_range = DaStatus::from_code(STATUS_INVALID_RANGE);
        assert_eq!(g.check_pages(0x800, 0x1000), Ok(()));
        assert_eq!(g.check_pages(0, 0), Ok(()));
        assert_eq!(g.check_pages(0x200, 0x800), Err(bad_addr));
        assert_eq!(g.check_pages(0x800, 0x200), Err(bad_range));
        assert_eq!(g.check_pages((1 << 30) - 0x800, 0x800), Ok(()));
        assert_eq!(g.check_pages(1 << 30, 0x800), Err(bad_range));
        assert_eq!(g.check_pages(0, u64::MAX - 0x7FF), Err(bad_range));
        assert_eq!(g.check_blocks(0x2_0000, 0x4_0000), Ok(()));
        assert_eq!(g.check_blocks(0x800, 0x2_0000), Err(bad_addr));
        assert_eq!(g.check_blocks(0, 0x800), Err(bad_range));
        let empty = NandGeometry { page_size: 0, ..g };
        assert_eq!(
            empty.check_pages(0, 0),
            Err(bad_addr),
            "no division by zero"
        );
    }

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
