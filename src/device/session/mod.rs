//! [`Session`]: one conversation with a phone over any [`Transport`], from the start handshake
//! to the reboot. It runs the `protocol` step machines through `transport::run_exchange`, in
//! the order mtkclient uses on an MT6572 (MT6572.md §3.4 and §5), attaches the failing
//! [`Stage`] to every error, and reports [`ProgressEvent`]s. It never writes wire bytes of its
//! own and never holds a partition in memory: data streams in the DA's 1 MiB packets between
//! the port and the caller's reader or writer.
//!
//! Typical use: [`Session::connect`], [`Session::identify_brom`], [`Session::boot_da`], then
//! any number of [`Session::partition_table`], [`Session::read`], [`Session::write`],
//! [`Session::erase`], and finally [`Session::finish`] (reboot). A [`CancelToken`] given with
//! [`Session::with_cancel`] stops any exchange between two packets (the final reboot
//! excepted).
//!
//! Its write and erase take only a target the [`super::guard`] built
//! ([`GuardedWrite`](super::guard::GuardedWrite), [`GuardedErase`](super::guard::GuardedErase))
//! against the partition map this session read from the phone, and write the guard's override,
//! if any, into the transcript. The faces (CLI, TUI, repair engine) never use a session
//! directly; they go through the job layer (`crate::job`).

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use serde::{Deserialize, Serialize};

use super::{
    dram::{self, DramAsk, DramProvider, DramReport},
    error::{DeviceError, PhoneState, ResultExt, Stage},
    fingerprint::early_device_key,
    guard::{Facts, Forced},
    progress::ProgressEvent,
    table::{PartitionMap, TableReading},
    target::Region,
};
use crate::{
    protocol::{
        Exchange, Hex, ProtocolError, brom,
        da::{
            self, Da2Report, DaConfig, DramPrompt, EmiRequest, EmiSetup, NandFacts, StorageKind,
            host,
        },
        da_file::DaFile,
        decisions::HANDSHAKE_REPLY_TIMEOUT,
        handshake::HostHandshake,
    },
    transport::{
        CancelToken, ExchangeError, Payload, Transport, TransportError, run_exchange_with,
    },
};

mod storage;

/// Who answered the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The BootROM (VOL-DOWN or test point; `0e8d:0003`).
    Brom,
    /// The preloader (normal power-on with USB; `0e8d:2000`).
    Preloader,
}

/// What the BootROM or preloader told us (§3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BromInfo {
    /// BROM or preloader.
    pub mode: Mode,
    /// FD: 0x6572 on an MT6572.
    pub hw_code: u16,
    /// FC.
    pub hw_sub_code: u16,
    /// FC.
    pub hw_version: u16,
    /// FC.
    pub sw_version: u16,
    /// FF answer (0xFF from a preloader).
    pub brom_version: u8,
    /// FE answer (0xFE from the BROM, the preloader's version otherwise).
    pub bl_version: u8,
    /// D8.
    pub target_config: brom::TargetConfig,
    /// E1, when the mode provides it (BROM, or a preloader newer than version 2).
    pub me_id: Option<Vec<u8>>,
}

/// What the download agent told us about the phone's storage and RAM (§5.2, §5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaInfo {
    /// Storage kind after both reports.
    pub storage: StorageKind,
    /// Size of the user area (eMMC) or the whole array (NAND).
    pub user_size: u64,
    /// The DA1 report (NAND ids, eMMC CID).
    pub da1: da::Da1Report,
    /// The DA's three version bytes after its DA1 report.
    pub da_version: [u8; 3],
    /// The DA2 report (sizes, CID, RAM).
    pub report: Da2Report,
    /// USB speed from 0x72 (1 = high speed).
    pub usb_speed: u8,
    /// How RAM was set up, when the DA asked for EMI settings (a dead phone).
    pub dram: Option<DramReport>,
}

impl DaInfo {
    /// Size of `region` on this phone: boot1, boot2 and user on eMMC, nand on NAND;
    /// [`DeviceError::NoSuchRegion`] for a region its storage does not have.
    pub fn region(&self, region: Region) -> Result<u64, DeviceError> {
        match (self.storage, region) {
            (StorageKind::Emmc, Region::EmmcBoot1) => Ok(self.report.emmc.boot1_size),
            (StorageKind::Emmc, Region::EmmcBoot2) => Ok(self.report.emmc.boot2_size),
            (StorageKind::Emmc, Region::EmmcUser) | (StorageKind::Nand, Region::Nand) => {
                Ok(self.user_size)
            }
            (storage, region) => Err(DeviceError::NoSuchRegion {
                region: region.as_short(),
                storage: match storage {
                    StorageKind::Emmc => "eMMC",
                    StorageKind::Nand => "NAND",
                    StorageKind::Nor => "NOR or none",
                },
            }),
        }
    }

