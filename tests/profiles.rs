//! Board profiles: every shipped file, the builtin list, agreement with the real samples the
//! profiles were built from, the invalid fixtures, user folders, and the `profiles` commands.

mod common;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use mtkbench::{
    firmware::scatter,
    profile::{BoardProfile, Origin, ProfileError, Registry, StorageKind, registry::BUILTIN_FILES},
};

fn profiles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles")
}

/// Every `profiles/*.toml` on disk: (file name, text), sorted.
fn shipped() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(profiles_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn shipped_profiles() -> Vec<BoardProfile> {
    shipped()
        .iter()
        .map(|(name, text)| BoardProfile::from_toml(&format!("profiles/{name}"), text).unwrap())
        .collect()
}

#[test]
fn every_shipped_profile_parses_and_validates() {
    let files = shipped();
    assert!(
        files.len() >= 9,
        "expected at least 9 profiles, found {}",
        files.len()
    );
    for (name, text) in &files {
        let label = format!("profiles/{name}");
        let profile = BoardProfile::from_toml(&label, text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(profile.validate(), vec![], "{label}");
        // Writing and reading again gives the same profile (the hex module round-trips).
        let again = BoardProfile::from_toml(&label, &profile.to_toml().unwrap()).unwrap();
        assert_eq!(again, profile, "{label} does not round-trip");
    }
    let ids: Vec<String> = shipped_profiles().into_iter().map(|p| p.id).collect();
    for want in [
        "a516_row",
        "up40_h405f_meo",
        "konka72_i128_emmc",
        "s4050ap",
        "yarisl",
        "pe900s",
        "a101",
        "altek72_we_jb3",
        "ref_nand_2k",
    ] {
        assert!(ids.iter().any(|id| id == want), "no profile {want}");
    }
}

#[test]
fn exactly_one_nand_profile_and_it_is_marked_reference() {
    let nand: Vec<_> = shipped_profiles()
        .into_iter()
        .filter(|p| p.storage.kind == StorageKind::Nand)
        .collect();
    assert_eq!(nand.len(), 1);
    let p = &nand[0];
    assert!(p.reference);
    assert!(p.names.is_empty() && p.projects.is_empty());
    assert!(p.notes.contains("Reference profile"));
    assert_eq!(p.storage.page_size, Some(0x800));
    assert_eq!(p.layout[0].name, "PRELOADER");
    assert_eq!(p.layout[0].offset, 0);
    // Every real board is eMMC and is not a reference.
    for p in shipped_profiles()
        .iter()
        .filter(|p| p.storage.kind == StorageKind::Emmc)
    {
        assert!(!p.reference, "{}", p.id);
        assert!(p.storage.boot_region_size.is_some(), "{}", p.id);
    }
}

#[test]
fn builtin_registry_holds_exactly_the_files_on_disk() {
    let on_disk = shipped();
    let embedded: Vec<(String, String)> = BUILTIN_FILES
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    let mut embedded_sorted = embedded.clone();
    embedded_sorted.sort();
    assert_eq!(
        embedded_sorted.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        on_disk.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "profiles/ and BUILTIN_FILES list different files"
    );
    assert_eq!(
        embedded_sorted, on_disk,
        "an embedded text differs from the file"
    );
    let registry = Registry::builtin();
    assert_eq!(registry.len(), on_disk.len(), "a builtin was refused");
    for entry in registry.iter() {
        let Origin::Builtin { file } = &entry.origin else {
            panic!("{} is not builtin", entry.profile.id)
        };
        assert_eq!(file, &format!("profiles/{}.toml", entry.profile.id));
    }
}

#[test]
fn helpers_answer_from_the_layout() {
    let registry = Registry::builtin();
    let a516 = &registry.get("a516_row").unwrap().profile;
    let nvram = a516.partition("nvram").unwrap();
    assert_eq!((nvram.offset, nvram.size), (0x40_0000, 0x50_0000));
    assert!(nvram.is_nvram());
    assert!(!a516.partition("ANDROID").unwrap().is_nvram());
    let names: Vec<_> = a516.nvram_partitions().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"]);
    // USRDATA at 0x57d40000, 0x60000000 long.
    assert_eq!(a516.total_user_size(), 0xb7d4_0000);
    assert_eq!(a516.storage.boot_region_size, Some(0x60_0000));
    assert!(
        a516.partition("PRELOADER").is_none(),
        "eMMC preloader lives in the boot region"
    );
}

// ---- agreement with the real samples ---------------------------------------------------------

/// A hex number as fastboot and the ptgen sheets write it (`0x` optional).
fn num(s: &str) -> u64 {
    let s = s.trim();
    u64::from_str_radix(s.trim_start_matches("0x").trim_start_matches("0X"), 16).unwrap()
}

/// The `block_size` of a V1 scatter's `general` block: the parser checks it but does not keep
/// it, so it is taken from its line.
fn block_size(text: &str) -> u64 {
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("block_size:"))
        .unwrap();
    num(line)
}

#[test]
fn shipped_layouts_agree_with_their_source_scatter() {
    let Some(real) = common::realdata("shipped_layouts_agree_with_their_source_scatter") else {
        return;
    };
    let mut checked = 0;
    for p in shipped_profiles() {
        let Some(src) = p
            .sources
            .iter()
            .find(|s| s.path.starts_with("scatter/MT6572_Android_scatter"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(real.join(&src.path)).unwrap();
        let sc = scatter::parse(&text).unwrap();
        let id = &p.id;
        assert_eq!(sc.platform.as_deref(), Some("MT6572"), "{id}");
        let pre = &sc.partitions[0];
        assert_eq!(pre.name, "PRELOADER");
        let boot = pre.size.unwrap();
        assert_eq!(p.storage.boot_region_size, Some(boot), "{id}: boot region");
        assert_eq!(p.storage.block_size, Some(block_size(&text)), "{id}");
        // The preloader project is the one the scatter's preloader file names, when it names one.
        let pre_file = pre.file.as_deref().unwrap();
        match pre_file
            .strip_prefix("preloader_")
            .and_then(|f| f.strip_suffix(".bin"))
        {
            Some(project) => {
                assert_eq!(p.preloader.as_ref().unwrap().project, project, "{id}");
                assert!(p.projects.iter().any(|x| x == project), "{id}");
            }
            None => assert_eq!(pre_file, "preloader.bin", "{id}"),
        }
        let mut seen = Vec::new();
        for part in &sc.partitions[1..] {
            let name = &part.name;
            let linear = part.linear_start;
            let size = part.size.unwrap();
            if name == "BMTPOOL" {
                assert_eq!(p.storage.bmt_pool_size, Some(size), "{id}: BMT pool");
            }
            // Reserved entries whose "address" is 0xFFFFxxxx, and unnamed entries, are not
            // partitions of the user area.
            if name.is_empty() || part.address_is_pseudo {
                assert!(
                    p.partition(name).is_none() || name.is_empty(),
                    "{id}: {name}"
                );
                continue;
            }
            let q = p
                .partition(name)
                .unwrap_or_else(|| panic!("{id}: {name} from the scatter is not in the profile"));
            seen.push(name.clone());
            if q.source.is_some() {
                continue; // taken from another source on purpose; checked below
            }
            assert_eq!(q.offset, linear - boot, "{id}: {name} offset");
            assert_eq!(q.size, size, "{id}: {name} size");
        }
        for q in &p.layout {
            assert!(
                seen.contains(&q.name),
                "{id}: {} is not in the scatter",
                q.name
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 8, "every real board has a scatter source");
}

#[test]
fn device_reported_sizes_agree_with_fastboot() {
    let Some(real) = common::realdata("device_reported_sizes_agree_with_fastboot") else {
        return;
    };
    let mut checked = 0;
    for p in shipped_profiles() {
        let Some(src) = p.layout.iter().find_map(|q| q.source.clone()) else {
            continue;
        };
        assert!(src.starts_with("logs/fastboot/"), "{}: {src}", p.id);
        let text = String::from_utf8_lossy(&std::fs::read(real.join(&src)).unwrap()).to_string();
        let mut sizes = BTreeMap::new();
        for line in text.lines() {
            if let Some((_, rest)) = line.split_once("partition-size:") {
                let (name, size) = rest.split_once(": ").unwrap();
                let name = match name {
                    "system" => "ANDROID".to_string(),
                    "userdata" => "USRDATA".to_string(),
                    "boot" => "BOOTIMG".to_string(),
                    other => other.to_uppercase(),
                };
                sizes.insert(name, num(size));
            }
        }
        assert_eq!(
            sizes.remove("PRELOADER"),
            p.storage.boot_region_size,
            "{}",
            p.id
        );
        // Every partition the device reports has the device's size in the profile ...
        for (name, size) in &sizes {
            let q = p
                .partition(name)
                .unwrap_or_else(|| panic!("{}: {name}", p.id));
            assert_eq!(q.size, *size, "{}: {name}", p.id);
        }
        assert_eq!(sizes.len(), p.layout.len(), "{}", p.id);
        // ... and the partitions taken from fastboot follow each other without a gap.
        for pair in p.layout.windows(2).filter(|w| w[1].source.is_some()) {
            assert_eq!(pair[1].offset, pair[0].end(), "{}: {}", p.id, pair[1].name);
        }
        checked += 1;
    }
    assert_eq!(checked, 1);
}

#[test]
fn nand_reference_follows_the_ptgen_sheet() {
    let Some(real) = common::realdata("nand_reference_follows_the_ptgen_sheet") else {
        return;
    };
    let registry = Registry::builtin();
    let p = &registry.get("ref_nand_2k").unwrap().profile;
    let src = p
        .sources
        .iter()
        .find(|s| s.path.starts_with("ptgen/"))
        .unwrap();
    let text = std::fs::read_to_string(real.join(&src.path)).unwrap();
    let sheet = text
        .split("=== sheet: nand 2K user")
        .nth(1)
        .unwrap()
        .split("=== sheet")
        .next()
        .unwrap();
    let mut rows: Vec<(String, u64)> = Vec::new();
    for line in sheet.lines().skip(2) {
        let cols: Vec<&str> = line.split(',').collect();
        if cols.len() > 6 && cols[1] != "END" {
            rows.push((cols[1].to_string(), num(cols[6])));
        }
    }
    let (pool, rows) = rows.split_last().unwrap();
    assert_eq!(pool.0, "BMTPOOL");
    assert_eq!(p.storage.bmt_pool_size, Some(pool.1));
    assert_eq!(rows.len(), p.layout.len());
    let mut offset = 0;
    for ((name, size), q) in rows.iter().zip(&p.layout) {
        assert_eq!((&q.name, q.size, q.offset), (name, *size, offset));
        offset += size;
    }
}

#[test]
fn every_builtin_source_exists_in_realdata() {
    let Some(real) = common::realdata("every_builtin_source_exists_in_realdata") else {
        return;
    };
    for p in shipped_profiles() {
        for s in &p.sources {
            assert!(
                real.join(&s.path).is_file(),
                "{}: {} is missing",
                p.id,
                s.path
            );
        }
    }
}

// ---- invalid fixtures ------------------------------------------------------------------------

#[test]
fn invalid_fixtures_fail_with_their_expected_text() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/profiles/invalid");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{name} has no `# expect:` first line"));
        let label = format!("tests/fixtures/profiles/invalid/{name}");
        let err =
            BoardProfile::from_toml(&label, &text).expect_err(&format!("{name} should be refused"));
        let msg = err.to_string();
        assert!(
            msg.contains(expect),
            "{name}:\n  expected: {expect}\n  got:      {msg}"
        );
        assert!(
            msg.starts_with(&label),
            "{name}: message must start with the file: {msg}"
        );
        use mtkbench::Advice;
        assert!(err.is_bad_input(), "{name}");
        assert!(!err.help().is_empty());
        count += 1;
    }
    assert!(count >= 12, "only {count} invalid fixtures");
}

#[test]
fn unknown_field_and_syntax_errors_have_their_own_variants() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/profiles/invalid");
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    let e = BoardProfile::from_toml("unknown_key.toml", &read("unknown_key.toml")).unwrap_err();
    assert!(
        matches!(&e, ProfileError::UnknownField { field, line: 17, .. } if field == "storage.colour"),
        "{e:?}"
    );
    let e = BoardProfile::from_toml("syntax_error.toml", &read("syntax_error.toml")).unwrap_err();
    assert!(matches!(e, ProfileError::Syntax { line: 5, .. }), "{e:?}");
    let e = BoardProfile::from_toml(
        "overlapping_partitions.toml",
        &read("overlapping_partitions.toml"),
    )
    .unwrap_err();
    let ProfileError::Invalid { problems, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(problems[0].check, "partition_overlap");
}

// ---- user folder -----------------------------------------------------------------------------

fn a516_text() -> String {
    std::fs::read_to_string(profiles_dir().join("a516_row.toml")).unwrap()
}

/// A user folder with an override of a516_row, a new board and a broken file.
fn user_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let over = a516_text().replace(
        "names = [\"Lenovo A516\"]",
        "names = [\"Lenovo A516\", \"A516 bench unit\"]",
    );
    std::fs::write(dir.path().join("a516_row.toml"), over).unwrap();
    let new = a516_text()
        .replace("id = \"a516_row\"", "id = \"my_board\"")
        .replace("names = [\"Lenovo A516\"]", "names = [\"Bench Special\"]");
    std::fs::write(dir.path().join("my_board.toml"), new).unwrap();
    let broken = a516_text().replace("type = \"emmc\"", "type = \"emmc\"\nspeed = \"fast\"");
    std::fs::write(dir.path().join("broken.toml"), broken).unwrap();
    std::fs::write(dir.path().join("readme.txt"), "not a profile").unwrap();
    dir
}

