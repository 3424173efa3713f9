//! `mtkbench sim`: run a simulated MT6572 on a pseudo-terminal until Ctrl-C.
//!
//! Builds or reopens the phone through [`crate::sim::phone`], opens the port, prints where it
//! is, and hands the port to [`crate::sim::pty::serve`]. With `--json` the announcement is ONE
//! compact JSON line on stdout (not the pretty document of [`crate::cli::emit`]), because the
//! command keeps running and a program reading it needs the line at once; a fault that drops
//! the link prints one more line `{"event":"replugged","port":...}` for the new port. No
//! protocol or storage logic lives here.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, atomic::AtomicBool},
};

use clap::ValueEnum;
use serde::Serialize;

use crate::{
    Result,
    cli::{Ctx, Report, emit},
    error::HostError,
    firmware::scatter::Storage as StorageKind,
    profile::Registry,
    sim::{
        SimError,
        boot::PreloaderDamage,
        device::Mode,
        fault::{self, FaultPlan},
        phone::{self, PhoneOptions, PhoneSummary},
        pty::{LinkEvent, Pty, ServeOptions, serve},
        rom::{self, RomVariant},
    },
};

/// The long help of `--fault`: the grammar of [`fault::HELP`], which the parser's error
/// messages show too.
fn fault_help() -> String {
    format!(
        "Inject a fault (repeatable). Each value is one of:\n\n{}\n\nBYTES counts everything \
         the phone sent since the simulator started; one-shot faults fire once per run. After a \
         dropped link the phone comes back on a new port, announced on stdout.",
        fault::HELP
    )
}

/// eMMC or NAND on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StorageArg {
    /// eMMC: boot partitions and a user area with MBR/EBR.
    Emmc,
    /// Raw NAND: one array, preloader at 0.
    Nand,
}

/// BROM or preloader on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// The BootROM (what a powered-off phone shows with the download key or test point).
    Brom,
    /// The preloader (what a phone shows for a moment at normal power-on).
    Preloader,
}

/// Arguments of `mtkbench sim`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Board profile of a new phone [default: a516_row, or ref_nand_2k with --storage nand].
    #[arg(long, value_name = "ID")]
    pub profile: Option<String>,
    /// The phone's flash image; built from the profile if absent, reused (with everything
    /// written to it) otherwise [default: DATA/sim/PROFILE-STORAGE.img in the data folder].
    #[arg(long, value_name = "FILE")]
    pub image: Option<PathBuf>,
    /// Storage of a new phone [default: the profile's].
    #[arg(long, value_enum)]
    pub storage: Option<StorageArg>,
    /// What runs when a host connects (a phone without a working preloader has only the
    /// BROM).
    #[arg(long, value_enum, default_value = "brom")]
    pub mode: ModeArg,
    /// A dead phone to practise on: erase its preloader, or replace it with another board's
    /// (written into the image, new or existing). It then has no preloader mode and its DA
    /// needs the board's DRAM (EMI) settings.
    #[arg(long, value_enum, value_name = "HOW")]
    pub preloader: Option<PreloaderDamage>,
    /// Serial of a new phone; seeds its ME ID, eMMC CID, IMEIs, MACs and NVRAM content
    /// [default: derived from the image path and profile].
    #[arg(long, value_name = "S")]
    pub serial: Option<String>,
    /// A new phone with erased flash (no preloader, no partition table, no NVRAM), as after
    /// a wipe: the same chip and eMMC as any phone of this --serial.
    #[arg(long)]
    pub blank: bool,
    /// Inject a fault (repeatable); see --help for the list.
    #[arg(long = "fault", value_name = "FAULT", long_help = fault_help())]
    pub faults: Vec<String>,
    /// Write a simulator-only DA file (placeholder code, never for a real phone) to FILE and
    /// exit.
    #[arg(long, value_name = "FILE")]
    pub write_da: Option<PathBuf>,
    /// Write a ROM package for the simulated board (scatter, images, Checksum.ini) into the
    /// new folder DIR and exit; see --variant.
    #[arg(long, value_name = "DIR")]
    pub write_rom: Option<PathBuf>,
    /// With --write-rom: a package that fits the board, or that deliberately does not in the
    /// named way.
    #[arg(long, value_enum, default_value = "fits", requires = "write_rom")]
    pub variant: RomVariant,
    /// Exit when the first host disconnects instead of waiting for the next one.
    #[arg(long)]
    pub once: bool,
}

/// What `mtkbench sim` announces once the port is open.
#[derive(Debug, Clone, Serialize)]
pub struct Banner {
    /// The device-side path a host opens.
    pub port: PathBuf,
    /// The phone.
    #[serde(flatten)]
    pub phone: PhoneSummary,
    /// `brom` or `preloader`.
    pub mode: Mode,
    /// The damage done to its preloader, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preloader: Option<PreloaderDamage>,
    /// The faults, as given.
    pub faults: Vec<String>,
    /// A simulator-only download agent a host can pass with `--da`.
    pub da_file: PathBuf,
}

