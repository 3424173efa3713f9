//! `screenshots/`: what a technician sees for the main commands, at 80 columns.
//!
//! Each file is the plain-text output of the built binary on fixtures from this repository
//! (no real data, no clock, temporary paths replaced), so the pictures in the README can never
//! drift from the code. The test fails when a file is stale; regenerate them all with
//!
//! ```sh
//! UPDATE_SCREENSHOTS=1 cargo test --test screenshots
//! ```

mod common;

use std::path::{Path, PathBuf};

use mtkbench::firmware::synth;

const WIDTH: usize = 80;

/// One screenshot: file name, arguments, and whether it needs a generated ROM package.
const SHOTS: &[(&str, &[&str])] = &[
    ("profiles-list", &["profiles", "list"]),
    ("profiles-show-a516_row", &["profiles", "show", "a516_row"]),
    (
        "scatter-show",
        &["scatter", "show", "tests/fixtures/scatter/v1_valid.txt"],
    ),
    ("rom-inspect", &["rom", "inspect", "{tmp}/rom"]),
    (
        "diagnose-lcm",
        &[
            "diagnose",
            "lcm",
            "--rom",
            "{tmp}/rom",
            "--lcm",
            "nt35512_wvga_dsi_vdo",
        ],
    ),
    (
        "diagnose-log",
        &["diagnose", "log", "tests/fixtures/logs/panic_loop.uart.log"],
    ),
    ("explain-3012", &["explain", "3012"]),
];

/// A small ROM package: an lk and a kernel that both carry one panel driver, one image too big
/// for its partition, and Checksum.ini missing.
fn write_rom(dir: &Path) {
    let scatter = common::rom::scatter("MT6572", "demo72_wet_jb", "recovery.img");
    common::rom::write_folder(
        dir,
        &[
            ("MT6572_Android_scatter.txt", scatter.into_bytes()),
            ("lk.bin", synth::lk_image(&["hx8379a_wvga_dsi_vdo"])),
            ("boot.img", common::rom::boot_img(&["hx8379a_wvga_dsi_vdo"])),
            ("recovery.img", vec![0u8; 0x180000]),
        ],
    );
}

fn render(tmp: &Path, args: &[&str]) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let args: Vec<String> = args
        .iter()
        .map(|a| a.replace("{tmp}", &tmp.to_string_lossy()))
        .collect();
    let out = common::mtkbench_in(tmp)
        .args(&args)
        .current_dir(&root)
        .output()
        .unwrap();
    // `rom inspect` of the demo package reports errors on purpose: it exits 1, report printed.
    let expected = if args[..2] == ["rom", "inspect"] {
        1
    } else {
        0
    };
    assert_eq!(
        out.status.code(),
        Some(expected),
        "mtkbench {args:?}: {:?}",
        out
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let text = text.replace(&*tmp.to_string_lossy(), "/tmp/demo");
    format!(
        "$ mtkbench {}\n{text}",
        args.join(" ").replace(&*tmp.to_string_lossy(), "/tmp/demo")
    )
}

#[test]
fn screenshots_are_fresh_and_fit_80_columns() {
    let tmp = tempfile::tempdir().unwrap();
    write_rom(&tmp.path().join("rom"));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    let update = std::env::var_os("UPDATE_SCREENSHOTS").is_some();
    let mut stale = Vec::new();
    for (name, args) in SHOTS {
        let text = render(tmp.path(), args);
        for (i, line) in text.lines().enumerate().skip(1) {
            assert!(
                line.chars().count() <= WIDTH,
                "{name}.txt line {}: {} columns: {line}",
                i + 1,
                line.chars().count()
            );
        }
        let path = dir.join(format!("{name}.txt"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name.to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale screenshots: {stale:?}; run UPDATE_SCREENSHOTS=1 cargo test --test screenshots"
    );
}
