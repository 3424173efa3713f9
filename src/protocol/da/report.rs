//! The reports and set-up blocks of the legacy DA (MT6572.md §5.2–§5.7), each with one
//! [`Wire`] layout: the DA1 storage report, the 18-byte configuration block, the DA2 upload
//! header and the DA2 storage report with its NOR/NAND/eMMC/SD/RAM blocks, plus the NAND
//! geometry they carry.
//!
//! Bytes only: no exchange is driven here (that is [`super::host`] and [`super::device`]), and
//! no command header (that is [`super::command`]). Sans-IO.

use super::{ACK, SOC_OK, StorageKind, invalid};
use crate::protocol::{
    DaStatus,
    decisions::{
        SIM_NAND_ADDR_CYCLE, SIM_NAND_BMT_EXIST, SIM_NAND_ID_COUNT, SIM_NAND_IO_INTERFACE,
        STATUS_EMMC_FLASH_NOT_FOUND, STATUS_INVALID_BEGIN_ADDR, STATUS_INVALID_RANGE,
    },
    mt6572::{BMT_FLAG, BMT_PART_SIZE_EMMC, BMT_PART_SIZE_NAND},
    wire::{DecodeError, Put, Reader, Wire},
};

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
/// The DRAM result that asks for EMI settings (§5.5, [`dram`](super::dram)).
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::protocol::{ProtocolError, da::tests::hex};

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
}
