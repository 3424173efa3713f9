//! `mtkbench library match --fingerprint FILE | --port P`: rank the library for a phone
//! identified earlier (`identify --save FILE`, or the JSON of `identify --json`), or for the
//! phone on the port (identified now, through [`crate::engine::identify`]).
//!
//! The matching is [`crate::library::matching`]; this file reads the saved fingerprint, calls
//! it, and lays the verdicts out for an 80-column terminal. No check lives here.

use std::path::PathBuf;

use clap::Args;

use crate::{
    Result,
    cli::{
        Ctx, Report,
        device::{DeviceArgs, start, warn_if_not_rebooted},
        emit,
        text::wrap_indented,
    },
    error::HostError,
    job::Fingerprint,
    library::{
        self, LibraryIndex,
        matching::{Level, LibraryMatch, Verdict, match_library},
    },
    profile::Registry,
};

/// Arguments of `library match`.
#[derive(Debug, Args)]
#[group(id = "phone", required = true, args = ["fingerprint", "port"])]
pub struct MatchArgs {
    /// A fingerprint saved by `identify --save FILE` (or the output of `identify --json`).
    #[arg(long, value_name = "FILE", conflicts_with = "port")]
    pub fingerprint: Option<PathBuf>,
    /// Identify the phone on this port (or `auto`) first.
    #[arg(long, value_name = "P|auto")]
    pub port: Option<crate::job::PortSpec>,
    /// With --port: how many seconds to wait for the phone's port.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub wait: u64,
    /// With --port: the download agent (remembered in config.toml after it worked once).
    #[arg(long, value_name = "FILE")]
    pub da: Option<PathBuf>,
    /// Match for this board profile instead of the one the ranking picks.
    #[arg(long, value_name = "ID")]
    pub profile: Option<String>,
    /// The library folder [default: $MTKBENCH_LIBRARY, else library/ in the data folder].
    #[arg(long, value_name = "DIR")]
    pub library: Option<PathBuf>,
}

/// Reads a saved fingerprint.
pub fn read_fingerprint(path: &std::path::Path) -> Result<Fingerprint> {
    let text = std::fs::read_to_string(path).map_err(|e| HostError::io("read", path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        HostError::Usage(format!(
            "{} is not a saved fingerprint ({e}); save one with `mtkbench identify --port P \
             --save FILE`",
            path.display()
        ))
        .into()
    })
}

/// Runs `library match`.
pub fn run(args: MatchArgs, ctx: &Ctx) -> Result<()> {
    let root = library::open_root(&args.library.clone().unwrap_or_else(|| ctx.places.library()))?;
    let index = LibraryIndex::load(&library::index_path(&ctx.places));
    let (registry, refused) = Registry::load(&ctx.places.user_profiles());
    for e in &refused {
        tracing::warn!(error = %e, "user profile refused");
    }
    let fingerprint = match (&args.fingerprint, &args.port) {
        (Some(path), _) => read_fingerprint(path)?,
        (None, Some(port)) => {
            let device = DeviceArgs {
                port: port.clone(),
                wait: args.wait,
                da: args.da.clone(),
                record: None,
                preloader: None,
                allow_foreign_emi: false,
                board: None,
            };
            let journal = crate::journal::Journal::open_in(&ctx.places.data)
                .inspect_err(|e| tracing::warn!(error = %e, "journal unavailable"))
                .ok();
            let done = crate::engine::identify::run(
                start(&device, ctx)?,
                &registry,
                None,
                journal.as_ref(),
            )?;
            warn_if_not_rebooted(&done);
            done.value.fingerprint
        }
        (None, None) => {
            return Err(HostError::Usage(
                "give --fingerprint FILE or --port P: which phone to match for".into(),
            )
            .into());
        }
    };
    let report = match_library(
        &index,
        &root,
        &fingerprint.evidence(),
        &registry,
        args.profile.as_deref(),
    )?;
    emit(ctx, &report)
}

impl Report for LibraryMatch {
    fn human(&self) -> String {
        let mut out = format!("Board: {}\n", self.board.summary);
        if self.matches.is_empty() {
            out.push_str("The library index holds no package here. Next: mtkbench library scan\n");
            return out;
        }
        for m in &self.matches {
            let mark = match m.verdict {
                Verdict::Fits => "FITS   ",
                Verdict::Risky => "RISKY  ",
                Verdict::Refused => "REFUSED",
            };
            out.push_str(&format!("\n{mark} {}\n", m.package.display()));
            for r in &m.reasons {
                let tag = match r.level {
                    Level::Ok => "ok  ",
                    Level::Unknown => "?   ",
                    Level::Risk => "RISK",
                    Level::Refuse => "NO  ",
                };
                out.push_str(&wrap_indented(&format!("{tag} {}", r.text), 78, "       "));
            }
        }
        out
    }
}
