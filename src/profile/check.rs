//! The named checks behind [`BoardProfile::validate`](super::BoardProfile::validate).
//!
//! Each check is a small function that looks at one concern and pushes a [`ProfileProblem`]
//! naming the field (`layout[3].size`) and saying what it should hold. Checks never stop at
//! the first problem, so a technician sees everything wrong with a file at once.
//! Pure: no I/O.

use super::{BoardProfile, Partition, StorageKind, hex::format as hx};
use crate::{firmware::NVRAM_SET, profile::ProfileProblem};

/// eMMC sector size: MBR/EBR entries count 512-byte sectors, so every user-area partition must
/// start and end on a sector boundary.
const EMMC_SECTOR: u64 = 0x200;

/// The eMMC boot region size seen in real MT6572 scatters is always a whole number of MiB
/// (0x600000, 0xC00000, 0x1400000).
const BOOT_REGION_UNIT: u64 = 0x10_0000;

type Check = fn(&BoardProfile, &mut Vec<ProfileProblem>);

/// Every check, in the order their messages appear.
const CHECKS: &[(&str, Check)] = &[
    ("id_format", id_format),
    ("text_lists", text_lists),
    ("projects_present", projects_present),
    ("storage_geometry", storage_geometry),
    ("ram_size", ram_size),
    ("layout_present", layout_present),
    ("partition_names", partition_names),
    ("partition_alignment", partition_alignment),
    ("partition_size_zero", partition_size_zero),
    ("partition_order", partition_order),
    ("partition_overlap", partition_overlap),
    ("partition_source_listed", partition_source_listed),
    ("nvram_set_complete", nvram_set_complete),
    ("lcm_drivers", lcm_drivers),
    ("preloader_project", preloader_project),
    ("download_mode", download_mode),
    ("sources_present", sources_present),
];

/// Runs every check.
pub(super) fn run_all(p: &BoardProfile) -> Vec<ProfileProblem> {
    let mut out = Vec::new();
    for (name, check) in CHECKS {
        let start = out.len();
        check(p, &mut out);
        for problem in &mut out[start..] {
            problem.check = name;
        }
    }
    out
}

fn problem(out: &mut Vec<ProfileProblem>, field: impl Into<String>, message: impl Into<String>) {
    out.push(ProfileProblem {
        check: "",
        field: field.into(),
        message: message.into(),
    });
}

