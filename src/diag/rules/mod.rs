//! The rule base of the boot-log analyzer, as data: which lines show how far a boot got (stage
//! markers), why it ended (endings), how long the bootloaders took (timings), which mode it
//! booted into (modes), and the findings, one rule per symptom.
//!
//! Everything comes from `rules.toml` (embedded with `include_str!`), parsed with
//! `deny_unknown_fields` and checked by small named checks that name the entry and the field.
//! It is compiled once into a matcher: an Aho-Corasick automaton over one literal that every
//! match of a pattern must contain (its "needle"), stepped once over each line, and only the
//! patterns whose needle occurs are confirmed by their regex. So adding a rule never slows the
//! scan of lines that cannot match it. Patterns are ASCII regexes (`\\w`, `\\d`, `.` and `(?i)`
//! work on bytes), which keeps their automata small: console logs are ASCII.
//!
//! This module does no I/O and knows nothing about files, inputs or boots.
//!
//! Layout: this file holds the vocabulary, the rule file's schema and the loading;
//! `checks.rs` the named checks and the message templates; `matcher.rs` the compiled
//! prefilter and regexes.

use std::{
    collections::{HashMap, HashSet},
    fmt,
    sync::OnceLock,
};

use aho_corasick::{Anchored, MatchKind, StartKind, automaton::Automaton, dfa::DFA};
use regex::bytes::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use super::DiagError;

mod checks;
mod matcher;

pub(crate) use checks::fill_template;
use checks::{
    check_has_ms_group, check_id_shape, check_markable_ending, check_not_empty, check_placeholders,
    check_unique_ids,
};
use matcher::required_literal;
pub(crate) use matcher::{Matcher, Owner};

/// The rule base shipped inside mtkbench.
pub const BUILTIN_RULES: &str = include_str!("../rules.toml");

/// The only `schema` value this build reads.
pub const SCHEMA: u32 = 1;

/// Shortest literal a pattern must contain, so that the prefilter stays selective.
const MIN_NEEDLE: usize = 3;

/// How far a boot got, in boot order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The preloader ran (DRAM set-up, storage init, loads LK).
    Preloader,
    /// LK, the second bootloader (display, battery check, loads boot.img).
    Lk,
    /// The Linux kernel started.
    Kernel,
    /// The kernel handed over to Android's init.
    Init,
    /// Zygote / system_server started.
    Zygote,
    /// Android reported the boot complete.
    BootCompleted,
}

impl Stage {
    /// Words for a technician.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Preloader => "preloader",
            Stage::Lk => "LK",
            Stage::Kernel => "kernel",
            Stage::Init => "init",
            Stage::Zygote => "zygote",
            Stage::BootCompleted => "boot completed",
        }
    }
}

/// Why a boot attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The kernel panicked.
    KernelPanic,
    /// A watchdog fired (the system stopped responding).
    WatchdogReset,
    /// A bootloader or the kernel turned the phone off because the battery was too low.
    LowBattery,
    /// An orderly power-off.
    PowerOff,
    /// A reboot requested by software (init, the framework, a tool).
    Reboot,
    /// A new boot started without the log saying why (inferred, not marked).
    Reset,
    /// The log stops before the boot completed (inferred, not marked).
    Hang,
    /// The boot completed and the log ends while it runs (inferred, not marked).
    Running,
}

impl EndReason {
    /// Words for a technician.
    pub fn label(self) -> &'static str {
        match self {
            EndReason::KernelPanic => "kernel panic",
            EndReason::WatchdogReset => "watchdog reset",
            EndReason::LowBattery => "low battery",
            EndReason::PowerOff => "power off",
            EndReason::Reboot => "reboot",
            EndReason::Reset => "reset, no reason",
            EndReason::Hang => "hang / log ends",
            EndReason::Running => "still running",
        }
    }

    /// True for the reasons a log line can show; the others are inferred by the analyzer.
    pub fn is_markable(self) -> bool {
        !matches!(
            self,
            EndReason::Reset | EndReason::Hang | EndReason::Running
        )
    }

    /// When several endings show in one boot the strongest explains it: a panic beats the
    /// watchdog reset it causes, which beats a plain reboot line.
    pub(crate) fn priority(self) -> u8 {
        match self {
            EndReason::KernelPanic => 7,
            EndReason::WatchdogReset => 6,
            EndReason::LowBattery => 5,
            EndReason::PowerOff => 4,
            EndReason::Reboot => 3,
            EndReason::Reset => 2,
            EndReason::Hang => 1,
            EndReason::Running => 0,
        }
    }
}

