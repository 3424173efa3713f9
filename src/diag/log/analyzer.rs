//! The streaming analyzer: lines in, boots and rule hits out.
//!
//! Boot splitting (all marker patterns come from the rule base):
//! - a stage marker for preloader, LK or kernel seen after the boot got further means the phone
//!   restarted (the kernel's own later lines never split: only bootloaders and the kernel's
//!   start do);
//! - a once-per-boot ("restart") marker seen a second time means the phone restarted within
//!   the same stage (a preloader that resets over and over);
//! - the kernel clock going back to zero means a new kernel boot (concatenated dmesg);
//! - an input of a kind with boots opens its first boot at the first marker or clock.
//!
//! Evidence is kept per boot (at most a rule's `max_evidence` lines each), so memory grows
//! with boots and findings, not with the size of the log. No I/O here: bytes come in through
//! [`Analyzer::push_bytes`] / [`Analyzer::push_line`], whoever reads them.
//!
//! A live view (a UART capture) asks for [`Analyzer::snapshot`] while the log still streams,
//! and only when [`Analyzer::revision`] moved, so a quiet stretch of log costs nothing.

use std::collections::BTreeMap;

use super::{
    Analysis, Boot, Evidence, Finding, InputSummary, LogKind,
    lines::{LineSplitter, is_logcat_line, kernel_clock, logcat_time_ms, quote},
};
use crate::diag::rules::{BootMode, CountBy, EndReason, Owner, RuleBase, Stage, TimingPart};

/// Longest quoted line, in characters.
const QUOTE_CHARS: usize = 300;

/// A kernel clock this far behind the last one (or back at zero) starts a new boot.
const CLOCK_BACKSTEP_US: u64 = 1_000_000;

/// Feeds lines or bytes of one or more inputs through a rule base.
///
/// ```
/// use mtkbench::diag::{log::{Analyzer, LogKind}, rules::RuleBase};
/// let rules = RuleBase::builtin().unwrap();
/// let mut a = Analyzer::new(rules);
/// a.begin_input("uart", LogKind::Uart);
/// a.push_bytes(b"[PLFM] Init I2C: OK(0)\n<0>[    2.5] Kernel panic - not syncing: oops\n");
/// let analysis = a.finish();
/// assert_eq!(analysis.boots.len(), 1);
/// assert!(analysis.finding("kernel-panic").is_some());
/// ```
#[derive(Debug)]
pub struct Analyzer<'r> {
    rules: &'r RuleBase,
    inputs: Vec<InputSummary>,
    boots: Vec<BootState>,
    segments: Vec<Segment>,
    hits: BTreeMap<(u16, u32), RuleSegment>,
    cursor: Option<Cursor>,
    matched: Vec<u32>,
    revision: u64,
}

/// Where the analyzer is in the current input.
#[derive(Debug)]
struct Cursor {
    input: usize,
    kind: LogKind,
    splitter: LineSplitter,
    line: u64,
    segment: Option<u32>,
    boot: Option<usize>,
    previous_boot: Option<usize>,
    seen_restart: Vec<bool>,
}

/// A stretch of one input that rule evidence is counted in: one boot, or the lines of an
/// input that belong to no boot.
#[derive(Debug)]
struct Segment {
    boot: Option<usize>,
}

#[derive(Debug)]
struct BootState {
    input: usize,
    start_line: u64,
    end_line: u64,
    reached: Stage,
    mode: Option<BootMode>,
    ended: Option<(EndReason, Evidence)>,
    preloader_ms: Option<u64>,
    lk_ms: Option<u64>,
    kernel_last_us: Option<u64>,
    logcat_first_ms: Option<u64>,
    logcat_last_ms: Option<u64>,
}

#[derive(Debug, Default)]
struct RuleSegment {
    count: u64,
    triggers: Vec<Hit>,
    context: Vec<Hit>,
    unless: bool,
}

#[derive(Debug, Clone)]
struct Hit {
    input: usize,
    line: u64,
    text: String,
    pattern: u32,
}

