//! The dependency rules of DESIGN.md section 4 that concern the job layer, checked on the
//! source: the command line reaches the phone only through `job` (never `device`,
//! `transport`, `protocol` or a `Session`), and `device` knows neither the config file, the
//! host doctor nor clap, and no module but `device` and `job` names a `Session` (a face, the
//! repair engine or a flow elsewhere that built one would hold the phone outside the job
//! layer). `cli/sim.rs` is the simulator's face, not a device command: it writes the
//! simulator's DA with `protocol`, and is left out.

use std::path::Path;

fn sources(dir: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&root) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "rs") {
            let name = entry
                .path()
                .strip_prefix(&root)
                .unwrap()
                .display()
                .to_string();
            out.push((name, std::fs::read_to_string(entry.path()).unwrap()));
        }
    }
    assert!(!out.is_empty(), "no sources in {dir}");
    out
}

/// The lines of `text` that use `needle` in code (comments and doc comments left out).
fn uses<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .filter(|l| l.contains(needle))
        .collect()
}

#[test]
fn the_command_line_reaches_the_phone_only_through_the_job_layer() {
    for (file, text) in sources("src/cli") {
        if file == "sim.rs" {
            continue;
        }
        for needle in [
            "device::",
            "transport::",
            "protocol::",
            "Session",
            "SerialTransport",
        ] {
            let found = uses(&text, needle);
            let found: Vec<_> = found
                .into_iter()
                // `super::device` is the CLI's own flag module.
                .filter(|l| {
                    !l.contains("super::device::")
                        && !l.trim_start().starts_with("device::{DeviceArgs")
                })
                .collect();
            assert!(found.is_empty(), "src/cli/{file} uses {needle}: {found:?}");
        }
    }
}

#[test]
fn the_device_layer_knows_no_config_doctor_or_clap() {
    for (file, text) in sources("src/device") {
        for needle in [
            "crate::config",
            "crate::diag",
            "diag::doctor",
            "clap::",
            "crate::job",
        ] {
            let found = uses(&text, needle);
            assert!(
                found.is_empty(),
                "src/device/{file} uses {needle}: {found:?}"
            );
        }
    }
}

/// True when `line` holds `word` as a whole identifier.
fn names(line: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(word).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

#[test]
fn only_the_device_and_job_layers_hold_a_session() {
    assert!(names("let s = Session::new(port);", "Session"));
    assert!(names("use crate::device::{Session};", "Session"));
    assert!(!names("struct SessionLog;", "Session"));
    for (file, text) in sources("src") {
        if file.starts_with("device/") || file.starts_with("job/") {
            continue;
        }
        let found: Vec<_> = uses(&text, "Session")
            .into_iter()
            .filter(|l| names(l, "Session"))
            .collect();
        assert!(found.is_empty(), "src/{file} names a Session: {found:?}");
    }
}
