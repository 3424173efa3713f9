//! `mtkbench identify`: connect, identify the chip, start the DA, read the partition table,
//! print the fingerprint, reboot the phone.
//!
//! This file also holds what every device command shares: the connection flags
//! ([`DeviceArgs`]: `--port`, `--wait`, `--da`, `--record`), the session runner
//! ([`run_session`]) and the progress line on stderr ([`Progress`]). Device logic stays in
//! [`crate::device`]; this file only chooses, renders and prints.

use std::{
    io::{IsTerminal, Write as _},
    path::PathBuf,
    time::{Duration, Instant},
};

use serde::Serialize;

use crate::{
    Result,
    cli::{Ctx, Report, emit, text::mib_or_gib},
    device::{
        DeviceError, Fingerprint, OpKind, ProgressEvent, Session, Stage,
        connect::{self, Link, PortSpec},
        fingerprint::StorageFacts,
        progress::mb_per_s,
        table::{PartitionMap, TableSource},
        target::{self, Selector, Target},
    },
    firmware::{HexError, parse_hex},
    profile::Registry,
};

/// How to reach the phone; shared by every device command.
#[derive(Debug, Clone, clap::Args)]
pub struct DeviceArgs {
    /// The phone's port (`/dev/ttyACM0`), or `auto` to wait for a MediaTek port to appear and
    /// catch it at once.
    #[arg(long, value_name = "P|auto")]
    pub port: PortSpec,
    /// With `--port auto`: how many seconds to wait for the phone.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub wait: u64,
    /// The download agent: `MTK_AllInOne_DA.bin` from your SP Flash Tool folder (remembered
    /// in config.toml after it worked once).
    #[arg(long, value_name = "FILE")]
    pub da: Option<PathBuf>,
    /// Write a hex transcript of the whole session (both directions, timestamps) to FILE.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

/// `mtkbench identify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How to reach the phone.
    #[command(flatten)]
    pub device: DeviceArgs,
}

/// Parses `--offset`/`--length` values: `0x` hex, decimal, or a K/M/G suffix (binary units).
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let bad = || format!("`{text}` is not a size: write 0x400000, 4194304 or 4M");
    match parse_hex(t) {
        Ok(n) => return Ok(n),
        Err(HexError::NoPrefix) => {}
        Err(_) => return Err(bad()),
    }
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_uppercase()),
        _ => (t, 'B'),
    };
    let shift = match unit {
        'B' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => return Err(bad()),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    n.checked_mul(1 << shift).ok_or_else(bad)
}

/// Where a command acts: `--partition NAME` or `--region R`, as a selector.
pub fn selector(
    partition: Option<String>,
    region: Option<crate::device::target::Region>,
) -> Selector {
    match (partition, region) {
        (Some(name), _) => Selector::Partition(name),
        (None, Some(r)) => Selector::Region(r),
        // clap requires one of the two; user area is the harmless reading.
        (None, None) => Selector::Region(crate::device::target::Region::User),
    }
}

/// Renders [`ProgressEvent`]s on stderr: `name  12.5/64.0 MiB  18.2 MB/s`, rewritten in place
/// on a terminal (at most ten times a second), one line per transfer otherwise.
#[derive(Debug)]
pub struct Progress {
    tty: bool,
    name: String,
    last_draw: Option<Instant>,
}

const MIB: f64 = 1024.0 * 1024.0;

impl Progress {
    /// A renderer for this process's stderr.
    pub fn new() -> Self {
        Progress {
            tty: std::io::stderr().is_terminal(),
            name: String::new(),
            last_draw: None,
        }
    }

    fn line(&self, done: u64, total: u64, elapsed: Duration) -> String {
        format!(
            "{:<12} {:.1}/{:.1} MiB  {:.1} MB/s",
            self.name,
            done as f64 / MIB,
            total as f64 / MIB,
            mb_per_s(done, elapsed)
        )
    }

