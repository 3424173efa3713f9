//! The error explainer: what a status word or error name means on an MT6572 phone, why it
//! usually happens, how to fix it, and which mtkbench step helps.
//!
//! The table is data (`explain.toml`, embedded) keyed by name. Numbers are secondary: SP Flash
//! Tool renumbered its errors between versions and mtkclient's tables disagree with MediaTek's
//! header, so one number can stand for several names and a lookup by number returns every
//! entry that has carried it. Device errors printed by mtkbench name their entry
//! (`mtkbench::...`) so that `mtkbench explain` finds it.
//!
//! Pure: no I/O, no printing.

use std::{collections::HashSet, sync::OnceLock};

use serde::{Deserialize, Serialize};

use super::DiagError;

/// The error table shipped inside mtkbench.
pub const BUILTIN_TABLE: &str = include_str!("explain.toml");

/// The only `schema` value this build reads.
pub const SCHEMA: u32 = 1;

/// Who reports an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A 16-bit status word from the BootROM or the preloader's download mode.
    Brom,
    /// A status of the legacy Download Agent (`S_DA_*`, 3000 and up).
    Da,
    /// An SP Flash Tool / FlashToolLib result (`S_*`, `STATUS_*`).
    Spft,
    /// mtkbench's own errors (`mtkbench::*`).
    Mtkbench,
}

impl Source {
    /// Words for a technician.
    pub fn label(self) -> &'static str {
        match self {
            Source::Brom => "BootROM / preloader status word",
            Source::Da => "Download Agent status",
            Source::Spft => "SP Flash Tool error",
            Source::Mtkbench => "mtkbench error",
        }
    }
}

/// One explained error.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The name the tools print (`S_DA_NAND_BAD_BLOCK`, `DA_OVERLAP`, `mtkbench::port_busy`).
    pub name: String,
    /// Every number this name has had (tool versions differ); empty when unknown.
    pub codes: Vec<u32>,
    /// Why `codes` is empty, when it is (mtkbench's own errors are named, never numbered; a
    /// tool error whose number no source confirms says so).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_code: Option<String>,
    /// Who reports it.
    pub source: Source,
    /// Other spellings and the messages other tools print for the same condition.
    pub aliases: Vec<String>,
    /// What it means.
    pub meaning: String,
    /// Its usual cause on MT6572 phones.
    pub cause: String,
    /// What to do.
    pub fix: String,
    /// The mtkbench step or command that helps.
    pub step: String,
}

/// How a query found an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum Via {
    /// By its name.
    Name,
    /// By one of its aliases.
    Alias,
    /// By a number, read as decimal or as hex.
    Number {
        /// The number.
        value: u32,
        /// `true` when the digits were read as hexadecimal.
        hex: bool,
    },
}

/// An entry a query found.
#[derive(Debug, Clone, Serialize)]
pub struct Match<'a> {
    /// The entry.
    pub entry: &'a Entry,
    /// How it was found.
    pub via: Via,
}

/// A loaded and checked error table.
#[derive(Debug)]
pub struct Table {
    entries: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    schema: u32,
    #[serde(default)]
    entry: Vec<RawEntry>,
    #[serde(default)]
    family: Vec<RawFamily>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    name: String,
    #[serde(default)]
    codes: Vec<u32>,
    #[serde(default)]
    no_code: Option<String>,
    source: Source,
    #[serde(default)]
    aliases: Vec<String>,
    meaning: String,
    cause: String,
    fix: String,
    step: String,
}

/// Entries that share cause, fix and step; each member has its own name, codes and meaning
/// and may override the shared text.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFamily {
    source: Source,
    #[serde(default)]
    no_code: Option<String>,
    cause: String,
    fix: String,
    step: String,
    member: Vec<RawMember>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMember {
    name: String,
    #[serde(default)]
    codes: Vec<u32>,
    #[serde(default)]
    no_code: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    meaning: String,
    #[serde(default)]
    cause: Option<String>,
    #[serde(default)]
    fix: Option<String>,
    #[serde(default)]
    step: Option<String>,
}

static BUILTIN: OnceLock<Result<Table, DiagError>> = OnceLock::new();

