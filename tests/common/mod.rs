//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

pub mod rom;

/// The built `mtkbench` with its config, data, cache and log folders under `home` and no
/// `MTKBENCH_LIBRARY` from the environment, so a test never touches a technician's folders.
pub fn mtkbench_in(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mtkbench"));
    for (var, sub) in [
        ("MTKBENCH_CONFIG_DIR", "config"),
        ("MTKBENCH_DATA_DIR", "data"),
        ("MTKBENCH_CACHE_DIR", "cache"),
        ("MTKBENCH_LOG_DIR", "logs"),
    ] {
        cmd.env(var, home.join(sub));
    }
    cmd.env_remove("MTKBENCH_LIBRARY");
    cmd
}

/// Runs `mtkbench args` with its folders in a fresh temporary home ([`mtkbench_in`]).
pub fn mtkbench(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    mtkbench_in(home.path()).args(args).output().unwrap()
}

/// The JSON document on stdout of a command that must have succeeded.
pub fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The real MT6572 samples in `../shared/realdata/`, or `None` (with a message on stderr saying
/// the test is skipped) when that folder is absent, as on a fresh clone.
pub fn realdata(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping {test}: ../shared/realdata is absent (real samples are not shipped)");
        None
    }
}

/// An EXPDB partition as LK and the kernel leave it after a panic: the AEE ipanic header
/// (magic 0xAEE0DEAD little-endian, version 4, section offsets), then the oops header
/// (process path, backtrace) and the console log as NUL-padded text.
pub fn expdb_image() -> Vec<u8> {
    let mut img = Vec::new();
    img.extend_from_slice(&0xAEE0_DEADu32.to_le_bytes());
    img.extend_from_slice(&4u32.to_le_bytes());
    for v in [0x1000u32, 4096, 0x2000, 1024, 0x3000, 4096] {
        img.extend_from_slice(&v.to_le_bytes());
    }
    img.resize(0x1000, 0);
    img.extend_from_slice(b"/system/bin/surfaceflinger\0");
    img.resize(0x2000, 0xff);
    let console = "[   14.201000] Unable to handle kernel paging request at virtual address 6b6b6b6b\n\
                   [   14.201100] PC is at mtkfb_update_screen_impl+0x48/0x1a0\n\
                   [   14.201110] LR is at mtkfb_update_screen+0x20/0x30\n\
                   [   14.202000] Kernel panic - not syncing: Fatal exception\n";
    img.extend_from_slice(console.as_bytes());
    img.resize(0x4000, 0);
    img
}
