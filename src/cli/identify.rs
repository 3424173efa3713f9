//! `mtkbench identify`: connect, identify the chip, start the DA, read the partition table,
//! print the fingerprint, reboot the phone. The session is the job layer's
//! ([`crate::job`]); this file only lays the fingerprint out.

use serde::Serialize;

use super::device::{DeviceArgs, NOT_REBOOTED, start, warn_if_not_rebooted};
use crate::{
    Result,
    cli::{Ctx, Report, emit, text::mib_or_gib},
    job::{Fingerprint, Mode, StorageFacts, TableSource},
};

/// `mtkbench identify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How to reach the phone.
    #[command(flatten)]
    pub device: DeviceArgs,
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

/// Runs `mtkbench identify`.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let done = start(&args.device, ctx)?.run(|phone| Ok(phone.fingerprint()))?;
    warn_if_not_rebooted(&done);
    emit(
        ctx,
        &IdentifyReport {
            port: done.port.clone(),
            rebooted: done.rebooted(),
            fingerprint: done.value,
        },
    )
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
        if !self.rebooted {
            out += NOT_REBOOTED;
        }
        out
    }
}
