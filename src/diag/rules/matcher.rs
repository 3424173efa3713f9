//! The compiled form of a rule base: every pattern as a regex, behind one Aho-Corasick
//! prefilter over each pattern's needle (the longest literal every match must contain,
//! found by [`required_literal`]), with the [`Owner`] each pattern stands for.
//!
//! Compiling and stepping only: which patterns exist and whether they are valid is
//! [`super`]'s (the rule file and its checks). No I/O.

use aho_corasick::{
    Anchored,
    automaton::{Automaton, StateID},
    dfa::DFA,
};
use regex::bytes::Regex;
use regex_syntax::hir::{Class, Hir, HirKind};

use super::{BootMode, EndReason, Stage, TimingPart};

/// What a compiled pattern stands for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Owner {
    /// A stage marker; `restart` is the index of a once-per-boot marker.
    Stage { stage: Stage, restart: Option<u16> },
    /// An ending marker.
    Ending {
        reason: EndReason,
        previous_boot: bool,
    },
    /// A bootloader timing line with an `ms` group.
    Timing(TimingPart),
    /// A boot-mode marker.
    Mode(BootMode),
    /// A rule's trigger pattern.
    Trigger(u16),
    /// A rule's context pattern.
    Context(u16),
    /// A rule's `unless` pattern.
    Unless(u16),
}

/// All patterns of a rule base, compiled.
#[derive(Debug)]
pub(crate) struct Matcher {
    pub(super) prefilter: DFA,
    pub(super) start: StateID,
    pub(super) by_needle: Vec<Vec<u32>>,
    pub(super) regexes: Vec<Regex>,
    pub(super) owners: Vec<Owner>,
}

impl Matcher {
    /// Fills `out` with the ids of every pattern that matches `line`, in definition order
    /// (stage markers, endings, timings, modes, then rules). Needles are looked for from
    /// `needles_from` on (the caller skips a kernel clock); regexes see the whole line.
    pub(crate) fn scan(&self, line: &[u8], needles_from: usize, out: &mut Vec<u32>) {
        out.clear();
        let dfa = &self.prefilter;
        let mut sid = self.start;
        for &b in line.get(needles_from..).unwrap_or_default() {
            sid = dfa.next_state(Anchored::No, sid, b);
            if dfa.is_special(sid) && dfa.is_match(sid) {
                for i in 0..dfa.match_len(sid) {
                    let needle = dfa.match_pattern(sid, i).as_usize();
                    out.extend_from_slice(&self.by_needle[needle]);
                }
            }
        }
        if out.is_empty() {
            return;
        }
        out.sort_unstable();
        out.dedup();
        out.retain(|&p| self.regexes[p as usize].is_match(line));
    }

    pub(crate) fn owner(&self, pattern: u32) -> Owner {
        self.owners[pattern as usize]
    }

    pub(crate) fn regex(&self, pattern: u32) -> &Regex {
        &self.regexes[pattern as usize]
    }
}

/// The longest run of literal text that every match of `pattern` contains, ASCII-lowercased
/// (the prefilter ignores ASCII case). `(?i)` letters count as literal.
pub(super) fn required_literal(pattern: &str) -> Option<Vec<u8>> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let mut runs = Vec::new();
    let mut current = Vec::new();
    literal_runs(&hir, &mut current, &mut runs);
    runs.push(current);
    // The longest run; on a tie the earliest, which in log messages is usually the more
    // distinctive tag ("[SD0] ") rather than a common word (" error").
    runs.into_iter()
        .reduce(|best, run| if run.len() > best.len() { run } else { best })
}

fn literal_runs(hir: &Hir, current: &mut Vec<u8>, runs: &mut Vec<Vec<u8>>) {
    let mut cut = |current: &mut Vec<u8>| runs.push(std::mem::take(current));
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => current.extend(lit.0.iter().map(u8::to_ascii_lowercase)),
        HirKind::Class(class) => match single_ascii_letter(class) {
            Some(b) => current.push(b),
            None => cut(current),
        },
        HirKind::Capture(cap) => literal_runs(&cap.sub, current, runs),
        HirKind::Concat(subs) => {
            for sub in subs {
                literal_runs(sub, current, runs);
            }
        }
        HirKind::Repetition(rep) if rep.min >= 1 => {
            cut(current);
            literal_runs(&rep.sub, current, runs);
            runs.push(std::mem::take(current));
        }
        HirKind::Repetition(_) | HirKind::Alternation(_) => cut(current),
    }
}

/// A class that stands for one ASCII character in any case (what `(?i)` makes of a letter).
fn single_ascii_letter(class: &Class) -> Option<u8> {
    let mut folded: Option<u8> = None;
    let mut push = |lo: u32, hi: u32| -> bool {
        for c in lo..=hi.min(lo + 4) {
            let Ok(b) = u8::try_from(c) else {
                continue; // non-ASCII members (K for k, long s) do not matter to the prefilter
            };
            if !b.is_ascii() {
                continue;
            }
            let b = b.to_ascii_lowercase();
            match folded {
                None => folded = Some(b),
                Some(f) if f == b => {}
                Some(_) => return false,
            }
        }
        hi.saturating_sub(lo) <= 4
    };
    let ok = match class {
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .all(|r| push(u32::from(r.start()), u32::from(r.end()))),
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .all(|r| push(u32::from(r.start()), u32::from(r.end()))),
    };
    if ok { folded } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(p: &str) -> String {
        String::from_utf8(required_literal(p).unwrap()).unwrap()
    }

    #[test]
    fn required_literal_takes_the_longest_mandatory_run() {
        assert_eq!(
            lit(r"\[MBOOT\] Load '(?P<part>[^']+)' partition Error"),
            "' partition error"
        );
        assert_eq!(
            lit(r"Kernel panic - not syncing: (?P<r>.*)"),
            "kernel panic - not syncing: "
        );
        assert_eq!(lit(r"(?i)invalid imei"), "invalid imei");
        assert_eq!(lit(r"\[SD0\] (DAT CRC|DAT TMO) error"), "[sd0] ");
        assert_eq!(lit(r"a?bcd|xyz"), "");
        assert_eq!(lit(r"x*hello"), "hello");
    }
}