    /// Shows one event.
    pub fn show(&mut self, event: &ProgressEvent) {
        let mut err = std::io::stderr().lock();
        // Progress is a courtesy: a closed stderr must not fail the command.
        let _ = match event {
            ProgressEvent::Stage(Stage::WaitForPort) => writeln!(
                err,
                "Plug the phone in now: switched off (battery in), holding VOL-DOWN while you \
                 connect the USB cable. Waiting..."
            ),
            ProgressEvent::Stage(stage) => {
                tracing::info!(%stage, "stage");
                Ok(())
            }
            ProgressEvent::Started { op, name, total } => {
                self.name = name.clone();
                self.last_draw = None;
                if self.tty {
                    write!(err, "\r{}", self.line(0, *total, Duration::ZERO))
                } else {
                    writeln!(
                        err,
                        "{} {} ({:.1} MiB)...",
                        verb(*op),
                        name,
                        *total as f64 / MIB
                    )
                }
            }
            ProgressEvent::Advanced {
                done,
                total,
                elapsed,
                ..
            } => {
                let due = self
                    .last_draw
                    .is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
                if self.tty && due {
                    self.last_draw = Some(Instant::now());
                    write!(err, "\r{}", self.line(*done, *total, *elapsed))
                } else {
                    Ok(())
                }
            }
            ProgressEvent::Finished { total, elapsed, .. } => {
                let line = self.line(*total, *total, *elapsed);
                if self.tty {
                    writeln!(err, "\r{line}")
                } else {
                    writeln!(err, "{line}")
                }
            }
        };
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

fn verb(op: OpKind) -> &'static str {
    match op {
        OpKind::Read => "reading",
        OpKind::Write => "writing",
        OpKind::Erase => "erasing",
    }
}

/// Where `sel` lies on the phone of `session`: its partition `map` and the running DA's region
/// sizes (`offset` and `length` as [`target::resolve`] takes them).
pub fn resolve(
    session: &Session<Link>,
    map: &PartitionMap,
    sel: &Selector,
    offset: Option<u64>,
    length: Option<u64>,
) -> std::result::Result<Target, DeviceError> {
    let da = session
        .da_info()
        .ok_or_else(|| DeviceError::Unsupported("no DA running".into()))?;
    target::resolve(sel, offset, length, &map.partitions, |r| da.region(r))
}

/// The last line of a device command's report when the phone could not be told to reboot.
pub(crate) const NOT_REBOOTED: &str =
    "The phone was not rebooted: unplug it and hold power for 10 s.\n";

/// Runs a device command: loads the DA and the profiles first (the port may live only
/// seconds), opens the port, starts the DA, reads the partition map, runs `work`, then
/// reboots the phone. A failed reboot after successful work is a warning, not a failure.
/// When `work` refuses (a bad name, a range, a protected partition) the link is healthy, so
/// the phone is still rebooted; after a link failure it is not tried. Returns `work`'s value
/// and whether the phone was told to reboot.
pub fn run_session<R>(
    args: &DeviceArgs,
    ctx: &Ctx,
    work: impl FnOnce(&mut Session<Link>, &PartitionMap) -> std::result::Result<R, DeviceError>,
) -> Result<(R, bool)> {
    let da = connect::load_da(args.da.as_deref(), &ctx.places.config)?;
    let (registry, refused) = Registry::load(&ctx.places.user_profiles());
    for e in refused {
        tracing::warn!(error = %e, "user profile refused");
    }
    let mut progress = Progress::new();
    let link = connect::open(
        &args.port,
        Duration::from_secs(args.wait),
        args.record.as_deref(),
        &mut |e| progress.show(e),
    )?;
    let mut session = Session::new(link).with_progress(move |e| progress.show(e));
    let out = connect::start(&mut session, &da.file).and_then(|()| {
        connect::remember_da(&ctx.places.config, &da.path);
        let map = session.partition_table(&registry)?;
        let out = work(&mut session, &map);
        if out.as_ref().is_err_and(|e| e.stage().is_none()) {
            // Refused before anything reached the phone: end the session properly.
            let _ = session.finish();
        }
        out
    });
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            // The transcript ends with the error as the terminal shows it, entry name included.
            let e = crate::Error::from(e);
            session.into_transport().note(&format!("error: {e}"));
            return Err(e);
        }
    };
    let rebooted = match session.finish() {
        Ok(()) => true,
        Err(e) => {
            let e = crate::Error::from(e);
            tracing::warn!(error = %e, "finish failed after the work completed");
            session.into_transport().note(&format!("warning: {e}"));
            eprintln!("warning: {e}");
            eprintln!(
                "         the work itself completed; unplug the phone and hold power for 10 s"
            );
            false
        }
    };
    Ok((out, rebooted))
}

/// What `identify` prints.
#[derive(Debug, Serialize)]
pub struct IdentifyReport {
    /// The port that was used.
    pub port: String,
    /// The fingerprint (its fields appear at the top level of the JSON).
    #[serde(flatten)]
    pub fingerprint: Fingerprint,
    /// Whether the phone was told to reboot at the end.
    pub rebooted: bool,
}

