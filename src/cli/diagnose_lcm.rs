//! `mtkbench diagnose lcm --rom DIR|ZIP (--port P | --profile ID | --lcm NAME | --uboot FILE |
//! --log FILE)`: will this ROM light this phone's screen?
//!
//! The check lives in [`crate::diag::lcm`] and the ROM inspection in
//! [`crate::firmware::rom`]; this file gathers the evidence the flags name, and lays the verdict
//! out for an 80-column terminal: the outcome in words first, then the evidence, then the fix.
//! With `--port` it runs [`crate::job::flows::lcm_probe`]: the phone's own UBOOT, and its
//! BOOTIMG when the fix would keep the phone's kernel, then the phone is rebooted and the same
//! check runs. It must not compare names, parse images or talk to the phone itself.

use std::{
    io::{BufReader, Seek},
    path::PathBuf,
};

use clap::{ArgGroup, Args};
use serde::Serialize;

use super::device::{DeviceArgs, start, warn_if_not_rebooted};
use crate::{
    Result,
    cli::{
        Ctx, Report, emit,
        text::{cut_keeping_end, labelled, wrap},
    },
    diag::lcm::{self, Drivers, LcmFacts, LcmVerdict, Outcome, PanelEvidence},
    error::HostError,
    firmware::{
        board::{self, BoardFacts, BoardFinding},
        facts::RomFacts,
        rom,
    },
    job::flows::{self, PhoneBoot},
    profile::Registry,
};

