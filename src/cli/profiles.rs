//! `mtkbench profiles list|show ID|check [DIR]`: the board profiles, builtin and the user's.
//!
//! Loads through [`crate::profile::Registry`] and renders; no profile logic lives here. JSON
//! output gives addresses and sizes as integers (the TOML files spell them in hex).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde::Serialize;

use crate::{
    Result,
    cli::{
        Ctx, Report, emit,
        text::{binary_size, cut_with_ellipsis, paragraphs, wrap_to},
    },
    profile::{
        BoardProfile, DownloadMode, Lcm, Origin, Preloader, ProfileError, ProfileProblem, Registry,
        Source,
        hex::format as hx,
        registry::{LoadedFile, read_dir_profiles},
    },
};

/// Board profiles.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do with the profiles.
    #[command(subcommand)]
    pub command: ProfilesCommand,
}

/// The `profiles` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// Every known profile, builtin and yours, one line each.
    List,
    /// Everything a profile says about one board.
    Show {
        /// The profile id (see `profiles list`).
        id: String,
        /// Print the profile as TOML, ready to save in your profiles folder and edit.
        #[arg(long)]
        toml: bool,
    },
    /// Check every .toml file in a folder (default: your profiles folder).
    Check {
        /// The folder to check.
        dir: Option<PathBuf>,
    },
}

/// Runs a `profiles` subcommand.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    match args.command {
        ProfilesCommand::List => {
            let user_dir = ctx.places.user_profiles();
            let (registry, refused) = Registry::load(&user_dir);
            emit(ctx, &ListReport::new(&registry, user_dir, &refused))
        }
        ProfilesCommand::Show { id, toml } => {
            let (registry, refused) = Registry::load(&ctx.places.user_profiles());
            let entry = match registry.require(&id) {
                Ok(entry) => entry,
                // Your own file of that name was refused: say why rather than "not found".
                Err(not_found) => {
                    let named_so = |e: &ProfileError| {
                        e.file()
                            .is_some_and(|f| Path::new(f).file_stem() == Some(id.as_ref()))
                    };
                    return Err(match refused.into_iter().find(named_so) {
                        Some(e) => e.into(),
                        None => not_found.into(),
                    });
                }
            };
            if toml {
                let text = entry.profile.to_toml().map_err(|e| {
                    crate::error::HostError::Usage(format!("cannot write {id} as TOML: {e}"))
                })?;
                emit(ctx, &TomlReport { id, toml: text })
            } else {
                emit(ctx, &ShowReport::new(&entry.profile, &entry.origin))
            }
        }
        ProfilesCommand::Check { dir } => {
            let (dir, default) = match dir {
                Some(d) => (d, false),
                None => (ctx.places.user_profiles(), true),
            };
            let files = match read_dir_profiles(&dir) {
                Ok(files) => files,
                Err(ProfileError::Host(crate::error::HostError::Io { source, .. }))
                    if default && source.kind() == std::io::ErrorKind::NotFound =>
                {
                    Vec::new()
                }
                Err(e) => return Err(e.into()),
            };
            let report = CheckReport::new(dir.clone(), default, &files);
            emit(ctx, &report)?;
            if report.invalid > 0 {
                return Err(ProfileError::CheckFailed {
                    dir,
                    invalid: report.invalid,
                    total: report.files.len(),
                }
                .into());
            }
            Ok(())
        }
    }
}

/// A refused profile file.
#[derive(Debug, Serialize)]
struct Refused {
    file: Option<String>,
    error: String,
    /// The failed checks, when the file parsed.
    problems: Vec<ProfileProblem>,
}

impl From<&ProfileError> for Refused {
    fn from(e: &ProfileError) -> Self {
        Refused {
            file: e.file().map(str::to_string),
            error: e.to_string(),
            problems: match e {
                ProfileError::Invalid { problems, .. } => problems.clone(),
                _ => Vec::new(),
            },
        }
    }
}

#[derive(Debug, Serialize)]
struct ListRow {
    id: String,
    names: Vec<String>,
    storage: &'static str,
    projects: Vec<String>,
    lcm_drivers: Vec<String>,
    lcm_unknown: bool,
    reference: bool,
    origin: Origin,
}

#[derive(Debug, Serialize)]
struct ListReport {
    #[serde(serialize_with = "crate::fsutil::lossy")]
    user_dir: PathBuf,
    profiles: Vec<ListRow>,
    refused: Vec<Refused>,
}

