//! `mtkbench library scan|list`: index the ROM library, and show what it holds (`library
//! match` is in [`crate::cli::library_match`]).
//!
//! The work lives in [`crate::library`]; this file picks the library folder (`--library DIR`,
//! else `MTKBENCH_LIBRARY`, else `<data>/library`), draws scan progress and lays reports out
//! for an 80-column terminal. It must not read packages itself.
//!
//! Progress goes to stderr only, so stdout always holds just the report:
//! - stderr is a terminal: one line redrawn in place (`\r`), about ten times a second, even
//!   with `--json` (a person is watching, and stdout stays clean);
//! - stderr is not a terminal, without `--json`: one plain line per package that is read;
//! - stderr is not a terminal, with `--json`: nothing.

use std::{
    io::{IsTerminal, Write},
    path::PathBuf,
    time::{Duration, Instant},
};

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::{
    Result,
    cli::{
        Ctx, Report, emit,
        text::{cut_keeping_end, decimal_size, labelled, wrap},
    },
    firmware::rom::Severity,
    library::{self, LibraryIndex, LibraryRow, ScanEvent, ScanSummary},
};

/// `mtkbench library ...`
#[derive(Debug, Subcommand)]
pub enum LibraryCommand {
    /// Index every ROM package (folder with a scatter file, or .zip) in the library; only new
    /// or changed packages are read.
    Scan(LibraryArgs),
    /// Show the indexed packages, from the index alone (run `library scan` first).
    List(LibraryArgs),
    /// Rank the indexed packages for a phone: fits, risky or refused, with the reasons.
    Match(crate::cli::library_match::MatchArgs),
}

/// The library folder, common to every `library` subcommand.
#[derive(Debug, Args)]
pub struct LibraryArgs {
    /// The library folder [default: $MTKBENCH_LIBRARY, else library/ in the data folder].
    #[arg(long, value_name = "DIR")]
    pub library: Option<PathBuf>,
}

impl LibraryArgs {
    fn root(&self, ctx: &Ctx) -> PathBuf {
        self.library.clone().unwrap_or_else(|| ctx.places.library())
    }
}

/// Runs a `library` subcommand. Packages that cannot be inspected are part of the report,
/// not a failure of the command.
pub fn run(command: LibraryCommand, ctx: &Ctx) -> Result<()> {
    let index_path = library::index_path(&ctx.places);
    match command {
        LibraryCommand::Scan(args) => {
            let stderr = std::io::stderr();
            let mode = match (stderr.is_terminal(), ctx.json) {
                (true, _) => Mode::Live,
                (false, false) => Mode::Lines,
                (false, true) => Mode::Quiet,
            };
            let mut view = ProgressView::new(mode, stderr.lock());
            let summary = library::scan(&args.root(ctx), &index_path, &mut |e| view.show(&e))?;
            drop(view);
            emit(ctx, &summary)
        }
        LibraryCommand::Match(args) => crate::cli::library_match::run(args, ctx),
        LibraryCommand::List(args) => {
            let root = library::open_root(&args.root(ctx))?;
            let index = LibraryIndex::load(&index_path);
            let packages = library::list(&index, &root);
            let vanished = library::vanished(&root, &packages);
            emit(
                ctx,
                &ListReport {
                    root,
                    packages,
                    vanished,
                },
            )
        }
    }
}

/// How scan progress is shown (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Live,
    Lines,
    Quiet,
}

/// Time between two redraws of the live line.
const REDRAW: Duration = Duration::from_millis(100);

/// Turns [`ScanEvent`]s into text on `out`.
struct ProgressView<W: Write> {
    out: W,
    mode: Mode,
    started: Instant,
    last_draw: Option<Instant>,
    /// The package being scanned: position, total, path.
    current: (usize, usize, String),
    /// Bytes read so far and the estimated total.
    bytes: (u64, u64),
    /// A live line is on screen and must be cleared before anything else is printed.
    drawn: bool,
}

impl<W: Write> ProgressView<W> {
    fn new(mode: Mode, out: W) -> Self {
        ProgressView {
            out,
            mode,
            started: Instant::now(),
            last_draw: None,
            current: (0, 0, String::new()),
            bytes: (0, 0),
            drawn: false,
        }
    }