impl Table {
    /// The table shipped in this build, loaded on first use.
    pub fn builtin() -> Result<&'static Table, DiagError> {
        match BUILTIN.get_or_init(|| Table::from_toml(BUILTIN_TABLE, "built-in explain.toml")) {
            Ok(table) => Ok(table),
            Err(e) => Err(e.clone()),
        }
    }

    /// Parses and checks a table; `origin` names it in error messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Table, DiagError> {
        let invalid = |problems: Vec<String>| DiagError::InvalidData {
            origin: origin.to_string(),
            what: "error table",
            problems,
        };
        let raw: RawTable = toml::from_str(text).map_err(|e| invalid(vec![e.to_string()]))?;
        let mut problems = Vec::new();
        if raw.schema != SCHEMA {
            problems.push(format!(
                "schema: this build reads schema {SCHEMA}, the file says {}",
                raw.schema
            ));
        }
        let mut entries: Vec<Entry> = raw
            .entry
            .into_iter()
            .map(|e| Entry {
                no_code: no_code(e.source, e.no_code),
                name: e.name,
                codes: e.codes,
                source: e.source,
                aliases: e.aliases,
                meaning: e.meaning,
                cause: e.cause,
                fix: e.fix,
                step: e.step,
            })
            .collect();
        for family in raw.family {
            for m in family.member {
                entries.push(Entry {
                    no_code: no_code(family.source, m.no_code.or_else(|| family.no_code.clone())),
                    name: m.name,
                    codes: m.codes,
                    source: family.source,
                    aliases: m.aliases,
                    meaning: m.meaning,
                    cause: m.cause.unwrap_or_else(|| family.cause.clone()),
                    fix: m.fix.unwrap_or_else(|| family.fix.clone()),
                    step: m.step.unwrap_or_else(|| family.step.clone()),
                });
            }
        }
        let mut seen = HashSet::new();
        for e in &entries {
            check_entry(&mut problems, e);
            for key in std::iter::once(&e.name).chain(&e.aliases) {
                if !seen.insert(key.to_ascii_uppercase()) {
                    problems.push(format!("`{key}`: the name is used twice"));
                }
            }
        }
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        Ok(Table { entries })
    }

    /// Every entry, in file order (single entries first, then families).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with this name or alias (any case).
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.find(name).map(|(e, _)| e)
    }

    /// Looks up what a technician typed: a name (any case, with or without `S_` or
    /// `mtkbench::`), a pasted tool line (`BROM ERROR : S_FT_DA_NO_RESPONSE (4001)`), or a
    /// number in decimal (`3012`) or hex (`0xBC4`, `1D0D`). Plain digits are read as decimal,
    /// and also as hex for BROM status words, which are always printed in hex.
    pub fn lookup(&self, query: &str) -> Result<Vec<Match<'_>>, DiagError> {
        let query = query.trim();
        let tokens: Vec<&str> = query
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .map(|t| t.trim_matches(':'))
            .filter(|t| !t.is_empty())
            .collect();
        let candidates = std::iter::once(query).chain(tokens.iter().copied());
        for token in candidates.clone() {
            for name in [
                token.to_string(),
                format!("S_{token}"),
                format!("mtkbench::{token}"),
            ] {
                if let Some((entry, via)) = self.find(&name) {
                    return Ok(vec![Match { entry, via }]);
                }
            }
        }
        let mut found: Vec<Match<'_>> = Vec::new();
        for token in candidates {
            for (value, hex) in numbers(token) {
                for entry in &self.entries {
                    let wanted = !hex || entry.source == Source::Brom || has_hex_marker(token);
                    let new = !found.iter().any(|m| std::ptr::eq(m.entry, entry));
                    if wanted && new && entry.codes.contains(&value) {
                        found.push(Match {
                            entry,
                            via: Via::Number { value, hex },
                        });
                    }
                }
            }
            if !found.is_empty() {
                return Ok(found);
            }
        }
        Err(DiagError::UnknownCode {
            query: query.to_string(),
            suggestions: self.suggestions(query),
        })
    }

    fn find(&self, name: &str) -> Option<(&Entry, Via)> {
        self.entries.iter().find_map(|e| {
            if e.name.eq_ignore_ascii_case(name) {
                Some((e, Via::Name))
            } else if e.aliases.iter().any(|a| a.eq_ignore_ascii_case(name)) {
                Some((e, Via::Alias))
            } else {
                None
            }
        })
    }

    /// Up to five known names that look like `query`.
    fn suggestions(&self, query: &str) -> Vec<String> {
        let q = query.to_ascii_uppercase();
        if q.len() < 3 {
            return Vec::new();
        }
        let limit = (q.len() / 3).max(1);
        let mut scored: Vec<(usize, &str)> = self
            .entries
            .iter()
            .filter_map(|e| {
                let name = e.name.to_ascii_uppercase();
                let score = if name.contains(&q) {
                    0
                } else {
                    let d = edit_distance(&q, &name)
                        .min(edit_distance(&q, name.strip_prefix("S_").unwrap_or(&name)));
                    if d > limit {
                        return None;
                    }
                    d
                };
                Some((score, e.name.as_str()))
            })
            .collect();
        scored.sort();
        scored
            .into_iter()
            .take(5)
            .map(|(_, n)| n.to_string())
            .collect()
    }
}