fn is_lower_ident(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The file `<dir>/<id>.toml`: the registry finds overrides by id, so the two must agree.
pub(super) fn file_name_matches_id(file: &str, p: &BoardProfile) -> Option<ProfileProblem> {
    let stem = std::path::Path::new(file).file_stem()?.to_str()?;
    (stem != p.id && is_lower_ident(&p.id)).then(|| ProfileProblem {
        check: "file_name_matches_id",
        field: "id".into(),
        message: format!(
            "the id `{}` differs from the file name `{stem}`; name the file {}.toml",
            p.id, p.id
        ),
    })
}

fn id_format(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    if p.id.is_empty() {
        problem(
            out,
            "id",
            "is empty; use lower-case letters, digits and _ (e.g. \"a516_row\")",
        );
    } else if !is_lower_ident(&p.id) {
        problem(
            out,
            "id",
            format!(
                "`{}` may only hold lower-case letters, digits and _ (e.g. \"a516_row\")",
                p.id
            ),
        );
    }
}

fn text_lists(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    let lists: [(&str, &[String]); 4] = [
        ("names", &p.names),
        ("pcb_markings", &p.pcb_markings),
        ("lcm.drivers", &p.lcm.drivers),
        (
            "download.keys",
            p.download.as_ref().map_or(&[], |d| &d.keys),
        ),
    ];
    for (field, list) in lists {
        for (i, item) in list.iter().enumerate() {
            if item.trim().is_empty() {
                problem(
                    out,
                    format!("{field}[{i}]"),
                    "is empty; remove it or fill it in",
                );
            } else if list[..i].contains(item) {
                problem(
                    out,
                    format!("{field}[{i}]"),
                    format!("`{item}` is listed twice"),
                );
            }
        }
    }
}

fn projects_present(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    if p.projects.is_empty() && !p.reference {
        problem(
            out,
            "projects",
            "is empty; a board profile needs its MediaTek project codename (the <project> of \
             preloader_<project>.bin) to match ROMs; only a `reference = true` profile may omit it",
        );
    }
    for (i, project) in p.projects.iter().enumerate() {
        if !is_lower_ident(project) {
            problem(
                out,
                format!("projects[{i}]"),
                format!("`{project}` may only hold lower-case letters, digits and _"),
            );
        } else if p.projects[..i].contains(project) {
            problem(
                out,
                format!("projects[{i}]"),
                format!("`{project}` is listed twice"),
            );
        }
    }
}

fn storage_geometry(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    let s = &p.storage;
    match s.kind {
        StorageKind::Emmc => {
            match s.boot_region_size {
                None => problem(
                    out,
                    "storage.boot_region_size",
                    "is missing; an eMMC board needs it (the PRELOADER size in its scatter, e.g. \"0x600000\")",
                ),
                Some(size) if size == 0 || size % BOOT_REGION_UNIT != 0 => problem(
                    out,
                    "storage.boot_region_size",
                    format!(
                        "{} is not a non-zero multiple of {}; scatters give 0x600000, 0xc00000 or 0x1400000",
                        hx(size),
                        hx(BOOT_REGION_UNIT)
                    ),
                ),
                Some(_) => {}
            }
            if s.page_size.is_some() {
                problem(
                    out,
                    "storage.page_size",
                    "is for NAND only; remove it for an eMMC board",
                );
            }
        }
        StorageKind::Nand => {
            if s.boot_region_size.is_some() {
                problem(
                    out,
                    "storage.boot_region_size",
                    "is for eMMC only; on NAND the preloader is the first partition of the layout",
                );
            }
            match s.page_size {
                None => problem(
                    out,
                    "storage.page_size",
                    "is missing; a NAND board needs it (e.g. \"0x800\")",
                ),
                Some(page) if !page.is_power_of_two() => problem(
                    out,
                    "storage.page_size",
                    format!(
                        "{} is not a power of two (e.g. \"0x800\" or \"0x1000\")",
                        hx(page)
                    ),
                ),
                Some(_) => {}
            }
            if s.block_size.is_none() {
                problem(
                    out,
                    "storage.block_size",
                    "is missing; a NAND board needs it (e.g. \"0x20000\")",
                );
            }
        }
    }
    if let Some(block) = s.block_size {
        let page = s.page_size.filter(|p| p.is_power_of_two()).unwrap_or(1);
        if block == 0 || block % page != 0 {
            problem(
                out,
                "storage.block_size",
                format!(
                    "{} is not a non-zero multiple of the page size {}",
                    hx(block),
                    hx(page)
                ),
            );
        }
    }
    if let Some(pool) = s.bmt_pool_size
        && (pool == 0 || pool % alignment(p) != 0)
    {
        problem(
            out,
            "storage.bmt_pool_size",
            format!(
                "{} is not a non-zero multiple of {}",
                hx(pool),
                hx(alignment(p))
            ),
        );
    }
}

fn ram_size(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    if let Some(ram) = p.ram_size
        && (ram == 0 || ram % 0x10_0000 != 0)
    {
        problem(
            out,
            "ram_size",
            format!(
                "{} is not a whole number of MiB (512 MB is \"0x20000000\")",
                hx(ram)
            ),
        );
    }
}

/// The unit partitions must be aligned to: the eMMC sector, or the NAND erase block.
fn alignment(p: &BoardProfile) -> u64 {
    match p.storage.kind {
        StorageKind::Emmc => EMMC_SECTOR,
        StorageKind::Nand => p
            .storage
            .block_size
            .filter(|b| *b > 0)
            .unwrap_or(EMMC_SECTOR),
    }
}

fn layout_present(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    if p.layout.is_empty() {
        problem(
            out,
            "layout",
            "is empty; list the board's partitions with offset and size",
        );
    }
}

fn partition_names(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    for (i, part) in p.layout.iter().enumerate() {
        let ok = !part.name.is_empty()
            && part
                .name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            problem(
                out,
                format!("layout[{i}].name"),
                format!(
                    "`{}` is not a scatter partition name (upper-case letters, digits and _, e.g. \"NVRAM\")",
                    part.name
                ),
            );
        } else if let Some(j) = p.layout[..i].iter().position(|q| q.name == part.name) {
            problem(
                out,
                format!("layout[{i}].name"),
                format!("`{}` is already layout[{j}]", part.name),
            );
        }
    }
}

fn partition_alignment(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    let unit = alignment(p);
    let why = match p.storage.kind {
        StorageKind::Emmc => "the eMMC sector size",
        StorageKind::Nand => "the NAND block size",
    };
    for (i, part) in p.layout.iter().enumerate() {
        for (field, value) in [("offset", part.offset), ("size", part.size)] {
            if value % unit != 0 {
                problem(
                    out,
                    format!("layout[{i}].{field}"),
                    format!(
                        "{} of {} is not a multiple of {} ({why})",
                        hx(value),
                        part.name,
                        hx(unit)
                    ),
                );
            }
        }
    }
}

