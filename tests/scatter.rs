//! Scatter files: every real MT6572 sample, the hand-written fixtures (one per validation
//! message, one per format), and `mtkbench scatter show` run as a process.

mod common;

use std::path::{Path, PathBuf};

use common::mtkbench;
use mtkbench::firmware::scatter::{self, Region, Scatter, ScatterFormat, Storage};

const MIB: u64 = 1 << 20;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scatter")
        .join(name)
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

fn real(dir: &Path, file: &str) -> Scatter {
    let path = dir.join("scatter").join(file);
    scatter::parse_file(&path).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn names(s: &Scatter) -> Vec<&str> {
    s.partitions.iter().map(|p| p.name.as_str()).collect()
}

/// (linear start, size, region, region offset) of partition `name`.
fn place(s: &Scatter, name: &str) -> (u64, Option<u64>, Region, u64) {
    let p = s.partition(name).unwrap_or_else(|| panic!("no {name}"));
    (p.linear_start, p.size, p.region, p.region_offset)
}

/// The common MT6572 eMMC layout up to EXPDB, as ptgen writes it.
const HEAD: [&str; 15] = [
    "PRELOADER",
    "MBR",
    "EBR1",
    "PRO_INFO",
    "NVRAM",
    "PROTECT_F",
    "PROTECT_S",
    "SECCFG",
    "UBOOT",
    "BOOTIMG",
    "RECOVERY",
    "SEC_RO",
    "MISC",
    "LOGO",
    "EXPDB",
];

fn with_head(tail: &[&'static str]) -> Vec<&'static str> {
    HEAD.iter().chain(tail).copied().collect()
}

// --- real files ---------------------------------------------------------------------------

#[test]
fn real_lenovo_a516_row() {
    let Some(dir) = common::realdata("real_lenovo_a516_row") else {
        return;
    };
    let s = real(
        &dir,
        "MT6572_Android_scatter__lenovo_a516__a516_row_S118.txt",
    );
    assert_eq!(s.format, ScatterFormat::V1);
    assert_eq!(s.platform.as_deref(), Some("MT6572"));
    assert_eq!(s.project.as_deref(), Some("a516_row"));
    assert_eq!(s.storage, Storage::Emmc);
    assert_eq!(
        names(&s),
        with_head(&["PRELOAD", "ANDROID", "CACHE", "USRDATA", "BMTPOOL"])
    );
    assert_eq!(s.boot1_size(), 0x60_0000);
    assert_eq!(
        place(&s, "PRELOADER"),
        (0, Some(0x60_0000), Region::EmmcBoot1, 0)
    );
    assert_eq!(
        place(&s, "MBR"),
        (0x60_0000, Some(0x8_0000), Region::EmmcUser, 0)
    );
    assert_eq!(
        place(&s, "ANDROID"),
        (0x1054_0000, Some(0x4000_0000), Region::EmmcUser, 0xFF4_0000)
    );
    let preload = s.partition("PRELOAD").unwrap();
    assert!(preload.download && preload.file.is_none());
    let pre = s.partition("preloader").unwrap();
    assert_eq!(pre.file.as_deref(), Some("preloader_a516_row.bin"));
    assert_eq!(pre.operation.as_deref(), Some("BOOTLOADERS"));
    assert!(pre.is_bootloader());
    let bmt = s.partition("BMTPOOL").unwrap();
    assert!(bmt.address_is_pseudo);
    assert_eq!((bmt.linear_start, bmt.end()), (0xFFFF_00A8, None));
    assert_eq!(s.downloads().count(), 11);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn real_accuchek_crlf_bootloader_unnamed_and_bmtpool() {
    let Some(dir) = common::realdata("real_accuchek") else {
        return;
    };
    let file = "MT6572_Android_scatter__accuchek_solo__mtk_android.txt";
    let raw = std::fs::read_to_string(dir.join("scatter").join(file)).unwrap();
    assert!(
        raw.contains("\r\n"),
        "the sample is supposed to have CRLF line ends"
    );
    let s = real(&dir, file);
    assert_eq!(s.project.as_deref(), Some("mtk_android"));
    assert_eq!(s.partitions.len(), 21);
    assert_eq!(
        names(&s),
        with_head(&["ANDROID", "CACHE", "USRDATA", "FAT", "BMTPOOL", ""])
    );
    let pre = &s.partitions[0];
    assert_eq!(pre.operation.as_deref(), Some("BOOTLOADER"));
    assert!(pre.is_bootloader());
    assert_eq!(s.boot1_size(), 0xC0_0000);
    assert_eq!(
        place(&s, "MBR"),
        (0xC0_0000, Some(0x8_0000), Region::EmmcUser, 0)
    );
    assert_eq!(
        place(&s, "USRDATA"),
        (
            0x4454_0000,
            Some(0x52C0_0000),
            Region::EmmcUser,
            0x4394_0000
        )
    );
    assert_eq!(place(&s, "FAT").1, Some(0x53FC_0000));
    // BMTPOOL here is 0xFFFF0000 with is_reserved false; the nameless SYS20 is reserved at 0x0.
    let bmt = s.partition("BMTPOOL").unwrap();
    assert!(bmt.address_is_pseudo && bmt.linear_start == 0xFFFF_0000);
    let unnamed = &s.partitions[20];
    assert_eq!((unnamed.name.as_str(), unnamed.linear_start), ("", 0));
    assert!(unnamed.address_is_pseudo);
    assert_eq!(s.downloads().count(), 7);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn real_alcatel_yarisl_otp_and_download_without_file() {
    let Some(dir) = common::realdata("real_alcatel_yarisl") else {
        return;
    };
    let s = real(&dir, "MT6572_Android_scatter__alcatel_5036__yarisl.txt");
    assert_eq!(s.project.as_deref(), Some("yarisl"));
    // EBR2, CUSTPACK and MOBILE_INFO come between LOGO and EXPDB in this layout.
    let expected: Vec<&str> = HEAD[..14]
        .iter()
        .copied()
        .chain([
            "EBR2",
            "CUSTPACK",
            "MOBILE_INFO",
            "EXPDB",
            "ANDROID",
            "CACHE",
        ])
        .chain(["USRDATA", "OTP", "BMTPOOL"])
        .collect();
    assert_eq!(names(&s), expected);
    assert_eq!(s.boot1_size(), 0x60_0000);
    assert_eq!(
        place(&s, "EBR2"),
        (0x334_0000, Some(0x8_0000), Region::EmmcUser, 0x2D4_0000)
    );
    assert_eq!(place(&s, "CUSTPACK").1, Some(0x2650_0000));
    let otp = s.partition("OTP").unwrap();
    assert!(otp.address_is_pseudo);
    assert_eq!(
        (otp.linear_start, otp.size),
        (0xFFFF_0200, Some(0x2B0_0000))
    );
    let protect_f = s.partition("PROTECT_F").unwrap();
    assert!(protect_f.download && protect_f.file.is_none());
    assert!(s.downloads().all(|p| p.name != "PROTECT_F"));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn real_fly_iq4407_konka72() {
    let Some(dir) = common::realdata("real_fly_iq4407") else {
        return;
    };
    let s = real(
        &dir,
        "MT6572_Android_scatter__fly_iq4407__konka72_i128_emmc.txt",
    );
    assert_eq!(s.project.as_deref(), Some("konka72_i128_emmc"));
    assert_eq!(
        names(&s),
        with_head(&["ANDROID", "CACHE", "USRDATA", "FAT", "BMTPOOL"])
    );
    assert_eq!(s.boot1_size(), 0xC0_0000);
    assert_eq!(
        place(&s, "ANDROID"),
        (0x434_0000, Some(0x3840_0000), Region::EmmcUser, 0x374_0000)
    );
    assert_eq!(place(&s, "USRDATA").0, 0x53F4_0000);
    assert_eq!(place(&s, "FAT").1, Some(0));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn real_wiko_full_restore_layout_matches_the_protocol_notes() {
    let Some(dir) = common::realdata("real_wiko") else {
        return;
    };
    let s = real(&dir, "MT6572_Android_scatter__wiko_s4050ap.txt");
    assert_eq!(s.project.as_deref(), Some("s4050ap"));
    assert_eq!(
        names(&s),
        with_head(&["ANDROID", "CACHE", "USRDATA", "BMTPOOL"])
    );
    // Everything but BMTPOOL is downloadable, NVRAM included.
    assert_eq!(s.downloads().count(), 18);
    assert_eq!(
        s.partition("NVRAM").unwrap().file.as_deref(),
        Some("nvram.bin")
    );
    // User-area offsets as in protocol/MT6572.md section 7.1.
    for (name, offset) in [
        ("MBR", 0),
        ("EBR1", 0x8_0000),
        ("PROTECT_F", 0x90_0000),
        ("RECOVERY", 0x2F8_0000),
        ("ANDROID", 0x4F4_0000),
        ("USRDATA", 0x5194_0000),
    ] {
        assert_eq!(place(&s, name).3, offset, "{name}");
    }
    assert_eq!(place(&s, "BOOTIMG").1, Some(0x120_0000));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn real_pe900s_and_its_ota_scatter_agree() {
    let Some(dir) = common::realdata("real_pe900s") else {
        return;
    };
    let yaml = real(
        &dir,
        "MT6572_Android_scatter__li127832919_MTK6572__pe900s.txt",
    );
    assert_eq!(yaml.project.as_deref(), Some("pe900s"));
    assert_eq!(
        names(&yaml),
        with_head(&["ANDROID", "CACHE", "USRDATA", "FAT", "BMTPOOL"])
    );
    assert_eq!(
        place(&yaml, "CACHE"),
        (
            0x2CD4_0000,
            Some(0x2000_0000),
            Region::EmmcUser,
            0x2C14_0000
        )
    );
    assert_eq!(place(&yaml, "FAT").1, Some(0));

    let ota = real(&dir, "ota_scatter__li127832919_MTK6572.txt");
    assert_eq!(ota.format, ScatterFormat::Ota);
    assert_eq!(ota.storage, Storage::Emmc);
    assert_eq!(ota.partitions.len(), 19);
    assert_eq!(ota.boot1_size(), yaml.boot1_size());
    for p in &ota.partitions {
        let y = yaml.partition(&p.name).unwrap();
        assert_eq!(
            (p.index, p.linear_start, p.region, p.region_offset),
            (y.index, y.linear_start, y.region, y.region_offset),
            "{}",
            p.name
        );
        if p.name != "FAT" {
            assert_eq!(p.size, y.size, "{}", p.name);
        }
    }
    assert_eq!(ota.partition("FAT").unwrap().size, None);
    assert!(ota.warnings.is_empty(), "{:?}", ota.warnings);
}

#[test]
fn real_rock12_a101_and_its_disagreeing_ota_scatter() {
    let Some(dir) = common::realdata("real_rock12") else {
        return;
    };
    let yaml = real(&dir, "MT6572_Android_scatter__rock12_xbasic__a101.txt");
    assert_eq!(yaml.project.as_deref(), Some("a101"));
    assert_eq!(yaml.partitions.len(), 20);
    assert_eq!(
        place(&yaml, "ANDROID"),
        (0x3D4_0000, Some(0x28A0_0000), Region::EmmcUser, 0x374_0000)
    );
    assert_eq!(place(&yaml, "CACHE").0, 0x2C74_0000);

    let ota = real(&dir, "ota_scatter__rock12_android_kernel_xbasic.txt");
    assert_eq!(ota.partitions.len(), 19);
    assert_eq!(ota.boot1_size(), 0x60_0000);
    // The OTA file follows another partition table (SYS_600M): a 600 MiB ANDROID.
    assert_eq!(
        place(&ota, "ANDROID"),
        (0x3D4_0000, Some(600 * MIB), Region::EmmcUser, 0x374_0000)
    );
    assert_eq!(place(&ota, "CACHE").0, 0x2954_0000);
    assert_ne!(place(&ota, "CACHE").0, place(&yaml, "CACHE").0);
}

#[test]
fn real_mobiwire_physical_addresses_are_user_offsets() {
    let Some(dir) = common::realdata("real_mobiwire") else {
        return;
    };
    let file = "MT6572_Android_scatter__mobiwire_s10__MTDTtest.txt";
    let s = real(&dir, file);
    assert_eq!(s.project.as_deref(), Some("MTDTtest"));
    assert_eq!(
        names(&s),
        with_head(&["ANDROID", "CACHE", "USRDATA", "BMTPOOL"])
    );
    assert_eq!(s.boot1_size(), 0x140_0000);
    assert_eq!(place(&s, "PRELOADER").1, Some(0x140_0000));
    assert_eq!(place(&s, "USRDATA").1, Some(0x9AFE_0000));
    // This tool filled physical_start_addr with the user-area offset: our derivation agrees.
    let raw = std::fs::read_to_string(dir.join("scatter").join(file)).unwrap();
    let physical: Vec<u64> = raw
        .lines()
        .filter_map(|l| l.trim().strip_prefix("physical_start_addr: 0x"))
        .map(|h| u64::from_str_radix(h, 16).unwrap())
        .collect();
    assert_eq!(physical.len(), s.partitions.len());
    for (p, phys) in s.partitions.iter().zip(physical) {
        if p.region == Region::EmmcUser && !p.address_is_pseudo {
            assert_eq!(p.region_offset, phys, "{}", p.name);
        }
    }
}

#[test]
fn real_huawei_y600_ota() {
    let Some(dir) = common::realdata("real_huawei_y600_ota") else {
        return;
    };
    let s = real(&dir, "ota_scatter__huawei_y600__mediatek_misc.txt");
    assert_eq!((s.format, s.storage), (ScatterFormat::Ota, Storage::Emmc));
    assert_eq!((s.platform.as_deref(), s.project.as_deref()), (None, None));
    assert_eq!(
        names(&s),
        with_head(&["ANDROID", "CACHE", "USRDATA", "FAT"])
    );
    assert_eq!(
        place(&s, "PRELOADER"),
        (0, Some(0xC0_0000), Region::EmmcBoot1, 0)
    );
    assert_eq!(
        place(&s, "MBR"),
        (0xC0_0000, Some(0x8_0000), Region::EmmcUser, 0)
    );
    assert_eq!(
        place(&s, "ANDROID"),
        (
            0x434_0000,
            Some(0x3314_0000 - 0x434_0000),
            Region::EmmcUser,
            0x374_0000
        )
    );
    assert_eq!(
        place(&s, "FAT"),
        (0x9714_0000, None, Region::EmmcUser, 0x9654_0000)
    );
    assert!(s.partitions.iter().all(|p| p.file.is_none() && p.download));
    assert_eq!(s.downloads().count(), 0);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn real_mt6575_legacy_flat_nand() {
    let Some(dir) = common::realdata("real_mt6575_legacy") else {
        return;
    };
    let s = real(
        &dir,
        "NON-MT6572__MT6575_NAND_flat_format_example__quoted_in_doc.txt",
    );
    assert_eq!(
        (s.format, s.storage),
        (ScatterFormat::Legacy, Storage::Nand)
    );
    assert_eq!(s.partitions.len(), 15);
    assert_eq!(s.boot1_size(), 0);
    let nvram = s.partition("NVRAM").unwrap();
    assert!(!nvram.download);
    assert_eq!((nvram.line, nvram.size), (11, Some(0x30_0000)));
    assert_eq!(
        place(&s, "ANDROID"),
        (0x13A_0000, Some(0x1270_0000), Region::Nand, 0x13A_0000)
    );
    assert_eq!(place(&s, "USRDATA").1, None);
    let bmt = s.partition("BMTPOOL").unwrap();
    assert!(bmt.address_is_pseudo && !bmt.download && bmt.linear_start == 0xFFFF_0050);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

// --- hand-written fixtures ----------------------------------------------------------------

#[test]
fn fixture_v1_valid() {
    let s = scatter::parse_file(&fixture("v1_valid.txt")).unwrap();
    assert_eq!(s.format, ScatterFormat::V1);
    assert_eq!(s.project.as_deref(), Some("bench_demo"));
    assert_eq!(
        names(&s),
        ["PRELOADER", "MBR", "NVRAM", "ANDROID", "BMTPOOL"]
    );
    assert_eq!(s.boot1_size(), 0x60_0000);
    assert_eq!(
        place(&s, "NVRAM"),
        (0x68_0000, Some(5 * MIB), Region::EmmcUser, 0x8_0000)
    );
    assert_eq!(
        s.partition("android").unwrap().end(),
        Some(0xB8_0000 + 0x1E0_0000)
    );
    assert_eq!(s.partition("MBR").unwrap().line, 30);
    let downloads: Vec<_> = s.downloads().map(|p| p.name.as_str()).collect();
    assert_eq!(downloads, ["PRELOADER", "MBR", "ANDROID"]);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn fixture_crlf_and_trailing_blanks_parse_like_the_plain_file() {
    let text = fixture_text("v1_crlf_trailing_blanks.txt");
    assert!(
        text.contains("  \r\n"),
        "fixture lost its CRLF (check .gitattributes)"
    );
    assert_eq!(
        scatter::parse(&text).unwrap(),
        scatter::parse(&fixture_text("v1_valid.txt")).unwrap()
    );
}

#[test]
fn fixture_ota() {
    let s = scatter::parse(&fixture_text("ota.txt")).unwrap();
    assert_eq!((s.format, s.storage), (ScatterFormat::Ota, Storage::Emmc));
    assert_eq!(s.boot1_size(), 0xC0_0000);
    let sizes: Vec<_> = s.partitions.iter().map(|p| p.size).collect();
    assert_eq!(
        sizes,
        [
            Some(12 * MIB),
            Some(0x8_0000),
            Some(0x8_0000),
            Some(5 * MIB),
            Some(512 * MIB),
            None
        ]
    );
    assert_eq!(place(&s, "USRDATA").3, 0x2060_0000);
}

#[test]
fn fixture_legacy() {
    let s = scatter::parse(&fixture_text("legacy.txt")).unwrap();
    assert_eq!(
        (s.format, s.storage),
        (ScatterFormat::Legacy, Storage::Nand)
    );
    assert_eq!(
        names(&s),
        ["PRELOADER", "NVRAM", "UBOOT", "ANDROID", "BMTPOOL"]
    );
    let flags: Vec<_> = s.partitions.iter().map(|p| p.download).collect();
    assert_eq!(flags, [true, false, true, true, false]);
    assert_eq!(
        place(&s, "NVRAM"),
        (0x4_0000, Some(3 * MIB), Region::Nand, 0x4_0000)
    );
    assert_eq!(place(&s, "ANDROID").1, None);
    assert!(s.partition("BMTPOOL").unwrap().address_is_pseudo);
}

fn parse_error(name: &str) -> String {
    let err = scatter::parse(&fixture_text(name)).unwrap_err();
    assert!(mtkbench::Advice::is_bad_input(&err));
    err.to_string()
}

fn only_warning(name: &str) -> (usize, String) {
    let s = scatter::parse(&fixture_text(name)).unwrap();
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    (s.warnings[0].line, s.warnings[0].message.clone())
}

#[test]
fn fixture_overlap_is_fatal() {
    assert_eq!(
        parse_error("invalid_overlap.txt"),
        "line 21: partition EBR1 (linear 0x640000..0x6C0000) overlaps partition MBR \
         (linear 0x600000..0x680000, line 14)"
    );
}

#[test]
fn fixture_gap_is_a_warning() {
    assert_eq!(
        only_warning("warn_gap.txt"),
        (
            21,
            "partition EBR1 starts at linear 0x700000, 0x80000 bytes after partition MBR \
             ends (linear 0x680000)"
                .to_string()
        )
    );
}

#[test]
fn fixture_unknown_key_is_a_warning() {
    assert_eq!(
        only_warning("warn_unknown_key.txt"),
        (21, "unknown key `checksum` ignored".to_string())
    );
}

#[test]
fn fixture_missing_required_key() {
    assert_eq!(
        parse_error("invalid_missing_key.txt"),
        "line 14: partition SYS1 (MBR) has no `partition_size:` line"
    );
}

#[test]
fn fixture_non_numeric_value_names_its_line() {
    assert_eq!(
        parse_error("invalid_not_a_number.txt"),
        "line 19: partition_size is not a number: `512K` (expected hex such as 0x600000)"
    );
}

#[test]
fn fixture_unknown_storage() {
    assert_eq!(
        parse_error("invalid_unknown_storage.txt"),
        "line 6: unknown storage `UFS` (expected EMMC or NAND)"
    );
}

#[test]
fn fixture_unknown_region() {
    assert_eq!(
        parse_error("invalid_unknown_region.txt"),
        "line 20: unknown region `EMMC_RPMB` for EMMC storage (expected EMMC_BOOT_1, \
         EMMC_BOOT_2 or EMMC_USER)"
    );
}

#[test]
fn missing_file_is_bad_input_naming_the_path() {
    let err =
        scatter::parse_file(Path::new("/no/such/dir/MT6572_Android_scatter.txt")).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string()
            .contains("/no/such/dir/MT6572_Android_scatter.txt"),
        "{err}"
    );
}

#[test]
fn a_folder_or_an_image_is_refused_as_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let err = scatter::parse_file(dir.path()).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("is a folder"), "{err}");

    let image = dir.path().join("system.img");
    std::fs::write(&image, vec![0u8; 2 << 20]).unwrap();
    let err = scatter::parse_file(&image).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string()
            .starts_with("line 1: this is not a scatter file: it is 2097152 bytes"),
        "{err}"
    );
}

// --- the command line ---------------------------------------------------------------------

#[test]
fn cli_show_json_has_integer_fields() {
    let path = fixture("warn_gap.txt");
    let out = mtkbench(&["--json", "scatter", "show", path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["format"], "v1");
    assert_eq!(json["platform"], "MT6572");
    assert_eq!(json["project"], "bench_demo");
    assert_eq!(json["storage"], "EMMC");
    assert_eq!(json["boot1_size"].as_u64(), Some(0x60_0000));
    let parts = json["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 3);
    let pre = &parts[0];
    assert_eq!(pre["index"].as_u64(), Some(0));
    assert_eq!(pre["name"], "PRELOADER");
    assert_eq!(pre["region"], "EMMC_BOOT_1");
    assert_eq!(pre["size"].as_u64(), Some(0x60_0000));
    assert_eq!(pre["file"], serde_json::Value::Null);
    assert_eq!(pre["download"], false);
    assert_eq!(pre["address_is_pseudo"], false);
    let ebr = &parts[2];
    assert_eq!(ebr["linear_start"].as_u64(), Some(0x70_0000));
    assert_eq!(ebr["region_offset"].as_u64(), Some(0x10_0000));
    assert_eq!(ebr["region"], "EMMC_USER");
    let warnings = json["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["line"].as_u64(), Some(21));
}

#[test]
fn cli_show_table_fits_80_columns() {
    let path = fixture("v1_valid.txt");
    let out = mtkbench(&["scatter", "show", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect(); // line 0 names the (long) path
    assert!(rows.iter().all(|l| l.chars().count() <= 80), "{text}");
    assert!(
        rows.iter().any(|l| l.split_whitespace().collect::<Vec<_>>()
            == [
                "3",
                "ANDROID",
                "EMMC_USER",
                "0x580000",
                "30",
                "MiB",
                "yes",
                "system.img"
            ]),
        "{text}"
    );
    assert!(text.contains("0xFFFF00A8*"), "{text}");
}

#[test]
fn cli_show_exits_1_for_a_scatter_of_another_platform_report_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("MT6582_Android_scatter.txt");
    let text = fixture_text("v1_valid.txt").replace("MT6572", "MT6582");
    std::fs::write(&path, text).unwrap();
    let out = mtkbench(&["scatter", "show", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("1 error(s):"), "{stdout}");
    assert!(stdout.contains("for MT6582, not MT6572"), "{stdout}");
    let out = mtkbench(&["--json", "scatter", "show", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["errors"].as_array().unwrap().len(), 1);
}

#[test]
fn cli_bad_file_exits_2_with_the_line() {
    let path = fixture("invalid_not_a_number.txt");
    let out = mtkbench(&["scatter", "show", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("line 19:"), "{stderr}");
    assert!(stderr.contains("next:"), "{stderr}");
}

#[test]
fn cli_real_files_all_show_in_80_columns() {
    let Some(dir) = common::realdata("cli_real_files_all_show_in_80_columns") else {
        return;
    };
    let mut seen = 0;
    for entry in std::fs::read_dir(dir.join("scatter")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".txt") || name.contains("sha1sum") {
            continue;
        }
        let out = mtkbench(&["scatter", "show", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{name}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.lines().skip(1).all(|l| l.chars().count() <= 80),
            "{text}"
        );
        seen += 1;
    }
    assert_eq!(seen, 12);
}