/// Why an entry has no number: as the table says, or by rule for mtkbench's own errors.
fn no_code(source: Source, given: Option<String>) -> Option<String> {
    given.or_else(|| {
        (source == Source::Mtkbench).then(|| {
            "mtkbench's own errors are printed by name (mtkbench::NAME), never by number".into()
        })
    })
}

fn check_entry(problems: &mut Vec<String>, e: &Entry) {
    let at = format!("`{}`", e.name);
    let name_ok = !e.name.is_empty()
        && e.name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':');
    if !name_ok {
        problems.push(format!("{at}: a name is letters, digits, `_` and `:` only"));
    }
    let prefixed = e.name.starts_with("mtkbench::");
    if prefixed != (e.source == Source::Mtkbench) {
        problems.push(format!(
            "{at}: mtkbench's own errors, and only they, are named `mtkbench::...`"
        ));
    }
    if e.source == Source::Brom && e.codes.iter().any(|&c| c > 0xFFFF) {
        problems.push(format!("{at}: BROM status words are 16-bit"));
    }
    if e.source == Source::Mtkbench && !e.codes.is_empty() {
        problems.push(format!("{at}: mtkbench errors have names, not numbers"));
    }
    match (e.codes.is_empty(), &e.no_code) {
        (true, None) => problems.push(format!(
            "{at}: no number; say why in `no_code` (tools print errors as NAME (number))"
        )),
        (false, Some(_)) if e.source != Source::Mtkbench => {
            problems.push(format!("{at}: has numbers and `no_code` both"))
        }
        _ => {}
    }
    for (field, text) in [
        ("meaning", &e.meaning),
        ("cause", &e.cause),
        ("fix", &e.fix),
        ("step", &e.step),
    ] {
        if text.trim().is_empty() {
            problems.push(format!("{at}: `{field}` must not be empty"));
        }
    }
}

/// `0x`-prefixed or containing a hex letter: unmistakably hexadecimal.
fn has_hex_marker(token: &str) -> bool {
    token.starts_with("0x")
        || token.starts_with("0X")
        || token
            .bytes()
            .any(|b| matches!(b, b'a'..=b'f' | b'A'..=b'F'))
}

/// The numbers a token can stand for: `(value, read_as_hex)`.
fn numbers(token: &str) -> Vec<(u32, bool)> {
    if let Some(hex) = token
        .strip_prefix("0x")
        .or_else(|| token.strip_prefix("0X"))
    {
        return u32::from_str_radix(hex, 16)
            .map(|v| vec![(v, true)])
            .unwrap_or_default();
    }
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if token.bytes().all(|b| b.is_ascii_digit())
        && let Ok(v) = token.parse::<u32>()
    {
        out.push((v, false));
    }
    if let Ok(v) = u32::from_str_radix(token, 16) {
        out.push((v, true));
    }
    out
}