fn partition_size_zero(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    let last = p.layout.len().saturating_sub(1);
    for (i, part) in p.layout.iter().enumerate() {
        if part.size == 0 && i != last {
            problem(
                out,
                format!("layout[{i}].size"),
                format!(
                    "{} has size 0x0; only the last partition may (meaning \"to the end of the storage\")",
                    part.name
                ),
            );
        }
    }
}

fn partition_order(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    for (i, pair) in p.layout.windows(2).enumerate() {
        if pair[1].offset < pair[0].offset {
            problem(
                out,
                format!("layout[{}].offset", i + 1),
                format!(
                    "{} at {} comes before {} at {}; list partitions in address order",
                    pair[1].name,
                    hx(pair[1].offset),
                    pair[0].name,
                    hx(pair[0].offset)
                ),
            );
        }
    }
}

fn partition_overlap(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    let range = |q: &Partition| format!("{}..{}", hx(q.offset), hx(q.end()));
    for (i, a) in p.layout.iter().enumerate() {
        for (j, b) in p.layout.iter().enumerate().skip(i + 1) {
            if a.size > 0 && b.size > 0 && a.offset < b.end() && b.offset < a.end() {
                problem(
                    out,
                    format!("layout[{j}].offset"),
                    format!(
                        "{} ({}) overlaps {} (layout[{i}], {})",
                        b.name,
                        range(b),
                        a.name,
                        range(a)
                    ),
                );
            }
        }
    }
}

fn partition_source_listed(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    for (i, part) in p.layout.iter().enumerate() {
        if let Some(src) = &part.source
            && !p.sources.iter().any(|s| &s.path == src)
        {
            problem(
                out,
                format!("layout[{i}].source"),
                format!("`{src}` is not one of the profile's sources[].path"),
            );
        }
    }
}

fn nvram_set_complete(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    let expected = NVRAM_SET.join(", ");
    for (i, name) in p.nvram_set.iter().enumerate() {
        if !crate::firmware::is_nvram_set(name) {
            problem(
                out,
                format!("nvram_set[{i}]"),
                format!("`{name}` is not part of the NVRAM set ({expected})"),
            );
        } else if p.partition(name).is_none() {
            problem(
                out,
                format!("nvram_set[{i}]"),
                format!(
                    "`{name}` is not in the layout; the identity backup needs every NVRAM-set partition"
                ),
            );
        }
    }
    for name in NVRAM_SET {
        if !p.nvram_set.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            problem(
                out,
                "nvram_set",
                format!("misses `{name}`; the NVRAM set is {expected}"),
            );
        }
    }
}

fn lcm_drivers(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    let lcm = &p.lcm;
    match (lcm.drivers.is_empty(), lcm.unknown) {
        (true, false) => problem(
            out,
            "lcm.drivers",
            "is empty; list the LCM driver names, or write `unknown = true` if the panel is not known",
        ),
        (false, true) => problem(
            out,
            "lcm.unknown",
            "is true but drivers are listed; remove one of the two",
        ),
        _ => {}
    }
    if let Some(running) = &lcm.seen_running
        && !lcm.drivers.contains(running)
    {
        problem(
            out,
            "lcm.seen_running",
            format!("`{running}` is not in lcm.drivers"),
        );
    }
    if let Some(res) = &lcm.resolution {
        let ok = res
            .split_once('x')
            .is_some_and(|(w, h)| [w, h].iter().all(|n| n.parse::<u32>().is_ok_and(|v| v > 0)));
        if !ok {
            problem(
                out,
                "lcm.resolution",
                format!("`{res}` is not WIDTHxHEIGHT (e.g. \"480x854\")"),
            );
        }
    }
}

fn preloader_project(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    if let Some(pl) = &p.preloader
        && !is_lower_ident(&pl.project)
    {
        problem(
            out,
            "preloader.project",
            format!(
                "`{}` is not a project codename (lower-case letters, digits and _)",
                pl.project
            ),
        );
    }
}

fn download_mode(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    if let Some(d) = &p.download {
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|t| t.trim().is_empty());
        if d.keys.is_empty() && blank(&d.test_point) && blank(&d.notes) {
            problem(
                out,
                "download",
                "is empty; give keys, test_point or notes, or leave the section out",
            );
        }
    }
}