impl Report for Banner {
    fn human(&self) -> String {
        let p = &self.phone;
        let mut out = format!(
            "Simulated MT6572 ready on {}\n  board {} ({}, {} mode), project {}\n  serial {}\n  \
             image {}{}\n",
            self.port.display(),
            p.profile,
            p.storage,
            self.mode.as_str(),
            p.project,
            p.serial,
            p.image.display(),
            if p.created { " (new)" } else { "" },
        );
        if let Some(how) = self.preloader {
            out.push_str(&format!(
                "  DEAD BOOT: preloader {}; only the BROM answers (test point), and the DA \
                 needs the board's DRAM settings\n",
                match how {
                    PreloaderDamage::Erased => "erased",
                    PreloaderDamage::Foreign => "replaced by another board's",
                }
            ));
        }
        if !self.faults.is_empty() {
            out.push_str(&format!("  faults: {}\n", self.faults.join(", ")));
        }
        out.push_str(&format!(
            "Next: in another terminal run\n  mtkbench identify --port {} --da {}\n\
             (the DA is simulator-only; for a real phone use the one from SP Flash Tool)\n\
             Ctrl-C stops the phone.\n",
            self.port.display(),
            self.da_file.display()
        ));
        out
    }
}

/// What `mtkbench sim --write-da` reports.
#[derive(Debug, Clone, Serialize)]
pub struct DaFileReport {
    /// The file written.
    pub da_file: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Always true: the file only works with the simulator.
    pub simulator_only: bool,
}

impl Report for DaFileReport {
    fn human(&self) -> String {
        format!(
            "wrote {} ({} bytes): a SIMULATOR-ONLY download agent with placeholder code; it \
             works with `mtkbench sim` and must never be sent to a real phone\n",
            self.da_file.display(),
            self.bytes
        )
    }
}

/// Runs `mtkbench sim`.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let plan = FaultPlan::parse(&args.faults)?;
    if let Some(path) = &args.write_da {
        return write_da(path, ctx);
    }
    let (registry, refused) = Registry::load(&ctx.places.user_profiles());
    for e in &refused {
        tracing::warn!(error = %e, "user profile refused");
    }
    if let Some(dir) = &args.write_rom {
        return write_rom(dir, args.profile.as_deref(), args.variant, &registry, ctx);
    }
    let options = PhoneOptions {
        profile: args.profile,
        image: args.image,
        storage: args.storage.map(|s| match s {
            StorageArg::Emmc => StorageKind::Emmc,
            StorageArg::Nand => StorageKind::Nand,
        }),
        serial: args.serial,
        blank: args.blank,
    };
    let mut phone = phone::open_or_create(&options, &registry, &ctx.places.data)?;
    if let Some(how) = args.preloader {
        phone.damage_preloader(how)?;
    }
    let da_file = ensure_sim_da(&ctx.places.data)?;
    let pty = Pty::open().map_err(SimError::Port)?;
    let mode = match args.mode {
        ModeArg::Brom => Mode::Brom,
        ModeArg::Preloader => Mode::Preloader,
    };
    let summary = phone.summary();
    let mut device = phone.device(mode, plan)?;
    let banner = Banner {
        port: pty.path().to_path_buf(),
        phone: summary,
        mode,
        preloader: args.preloader,
        faults: args.faults,
        da_file,
    };
    if ctx.json {
        println!("{}", json_line(&banner)?);
    } else {
        emit(ctx, &banner)?;
    }
    tracing::info!(port = %banner.port.display(), "simulated phone serving");
    let options = ServeOptions {
        once: args.once,
        stop: Arc::new(AtomicBool::new(false)),
    };
    let json = ctx.json;
    serve(pty, &mut device, &options, |event| {
        tracing::info!(?event, "link");
        match (event, json) {
            (LinkEvent::Replugged(port), true) => {
                let line = serde_json::json!({ "event": "replugged", "port": port });
                println!("{line}");
            }
            (LinkEvent::Replugged(port), false) => {
                println!(
                    "The phone dropped the link; it is back on {}",
                    port.display()
                );
            }
            (LinkEvent::HostConnected, false) => eprintln!("host connected"),
            (LinkEvent::HostDisconnected, false) => {
                eprintln!("host disconnected; waiting for the next one")
            }
            (_, true) => {}
        }
    })
    .map_err(SimError::Port)?;
    Ok(())
}

/// One compact JSON line.
fn json_line<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| HostError::Usage(format!("cannot encode the banner as JSON: {e}")).into())
}

/// The simulator-only DA kept beside the simulated phones' images (`<data>/sim/`), written on
/// first use so the banner can give a command that works as typed.
fn ensure_sim_da(data_dir: &Path) -> Result<PathBuf> {
    let path = data_dir
        .join("sim")
        .join("MTK_AllInOne_DA_simulator_only.bin");
    if !path.is_file() {
        crate::fsutil::write_atomic(&path, &crate::protocol::da_file::generate_sim_da())?;
    }
    Ok(path)
}

