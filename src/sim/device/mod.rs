//! The simulated phone's brain: the BootROM (or preloader) until JUMP_DA, then the legacy DA,
//! as a pure `feed(bytes) -> reply` core over a [`Storage`].
//!
//! Byte layouts and the order of every exchange come from `protocol` ([`BromDevice`] and
//! [`DaDevice`]); this module decides the *content*: who the phone is, what its flash holds,
//! and which requests it refuses with which status. It also applies the faults of
//! [`crate::sim::fault`]. No I/O, no clock: the PTY loop in [`crate::sim::pty`] carries the
//! bytes and performs the waits and link drops this core asks for.
//!
//! # How the phone answers (choices where MT6572.md leaves room)
//!
//! BROM / preloader:
//! - FD `65 72 0000`; FC and FF from `protocol::decisions` (BROM) or `FF` (preloader); FE `FE`
//!   (BROM) or the preloader version [`PRELOADER_BL_VERSION`]; D8 config 0.
//! - D4 WRITE32 answers `0001` to the header and to each value, as the captured MT6572 init
//!   does (§3.4); words written are kept and D1 READ32 reads them back (0 elsewhere).
//!   Unaligned addresses, and reads past the 4 GiB address space or longer than
//!   [`MAX_READ32_WORDS`], get INVALID_ADDRESS (a refused READ32 sends both status words and
//!   no data).
//! - E1 GET_ME_ID: the serial-derived ME ID in BROM mode. A preloader of version ≤ 2 has no
//!   ME ID command (§3.3.7): it answers an empty ID with PL_MODE_UNSUPPORTED.
//! - D7 SEND_DA: length 0 → DA_LEN_IS_ZERO, signature longer than the DA →
//!   DA_SIG_LEN_EXCEED_DA_LEN, odd address → DA_ADDR_NOT_16BITS_ALIGNED, more than
//!   [`MAX_DA_LEN`] → DA_INVALID_LENGTH; otherwise the payload is taken and its XOR16 returned.
//! - D5 JUMP_DA: nothing uploaded → DA_NOT_EXIST, another address → DA_INVALID_JUMP_ADDR;
//!   otherwise status 0 and the DA starts: C0 and the DA1 report follow at once.
//! - Unknown bytes are dropped without a reply (protocol decision B3).
//!
//! DA:
//! - DRAM result 0 after the configuration block when the boot code can set up RAM; else
//!   (`--preloader erased|foreign`) 0xBC3 and the EMI exchange of [`crate::sim::boot`]
//!   (decision E6), and no preloader mode at power-on. DA2 is accepted at `DA2_LOAD_ADDR`
//!   only.
//! - The DA1 and DA2 reports describe the flash: eMMC sizes and CID, or the NAND chip of
//!   `protocol::decisions` (N1) with the profile's page and block size, the image's size and
//!   a spare area of page size / 32 (the profiles give none; 64 bytes for 2 KiB pages).
//! - 0x72 answers high speed; 0x60 selects BOOT1, BOOT2 or USER (others: A5).
//! - 0xD6 readback is eMMC only (decision D5): storage byte `STORAGE_EMMC_D6` on eMMC; another
//!   storage is refused with that storage's "flash not found" status, a range outside the
//!   partition with S_DA_INVALID_RANGE (mtkclient numbering). A NAND phone refuses 0xD6 for
//!   its NAND (`STORAGE_NAND_D6`) with S_DA_UNSUPPORTED_OPERATION: NAND is read with 0xDF.
//! - 0xDF NAND readback: the page data from the image; the spare area is not stored and reads
//!   0xFF, as on a page programmed without OOB data.
//! - 0x62 write: storage byte `STORAGE_EMMC_62` on eMMC (partition from the header),
//!   `STORAGE_NAND_62` on NAND; a packet is stored only once its checksum matched, else A5
//!   (NAND: A5 and `STATUS_DATA_CHECKSUM`).
//! - 0xD4 format: erases the range (NAND: whole blocks, already checked by the protocol) and
//!   reports 100 %; an eMMC range beyond the partition is refused with S_DA_INVALID_RANGE, a
//!   storage the phone lacks with its "flash not found" status (decision D13).
//! - 0xA5: the layout's PMT. 0xD9 and its mode word: ack, then the phone reboots: the link
//!   drops.
//! - `--fault flaky-read=` flips its byte in every second readback packet of the user area
//!   that holds it (the packet's checksum is of the flipped bytes: the link saw nothing wrong).
//! - `--fault nack=` refuses any DA command: with A5 where mtkclient has a bare A5 (0x60,
//!   eMMC 0x62), else with A5 and S_DA_TIMEOUT ([`NACK_STATUS`]).
//! - Bytes that break the DA's framing make it stop answering until the next unplug, as a DA
//!   stuck in a half-read header does.