    /// Size of `region`, 0 when this phone does not have it.
    pub fn region_size(&self, region: Region) -> u64 {
        self.region(region).unwrap_or(0)
    }

    /// The NAND page layout and ids, when the phone is NAND and its DA reported a usable
    /// layout (decision N1).
    pub fn nand(&self) -> Option<NandFacts> {
        self.report.nand_facts(&self.da1)
    }
}

/// A conversation with one phone; see the module documentation.
pub struct Session<T: Transport> {
    t: T,
    progress: Box<dyn FnMut(&ProgressEvent) + Send>,
    cancel: Option<CancelToken>,
    /// Whether a write or an erase reached the phone (for the state after a cancel).
    wrote: bool,
    brom: Option<BromInfo>,
    da: Option<DaInfo>,
    /// Where EMI settings come from when a DA asks for them (a dead phone in BROM mode).
    dram: Option<DramProvider>,
    /// The map [`Session::partition_table`] read, the one the guard checks against, with
    /// the number of that reading (unique in the process: see [`Reading`]) and, on eMMC,
    /// what it was read from (where the table lives).
    map: Option<(Reading, PartitionMap, Option<TableReading>)>,
}

/// Which reading of which phone's partition table a guarded target was checked against:
/// unique in the process, so a target guarded on one session, or before the table was read
/// again, is not written through another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reading(u64);

impl Reading {
    /// A reading no other has.
    pub(super) fn next() -> Reading {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Reading(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl<T: Transport> std::fmt::Debug for Session<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("port", &self.t.name())
            .field("brom", &self.brom)
            .field("da", &self.da.is_some())
            .finish()
    }
}

impl<T: Transport> Session<T> {
    /// A session over `t` that reports no progress.
    pub fn new(t: T) -> Self {
        Session {
            t,
            progress: Box::new(|_| {}),
            cancel: None,
            wrote: false,
            brom: None,
            da: None,
            dram: None,
            map: None,
        }
    }

    /// Where to take EMI settings if the DA asks for them (MT6572.md §5.5); without a
    /// provider such a DA ends the session with `DramSetupNeeded`. What the provider gives is
    /// checked against what the DA reports before anything is sent ([`super::dram::check`]).
    pub fn with_dram(mut self, provider: DramProvider) -> Self {
        self.dram = Some(provider);
        self
    }

    /// Stops every exchange but the final reboot between two packets once `cancel` is
    /// cancelled, with [`DeviceError::Cancelled`].
    pub fn with_cancel(mut self, cancel: CancelToken) -> Self {
        self.cancel = Some(cancel);
        self
    }

    /// Passes `event` to the progress sink: for the job layer's own events (plan, skipped,
    /// verifying), so that one sink sees them all in order.
    pub fn emit(&mut self, event: &ProgressEvent) {
        (self.progress)(event);
    }

    /// Writes a comment into the transport's transcript, if it keeps one.
    pub fn note(&mut self, text: &str) {
        self.t.note(text);
    }

    /// The transport, mutable (to note in its transcript, or for tests).
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.t
    }

    /// Sends every [`ProgressEvent`] to `sink`.
    pub fn with_progress(mut self, sink: impl FnMut(&ProgressEvent) + Send + 'static) -> Self {
        self.progress = Box::new(sink);
        self
    }

    /// The transport (for the recorder or the scripted fake in tests).
    pub fn transport(&self) -> &T {
        &self.t
    }

    /// Ends the session and hands the transport back.
    pub fn into_transport(self) -> T {
        self.t
    }

    /// What [`Session::identify_brom`] found, once it ran.
    pub fn brom_info(&self) -> Option<&BromInfo> {
        self.brom.as_ref()
    }

    /// What [`Session::boot_da`] found, once it ran.
    pub fn da_info(&self) -> Option<&DaInfo> {
        self.da.as_ref()
    }

    /// What [`Session::partition_table`] read, once it ran.
    pub fn partition_map(&self) -> Option<&PartitionMap> {
        self.map.as_ref().map(|(_, map, _)| map)
    }

