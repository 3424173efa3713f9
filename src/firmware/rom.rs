//! ROM packages: a folder (or a .zip of one) holding a scatter file and the images it names.
//!
//! [`inspect`] finds the scatter file (possibly in a subfolder), reads every image it names in
//! one streaming pass each ([`scan_image`]: size, SHA-256, SP Flash Tool 16-bit checksum,
//! header sniff, LCM names, preloader identity) and lists the problems a technician must know
//! before flashing. A zip is read entry by entry as streams; nothing is unpacked to disk.
//!
//! Safety: a file name that escapes the package (absolute, `..`, a drive letter, a symlink
//! pointing outside) is refused and reported as an error; it is never opened. The same rule
//! applies to the names of zip entries.
//!
//! `kind` of an image (a short string for the JSON and the table):
//! `preloader` (GFH or EMMC_BOOT readback), `mtk:<NAME>` (512-byte MediaTek header, e.g.
//! `mtk:LK`, `mtk:LOGO`), `lk-no-header` (what the UBOOT partition holds without that header),
//! `android-boot`, `mbr`, `ebr`, `ext4`, `android-sparse`, `secro` (`AND_AC_REGION`), `empty`
//! (0 bytes) and `raw` (none of these).
//!
//! This module reads files but knows no phone: it must not import `device`, `transport`,
//! `flash` or anything that draws.
//!
//! Layout: this file inspects a package; `rom/scan.rs` reads one image, `rom/package.rs`
//! opens a folder or a zip safely.

use std::{
    io::Read,
    path::{Path, PathBuf},
};

use serde::Serialize;

use crate::{
    error::{Advice, HostError},
    firmware::{
        checksum::{self, ChecksumIni},
        facts::{PreloaderFacts, layout_of},
        is_nvram_set,
        preloader::{PreloaderInfo, PreloaderLayout},
        scatter::{self, Partition, Region, Scatter, ScatterError, Storage},
        tables,
    },
};

mod package;
mod scan;

pub use package::safe_relative;
use package::{Package, choose_scatter, open_package, read_text};
use scan::Counted;
pub use scan::{ImageContent, ImageScan, scan_image, scan_image_for};

pub use crate::firmware::facts::{
    ChecksumIniReport, ChecksumStatus, ImageReport, LcmReport, Problem, RomFacts, Severity,
};

/// Bytes kept from the start of every image to recognise its format.
pub const HEAD_LEN: usize = 0x1000;

/// Read size for hashing: large, so that GB images stream at disk speed.
const CHUNK: usize = 1 << 20;

/// The platform every ROM must be built for.
pub const PLATFORM: &str = "MT6572";

/// Largest scatter file read from a package (real ones are under 10 KB).
const MAX_SCATTER: u64 = 1 << 20;

/// Everything `rom inspect` found: the package's [`RomFacts`] (the one type the library index
/// and listing keep too), where the package is, and the decoded headers of its images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RomReport {
    /// The folder or zip inspected.
    #[serde(serialize_with = "crate::fsutil::lossy")]
    pub package: PathBuf,
    /// `folder` or `zip`.
    pub container: &'static str,
    /// The facts (their fields are at the top level of the JSON).
    #[serde(flatten)]
    pub facts: RomFacts,
}

impl std::ops::Deref for RomReport {
    type Target = RomFacts;

    fn deref(&self) -> &RomFacts {
        &self.facts
    }
}

/// Why a package cannot be inspected at all.
#[derive(Debug, thiserror::Error)]
pub enum RomError {
    /// The path is neither a folder, a zip nor a scatter file.
    #[error("{path} is not a ROM folder, a .zip or a scatter file")]
    NotAPackage {
        /// The path given.
        path: PathBuf,
    },
    /// No scatter file anywhere in the package.
    #[error("no scatter file (*_Android_scatter.txt) in {path}")]
    NoScatter {
        /// The package.
        path: PathBuf,
    },
    /// The zip's directory cannot be read.
    #[error("{path} is not a readable zip: {source}")]
    BadZip {
        /// The zip file.
        path: PathBuf,
        /// The zip library's reason.
        source: zip::result::ZipError,
    },
    /// The scatter file does not parse.
    #[error("scatter file {file}: {source}")]
    Scatter {
        /// The scatter file inside the package.
        file: String,
        /// The parser's reason.
        source: ScatterError,
    },
}