use std::collections::BTreeMap;

use crate::{
    firmware::{
        emi::{self, MT6572_EMI_VERSION},
        scatter::{Region, Storage as StorageKind},
    },
    protocol::{
        BromStatus, DaStatus,
        brom::{
            BromAnswer, BromCommand, BromDevice, BromEvent, BromRequest, DaUploadReply, HwCode,
            HwSwVer, MeId, Read32Reply, TargetConfig,
        },
        checksum::sum16,
        da::{
            DATA_PACKET, DRAM_OK, Da1Report, Da2Report, DaAnswer, DaAsk, DaDevice, DaEvent,
            DaRequest, EmmcInfo, EmmcPart, FormatProgress, NandGeometry, NandInfo, NandReadFlag,
            NorInfo, RamInfo, STORAGE_EMMC_62, STORAGE_EMMC_D6, STORAGE_NAND_62, STORAGE_NAND_D6,
            SdmmcInfo, UsbStatus,
            dram::{EmiRequest, RAM_TYPE_DRAM, RamResult, SIM_EMI_BUFFER},
            encode_pmt,
        },
        decisions::{
            SIM_BROM_VERSION, SIM_DA_VERSION, SIM_HW_SUB_CODE, SIM_HW_VER, SIM_NAND_FLASH_ID,
            SIM_NAND_ID_COUNT, SIM_NAND_IDS, SIM_SW_VER, STATUS_DATA_CHECKSUM,
            STATUS_EMMC_FLASH_NOT_FOUND, STATUS_EXT_RAM, STATUS_INVALID_RANGE,
            STATUS_UNSUPPORTED_OPERATION,
        },
        mt6572,
    },
    sim::{
        boot,
        fault::{FaultPlan, Faults, Phase},
        identity::Identity,
        layout::Layout,
        pty::{Peer, Reply},
        storage::Storage,
    },
};

/// The preloader version a simulated preloader answers to FE (§3.3.3 "e.g. 0x01").
pub const PRELOADER_BL_VERSION: u8 = 0x01;

/// The longest DA stage the BROM accepts (DA1 runs from the 128 KiB internal SRAM region
/// and is far smaller; this only catches nonsense lengths).
pub const MAX_DA_LEN: u32 = 0x10_0000;

/// The most words one READ32 returns (mtkclient's largest read, `dump_preloader_ram`, is
/// 0x200000 bytes).
pub const MAX_READ32_WORDS: u32 = 0x8_0000;

/// The status a WRITE32 header and each value get (what the captured MT6572 init received).
const WRITE32_STATUS: u16 = 0x0001;

/// BROM or preloader: what the phone runs when the host connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The BootROM (USB 0e8d:0003).
    Brom,
    /// The preloader (USB 0e8d:2000).
    Preloader,
}

impl Mode {
    /// `brom` or `preloader`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Brom => "brom",
            Mode::Preloader => "preloader",
        }
    }
}

/// Everything the phone is, besides its flash.
#[derive(Debug, Clone)]
pub struct DeviceConfig {
    /// BROM or preloader.
    pub mode: Mode,
    /// Serial-derived identity.
    pub identity: Identity,
    /// The flash layout (for the reports and the PMT).
    pub layout: Layout,
    /// Faults to inject.
    pub faults: FaultPlan,
}

/// Which program runs on the phone.
#[derive(Debug)]
enum Stage {
    /// BootROM or preloader.
    Brom(BromDevice),
    /// The download agent.
    Da(Box<DaDevice>),
    /// The DA broke off (framing error) or finished: silent until unplugged.
    Silent,
}

/// A write in progress: where it goes and the current packet.
#[derive(Debug, Default)]
struct WriteJob {
    region: Option<Region>,
    packet: Vec<u8>,
    failed: bool,
}

/// Everything but the protocol machines, so answers can borrow it while a machine is out.
struct Brain {
    config: DeviceConfig,
    storage: Box<dyn Storage>,
    faults: Faults,
    registers: BTreeMap<u32, u32>,
    uploaded: Option<u32>,
    part: Region,
    write: WriteJob,
    /// The next readback packet and its checksum, worked out while the host drained the
    /// last one ([`Peer::idle`]), with the question it answers.
    read_ahead: Option<(DaAsk, Vec<u8>, u16)>,
    finished: bool,
    /// Whether the boot code can set up RAM, worked out at the first question after power-on.
    boots: Option<bool>,
}