fn write_da(path: &Path, ctx: &Ctx) -> Result<()> {
    let bytes = crate::protocol::da_file::generate_sim_da();
    crate::fsutil::write_atomic(path, &bytes)?;
    emit(
        ctx,
        &DaFileReport {
            da_file: path.to_path_buf(),
            bytes: bytes.len() as u64,
            simulator_only: true,
        },
    )
}

/// What `mtkbench sim --write-rom` reports.
#[derive(Debug, Clone, Serialize)]
pub struct RomWritten {
    /// The package folder.
    pub dir: PathBuf,
    /// The board it was made for.
    pub profile: String,
    /// How it relates to that board.
    pub variant: RomVariant,
    /// The preloader project it carries.
    pub project: String,
    /// `EMMC` or `NAND`.
    pub storage: String,
    /// The files written, the scatter first.
    pub files: Vec<String>,
}

impl Report for RomWritten {
    fn human(&self) -> String {
        format!(
            "wrote a {} ROM package for board {} ({}, preloader project {}) into {}: {} files\n\
             Next: mtkbench rom inspect {}\n",
            self.variant.as_str(),
            self.profile,
            self.storage,
            self.project,
            self.dir.display(),
            self.files.len(),
            self.dir.display(),
        )
    }
}

fn write_rom(
    dir: &Path,
    profile: Option<&str>,
    variant: RomVariant,
    registry: &Registry,
    ctx: &Ctx,
) -> Result<()> {
    let id = profile.unwrap_or(phone::DEFAULT_PROFILE);
    let board = &registry.require(id)?.profile;
    let package = rom::build(board, variant)?;
    rom::write(dir, &package)?;
    emit(
        ctx,
        &RomWritten {
            dir: dir.to_path_buf(),
            profile: package.profile,
            variant,
            project: package.project,
            storage: package.storage.as_str().to_string(),
            files: package.files.into_iter().map(|(n, _)| n).collect(),
        },
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> Args {
        let mut argv = vec!["mtkbench", "sim"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv).unwrap().command {
            Some(Command::Sim(a)) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags_parse_with_defaults() {
        let a = parse(&[]);
        assert_eq!(a.mode, ModeArg::Brom);
        assert!(a.faults.is_empty() && !a.once && a.storage.is_none());
        let a = parse(&[
            "--profile",
            "a101",
            "--storage",
            "nand",
            "--mode",
            "preloader",
            "--fault",
            "stall-ms=5",
            "--fault",
            "nack=SEND_DA",
            "--once",
        ]);
        assert_eq!(a.profile.as_deref(), Some("a101"));
        assert_eq!(a.storage, Some(StorageArg::Nand));
        assert_eq!(a.mode, ModeArg::Preloader);
        assert_eq!(a.faults, ["stall-ms=5", "nack=SEND_DA"]);
    }

    #[test]
    fn help_documents_every_fault() {
        use clap::CommandFactory;
        let mut cmd = Cli::command();
        let sim = cmd.find_subcommand_mut("sim").unwrap();
        let help = sim.render_long_help().to_string();
        for fault in [
            "disconnect-after=BYTES",
            "corrupt-checksum=N",
            "nack=CMD",
            "stall-ms=MS",
            "garbage-after=BYTES",
        ] {
            assert!(help.contains(fault), "{fault} missing from --help");
        }
        // The grammar in --help and the parser's error help agree on the names.
        for line in fault::HELP.lines() {
            let name = line.split('=').next().unwrap();
            assert!(help.contains(name), "{name}");
        }
    }

    #[test]
    fn the_banner_names_the_port_and_the_next_step() {
        let b = Banner {
            port: "/dev/pts/7".into(),
            phone: PhoneSummary {
                image: "/tmp/x.img".into(),
                profile: "a516_row".into(),
                storage: "emmc".into(),
                serial: "SIM1".into(),
                project: "a516_row".into(),
                created: true,
            },
            mode: Mode::Brom,
            preloader: None,
            faults: vec![],
            da_file: "/data/sim/da.bin".into(),
        };
        let dead = Banner {
            preloader: Some(PreloaderDamage::Erased),
            ..b.clone()
        };
        assert!(dead.human().contains("DEAD BOOT: preloader erased"));
        assert!(
            json_line(&dead)
                .unwrap()
                .contains("\"preloader\":\"erased\"")
        );
        let text = b.human();
        assert!(text.contains("ready on /dev/pts/7"));
        assert!(text.contains("mtkbench identify --port /dev/pts/7 --da /data/sim/da.bin"));
        let line = json_line(&b).unwrap();
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["port"], "/dev/pts/7");
        assert_eq!(v["image"], "/tmp/x.img");
        assert_eq!(v["profile"], "a516_row");
        assert_eq!(v["storage"], "emmc");
        assert_eq!(v["mode"], "brom");
    }
}