fn sources_present(p: &BoardProfile, out: &mut Vec<ProfileProblem>) {
    if p.sources.is_empty() {
        problem(
            out,
            "sources",
            "is empty; say where the facts come from (a file, a URL, your bench notes)",
        );
    }
    for (i, s) in p.sources.iter().enumerate() {
        if s.path.trim().is_empty() {
            problem(out, format!("sources[{i}].path"), "is empty");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Lcm, Source, Storage};

    fn part(name: &str, offset: u64, size: u64) -> Partition {
        Partition {
            name: name.into(),
            offset,
            size,
            source: None,
        }
    }

    fn sound() -> BoardProfile {
        BoardProfile {
            id: "t".into(),
            reference: false,
            names: vec![],
            pcb_markings: vec![],
            projects: vec!["t".into()],
            ram_size: None,
            nvram_set: NVRAM_SET.iter().map(|s| s.to_string()).collect(),
            notes: String::new(),
            layout: vec![
                part("PRO_INFO", 0x10_0000, 0x30_0000),
                part("NVRAM", 0x40_0000, 0x50_0000),
                part("PROTECT_F", 0x90_0000, 0xa0_0000),
                part("PROTECT_S", 0x130_0000, 0xa0_0000),
            ],
            storage: Storage {
                kind: StorageKind::Emmc,
                boot_region_size: Some(0x60_0000),
                block_size: Some(0x2_0000),
                page_size: None,
                bmt_pool_size: None,
            },
            lcm: Lcm {
                drivers: vec![],
                unknown: true,
                seen_running: None,
                resolution: None,
            },
            preloader: None,
            download: None,
            sources: vec![Source {
                path: "x".into(),
                origin: None,
                facts: None,
            }],
        }
    }

    fn checks(p: &BoardProfile) -> Vec<&'static str> {
        run_all(p).iter().map(|pr| pr.check).collect()
    }

    #[test]
    fn sound_profile_has_no_problems() {
        assert_eq!(run_all(&sound()), vec![]);
    }

    #[test]
    fn each_check_fires_on_its_own_fault() {
        let mut p = sound();
        p.id = "A516".into();
        assert_eq!(checks(&p), ["id_format"]);

        let mut p = sound();
        p.storage.boot_region_size = Some(0x18_0000);
        assert_eq!(checks(&p), ["storage_geometry"]);

        let mut p = sound();
        p.storage.kind = StorageKind::Nand;
        // boot_region_size present, page_size missing: two problems, one check
        assert_eq!(checks(&p), ["storage_geometry", "storage_geometry"]);

        let mut p = sound();
        p.layout[1].size = 0x50_0100;
        let pr = run_all(&p);
        assert_eq!(pr[0].check, "partition_alignment");
        assert_eq!(pr[0].field, "layout[1].size");

        let mut p = sound();
        p.layout[0].size = 0;
        assert_eq!(checks(&p), ["partition_size_zero"]);

        let mut p = sound();
        p.layout.swap(0, 1);
        assert_eq!(checks(&p), ["partition_order"]);

        let mut p = sound();
        p.lcm.unknown = false;
        assert_eq!(checks(&p), ["lcm_drivers"]);

        let mut p = sound();
        p.lcm.resolution = Some("480*854".into());
        assert_eq!(checks(&p), ["lcm_drivers"]);

        let mut p = sound();
        p.sources.clear();
        assert_eq!(checks(&p), ["sources_present"]);

        let mut p = sound();
        p.layout[2].source = Some("fastboot".into());
        assert_eq!(checks(&p), ["partition_source_listed"]);
    }

    #[test]
    fn overlap_names_both_partitions() {
        let mut p = sound();
        p.layout[1].offset = 0x30_0000;
        let pr = run_all(&p);
        assert_eq!(pr.len(), 1, "{pr:?}");
        assert_eq!(pr[0].field, "layout[1].offset");
        assert_eq!(
            pr[0].message,
            "NVRAM (0x300000..0x800000) overlaps PRO_INFO (layout[0], 0x100000..0x400000)"
        );
    }

    #[test]
    fn nvram_set_must_be_complete_and_present() {
        let mut p = sound();
        p.nvram_set.retain(|n| n != "PROTECT_S");
        p.nvram_set.push("SECCFG".into());
        let fields: Vec<_> = run_all(&p).into_iter().map(|pr| pr.field).collect();
        assert_eq!(fields, ["nvram_set[3]", "nvram_set"]);

        let mut p = sound();
        p.layout.pop();
        let pr = run_all(&p);
        assert_eq!(pr[0].field, "nvram_set[3]");
        assert!(pr[0].message.contains("not in the layout"));
    }

    #[test]
    fn reference_profile_may_omit_projects() {
        let mut p = sound();
        p.projects.clear();
        assert_eq!(checks(&p), ["projects_present"]);
        p.reference = true;
        assert_eq!(checks(&p), Vec::<&str>::new());
    }

    #[test]
    fn file_name_must_match_id() {
        let p = sound();
        assert!(file_name_matches_id("profiles/t.toml", &p).is_none());
        let pr = file_name_matches_id("/home/x/profiles/other.toml", &p).unwrap();
        assert_eq!(pr.field, "id");
        assert!(pr.message.contains("name the file t.toml"));
    }
}
