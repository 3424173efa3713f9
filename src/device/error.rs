//! What can go wrong in a device session, with WHICH step failed and what to do next.
//!
//! Every failure on the link is a [`DeviceError::Step`]: the [`Stage`] that was running, and
//! the cause (the phone answered wrongly or reported a status, decoded by `protocol::status`
//! with its MediaTek name; or the port timed out or went away). Errors from lower layers get
//! their stage attached with [`ResultExt::at`], after espflash's `ResultExt::for_command`.
//! The help text combines the stage's advice (what the phone was doing) with the cause's
//! (what the status means), so a tired technician reads one concrete next step.

use std::{fmt, path::PathBuf, time::Duration};

use serde::Serialize;

use crate::{
    error::{Advice, HostError},
    protocol::{BromStatus, DaStatus, ProtocolError, da_file::DaFileError},
    transport::{ExchangeError, TransportError},
};

/// The steps of a session, in the order they run. Names what was going on when something
/// failed, and is reported as it starts through [`super::ProgressEvent::Stage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Waiting for a MediaTek port to appear.
    WaitForPort,
    /// Opening the serial port.
    OpenPort,
    /// The `A0 0A 50 05` start handshake.
    Handshake,
    /// FD GET_HW_CODE.
    HwCode,
    /// D4 WRITE32 of the watchdog register.
    DisableWatchdog,
    /// D8 GET_TARGET_CONFIG.
    TargetConfig,
    /// FE GET_BL_VER (tells BROM from preloader).
    BlVersion,
    /// FF GET_VERSION.
    BromVersion,
    /// FC GET_HW_SW_VER.
    HwSwVersion,
    /// E1 GET_ME_ID.
    MeId,
    /// Choosing the DA file's entry for this chip.
    SelectDa,
    /// D7 SEND_DA of stage 1.
    SendDa1,
    /// D5 JUMP_DA.
    JumpDa,
    /// DA1's sync byte and storage report.
    DaSync,
    /// The DA configuration block and the DRAM result.
    DaConfig,
    /// Upload of DA stage 2 and its storage report.
    SendDa2,
    /// 0x72 USB status check.
    UsbCheck,
    /// Reading the partition table (PMT or MBR/EBR).
    PartitionTable,
    /// 0xD6 readback (NAND: 0xDF).
    Read,
    /// 0x62 write.
    Write,
    /// 0xD4 format (erase).
    Erase,
    /// 0xD9 finish and reboot.
    Finish,
}