    // Progress is a courtesy: a closed stderr must not stop the scan, so writes are not
    // checked.
    fn show(&mut self, event: &ScanEvent) {
        match (self.mode, event) {
            (Mode::Quiet, _) => {}
            (_, ScanEvent::Finished(_)) => self.clear(),
            (_, ScanEvent::Found { packages }) => {
                if self.mode == Mode::Lines {
                    let _ = writeln!(self.out, "found {packages} package(s)");
                }
            }
            (
                _,
                ScanEvent::Package {
                    index,
                    total,
                    path,
                    reused,
                },
            ) => {
                self.current = (*index, *total, path.display().to_string());
                match self.mode {
                    Mode::Lines if !reused => {
                        let (i, n, p) = &self.current;
                        let _ = writeln!(self.out, "[{i}/{n}] reading {p}");
                    }
                    Mode::Live => self.draw(!reused),
                    _ => {}
                }
            }
            (Mode::Live, ScanEvent::Bytes { done, total }) => {
                self.bytes = (*done, *total);
                self.draw(false);
            }
            (_, ScanEvent::Bytes { .. }) => {}
        }
    }

    /// Redraws the live line, at most every [`REDRAW`] unless `now`.
    fn draw(&mut self, now: bool) {
        if !now && self.last_draw.is_some_and(|t| t.elapsed() < REDRAW) {
            return;
        }
        self.last_draw = Some(Instant::now());
        let (i, n, path) = &self.current;
        let prefix = format!("[{i}/{n}] ");
        let (done, total) = self.bytes;
        let rate = match done {
            0 => String::new(),
            _ => format!(
                "  {} of {}  {}",
                decimal_size(done),
                decimal_size(total.max(done)),
                rate_text(done, self.started.elapsed())
            ),
        };
        let room = 79usize.saturating_sub(prefix.len() + rate.chars().count());
        let _ = write!(
            self.out,
            "\r{prefix}{}{rate}\x1b[K",
            cut_keeping_end(path, room)
        );
        let _ = self.out.flush();
        self.drawn = true;
    }

    fn clear(&mut self) {
        if self.drawn {
            let _ = write!(self.out, "\r\x1b[K");
            let _ = self.out.flush();
            self.drawn = false;
        }
    }
}

impl<W: Write> Drop for ProgressView<W> {
    fn drop(&mut self) {
        // On an error the scan stops mid-line; the error message must start on a clean one.
        self.clear();
    }
}

fn rate_text(bytes: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        return String::new();
    }
    format!("{:.0} MB/s", bytes as f64 / 1e6 / secs)
}

const LABEL_W: usize = 10;

fn label(name: &str, text: &str) -> String {
    labelled(name, LABEL_W, text)
}

impl Report for ScanSummary {
    fn human(&self) -> String {
        let mut out = label("library", &self.root.display().to_string());
        let mut counts = vec![
            format!("{} read", self.inspected),
            format!("{} unchanged", self.reused),
        ];
        if self.removed > 0 {
            counts.push(format!("{} gone from the folder", self.removed));
        }
        out += &label(
            "packages",
            &format!("{} ({})", self.packages, counts.join(", ")),
        );
        let secs = self.elapsed.as_secs_f64();
        let read = match rate_text(self.bytes_hashed, self.elapsed) {
            _ if self.bytes_hashed == 0 => format!("no image read, {secs:.1} s"),
            r if r.is_empty() => format!("{} in {secs:.1} s", decimal_size(self.bytes_hashed)),
            r => format!("{} in {secs:.1} s ({r})", decimal_size(self.bytes_hashed)),
        };
        out += &label("read", &read);
        if self.failed > 0 {
            out += &label(
                "failed",
                &format!(
                    "{} package(s) could not be read as ROMs; `mtkbench library list` says why",
                    self.failed
                ),
            );
        } else if self.packages == 0 {
            out += &label(
                "next",
                "the folder holds no ROM package: copy ROM folders (with their \
                 MT6572_Android_scatter.txt) or their .zip files into it, then scan again",
            );
        }
        out
    }
}