/// The mode a boot went into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BootMode {
    /// Normal Android boot.
    Normal,
    /// Recovery.
    Recovery,
    /// Power-off charging (the battery animation).
    Charger,
    /// Factory / engineering test mode.
    Factory,
    /// META mode (for factory tools).
    Meta,
    /// Fastboot.
    Fastboot,
    /// The download mode of LK.
    Download,
}

impl BootMode {
    /// Words for a technician.
    pub fn label(self) -> &'static str {
        match self {
            BootMode::Normal => "normal",
            BootMode::Recovery => "recovery",
            BootMode::Charger => "charger",
            BootMode::Factory => "factory",
            BootMode::Meta => "meta",
            BootMode::Fastboot => "fastboot",
            BootMode::Download => "download",
        }
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; not a fault by itself.
    Info,
    /// May cause trouble.
    Warning,
    /// A fault that stops part of the phone working.
    Error,
    /// The phone cannot boot (or show anything) until this is fixed.
    Critical,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        })
    }
}

/// What a rule's `min_count` counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountBy {
    /// Matching lines.
    #[default]
    Lines,
    /// Boot attempts with at least one matching line.
    Boots,
    /// Matching lines within one boot attempt: only boots with `min_count` lines count (one
    /// retried CRC error per boot is normal; many in one boot are not).
    LinesPerBoot,
}

/// Which bootloader a timing line measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimingPart {
    /// The preloader's own boot time.
    Preloader,
    /// LK's boot time.
    Lk,
}

/// One finding rule: a symptom, how to recognise it, what it means and how to fix it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable kebab-case id (`kernel-panic`).
    pub id: String,
    /// How serious it is.
    pub severity: Severity,
    /// One line; may hold `{group}` or `{group:default}` filled from the evidence.
    pub title: String,
    /// What it means for this phone; placeholders as in `title`.
    pub explanation: String,
    /// What to do; placeholders as in `title`.
    pub fix: String,
    /// Regexes; a line matching any of them is evidence and counts toward `min_count`.
    pub patterns: Vec<String>,
    /// Regexes for lines quoted (and used for placeholders) when the rule fires, but that do
    /// not trigger it.
    #[serde(default)]
    pub context: Vec<String>,
    /// Regexes that, when they match anywhere in the same boot, mean that boot's evidence does
    /// not count (for example a `[success]` line next to `[fail]` lines).
    #[serde(default)]
    pub unless: Vec<String>,
    /// How many lines (or boots, see `count`) it takes to fire.
    #[serde(default = "default_min_count")]
    pub min_count: u32,
    /// What `min_count` counts.
    #[serde(default)]
    pub count: CountBy,
    /// How many evidence lines a finding quotes at most.
    #[serde(default = "default_max_evidence")]
    pub max_evidence: u32,
}

fn default_min_count() -> u32 {
    1
}