impl Stage {
    /// What the step does, in a technician's words ("uploading the download agent (DA1)").
    pub fn describe(self) -> &'static str {
        match self {
            Stage::WaitForPort => "waiting for the phone's USB port",
            Stage::OpenPort => "opening the port",
            Stage::Handshake => "start handshake (A0 0A 50 05)",
            Stage::HwCode => "reading the chip's hardware code (FD)",
            Stage::DisableWatchdog => "disabling the watchdog (D4)",
            Stage::TargetConfig => "reading the security configuration (D8)",
            Stage::BlVersion => "reading the bootloader version (FE)",
            Stage::BromVersion => "reading the BootROM version (FF)",
            Stage::HwSwVersion => "reading the hardware and software versions (FC)",
            Stage::MeId => "reading the ME ID (E1)",
            Stage::SelectDa => "choosing the download agent for this chip",
            Stage::SendDa1 => "uploading download agent stage 1 (D7)",
            Stage::JumpDa => "starting download agent stage 1 (D5)",
            Stage::DaSync => "waiting for the download agent to report the storage",
            Stage::DaConfig => "configuring the download agent (RAM set-up)",
            Stage::SendDa2 => "uploading download agent stage 2",
            Stage::UsbCheck => "checking the USB link (72)",
            Stage::PartitionTable => "reading the partition table",
            Stage::Read => "reading storage (D6; DF on NAND)",
            Stage::Write => "writing storage (62)",
            Stage::Erase => "erasing storage (D4)",
            Stage::Finish => "finishing and rebooting the phone (D9)",
        }
    }

    /// True for the steps spoken to the BootROM or preloader, before a DA runs.
    pub fn is_brom(self) -> bool {
        matches!(
            self,
            Stage::Handshake
                | Stage::HwCode
                | Stage::DisableWatchdog
                | Stage::TargetConfig
                | Stage::BlVersion
                | Stage::BromVersion
                | Stage::HwSwVersion
                | Stage::MeId
                | Stage::SendDa1
                | Stage::JumpDa
        )
    }

    /// The step's own advice, when the cause alone does not tell the technician enough.
    fn advice(self) -> Option<&'static str> {
        Some(match self {
            Stage::Handshake => {
                "the phone's download port lives only a few seconds: unplug it, take the \
                 battery out and back in (or hold power 10 s), then run the command with \
                 `--port auto` and plug in while holding VOL-DOWN"
            }
            Stage::SendDa1 | Stage::JumpDa | Stage::DaSync => {
                "check that --da points at the MTK_AllInOne_DA.bin of an SP Flash Tool that \
                 supports MT6572"
            }
            Stage::DaConfig | Stage::SendDa2 => {
                "the download agent started but could not set up RAM or storage: charge the \
                 battery for 30 minutes and retry; if it repeats, suspect the eMMC or RAM"
            }
            Stage::Read | Stage::Write | Stage::Erase => {
                "the transfer stopped part-way: use a short USB cable straight into the \
                 computer (no hub), make sure the battery is charged, and run it again"
            }
            Stage::Finish => {
                "the work itself completed; if the phone did not reboot, unplug it and hold \
                 power for 10 seconds"
            }
            _ => return None,
        })
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// What a step failed on.
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    /// The phone answered something the protocol does not allow, or reported a status.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The port timed out, went away or failed.
    #[error(transparent)]
    Link(#[from] TransportError),
    /// The image being written could not be read, or ended early.
    #[error("cannot read the image being written: {0}")]
    Image(std::io::Error),
    /// The data read from the phone could not be stored on this computer.
    #[error("cannot store the data read from the phone: {0}")]
    Output(std::io::Error),
    /// A file on this computer.
    #[error(transparent)]
    Host(#[from] HostError),
    /// The download agent file does not fit this phone.
    #[error(transparent)]
    DaFile(#[from] DaFileError),
}

impl From<ExchangeError> for Cause {
    fn from(e: ExchangeError) -> Self {
        match e {
            ExchangeError::Transport(e) => Cause::Link(e),
            ExchangeError::Protocol(e) => Cause::Protocol(e),
            ExchangeError::Source(e) => Cause::Image(e),
            ExchangeError::Sink(e) => Cause::Output(e),
        }
    }
}

/// Any failure of a device session or a device command.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// A step on the link failed.
    #[error("{stage} failed: {cause}")]
    Step {
        /// What was running.
        stage: Stage,
        /// Why it failed.
        cause: Cause,
    },
    /// The port could not be opened or did not handshake; `hints` are the host doctor's
    /// findings that can explain it.
    #[error("cannot talk to {port}: {cause}")]
    Port {
        /// The port path.
        port: String,
        /// Why.
        cause: Cause,
        /// Host problems found (ModemManager, permissions, ...), each a next step.
        hints: Vec<String>,
    },
    /// `--port auto` waited and no MediaTek port appeared.
    #[error("no MediaTek phone appeared on USB within {} s", waited.as_secs())]
    NoPortAppeared {
        /// How long we waited.
        waited: Duration,
        /// Host problems found, each a next step.
        hints: Vec<String>,
    },
    /// No download agent file was given and none is remembered.
    #[error("no download agent (DA) file: none was given with --da and none is remembered")]
    DaMissing,
    /// The download agent file could not be read.
    #[error("cannot read the download agent file {path}: {source}")]
    DaUnreadable {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The download agent file is not usable.
    #[error("{path}: {source}")]
    DaInvalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: DaFileError,
    },
    /// A partition name the phone's table does not have.
    #[error("this phone has no partition named {name}; it has: {}", known.join(", "))]
    UnknownPartition {
        /// The name asked for.
        name: String,
        /// The names the table has.
        known: Vec<String>,
    },
    /// An offset/length outside the partition or region.
    #[error(
        "{target} is {size:#x} bytes long; offset {offset:#x} with length {len:#x} reaches past its end"
    )]
    OutOfRange {
        /// Partition or region.
        target: String,
        /// Requested offset inside it.
        offset: u64,
        /// Requested length.
        len: u64,
        /// Its size.
        size: u64,
    },
    /// A write or erase of a partition that holds the phone's identity or its boot code.
    #[error("refusing to {action} {target}: {loses}")]
    Refused {
        /// "write" or "erase".
        action: &'static str,
        /// The partition or region.
        target: String,
        /// What would be lost.
        loses: &'static str,
        /// What to do instead.
        instead: &'static str,
    },
    /// The image to write is larger than its partition.
    #[error("{file} is {len:#x} bytes but {target} holds only {size:#x}")]
    ImageTooLarge {
        /// The image file.
        file: PathBuf,
        /// Its length.
        len: u64,
        /// The partition.
        target: String,
        /// The partition's size.
        size: u64,
    },
    /// A region this phone's storage does not have (boot1/boot2/user on NAND, nand on eMMC).
    #[error("this phone has no {region} region: its storage is {storage}")]
    NoSuchRegion {
        /// The region asked for.
        region: &'static str,
        /// The storage the phone reported ("eMMC", "NAND", "NOR or none").
        storage: &'static str,
    },
    /// A NAND range that is not whole pages (read, write) or whole blocks (erase): the phone
    /// would refuse it (decision N5), so it is refused before anything is sent.
    #[error("{}", misaligned_message(action, target, *offset, *len, *unit, unit_name))]
    Misaligned {
        /// "read", "write" or "erase".
        action: &'static str,
        /// Partition or region name.
        target: String,
        /// Offset in the nand region.
        offset: u64,
        /// Length asked for.
        len: u64,
        /// Page or block size.
        unit: u64,
        /// "page" or "block".
        unit_name: &'static str,
    },
    /// The phone reports storage mtkbench cannot address this way.
    #[error("{0}")]
    Unsupported(String),
    /// The DA asked for DRAM settings and no source gave usable ones; nothing was sent.
    #[error(
        "the download agent needs this phone's DRAM (EMI) settings (memory id {flash_id}) and \
         none of the sources can be used: {}",
        tried.join("; ")
    )]
    NoDramSettings {
        /// The flash id the DA reported, hex.
        flash_id: String,
        /// Each source and why it was not used.
        tried: Vec<String>,
    },
    /// The DA asked for DRAM settings and those given do not fit this phone; nothing was
    /// sent.
    #[error("the DRAM (EMI) settings from {from} do not fit this phone: {why}")]
    EmiUnfit {
        /// Where they came from.
        from: String,
        /// What does not fit.
        why: String,
    },
    /// The job stopped on request (Ctrl-C, a cancel key), between two packets or between two
    /// polls of the port wait.
    #[error("stopped on request while {stage}{}: {}", cancelled_where(target.as_deref(), *done, *total), state.describe())]
    Cancelled {
        /// What was running.
        stage: Stage,
        /// The partition or region of the transfer that stopped, if one did.
        target: Option<String>,
        /// Bytes of that transfer done.
        done: u64,
        /// Bytes of that transfer in total.
        total: u64,
        /// What the phone holds now.
        state: PhoneState,
    },
}