/// The simulated phone; see the module documentation.
pub struct Device {
    stage: Stage,
    connected: bool,
    brain: Brain,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("stage", &self.stage)
            .field("connected", &self.connected)
            .field("mode", &self.brain.config.mode)
            .finish_non_exhaustive()
    }
}

impl Device {
    /// A phone just plugged in, waiting for the handshake.
    pub fn new(config: DeviceConfig, storage: Box<dyn Storage>) -> Device {
        let faults = Faults::new(config.faults.clone());
        Device {
            stage: Stage::Brom(BromDevice::new()),
            connected: false,
            brain: Brain {
                config,
                storage,
                faults,
                registers: BTreeMap::new(),
                uploaded: None,
                part: Region::EmmcUser,
                write: WriteJob::default(),
                read_ahead: None,
                finished: false,
                boots: None,
            },
        }
    }

    /// True once the DA runs.
    pub fn in_da(&self) -> bool {
        matches!(self.stage, Stage::Da(_))
    }

    /// The flash, for inspection after a session.
    pub fn storage_mut(&mut self) -> &mut dyn Storage {
        self.brain.storage.as_mut()
    }

    /// Runs the host's bytes through the current program; returns the raw output.
    fn run(&mut self, mut input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let used = match &mut self.stage {
                Stage::Brom(brom) => {
                    let used = self
                        .brain
                        .brom_feed(brom, input, &mut self.connected, &mut out);
                    if brom.jumped() {
                        self.stage = self.brain.start_da(&mut out);
                    }
                    used
                }
                Stage::Da(da) => {
                    let used = self.brain.da_feed(da, input, &mut out);
                    if used.is_none() || self.brain.finished {
                        self.stage = Stage::Silent;
                    }
                    used
                }
                Stage::Silent => None,
            };
            match used {
                Some(n) if n > 0 => input = &input[n..],
                _ => break,
            }
        }
        out
    }
}

impl Peer for Device {
    fn feed(&mut self, input: &[u8]) -> Reply {
        let was_connected = self.connected;
        let (take, cut) = self.brain.faults.receive(input.len());
        let out = self.run(&input[..take]);
        let stall = if was_connected && !out.is_empty() {
            self.brain.faults.stall()
        } else {
            std::time::Duration::ZERO
        };
        let shaped = self.brain.faults.shape(out);
        let disconnect = shaped.disconnect || cut || self.brain.finished;
        if disconnect {
            self.unplug();
        }
        Reply {
            bytes: shaped.bytes,
            stall,
            disconnect,
        }
    }

    fn unplug(&mut self) {
        self.stage = Stage::Brom(BromDevice::new());
        self.connected = false;
        let b = &mut self.brain;
        b.registers.clear();
        b.uploaded = None;
        b.part = Region::EmmcUser;
        b.write = WriteJob::default();
        b.read_ahead = None;
        b.finished = false;
        b.boots = None;
    }

    /// Reads the next readback packet from flash while the host drains the current one, as
    /// a phone's DA does between USB transfers; the storage cannot change before it is asked
    /// for (the host's next byte is the ack that asks for it; anything else ends the read).
    fn idle(&mut self) {
        let Stage::Da(da) = &self.stage else { return };
        if self.brain.read_ahead.is_none()
            && let Some(ask) = da.next_packet()
        {
            let data = self.brain.packet_data(&ask);
            let sum = sum16(&data);
            self.brain.read_ahead = Some((ask, data, sum));
        }
    }
}

/// Appends `bytes` to `out`, taking the buffer over when `out` is empty (a readback packet
/// is then never copied on its way to the port).
fn append(out: &mut Vec<u8>, bytes: Vec<u8>) {
    if out.is_empty() {
        *out = bytes;
    } else {
        out.extend_from_slice(&bytes);
    }
}

/// The status a `nack=` fault refuses a command with, where its refusal carries one.
pub const NACK_STATUS: DaStatus = DaStatus::Timeout;

impl Brain {
    fn kind(&self) -> StorageKind {
        self.config.layout.kind()
    }

    /// The NAND's page layout: the profile's page and block size and the image's size; the
    /// spare area is page size / 32 (see the module documentation).
    fn nand_geometry(&self) -> NandGeometry {
        let l = &self.config.layout;
        let page = l.page_size.max(1);
        NandGeometry {
            page_size: page as u16,
            spare_size: (page / 32) as u16,
            pages_per_block: (l.block_size / page) as u16,
            flash_size: self.storage.size(Region::Nand),
        }
    }