impl<'r> Analyzer<'r> {
    /// An analyzer over `rules`, with no input yet.
    pub fn new(rules: &'r RuleBase) -> Analyzer<'r> {
        Analyzer {
            rules,
            inputs: Vec::new(),
            boots: Vec::new(),
            segments: Vec::new(),
            hits: BTreeMap::new(),
            cursor: None,
            matched: Vec::new(),
            revision: 0,
        }
    }

    /// Starts a new input (ending the current one). `path` is how it is named in the analysis.
    pub fn begin_input(&mut self, path: &str, kind: LogKind) {
        self.end_input();
        self.inputs.push(InputSummary {
            path: path.to_string(),
            kind,
            lines: 0,
            bytes: 0,
        });
        self.cursor = Some(Cursor {
            input: self.inputs.len() - 1,
            kind,
            splitter: LineSplitter::new(kind.is_binary()),
            line: 0,
            segment: None,
            boot: None,
            previous_boot: None,
            seen_restart: vec![false; self.rules.restart_markers()],
        });
    }

    /// Feeds raw bytes of the current input, in chunks of any size (a partial line waits for
    /// the next chunk). Starts an unnamed text input if none was begun.
    pub fn push_bytes(&mut self, chunk: &[u8]) {
        self.ensure_input();
        let Some(cursor) = self.cursor.as_mut() else {
            return;
        };
        self.inputs[cursor.input].bytes += chunk.len() as u64;
        let mut splitter = std::mem::take(&mut cursor.splitter);
        splitter.push(chunk, |line| self.line(line));
        if let Some(cursor) = self.cursor.as_mut() {
            cursor.splitter = splitter;
        }
    }

    /// Feeds one complete line (without its line break) of the current input.
    pub fn push_line(&mut self, line: &[u8]) {
        self.ensure_input();
        if let Some(cursor) = &self.cursor {
            self.inputs[cursor.input].bytes += line.len() as u64 + 1;
        }
        self.line(line);
    }

    /// Ends the current input: its last unterminated line is analysed.
    pub fn end_input(&mut self) {
        let Some(cursor) = self.cursor.as_mut() else {
            return;
        };
        let mut splitter = std::mem::take(&mut cursor.splitter);
        splitter.finish(|line| self.line(line));
        self.cursor = None;
    }

    /// Ends the last input and returns what was found.
    pub fn finish(mut self) -> Analysis {
        self.end_input();
        self.snapshot()
    }

    /// What was found so far, without ending the input: the line still waiting for its line
    /// break is not in it, and the boot in progress shows as ending in a hang until a later
    /// line says otherwise.
    pub fn snapshot(&self) -> Analysis {
        Analysis {
            inputs: self.inputs.clone(),
            boots: self.boots_out(),
            findings: self.findings_out(),
        }
    }

    /// A counter that moves whenever a line may have changed the boots or the findings of
    /// [`Analyzer::snapshot`] (a boot started or got further, a rule pattern matched); lines
    /// that match nothing leave it alone.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    fn ensure_input(&mut self) {
        if self.cursor.is_none() {
            self.begin_input("(stream)", LogKind::Text);
        }
    }