/// What a phone holds after a job stopped on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneState {
    /// Nothing was sent to the phone (it was not there yet, or not in a session).
    Untouched,
    /// Its storage is as it was: only reads ran.
    Unchanged,
    /// Earlier writes or erases of this job completed; nothing is half-done.
    Written,
    /// The transfer that stopped was a write: the target holds part of the new image.
    PartlyWritten,
    /// The transfer that stopped was an erase: the target is partly erased.
    PartlyErased,
}

impl PhoneState {
    /// The state in a technician's words.
    pub fn describe(self) -> &'static str {
        match self {
            PhoneState::Untouched => "nothing was sent to the phone",
            PhoneState::Unchanged => "the phone's storage is unchanged (only reads ran)",
            PhoneState::Written => {
                "the writes and erases this job finished are on the phone; none is half-done"
            }
            PhoneState::PartlyWritten => {
                "the partition now holds part of the new image and part of the old one"
            }
            PhoneState::PartlyErased => "the partition is now partly erased",
        }
    }
}

fn cancelled_where(target: Option<&str>, done: u64, total: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    match target {
        Some(t) => format!(
            " ({t}: {:.1} of {:.1} MiB done)",
            done as f64 / MIB,
            total as f64 / MIB
        ),
        None => String::new(),
    }
}

fn misaligned_message(
    action: &str,
    target: &str,
    offset: u64,
    len: u64,
    unit: u64,
    unit_name: &str,
) -> String {
    let wrong = if action == "write" {
        format!("does not start on a {unit_name} boundary")
    } else {
        format!("is not whole {unit_name}s")
    };
    format!(
        "NAND is {action} in whole {unit_name}s of {unit:#x} bytes; {target} \
         ({offset:#x}+{len:#x} in the nand region) {wrong}",
        action = match action {
            "erase" => "erased",
            "write" => "written",
            _ => "read",
        }
    )
}

/// The nearest aligned ranges for a [`DeviceError::Misaligned`], as the flags that ask for
/// them.
fn misaligned_help(action: &str, offset: u64, len: u64, unit: u64, unit_name: &str) -> String {
    let unit = unit.max(1);
    let end = offset.saturating_add(len);
    let flags = |start: u64, end: u64| {
        format!(
            "`--region nand --offset {start:#x} --length {:#x}`",
            end - start
        )
    };
    let (out_start, out_end) = (
        offset / unit * unit,
        end.div_ceil(unit).saturating_mul(unit),
    );
    let (in_start, in_end) = (offset.div_ceil(unit) * unit, end / unit * unit);
    if action == "write" {
        return format!(
            "an image must start on a {unit_name} boundary (the phone fills the rest of its last \
             {unit_name} with 0xFF): the nearest are `--region nand --offset {out_start:#x}` and \
             `--offset {in_start:#x}`; make the image start there (read the bytes before it \
             first with `mtkbench readback`)"
        );
    }
    let mut help = format!(
        "the whole {unit_name}s that cover it are {}",
        flags(out_start, out_end)
    );
    if action == "erase" {
        help += &format!(
            " (that erases {:#x} bytes more than asked: back them up first)",
            (out_end - out_start) - len
        );
    }
    if in_end > in_start {
        help += &format!(
            "; the whole {unit_name}s inside it are {}",
            flags(in_start, in_end)
        );
    }
    help
}

impl DeviceError {
    /// The stage a [`DeviceError::Step`] failed at.
    pub fn stage(&self) -> Option<Stage> {
        match self {
            DeviceError::Step { stage, .. } => Some(*stage),
            DeviceError::Port { .. } => Some(Stage::Handshake),
            DeviceError::NoPortAppeared { .. } => Some(Stage::WaitForPort),
            DeviceError::Cancelled { stage, .. } => Some(*stage),
            _ => None,
        }
    }