/// Arguments of `mtkbench diagnose lcm`: the ROM, and one source for the phone's panel.
#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("panel")
        .required(true)
        .args(["port", "profile", "lcm", "uboot", "log"])
))]
#[command(mut_arg("port", |a| a.required(false).help(
    "Read the panel drivers from the phone itself: its own UBOOT (and BOOTIMG when that \
     matters) on this port (`/dev/ttyACM0`), or `auto` to wait for the phone; reboots it after"
)))]
pub struct LcmArgs {
    /// The ROM package: its folder, its .zip, or its scatter file.
    #[arg(long, value_name = "DIR|ZIP")]
    pub rom: PathBuf,
    /// How to reach the phone, when the evidence is read from it.
    #[command(flatten)]
    pub device: Option<DeviceArgs>,
    /// Take the panel drivers from this board profile (`mtkbench profiles list`).
    #[arg(long, value_name = "ID")]
    pub profile: Option<String>,
    /// The panel driver name, as LK reports it (`st7701_wvga_dsi_vdo`, `1-st7701_wvga_dsi_vdo`);
    /// repeat it or separate with commas for "one of these".
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub lcm: Vec<String>,
    /// The phone's own UBOOT (lk) read back earlier: its drivers are the candidates.
    #[arg(long, value_name = "FILE")]
    pub uboot: Option<PathBuf>,
    /// A boot log (UART, dmesg, last_kmsg, /proc/cmdline, MTK Droid Tools phone.info): the
    /// panel is taken from `lcm=1-<name>` and LCM detection lines.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}

/// Runs `mtkbench diagnose lcm`. The prediction is the report, whatever it is: the exit code
/// is 0 whenever the check could run.
pub fn run(args: LcmArgs, ctx: &Ctx) -> Result<()> {
    let (evidence, facts) = match &args.device {
        // The ROM first: the phone's download port lives only seconds.
        Some(device) => {
            let facts = rom_facts(&args, ctx)?;
            (phone_evidence(device, ctx, &facts.lcm)?, facts)
        }
        None => {
            let evidence = evidence(&args, ctx)?;
            (evidence, rom_facts(&args, ctx)?)
        }
    };
    let verdict = lcm::check(&evidence, &facts.lcm)
        .with_rom_errors(&facts.rom)
        .for_board(facts.board);
    emit(
        ctx,
        &LcmReport {
            rom: args.rom,
            verdict,
        },
    )
}

/// What the check needs from the ROM: its display drivers, its facts, and how it differs from
/// the board when the board is known (`--profile`).
struct RomSide {
    lcm: LcmFacts,
    rom: RomFacts,
    board: Vec<BoardFinding>,
}

fn rom_facts(args: &LcmArgs, ctx: &Ctx) -> Result<RomSide> {
    if !ctx.json {
        eprintln!("reading {} ...", args.rom.display());
    }
    let report = rom::inspect(&args.rom)?;
    let board = match &args.profile {
        Some(id) => {
            let (registry, _refused) = Registry::load(&ctx.places.user_profiles());
            let profile = &registry.require(id)?.profile;
            board::check(&report.facts, &BoardFacts::from(profile))
        }
        None => Vec::new(),
    };
    Ok(RomSide {
        lcm: LcmFacts::from_report(&report),
        rom: report.facts,
        board,
    })
}

/// The panel evidence the one given flag names (all but `--port`).
fn evidence(args: &LcmArgs, ctx: &Ctx) -> Result<PanelEvidence> {
    if let Some(id) = &args.profile {
        let (registry, _refused) = Registry::load(&ctx.places.user_profiles());
        return Ok(PanelEvidence::from_profile(&registry.require(id)?.profile));
    }
    if let Some(path) = &args.uboot {
        return lcm::uboot_evidence(path);
    }
    if let Some(path) = &args.log {
        return lcm::log_evidence(path);
    }
    Ok(PanelEvidence::by_hand(&args.lcm)?)
}

/// Reads the panel evidence from the phone itself ([`flows::lcm_probe`]); the phone's own
/// kernel is looked at after the phone was rebooted.
fn phone_evidence(device: &DeviceArgs, ctx: &Ctx, facts: &LcmFacts) -> Result<PanelEvidence> {
    // Made before the phone is caught: a full temporary folder is found first.
    let mut boot_copy = tempfile::tempfile()
        .map_err(|e| HostError::io("create a temporary file in", std::env::temp_dir(), e))?;
    let done = start(device, ctx)?.run(|phone| flows::lcm_probe(phone, facts, &mut boot_copy))?;
    warn_if_not_rebooted(&done);
    let port = &done.port;
    let (evidence, boot) = done.value;
    let origin = format!("phone's own BOOTIMG read over {port}");
    let drivers = match boot {
        PhoneBoot::NotNeeded => return Ok(evidence),
        PhoneBoot::Absent => {
            Drivers::Unknown("the phone's partition table names no BOOTIMG".into())
        }
        PhoneBoot::Copied => {
            boot_copy.rewind().map_err(|e| {
                HostError::io("read the copy of BOOTIMG in", std::env::temp_dir(), e)
            })?;
            lcm::boot_image_drivers(BufReader::new(boot_copy), "the phone's BOOTIMG")
        }
    };
    Ok(evidence.with_phone_kernel(&origin, drivers))
}

/// What `diagnose lcm` prints: the ROM checked and the verdict.
#[derive(Debug, Serialize)]
pub struct LcmReport {
    /// The ROM package as given.
    #[serde(serialize_with = "crate::fsutil::lossy")]
    pub rom: PathBuf,
    /// The verdict (its fields are at the top level of the JSON).
    #[serde(flatten)]
    pub verdict: LcmVerdict,
}

const LABEL_W: usize = 13;

fn list_or(names: &[String], unknown: Option<&str>) -> String {
    if names.is_empty() {
        format!("not known: {}", unknown.unwrap_or("no driver name found"))
    } else {
        names.join(", ")
    }
}

impl Report for LcmReport {
    fn human(&self) -> String {
        let v = &self.verdict;
        let pad = " ".repeat(LABEL_W);
        let label = |name: &str, text: &str| labelled(name, LABEL_W, text);
        let mut out = String::new();
        if !v.not_for_board.is_empty() {
            out += "NOT FOR THIS BOARD\n";
            for f in &v.not_for_board {
                out += &wrap(&f.message, "  - ", "    ");
            }
            out.push('\n');
        }
        if !v.rom_errors.is_empty() {
            out += "The ROM's display images have errors (as `rom inspect` reports them):\n";
            for e in &v.rom_errors {
                out += &wrap(e, "  - ", "    ");
            }
            out.push('\n');
        }
        out += &wrap(&v.explanation, "", "");
        out.push('\n');
        let ev = &v.evidence;
        let panel = match (&v.panel, ev.names.as_slice()) {
            (Some(p), _) => p.clone(),
            (None, []) => "not known".into(),
            (None, many) => format!("one of {}", many.join(", ")),
        };
        out += &label("Panel", &panel);
        let source = ev.source.words();
        out += &label(
            "Evidence",
            &if ev.origin == source {
                ev.origin.clone()
            } else {
                format!("{} ({source})", ev.origin)
            },
        );
        for note in &ev.notes {
            out += &wrap(note, &format!("{pad}- "), &format!("{pad}  "));
        }
        out += &label(
            "ROM",
            &cut_keeping_end(&self.rom.display().to_string(), 80 - LABEL_W),
        );
        out += &label("ROM lk", &list_or(&v.lk, v.lk_unknown.as_deref()));
        out += &label(
            "ROM kernel",
            &list_or(&v.kernel, v.kernel_unknown.as_deref()),
        );
        let differ = v
            .candidates
            .iter()
            .any(|c| c.outcome != v.candidates[0].outcome);
        if differ {
            out += "\nPer driver, if it is the phone's panel:\n";
            for c in &v.candidates {
                let outcome = match c.outcome {
                    Outcome::Unknown => "cannot tell".to_string(),
                    o => o.words().to_lowercase(),
                };
                out += &wrap(&format!("{}: {outcome}", c.name), "  ", "      ");
            }
        }
        if !v.missing.is_empty() {
            out += "\nMissing evidence:\n";
            for m in &v.missing {
                out += &wrap(&m.why, "  - ", "    ");
                out += &wrap(&format!("next: {}", m.how), "    ", "      ");
            }
        }
        if !v.fix.is_empty() {
            out += "\nFix:\n";
            for (i, f) in v.fix.iter().enumerate() {
                let first = format!("  {}. ", i + 1);
                out += &wrap(&capitalised(f.advice()), &first, "     ");
            }
        }
        out
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::lcm::Drivers;

    fn report(evidence: &PanelEvidence, facts: &LcmFacts) -> LcmReport {
        LcmReport {
            rom: PathBuf::from(format!(
                "/srv/roms/{}/A516_S118_stock_rom.zip",
                "x".repeat(90)
            )),
            verdict: lcm::check(evidence, facts),
        }
    }

    #[test]
    fn human_report_speaks_outcome_first_and_fits_80_columns() {
        let names = |n: &[&str]| Drivers::Listed(n.iter().map(|s| s.to_string()).collect());
        let facts = LcmFacts {
            lk: names(&["hx8369b_fwvga_dsi_vdo", "otm8018b_dsi_vdo"]),
            kernel: Drivers::Unknown("boot.img (BOOTIMG) is missing from the package".into()),
        };
        let ev = PanelEvidence::by_hand(&["ili9806e_fwvga_dsi_vdo"]).unwrap();
        let text = report(&ev, &facts).human();
        assert!(
            text.starts_with(
                "White screen from the boot logo on: this ROM's lk has no driver for\n\
                 ili9806e_fwvga_dsi_vdo."
            ),
            "{text}"
        );
        assert!(text.contains("\nFix:\n  1. Flash this ROM without UBOOT and BOOTIMG"));
        assert!(text.contains("ROM kernel   not known: boot.img"), "{text}");
        let long = PanelEvidence::by_hand(&[
            "otm8009_jingtai_JTD040347S_HSD_WVGA_MCU18",
            "hx8369b_fwvga_dsi_vdo",
        ])
        .unwrap();
        let facts = LcmFacts {
            lk: names(&["hx8369b_fwvga_dsi_vdo"]),
            kernel: names(&["hx8369b_fwvga_dsi_vdo", "nt35510_dsi_cmd_6572"]),
        };
        let text = report(&long, &facts).human();
        assert!(text.starts_with("Cannot tell: "), "{text}");
        assert!(text.contains("Per driver"), "{text}");
        assert!(text.contains("Missing evidence:"), "{text}");
        for t in [&text, &report(&ev, &facts).human()] {
            assert!(t.lines().all(|l| l.chars().count() <= 80), "{t}");
        }
    }

    #[test]
    fn json_has_the_issue_keys_at_the_top() {
        let ev = PanelEvidence::by_hand(&["st7701_wvga_dsi_vdo"]).unwrap();
        let facts = LcmFacts {
            lk: Drivers::Listed(vec!["st7701_wvga_dsi_vdo".into()]),
            kernel: Drivers::Listed(vec!["st7701_wvga_dsi_vdo".into()]),
        };
        let json = serde_json::to_value(report(&ev, &facts)).unwrap();
        assert_eq!(json["outcome"], "works");
        assert_eq!(json["panel"], "st7701_wvga_dsi_vdo");
        for key in ["lk", "kernel", "explanation", "fix", "evidence", "rom"] {
            assert!(json.get(key).is_some(), "{key}");
        }
        assert_eq!(json["evidence"]["source"], "by-hand");
    }
}