    fn line(&mut self, line: &[u8]) {
        let rules = self.rules;
        let Some(cursor) = self.cursor.as_mut() else {
            return;
        };
        cursor.line += 1;
        let n = cursor.line;
        let kind = cursor.kind;
        self.inputs[cursor.input].lines = n;

        let clock = match kind {
            LogKind::Logcat | LogKind::SpFlashTool | LogKind::Transcript => None,
            _ => kernel_clock(line),
        };
        let kernel_us = clock.map(|c| c.us);
        let logcat_ms = (kind == LogKind::Logcat)
            .then(|| logcat_time_ms(line))
            .flatten();
        if let (Some(ts), Some(boot)) = (kernel_us, cursor.boot)
            && let Some(last) = self.boots[boot].kernel_last_us
            && (ts + CLOCK_BACKSTEP_US < last || (ts == 0 && last > 0))
        {
            self.start_boot(n, Stage::Kernel);
        }

        let mut matched = std::mem::take(&mut self.matched);
        // No needle lies inside the clock (the rule base checks it), so skip it; keep its `]`.
        rules
            .matcher
            .scan(line, clock.map_or(0, |c| c.end), &mut matched);

        if kind.has_boots() {
            for &p in &matched {
                if let Owner::Stage { stage, restart } = rules.matcher.owner(p) {
                    self.stage_marker(n, stage, restart);
                }
            }
            let implied = if kernel_us.is_some() {
                Some(Stage::Kernel)
            } else if kind == LogKind::Logcat && is_logcat_line(line) {
                Some(Stage::Init)
            } else {
                None
            };
            if let Some(stage) = implied {
                match self.open_boot() {
                    None => self.start_boot(n, stage),
                    Some(b) if self.boots[b].reached < stage => {
                        self.boots[b].reached = stage;
                        self.revision += 1;
                    }
                    Some(_) => {}
                }
            }
            if let Some(b) = self.open_boot() {
                let boot = &mut self.boots[b];
                boot.end_line = n;
                if kernel_us.is_some() {
                    boot.kernel_last_us = kernel_us;
                }
                if let Some(ms) = logcat_ms {
                    boot.logcat_first_ms.get_or_insert(ms);
                    boot.logcat_last_ms = Some(ms);
                }
            }
        }

        for &p in &matched {
            match rules.matcher.owner(p) {
                Owner::Stage { .. } => {}
                Owner::Ending {
                    reason,
                    previous_boot,
                } => self.ending(n, line, reason, previous_boot),
                Owner::Timing(part) => self.timing(line, p, part),
                Owner::Mode(mode) => {
                    if let Some(b) = self.open_boot() {
                        self.boots[b].mode.get_or_insert(mode);
                    }
                }
                Owner::Trigger(rule) => {
                    let max = self.max_evidence(rule);
                    let hit = self.hit(n, line, p);
                    let seg = self.rule_segment(rule);
                    seg.count += 1;
                    if seg.triggers.len() < max {
                        seg.triggers.push(hit);
                    }
                }
                Owner::Context(rule) => {
                    let max = self.max_evidence(rule);
                    let hit = self.hit(n, line, p);
                    let seg = self.rule_segment(rule);
                    if seg.context.len() < max {
                        seg.context.push(hit);
                    }
                }
                Owner::Unless(rule) => self.rule_segment(rule).unless = true,
            }
        }
        if !matched.is_empty() {
            self.revision += 1;
        }
        self.matched = matched;
    }

    fn open_boot(&self) -> Option<usize> {
        self.cursor.as_ref().and_then(|c| c.boot)
    }

    fn start_boot(&mut self, n: u64, stage: Stage) {
        let Some(cursor) = self.cursor.as_mut() else {
            return;
        };
        cursor.previous_boot = cursor.boot;
        self.boots.push(BootState {
            input: cursor.input,
            start_line: n,
            end_line: n,
            reached: stage,
            mode: None,
            ended: None,
            preloader_ms: None,
            lk_ms: None,
            kernel_last_us: None,
            logcat_first_ms: None,
            logcat_last_ms: None,
        });
        cursor.boot = Some(self.boots.len() - 1);
        cursor.segment = None;
        cursor.seen_restart.fill(false);
        self.revision += 1;
    }

    fn stage_marker(&mut self, n: u64, stage: Stage, restart: Option<u16>) {
        let restart = restart.map(usize::from);
        match self.cursor.as_ref().and_then(|c| c.boot.map(|b| (c, b))) {
            None => self.start_boot(n, stage),
            Some((cursor, b)) => {
                let backwards = stage <= Stage::Kernel && stage < self.boots[b].reached;
                let repeated = restart.is_some_and(|r| cursor.seen_restart[r]);
                if backwards || repeated {
                    self.start_boot(n, stage);
                }
            }
        }
        let Some(cursor) = self.cursor.as_mut() else {
            return;
        };
        if let Some(b) = cursor.boot {
            self.boots[b].reached = self.boots[b].reached.max(stage);
        }
        if let Some(r) = restart {
            cursor.seen_restart[r] = true;
        }
    }