    /// The name of the error-table entry that explains this failure (`mtkbench::timeout`,
    /// `mtkbench::read_failed`), for failures of the phone, the link or the download agent
    /// file. Refusals of what the technician asked for (a partition name, a range, a
    /// protected partition) and problems with files on this computer have none: their message
    /// says it all. A status the phone reported has its own entry besides: [`Self::status`].
    pub fn entry(&self) -> Option<&'static str> {
        match self {
            DeviceError::Step { stage, cause } => cause_entry(*stage, cause),
            DeviceError::Port { cause, .. } => cause_entry(Stage::Handshake, cause),
            DeviceError::NoPortAppeared { .. } => Some("mtkbench::port_not_found"),
            DeviceError::DaInvalid {
                source: DaFileError::NoEntry { .. },
                ..
            } => Some("mtkbench::da_file_no_entry"),
            DeviceError::DaMissing
            | DeviceError::DaUnreadable { .. }
            | DeviceError::DaInvalid { .. } => Some("mtkbench::da_file_unusable"),
            DeviceError::UnknownPartition { .. }
            | DeviceError::OutOfRange { .. }
            | DeviceError::Refused { .. }
            | DeviceError::ImageTooLarge { .. }
            | DeviceError::NoSuchRegion { .. }
            | DeviceError::Misaligned { .. }
            | DeviceError::Unsupported(_)
            | DeviceError::Cancelled { .. } => None,
            DeviceError::EmiUnfit { .. } => Some("mtkbench::emi_config_rejected"),
            DeviceError::NoDramSettings { .. } => Some("mtkbench::preloader_needed"),
        }
    }

    /// The status code the phone reported, if the failure carries one (for `explain`).
    pub fn status(&self) -> Option<StatusCode> {
        let cause = match self {
            DeviceError::Step { cause, .. } | DeviceError::Port { cause, .. } => cause,
            _ => return None,
        };
        match cause {
            Cause::Protocol(ProtocolError::Brom { status, .. }) => Some(StatusCode::Brom(*status)),
            Cause::Protocol(ProtocolError::Da { status, .. }) => Some(StatusCode::Da(*status)),
            _ => None,
        }
    }
}

/// A status the phone reported, BROM or DA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusCode {
    /// A BootROM/preloader status word.
    Brom(BromStatus),
    /// A download agent result.
    Da(DaStatus),
}

impl StatusCode {
    /// The argument to give `mtkbench explain`: the MediaTek name, else the number.
    pub fn explain_key(self) -> String {
        match self {
            StatusCode::Brom(s) => s.name().map_or(format!("{:#06x}", s.code()), String::from),
            StatusCode::Da(s) => s.name().map_or(s.code().to_string(), String::from),
        }
    }
}

/// The entry for a failure with `cause` during `stage`: the link's own failures by kind,
/// the protocol's by what broke, and a status or an answer out of protocol by the step.
fn cause_entry(stage: Stage, cause: &Cause) -> Option<&'static str> {
    Some(match cause {
        Cause::Link(e) => match e {
            TransportError::Timeout { .. } => "mtkbench::timeout",
            TransportError::Disconnected { .. } | TransportError::Io { .. } => {
                "mtkbench::port_vanished"
            }
            TransportError::Open { kind, .. } => match kind {
                std::io::ErrorKind::PermissionDenied => "mtkbench::port_permission",
                std::io::ErrorKind::NotFound => "mtkbench::port_not_found",
                _ => "mtkbench::port_busy",
            },
            TransportError::Enumerate(_)
            | TransportError::NoPort { .. }
            | TransportError::Cancelled => "mtkbench::port_not_found",
            // Only the scripted fake of the tests goes off script.
            TransportError::OffScript { .. } => return None,
        },
        Cause::Protocol(e) => match e {
            ProtocolError::Handshake { .. } => "mtkbench::handshake_failed",
            ProtocolError::Echo { .. } => "mtkbench::echo_mismatch",
            ProtocolError::Brom { .. } => "mtkbench::status_error",
            ProtocolError::DramSetupNeeded { .. } => "mtkbench::preloader_needed",
            ProtocolError::EmiRejected { .. } | ProtocolError::RamSetupFailed { .. } => {
                "mtkbench::emi_config_rejected"
            }
            // A bug in mtkbench, not a phone's failure: the message says so.
            ProtocolError::Sequence(_) => return None,
            ProtocolError::Da { .. } if stage == Stage::DaConfig => "mtkbench::emi_config_rejected",
            ProtocolError::Da { .. } => step_entry(stage).unwrap_or("mtkbench::status_error"),
            ProtocolError::Unexpected { .. }
            | ProtocolError::Malformed { .. }
            | ProtocolError::Checksum { .. } => {
                step_entry(stage).unwrap_or("mtkbench::protocol_error")
            }
        },
        Cause::DaFile(DaFileError::NoEntry { .. }) => "mtkbench::da_file_no_entry",
        Cause::DaFile(_) => "mtkbench::da_file_unusable",
        Cause::Image(_) | Cause::Output(_) | Cause::Host(_) => return None,
    })
}