/// Levenshtein distance over bytes (names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(matches: &[Match<'_>]) -> Vec<String> {
        matches.iter().map(|m| m.entry.name.clone()).collect()
    }

    #[test]
    fn builtin_table_loads() {
        assert!(Table::builtin().unwrap().entries().len() > 100);
    }

    #[test]
    fn names_match_in_any_case_and_without_prefix() {
        let t = Table::builtin().unwrap();
        for q in [
            "s_da_nand_bad_block",
            "DA_NAND_BAD_BLOCK",
            "  S_DA_NAND_BAD_BLOCK ",
        ] {
            assert_eq!(names(&t.lookup(q).unwrap()), ["S_DA_NAND_BAD_BLOCK"], "{q}");
        }
        assert_eq!(
            names(&t.lookup("port_busy").unwrap()),
            ["mtkbench::port_busy"]
        );
    }

    #[test]
    fn pasted_tool_lines_are_understood() {
        let t = Table::builtin().unwrap();
        let m = t
            .lookup("BROM ERROR : S_FT_ENABLE_DRAM_FAIL (4032)")
            .unwrap();
        assert_eq!(names(&m), ["S_FT_ENABLE_DRAM_FAIL"]);
        let m = t
            .lookup("Sync error. Please power off the device and retry.")
            .unwrap();
        assert_eq!(m[0].via, Via::Alias);
    }

    #[test]
    fn a_number_lists_every_name_it_has_meant() {
        let t = Table::builtin().unwrap();
        let m = names(&t.lookup("4032").unwrap());
        assert!(m.contains(&"S_FT_ENABLE_DRAM_FAIL".to_string()), "{m:?}");
        assert!(m.contains(&"S_FT_SEC_RO_WRITE_FAIL".to_string()), "{m:?}");
        let m = names(&t.lookup("3085").unwrap());
        assert!(m.contains(&"S_DA_UNSUPPORTED_BBCHIP".to_string()), "{m:?}");
        assert!(m.contains(&"S_DA_EXT_DRAM_NOT_FOUND".to_string()), "{m:?}");
    }

    #[test]
    fn numbers_in_decimal_and_hex() {
        let t = Table::builtin().unwrap();
        assert_eq!(
            names(&t.lookup("0x1D0D").unwrap()),
            names(&t.lookup("1d0d").unwrap())
        );
        let by_dec = names(&t.lookup("3012").unwrap());
        assert!(by_dec.contains(&"S_DA_NAND_FLASH_NOT_FOUND".to_string()));
        assert_eq!(by_dec, names(&t.lookup("0xBC4").unwrap()));
        // Plain digits are also BROM words in hex: 3000 is S_DA_INT_RAM_ERROR and 0x3000.
        let both = names(&t.lookup("3000").unwrap());
        assert!(both.contains(&"S_DA_INT_RAM_ERROR".to_string()));
        assert!(both.contains(&"LIB_SEC_CFG_NOT_EXIST".to_string()));
    }

    #[test]
    fn unknown_names_get_suggestions() {
        let t = Table::builtin().unwrap();
        let Err(DiagError::UnknownCode { suggestions, .. }) = t.lookup("S_DA_NAND_BAD_BLOK") else {
            panic!("expected an unknown code")
        };
        assert_eq!(
            suggestions.first().map(String::as_str),
            Some("S_DA_NAND_BAD_BLOCK")
        );
        assert!(matches!(
            t.lookup("99999999"),
            Err(DiagError::UnknownCode { .. })
        ));
    }

    #[test]
    fn table_checks_name_their_entry() {
        let text = r#"
            schema = 1
            [[entry]]
            name = "mtkbench::x"
            source = "da"
            codes = [1]
            meaning = "m"
            cause = ""
            fix = "f"
            step = "s"
            [[entry]]
            name = "DUP"
            source = "brom"
            codes = [0x10000]
            meaning = "m"
            cause = "c"
            fix = "f"
            step = "s"
            [[entry]]
            name = "dup"
            source = "brom"
            meaning = "m"
            cause = "c"
            fix = "f"
            step = "s"
        "#;
        let err = Table::from_toml(text, "t.toml").unwrap_err().to_string();
        assert!(
            err.contains("`mtkbench::x`: mtkbench's own errors"),
            "{err}"
        );
        assert!(
            err.contains("`mtkbench::x`: `cause` must not be empty"),
            "{err}"
        );
        assert!(err.contains("`DUP`: BROM status words are 16-bit"), "{err}");
        assert!(err.contains("`dup`: the name is used twice"), "{err}");
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("KITTEN", "SITTING"), 3);
        assert_eq!(edit_distance("", "AB"), 2);
    }
}