    fn brom_feed(
        &mut self,
        brom: &mut BromDevice,
        input: &[u8],
        connected: &mut bool,
        out: &mut Vec<u8>,
    ) -> Option<usize> {
        let used = match brom.feed(input) {
            Ok((n, event)) => {
                match event {
                    Some(BromEvent::Connected) => *connected = true,
                    Some(BromEvent::Ignored(b)) => {
                        tracing::debug!(byte = b, "BROM ignores an unknown byte");
                    }
                    Some(BromEvent::DaData(_)) | None => {}
                }
                if let Some(req) = brom.pending() {
                    let answer = self.brom_answer(req);
                    if let Err(e) = brom.answer(answer) {
                        tracing::error!(error = %e, "simulator BROM answer refused");
                    }
                }
                Some(n)
            }
            Err(e) => {
                tracing::warn!(error = %e, "BROM input out of sequence");
                None
            }
        };
        out.extend(brom.take_output());
        used
    }

    fn nacked(&self, phase: Phase, byte: u8) -> bool {
        self.faults.nacks(phase, byte)
    }

    /// The flash id the DA reports after 0xBC3: the eMMC CID, or the NAND ids.
    fn flash_id(&self) -> [u8; 16] {
        match self.kind() {
            StorageKind::Emmc => self.config.identity.cid,
            StorageKind::Nand => self.config.layout.nand_flash_id(),
        }
    }

    /// True when the boot code can set up RAM (decision E6); read once per power-on.
    fn boots(&mut self) -> bool {
        if let Some(b) = self.boots {
            return b;
        }
        let id = self.flash_id();
        let b = boot::boots(self.storage.as_mut(), &self.config.layout, &id);
        self.boots = Some(b);
        b
    }

    /// The preloader runs at power-on only when asked for and when it can set up RAM.
    fn in_preloader(&mut self) -> bool {
        self.config.mode == Mode::Preloader && self.boots()
    }

    /// The DRAM result: 0 when the boot code set RAM up, else 0xBC3 and the EMI exchange.
    fn dram_answer(&mut self) -> DaAnswer {
        if self.boots() {
            return DaAnswer::DramResult(DRAM_OK);
        }
        let mut ram_info = *b"RAM-Info: LPDDR2";
        if self.kind() == StorageKind::Nand {
            ram_info[10..].copy_from_slice(b"NAND+2");
        }
        DaAnswer::NeedEmi {
            request: EmiRequest {
                unknown: [0; 4],
                flash_id: self.flash_id(),
                nand_ids: match self.kind() {
                    StorageKind::Emmc => Vec::new(),
                    StorageKind::Nand => SIM_NAND_IDS.to_vec(),
                },
            },
            ram_info,
            dram_len: SIM_EMI_BUFFER,
        }
    }

    /// The RAM result for the EMI bytes received (decision E6).
    fn ram_answer(&self, blob: &[u8]) -> DaAnswer {
        let id = self.flash_id();
        let layout = &self.config.layout;
        let fit = emi::parts_in_blob(blob)
            .iter()
            .any(|p| boot::fits(p, layout, &id));
        DaAnswer::RamResult(RamResult {
            ret: if fit { 0 } else { STATUS_EXT_RAM },
            ram_type: RAM_TYPE_DRAM,
            chip_select: 0,
            size: if fit { layout.ram_size } else { 0 },
            extra: Vec::new(),
        })
    }

