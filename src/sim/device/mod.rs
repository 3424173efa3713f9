//! The simulated phone's brain: the BootROM (or preloader) until JUMP_DA, then the legacy DA,
//! as a pure `feed(bytes) -> reply` core over a [`Storage`].
//!
//! Byte layouts and the order of every exchange come from `protocol` ([`BromDevice`] and
//! [`DaDevice`]); this module decides the *content*: who the phone is, what its flash holds,
//! and which requests it refuses with which status. It also applies the faults of
//! [`crate::sim::fault`]. No I/O, no clock: the PTY loop in [`crate::sim::pty`] carries the
//! bytes and performs the waits and link drops this core asks for.
//!
//! Layout: this file holds the device, its configuration and the stage switch; `brom.rs`
//! answers the BootROM / preloader stage and `da.rs` the DA stage.
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
    firmware::scatter::{Region, Storage as StorageKind},
    protocol::{
        DaStatus,
        brom::BromDevice,
        checksum::sum16,
        da::{DaAsk, DaDevice, NandGeometry},
    },
    sim::{
        fault::{FaultPlan, Faults, Phase},
        identity::Identity,
        layout::Layout,
        pty::{Peer, Reply},
        storage::Storage,
    },
};

mod brom;
mod da;

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
}

#[cfg(test)]
mod tests;
