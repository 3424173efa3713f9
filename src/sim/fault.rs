//! Fault injection: what `--fault` asks the simulated phone to do wrong, parsed into a
//! [`FaultPlan`], and the running counters ([`Faults`]) the device core consults.
//!
//! Every fault is applied inside the pure core ([`crate::sim::device`]), so each one is unit
//! tested without a terminal; the PTY loop only carries out what the core returns (wait, drop
//! the link). This module knows the command table of `protocol` for names, and nothing of
//! storage or I/O.
//!
//! # Grammar (one `--fault` per fault, repeatable)
//!
//! See [`HELP`]; the same text is shown by `mtkbench sim --help`. Byte counts are decimal or
//! `0x` hex. One-shot faults (disconnect, corrupt, garbage) fire once per simulator run, counted
//! from its start across reconnections, so a host's retry after the fault meets a healthy
//! phone. `flaky-read` never heals: every second read of its byte comes back flipped, so two
//! reads of the same range always differ (an unstable link or a failing chip).

use std::time::Duration;

use crate::{
    error::Advice,
    protocol::{brom::BromCommand, da::DaRequest},
    sim::layout::Layout,
};

/// The `--fault` grammar, for `--help` and error messages.
pub const HELP: &str = "\
disconnect-after=BYTES  drop the link once the phone has sent BYTES bytes (the reply is cut \
there; the phone then behaves as unplugged and plugged in again)
disconnect-after-received=BYTES  drop the link once the phone has received BYTES bytes from \
the host (what came before is handled, the rest is lost), e.g. in the middle of a write
corrupt-checksum=N      send the N-th checksum (SEND_DA checksum, readback packet checksums) \
wrong, once
nack=CMD                refuse every CMD with the phone's error answer; CMD is one of SEND_DA, \
JUMP_DA, WRITE32 (BROM: error status) or USB_CHECK_STATUS, SWITCH_PART, READBACK, \
NAND_READBACK, WRITE, FORMAT, READ_PMT, FINISH (DA: A5, with S_DA_TIMEOUT where the refusal \
carries a status), by name or as a hex byte such as 0xD6 (a byte both stages use, such as \
0xD4, refuses both)
stall-ms=MS             wait MS milliseconds before every reply after the handshake
garbage-after=BYTES     insert 16 garbage bytes once the phone has sent BYTES bytes, once
flaky-read=PART|OFFSET  every second readback of one byte of the eMMC user area sends it with \
its bits flipped (the first byte of partition PART, e.g. NVRAM, or the byte at OFFSET), so \
two reads of the same range differ, as over a bad cable or a failing chip; for the whole run";

/// The bytes `garbage-after` inserts: no valid reply starts with them.
pub const GARBAGE: [u8; 16] = [
    0xEE, 0x00, 0xFF, 0x13, 0x37, 0x00, 0xDE, 0xAD, 0xBE, 0xEF, 0x7F, 0x80, 0x00, 0xEE, 0xFF, 0x00,
];

/// Which protocol a refused command belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// BootROM or preloader commands, before JUMP_DA.
    Brom,
    /// Download agent commands, after JUMP_DA.
    Da,
}

/// A command to refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRef {
    /// The command byte.
    pub byte: u8,
    /// The protocol it was named for; `None` for a bare hex byte, which matches in both.
    pub phase: Option<Phase>,
}

/// One fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `disconnect-after=BYTES`.
    DisconnectAfter(u64),
    /// `disconnect-after-received=BYTES`.
    DisconnectAfterReceived(u64),
    /// `corrupt-checksum=N` (1-based).
    CorruptChecksum(u64),
    /// `nack=CMD`.
    Nack(CommandRef),
    /// `stall-ms=MS`.
    Stall(Duration),
    /// `garbage-after=BYTES`.
    GarbageAfter(u64),
    /// `flaky-read=PART|OFFSET`.
    FlakyRead(Spot),
}

/// The byte a `flaky-read` fault flips: by offset in the eMMC user area, or the first byte
/// of a partition of the simulated phone's layout ([`FaultPlan::locate`] turns the name into
/// its offset; a name not located is never hit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spot {
    /// A byte offset in the user area.
    Offset(u64),
    /// The first byte of the partition of that name (any case).
    Partition(String),
}

/// Why a `--fault` value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// Not `NAME=VALUE` with a known name.
    #[error("unknown fault {spec:?}")]
    Unknown {
        /// The value given.
        spec: String,
    },
    /// A number that does not parse or is out of range.
    #[error("fault {spec:?}: {reason}")]
    BadValue {
        /// The value given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl Advice for FaultError {
    fn help(&self) -> String {
        format!("write each fault as one of:\n{HELP}")
    }

    fn is_bad_input(&self) -> bool {
        true
    }
}