/// The entry of a download-agent step whose failure has one of its own.
fn step_entry(stage: Stage) -> Option<&'static str> {
    Some(match stage {
        Stage::DaSync => "mtkbench::da_sync",
        Stage::DaConfig => "mtkbench::dram_info_missing",
        Stage::SendDa2 => "mtkbench::da2_upload_failed",
        Stage::PartitionTable | Stage::Read => "mtkbench::read_failed",
        Stage::Write => "mtkbench::write_failed",
        Stage::Erase => "mtkbench::erase_failed",
        _ => return None,
    })
}

fn cause_help(cause: &Cause) -> String {
    match cause {
        Cause::Protocol(e) => e.help(),
        Cause::Link(e) => e.help(),
        Cause::Image(_) => {
            "check the image file: it may be shorter than announced or unreadable".into()
        }
        Cause::Output(_) => "check the free disk space and the output folder".into(),
        Cause::Host(e) => e.help(),
        Cause::DaFile(e) => e.help(),
    }
}

/// True when the cause lies on this computer, not on the phone or the link.
fn is_local(cause: &Cause) -> bool {
    matches!(
        cause,
        Cause::Image(_) | Cause::Output(_) | Cause::Host(_) | Cause::DaFile(_)
    )
}

fn with_hints(help: String, hints: &[String]) -> String {
    let mut out = help;
    if !hints.is_empty() {
        out.push_str("\n       this computer may be in the way (`mtkbench doctor` explains):");
        for hint in hints {
            out.push_str("\n       - ");
            out.push_str(hint);
        }
    }
    out
}

impl DeviceError {
    /// The cause's help, with the `mtkbench explain` hint for the status the phone reported.
    fn cause_help_explained(&self, cause: &Cause) -> String {
        let help = cause_help(cause);
        match self.status().map(StatusCode::explain_key) {
            Some(key) => format!("{help} (see `mtkbench explain {key}`)"),
            None => help,
        }
    }
}

impl Advice for DeviceError {
    fn help(&self) -> String {
        match self {
            DeviceError::Step { stage, cause } => {
                let help = self.cause_help_explained(cause);
                match stage.advice() {
                    // A local file problem is not the phone's: the stage advice would mislead.
                    Some(advice) if !is_local(cause) => format!("{advice}; {help}"),
                    _ => help,
                }
            }
            DeviceError::Port { cause, hints, .. } => {
                with_hints(self.cause_help_explained(cause), hints)
            }
            DeviceError::NoPortAppeared { hints, .. } => with_hints(
                "with the phone switched off (battery in), hold VOL-DOWN and plug in the USB \
                 cable while the command waits; try another cable and a USB port on the computer \
                 itself, and run `mtkbench doctor`"
                    .into(),
                hints,
            ),
            DeviceError::DaMissing => "pass --da with the MTK_AllInOne_DA.bin from your SP Flash \
                 Tool folder (it is remembered afterwards); for the simulator, \
                 `mtkbench sim --write-da FILE` makes a simulator-only one"
                .into(),
            DeviceError::DaUnreadable { .. } => "check the path given to --da: it should be the \
                 MTK_AllInOne_DA.bin in your SP Flash Tool folder"
                .into(),
            DeviceError::DaInvalid { source, .. } => source.help(),
            DeviceError::UnknownPartition { .. } => {
                "use one of the names listed (any case), or `mtkbench identify` to see the table; \
                 to read raw storage use --region boot1|boot2|user (eMMC) or --region nand"
                    .into()
            }
            DeviceError::OutOfRange { .. } => {
                "check --offset and --length: both are relative to the partition or region".into()
            }
            DeviceError::Refused { instead, .. } => format!(
                "{instead}; only if you are certain, repeat with --force-identity-partition"
            ),
            DeviceError::ImageTooLarge { .. } => {
                "check that the image belongs to this partition and to a ROM for this board".into()
            }
            DeviceError::NoSuchRegion { .. } => {
                "a NAND phone has one region, `--region nand`; an eMMC phone has `boot1`, \
                 `boot2` and `user`; `mtkbench identify` shows the storage and the partitions, \
                 which work by name on both"
                    .into()
            }
            DeviceError::Misaligned {
                action,
                offset,
                len,
                unit,
                unit_name,
                ..
            } => misaligned_help(action, *offset, *len, *unit, unit_name),
            DeviceError::NoDramSettings { .. } => {
                "nothing was sent to the phone. Use DRAM settings built for this board and \
                 its memory chip: the phone's own preloader from its identity backup (taken \
                 while it still worked), the preloader of a ROM whose project is the board's \
                 (`repair --rom`, with `--board PROFILE`), or `--preloader FILE`; `mtkbench \
                 rom inspect` lists the RAM parts each preloader supports. Settings of another \
                 project are used only with --allow-foreign-emi. Then reconnect through the \
                 test point"
                    .into()
            }
            DeviceError::EmiUnfit { .. } => {
                "nothing was sent to the phone. Use DRAM settings built for this board: the \
                 phone's own preloader from its identity backup, the preloader of a ROM whose \
                 project matches the board, or `--preloader FILE` (`mtkbench rom inspect` \
                 lists the RAM parts a preloader supports); then reconnect through the test \
                 point"
                    .into()
            }
            DeviceError::Unsupported(_) => {
                "note the storage type from `mtkbench identify` for the repair record; this \
                 operation is not available for it yet"
                    .into()
            }
            DeviceError::Cancelled { state, .. } => match state {
                PhoneState::Untouched => "start the command again when the phone is ready".into(),
                PhoneState::Unchanged | PhoneState::Written => {
                    "the phone was not rebooted and is stuck mid-transfer: \
                     unplug it (or hold power for 10 s), then start the command again"
                        .into()
                }
                PhoneState::PartlyWritten | PhoneState::PartlyErased => "do not reboot into \
                     Android yet: unplug the phone (or hold power for 10 s), bring it back into \
                     download mode and run the same command to the end, or restore the \
                     partition from a backup of this phone"
                    .into(),
            },
        }
    }

