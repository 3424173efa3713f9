//! `mtkbench scatter show FILE`: a scatter file, parsed and validated, as a table or JSON.
//!
//! Parsing lives in [`crate::firmware::scatter`]; this file only chooses the file and lays the
//! result out for an 80-column terminal. It must not parse scatter text itself.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::{
    Result,
    cli::{
        Ctx, Report, emit_judged,
        text::{FILE_W, WIDTH, cut_keeping_end, file_cell, mib_or_hex, wrap},
    },
    firmware::{
        rom::{self, Severity},
        scatter::{self, Partition, Scatter, Storage},
    },
};

/// `mtkbench scatter ...`
#[derive(Debug, Subcommand)]
pub enum ScatterCommand {
    /// Parse and validate a scatter file and show its partitions.
    Show(ShowArgs),
}

/// Arguments of `mtkbench scatter show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The scatter file (`MT6572_Android_scatter.txt`, `ota_scatter.txt`, ...).
    pub file: PathBuf,
}

/// What `scatter show` reports: the parsed file plus where it came from.
#[derive(Debug, Serialize)]
pub struct ShowReport {
    /// The file that was read.
    #[serde(serialize_with = "crate::fsutil::lossy")]
    pub file: PathBuf,
    /// The parsed scatter file (its fields appear at the top level of the JSON).
    #[serde(flatten)]
    pub scatter: Scatter,
    /// Size of the EMMC_BOOT_1 region in the linear address space (0 on NAND).
    pub boot1_size: u64,
    /// What makes the file unfit to flash (a scatter for another platform), as `rom inspect`
    /// judges a package's scatter; the command exits 1 when there is any.
    pub errors: Vec<String>,
}

/// Runs a `scatter` subcommand.
pub fn run(command: ScatterCommand, ctx: &Ctx) -> Result<()> {
    match command {
        ScatterCommand::Show(args) => {
            let scatter = scatter::parse_file(&args.file)?;
            let errors: Vec<String> = rom::scatter_problems(&scatter)
                .into_iter()
                .filter(|p| p.severity == Severity::Error)
                .map(|p| p.message)
                .collect();
            let report = ShowReport {
                file: args.file,
                boot1_size: scatter.boot1_size(),
                scatter,
                errors,
            };
            emit_judged(ctx, &report, "the scatter file", report.errors.len())
        }
    }
}

const NAME_W: usize = 12;
const REGION_W: usize = 11;
const OFFSET_W: usize = 11;
const SIZE_W: usize = 10;
// Index, name, region, offset, size, the download flag and the shared FILE column fill the
// line exactly.
const _: () = assert!(
    3 + 1 + NAME_W + 1 + REGION_W + 1 + OFFSET_W + 1 + SIZE_W + 1 + 3 + 1 + FILE_W == WIDTH
);

impl Report for ShowReport {
    fn human(&self) -> String {
        let s = &self.scatter;
        let mut out = format!("scatter file {}\n", self.file.display());
        let mut facts = vec![
            s.platform
                .clone()
                .unwrap_or_else(|| "platform not given".into()),
            match &s.project {
                Some(project) => format!("project {project}"),
                None => "project not given".into(),
            },
            format!("format {}", s.format.as_str()),
            s.storage.to_string(),
        ];
        if s.storage == Storage::Emmc {
            facts.push(format!("boot region {}", mib_or_hex(Some(self.boot1_size))));
        }
        out += &wrap(&facts.join(", "), "", "  ");
        out += &format!(
            "{} partition(s), {} with an image to download\n\n",
            s.partitions.len(),
            s.downloads().count()
        );
        out += &format!(
            "{:>3} {:<NAME_W$} {:<REGION_W$} {:>OFFSET_W$} {:>SIZE_W$} {:<3} {}\n",
            "#", "NAME", "REGION", "OFFSET", "SIZE", "DL", "FILE"
        );
        for p in &s.partitions {
            out += &row(p);
        }
        out += "OFFSET: physical, inside REGION; messages give linear (scatter) addresses\n";
        if s.partitions.iter().any(|p| p.address_is_pseudo) {
            out += "* not an address: a reserved area counted from the end of the storage\n";
        }
        if !self.errors.is_empty() {
            out += &format!("\n{} error(s):\n", self.errors.len());
            for e in &self.errors {
                out += &wrap(e, "  ", "    ");
            }
        }
        if s.warnings.is_empty() {
            out += "\nno warnings\n";
        } else {
            out += &format!("\n{} warning(s):\n", s.warnings.len());
            for w in &s.warnings {
                out += &wrap(&format!("line {}: {}", w.line, w.message), "  ", "    ");
            }
        }
        out
    }
}

fn row(p: &Partition) -> String {
    let name = if p.name.is_empty() {
        "(no name)"
    } else {
        &p.name
    };
    let offset = if p.address_is_pseudo {
        format!("0x{:X}*", p.region_offset)
    } else {
        format!("0x{:X}", p.region_offset)
    };
    format!(
        "{:>3} {:<NAME_W$} {:<REGION_W$} {:>OFFSET_W$} {:>SIZE_W$} {:<3} {}\n",
        p.index,
        cut_keeping_end(name, NAME_W),
        p.region.as_str(),
        offset,
        mib_or_hex(p.size),
        if p.download { "yes" } else { "no" },
        file_cell(p.file.as_deref().unwrap_or("-")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_stays_within_80_columns() {
        let long = "word ".repeat(60);
        let text = wrap(&format!("line 7: {long}"), "  ", "    ");
        assert!(text.lines().count() > 1);
        assert!(text.lines().all(|l| l.chars().count() <= WIDTH));
        assert!(text.lines().skip(1).all(|l| l.starts_with("    word")));
    }

    #[test]
    fn table_fits_80_columns_even_with_long_names() {
        let text = "- general: MTK_PLATFORM_CFG\n  storage: EMMC\n\
            - partition_index: SYS0\n  partition_name: A_VERY_LONG_PARTITION_NAME\n\
            \x20 file_name: a_very_long_file_name_that_goes_on_and_on.img\n  is_download: true\n\
            \x20 linear_start_addr: 0x0\n  partition_size: 0x9AFE0000\n  region: EMMC_USER\n";
        let scatter = scatter::parse(text).unwrap();
        let report = ShowReport {
            file: "x.txt".into(),
            boot1_size: scatter.boot1_size(),
            scatter,
            errors: vec!["the scatter file is for MT6582, not MT6572 ".repeat(4)],
        };
        let human = report.human();
        assert!(human.lines().all(|l| l.chars().count() <= WIDTH), "{human}");
        assert!(human.contains(" A_VERY_~NAME "), "{human}");
        assert!(human.contains("0x9AFE0000"), "{human}");
        assert!(human.contains("1 error(s):"), "{human}");
    }
}