/// Every fault asked for, in command-line order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// The faults.
    pub faults: Vec<Fault>,
}

/// A decimal or `0x` hex number.
fn number(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// The BROM commands `nack=` can refuse: those with a failure status. Other BROM commands
/// have none on the wire, so refusing them could only be silence, which `stall-ms` and
/// `disconnect-after` already cover. Every DA command ([`DaRequest::COMMANDS`]) can be
/// refused.
pub const NACKABLE_BROM: [(&str, u8); 3] = [
    (BromCommand::SendDa.name(), BromCommand::SendDa.byte()),
    (BromCommand::JumpDa.name(), BromCommand::JumpDa.byte()),
    (BromCommand::Write32.name(), BromCommand::Write32.byte()),
];

/// The command called `name` (any case) or given as a hex byte (`0xD6`, `D6`).
fn command(name: &str) -> Option<CommandRef> {
    let nackable = || {
        let brom = NACKABLE_BROM.iter().map(|&(n, b)| (n, b, Phase::Brom));
        brom.chain(DaRequest::COMMANDS.iter().map(|&(b, n)| (n, b, Phase::Da)))
    };
    if let Some((_, byte, phase)) = nackable().find(|(n, _, _)| n.eq_ignore_ascii_case(name)) {
        return Some(CommandRef {
            byte,
            phase: Some(phase),
        });
    }
    let hex = name
        .strip_prefix("0x")
        .or_else(|| name.strip_prefix("0X"))
        .unwrap_or(name);
    let byte = (hex.len() <= 2)
        .then(|| u8::from_str_radix(hex, 16).ok())
        .flatten()?;
    nackable()
        .any(|(_, b, _)| b == byte)
        .then_some(CommandRef { byte, phase: None })
}

impl FaultPlan {
    /// Parses every `--fault` value.
    pub fn parse<S: AsRef<str>>(specs: &[S]) -> Result<FaultPlan, FaultError> {
        let faults = specs
            .iter()
            .map(|s| Self::parse_one(s.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(FaultPlan { faults })
    }

    /// Parses one `--fault` value.
    pub fn parse_one(spec: &str) -> Result<Fault, FaultError> {
        let unknown = || FaultError::Unknown { spec: spec.into() };
        let bad = |reason: &str| FaultError::BadValue {
            spec: spec.into(),
            reason: reason.into(),
        };
        let (name, value) = spec.trim().split_once('=').ok_or_else(unknown)?;
        let (name, value) = (name.trim(), value.trim());
        let count = || number(value).ok_or_else(|| bad("expected a number of bytes"));
        match name {
            "disconnect-after" => Ok(Fault::DisconnectAfter(count()?)),
            "disconnect-after-received" => Ok(Fault::DisconnectAfterReceived(count()?)),
            "garbage-after" => Ok(Fault::GarbageAfter(count()?)),
            "corrupt-checksum" => match number(value) {
                Some(n) if n > 0 => Ok(Fault::CorruptChecksum(n)),
                _ => Err(bad(
                    "expected N = 1 for the first checksum, 2 for the second, ...",
                )),
            },
            "stall-ms" => match number(value) {
                Some(ms) if ms <= 600_000 => Ok(Fault::Stall(Duration::from_millis(ms))),
                _ => Err(bad("expected milliseconds, at most 600000")),
            },
            "flaky-read" => match number(value) {
                Some(offset) => Ok(Fault::FlakyRead(Spot::Offset(offset))),
                None if !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic()) => Ok(
                    Fault::FlakyRead(Spot::Partition(value.to_ascii_uppercase())),
                ),
                None => Err(bad(
                    "expected a partition name such as NVRAM or a byte offset such as 0x380000",
                )),
            },
            "nack" => command(value).map(Fault::Nack).ok_or_else(|| {
                bad(
                    "expected one of SEND_DA, JUMP_DA, WRITE32, USB_CHECK_STATUS, SWITCH_PART, \
                     READBACK, NAND_READBACK, WRITE, FORMAT, READ_PMT, FINISH or its hex byte \
                     such as 0xD6",
                )
            }),
            _ => Err(unknown()),
        }
    }

    /// The plan with every `flaky-read` partition name turned into the offset of that
    /// partition in `layout`; a name the phone does not have is refused.
    pub fn locate(&self, layout: &Layout) -> Result<FaultPlan, FaultError> {
        let faults = self
            .faults
            .iter()
            .map(|f| match f {
                Fault::FlakyRead(Spot::Partition(name)) => match layout.part(name) {
                    Some(p) => Ok(Fault::FlakyRead(Spot::Offset(p.offset))),
                    None => Err(FaultError::BadValue {
                        spec: format!("flaky-read={name}"),
                        reason: format!(
                            "this phone has no partition {name}; it has {}",
                            layout
                                .parts
                                .iter()
                                .map(|p| p.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }),
                },
                f => Ok(f.clone()),
            })
            .collect::<Result<_, _>>()?;
        Ok(FaultPlan { faults })
    }
}

/// What the core does with its output after the faults had their say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shaped {
    /// The bytes to send.
    pub bytes: Vec<u8>,
    /// True when the link drops after `bytes`.
    pub disconnect: bool,
}

/// The running state of a [`FaultPlan`].
#[derive(Debug, Clone, Default)]
pub struct Faults {
    plan: FaultPlan,
    sent: u64,
    received: u64,
    checksums: u64,
    disconnected: bool,
    cut_on_receive: bool,
    garbage_sent: bool,
    corrupted: bool,
    /// Reads so far of each `flaky-read` byte, in plan order.
    flaky_reads: Vec<u64>,
}

impl Faults {
    /// Starts counting for `plan`.
    pub fn new(plan: FaultPlan) -> Faults {
        Faults {
            flaky_reads: vec![0; plan.faults.len()],
            plan,
            ..Faults::default()
        }
    }

    /// Applies `flaky-read` to a readback of the user area: `data` was read from offset
    /// `addr`; every second read of a flaky byte it holds goes out with its bits flipped.
    /// True when a byte was flipped (a checksum worked out before is then stale).
    pub fn flaky_read(&mut self, addr: u64, data: &mut [u8]) -> bool {
        let end = addr.saturating_add(data.len() as u64);
        let mut flipped = false;
        for (f, reads) in self.plan.faults.iter().zip(&mut self.flaky_reads) {
            if let Fault::FlakyRead(Spot::Offset(at)) = *f
                && (addr..end).contains(&at)
            {
                *reads += 1;
                if *reads % 2 == 0 {
                    data[(at - addr) as usize] ^= 0xFF;
                    flipped = true;
                }
            }
        }
        flipped
    }

    /// Bytes the phone has sent so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Bytes the phone has received so far (counted up to a `disconnect-after-received` cut).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Counts `len` bytes arriving from the host. Returns how many of them the phone takes,
    /// and true when the link drops after those (`disconnect-after-received`, once per run).
    pub fn receive(&mut self, len: usize) -> (usize, bool) {
        let start = self.received;
        let cut = (!self.cut_on_receive)
            .then(|| {
                self.plan.faults.iter().find_map(|f| match f {
                    Fault::DisconnectAfterReceived(n) => Some((*n).max(start)),
                    _ => None,
                })
            })
            .flatten()
            .filter(|&at| at <= start + len as u64);
        let take = match cut {
            Some(at) => {
                self.cut_on_receive = true;
                (at - start) as usize
            }
            None => len,
        };
        self.received += take as u64;
        (take, cut.is_some())
    }

    /// True when `byte` must be refused in `phase`.
    pub fn nacks(&self, phase: Phase, byte: u8) -> bool {
        self.plan.faults.iter().any(
            |f| matches!(f, Fault::Nack(c) if c.byte == byte && c.phase.is_none_or(|p| p == phase)),
        )
    }

    /// How long to wait before a reply after the handshake.
    pub fn stall(&self) -> Duration {
        self.plan
            .faults
            .iter()
            .filter_map(|f| match f {
                Fault::Stall(d) => Some(*d),
                _ => None,
            })
            .max()
            .unwrap_or_default()
    }

    /// Counts a checksum the phone is about to send; true when `corrupt-checksum` names this
    /// one (the caller then sends it wrong).
    pub fn corrupt_next_checksum(&mut self) -> bool {
        self.checksums += 1;
        let hit = self
            .plan
            .faults
            .iter()
            .any(|f| matches!(f, Fault::CorruptChecksum(n) if *n == self.checksums));
        if hit && !self.corrupted {
            self.corrupted = true;
            true
        } else {
            false
        }
    }

    /// Applies the byte-count faults to output the phone is about to send.
    pub fn shape(&mut self, mut out: Vec<u8>) -> Shaped {
        let start = self.sent;
        let end = start + out.len() as u64;
        let mut disconnect = false;
        if !self.disconnected {
            let cut = self.plan.faults.iter().find_map(|f| match f {
                Fault::DisconnectAfter(n) if *n >= start && *n <= end => Some(*n),
                Fault::DisconnectAfter(n) if *n < start => Some(start),
                _ => None,
            });
            if let Some(at) = cut {
                out.truncate((at - start) as usize);
                self.disconnected = true;
                disconnect = true;
            }
        }
        let end = start + out.len() as u64;
        if !self.garbage_sent {
            let at = self.plan.faults.iter().find_map(|f| match f {
                Fault::GarbageAfter(n) if *n <= end => Some((*n).max(start)),
                _ => None,
            });
            // Garbage lands at its byte count once the output reaches it (at a disconnect,
            // only if the cut comes after it).
            if let Some(at) = at.filter(|&a| a < end || (a == end && !disconnect)) {
                let split = (at - start) as usize;
                let tail = out.split_off(split);
                out.extend_from_slice(&GARBAGE);
                out.extend_from_slice(&tail);
                self.garbage_sent = true;
            }
        }
        self.sent += out.len() as u64;
        Shaped {
            bytes: out,
            disconnect,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(specs: &[&str]) -> Faults {
        Faults::new(FaultPlan::parse(specs).unwrap())
    }

    #[test]
    fn disconnect_after_received_takes_the_bytes_before_the_cut_once() {
        let mut f = plan(&["disconnect-after-received=10"]);
        assert_eq!(f.receive(4), (4, false));
        assert_eq!(f.receive(4), (4, false));
        // The 10th byte is the last the phone takes; the link drops after it.
        assert_eq!(f.receive(5), (2, true));
        assert_eq!(f.received(), 10);
        // Once per run: after the replug the phone takes everything.
        assert_eq!(f.receive(100), (100, false));
        // A cut at 0 drops the link at the first byte, taking none.
        let mut f = plan(&["disconnect-after-received=0"]);
        assert_eq!(f.receive(3), (0, true));
        assert_eq!(
            FaultPlan::parse_one("disconnect-after-received=0x100"),
            Ok(Fault::DisconnectAfterReceived(0x100))
        );
    }

    #[test]
    fn parses_every_fault() {
        let p = FaultPlan::parse(&[
            "disconnect-after=100",
            "corrupt-checksum=2",
            "nack=SEND_DA",
            "nack=readback",
            "nack=0xD4",
            "nack=60",
            "nack=usb_check_status",
            "nack=0x72",
            "nack=FINISH",
            "stall-ms=0x10",
            "garbage-after=0",
        ])
        .unwrap();
        assert_eq!(
            p.faults,
            [
                Fault::DisconnectAfter(100),
                Fault::CorruptChecksum(2),
                Fault::Nack(CommandRef {
                    byte: 0xD7,
                    phase: Some(Phase::Brom)
                }),
                Fault::Nack(CommandRef {
                    byte: 0xD6,
                    phase: Some(Phase::Da)
                }),
                Fault::Nack(CommandRef {
                    byte: 0xD4,
                    phase: None
                }),
                Fault::Nack(CommandRef {
                    byte: 0x60,
                    phase: None
                }),
                Fault::Nack(CommandRef {
                    byte: 0x72,
                    phase: Some(Phase::Da)
                }),
                Fault::Nack(CommandRef {
                    byte: 0x72,
                    phase: None
                }),
                Fault::Nack(CommandRef {
                    byte: 0xD9,
                    phase: Some(Phase::Da)
                }),
                Fault::Stall(Duration::from_millis(16)),
                Fault::GarbageAfter(0),
            ]
        );
    }

    #[test]
    fn flaky_read_takes_a_partition_or_an_offset_and_locates_names() {
        assert_eq!(
            FaultPlan::parse_one("flaky-read=nvram"),
            Ok(Fault::FlakyRead(Spot::Partition("NVRAM".into())))
        );
        assert_eq!(
            FaultPlan::parse_one("flaky-read=0x380000"),
            Ok(Fault::FlakyRead(Spot::Offset(0x38_0000)))
        );
        let profile = crate::profile::Registry::builtin()
            .get("a516_row")
            .unwrap()
            .profile
            .clone();
        let layout =
            Layout::from_profile(&profile, crate::firmware::scatter::Storage::Emmc).unwrap();
        let nvram = layout.part("NVRAM").unwrap().offset;
        let plan = FaultPlan::parse(&["flaky-read=NVRAM", "stall-ms=1"]).unwrap();
        assert_eq!(
            plan.locate(&layout).unwrap().faults,
            [
                Fault::FlakyRead(Spot::Offset(nvram)),
                Fault::Stall(Duration::from_millis(1))
            ]
        );
        let err = FaultPlan::parse(&["flaky-read=IMEI"])
            .unwrap()
            .locate(&layout)
            .unwrap_err();
        assert!(err.to_string().contains("no partition IMEI"), "{err}");
        assert!(err.to_string().contains("NVRAM"), "{err}");
        assert!(err.is_bad_input());
    }

    #[test]
    fn flaky_read_flips_every_second_read_of_its_byte_only() {
        let mut f = plan(&["flaky-read=0x10"]);
        let mut data = [7u8; 0x20];
        assert!(!f.flaky_read(0, &mut data));
        assert_eq!(data, [7; 0x20]);
        // A read that misses the byte does not count.
        assert!(!f.flaky_read(0x11, &mut data));
        assert!(f.flaky_read(0, &mut data));
        assert_eq!(data[0x10], !7);
        assert!(data.iter().enumerate().all(|(i, &b)| i == 0x10 || b == 7));
        let mut data = [7u8; 0x20];
        assert!(!f.flaky_read(0, &mut data));
        assert!(f.flaky_read(0x8, &mut data));
        assert_eq!(data[0x8], !7);
        // A name never located is never hit.
        let mut f = plan(&["flaky-read=NVRAM"]);
        for _ in 0..3 {
            assert!(!f.flaky_read(0, &mut data));
        }
    }

    #[test]
    fn bad_syntax_is_a_clear_bad_input_error() {
        for (spec, needle) in [
            ("disconnect", "unknown fault"),
            ("explode=1", "unknown fault"),
            ("disconnect-after=lots", "number of bytes"),
            ("corrupt-checksum=0", "N = 1"),
            ("stall-ms=-5", "milliseconds"),
            ("nack=FLASH_EVERYTHING", "one of SEND_DA"),
            ("nack=0x1FF", "one of SEND_DA"),
            ("nack=USB_CHECK", "one of SEND_DA"),
            ("nack=0x70", "one of SEND_DA"),
            ("nack=0xFD", "one of SEND_DA"),
            ("flaky-read=", "partition name such as NVRAM"),
        ] {
            let err = FaultPlan::parse(&[spec]).unwrap_err();
            assert!(err.to_string().contains(needle), "{spec}: {err}");
            assert!(err.is_bad_input());
            assert!(err.help().contains("garbage-after=BYTES"));
        }
    }

    #[test]
    fn nack_matches_by_phase() {
        let f = plan(&["nack=SEND_DA", "nack=0xD6"]);
        assert!(f.nacks(Phase::Brom, 0xD7));
        assert!(!f.nacks(Phase::Da, 0xD7));
        assert!(f.nacks(Phase::Da, 0xD6));
        assert!(f.nacks(Phase::Brom, 0xD6));
        assert!(!plan(&[]).nacks(Phase::Brom, 0xD7));
    }

    #[test]
    fn disconnect_cuts_at_the_exact_byte_once() {
        let mut f = plan(&["disconnect-after=6"]);
        assert_eq!(
            f.shape(vec![1, 2, 3, 4]),
            Shaped {
                bytes: vec![1, 2, 3, 4],
                disconnect: false
            }
        );
        assert_eq!(
            f.shape(vec![5, 6, 7, 8]),
            Shaped {
                bytes: vec![5, 6],
                disconnect: true
            }
        );
        assert!(!f.shape(vec![9; 100]).disconnect);
        assert_eq!(f.sent(), 106);
    }

    #[test]
    fn disconnect_at_zero_sends_nothing() {
        let mut f = plan(&["disconnect-after=0"]);
        let s = f.shape(vec![0x5F]);
        assert!(s.bytes.is_empty() && s.disconnect);
    }

    #[test]
    fn garbage_is_inserted_once_at_its_byte() {
        let mut f = plan(&["garbage-after=3"]);
        assert_eq!(f.shape(vec![1, 2]).bytes, [1, 2]);
        let s = f.shape(vec![3, 4, 5]);
        let mut want = vec![3];
        want.extend_from_slice(&GARBAGE);
        want.extend_from_slice(&[4, 5]);
        assert_eq!(s.bytes, want);
        assert_eq!(f.shape(vec![6]).bytes, [6]);
    }

    #[test]
    fn corrupts_only_the_named_checksum() {
        let mut f = plan(&["corrupt-checksum=2"]);
        assert!(!f.corrupt_next_checksum());
        assert!(f.corrupt_next_checksum());
        assert!(!f.corrupt_next_checksum());
    }

    #[test]
    fn stall_is_the_longest_asked_for() {
        assert_eq!(plan(&[]).stall(), Duration::ZERO);
        assert_eq!(
            plan(&["stall-ms=5", "stall-ms=20"]).stall(),
            Duration::from_millis(20)
        );
    }
}
