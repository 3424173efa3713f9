//! `mtkbench rom inspect PATH`: a ROM package (folder, .zip or scatter file) with its images,
//! checksums, LCM names, preloader identity and problems, as text or JSON.
//!
//! The inspection lives in [`crate::firmware::rom`]; this file only lays the report out for an
//! 80-column terminal. It must not read images or parse formats itself.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::{
    Result,
    cli::{
        Ctx, Report, emit_judged,
        text::{FILE_W, cut_keeping_end, file_cell, labelled, mib_or_hex, wrap},
    },
    firmware::{
        facts::PreloaderFacts,
        lcm::KernelPayload,
        preloader::PreloaderLayout,
        rom::{self, ChecksumStatus, ImageContent, ImageReport, RomReport, Severity},
    },
};

/// `mtkbench rom ...`
#[derive(Debug, Subcommand)]
pub enum RomCommand {
    /// Check a ROM package before flashing: images present, sizes, SHA-256, Checksum.ini,
    /// display drivers, preloader project, NVRAM images.
    Inspect(InspectArgs),
}

/// Arguments of `mtkbench rom inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The ROM folder, its .zip, or its scatter file.
    pub path: PathBuf,
}

/// Runs a `rom` subcommand. The report always prints; the exit code is 0 for a clean
/// package, 1 when the report lists errors, 2 when the package cannot be read at all.
pub fn run(command: RomCommand, ctx: &Ctx) -> Result<()> {
    match command {
        RomCommand::Inspect(args) => {
            if !ctx.json {
                eprintln!("reading {} ...", args.path.display());
            }
            let report = rom::inspect(&args.path)?;
            let errors = report.count(Severity::Error);
            emit_judged(ctx, &report, "the ROM package", errors)
        }
    }
}

const LABEL_W: usize = 13;
const PART_W: usize = 11;
const SIZE_W: usize = 10;
const FITS_W: usize = 4;
const SUM_W: usize = 8;
const KIND_W: usize = 80 - (PART_W + FILE_W + SIZE_W + FITS_W + SUM_W + 5);

impl Report for RomReport {
    fn human(&self) -> String {
        let mut out = String::new();
        let label = |name: &str, text: &str| labelled(name, LABEL_W, text);
        // Paths are single words: cut them (keeping their end) rather than overflow.
        let path_w = 80 - LABEL_W;
        out += &label(
            "ROM package",
            &format!(
                "{} ({})",
                cut_keeping_end(&self.package.display().to_string(), path_w - 9),
                self.container
            ),
        );
        out += &label("scatter", &cut_keeping_end(&self.scatter, path_w));
        let facts = [
            self.platform
                .as_deref()
                .unwrap_or("platform not given")
                .to_owned(),
            match &self.project {
                Some(p) => format!("project {p}"),
                None => "project not given".into(),
            },
            self.storage.to_string(),
        ];
        out += &label("", &facts.join(", "));
        out += &label(
            "Checksum.ini",
            &match &self.checksum_ini {
                Some(c) => format!(
                    "{} values{}{}",
                    c.entries,
                    c.tool
                        .as_deref()
                        .map(|t| format!(", SP Flash Tool {t}"))
                        .unwrap_or_default(),
                    if c.enabled { "" } else { ", switched off" }
                ),
                None => "none".into(),
            },
        );
        out += &label("preloader", &preloader_text(self.preloader.as_ref()));
        out += &label("LCM in LK", &names_text(&self.lcm.lk));
        out += &label("LCM kernel", &names_text(&self.lcm.kernel));

        out += &format!(
            "\n{:<PART_W$} {:<FILE_W$} {:>SIZE_W$} {:<FITS_W$} {:<SUM_W$} {}\n",
            "PARTITION", "FILE", "SIZE", "FITS", "CHECKSUM", "KIND"
        );
        for image in &self.images {
            out += &row(image);
        }

        let present: Vec<&ImageReport> = self.images.iter().filter(|i| i.present).collect();
        if !present.is_empty() {
            out += "\nSHA-256\n";
            for image in &present {
                out += &format!(
                    "{:<PART_W$} {}\n",
                    cut_keeping_end(&image.partition, PART_W),
                    image.sha256.as_deref().unwrap_or("-")
                );
            }
            let headers: Vec<String> = present
                .iter()
                .filter_map(|image| {
                    let text = detail_text(image.detail.as_ref()?)?;
                    Some(wrap(
                        &text,
                        &format!("{:<PART_W$} ", cut_keeping_end(&image.partition, PART_W)),
                        &" ".repeat(PART_W + 1),
                    ))
                })
                .collect();
            if !headers.is_empty() {
                out += "\nHEADERS\n";
                out += &headers.concat();
            }
        }

        let (errors, warnings) = (self.count(Severity::Error), self.count(Severity::Warning));
        if self.problems.is_empty() {
            out += "\nno problems found\n";
        } else {
            out += &format!("\n{errors} error(s), {warnings} warning(s)\n");
            for p in &self.problems {
                let tag = match p.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                let text = match &p.partition {
                    Some(part) => format!("{part}: {}", p.message),
                    None => p.message.clone(),
                };
                out += &wrap(&text, &format!("{tag:<8} "), &" ".repeat(9));
            }
        }
        out
    }
}