impl Advice for RomError {
    fn help(&self) -> String {
        match self {
            RomError::NotAPackage { .. } => {
                "give the folder that holds MT6572_Android_scatter.txt, or the .zip of it".into()
            }
            RomError::NoScatter { .. } => {
                "this is not an SP Flash Tool ROM, or it is incomplete: get the full ROM package \
                 (it contains MT6572_Android_scatter.txt)"
                    .into()
            }
            RomError::BadZip { .. } => {
                "the zip is damaged or incomplete: download it again, or unpack it with another \
                 tool and inspect the folder"
                    .into()
            }
            RomError::Scatter { source, .. } => source.help(),
        }
    }

    fn is_bad_input(&self) -> bool {
        true
    }
}

/// A ROM package opened for reading: its scatter file, parsed, and a way to stream the images
/// it names (from a folder or from the zip, never unpacked).
pub struct OpenRom {
    pkg: Package,
    scatter_file: String,
    base: String,
    scatter: Scatter,
    problems: Vec<Problem>,
}

impl OpenRom {
    /// Opens a folder, a .zip of one, or a scatter file (its folder), finds the scatter file
    /// and parses it.
    pub fn open(path: &Path) -> crate::Result<OpenRom> {
        let (mut pkg, named, mut problems) = open_package(path)?;
        let scatter_rel = match named {
            Some(n) => n,
            None => {
                let names = pkg.file_names();
                let found = choose_scatter(&names);
                let Some(first) = found.first() else {
                    return Err(RomError::NoScatter { path: path.into() }.into());
                };
                if found.len() > 1 {
                    problems.push(Problem {
                        severity: Severity::Warning,
                        partition: None,
                        message: format!(
                            "{} scatter files lie side by side; {first} was used: make sure it \
                             is the one for this phone",
                            found.len()
                        ),
                    });
                }
                (*first).clone()
            }
        };
        let scatter_at = match pkg.locate(&scatter_rel) {
            Ok(Some(at)) => at,
            _ => return Err(RomError::NoScatter { path: path.into() }.into()),
        };
        let text = read_text(&mut pkg, &scatter_at, "scatter file")?;
        let scatter = scatter::parse(&text).map_err(|source| RomError::Scatter {
            file: scatter_rel.clone(),
            source,
        })?;
        let base = match scatter_rel.rfind('/') {
            Some(i) => scatter_rel[..=i].to_owned(),
            None => String::new(),
        };
        Ok(OpenRom {
            pkg,
            scatter_file: scatter_rel,
            base,
            scatter,
            problems,
        })
    }

    /// The parsed scatter file.
    pub fn scatter(&self) -> &Scatter {
        &self.scatter
    }

    /// Streams the image the scatter calls `file`. A name that escapes the package and a
    /// missing file are errors.
    pub fn image(&mut self, file: &str) -> Result<Box<dyn Read + '_>, HostError> {
        let missing = |reason: &str| {
            HostError::io(
                "read",
                file,
                std::io::Error::new(std::io::ErrorKind::NotFound, reason.to_string()),
            )
        };
        let rel = safe_relative(file).map(|rel| format!("{}{rel}", self.base));
        let at = match rel.map(|rel| self.pkg.locate(&rel)) {
            Some(Ok(Some(at))) => at,
            None | Some(Err(())) => {
                return Err(missing("the name points outside the ROM package"));
            }
            Some(Ok(None)) => return Err(missing("not in the ROM package")),
        };
        self.pkg
            .open(&at)
            .map_err(|e| HostError::io("read", file, e))
    }
}

/// Inspects a ROM package: a folder, a .zip of one, or a scatter file (its folder).
pub fn inspect(path: &Path) -> crate::Result<RomReport> {
    inspect_with(path, &mut |_| {})
}