    fn is_bad_input(&self) -> bool {
        match self {
            DeviceError::Step { cause, .. } | DeviceError::Port { cause, .. } => match cause {
                Cause::Host(e) => e.is_bad_input(),
                // A port path that does not exist is a wrong --port.
                Cause::Link(e) => e.is_bad_input(),
                Cause::Image(_) | Cause::DaFile(_) => true,
                Cause::Protocol(_) | Cause::Output(_) => false,
            },
            DeviceError::DaMissing
            | DeviceError::DaUnreadable { .. }
            | DeviceError::DaInvalid { .. }
            | DeviceError::UnknownPartition { .. }
            | DeviceError::OutOfRange { .. }
            | DeviceError::Refused { .. }
            | DeviceError::ImageTooLarge { .. }
            | DeviceError::NoSuchRegion { .. }
            | DeviceError::Misaligned { .. } => true,
            _ => false,
        }
    }

    fn entry(&self) -> Option<&'static str> {
        DeviceError::entry(self)
    }

    fn is_cancelled(&self) -> bool {
        matches!(self, DeviceError::Cancelled { .. })
    }
}

/// Attaches the failing [`Stage`] to lower-layer results.
pub trait ResultExt<T> {
    /// Marks the error as having happened during `stage`.
    fn at(self, stage: Stage) -> Result<T, DeviceError>;
}

