//! `mtkbench identify`: connect, identify the chip, start the DA, read the partition table,
//! the preloader's identity and the panel drivers of the phone's UBOOT, rank the board
//! profiles, print the fingerprint, reboot the phone. The work is
//! [`crate::engine::identify`]; this file only lays the fingerprint out and saves it with
//! `--save`.

use serde::Serialize;

use super::device::{DeviceArgs, NOT_REBOOTED, start, warn_if_not_rebooted};
use crate::{
    Result,
    cli::{Ctx, Report, emit, text::mib_or_gib},
    engine::identify::Identified,
    job::{Mode, StorageFacts, TableSource},
};

/// `mtkbench identify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How to reach the phone.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// What is printed on the board (e.g. `S4511-MB-V1.2`), to rank the board profiles with.
    #[arg(long, value_name = "TEXT")]
    pub pcb_marking: Option<String>,
    /// Also keep the fingerprint in FILE (a new file) for offline matching
    /// (`library match --fingerprint FILE`).
    #[arg(long, value_name = "FILE")]
    pub save: Option<std::path::PathBuf>,
}

/// What `identify` prints.
#[derive(Debug, Serialize)]
pub struct IdentifyReport {
    /// The port that was used.
    pub port: String,
    /// The fingerprint and the board ranking (their fields appear at the top level of the
    /// JSON).
    #[serde(flatten)]
    pub identified: Identified,
    /// Whether the phone was told to reboot at the end.
    pub rebooted: bool,
}

/// Runs `mtkbench identify`.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    if let Some(path) = &args.save
        && path.symlink_metadata().is_ok()
    {
        return Err(crate::error::HostError::Usage(format!(
            "{} exists; give a new file for --save (a saved fingerprint is never replaced)",
            path.display()
        ))
        .into());
    }
    let (registry, refused) = crate::profile::Registry::load(&ctx.places.user_profiles());
    for e in &refused {
        tracing::warn!(error = %e, "user profile refused");
    }
    let journal = crate::journal::Journal::open_in(&ctx.places.data)
        .inspect_err(|e| tracing::warn!(error = %e, "journal unavailable"))
        .ok();
    let job = start(&args.device, ctx)?;
    let done = crate::engine::identify::run(
        job,
        &registry,
        args.pcb_marking.as_deref(),
        journal.as_ref(),
    )?;
    warn_if_not_rebooted(&done);
    if let Some(path) = &args.save {
        let text = serde_json::to_string_pretty(&done.value.fingerprint).map_err(|e| {
            crate::error::HostError::Usage(format!("cannot encode the fingerprint: {e}"))
        })?;
        crate::fsutil::write_new_atomic(path, text.as_bytes())?;
    }
    emit(
        ctx,
        &IdentifyReport {
            port: done.port.clone(),
            rebooted: done.rebooted(),
            identified: done.value,
        },
    )
}

impl Report for IdentifyReport {
    fn human(&self) -> String {
        let f = &self.identified.fingerprint;
        let yes = |b: bool| if b { "on" } else { "off" };
        let mut out = format!(
            "Port:       {}\nMode:       {}\nChip:       hw code {:#06x}, sub-code {:#06x}, hw ver {:#06x}, sw ver {:#06x}\n\
             Versions:   BROM {:#04x}, bootloader {:#04x}, DA {}\n\
             Security:   SBC {}, SLA {}, DAA {} (config {:#010x})\nME ID:      {}\n",
            self.port,
            match f.mode {
                Mode::Brom => "BROM",
                Mode::Preloader => "preloader",
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
        if let Some(d) = &f.dead_boot {
            out += &crate::cli::text::wrap_to(&d.describe(), "Dead boot:  ", "            ", 79);
        }
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
                p.region.as_short(),
                p.offset,
                p.size,
                mib_or_gib(p.size)
            );
        }
        out += &format!(
            "Preloader:  {}\nPanel (lk): {}\n",
            match &f.preloader {
                Some(p) => format!(
                    "project {}, EMI info v{}",
                    p.project.as_deref().unwrap_or("?"),
                    p.emi_version.map_or("?".to_string(), |v| v.to_string())
                ),
                None => "not read".into(),
            },
            if f.lcm.is_empty() {
                "no driver name found".to_string()
            } else {
                f.lcm.join(", ")
            }
        );
        let board = &self.identified.board;
        out += &format!("Board:      {}\n", board.summary);
        for c in board.candidates.iter().take(3) {
            out += &format!("  {:<18} {:>3.0} %\n", c.profile, c.confidence * 100.0);
            for r in c.reasons.iter().take(4) {
                let mark = match r.fit {
                    crate::profile::matching::Fit::Good => "+",
                    crate::profile::matching::Fit::Bad => "-",
                    crate::profile::matching::Fit::Unknown => "?",
                };
                out += &crate::cli::text::wrap(&r.text, &format!("    {mark} "), "      ");
            }
        }
        if !self.rebooted {
            out += NOT_REBOOTED;
        }
        out
    }
}