/// [`inspect`], calling `on_bytes(n)` each time `n` more image bytes have been read (in
/// chunks of up to 1 MiB; a zip's images count uncompressed), so a caller can show progress.
pub fn inspect_with(path: &Path, on_bytes: &mut dyn FnMut(u64)) -> crate::Result<RomReport> {
    let OpenRom {
        mut pkg,
        scatter_file: scatter_rel,
        base,
        scatter,
        problems: late_problems,
    } = OpenRom::open(path)?;

    let mut problems = scatter_problems(&scatter);
    let (checksum_ini, ini) = load_checksum_ini(&mut pkg, &base, &mut problems);

    let mut images = Vec::new();
    let mut lcm = LcmReport::default();
    let mut preloader_info = None;
    for part in &scatter.partitions {
        let Some(file) = part.file.clone() else {
            continue;
        };
        let image = inspect_image(
            &mut pkg,
            &base,
            part,
            &file,
            ini.as_ref(),
            &mut problems,
            on_bytes,
        );
        match &image.detail {
            Some(
                ImageContent::Mtk {
                    lcm: Some(names), ..
                }
                | ImageContent::HeaderlessLk { lcm: names },
            ) => push_unique(&mut lcm.lk, names),
            Some(ImageContent::AndroidBoot {
                kernel: Some(k), ..
            }) if is_boot_partition(&part.name) => {
                push_unique(&mut lcm.kernel, &k.names);
                lcm.kernel_compression = Some(k.payload.compression_name().to_owned());
            }
            Some(ImageContent::Preloader(info)) if preloader_info.is_none() => {
                preloader_info = Some(info.clone());
            }
            _ => {}
        }
        images.push(image);
    }
    if let Some(info) = &preloader_info {
        check_preloader_project(&scatter, info, &mut problems);
    }
    resolve_tables(&scatter, &mut images, &mut problems);
    if images
        .iter()
        .any(|i| i.present && i.kind.as_deref() == Some("mtk:LK"))
        && lcm.lk.is_empty()
    {
        problems.push(Problem {
            severity: Severity::Warning,
            partition: Some("UBOOT".into()),
            message: "no display driver name found in lk.bin: the panel this ROM supports \
                      cannot be checked before flashing"
                .into(),
        });
    }
    problems.extend(late_problems);
    problems.sort_by_key(|p| p.severity);

    Ok(RomReport {
        package: path.into(),
        container: match pkg {
            Package::Folder { .. } => "folder",
            Package::Zip { .. } => "zip",
        },
        facts: RomFacts {
            scatter: scatter_rel,
            platform: scatter.platform.clone(),
            project: scatter.project.clone(),
            storage: scatter.storage,
            boot_region_size: (scatter.storage == Storage::Emmc).then(|| scatter.boot1_size()),
            layout: layout_of(&scatter),
            images,
            lcm,
            preloader: preloader_info.as_ref().map(PreloaderFacts::from),
            checksum_ini,
            problems,
        },
    })
}

/// What `rom inspect` and `diagnose lcm` both say about an lk image without its header.
pub fn headerless_lk_message(file: &str) -> String {
    format!(
        "{file} has no 512-byte MediaTek header (LK): the preloader does not load an UBOOT \
         image without it, so the phone would not start. Take lk.bin from the complete ROM, \
         or put the header back with MediaTek's mkimage (mkimage {file} LK > lk_mtk.bin)"
    )
}

/// The partitions that hold lk.
pub fn is_lk_partition(name: &str) -> bool {
    name.eq_ignore_ascii_case("UBOOT") || name.eq_ignore_ascii_case("LK")
}

fn is_boot_partition(name: &str) -> bool {
    name.eq_ignore_ascii_case("BOOTIMG") || name.eq_ignore_ascii_case("BOOT")
}

fn push_unique(into: &mut Vec<String>, names: &[String]) {
    for n in names {
        if !into.contains(n) {
            into.push(n.clone());
        }
    }
}

/// What the scatter file alone tells about a package: an error when it names another platform
/// than [`PLATFORM`], and the parser's own warnings.
pub fn scatter_problems(scatter: &Scatter) -> Vec<Problem> {
    let mut problems = Vec::new();
    match &scatter.platform {
        Some(p) if p.eq_ignore_ascii_case(PLATFORM) => {}
        Some(p) => problems.push(Problem {
            severity: Severity::Error,
            partition: None,
            message: format!(
                "the scatter file is for {p}, not {PLATFORM}: this ROM belongs to another \
                 phone and must not be flashed"
            ),
        }),
        None => problems.push(Problem {
            severity: Severity::Warning,
            partition: None,
            message: format!(
                "the scatter file does not name its platform, so it cannot be confirmed to be \
                 for {PLATFORM}"
            ),
        }),
    }
    problems.extend(scatter.warnings.iter().map(|w| Problem {
        severity: Severity::Warning,
        partition: None,
        message: format!("scatter line {}: {}", w.line, w.message),
    }));
    problems
}