fn row(image: &ImageReport) -> String {
    let (size, fits, sum, kind) = if image.present {
        (
            mib_or_hex(image.size),
            match image.fits {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "?",
            },
            match image.checksum {
                Some(ChecksumStatus::Ok) => "ok",
                Some(ChecksumStatus::Mismatch) => "MISMATCH",
                _ => "-",
            },
            image.kind.clone().unwrap_or_default(),
        )
    } else {
        (
            if image.download { "MISSING" } else { "absent" }.to_owned(),
            "",
            "",
            String::new(),
        )
    };
    let line = format!(
        "{:<PART_W$} {:<FILE_W$} {:>SIZE_W$} {:<FITS_W$} {:<SUM_W$} {}",
        cut_keeping_end(&image.partition, PART_W),
        file_cell(&image.file),
        size,
        fits,
        sum,
        cut_keeping_end(&kind, KIND_W),
    );
    format!("{}\n", line.trim_end())
}

fn names_text(names: &[String]) -> String {
    if names.is_empty() {
        "none found".into()
    } else {
        names.join(", ")
    }
}

fn preloader_text(info: Option<&PreloaderFacts>) -> String {
    let Some(info) = info else {
        return "none".into();
    };
    let mut parts = vec![match &info.identity.project {
        Some(p) => format!("project {p}"),
        None => "project not found".into(),
    }];
    parts.push(match info.identity.emi_version {
        Some(v) => format!("EMI info v{v}"),
        None => "no EMI info".into(),
    });
    if info.layout == PreloaderLayout::EmmcBootReadback {
        parts.push("EMMC_BOOT readback".into());
    }
    let mut text = parts.join(", ");
    if info.ram_parts.is_empty() {
        text += "; RAM parts: none readable";
    }
    for part in &info.ram_parts {
        text += &format!("; RAM part: {}", part.describe());
    }
    text
}

