//! `mtkbench doctor [--udev-rule]`: check this computer for what breaks flashing before a
//! phone is plugged in, and print the exact commands that fix it.
//!
//! The checks are [`crate::diag::doctor`]'s; this file only renders them. It must never run
//! the fixes itself or open a port.

use clap::Args;
use serde::Serialize;

use super::text::{WIDTH, wrap_indented};
use crate::{
    Result,
    cli::{Ctx, Report, emit},
    diag::doctor::{self, CheckResult, HostFacts, Problem, UDEV_RULE_PATH},
};

/// Arguments of `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print only the udev rule that keeps ModemManager off MediaTek ports and gives access to
    /// them (pipe it into `sudo tee /etc/udev/rules.d/70-mtkbench.rules`).
    #[arg(long)]
    pub udev_rule: bool,
}

/// Runs `doctor`.
pub fn run(args: DoctorArgs, ctx: &Ctx) -> Result<()> {
    let facts = HostFacts::gather();
    if args.udev_rule {
        let group = facts.serial_group.as_deref().unwrap_or("dialout");
        return emit(
            ctx,
            &UdevRuleReport {
                path: UDEV_RULE_PATH,
                rule: doctor::udev_rule(group),
            },
        );
    }
    emit(
        ctx,
        &DoctorReport {
            os: facts.os.clone(),
            checked: doctor::applies(&facts),
            problems: doctor::check(&facts),
            checks: doctor::checks(&facts),
        },
    )
}

/// The result of `doctor`.
#[derive(Debug, Serialize)]
pub struct DoctorReport {
    /// The operating system.
    pub os: String,
    /// False off Linux, where the checks do not apply.
    pub checked: bool,
    /// What is wrong, most disruptive first.
    pub problems: Vec<Problem>,
    /// Every check made, with what it looked at and its result (ok, problem or skipped).
    pub checks: Vec<CheckResult>,
}

impl Report for DoctorReport {
    fn human(&self) -> String {
        if !self.checked {
            return format!(
                "The host checks are Linux-only (this is {}); nothing to check here.\n",
                self.os
            );
        }
        if self.problems.is_empty() {
            return wrap_indented(
                "No problems found: ModemManager, udev rules, serial-port group, cdc_acm and \
                 brltty are all fine for flashing.",
                WIDTH,
                "",
            );
        }
        let mut out = format!(
            "Host problems that break flashing: {}\n",
            self.problems.len()
        );
        for p in &self.problems {
            out.push('\n');
            let level = match p.level {
                doctor::Level::Error => "ERROR",
                doctor::Level::Warning => "WARNING",
            };
            out.push_str(&wrap_indented(
                &format!("[{level}] {} ({})", p.title, p.id),
                WIDTH,
                "",
            ));
            out.push_str(&wrap_indented(
                &format!("Breaks: {}", p.breaks),
                WIDTH,
                "  ",
            ));
            out.push_str(&wrap_indented(&format!("Found: {}", p.found), WIDTH, "  "));
            out.push_str("  Fix:\n");
            for step in &p.fix {
                out.push_str(&format!("    {step}\n"));
            }
        }
        out
    }
}

/// The result of `doctor --udev-rule`.
#[derive(Debug, Serialize)]
pub struct UdevRuleReport {
    /// Where to install it.
    pub path: &'static str,
    /// The rule file's text.
    pub rule: String,
}

impl Report for UdevRuleReport {
    fn human(&self) -> String {
        self.rule.clone()
    }
}