impl ListReport {
    fn new(registry: &Registry, user_dir: PathBuf, refused: &[ProfileError]) -> Self {
        let profiles = registry
            .iter()
            .map(|e| {
                let p = &e.profile;
                ListRow {
                    id: p.id.clone(),
                    names: p.names.clone(),
                    storage: p.storage.kind.as_lower(),
                    projects: p.projects.clone(),
                    lcm_drivers: p.lcm.drivers.clone(),
                    lcm_unknown: p.lcm.unknown,
                    reference: p.reference,
                    origin: e.origin.clone(),
                }
            })
            .collect();
        ListReport {
            user_dir,
            profiles,
            refused: refused.iter().map(Refused::from).collect(),
        }
    }
}

/// Column widths of `profiles list`; with single spaces between them the table is 79 wide.
const LIST_COLUMNS: [usize; 6] = [17, 19, 4, 17, 10, 7];

impl Report for ListReport {
    fn human(&self) -> String {
        let row = |cells: [&str; 6]| {
            let line: Vec<String> = cells
                .iter()
                .zip(LIST_COLUMNS)
                .map(|(c, w)| format!("{:<w$}", cut_with_ellipsis(c, w)))
                .collect();
            format!("{}\n", line.join(" ").trim_end())
        };
        let mut out = row(["ID", "NAMES", "TYPE", "PROJECT", "LCM", "SOURCE"]);
        let mut overrides = false;
        for p in &self.profiles {
            let names = if p.reference {
                "(reference board)".to_string()
            } else if p.names.is_empty() {
                "-".to_string()
            } else {
                p.names.join(", ")
            };
            let projects = if p.projects.is_empty() {
                "-".to_string()
            } else {
                p.projects.join(",")
            };
            let lcm = match p.lcm_drivers.as_slice() {
                [] => "unknown".to_string(),
                [one] => one.clone(),
                [first, rest @ ..] => {
                    let more = format!("+{}", rest.len());
                    format!(
                        "{}{more}",
                        cut_with_ellipsis(first, LIST_COLUMNS[4] - more.len())
                    )
                }
            };
            let source = match &p.origin {
                Origin::Builtin { .. } => "builtin",
                Origin::User {
                    overrides_builtin: true,
                    ..
                } => {
                    overrides = true;
                    "user*"
                }
                Origin::User { .. } => "user",
            };
            out += &row([&p.id, &names, p.storage, &projects, &lcm, source]);
        }
        out += &format!(
            "\n{} profile(s). Your own go in (`mtkbench profiles check` checks them):\n  {}\n",
            self.profiles.len(),
            self.user_dir.display()
        );
        if overrides {
            out += "user* = your profile replaces the builtin with the same id.\n";
        }
        if !self.refused.is_empty() {
            out += &format!(
                "\n{} file(s) in your profiles folder were refused and are not listed:\n",
                self.refused.len()
            );
            for r in &self.refused {
                out += &format!("  {}\n", r.error.replace('\n', "\n  "));
            }
        }
        out
    }
}

#[derive(Debug, Serialize)]
struct StorageView {
    #[serde(rename = "type")]
    kind: &'static str,
    boot_region_size: Option<u64>,
    block_size: Option<u64>,
    page_size: Option<u64>,
    bmt_pool_size: Option<u64>,
}

#[derive(Debug, Serialize)]
struct PartitionView {
    name: String,
    offset: u64,
    size: u64,
    end: u64,
    nvram: bool,
    source: Option<String>,
}

#[derive(Debug, Serialize)]
struct ShowReport {
    id: String,
    reference: bool,
    names: Vec<String>,
    pcb_markings: Vec<String>,
    projects: Vec<String>,
    ram_size: Option<u64>,
    storage: StorageView,
    nvram_set: Vec<String>,
    layout: Vec<PartitionView>,
    total_user_size: u64,
    lcm: Lcm,
    preloader: Option<Preloader>,
    download: Option<DownloadMode>,
    notes: String,
    sources: Vec<Source>,
    origin: Origin,
}

impl ShowReport {
    fn new(p: &BoardProfile, origin: &Origin) -> Self {
        ShowReport {
            id: p.id.clone(),
            reference: p.reference,
            names: p.names.clone(),
            pcb_markings: p.pcb_markings.clone(),
            projects: p.projects.clone(),
            ram_size: p.ram_size,
            storage: StorageView {
                kind: p.storage.kind.as_lower(),
                boot_region_size: p.storage.boot_region_size,
                block_size: p.storage.block_size,
                page_size: p.storage.page_size,
                bmt_pool_size: p.storage.bmt_pool_size,
            },
            nvram_set: p.nvram_set.clone(),
            layout: p
                .layout
                .iter()
                .map(|q| PartitionView {
                    name: q.name.clone(),
                    offset: q.offset,
                    size: q.size,
                    end: q.end(),
                    nvram: q.is_nvram(),
                    source: q.source.clone(),
                })
                .collect(),
            total_user_size: p.total_user_size(),
            lcm: p.lcm.clone(),
            preloader: p.preloader.clone(),
            download: p.download.clone(),
            notes: p.notes.clone(),
            sources: p.sources.clone(),
            origin: origin.clone(),
        }
    }
}

