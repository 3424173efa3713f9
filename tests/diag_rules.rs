//! The built-in rule base against the hand-written logs of `tests/fixtures/logs/`.
//!
//! `cases.toml` there says, for each log, which rules must fire, which must stay silent and
//! (optionally) the expected boot timeline. These tests check every case, and that every rule
//! of `src/diag/rules.toml` fires on at least one log and stays silent on at least one other.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use mtkbench::diag::{self, log::Analysis, rules::RuleBase};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    file: String,
    kind: String,
    #[serde(default)]
    fires: Vec<String>,
    #[serde(default)]
    silent: Vec<String>,
    boots: Option<Vec<String>>,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs")
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(dir().join("cases.toml")).unwrap();
    toml::from_str::<Cases>(&text).unwrap().case
}

fn rules() -> &'static RuleBase {
    RuleBase::builtin().unwrap()
}

fn analyse(file: &str) -> Analysis {
    diag::analyze_files(&[dir().join(file)], rules()).unwrap()
}

/// The rule ids a case expects to stay silent (`*` = all not in `fires`).
fn silent_ids(case: &Case) -> BTreeSet<String> {
    if case.silent.iter().any(|s| s == "*") {
        rules()
            .rules()
            .iter()
            .map(|r| r.id.clone())
            .filter(|id| !case.fires.contains(id))
            .collect()
    } else {
        case.silent.iter().cloned().collect()
    }
}

fn as_str<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn every_rule_fires_on_one_log_and_stays_silent_on_another() {
    let cases = cases();
    let mut problems = Vec::new();
    for rule in rules().rules() {
        let fires = cases.iter().filter(|c| c.fires.contains(&rule.id)).count();
        let silent = cases
            .iter()
            .filter(|c| silent_ids(c).contains(&rule.id))
            .count();
        if fires == 0 {
            problems.push(format!("rule `{}` has no log that triggers it", rule.id));
        }
        if silent == 0 {
            problems.push(format!(
                "rule `{}` has no log it must stay silent on",
                rule.id
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_case_fires_exactly_what_it_lists() {
    let mut problems = Vec::new();
    for case in cases() {
        let a = analyse(&case.file);
        let fired: BTreeSet<String> = a.findings.iter().map(|f| f.id.clone()).collect();
        for id in &case.fires {
            if rules().rule(id).is_none() {
                problems.push(format!("{}: lists unknown rule `{id}`", case.file));
            } else if !fired.contains(id) {
                problems.push(format!("{}: `{id}` did not fire", case.file));
            }
        }
        for id in silent_ids(&case) {
            if fired.contains(&id) {
                let f = a.finding(&id).unwrap();
                problems.push(format!(
                    "{}: `{id}` fired but must stay silent; evidence: {:?}",
                    case.file, f.evidence
                ));
            }
        }
        let kind = as_str(a.inputs[0].kind);
        if kind != case.kind {
            problems.push(format!(
                "{}: detected as {kind}, expected {}",
                case.file, case.kind
            ));
        }
        if let Some(expected) = &case.boots {
            let got: Vec<String> = a
                .boots
                .iter()
                .zip(expected.iter().chain(std::iter::repeat(&String::new())))
                .map(|(b, want)| {
                    let mut s = format!("{}/{}", as_str(b.reached), as_str(b.ended_by));
                    if want.split('/').count() == 3 {
                        s.push('/');
                        s.push_str(&b.mode.map(as_str).unwrap_or_else(|| "-".into()));
                    }
                    s
                })
                .collect();
            if &got != expected {
                problems.push(format!(
                    "{}: boots {got:?}, expected {expected:?}",
                    case.file
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn evidence_quotes_the_line_it_names() {
    for case in cases() {
        let a = analyse(&case.file);
        let text = std::fs::read_to_string(dir().join(&case.file)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for f in &a.findings {
            assert!(
                !f.evidence.is_empty(),
                "{}: {} has no evidence",
                case.file,
                f.id
            );
            for e in &f.evidence {
                let original = lines[(e.line - 1) as usize].replace('\t', " ");
                assert_eq!(
                    original.trim_end(),
                    e.text,
                    "{}: {} quotes line {}",
                    case.file,
                    f.id,
                    e.line
                );
            }
        }
    }
}

#[test]
fn every_log_in_the_folder_has_a_case() {
    let listed: BTreeSet<String> = cases().into_iter().map(|c| c.file).collect();
    for entry in std::fs::read_dir(dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name != "README.md" && name != "cases.toml" {
            assert!(listed.contains(&name), "{name} is not listed in cases.toml");
        }
        if name != "cases.toml" && name != "README.md" {
            let first = std::fs::read_to_string(dir().join(&name)).unwrap();
            assert!(
                first.starts_with("# hand-written test log for mtkbench"),
                "{name} lacks its header comment"
            );
        }
    }
}