    fn brom_answer(&mut self, req: BromRequest) -> BromAnswer {
        let preloader = self.in_preloader();
        match req {
            BromRequest::GetHwCode => BromAnswer::HwCode(HwCode {
                hw_code: mt6572::HW_CODE,
                status: 0,
            }),
            BromRequest::GetHwSwVer => BromAnswer::HwSwVer(HwSwVer {
                hw_sub_code: SIM_HW_SUB_CODE,
                hw_ver: SIM_HW_VER,
                sw_ver: SIM_SW_VER,
                status: 0,
            }),
            BromRequest::GetBlVer if preloader => BromAnswer::Byte(PRELOADER_BL_VERSION),
            BromRequest::GetBlVer => BromAnswer::Byte(BromCommand::GetBlVer.byte()),
            BromRequest::GetBromVer if preloader => {
                BromAnswer::Byte(BromCommand::GetBromVer.byte())
            }
            BromRequest::GetBromVer => BromAnswer::Byte(SIM_BROM_VERSION),
            BromRequest::GetTargetConfig => BromAnswer::TargetConfig(TargetConfig {
                config: 0,
                status: 0,
            }),
            BromRequest::GetMeId if preloader && PRELOADER_BL_VERSION <= 2 => {
                BromAnswer::MeId(MeId {
                    id: Vec::new(),
                    status: BromStatus::PlModeUnsupported.code(),
                })
            }
            BromRequest::GetMeId => BromAnswer::MeId(MeId {
                id: self.config.identity.me_id.to_vec(),
                status: 0,
            }),
            BromRequest::Write32 { addr, .. } => {
                if self.nacked(Phase::Brom, BromCommand::Write32.byte()) || addr % 4 != 0 {
                    BromAnswer::Status(BromStatus::InvalidAddress.code())
                } else {
                    BromAnswer::Status(WRITE32_STATUS)
                }
            }
            BromRequest::Write32Value { addr, value } => {
                self.registers.insert(addr, value);
                BromAnswer::Status(WRITE32_STATUS)
            }
            BromRequest::Read32 { addr, count } => {
                let end = u64::from(addr) + 4 * u64::from(count);
                if addr % 4 != 0 || count > MAX_READ32_WORDS || end > 1 << 32 {
                    let refused = BromStatus::InvalidAddress.code();
                    return BromAnswer::Read32(Read32Reply {
                        status: refused,
                        values: Vec::new(),
                        status2: refused,
                    });
                }
                let values = (0..count)
                    .map(|i| {
                        let a = addr.wrapping_add(4 * i);
                        self.registers.get(&a).copied().unwrap_or(0)
                    })
                    .collect();
                BromAnswer::Read32(Read32Reply {
                    status: 0,
                    values,
                    status2: 0,
                })
            }
            BromRequest::SendDa { addr, len, sig_len } => {
                let status = if self.nacked(Phase::Brom, BromCommand::SendDa.byte()) {
                    BromStatus::SlaRequired
                } else if len == 0 {
                    BromStatus::DaLenIsZero
                } else if sig_len > len {
                    BromStatus::DaSigLenExceedDaLen
                } else if addr % 2 != 0 {
                    BromStatus::DaAddrNotAligned
                } else if len > MAX_DA_LEN {
                    BromStatus::DaInvalidLength
                } else {
                    self.uploaded = Some(addr);
                    BromStatus::Ok
                };
                BromAnswer::Status(status.code())
            }
            BromRequest::DaReceived { checksum } => {
                let checksum = if self.faults.corrupt_next_checksum() {
                    !checksum
                } else {
                    checksum
                };
                BromAnswer::DaReceived(DaUploadReply {
                    checksum,
                    status: 0,
                })
            }
            BromRequest::JumpDa { addr } => {
                let status = if self.nacked(Phase::Brom, BromCommand::JumpDa.byte()) {
                    BromStatus::DaInvalidJumpAddr
                } else {
                    match self.uploaded {
                        None => BromStatus::DaNotExist,
                        Some(a) if a != addr => BromStatus::DaInvalidJumpAddr,
                        Some(_) => BromStatus::Ok,
                    }
                };
                BromAnswer::Status(status.code())
            }
        }
    }

    /// DA1 starts: sync byte and the DA1 report.
    fn start_da(&mut self, out: &mut Vec<u8>) -> Stage {
        let mut da = DaDevice::new();
        let report = self.da1_report();
        match da.start(&report, SIM_DA_VERSION) {
            Ok(()) => {
                out.extend(da.take_output());
                Stage::Da(Box::new(da))
            }
            Err(e) => {
                tracing::error!(error = %e, "simulator DA failed to start");
                Stage::Silent
            }
        }
    }

    fn da1_report(&self) -> Da1Report {
        match self.kind() {
            StorageKind::Emmc => Da1Report::emmc(self.config.identity.cid),
            StorageKind::Nand => Da1Report::nand(&SIM_NAND_IDS),
        }
    }

    fn da2_report(&self) -> Da2Report {
        let l = &self.config.layout;
        let mut random_id = [0u8; 16];
        random_id.copy_from_slice(&self.config.identity.me_id);
        random_id.reverse();
        let ram = RamInfo {
            int_sram_ret: 0,
            int_sram_size: 0x2_0000,
            ext_ram_ret: 0,
            ext_ram_type: 2,
            ext_ram_chip_select: 0,
            ext_ram_size: l.ram_size,
            random_id,
        };
        let nor = NorInfo {
            ret: DaStatus::NorFlashNotFound.code(),
            ..NorInfo::default()
        };
        let sdmmc = SdmmcInfo {
            ret: STATUS_EMMC_FLASH_NOT_FOUND,
            ..SdmmcInfo::default()
        };
        match self.kind() {
            StorageKind::Emmc => Da2Report {
                nor,
                nand: NandInfo {
                    ret: DaStatus::NandFlashNotFound.code(),
                    ids: vec![0; SIM_NAND_ID_COUNT],
                    ..NandInfo::default()
                },
                emmc: EmmcInfo {
                    ret: 0,
                    boot1_size: self.storage.size(Region::EmmcBoot1),
                    boot2_size: self.storage.size(Region::EmmcBoot2),
                    rpmb_size: 0,
                    gp_size: [0; 4],
                    ua_size: self.storage.size(Region::EmmcUser),
                    cid: self.config.identity.cid,
                    fw_ver: *b"SIM72E\0\x01",
                },
                sdmmc,
                ram,
                pass: Default::default(),
            },
            StorageKind::Nand => Da2Report {
                nor,
                nand: NandInfo::detected(SIM_NAND_FLASH_ID, &SIM_NAND_IDS, self.nand_geometry()),
                emmc: EmmcInfo {
                    ret: STATUS_EMMC_FLASH_NOT_FOUND,
                    ..EmmcInfo::default()
                },
                sdmmc,
                ram,
                pass: Default::default(),
            },
        }
    }