fn default_max_evidence() -> u32 {
    5
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    schema: u32,
    #[serde(default)]
    stage: Vec<RawStage>,
    #[serde(default)]
    ending: Vec<RawEnding>,
    #[serde(default)]
    timing: Vec<RawTiming>,
    #[serde(default)]
    mode: Vec<RawMode>,
    #[serde(default)]
    rule: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    stage: Stage,
    /// Lines that only this stage prints.
    #[serde(default)]
    patterns: Vec<String>,
    /// Lines printed once per boot: seeing one twice means the phone restarted.
    #[serde(default)]
    restart: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnding {
    ended_by: EndReason,
    patterns: Vec<String>,
    /// The line is printed by the next boot about the one before it (a preloader's reset
    /// reason).
    #[serde(default)]
    previous_boot: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTiming {
    part: TimingPart,
    pattern: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMode {
    mode: BootMode,
    patterns: Vec<String>,
}

/// A loaded, checked and compiled rule base.
#[derive(Debug)]
pub struct RuleBase {
    rules: Vec<Rule>,
    pub(crate) matcher: Matcher,
    restart_markers: usize,
}

static BUILTIN: OnceLock<Result<RuleBase, DiagError>> = OnceLock::new();

impl RuleBase {
    /// The rule base shipped in this build, loaded and compiled on first use.
    pub fn builtin() -> Result<&'static RuleBase, DiagError> {
        match BUILTIN.get_or_init(|| RuleBase::from_toml(BUILTIN_RULES, "built-in rules.toml")) {
            Ok(rules) => Ok(rules),
            Err(e) => Err(e.clone()),
        }
    }

    /// Parses, checks and compiles a rule base; `origin` names it in error messages. Every
    /// problem is reported, not only the first.
    pub fn from_toml(text: &str, origin: &str) -> Result<RuleBase, DiagError> {
        let invalid = |problems: Vec<String>| DiagError::InvalidData {
            origin: origin.to_string(),
            what: "rule base",
            problems,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| invalid(vec![e.to_string()]))?;
        let mut b = Builder::default();
        if raw.schema != SCHEMA {
            b.problems.push(format!(
                "schema: this build reads schema {SCHEMA}, the file says {}",
                raw.schema
            ));
        }
        for (i, s) in raw.stage.iter().enumerate() {
            let at = format!("stage[{i}] ({})", s.stage.label());
            if s.patterns.is_empty() && s.restart.is_empty() {
                b.problems.push(format!(
                    "{at}: needs at least one of `patterns` or `restart`"
                ));
            }
            for (j, p) in s.patterns.iter().enumerate() {
                let owner = Owner::Stage {
                    stage: s.stage,
                    restart: None,
                };
                b.add(p, owner, &format!("{at}: patterns[{j}]"));
            }
            for (j, p) in s.restart.iter().enumerate() {
                let Ok(idx) = u16::try_from(b.restart_markers) else {
                    b.problems.push(format!("{at}: too many restart markers"));
                    break;
                };
                b.restart_markers += 1;
                let owner = Owner::Stage {
                    stage: s.stage,
                    restart: Some(idx),
                };
                b.add(p, owner, &format!("{at}: restart[{j}]"));
            }
        }
        for (i, e) in raw.ending.iter().enumerate() {
            let at = format!("ending[{i}] ({:?})", e.ended_by);
            check_markable_ending(&mut b.problems, &at, e.ended_by);
            check_not_empty(&mut b.problems, &at, "patterns", e.patterns.is_empty());
            for (j, p) in e.patterns.iter().enumerate() {
                let owner = Owner::Ending {
                    reason: e.ended_by,
                    previous_boot: e.previous_boot,
                };
                b.add(p, owner, &format!("{at}: patterns[{j}]"));
            }
        }
        for (i, t) in raw.timing.iter().enumerate() {
            let at = format!("timing[{i}]: pattern");
            if let Some(re) = b.add(&t.pattern, Owner::Timing(t.part), &at) {
                check_has_ms_group(&mut b.problems, &at, &re);
            }
        }
        for (i, m) in raw.mode.iter().enumerate() {
            let at = format!("mode[{i}] ({})", m.mode.label());
            check_not_empty(&mut b.problems, &at, "patterns", m.patterns.is_empty());
            for (j, p) in m.patterns.iter().enumerate() {
                b.add(p, Owner::Mode(m.mode), &format!("{at}: patterns[{j}]"));
            }
        }
        check_unique_ids(&mut b.problems, &raw.rule);
        for (i, rule) in raw.rule.iter().enumerate() {
            let Ok(idx) = u16::try_from(i) else {
                b.problems.push("too many rules".into());
                break;
            };
            b.add_rule(idx, rule);
        }
        if !b.problems.is_empty() {
            return Err(invalid(b.problems));
        }
        let matcher = b.compile().map_err(|e| invalid(vec![e]))?;
        Ok(RuleBase {
            rules: raw.rule,
            matcher,
            restart_markers: b.restart_markers,
        })
    }

    /// Every finding rule, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// How many once-per-boot (restart) stage markers there are.
    pub(crate) fn restart_markers(&self) -> usize {
        self.restart_markers
    }
}

#[derive(Default)]
struct Builder {
    problems: Vec<String>,
    needles: HashMap<Vec<u8>, usize>,
    by_needle: Vec<Vec<u32>>,
    regexes: Vec<Regex>,
    owners: Vec<Owner>,
    restart_markers: usize,
}

impl Builder {
    /// Compiles one pattern and files it under its prefilter literal. Returns the regex (a
    /// cheap shared handle), or `None` after recording why it cannot be used.
    fn add(&mut self, pattern: &str, owner: Owner, at: &str) -> Option<Regex> {
        let re = match RegexBuilder::new(pattern).unicode(false).build() {
            Ok(re) => re,
            Err(e) => {
                self.problems
                    .push(format!("{at}: `{pattern}` is not a valid regex: {e}"));
                return None;
            }
        };
        let Some(needle) = required_literal(pattern).filter(|n| n.len() >= MIN_NEEDLE) else {
            self.problems.push(format!(
                "{at}: `{pattern}` has no literal text of {MIN_NEEDLE}+ characters that every \
                 match contains; add one so the analyzer can find candidate lines quickly"
            ));
            return None;
        };
        if needle.iter().all(|b| b" <>[.0123456789".contains(b)) {
            self.problems.push(format!(
                "{at}: `{pattern}`'s literal text could sit inside a kernel clock \
                 (`<6>[  12.345678`), which the analyzer skips; add a letter or other sign"
            ));
            return None;
        }
        let id = u32::try_from(self.regexes.len()).ok()?;
        let slot = match self.needles.get(&needle) {
            Some(&slot) => slot,
            None => {
                self.by_needle.push(Vec::new());
                let slot = self.by_needle.len() - 1;
                self.needles.insert(needle, slot);
                slot
            }
        };
        self.by_needle[slot].push(id);
        self.regexes.push(re.clone());
        self.owners.push(owner);
        Some(re)
    }

    fn add_rule(&mut self, idx: u16, rule: &Rule) {
        let at = format!("rule `{}`", rule.id);
        check_id_shape(&mut self.problems, &at, &rule.id);
        for (field, text) in [
            ("title", &rule.title),
            ("explanation", &rule.explanation),
            ("fix", &rule.fix),
        ] {
            check_not_empty(&mut self.problems, &at, field, text.trim().is_empty());
        }
        check_not_empty(
            &mut self.problems,
            &at,
            "patterns",
            rule.patterns.is_empty(),
        );
        if rule.min_count == 0 {
            self.problems
                .push(format!("{at}: min_count must be 1 or more"));
        }
        if !(1..=50).contains(&rule.max_evidence) {
            self.problems
                .push(format!("{at}: max_evidence must be between 1 and 50"));
        }
        let mut trigger_groups: Vec<HashSet<String>> = Vec::new();
        let mut any_groups = HashSet::new();
        for (j, p) in rule.patterns.iter().enumerate() {
            if let Some(re) = self.add(p, Owner::Trigger(idx), &format!("{at}: patterns[{j}]")) {
                let names: HashSet<String> =
                    re.capture_names().flatten().map(str::to_string).collect();
                any_groups.extend(names.iter().cloned());
                trigger_groups.push(names);
            }
        }
        for (j, p) in rule.context.iter().enumerate() {
            if let Some(re) = self.add(p, Owner::Context(idx), &format!("{at}: context[{j}]")) {
                any_groups.extend(re.capture_names().flatten().map(str::to_string));
            }
        }
        for (j, p) in rule.unless.iter().enumerate() {
            self.add(p, Owner::Unless(idx), &format!("{at}: unless[{j}]"));
        }
        for (field, text) in [
            ("title", &rule.title),
            ("explanation", &rule.explanation),
            ("fix", &rule.fix),
        ] {
            check_placeholders(
                &mut self.problems,
                &format!("{at}: {field}"),
                text,
                &any_groups,
                &trigger_groups,
            );
        }
    }

    fn compile(&self) -> Result<Matcher, String> {
        let mut needles: Vec<&[u8]> = vec![&[]; self.by_needle.len()];
        for (needle, &slot) in &self.needles {
            needles[slot] = needle;
        }
        let prefilter = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .build(&needles)
            .map_err(|e| format!("cannot build the prefilter: {e}"))?;
        let start = prefilter
            .start_state(Anchored::No)
            .map_err(|e| format!("cannot start the prefilter: {e}"))?;
        Ok(Matcher {
            prefilter,
            start,
            by_needle: self.by_needle.clone(),
            regexes: self.regexes.clone(),
            owners: self.owners.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rule_base_loads() {
        let rules = RuleBase::builtin().unwrap();
        assert!(rules.rules().len() >= 20);
        assert!(rules.rule("kernel-panic").is_some());
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let text = r#"
            schema = 1
            [[rule]]
            id = "Bad_Id"
            severity = "error"
            title = "x {missing}"
            explanation = "e"
            fix = ""
            patterns = ["(unclosed", ".*"]
            [[ending]]
            ended_by = "hang"
            patterns = ["hung up here"]
        "#;
        let err = RuleBase::from_toml(text, "test.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rule `Bad_Id`: id must be kebab-case"),
            "{err}"
        );
        assert!(err.contains("`fix` must not be empty"), "{err}");
        assert!(
            err.contains("patterns[0]: `(unclosed` is not a valid regex"),
            "{err}"
        );
        assert!(
            err.contains("patterns[1]: `.*` has no literal text"),
            "{err}"
        );
        assert!(err.contains("`{missing}` names no group"), "{err}");
        assert!(err.contains("`hang / log ends` is inferred"), "{err}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = "schema = 1\n[[rule]]\nid = \"a\"\nseverity = \"info\"\ntitle = \"t\"\n\
                    explanation = \"e\"\nfix = \"f\"\npatterns = [\"abc\"]\npatern = 1\n";
        let err = RuleBase::from_toml(text, "t").unwrap_err().to_string();
        assert!(err.contains("patern"), "{err}");
    }
}
