//! What every device command shares on the command line: the connection flags
//! ([`DeviceArgs`]: `--port`, `--wait`, `--da`, `--record`), the place flags ([`PlaceArgs`]:
//! `--partition`, `--region`, `--offset`, `--length`), and [`start`], which prepares a
//! [`Job`] with the progress renderer and Ctrl-C wired to its cancel token.
//!
//! The work itself is the job layer's ([`crate::job`]); this file turns flags into its
//! options and must not open a port, build a session or decide anything about the phone.

use std::{path::PathBuf, time::Duration};

use super::{Ctx, progress::Renderer};
use crate::{
    Result,
    error::HostError,
    firmware::{HexError, parse_hex},
    job::{Done, EndPolicy, Job, Options, Place, PortSpec, Region, Selector, dram::DramSources},
};

/// How to reach the phone; shared by every device command.
#[derive(Debug, Clone, clap::Args)]
pub struct DeviceArgs {
    /// The phone's port (`/dev/ttyACM0`), or `auto` to wait for a MediaTek port to appear and
    /// catch it at once. A path is waited for too, until it exists (a phone re-enumerates
    /// between two commands).
    #[arg(long, value_name = "P|auto")]
    pub port: PortSpec,
    /// How many seconds to wait for the phone's port to appear.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub wait: u64,
    /// The download agent: `MTK_AllInOne_DA.bin` from your SP Flash Tool folder (remembered
    /// in config.toml after it worked once).
    #[arg(long, value_name = "FILE")]
    pub da: Option<PathBuf>,
    /// Write a hex transcript of the whole session (both directions, timestamps) to FILE.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// A dead phone (no preloader, BROM only): a preloader built for this board, whose DRAM
    /// (EMI) settings the download agent gets if it asks. Tried after the phone's own
    /// preloader from its identity backup (and, in `repair`, the chosen ROM's).
    #[arg(long, value_name = "FILE")]
    pub preloader: Option<PathBuf>,
    /// Use DRAM settings from a preloader built for another project than the board's (wrong
    /// timings do not brick, but fail in confusing ways).
    #[arg(long)]
    pub allow_foreign_emi: bool,
    /// A dead phone: its board profile (`mtkbench profiles list`), whose preloader project
    /// the DRAM settings of a ROM or `--preloader` must carry.
    #[arg(long, value_name = "PROFILE")]
    pub board: Option<String>,
}

impl DeviceArgs {
    /// The job options these flags ask for; every single-step command reboots the phone.
    pub fn options(&self) -> Options {
        Options {
            port: self.port.clone(),
            wait: Duration::from_secs(self.wait),
            da: self.da.clone(),
            record: self.record.clone(),
            end: EndPolicy::Reboot,
        }
    }

    /// Where DRAM settings come from if the DA asks (a dead phone): the identity backups in
    /// the data folder, then `--preloader`.
    pub fn dram_sources(&self, ctx: &Ctx) -> DramSources {
        DramSources {
            backups: Some(crate::backup::Store::new(&ctx.places.data)),
            file: self.preloader.clone(),
            allow_foreign: self.allow_foreign_emi,
            ..DramSources::default()
        }
    }
}

/// A storage region on the command line (`--region`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RegionArg {
    /// eMMC boot partition 1: the preloader.
    Boot1,
    /// eMMC boot partition 2: normally unused.
    Boot2,
    /// The eMMC user area: everything but the preloader.
    User,
    /// The whole NAND array, page data only; the preloader is its first partition.
    Nand,
}

impl From<RegionArg> for Region {
    fn from(r: RegionArg) -> Region {
        match r {
            RegionArg::Boot1 => Region::EmmcBoot1,
            RegionArg::Boot2 => Region::EmmcBoot2,
            RegionArg::User => Region::EmmcUser,
            RegionArg::Nand => Region::Nand,
        }
    }
}

/// Where a command acts on the phone's storage.
#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["partition", "region"])))]
pub struct PlaceArgs {
    /// The partition (any case; see `mtkbench identify`).
    #[arg(long)]
    pub partition: Option<String>,
    /// A whole storage region instead of a partition.
    #[arg(long, value_enum)]
    pub region: Option<RegionArg>,
    /// Start inside the partition or region (0x hex, decimal, or K/M/G).
    #[arg(long, value_parser = parse_size)]
    pub offset: Option<u64>,
    /// Bytes (default: to the end of the partition or region; a write takes the image's).
    #[arg(long, value_parser = parse_size)]
    pub length: Option<u64>,
}

impl PlaceArgs {
    /// The place these flags name.
    pub fn place(&self) -> Place {
        let selector = match (&self.partition, self.region) {
            (Some(name), _) => Selector::Partition(name.clone()),
            (None, Some(r)) => Selector::Region(r.into()),
            // clap requires one of the two; the user area is the harmless reading.
            (None, None) => Selector::Region(Region::EmmcUser),
        };
        Place {
            selector,
            offset: self.offset,
            length: self.length,
        }
    }
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

/// The last line of a device command's report when the phone could not be told to reboot.
pub(crate) const NOT_REBOOTED: &str =
    "The phone was not rebooted: unplug it and hold power for 10 s.\n";

/// Prepares the job the flags ask for (DA and profiles loaded before the phone is caught),
/// with progress drawn on stderr (stdout stays the report's, so `--json` is unaffected) and
/// Ctrl-C asking the job to stop between two packets.
pub fn start(args: &DeviceArgs, ctx: &Ctx) -> Result<Job> {
    let job = Job::prepare(&args.options(), &ctx.places)?;
    let mut sources = args.dram_sources(ctx);
    if let Some(board) = &args.board {
        sources.board_project = job
            .registry()
            .require(board)?
            .profile
            .preloader
            .as_ref()
            .map(|p| p.project.clone());
    }
    let job = job.with_dram(sources);
    let mut renderer = Renderer::new();
    let job = job.with_progress(move |e| renderer.show(e));
    let cancel = job.cancel_token();
    if let Err(e) = ctrlc::set_handler(move || {
        if cancel.is_cancelled() {
            // A second Ctrl-C: the technician wants out now.
            std::process::exit(130);
        }
        eprintln!("\nstopping after the current packet (Ctrl-C again to quit at once)...");
        cancel.cancel();
    }) {
        tracing::warn!(error = %e, "cannot catch Ctrl-C; it ends the process at once");
    }
    Ok(job)
}

/// Prints the warning of a job whose work completed but whose reboot failed.
pub fn warn_if_not_rebooted<R>(done: &Done<R>) {
    if let Some(e) = &done.warning {
        eprintln!("warning: {e}");
        eprintln!("         the work itself completed; unplug the phone and hold power for 10 s");
    }
}

/// Refuses `--length` where the command takes the length from elsewhere (a write: the
/// image's).
pub fn no_length(place: &PlaceArgs, why: &str) -> Result<()> {
    match place.length {
        None => Ok(()),
        Some(_) => Err(HostError::Usage(format!("--length is not taken here: {why}")).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn every_region_flag_maps_to_its_region() {
        use clap::ValueEnum;
        for arg in RegionArg::value_variants() {
            let name = arg.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(Region::from(*arg).as_short(), name);
        }
    }
}