    fn da_feed(&mut self, da: &mut DaDevice, input: &[u8], out: &mut Vec<u8>) -> Option<usize> {
        let used = match da.feed(input) {
            Ok((n, event)) => {
                match event {
                    Some(DaEvent::WriteData { data, .. }) => {
                        self.write.packet.extend_from_slice(data);
                    }
                    Some(DaEvent::Unknown(b)) => {
                        tracing::debug!(byte = b, "DA answers an unknown command with BB");
                    }
                    Some(DaEvent::Refused { command, status }) => {
                        tracing::debug!(command, status = %status, "the DA refused a NAND command");
                    }
                    Some(DaEvent::Da2Data(_)) | None => {}
                }
                Some(n)
            }
            Err(e) => {
                tracing::warn!(error = %e, "DA input breaks the framing; the DA stops answering");
                None
            }
        };
        append(out, da.take_output());
        while let Some(ask) = da.pending().cloned() {
            let answer = self.da_answer(&ask);
            if let Err(e) = da.answer(answer) {
                tracing::error!(error = %e, "simulator DA answer refused");
                return None;
            }
            let mut reply = da.take_output();
            let packet = matches!(
                ask,
                DaAsk::ReadbackPacket { .. } | DaAsk::NandReadbackPacket { .. }
            );
            if packet && self.faults.corrupt_next_checksum() {
                // The packet's checksum trails its data.
                let n = reply.len();
                for b in &mut reply[n.saturating_sub(2)..] {
                    *b = !*b;
                }
            }
            append(out, reply);
            if da.finished() {
                self.finished = true;
            }
        }
        used
    }

    /// The region a 0xD6/0xD4 storage byte (HW_STORAGE numbering, §5.8) names on this
    /// phone, or the status refusing it.
    fn hw_storage(&self, storage: u8) -> Result<Region, u32> {
        match (self.kind(), storage) {
            (StorageKind::Emmc, STORAGE_EMMC_D6) => Ok(self.part),
            (StorageKind::Nand, STORAGE_NAND_D6) => Ok(Region::Nand),
            (StorageKind::Emmc, STORAGE_NAND_D6) => Err(DaStatus::NandFlashNotFound.code()),
            (StorageKind::Nand, STORAGE_EMMC_D6) => Err(STATUS_EMMC_FLASH_NOT_FOUND),
            _ => Err(DaStatus::NorFlashNotFound.code()),
        }
    }

    /// A NAND readback packet: `pages` pages from `addr`, each as `flag` selects; the spare
    /// area is not stored and reads 0xFF.
    fn nand_packet(&mut self, addr: u64, pages: u32, flag: NandReadFlag) -> Vec<u8> {
        let g = self.nand_geometry();
        let (page, spare) = (usize::from(g.page_size), usize::from(g.spare_size));
        let mut data = vec![0u8; pages as usize * page];
        if flag != NandReadFlag::SpareOnly
            && let Err(e) = self.storage.read(Region::Nand, addr, &mut data)
        {
            // The range was checked; only the image file can fail here.
            tracing::error!(error = %e, "simulated flash read failed");
        }
        let unit = flag.unit(u32::from(g.page_size), u32::from(g.spare_size)) as usize;
        // Room for the checksum that follows (DaAnswer::Data).
        let mut out = Vec::with_capacity(pages as usize * unit + 2);
        for chunk in data.chunks(page.max(1)) {
            if flag != NandReadFlag::SpareOnly {
                out.extend_from_slice(chunk);
            }
            if flag != NandReadFlag::PageOnly {
                out.resize(out.len() + spare, 0xFF);
            }
        }
        out
    }