    fn ending(&mut self, n: u64, line: &[u8], reason: EndReason, previous_boot: bool) {
        let Some(cursor) = self.cursor.as_ref() else {
            return;
        };
        let target = if previous_boot {
            cursor.previous_boot
        } else {
            cursor.boot
        };
        let Some(b) = target else {
            return;
        };
        let evidence = Evidence {
            input: cursor.input,
            line: n,
            text: quote(line, QUOTE_CHARS),
        };
        let boot = &mut self.boots[b];
        let replace = match &boot.ended {
            None => true,
            Some(_) if previous_boot => false,
            Some((old, _)) => reason.priority() > old.priority(),
        };
        if replace {
            boot.ended = Some((reason, evidence));
        }
    }

    fn timing(&mut self, line: &[u8], pattern: u32, part: TimingPart) {
        let Some(b) = self.open_boot() else {
            return;
        };
        let ms = self
            .rules
            .matcher
            .regex(pattern)
            .captures(line)
            .and_then(|c| c.name("ms"))
            .and_then(|m| std::str::from_utf8(m.as_bytes()).ok()?.parse::<u64>().ok());
        let boot = &mut self.boots[b];
        match part {
            TimingPart::Preloader => boot.preloader_ms = ms.or(boot.preloader_ms),
            TimingPart::Lk => boot.lk_ms = ms.or(boot.lk_ms),
        }
    }

    fn max_evidence(&self, rule: u16) -> usize {
        self.rules.rules()[usize::from(rule)].max_evidence as usize
    }

    fn hit(&self, n: u64, line: &[u8], pattern: u32) -> Hit {
        Hit {
            input: self.cursor.as_ref().map_or(0, |c| c.input),
            line: n,
            text: quote(line, QUOTE_CHARS),
            pattern,
        }
    }

    /// The evidence record of `rule` in the current segment (created on first use).
    fn rule_segment(&mut self, rule: u16) -> &mut RuleSegment {
        let segment = match self.cursor.as_mut() {
            Some(cursor) => match cursor.segment {
                Some(s) => s,
                None => {
                    self.segments.push(Segment { boot: cursor.boot });
                    let s = u32::try_from(self.segments.len() - 1).unwrap_or(u32::MAX);
                    cursor.segment = Some(s);
                    s
                }
            },
            None => u32::MAX,
        };
        self.hits.entry((rule, segment)).or_default()
    }