/// What `library list` prints.
#[derive(Debug, Serialize)]
pub struct ListReport {
    /// The library root (absolute).
    #[serde(serialize_with = "crate::fsutil::lossy")]
    pub root: PathBuf,
    /// The indexed packages under it, in path order.
    pub packages: Vec<LibraryRow>,
    /// Indexed packages no longer on disk (relative to the root): the index is stale.
    #[serde(serialize_with = "crate::fsutil::lossy_all")]
    pub vanished: Vec<PathBuf>,
}

const PATH_W: usize = 27;
const PROJECT_W: usize = 18;
const STORE_W: usize = 5;
const IMAGES_W: usize = 6;
const SIZE_W: usize = 8;
const ERR_W: usize = 3;
const WARN_W: usize = 4;

impl Report for ListReport {
    fn human(&self) -> String {
        let root = self.root.display().to_string();
        if self.packages.is_empty() {
            let mut out = wrap(
                &format!("no packages indexed in the ROM library {root}"),
                "",
                "",
            );
            out += "run `mtkbench library scan` to index it\n";
            return out;
        }
        let failed = self.packages.iter().filter(|p| p.facts.is_none()).count();
        let mut head = format!("ROM library {root}: {} package(s)", self.packages.len());
        if failed > 0 {
            head += &format!(", {failed} could not be read");
        }
        let mut out = wrap(&head, "", "");
        out += &format!(
            "\n{:<PATH_W$} {:<PROJECT_W$} {:<STORE_W$} {:>IMAGES_W$} {:>SIZE_W$} {:>ERR_W$} \
             {:>WARN_W$}\n",
            "PACKAGE", "PROJECT", "STORE", "IMAGES", "SIZE", "ERR", "WARN"
        );
        for row in &self.packages {
            out += &list_row(row);
        }
        if let Some(first) = self.vanished.first() {
            out += "\n";
            out += &wrap(
                &format!(
                    "{} package(s) in the index are no longer in the folder ({}{}): this list \
                     is out of date.",
                    self.vanished.len(),
                    first.display(),
                    if self.vanished.len() > 1 { ", ..." } else { "" }
                ),
                "",
                "",
            );
            out += "run `mtkbench library scan` to bring it up to date\n";
        }
        out
    }
}