/// Finds and parses `Checksum.ini` next to the scatter file.
fn load_checksum_ini(
    pkg: &mut Package,
    base: &str,
    problems: &mut Vec<Problem>,
) -> (Option<ChecksumIniReport>, Option<ChecksumIni>) {
    let rel = format!("{base}Checksum.ini");
    let Ok(Some(at)) = pkg.locate(&rel) else {
        return (None, None);
    };
    let parsed = read_text(pkg, &at, "Checksum.ini")
        .map_err(|e| e.to_string())
        .and_then(|t| checksum::parse_ini(&t).map_err(|e| e.to_string()));
    match parsed {
        Ok(ini) => (
            Some(ChecksumIniReport {
                file: rel,
                tool: ini.tool.clone(),
                enabled: ini.enabled,
                entries: ini.entries.len(),
            }),
            Some(ini),
        ),
        Err(message) => {
            problems.push(Problem {
                severity: Severity::Error,
                partition: None,
                message: format!("{message}; no image could be verified against it"),
            });
            (None, None)
        }
    }
}

/// Reads one image the scatter names and records its problems.
fn inspect_image(
    pkg: &mut Package,
    base: &str,
    part: &Partition,
    file: &str,
    ini: Option<&ChecksumIni>,
    problems: &mut Vec<Problem>,
    on_bytes: &mut dyn FnMut(u64),
) -> ImageReport {
    let name = part.name.clone();
    let mut report = ImageReport {
        partition_size: part.size,
        ..ImageReport::unread(&name, file, part.download)
    };
    let mut problem = |severity, message: String| {
        problems.push(Problem {
            severity,
            partition: Some(name.clone()),
            message,
        })
    };
    if part.download && is_nvram_set(&part.name) {
        problem(
            Severity::Warning,
            format!(
                "this ROM would write {} from {file}: that copies another phone's identity \
                 (IMEI, Wi-Fi/Bluetooth MAC, radio calibration) onto this one. Leave it \
                 unticked unless it is this phone's own backup",
                part.name
            ),
        );
    }
    let located = match safe_relative(file).map(|rel| pkg.locate(&format!("{base}{rel}"))) {
        None | Some(Err(())) => {
            problem(
                Severity::Error,
                format!(
                    "file name {file:?} points outside the ROM folder; it was refused and not \
                     read. Get the ROM from a trusted source"
                ),
            );
            return report;
        }
        Some(Ok(found)) => found,
    };
    let Some(at) = located else {
        if part.download {
            problem(
                Severity::Error,
                format!(
                    "{file} is missing from the package but marked for download; SP Flash \
                     Tool will refuse the ROM. Get the complete ROM, or untick {}",
                    part.name
                ),
            );
        }
        return report;
    };
    let counted = pkg.open(&at).map(|inner| Counted { inner, on_bytes });
    let for_lk = is_lk_partition(&part.name);
    let scan = match counted.and_then(|r| scan_image_for(r, for_lk)) {
        Ok(scan) => scan,
        Err(e) => {
            problem(
                Severity::Error,
                format!("{file} cannot be read ({e}); the package is damaged"),
            );
            return report;
        }
    };
    report.present = true;
    report.size = Some(scan.size);
    report.sha256 = Some(scan.sha256.clone());
    report.checksum16 = Some(scan.checksum16);
    report.fits = part.size.map(|s| scan.size <= s);
    if let (Some(false), Some(psize)) = (report.fits, part.size) {
        problem(
            Severity::Error,
            format!(
                "{file} is {} bytes but the partition holds {psize} bytes; it does not fit and \
                 would spill into the next partition. This image is not for this layout",
                scan.size
            ),
        );
    }
    report.checksum = Some(match ini.and_then(|ini| ini.lookup(&part.name)) {
        None => ChecksumStatus::Unlisted,
        Some(v) if v == scan.checksum16 => ChecksumStatus::Ok,
        Some(v) => {
            problem(
                Severity::Error,
                format!(
                    "{file} has checksum 0x{:04X} but Checksum.ini expects 0x{v:04X}: the file \
                     is damaged or was swapped. Get the image again",
                    scan.checksum16
                ),
            );
            ChecksumStatus::Mismatch
        }
    });
    for note in &scan.notes {
        problem(Severity::Warning, format!("{file}: {note}"));
    }
    if part.name.eq_ignore_ascii_case("PRELOADER") {
        match &scan.content {
            ImageContent::Preloader(info) => {
                let declared = info
                    .gfh
                    .as_ref()
                    .filter(|_| info.layout == PreloaderLayout::Flashable)
                    .map(|g| u64::from(g.file_info.file_len));
                if let Some(len) = declared.filter(|len| scan.size < *len) {
                    problem(
                        Severity::Error,
                        format!(
                            "{file} is {} bytes but its header says {len}: the preloader is \
                             cut short and the phone would not start. Get it again",
                            scan.size
                        ),
                    );
                }
            }
            _ => problem(
                Severity::Error,
                format!(
                    "{file} is not a preloader image (no GFH header); flashing it would leave \
                     the phone unable to start"
                ),
            ),
        }
    }
    if let ImageContent::HeaderlessLk { .. } = scan.content {
        problem(Severity::Error, headerless_lk_message(file));
    }
    let mut kind = scan.content.kind();
    if let ImageContent::PartitionTable { .. } = scan.content {
        // The partition name is a better witness than the sector.
        if part.name.to_ascii_uppercase().starts_with("EBR") {
            kind = "ebr".into();
        } else if part.name.eq_ignore_ascii_case("MBR") {
            kind = "mbr".into();
        }
    }
    report.kind = Some(kind);
    report.detail = Some(scan.content);
    report
}