    fn boots_out(&self) -> Vec<Boot> {
        self.boots
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let last_of_input = self.boots.get(i + 1).is_none_or(|n| n.input != b.input);
                let (ended_by, end_evidence) = match &b.ended {
                    Some((reason, ev)) => (*reason, Some(ev.clone())),
                    None if !last_of_input => (EndReason::Reset, None),
                    None if b.reached == Stage::BootCompleted => (EndReason::Running, None),
                    None => (EndReason::Hang, None),
                };
                let parts = [
                    b.preloader_ms,
                    b.lk_ms,
                    b.kernel_last_us.map(|us| us / 1000),
                ];
                let duration_ms = if parts.iter().any(Option::is_some) {
                    Some(parts.iter().flatten().sum())
                } else {
                    b.logcat_first_ms
                        .zip(b.logcat_last_ms)
                        .map(|(first, last)| last.saturating_sub(first))
                };
                let mode = b
                    .mode
                    .or((b.reached >= Stage::Kernel).then_some(BootMode::Normal));
                Boot {
                    input: b.input,
                    start_line: b.start_line,
                    end_line: b.end_line,
                    reached: b.reached,
                    mode,
                    ended_by,
                    end_evidence,
                    duration_ms,
                }
            })
            .collect()
    }

    fn findings_out(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (ri, rule) in self.rules.rules().iter().enumerate() {
            let Ok(ri) = u16::try_from(ri) else {
                break;
            };
            let per_boot_minimum = match rule.count {
                CountBy::LinesPerBoot => u64::from(rule.min_count),
                CountBy::Lines | CountBy::Boots => 1,
            };
            let valid: Vec<(u32, &RuleSegment)> = self
                .hits
                .range((ri, 0)..=(ri, u32::MAX))
                .filter(|(_, s)| !s.unless && s.count >= per_boot_minimum)
                .map(|(&(_, seg), s)| (seg, s))
                .collect();
            let count = match rule.count {
                CountBy::Lines | CountBy::LinesPerBoot => valid.iter().map(|(_, s)| s.count).sum(),
                CountBy::Boots => valid.len() as u64,
            };
            if count < u64::from(rule.min_count) {
                continue;
            }
            let max = rule.max_evidence as usize;
            let triggers: Vec<&Hit> = valid.iter().flat_map(|(_, s)| &s.triggers).collect();
            let context: Vec<&Hit> = valid.iter().flat_map(|(_, s)| &s.context).collect();
            let shown_triggers = triggers.len().min(max);
            let context_budget = match max - shown_triggers {
                0 if !context.is_empty() => 1,
                budget => budget,
            };
            let mut shown: Vec<&Hit> = triggers[..shown_triggers]
                .iter()
                .chain(context.iter().take(context_budget))
                .copied()
                .collect();
            shown.sort_by_key(|h| (h.input, h.line));
            shown.dedup_by_key(|h| (h.input, h.line));
            let capture = |name: &str| -> Option<String> {
                triggers.iter().chain(&context).find_map(|h| {
                    let caps = self
                        .rules
                        .matcher
                        .regex(h.pattern)
                        .captures(h.text.as_bytes())?;
                    let m = caps.name(name)?;
                    let text = String::from_utf8_lossy(m.as_bytes()).trim().to_string();
                    (!text.is_empty()).then_some(text)
                })
            };
            let fill = |t: &str| crate::diag::rules::fill_template(t, capture);
            let mut boots: Vec<usize> = valid
                .iter()
                .filter_map(|(seg, _)| self.segments.get(*seg as usize)?.boot)
                .collect();
            boots.dedup();
            findings.push(Finding {
                id: rule.id.clone(),
                severity: rule.severity,
                title: fill(&rule.title),
                explanation: fill(&rule.explanation),
                fix: fill(&rule.fix),
                count,
                boots,
                evidence: shown
                    .into_iter()
                    .map(|h| Evidence {
                        input: h.input,
                        line: h.line,
                        text: h.text.clone(),
                    })
                    .collect(),
            });
        }
        findings.sort_by(|a, b| {
            let first = |f: &Finding| f.evidence.first().map(|e| (e.input, e.line));
            b.severity
                .cmp(&a.severity)
                .then_with(|| first(a).cmp(&first(b)))
        });
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_agrees_with_finish_and_revision_moves_only_on_matches() {
        let rules = RuleBase::builtin().unwrap();
        let mut a = Analyzer::new(rules);
        a.begin_input("uart", LogKind::Uart);
        let start = a.revision();
        a.push_bytes(b"nothing to see here\n");
        assert_eq!(a.revision(), start, "a line that matches nothing");
        a.push_bytes(b"[PLFM] Init I2C: OK(0)\n<0>[    2.5] Kernel panic - not syncing: oops\n");
        let moved = a.revision();
        assert!(moved > start);
        a.push_bytes(b"<6>[    2.6] an ordinary kernel line\n");
        assert_eq!(
            a.revision(),
            moved,
            "kernel clock in a boot already in the kernel"
        );
        let live = a.snapshot();
        assert_eq!(live.boots.len(), 1);
        assert!(live.finding("kernel-panic").is_some());
        let done = a.finish();
        assert_eq!(live.boots[0].end_line, done.boots[0].end_line);
        assert_eq!(live.findings.len(), done.findings.len());
    }
}