/// One line about what an image's header says, when there is something to say.
fn detail_text(content: &ImageContent) -> Option<String> {
    Some(match content {
        ImageContent::Preloader(info) => match &info.gfh {
            Some(g) => format!(
                "GFH: {} record(s), load 0x{:X}, length 0x{:X} of max 0x{:X}, code at 0x{:X}",
                g.records.len(),
                g.file_info.load_addr,
                g.file_info.file_len,
                g.file_info.max_size,
                g.file_info.content_offset
            ),
            None => "preloader without a readable GFH".into(),
        },
        ImageContent::Mtk { header, .. } => format!(
            "MediaTek header {}, payload 0x{:X} bytes",
            header.name, header.payload_size
        ),
        ImageContent::AndroidBoot { header: h, kernel } => format!(
            "boot image: kernel 0x{:X} at 0x{:X} ({}), ramdisk 0x{:X} at 0x{:X}, page {}, \
             cmdline {}",
            h.kernel_size,
            h.kernel_addr,
            match kernel.as_ref().map(|k| k.payload) {
                Some(KernelPayload::Packed {
                    compression,
                    offset,
                }) => format!("{} at 0x{offset:X} of the zImage", compression.name()),
                Some(KernelPayload::Plain) => "not compressed".into(),
                None => "unreadable".into(),
            },
            h.ramdisk_size,
            h.ramdisk_addr,
            h.page_size,
            if h.cmdline.is_empty() {
                "empty".to_owned()
            } else {
                format!("{:?}", h.cmdline)
            }
        ),
        ImageContent::PartitionTable {
            resolved, table, ..
        } if resolved.is_empty() => table
            .entries
            .iter()
            .map(|e| {
                format!(
                    "type {:02X} at +0x{:X} from this table, len 0x{:X}",
                    e.type_code,
                    e.start_bytes(),
                    e.len_bytes()
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        ImageContent::PartitionTable { resolved, .. } => format!(
            "physical, in the user area: {}",
            resolved
                .iter()
                .map(|r| format!(
                    "type {:02X} at 0x{:X} len {}",
                    r.entry.type_code,
                    r.user_offset,
                    r.len.map_or("to the end".into(), |l| format!("0x{l:X}"))
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::{
        rom::{LcmReport, Problem, RomFacts},
        scatter::Storage,
    };

    fn image(partition: &str, file: &str, present: bool) -> ImageReport {
        ImageReport {
            partition: partition.into(),
            file: file.into(),
            download: true,
            present,
            size: present.then_some(0x3E760),
            partition_size: Some(0x60000),
            sha256: present.then(|| "ab".repeat(32)),
            fits: present.then_some(true),
            checksum16: present.then_some(0x1234),
            checksum: present.then_some(ChecksumStatus::Mismatch),
            kind: present.then(|| "mtk:LK".into()),
            detail: None,
        }
    }

    #[test]
    fn human_report_fits_80_columns() {
        let report = RomReport {
            package: "/a/rather/long/path/to/some/rom/folder/that/goes/on/and/on/forever.zip"
                .into(),
            container: "zip",
            facts: RomFacts {
                scatter: "ROM_FOLDER_WITH_A_LONG_NAME/MT6572_Android_scatter_emmc.txt".into(),
                platform: Some("MT6572".into()),
                project: Some("konka72_i128_emmc".into()),
                storage: Storage::Emmc,
                boot_region_size: Some(0x60_0000),
                layout: vec![],
                images: vec![
                    image(
                        "PRELOADER_LONG_NAME",
                        "preloader_konka72_i128_emmc_signed.bin",
                        true,
                    ),
                    image("ANDROID", "system.img", false),
                ],
                lcm: LcmReport {
                    lk: vec!["hx8369b_fwvga_dsi_vdo".into(); 6],
                    kernel: vec![],
                    kernel_compression: None,
                },
                preloader: None,
                checksum_ini: None,
                problems: vec![Problem {
                    severity: Severity::Error,
                    partition: Some("ANDROID".into()),
                    message: "word ".repeat(40),
                }],
            },
        };
        let text = report.human();
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        assert!(text.contains("MISSING"), "{text}");
        assert!(text.contains("MISMATCH"), "{text}");
        assert!(text.contains("1 error(s), 0 warning(s)"), "{text}");
    }

    #[test]
    fn the_preloader_line_lists_its_ram_parts() {
        let img = crate::firmware::synth::preloader("bench_demo", 11);
        let info = crate::firmware::preloader::scan(&img[..]).unwrap();
        let text = preloader_text(Some(&PreloaderFacts::from(&info)));
        assert!(
            text.starts_with("project bench_demo, EMI info v11"),
            "{text}"
        );
        assert!(
            text.contains("RAM part: eMMC + LPDDR2 MCP, 512 MiB in 1 rank, flash id"),
            "{text}"
        );
        let old = crate::firmware::synth::preloader("bench_demo", 10);
        let info = crate::firmware::preloader::scan(&old[..]).unwrap();
        assert!(
            info.emi_problem
                .as_deref()
                .unwrap()
                .contains("EMI version 10")
        );
        let text = preloader_text(Some(&PreloaderFacts::from(&info)));
        assert!(text.ends_with("RAM parts: none readable"), "{text}");
    }

    #[test]
    fn a_file_name_is_cut_as_scatter_show_cuts_it() {
        let name = "preloader_konka72_i128_emmc_signed.bin";
        let line = row(&image("PRELOADER", name, true));
        let cell = crate::cli::text::file_cell(name);
        assert!(line.contains(&format!(" {cell} ")), "{line}");
        assert_eq!(cell.chars().count(), FILE_W);
    }
}