/// `0x600000 (6 MiB)`: hex as in the files, plus a size a person can picture.
fn size_text(bytes: u64) -> String {
    format!("{} ({})", hx(bytes), binary_size(bytes))
}

fn or_unknown(list: &[String], sep: &str) -> String {
    if list.is_empty() {
        "not known".into()
    } else {
        list.join(sep)
    }
}

impl Report for ShowReport {
    fn human(&self) -> String {
        let mut out = String::new();
        let mut field = |label: &str, value: String| {
            out += &wrap_to(&value, &format!("  {label:<15} "), &" ".repeat(18), 79);
        };
        field("id", self.id.clone());
        if self.reference {
            field(
                "kind",
                "REFERENCE profile, not a retail board: never use it to write a real phone".into(),
            );
        }
        field("names", or_unknown(&self.names, ", "));
        field("projects", or_unknown(&self.projects, ", "));
        field("PCB markings", or_unknown(&self.pcb_markings, ", "));
        field("RAM", self.ram_size.map_or("not known".into(), size_text));
        let s = &self.storage;
        field("storage", s.kind.to_uppercase());
        for (label, value) in [
            ("boot region", s.boot_region_size),
            ("page size", s.page_size),
            ("block size", s.block_size),
            ("BMT pool", s.bmt_pool_size),
        ] {
            if let Some(v) = value {
                field(label, size_text(v));
            }
        }
        let lcm = if self.lcm.unknown {
            "not known".to_string()
        } else {
            self.lcm.drivers.join(", ")
        };
        field("LCM drivers", lcm);
        if let Some(running) = &self.lcm.seen_running {
            field("LCM seen", running.clone());
        }
        if let Some(res) = &self.lcm.resolution {
            field("panel", res.clone());
        }
        let preloader = match &self.preloader {
            None => "not known".to_string(),
            Some(Preloader {
                project,
                bloader_info_version: Some(v),
                ..
            }) => format!("{project} (MTK_BLOADER_INFO_v{v})"),
            Some(pl) => pl.project.clone(),
        };
        field("preloader", preloader);
        match self.preloader.as_ref().map(|p| &p.ram_parts) {
            Some(parts) if !parts.is_empty() => {
                for part in parts {
                    field("RAM part", part.describe());
                }
            }
            _ => field(
                "RAM parts",
                "not recorded (`mtkbench rom inspect` on the board's preloader lists them)".into(),
            ),
        }
        match &self.download {
            None => field("download mode", "not known".into()),
            Some(d) => {
                if !d.keys.is_empty() {
                    field("download keys", d.keys.join(" + "));
                }
                if let Some(tp) = &d.test_point {
                    field("test point", tp.clone());
                }
                if let Some(n) = &d.notes {
                    field("download mode", n.clone());
                }
            }
        }
        field("NVRAM set", self.nvram_set.join(", "));
        let origin = match &self.origin {
            Origin::Builtin { file } => format!("builtin ({file})"),
            Origin::User {
                path,
                overrides_builtin,
            } => format!(
                "your file {}{}",
                path.display(),
                if *overrides_builtin {
                    " (replaces the builtin)"
                } else {
                    ""
                }
            ),
        };
        field("from", origin);

        let area = if s.kind == "nand" {
            "NAND offsets"
        } else {
            "eMMC user-area offsets"
        };
        out += &format!(
            "\nlayout ({area}):\n  {:<3} {:<12} {:<11} {:<22} end\n",
            "#", "name", "offset", "size"
        );
        for (i, q) in self.layout.iter().enumerate() {
            let size = if q.size == 0 {
                "0x0 (to the end)".to_string()
            } else {
                size_text(q.size)
            };
            let mut marks = Vec::new();
            if q.nvram {
                marks.push("NVRAM set".to_string());
            }
            if let Some(src) = &q.source {
                match self.sources.iter().position(|s| &s.path == src) {
                    Some(n) => marks.push(format!("from sources[{n}]")),
                    None => marks.push(format!("from {src}")),
                }
            }
            let line = format!(
                "  {i:<3} {:<12} {:<11} {:<22} {:<11} {}",
                q.name,
                hx(q.offset),
                size,
                hx(q.end),
                marks.join("; ")
            );
            out += line.trim_end();
            out.push('\n');
        }
        out += &format!(
            "  the layout needs at least {} of storage\n",
            size_text(self.total_user_size)
        );
        if !self.notes.is_empty() {
            out += "\nnotes:\n";
            for (i, paragraph) in paragraphs(&self.notes).iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                out += &wrap_to(paragraph, "  ", "  ", 80);
            }
        }
        out += "\nsources:\n";
        for (n, src) in self.sources.iter().enumerate() {
            out += &format!("  [{n}] {}\n", src.path);
            if let Some(f) = &src.facts {
                out += &wrap_to(f, "      gives: ", &" ".repeat(13), 79);
            }
            if let Some(o) = &src.origin {
                out += &wrap_to(o, "      from:  ", &" ".repeat(13), 79);
            }
        }
        out
    }
}