/// Resolves the MBR/EBR images to absolute user-area offsets (each from its own place in the
/// scatter) and reports every entry that disagrees with the scatter as an error.
fn resolve_tables(scatter: &Scatter, images: &mut [ImageReport], problems: &mut Vec<Problem>) {
    for image in images.iter_mut() {
        let Some(part) = scatter
            .partitions
            .iter()
            .find(|p| p.name == image.partition && p.region == Region::EmmcUser)
        else {
            continue;
        };
        if let Some(ImageContent::PartitionTable {
            table, resolved, ..
        }) = &mut image.detail
        {
            *resolved = tables::resolve(part.region_offset, table);
            for message in tables::cross_check(&part.name, resolved, scatter) {
                problems.push(Problem {
                    severity: Severity::Error,
                    partition: Some(part.name.clone()),
                    message,
                });
            }
        }
    }
}

/// Warns when the preloader was built for another project than the scatter names.
fn check_preloader_project(scatter: &Scatter, info: &PreloaderInfo, problems: &mut Vec<Problem>) {
    if let (Some(built), Some(named)) = (&info.project, &scatter.project)
        && !built.eq_ignore_ascii_case(named)
    {
        problems.push(Problem {
            severity: Severity::Warning,
            partition: Some("PRELOADER".into()),
            message: format!(
                "the preloader was built for project {built} but the scatter says {named}. \
                 Tools such as MTK Droid Tools rewrite the scatter's project, so trust the \
                 preloader's; flash this preloader only onto a {built} board"
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::bootimg;

    #[test]
    fn unsafe_names_are_refused() {
        for bad in [
            "../evil",
            "/etc/passwd",
            "a/../../b",
            "C:\\x.img",
            "..\\x",
            "",
            "./",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
        assert_eq!(safe_relative("boot.img").as_deref(), Some("boot.img"));
        assert_eq!(
            safe_relative("./sub\\lk.bin").as_deref(),
            Some("sub/lk.bin")
        );
        assert_eq!(safe_relative("a/./b").as_deref(), Some("a/b"));
    }

    #[test]
    fn scatter_choice_prefers_android_scatter_then_depth() {
        let names: Vec<String> = [
            "deep/er/MT6572_Android_scatter.txt",
            "ota_scatter.txt",
            "rom/MT6572_Android_scatter.txt",
            "readme.txt",
        ]
        .map(String::from)
        .into();
        assert_eq!(choose_scatter(&names), [&names[2]]);
        assert!(choose_scatter(&["boot.img".to_string()]).is_empty());
    }

    #[test]
    fn damaged_boot_kernel_is_a_note_not_a_failure() {
        let mut img = vec![0u8; 4096];
        img[..8].copy_from_slice(bootimg::MAGIC);
        img[8..12].copy_from_slice(&100_000u32.to_le_bytes());
        img[0x24..0x28].copy_from_slice(&2048u32.to_le_bytes());
        let scan = scan_image(&img[..]).unwrap();
        assert_eq!(scan.content.kind(), "android-boot");
        assert_eq!(scan.size, 4096);
        assert_eq!(scan.notes.len(), 1, "{:?}", scan.notes);
        assert!(scan.notes[0].contains("cut short"));
    }
}