#[test]
fn user_profiles_override_builtins_and_bad_files_are_reported() {
    let dir = user_dir();
    let (registry, errors) = Registry::load(dir.path());
    assert_eq!(registry.len(), Registry::builtin().len() + 1);

    let a516 = registry.get("a516_row").unwrap();
    assert_eq!(a516.profile.names, ["Lenovo A516", "A516 bench unit"]);
    assert!(
        matches!(&a516.origin, Origin::User { overrides_builtin: true, path } if path.ends_with("a516_row.toml"))
    );
    let mine = registry.get("my_board").unwrap();
    assert!(matches!(
        mine.origin,
        Origin::User {
            overrides_builtin: false,
            ..
        }
    ));
    assert!(matches!(
        registry.get("yarisl").unwrap().origin,
        Origin::Builtin { .. }
    ));

    assert_eq!(errors.len(), 1, "{errors:?}");
    let msg = errors[0].to_string();
    assert!(errors[0].file().unwrap().ends_with("broken.toml"), "{msg}");
    assert!(
        msg.contains("storage.speed: unknown field `speed`"),
        "{msg}"
    );
}

#[test]
fn user_profiles_pass_the_same_checks() {
    let dir = tempfile::tempdir().unwrap();
    let bad = a516_text().replace("offset = \"0x400000\"", "offset = \"0x300000\"");
    std::fs::write(dir.path().join("a516_row.toml"), bad).unwrap();
    let (registry, errors) = Registry::load(dir.path());
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .to_string()
            .contains("layout[3].offset: NVRAM (0x300000..0x800000) overlaps PRO_INFO")
    );
    // The refused override leaves the builtin in place.
    assert!(matches!(
        registry.get("a516_row").unwrap().origin,
        Origin::Builtin { .. }
    ));
}

