//! What can go wrong in the byte exchange itself, independent of the port: the phone answered
//! something other than the protocol allows, or reported a failure status.
//!
//! Timeouts and disconnects are not here: they belong to `transport::TransportError`.

use std::fmt;

use super::status::{BromStatus, DaStatus};
use crate::error::Advice;

/// Bytes shown as spaced hex ("5F F5 AF") in messages.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Hex(pub Vec<u8>);

impl Hex {
    /// Wraps a copy of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Hex(bytes.to_vec())
    }
}

impl fmt::Display for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 24;
        if self.0.is_empty() {
            return f.write_str("nothing");
        }
        for (i, b) in self.0.iter().take(SHOWN).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{b:02X}")?;
        }
        if self.0.len() > SHOWN {
            write!(f, " ... ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hex[{self}]")
    }
}

/// A protocol-level failure. `what` fields name the step ("GET_HW_CODE echo", "DA sync").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The start handshake kept failing.
    #[error(
        "the phone did not complete the start handshake: it answered {got:#04X} where \
         {expected:#04X} was due ({attempts} attempts)"
    )]
    Handshake {
        /// The reply byte we waited for.
        expected: u8,
        /// What came instead.
        got: u8,
        /// How many times the handshake was started.
        attempts: u32,
    },
    /// The phone did not echo what we sent.
    #[error("{what}: the phone echoed {got} instead of {sent}")]
    Echo {
        /// The step.
        what: &'static str,
        /// What we sent.
        sent: Hex,
        /// What came back.
        got: Hex,
    },
    /// The phone sent bytes the protocol does not allow at this point.
    #[error("{what}: expected {expected} from the phone, got {got}")]
    Unexpected {
        /// The step.
        what: &'static str,
        /// What the protocol requires.
        expected: Hex,
        /// What came.
        got: Hex,
    },
    /// The BootROM or preloader reported a failure.
    #[error("{what}: the phone reported {status}")]
    Brom {
        /// The step.
        what: &'static str,
        /// The status word.
        status: BromStatus,
    },
    /// The download agent reported a failure.
    #[error("{what}: the download agent reported {status}")]
    Da {
        /// The step.
        what: &'static str,
        /// The result code.
        status: DaStatus,
    },
    /// A message whose content makes no sense.
    #[error("{what}: {detail}")]
    Malformed {
        /// The message.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The phone computed a different checksum over data we sent.
    #[error(
        "{what}: the phone's checksum is {got:#06X} but the data we sent sums to {expected:#06X}, \
         so the transfer was corrupted"
    )]
    Checksum {
        /// The transfer.
        what: &'static str,
        /// Our checksum.
        expected: u16,
        /// The phone's.
        got: u16,
    },
    /// The DA asked for DRAM (EMI) settings and none were given (decision D4).
    #[error(
        "the download agent needs this phone's DRAM settings (code {code:#X}, memory id \
         {flash_id}) and none were given, so its RAM cannot be set up from BROM mode"
    )]
    DramSetupNeeded {
        /// The DRAM result the DA sent.
        code: u32,
        /// The flash id the DA reported (empty when it was not read).
        flash_id: Hex,
    },
    /// The DA answered `A5` to ENABLE_DRAM: it does not take this EMI version.
    #[error(
        "the download agent refused EMI settings of version {version} (ENABLE_DRAM answered A5)"
    )]
    EmiRejected {
        /// The EMI version sent.
        version: u32,
    },
    /// The DA tried the EMI settings and RAM did not come up.
    #[error(
        "the download agent could not set up RAM with the EMI settings given (version \
         {version}, result {code:#X})"
    )]
    RamSetupFailed {
        /// `m_ext_ram_ret`.
        code: u32,
        /// The EMI version sent.
        version: u32,
    },
    /// A step machine was used out of order (a bug in the caller, not in the phone).
    #[error("internal protocol sequencing error: {0}")]
    Sequence(String),
}

impl Advice for ProtocolError {
    fn help(&self) -> String {
        const RECONNECT: &str = "unplug the phone, take the battery out (or hold power for 10 s), \
             put it back and connect again; if it keeps happening, run `mtkbench doctor` \
             (ModemManager or another program may be talking to the port)";
        match self {
            ProtocolError::Handshake { .. } => format!(
                "the port is not talking like a MediaTek BROM/preloader: {RECONNECT}. With the \
                 phone off, hold VOL-DOWN (or VOL-UP on some boards) while plugging in USB"
            ),
            ProtocolError::Echo { .. } | ProtocolError::Unexpected { .. } => {
                format!("the link is out of step: {RECONNECT}")
            }
            ProtocolError::Brom { status, .. } => match status {
                BromStatus::SlaRequired
                | BromStatus::DaSigLenZeroDaaActive
                | BromStatus::DaImageSigVerifyFail
                | BromStatus::DaaSecurityError
                | BromStatus::DaaSigVerifyFailed => {
                    "this phone has secure boot enabled and only accepts a DA signed for it; \
                     mtkbench cannot use it in this mode. Try preloader mode (plug in without \
                     holding any key), and note the status for the repair record"
                        .into()
                }
                _ => format!(
                    "note the status number, run `mtkbench explain {:#06x}`, then {RECONNECT}",
                    status.code()
                ),
            },
            ProtocolError::Da { status, .. } => format!(
                "note the number ({}), run `mtkbench explain {}`; reconnect and retry once. If \
                 it repeats on RAM or storage errors, the board may have a hardware fault",
                status.code(),
                status.code()
            ),
            ProtocolError::Malformed { .. } => format!(
                "the phone sent something mtkbench cannot read; record the session with \
                 --record FILE and send it to support, then {RECONNECT}"
            ),
            ProtocolError::Checksum { .. } => {
                format!("the USB link corrupted data: try another cable and port, then {RECONNECT}")
            }
            ProtocolError::DramSetupNeeded { .. } => {
                "connect in preloader mode if the phone still has one (phone off, plug in USB \
                 without holding any key). A dead phone needs DRAM settings from a preloader \
                 built for its board: its identity backup, a ROM for its board, or \
                 `--preloader FILE`"
                    .into()
            }
            ProtocolError::EmiRejected { .. } => {
                "the settings come from a preloader of another chip generation: use the \
                 preloader of a ROM built for this board (MT6572 preloaders carry \
                 MTK_BLOADER_INFO_v11), then reconnect through the test point"
                    .into()
            }
            ProtocolError::RamSetupFailed { .. } => {
                "these DRAM settings do not fit this phone's memory chip: try the phone's own \
                 preloader from its identity backup, or the preloader of another ROM for this \
                 board (`mtkbench rom inspect` lists the RAM parts each supports); then \
                 reconnect through the test point"
                    .into()
            }
            ProtocolError::Sequence(_) => {
                "this is a bug in mtkbench; please report it with the log file".into()
            }
        }
    }

    fn is_bad_input(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_spaced_and_elided() {
        assert_eq!(Hex::of(&[0x5F, 0xF5]).to_string(), "5F F5");
        assert_eq!(Hex::of(&[]).to_string(), "nothing");
        let long = Hex(vec![0; 30]).to_string();
        assert!(long.ends_with("(30 bytes)"), "{long}");
    }

    #[test]
    fn secure_boot_statuses_get_secure_boot_advice() {
        let e = ProtocolError::Brom {
            what: "SEND_DA",
            status: BromStatus::SlaRequired,
        };
        assert!(e.help().contains("secure boot"));
        assert!(e.to_string().contains("SLA_ERROR"));
        assert!(!e.is_bad_input());
    }
}