/// `show ID --toml`: the profile as a file.
#[derive(Debug, Serialize)]
struct TomlReport {
    id: String,
    toml: String,
}

impl Report for TomlReport {
    fn human(&self) -> String {
        self.toml.clone()
    }
}

#[derive(Debug, Serialize)]
struct CheckedFile {
    #[serde(serialize_with = "crate::fsutil::lossy")]
    path: PathBuf,
    id: Option<String>,
    ok: bool,
    overrides_builtin: bool,
    error: Option<Refused>,
}

#[derive(Debug, Serialize)]
struct CheckReport {
    #[serde(serialize_with = "crate::fsutil::lossy")]
    dir: PathBuf,
    default_dir: bool,
    invalid: usize,
    files: Vec<CheckedFile>,
}

impl CheckReport {
    fn new(dir: PathBuf, default_dir: bool, files: &[LoadedFile]) -> Self {
        let builtin = Registry::builtin();
        let files: Vec<CheckedFile> = files
            .iter()
            .map(|f| match &f.result {
                Ok(p) => CheckedFile {
                    path: f.path.clone(),
                    id: Some(p.id.clone()),
                    ok: true,
                    overrides_builtin: builtin.get(&p.id).is_some(),
                    error: None,
                },
                Err(e) => CheckedFile {
                    path: f.path.clone(),
                    id: None,
                    ok: false,
                    overrides_builtin: false,
                    error: Some(Refused::from(e)),
                },
            })
            .collect();
        CheckReport {
            dir,
            default_dir,
            invalid: files.iter().filter(|f| !f.ok).count(),
            files,
        }
    }
}

impl Report for CheckReport {
    fn human(&self) -> String {
        if self.files.is_empty() {
            return format!(
                "No profile files (*.toml) in {}.\nTo add your own board: `mtkbench profiles \
                 show ID --toml > <id>.toml` in that folder, edit it (the id must match the \
                 file name), then run this check again.\n",
                self.dir.display()
            );
        }
        let mut out = String::new();
        for f in &self.files {
            match &f.error {
                None => {
                    let note = if f.overrides_builtin {
                        ", replaces the builtin"
                    } else {
                        ""
                    };
                    out += &format!(
                        "ok    {} ({}{note})\n",
                        f.path.display(),
                        f.id.as_deref().unwrap_or_default()
                    );
                }
                Some(r) if r.problems.is_empty() => {
                    out += &format!("FAIL  {}\n      {}\n", f.path.display(), r.error);
                }
                Some(r) => {
                    out += &format!("FAIL  {}\n", f.path.display());
                    for p in &r.problems {
                        out += &format!("      {}: {p}\n", f.path.display());
                    }
                }
            }
        }
        out += &format!(
            "\n{} file(s) checked in {}, {} with problems.\n",
            self.files.len(),
            self.dir.display(),
            self.invalid
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_fits_80_columns() {
        let report = ListReport::new(&Registry::builtin(), PathBuf::from("/cfg/profiles"), &[]);
        let text = report.human();
        for line in text.lines().take_while(|l| !l.is_empty()) {
            assert!(line.chars().count() <= 80, "too wide: {line:?}");
        }
        assert!(text.contains("a516_row"));
        assert!(text.contains("(reference board)"));
    }

    #[test]
    fn show_lists_the_preloaders_ram_parts() {
        let reg = Registry::builtin();
        let entry = reg.get("a516_row").unwrap();
        let (mut p, origin) = (entry.profile.clone(), entry.origin.clone());
        let text = ShowReport::new(&p, &origin).human();
        assert!(text.contains("RAM parts       not recorded"), "{text}");
        p.preloader.as_mut().unwrap().ram_parts =
            vec![crate::firmware::synth::sim_ram_part(512 << 20)];
        let text = ShowReport::new(&p, &origin).human();
        assert!(
            text.contains("RAM part        eMMC + LPDDR2 MCP, 512 MiB in 1 rank"),
            "{text}"
        );
    }

    #[test]
    fn size_text_reads_like_a_person() {
        assert_eq!(size_text(0x60_0000), "0x600000 (6 MiB)");
        assert_eq!(size_text(0x18_0000), "0x180000 (1.5 MiB)");
        assert_eq!(size_text(0x200), "0x200 (512 B)");
    }
}