impl<T, E: Into<Cause>> ResultExt<T> for Result<T, E> {
    fn at(self, stage: Stage) -> Result<T, DeviceError> {
        self.map_err(|e| DeviceError::Step {
            stage,
            cause: e.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{diag::explain::Table, protocol::status::LATER_DA_CODES};

    const STAGES: [Stage; 22] = [
        Stage::WaitForPort,
        Stage::OpenPort,
        Stage::Handshake,
        Stage::HwCode,
        Stage::DisableWatchdog,
        Stage::TargetConfig,
        Stage::BlVersion,
        Stage::BromVersion,
        Stage::HwSwVersion,
        Stage::MeId,
        Stage::SelectDa,
        Stage::SendDa1,
        Stage::JumpDa,
        Stage::DaSync,
        Stage::DaConfig,
        Stage::SendDa2,
        Stage::UsbCheck,
        Stage::PartitionTable,
        Stage::Read,
        Stage::Write,
        Stage::Erase,
        Stage::Finish,
    ];

    /// One cause of every kind, paired with whether the failure is the phone's, the link's
    /// or the DA file's (and so must name an entry).
    fn causes() -> Vec<(Cause, bool)> {
        use std::io::ErrorKind;
        let port = || "/dev/ttyACM0".to_string();
        let open = |kind| TransportError::Open {
            port: port(),
            kind,
            reason: "x".into(),
        };
        let link = [
            TransportError::Timeout {
                step: None,
                wanted: 4,
                got: 0,
                waited: Duration::from_secs(1),
            },
            TransportError::Disconnected { port: port() },
            open(ErrorKind::PermissionDenied),
            open(ErrorKind::NotFound),
            open(ErrorKind::ResourceBusy),
            TransportError::Io {
                port: port(),
                action: "reading from",
                source: std::io::Error::other("x"),
            },
            TransportError::Enumerate("x".into()),
            TransportError::NoPort {
                waited: Duration::from_secs(1),
            },
            TransportError::Cancelled,
        ];
        let hex = || crate::protocol::Hex::of(&[0x5F]);
        let protocol = [
            ProtocolError::Handshake {
                expected: 0x5F,
                got: 0,
                attempts: 3,
            },
            ProtocolError::Echo {
                what: "x",
                sent: hex(),
                got: hex(),
            },
            ProtocolError::Unexpected {
                what: "x",
                expected: hex(),
                got: hex(),
            },
            ProtocolError::Brom {
                what: "x",
                status: BromStatus::SlaRequired,
            },
            ProtocolError::Da {
                what: "x",
                status: DaStatus::Timeout,
            },
            ProtocolError::Malformed {
                what: "x",
                detail: "x".into(),
            },
            ProtocolError::Checksum {
                what: "x",
                expected: 1,
                got: 2,
            },
            ProtocolError::DramSetupNeeded {
                code: 1,
                flash_id: crate::protocol::Hex(vec![0x15]),
            },
            ProtocolError::EmiRejected { version: 11 },
            ProtocolError::RamSetupFailed {
                code: 0xBB9,
                version: 11,
            },
        ];
        let mut out: Vec<(Cause, bool)> = Vec::new();
        out.extend(link.into_iter().map(|e| (Cause::Link(e), true)));
        out.extend(protocol.into_iter().map(|e| (Cause::Protocol(e), true)));
        out.push((Cause::DaFile(DaFileError::V6), true));
        out.push((
            Cause::DaFile(DaFileError::NoEntry {
                hw_code: 0x6580,
                hw_ver: 0,
                sw_ver: 0,
                available: "0x6572".into(),
            }),
            true,
        ));
        // A bug, a test fake, and files on this computer: their messages say it all.
        out.push((Cause::Protocol(ProtocolError::Sequence("x".into())), false));
        out.push((
            Cause::Link(TransportError::OffScript {
                line: 1,
                detail: "x".into(),
            }),
            false,
        ));
        out.push((Cause::Image(std::io::Error::other("x")), false));
        out.push((Cause::Output(std::io::Error::other("x")), false));
        out.push((Cause::Host(HostError::Usage("x".into())), false));
        out
    }

    /// Every variant, every cause at every stage, with whether it must name an entry.
    fn every_error() -> Vec<(DeviceError, bool)> {
        let mut out = Vec::new();
        for stage in STAGES {
            for (cause, named) in causes() {
                out.push((DeviceError::Step { stage, cause }, named));
            }
        }
        for (cause, named) in causes() {
            let port = "/dev/ttyACM0".into();
            out.push((
                DeviceError::Port {
                    port,
                    cause,
                    hints: vec![],
                },
                named,
            ));
        }
        let path = || PathBuf::from("MTK_AllInOne_DA.bin");
        out.extend([
            (
                DeviceError::NoPortAppeared {
                    waited: Duration::from_secs(60),
                    hints: vec![],
                },
                true,
            ),
            (DeviceError::DaMissing, true),
            (
                DeviceError::DaUnreadable {
                    path: path(),
                    source: std::io::Error::other("x"),
                },
                true,
            ),
            (
                DeviceError::DaInvalid {
                    path: path(),
                    source: DaFileError::V6,
                },
                true,
            ),
        ]);
        // What the technician asked for, refused: the message is the whole story.
        out.extend(
            [
                DeviceError::UnknownPartition {
                    name: "X".into(),
                    known: vec![],
                },
                DeviceError::OutOfRange {
                    target: "X".into(),
                    offset: 0,
                    len: 1,
                    size: 0,
                },
                DeviceError::Refused {
                    action: "write",
                    target: "NVRAM".into(),
                    loses: "x",
                    instead: "x",
                },
                DeviceError::ImageTooLarge {
                    file: path(),
                    len: 2,
                    target: "X".into(),
                    size: 1,
                },
                DeviceError::Unsupported("x".into()),
            ]
            .map(|e| (e, false)),
        );
        out
    }

    #[test]
    fn every_device_error_prints_the_entry_that_explains_it() {
        let table = Table::builtin().unwrap();
        for (e, named) in every_error() {
            let debug = format!("{e:?}");
            let entry = e.entry();
            let printed = crate::Error::from(e).to_string();
            match entry {
                Some(name) => {
                    assert!(printed.ends_with(&format!(" ({name})")), "{printed}");
                    assert!(table.get(name).is_some(), "no entry {name} for {debug}");
                }
                None => {
                    assert!(!named, "{debug} names no entry");
                    assert!(!printed.contains("mtkbench::"), "{printed}");
                }
            }
        }
    }

    /// The `X` of the last "`mtkbench explain X`" in a help text.
    fn explain_hint(help: &str) -> Option<&str> {
        let (_, after) = help.rsplit_once("`mtkbench explain ")?;
        after.split_once('`').map(|(key, _)| key)
    }

    #[test]
    fn every_status_a_phone_reports_is_explained_by_the_name_printed() {
        let table = Table::builtin().unwrap();
        let brom = BromStatus::all().iter().map(|&status| ProtocolError::Brom {
            what: "SEND_DA",
            status,
        });
        let later = LATER_DA_CODES
            .iter()
            .flat_map(|c| [c.mtkclient, c.sp_flash_tool_v3_1113])
            .flatten()
            .map(DaStatus::from_code);
        let da = DaStatus::all()
            .iter()
            .copied()
            .chain(later)
            .map(|status| ProtocolError::Da {
                what: "readback",
                status,
            });
        let mut seen = 0;
        for error in brom.chain(da) {
            let stages = [Stage::SendDa1, Stage::DaConfig, Stage::Read, Stage::Finish];
            let mut errors: Vec<DeviceError> =
                stages.map(|stage| step(stage, error.clone())).into();
            errors.push(DeviceError::Port {
                port: "/dev/ttyACM0".into(),
                cause: error.clone().into(),
                hints: vec!["stop ModemManager".into()],
            });
            for e in errors {
                let status = e.status().unwrap();
                let help = e.help();
                let key = explain_hint(&help).unwrap_or_else(|| panic!("no hint: {help}"));
                assert_eq!(key, status.explain_key());
                let found = table
                    .lookup(key)
                    .unwrap_or_else(|_| panic!("{key}: {help}"));
                assert!(!found.is_empty());
                if let Some(name) = match status {
                    StatusCode::Brom(s) => s.name(),
                    StatusCode::Da(s) => s.name(),
                } {
                    assert!(
                        found
                            .iter()
                            .any(|m| m.entry.name == name
                                || m.entry.aliases.iter().any(|a| a == name)),
                        "{key} explains as {:?}",
                        found.iter().map(|m| &m.entry.name).collect::<Vec<_>>()
                    );
                }
                seen += 1;
            }
        }
        assert!(seen > 5 * 80, "{seen}");
    }

    fn step(stage: Stage, cause: impl Into<Cause>) -> DeviceError {
        DeviceError::Step {
            stage,
            cause: cause.into(),
        }
    }

    #[test]
    fn a_da_status_names_the_step_and_the_explain_key() {
        let e = step(
            Stage::Read,
            ProtocolError::Da {
                what: "readback",
                status: DaStatus::from_code(3008),
            },
        );
        assert!(
            e.to_string()
                .starts_with("reading storage (D6; DF on NAND) failed"),
            "{e}"
        );
        let help = e.help();
        assert!(help.contains("short USB cable"), "{help}");
        assert!(
            help.contains("`mtkbench explain S_DA_DEVICE_NOT_FOUND`"),
            "{help}"
        );
        assert!(!e.is_bad_input());
    }

    #[test]
    fn an_unnamed_brom_status_is_explained_by_number() {
        let e = step(
            Stage::SendDa1,
            ProtocolError::Brom {
                what: "SEND_DA",
                status: BromStatus::from_code(0x1234),
            },
        );
        assert_eq!(
            e.status().map(StatusCode::explain_key).as_deref(),
            Some("0x1234")
        );
    }

    #[test]
    fn a_local_file_problem_gets_no_phone_advice() {
        let e = step(
            Stage::Read,
            Cause::Output(std::io::Error::other("disk full")),
        );
        let help = e.help();
        assert!(help.contains("free disk space"), "{help}");
        assert!(!help.contains("USB cable"), "{help}");
    }

    #[test]
    fn port_failures_carry_the_host_checks() {
        let e = DeviceError::Port {
            port: "/dev/ttyACM0".into(),
            cause: Cause::Link(TransportError::Disconnected {
                port: "/dev/ttyACM0".into(),
            }),
            hints: vec!["stop ModemManager".into()],
        };
        assert_eq!(e.stage(), Some(Stage::Handshake));
        let help = e.help();
        assert!(help.contains("\n       - stop ModemManager"), "{help}");
        assert!(help.contains("`mtkbench doctor` explains"), "{help}");
    }

    #[test]
    fn a_misaligned_nand_range_names_the_nearest_aligned_ones() {
        let e = DeviceError::Misaligned {
            action: "erase",
            target: "LOGO".into(),
            offset: 0x2_0800,
            len: 0x4_0000,
            unit: 0x2_0000,
            unit_name: "block",
        };
        assert!(e.is_bad_input());
        assert!(
            e.to_string().contains("erased in whole blocks of 0x20000"),
            "{e}"
        );
        let help = e.help();
        assert!(
            help.contains("cover it are `--region nand --offset 0x20000 --length 0x60000`"),
            "{help}"
        );
        assert!(help.contains("0x20000 bytes more than asked"), "{help}");
        assert!(
            help.contains("inside it are `--region nand --offset 0x40000 --length 0x20000`"),
            "{help}"
        );
        // Less than one block: nothing whole inside it.
        let small = misaligned_help("read", 0x100, 0x10, 0x800, "page");
        assert_eq!(
            small,
            "the whole pages that cover it are `--region nand --offset 0x0 --length 0x800`"
        );
        let write = misaligned_help("write", 0x900, 3, 0x800, "page");
        assert!(
            write.contains("--offset 0x800` and `--offset 0x1000`"),
            "{write}"
        );
    }

    #[test]
    fn refusals_and_bad_names_are_bad_input() {
        let e = DeviceError::UnknownPartition {
            name: "X".into(),
            known: vec!["A".into()],
        };
        assert!(e.is_bad_input());
        assert!(e.stage().is_none());
        assert!(
            !DeviceError::NoPortAppeared {
                waited: Duration::from_secs(60),
                hints: vec![],
            }
            .is_bad_input()
        );
    }
}