/// The fingerprint of the phone of a running session (its BROM and DA facts and `map`).
pub fn fingerprint(
    session: &Session<Link>,
    map: &PartitionMap,
) -> std::result::Result<Fingerprint, DeviceError> {
    match (session.brom_info(), session.da_info()) {
        (Some(brom), Some(da)) => Ok(Fingerprint::new(brom, da, map)),
        _ => Err(DeviceError::Unsupported(
            "the session ended before the phone was identified".into(),
        )),
    }
}

/// Runs `mtkbench identify`.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let (report, rebooted) = run_session(&args.device, ctx, |session, map| {
        Ok(IdentifyReport {
            port: crate::transport::Transport::name(session.transport()).to_string(),
            fingerprint: fingerprint(session, map)?,
            rebooted: false,
        })
    })?;
    emit(ctx, &IdentifyReport { rebooted, ..report })
}

impl Report for IdentifyReport {
    fn human(&self) -> String {
        let f = &self.fingerprint;
        let yes = |b: bool| if b { "on" } else { "off" };
        let mut out = format!(
            "Port:       {}\nMode:       {}\nChip:       hw code {:#06x}, sub-code {:#06x}, hw ver {:#06x}, sw ver {:#06x}\n\
             Versions:   BROM {:#04x}, bootloader {:#04x}, DA {}\n\
             Security:   SBC {}, SLA {}, DAA {} (config {:#010x})\nME ID:      {}\n",
            self.port,
            match f.mode {
                crate::device::Mode::Brom => "BROM",
                crate::device::Mode::Preloader => "preloader",
            },
            f.hw_code,
            f.hw_subcode,
            f.hw_version,
            f.sw_version,
            f.brom_version,
            f.bl_version,
            f.da_version,
            yes(f.target_config.sbc),
            yes(f.target_config.sla),
            yes(f.target_config.daa),
            f.target_config.raw,
            f.me_id.as_deref().unwrap_or("not given in this mode"),
        );
        out += &match &f.storage {
            StorageFacts::Emmc {
                boot1_size,
                boot2_size,
                user_size,
                cid,
            } => format!(
                "Storage:    eMMC, boot1 {}, boot2 {}, user {}\nCID:        {cid}\n",
                mib_or_gib(*boot1_size),
                mib_or_gib(*boot2_size),
                mib_or_gib(*user_size)
            ),
            StorageFacts::Nand {
                id,
                size: s,
                page_size,
                pages_per_block,
                ..
            } => format!(
                "Storage:    NAND {}, page {page_size} B, {pages_per_block} pages/block\nNAND id:    {id}\n",
                mib_or_gib(*s)
            ),
            StorageFacts::Nor { size: s } => {
                format!("Storage:    NOR or none, {}\n", mib_or_gib(*s))
            }
        };
        out += &format!("RAM:        {}\n", mib_or_gib(f.ram_size));
        out += &match &f.partition_source {
            TableSource::Pmt => "Partitions (from the phone's PMT):\n".to_string(),
            TableSource::Mbr { profile: Some(id) } => {
                format!("Partitions (MBR/EBR, names from profile {id}):\n")
            }
            TableSource::Mbr { profile: None } => {
                "Partitions (MBR/EBR; no profile matches, so only slot names):\n".to_string()
            }
            TableSource::None => "Partitions: no table found\n".to_string(),
        };
        for p in &f.partitions {
            out += &format!(
                "  {:<12} {:<5} {:#012x}  {:#012x}  {}\n",
                p.name,
                p.region.as_str(),
                p.offset,
                p.size,
                mib_or_gib(p.size)
            );
        }
        if !self.rebooted {
            out += NOT_REBOOTED;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_line_shows_mib_and_rate() {
        let p = Progress {
            tty: false,
            name: "ANDROID".into(),
            last_draw: None,
        };
        let line = p.line(13_107_200, 67_108_864, Duration::from_secs(1));
        assert_eq!(line, "ANDROID      12.5/64.0 MiB  13.1 MB/s");
    }

    #[test]
    fn sizes_parse_in_hex_decimal_and_units() {
        assert_eq!(parse_size("0x400000"), Ok(0x40_0000));
        assert_eq!(parse_size("4194304"), Ok(0x40_0000));
        assert_eq!(parse_size("4M"), Ok(0x40_0000));
        assert_eq!(parse_size("512k"), Ok(0x8_0000));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("4X").is_err());
        assert!(parse_size("0xZZ").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("99999999999G").is_err());
    }
}