#[test]
fn a_missing_user_folder_means_no_user_profiles() {
    let dir = tempfile::tempdir().unwrap();
    let (registry, errors) = Registry::load(&dir.path().join("nothing-here"));
    assert!(errors.is_empty());
    assert_eq!(registry.len(), Registry::builtin().len());
}

#[test]
fn unknown_id_suggests_close_ones() {
    let registry = Registry::builtin();
    let e = registry.require("A516").unwrap_err();
    assert_eq!(
        e.to_string(),
        "no board profile has the id `A516` (did you mean a516_row?)"
    );
    let e = registry.require("wiko").unwrap_err();
    assert!(e.to_string().contains("did you mean s4050ap?"), "{e}");
}

// ---- the command line ------------------------------------------------------------------------

struct Env {
    root: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            root: tempfile::tempdir().unwrap(),
        }
    }

    fn profiles(&self) -> PathBuf {
        self.root.path().join("config/profiles")
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let p = self.root.path();
        let out = common::mtkbench_in(p).args(args).output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }
}

#[test]
fn cli_list_json_names_every_builtin() {
    let env = Env::new();
    let (code, out, err) = env.run(&["profiles", "list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["profiles"].as_array().unwrap();
    assert_eq!(rows.len(), BUILTIN_FILES.len());
    let a516 = rows.iter().find(|r| r["id"] == "a516_row").unwrap();
    assert_eq!(a516["storage"], "emmc");
    assert_eq!(a516["origin"]["kind"], "builtin");
    assert_eq!(a516["lcm_drivers"][0], "hx8369b_fwvga_dsi_vdo");
    let nand = rows.iter().find(|r| r["id"] == "ref_nand_2k").unwrap();
    assert_eq!(nand["reference"], true);
    assert_eq!(v["refused"].as_array().unwrap().len(), 0);
}

#[test]
fn cli_list_marks_user_overrides_and_refused_files() {
    let env = Env::new();
    let user = user_dir();
    std::fs::create_dir_all(env.profiles()).unwrap();
    for f in ["a516_row.toml", "my_board.toml", "broken.toml"] {
        std::fs::copy(user.path().join(f), env.profiles().join(f)).unwrap();
    }
    let (code, out, err) = env.run(&["profiles", "list"]);
    assert_eq!(code, 0, "{err}");
    let a516 = out.lines().find(|l| l.starts_with("a516_row ")).unwrap();
    assert!(a516.ends_with("user*"), "{a516}");
    assert!(
        out.contains("user* = your profile replaces the builtin"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("my_board ") && l.ends_with("user"))
    );
    assert!(
        out.contains("broken.toml: storage.speed: unknown field"),
        "{out}"
    );
    for line in out.lines().take_while(|l| !l.is_empty()) {
        assert!(line.chars().count() <= 80, "too wide: {line}");
    }

    let (_, out, _) = env.run(&["profiles", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let row = v["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "a516_row")
        .unwrap();
    assert_eq!(row["origin"]["kind"], "user");
    assert_eq!(row["origin"]["overrides_builtin"], true);
    assert!(
        v["refused"][0]["error"]
            .as_str()
            .unwrap()
            .contains("broken.toml")
    );
}

#[test]
fn cli_show_of_a_refused_user_file_says_why() {
    let env = Env::new();
    std::fs::create_dir_all(env.profiles()).unwrap();
    let user = user_dir();
    std::fs::copy(
        user.path().join("broken.toml"),
        env.profiles().join("broken.toml"),
    )
    .unwrap();
    let (code, _, err) = env.run(&["profiles", "show", "broken"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("broken.toml: storage.speed: unknown field `speed`"),
        "{err}"
    );
}

#[test]
fn cli_show_json_gives_integers_and_nvram_flags() {
    let env = Env::new();
    let (code, out, err) = env.run(&["profiles", "show", "up40_h405f_meo", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["id"], "up40_h405f_meo");
    assert_eq!(v["storage"]["type"], "emmc");
    assert_eq!(v["storage"]["boot_region_size"], 0x140_0000);
    assert_eq!(v["ram_size"], 0x2000_0000);
    assert_eq!(v["lcm"]["seen_running"], "st7701_wvga_dsi_vdo");
    assert_eq!(v["preloader"]["project"], "up40_h405f_meo");
    assert_eq!(v["preloader"]["bloader_info_version"], 11);
    let layout = v["layout"].as_array().unwrap();
    let nvram = layout.iter().find(|p| p["name"] == "NVRAM").unwrap();
    assert_eq!(nvram["offset"], 0x40_0000);
    assert_eq!(nvram["size"], 0x50_0000);
    assert_eq!(nvram["end"], 0x90_0000);
    assert_eq!(nvram["nvram"], true);
    let flagged = layout.iter().filter(|p| p["nvram"] == true).count();
    assert_eq!(flagged, 4);
    assert_eq!(v["total_user_size"], 0xe7f2_0000_u64);
    assert!(v["notes"].as_str().unwrap().contains("MTDTtest"));
}

#[test]
fn cli_show_human_and_toml() {
    let env = Env::new();
    let (code, out, _) = env.run(&["profiles", "show", "ref_nand_2k"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("REFERENCE profile, not a retail board"),
        "{out}"
    );
    assert!(out.contains("layout (NAND offsets)"), "{out}");
    assert!(out.contains("0x0 (to the end)"), "{out}");

    let (code, out, _) = env.run(&["profiles", "show", "yarisl", "--toml"]);
    assert_eq!(code, 0);
    let back = BoardProfile::from_toml("yarisl.toml", &out).unwrap();
    assert_eq!(&back, &Registry::builtin().get("yarisl").unwrap().profile);
}

#[test]
fn cli_show_unknown_id_exits_2_with_a_hint() {
    let env = Env::new();
    let (code, out, err) = env.run(&["profiles", "show", "lenovo"]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("no board profile has the id `lenovo` (did you mean a516_row?)"),
        "{err}"
    );
    assert!(err.contains("mtkbench profiles list"), "{err}");
}

#[test]
fn cli_check_lists_every_problem_and_exits_2() {
    let env = Env::new();
    let dir = env.root.path().join("mine");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a516_row.toml"), a516_text()).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/profiles/invalid");
    for f in ["overlapping_partitions.toml", "bad_hex.toml"] {
        std::fs::copy(fixtures.join(f), dir.join(f)).unwrap();
    }
    let (code, out, err) = env.run(&["profiles", "check", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("ok    "), "{out}");
    assert!(
        out.contains("a516_row.toml (a516_row, replaces the builtin)"),
        "{out}"
    );
    assert!(out.contains("FAIL  "), "{out}");
    assert!(
        out.contains("layout[3].offset: NVRAM (0x300000..0x800000) overlaps PRO_INFO"),
        "{out}"
    );
    assert!(
        out.contains("layout[3].size: `500000` is not a hex value"),
        "{out}"
    );
    assert!(err.contains("2 of 3 profile file(s)"), "{err}");

    let (code, out, _) = env.run(&["profiles", "check", dir.to_str().unwrap(), "--json"]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["invalid"], 2);
    let overlap = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["path"]
                .as_str()
                .unwrap()
                .ends_with("overlapping_partitions.toml")
        })
        .unwrap();
    assert_eq!(
        overlap["error"]["problems"][0]["check"],
        "partition_overlap"
    );
    assert_eq!(overlap["error"]["problems"][0]["field"], "layout[3].offset");
}

#[test]
fn cli_check_defaults_to_the_user_folder() {
    let env = Env::new();
    // No folder yet: nothing to check, and that is fine.
    let (code, out, _) = env.run(&["profiles", "check"]);
    assert_eq!(code, 0);
    assert!(out.contains("No profile files"), "{out}");

    std::fs::create_dir_all(env.profiles()).unwrap();
    std::fs::write(env.profiles().join("a516_row.toml"), a516_text()).unwrap();
    let (code, out, _) = env.run(&["profiles", "check", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["default_dir"], true);
    assert_eq!(v["files"][0]["ok"], true);

    let (code, _, err) = env.run(&["profiles", "check", "/definitely/not/here"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read folder /definitely/not/here"),
        "{err}"
    );
}

// ---- the format documentation ----------------------------------------------------------------

fn readme() -> String {
    std::fs::read_to_string(profiles_dir().join("README.md")).unwrap()
}

#[test]
fn readme_example_is_a_valid_profile() {
    let text = readme();
    let example = text
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README has a ```toml example");
    let p = BoardProfile::from_toml("my_board.toml", example).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.id, "my_board");
}

#[test]
fn readme_documents_every_field() {
    // A profile with every optional field filled, written back: its keys are the whole format.
    let mut text = a516_text().replace(
        "projects = [\"a516_row\"]",
        "projects = [\"a516_row\"]\nreference = true\npcb_markings = [\"X\"]\nram_size = \"0x20000000\"",
    );
    text = text.replace(
        "[lcm]\n",
        "[lcm]\nseen_running = \"otm8018b_dsi_vdo\"\nresolution = \"480x854\"\n",
    );
    text = text.replace(
        "[download]\n",
        "[download]\nkeys = [\"A\"]\ntest_point = \"T\"\n",
    );
    text = text.replace(
        "block_size = \"0x20000\"",
        "block_size = \"0x20000\"\npage_size = \"0x800\"",
    );
    text = text.replace(
        "{ name = \"MBR\",",
        "{ source = \"lcm/MT6572_lcm_names.txt\", name = \"MBR\",",
    );
    let p = BoardProfile::parse_unchecked("a516_row.toml", &text).unwrap();
    let table: toml::Table = toml::from_str(&p.to_toml().unwrap()).unwrap();
    let mut keys = Vec::new();
    fn walk(v: &toml::Value, keys: &mut Vec<String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    keys.push(k.clone());
                    walk(v, keys);
                }
            }
            toml::Value::Array(a) => a.iter().for_each(|v| walk(v, keys)),
            _ => {}
        }
    }
    walk(&toml::Value::Table(table), &mut keys);
    for filled in [
        "reference",
        "pcb_markings",
        "seen_running",
        "test_point",
        "page_size",
        "source",
    ] {
        assert!(keys.iter().any(|k| k == filled), "{filled} was not written");
    }
    keys.push("unknown".into()); // lcm.unknown is false here and so not written
    let doc = readme();
    for key in keys {
        assert!(
            doc.contains(&format!("| `{key}` |")),
            "profiles/README.md does not document `{key}`"
        );
    }
}