fn list_row(row: &LibraryRow) -> String {
    let path = cut_keeping_end(&row.path.display().to_string(), PATH_W);
    let indent = "  ";
    let Some(f) = &row.facts else {
        let mut out = format!(
            "{path:<PATH_W$} could not be read ({})\n",
            row.kind.as_str()
        );
        out += &wrap(row.failure.as_deref().unwrap_or("unknown"), indent, indent);
        return out;
    };
    let line = format!(
        "{path:<PATH_W$} {:<PROJECT_W$} {:<STORE_W$} {:>IMAGES_W$} {:>SIZE_W$} {:>ERR_W$} \
         {:>WARN_W$}",
        cut_keeping_end(f.project.as_deref().unwrap_or("-"), PROJECT_W),
        cut_keeping_end(f.storage.as_str(), STORE_W),
        format!("{}/{}", f.images_present(), f.images.len()),
        decimal_size(f.image_bytes()),
        f.count(Severity::Error),
        f.count(Severity::Warning),
    );
    let names = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    let detail = [
        format!(
            "{}, {}",
            row.kind.as_str(),
            f.platform.as_deref().unwrap_or("platform not given")
        ),
        match f
            .preloader
            .as_ref()
            .and_then(|p| p.identity.project.as_ref())
        {
            Some(p) => format!("preloader {p}"),
            None => "preloader project unknown".into(),
        },
        format!("LCM lk: {}", names(&f.lcm.lk)),
        format!("kernel: {}", names(&f.lcm.kernel)),
    ];
    format!("{line}\n{}", wrap(&detail.join("; "), indent, indent))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::discover::PackageKind;

    fn row(path: &str, failure: Option<&str>) -> LibraryRow {
        use crate::firmware::{
            facts::{ImageReport, LcmReport, PreloaderFacts, Problem, RomFacts},
            preloader::PreloaderLayout,
            scatter::Storage,
        };
        let image = |size: Option<u64>| ImageReport {
            present: size.is_some(),
            size,
            ..ImageReport::unread("ANDROID", "system.img", true)
        };
        // 11 of 12 present, 612 MB in all.
        let mut images = vec![image(Some(60_000_000)); 10];
        images.push(image(Some(12_000_000)));
        images.push(image(None));
        let facts = RomFacts {
            scatter: "MT6572_Android_scatter.txt".into(),
            platform: Some("MT6572".into()),
            project: Some("a_rather_long_project_name_indeed".into()),
            storage: Storage::Emmc,
            boot_region_size: Some(0x60_0000),
            layout: vec![],
            images,
            lcm: LcmReport {
                lk: vec!["hx8379a_fwvga_dsi_vdo".into(); 5],
                kernel: vec![],
                kernel_compression: None,
            },
            preloader: Some(PreloaderFacts {
                layout: PreloaderLayout::Flashable,
                identity: crate::firmware::preloader::PreloaderIdentity {
                    build_name: None,
                    project: Some("a516_s118".into()),
                    emi_version: Some(11),
                },
                ram_parts: Vec::new(),
            }),
            checksum_ini: None,
            problems: vec![Problem {
                severity: Severity::Error,
                partition: None,
                message: "e".into(),
            }],
        };
        LibraryRow {
            path: path.into(),
            kind: PackageKind::Zip,
            facts: failure.is_none().then_some(facts),
            failure: failure.map(str::to_owned),
        }
    }

    #[test]
    fn list_fits_80_columns_and_points_to_scan_when_stale() {
        let report = ListReport {
            root: "/a/rather/long/path/to/the/workshop/library/of/roms/that/goes/on".into(),
            packages: vec![
                row("brand/model/version/with/a/deep/path/S118.zip", None),
                row("bad.zip", Some(&"word ".repeat(30))),
            ],
            vanished: vec!["bad.zip".into()],
        };
        let text = report.human();
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        assert!(text.contains("11/12"), "{text}");
        assert!(text.contains("612 MB"), "{text}");
        assert!(text.contains("preloader a516_s118"), "{text}");
        assert!(text.contains("could not be read"), "{text}");
        assert!(text.contains("run `mtkbench library scan`"), "{text}");

        let empty = ListReport {
            root: "/lib".into(),
            packages: vec![],
            vanished: vec![],
        };
        assert!(empty.human().contains("run `mtkbench library scan`"));
    }

    #[test]
    fn summary_says_what_was_read_and_fits() {
        let summary = ScanSummary {
            root: "/lib".into(),
            packages: 50,
            inspected: 2,
            reused: 48,
            removed: 1,
            failed: 1,
            bytes_hashed: 3_200_000_000,
            elapsed: Duration::from_millis(2900),
        };
        let text = summary.human();
        assert!(text.contains("50 (2 read, 48 unchanged, 1 gone"), "{text}");
        assert!(text.contains("3.2 GB in 2.9 s (1103 MB/s)"), "{text}");
        assert!(text.contains("library list"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["seconds"], 3);
        assert_eq!(json["bytes_hashed"], 3_200_000_000u64);
    }

    fn events() -> Vec<ScanEvent> {
        let pkg = |index, reused| ScanEvent::Package {
            index,
            total: 2,
            path: format!("roms/p{index}").into(),
            reused,
        };
        vec![
            ScanEvent::Found { packages: 2 },
            pkg(1, true),
            pkg(2, false),
            ScanEvent::Bytes {
                done: 5_000_000,
                total: 9_000_000,
            },
        ]
    }

    fn render(mode: Mode) -> String {
        let mut out = Vec::new();
        {
            let mut view = ProgressView::new(mode, &mut out);
            for e in events() {
                view.show(&e);
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn progress_lines_name_only_packages_read() {
        assert_eq!(
            render(Mode::Lines),
            "found 2 package(s)\n[2/2] reading roms/p2\n"
        );
        assert_eq!(render(Mode::Quiet), "");
    }

    #[test]
    fn live_progress_redraws_one_line_and_clears_it() {
        let text = render(Mode::Live);
        assert!(!text.contains('\n'), "{text:?}");
        assert!(text.contains("\r[1/2] roms/p1"), "{text:?}");
        assert!(text.contains("\r[2/2] roms/p2"), "{text:?}");
        // Dropped without `Finished` (an error): the line is wiped.
        assert!(text.ends_with("\r\x1b[K"), "{text:?}");
    }
}