    /// The bytes of a readback packet (`ReadbackPacket` or `NandReadbackPacket`), with room
    /// for the checksum that follows them; empty for any other question.
    fn packet_data(&mut self, ask: &DaAsk) -> Vec<u8> {
        match *ask {
            DaAsk::ReadbackPacket { addr, len } => {
                let mut data = Vec::with_capacity(len as usize + 2);
                data.resize(len as usize, 0);
                if let Err(e) = self.storage.read(self.part, addr, &mut data) {
                    // The range was checked; only the image file can fail here.
                    tracing::error!(error = %e, "simulated flash read failed");
                }
                data
            }
            DaAsk::NandReadbackPacket {
                addr, pages, flag, ..
            } => self.nand_packet(addr, pages, flag),
            _ => Vec::new(),
        }
    }

    /// The answer to a packet question: the packet read ahead (with its sum) if it is that
    /// one, else the packet read now.
    /// A `flaky-read` byte in a user-area packet is counted here, as the packet is sent
    /// (not when it is read ahead, which may be dropped).
    fn packet(&mut self, ask: &DaAsk) -> DaAnswer {
        let (mut data, sum) = match self.read_ahead.take() {
            Some((read, data, sum)) if read == *ask => (data, Some(sum)),
            _ => (self.packet_data(ask), None),
        };
        let flipped = match *ask {
            DaAsk::ReadbackPacket { addr, .. } if self.part == Region::EmmcUser => {
                self.faults.flaky_read(addr, &mut data)
            }
            _ => false,
        };
        match sum {
            Some(sum) if !flipped => DaAnswer::SummedData { data, sum },
            _ => DaAnswer::Data(data),
        }
    }

    fn fits(&self, region: Region, addr: u64, len: u64) -> bool {
        addr.checked_add(len)
            .is_some_and(|end| end <= self.storage.size(region))
    }