    /// The facts the guard checks a range against: the partition map this session read from
    /// the phone (which reading it was, and where the table lives) and the DA's report.
    pub(super) fn guard_facts(&self) -> Result<Facts<'_>, DeviceError> {
        let da = self.need_da()?;
        let (reading, map, table) = self.map.as_ref().ok_or_else(|| {
            sequence(
                "a write or an erase is checked against the partition table read from this \
                 phone, so the table must be read first",
            )
        })?;
        Ok(Facts {
            reading: *reading,
            map,
            table: table.as_ref(),
            da,
        })
    }

    /// Before a guarded write or erase: refuses a target checked against another session's
    /// table (or an earlier reading of this one), then writes the override the guard let
    /// through, if any, into the transcript and the log.
    fn admit(
        &mut self,
        reading: Reading,
        forced: Option<&Forced>,
        action: &str,
    ) -> Result<(), DeviceError> {
        if self.map.as_ref().map(|(r, _, _)| *r) != Some(reading) {
            return Err(sequence(
                "this range was checked against another phone's partition table, or an \
                 earlier reading of this one: guard it again on this session",
            ));
        }
        if let Some(forced) = forced {
            let line = forced.describe(action);
            tracing::warn!(%line, "guard override");
            self.t.note(&line);
        }
        Ok(())
    }

    fn stage(&mut self, stage: Stage) {
        tracing::debug!(?stage, port = self.t.name(), "stage");
        (self.progress)(&ProgressEvent::Stage(stage));
    }

    /// The phone's state if the session stopped now.
    fn state(&self) -> PhoneState {
        match (self.wrote, self.brom.is_some()) {
            (true, _) => PhoneState::Written,
            (false, true) => PhoneState::Unchanged,
            (false, false) => PhoneState::Untouched,
        }
    }

    /// The error for an exchange of `stage` that failed with `e`: a cancel becomes
    /// [`DeviceError::Cancelled`] with the phone's state.
    fn failed(&self, stage: Stage, e: ExchangeError) -> DeviceError {
        match e {
            ExchangeError::Transport(TransportError::Cancelled) => DeviceError::Cancelled {
                stage,
                target: None,
                done: 0,
                total: 0,
                state: self.state(),
            },
            e => DeviceError::Step {
                stage,
                cause: e.into(),
            },
        }
    }

    /// Runs one exchange without storage data; cancellable except for the final reboot.
    fn run<E: Exchange>(&mut self, stage: Stage, mut ex: E) -> Result<E::Output, DeviceError> {
        let mut payload = Payload {
            cancel: self.cancel.as_ref().filter(|_| stage != Stage::Finish),
            ..Payload::default()
        };
        run_exchange_with(&mut self.t, &mut ex, &mut payload).map_err(|e| self.failed(stage, e))
    }

    /// The start handshake (§2), retried on silence and wrong bytes (stale input is thrown
    /// away) until `within` has passed.
    pub fn connect(&mut self, within: Duration) -> Result<(), DeviceError> {
        self.stage(Stage::Handshake);
        let per_try = HANDSHAKE_REPLY_TIMEOUT.as_millis().max(1);
        let attempts = u32::try_from(within.as_millis() / per_try).unwrap_or(u32::MAX);
        self.run(
            Stage::Handshake,
            HostHandshake::with_max_attempts(attempts.max(1)),
        )
    }

    /// The BROM/preloader identification, in mtkclient's order (§3.4): hardware code,
    /// watchdog off, security configuration, bootloader and BROM versions, hardware and
    /// software versions, and the ME ID where the mode gives it.
    pub fn identify_brom(&mut self) -> Result<BromInfo, DeviceError> {
        self.stage(Stage::HwCode);
        let hw = self.run(Stage::HwCode, brom::get_hw_code())?;
        self.stage(Stage::DisableWatchdog);
        self.run(Stage::DisableWatchdog, brom::disable_watchdog())?;
        self.stage(Stage::TargetConfig);
        let target_config = self.run(Stage::TargetConfig, brom::get_target_config())?;
        self.stage(Stage::BlVersion);
        let bl_version = self.run(Stage::BlVersion, brom::get_bl_ver())?;
        self.stage(Stage::BromVersion);
        let brom_version = self.run(Stage::BromVersion, brom::get_brom_ver())?;
        self.stage(Stage::HwSwVersion);
        let ver = self.run(Stage::HwSwVersion, brom::get_hw_sw_ver())?;
        let mode = if brom::is_brom_answer(bl_version) {
            Mode::Brom
        } else {
            Mode::Preloader
        };
        // §3.3.7: mtkclient re-probes with FE; the ME ID comes only from the BROM or a
        // preloader newer than version 2.
        let me_id = if mode == Mode::Brom || bl_version > 2 {
            self.stage(Stage::MeId);
            self.run(Stage::MeId, brom::get_bl_ver())?;
            Some(self.run(Stage::MeId, brom::get_me_id())?.id)
        } else {
            None
        };
        let info = BromInfo {
            mode,
            hw_code: hw.hw_code,
            hw_sub_code: ver.hw_sub_code,
            hw_version: ver.hw_ver,
            sw_version: ver.sw_ver,
            brom_version,
            bl_version,
            target_config,
            me_id,
        };
        self.brom = Some(info.clone());
        Ok(info)
    }

    fn need_brom(&self) -> Result<&BromInfo, DeviceError> {
        self.brom.as_ref().ok_or_else(|| {
            sequence("the download agent can only start after the chip is identified")
        })
    }

    fn need_da(&self) -> Result<&DaInfo, DeviceError> {
        self.da
            .as_ref()
            .ok_or_else(|| sequence("storage commands need the download agent running"))
    }

    /// Starts the download agent (§5): picks the entry for this chip, uploads and starts DA1,
    /// reads its storage report, sends the configuration block, uploads DA2, reads its report,
    /// and checks the USB link.
    pub fn boot_da(&mut self, da_file: &DaFile) -> Result<DaInfo, DeviceError> {
        let brom = self.need_brom()?.clone();
        self.stage(Stage::SelectDa);
        let entry = da_file
            .select(brom.hw_code, brom.hw_version, brom.sw_version)
            .at(Stage::SelectDa)?;
        let da1 = da_file.da1(entry).at(Stage::SelectDa)?;
        let da2 = da_file.da2(entry).at(Stage::SelectDa)?;

        self.stage(Stage::SendDa1);
        self.run(
            Stage::SendDa1,
            brom::send_da(da1.addr, da1.sig_len, da1.bytes),
        )?;
        self.stage(Stage::JumpDa);
        self.run(Stage::JumpDa, brom::jump_da(da1.addr))?;
        self.stage(Stage::DaSync);
        let sync = self.run(Stage::DaSync, host::da_sync())?;
        let da1_kind = sync.report.storage();

        self.stage(Stage::DaConfig);
        let config = DaConfig::mt6572(brom.brom_version, brom.bl_version, da1_kind);
        let dram = match self.run(Stage::DaConfig, da::dram_result(&config))? {
            DramPrompt::Ready => None,
            DramPrompt::EmiNeeded(req) => Some(self.setup_dram(&brom, &sync.report, &req)?),
        };
        self.stage(Stage::SendDa2);
        let report = self.run(Stage::SendDa2, host::upload_da2(da2.addr, da2.bytes))?;
        let (storage, user_size) = report.storage(da1_kind);
        self.stage(Stage::UsbCheck);
        let usb = self.run(Stage::UsbCheck, host::usb_check())?;
        let info = DaInfo {
            storage,
            user_size,
            da1: sync.report,
            da_version: sync.da_version,
            report,
            usb_speed: usb.speed,
            dram,
        };
        self.da = Some(info.clone());
        Ok(info)
    }

    /// The EMI exchange after the DA asked for settings: checks them against its request,
    /// sends them, and notes the source and the RAM result in the transcript.
    fn setup_dram(
        &mut self,
        brom: &BromInfo,
        da1: &da::Da1Report,
        req: &EmiRequest,
    ) -> Result<DramReport, DeviceError> {
        let flash_id = Hex::of(&req.flash_id);
        self.note(&format!(
            "the DA asks for DRAM settings (0xBC3), memory id {flash_id}"
        ));
        let Some(provider) = self.dram.as_mut() else {
            return Err(DeviceError::Step {
                stage: Stage::DaConfig,
                cause: ProtocolError::DramSetupNeeded {
                    code: da::DRAM_EMI_NEEDED,
                    flash_id,
                }
                .into(),
            });
        };
        let ask = DramAsk {
            device_key: early_device_key(brom, da1),
            hw_code: brom.hw_code,
            request: req,
        };
        let settings = provider(&ask)?;
        let hw_code = brom.hw_code;
        if let Err(why) = dram::check(&settings, hw_code, req) {
            return Err(DeviceError::EmiUnfit {
                from: settings.source.to_string(),
                why,
            });
        }
        self.note(&format!("DRAM settings from {}", settings.source));
        let setup = EmiSetup::new(settings.block.version, settings.block.blob.clone())
            .map_err(|e| self.failed(Stage::DaConfig, e.into()))?;
        let outcome = self.run(Stage::DaConfig, setup)?;
        let report = DramReport::new(&settings, req, &outcome);
        self.note(&format!(
            "RAM set up: {} MiB, chip select {}, checksum {}",
            report.ram_size >> 20,
            report.chip_select,
            if report.checksum_matches {
                "matches"
            } else {
                "differs (not fatal, decision E3)"
            }
        ));
        Ok(report)
    }

    /// Ends the DA session and reboots the phone (0x72, then 0xD9 with normal boot).
    pub fn finish(&mut self) -> Result<(), DeviceError> {
        self.need_da()?;
        self.stage(Stage::Finish);
        self.run(Stage::Finish, host::usb_check())?;
        self.run(Stage::Finish, host::finish(host::FINISH_MODE_NORMAL))
    }
}

pub(super) fn sequence(what: &str) -> DeviceError {
    DeviceError::Step {
        stage: Stage::SelectDa,
        cause: crate::protocol::ProtocolError::Sequence(what.into()).into(),
    }
}
