//! The small named checks a rule file goes through when it loads (non-empty fields, ending
//! reasons that can be marked, an `ms` group in timing patterns, unique and well-shaped ids,
//! placeholders that name a capture), and the filling of a finding's message template.
//!
//! Each check only adds a problem that names the entry and the field; loading and compiling
//! the rule base is [`super`]'s. No I/O.

use std::collections::HashSet;

use regex::bytes::Regex;

use super::{EndReason, Rule};

pub(super) fn check_not_empty(problems: &mut Vec<String>, at: &str, field: &str, empty: bool) {
    if empty {
        problems.push(format!("{at}: `{field}` must not be empty"));
    }
}

pub(super) fn check_markable_ending(problems: &mut Vec<String>, at: &str, reason: EndReason) {
    if !reason.is_markable() {
        problems.push(format!(
            "{at}: `{}` is inferred by the analyzer and cannot be marked by a line",
            reason.label()
        ));
    }
}

pub(super) fn check_has_ms_group(problems: &mut Vec<String>, at: &str, re: &Regex) {
    if !re.capture_names().flatten().any(|n| n == "ms") {
        problems.push(format!(
            "{at}: needs a named group `(?P<ms>...)` for milliseconds"
        ));
    }
}

pub(super) fn check_unique_ids(problems: &mut Vec<String>, rules: &[Rule]) {
    let mut seen = HashSet::new();
    for rule in rules {
        if !seen.insert(rule.id.as_str()) {
            problems.push(format!("rule `{}`: id is used twice", rule.id));
        }
    }
}

pub(super) fn check_id_shape(problems: &mut Vec<String>, at: &str, id: &str) {
    let ok = !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        problems.push(format!(
            "{at}: id must be kebab-case (a-z, 0-9 and inner dashes)"
        ));
    }
}

pub(super) fn check_placeholders(
    problems: &mut Vec<String>,
    at: &str,
    text: &str,
    any_groups: &HashSet<String>,
    trigger_groups: &[HashSet<String>],
) {
    let placeholders = match parse_placeholders(text) {
        Ok(p) => p,
        Err(e) => {
            problems.push(format!("{at}: {e}"));
            return;
        }
    };
    for (name, default) in placeholders {
        if !any_groups.contains(name) {
            problems.push(format!(
                "{at}: `{{{name}}}` names no group of the rule's patterns or context"
            ));
        } else if default.is_none() && !trigger_groups.iter().all(|g| g.contains(name)) {
            problems.push(format!(
                "{at}: `{{{name}}}` needs a default (`{{{name}:...}}`) because not every \
                 trigger pattern captures it"
            ));
        }
    }
}

/// The `{name}` / `{name:default}` placeholders of a template, in order.
fn parse_placeholders(text: &str) -> Result<Vec<(&str, Option<&str>)>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("a `}` without its `{`".into());
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| "a `{` without its `}`".to_string())?;
        let inner = &after[..close];
        let (name, default) = match inner.split_once(':') {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        let valid = name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(format!("`{{{inner}}}` is not a placeholder name"));
        }
        out.push((name, default));
        rest = &after[close + 1..];
    }
    Ok(out)
}

/// Fills a checked template: each `{name}` takes `lookup(name)`, else its default, else `?`.
pub(crate) fn fill_template(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = &after[..close];
        let (name, default) = match inner.split_once(':') {
            Some((n, d)) => (n, d),
            None => (inner, "?"),
        };
        match lookup(name) {
            Some(value) => out.push_str(&value),
            None => out.push_str(default),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_parse_and_fill() {
        let p = parse_placeholders("in {func:an unknown function} ({reason})").unwrap();
        assert_eq!(
            p,
            vec![("func", Some("an unknown function")), ("reason", None)]
        );
        let filled = fill_template("in {func:somewhere} ({reason})", |n| {
            (n == "reason").then(|| "oops".to_string())
        });
        assert_eq!(filled, "in somewhere (oops)");
        assert!(parse_placeholders("broken {x").is_err());
        assert!(parse_placeholders("bad {X}").is_err());
    }
}