    fn da_answer(&mut self, ask: &DaAsk) -> DaAnswer {
        if !matches!(
            ask,
            DaAsk::ReadbackPacket { .. } | DaAsk::NandReadbackPacket { .. }
        ) {
            // Whatever was read ahead belongs to a readback that is over.
            self.read_ahead = None;
        }
        match ask {
            DaAsk::Config(_) => self.dram_answer(),
            DaAsk::EnableDram(v) if *v == MT6572_EMI_VERSION => DaAnswer::Ack,
            DaAsk::EnableDram(_) => DaAnswer::Nack,
            DaAsk::EmiSettings(blob) => self.ram_answer(blob),
            DaAsk::Da2Upload(h) => {
                if h.addr == mt6572::DA2_LOAD_ADDR && h.len > 0 {
                    DaAnswer::Ack
                } else {
                    DaAnswer::Nack
                }
            }
            DaAsk::Da2Packet { .. } => DaAnswer::Ack,
            DaAsk::Da2Complete => DaAnswer::Da2Report(Box::new(self.da2_report())),
            DaAsk::UsbCheck if self.nacked(Phase::Da, DaRequest::USB_CHECK) => {
                DaAnswer::Refused(NACK_STATUS.code())
            }
            DaAsk::UsbCheck => DaAnswer::UsbStatus(UsbStatus { speed: 1 }),
            DaAsk::SwitchPart { part } => {
                let region = match (self.kind(), EmmcPart::from_id(*part)) {
                    (StorageKind::Emmc, Some(EmmcPart::Boot1)) => Some(Region::EmmcBoot1),
                    (StorageKind::Emmc, Some(EmmcPart::Boot2)) => Some(Region::EmmcBoot2),
                    (StorageKind::Emmc, Some(EmmcPart::User)) => Some(Region::EmmcUser),
                    _ => None,
                };
                match region {
                    Some(r) if !self.nacked(Phase::Da, DaRequest::SWITCH_PART) => {
                        self.part = r;
                        DaAnswer::Ack
                    }
                    _ => DaAnswer::Nack,
                }
            }
            DaAsk::Readback(q) => {
                if self.nacked(Phase::Da, DaRequest::READBACK) {
                    return DaAnswer::ReadbackRefused(NACK_STATUS.code());
                }
                match self.hw_storage(q.storage) {
                    // NAND is read with 0xDF (decision D5).
                    Ok(Region::Nand) => DaAnswer::ReadbackRefused(STATUS_UNSUPPORTED_OPERATION),
                    Ok(region) if self.fits(region, q.addr, q.len) && q.packet > 0 => DaAnswer::Ack,
                    Ok(_) => DaAnswer::ReadbackRefused(STATUS_INVALID_RANGE),
                    Err(status) => DaAnswer::ReadbackRefused(status),
                }
            }
            DaAsk::ReadbackPacket { .. } | DaAsk::NandReadbackPacket { .. } => self.packet(ask),
            DaAsk::NandReadback(_) => {
                // The protocol checked the request against the geometry (decision N5).
                if self.nacked(Phase::Da, DaRequest::NAND_READBACK) {
                    DaAnswer::ReadbackRefused(NACK_STATUS.code())
                } else {
                    DaAnswer::Ack
                }
            }
            DaAsk::Write(q) => {
                self.write = WriteJob::default();
                // A NAND refusal carries a status (decision N4).
                let nand = q.storage == STORAGE_NAND_62;
                let refuse = |status: u32| {
                    if nand {
                        DaAnswer::Refused(status)
                    } else {
                        DaAnswer::Nack
                    }
                };
                if self.nacked(Phase::Da, DaRequest::WRITE) {
                    return refuse(NACK_STATUS.code());
                }
                let region = match self.kind() {
                    StorageKind::Emmc if q.storage == STORAGE_EMMC_62 => {
                        match EmmcPart::from_id(q.part) {
                            Some(EmmcPart::Boot1) => Some(Region::EmmcBoot1),
                            Some(EmmcPart::Boot2) => Some(Region::EmmcBoot2),
                            Some(EmmcPart::User) => Some(Region::EmmcUser),
                            _ => None,
                        }
                    }
                    StorageKind::Nand if nand => Some(Region::Nand),
                    _ => None,
                };
                match region {
                    Some(r) if self.fits(r, q.addr, q.len) && q.packet > 0 => {
                        self.write.region = Some(r);
                        // One packet's room up front (at most the 1 MiB mtkbench sends),
                        // rather than growing it piece by piece.
                        let room = q.len.min(u64::from(q.packet.min(DATA_PACKET)));
                        self.write.packet.reserve(room as usize);
                        DaAnswer::Ack
                    }
                    _ => refuse(STATUS_INVALID_RANGE),
                }
            }
            DaAsk::WritePacket {
                addr,
                len,
                checksum_ok,
            } => {
                let mut packet = std::mem::take(&mut self.write.packet);
                let ok = *checksum_ok && !self.write.failed && packet.len() == *len as usize;
                let stored = match self.write.region {
                    Some(region) if ok => self.storage.write(region, *addr, &packet),
                    _ => Ok(()),
                };
                if let Err(e) = &stored {
                    tracing::error!(error = %e, "simulated flash write failed");
                }
                if ok && stored.is_ok() {
                    // The next packet fills the same buffer.
                    packet.clear();
                    self.write.packet = packet;
                    DaAnswer::Cont
                } else if self.write.region == Some(Region::Nand) {
                    self.write = WriteJob::default();
                    DaAnswer::Refused(if *checksum_ok {
                        DaStatus::NandPageProgramFailed.code()
                    } else {
                        STATUS_DATA_CHECKSUM
                    })
                } else {
                    self.write.failed = true;
                    DaAnswer::Nack
                }
            }
            DaAsk::Format(_) if self.nacked(Phase::Da, DaRequest::FORMAT) => {
                DaAnswer::Refused(NACK_STATUS.code())
            }
            DaAsk::Format(q) => {
                let done = DaAnswer::Progress(FormatProgress {
                    init: 0,
                    percent: 100,
                });
                match self.hw_storage(q.storage) {
                    // Whole blocks inside the array: checked by the protocol (decision N5).
                    Ok(Region::Nand) => match self.storage.erase(Region::Nand, q.addr, q.len) {
                        Ok(()) => done,
                        Err(e) => {
                            tracing::error!(error = %e, "simulated flash erase failed");
                            DaAnswer::Refused(DaStatus::NandEraseFailed.code())
                        }
                    },
                    Ok(region) if self.fits(region, q.addr, q.len) => {
                        if let Err(e) = self.storage.erase(region, q.addr, q.len) {
                            // Only the image file can fail here; the log says so.
                            tracing::error!(error = %e, "simulated flash erase failed");
                        }
                        done
                    }
                    Ok(_) => DaAnswer::Refused(STATUS_INVALID_RANGE),
                    Err(status) => DaAnswer::Refused(status),
                }
            }
            DaAsk::FormatMore { .. } => DaAnswer::Progress(FormatProgress {
                init: 0,
                percent: 100,
            }),
            DaAsk::ReadPmt if self.nacked(Phase::Da, DaRequest::READ_PMT) => {
                DaAnswer::Refused(NACK_STATUS.code())
            }
            DaAsk::ReadPmt => DaAnswer::Pmt(encode_pmt(&self.config.layout.pmt())),
            DaAsk::Finish if self.nacked(Phase::Da, DaRequest::FINISH) => {
                DaAnswer::Refused(NACK_STATUS.code())
            }
            DaAsk::Finish | DaAsk::FinishMode(_) => DaAnswer::Ack,
        }
    }
}

#[cfg(test)]
mod tests;
