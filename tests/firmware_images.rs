//! Image formats against the real MT6572 samples in `../shared/realdata` (skipped when absent)
//! and against fixtures built here: a synthetic lk.bin, boot.img and preloader.

mod common;

use std::path::Path;

use mtkbench::firmware::{
    bootimg,
    checksum::{self, Checksum16},
    lcm, mtk_header,
    partition_table::{self, TableKind},
    preloader,
    synth::{self, gzip},
};

fn read(dir: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The lines of a `strings` catalog as the NUL-terminated strings they were in the binary.
fn catalog_as_binary(dir: &Path, name: &str) -> Vec<u8> {
    let text = String::from_utf8(read(dir, &format!("logs/string_catalogs/{name}"))).unwrap();
    let mut bin = vec![0u8, 0x13, 0x37];
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        bin.extend_from_slice(line.as_bytes());
        bin.extend_from_slice(&[0, 0xE5]);
    }
    bin
}

// ---------------------------------------------------------------- real data

#[test]
fn real_mtk_headers_match_the_decoded_table() {
    let Some(dir) = common::realdata("real_mtk_headers_match_the_decoded_table") else {
        return;
    };
    // DECODED_headers.txt section 1.
    let cases = [
        (
            "lenovo_a516_S117__boot__zImage.mtkhdr.bin",
            0x3d1e80,
            "KERNEL",
        ),
        (
            "lenovo_a516_S117__boot__ram_disk.gz.mtkhdr.bin",
            0x9260d,
            "ROOTFS",
        ),
        (
            "lenovo_a516_S117__recovery__zImage.mtkhdr.bin",
            0x3d1e80,
            "KERNEL",
        ),
        (
            "lenovo_a516_S117__recovery__ram_disk.gz.mtkhdr.bin",
            0x257551,
            "RECOVERY",
        ),
        (
            "lenovo_a516_S118__boot__zImage.mtkhdr.bin",
            0x3d1e88,
            "KERNEL",
        ),
        (
            "lenovo_a516_S118__boot__ram_disk.gz.mtkhdr.bin",
            0x9bd06,
            "ROOTFS",
        ),
        (
            "lenovo_a516_S118__recovery__zImage.mtkhdr.bin",
            0x3d1e80,
            "KERNEL",
        ),
        (
            "lenovo_a516_S118__recovery__ram_disk.gz.mtkhdr.bin",
            0x257551,
            "RECOVERY",
        ),
        ("lenovo_a516_S118__lk.bin.first512.bin", 0x3e560, "LK"),
        ("lenovo_a516_S118__logo.bin.first512.bin", 0x4e93a, "LOGO"),
        ("mobiwire_s10__lk.bin.first512.bin", 0x40f20, "LK"),
        ("mobiwire_s10__logo.bin.first512.bin", 0x35af6, "LOGO"),
    ];
    for (file, size, name) in cases {
        let h = mtk_header::parse(&read(&dir, &format!("bootimg/{file}"))).unwrap();
        assert_eq!((h.payload_size, h.name.as_str()), (size, name), "{file}");
    }
    let lk = read(&dir, "bootimg/lenovo_a516_S118__lk.bin.first512.bin");
    assert_eq!(mtk_header::parse(&lk).unwrap().image_len(), 255_840);
    let logo = read(&dir, "bootimg/lenovo_a516_S118__logo.bin.first512.bin");
    assert_eq!(mtk_header::parse(&logo).unwrap().image_len(), 322_362);
    // secro.img has no MTK header.
    let secro = read(&dir, "bootimg/lenovo_a516_S118__secro.img.first256.bin");
    assert!(!mtk_header::has_magic(&secro));
}

#[test]
fn real_boot_headers_match_the_decoded_table() {
    let Some(dir) = common::realdata("real_boot_headers_match_the_decoded_table") else {
        return;
    };
    // DECODED_headers.txt section 2: kernel_size, ramdisk_size, name.
    let cases = [
        (
            "lenovo_a516_S117__boot__image.hdr.bin",
            0x3d2800,
            0x9280d,
            "",
        ),
        (
            "lenovo_a516_S117__recovery__image.hdr.bin",
            0x3d2080,
            0x257751,
            "",
        ),
        (
            "lenovo_a516_S118__boot__image.hdr.bin",
            0x3d2088,
            0x9bf06,
            "14",
        ),
        (
            "lenovo_a516_S118__recovery__image.hdr.bin",
            0x3d2080,
            0x257751,
            "",
        ),
    ];
    for (file, kernel, ramdisk, name) in cases {
        let h = bootimg::parse(&read(&dir, &format!("bootimg/{file}"))).unwrap();
        assert_eq!(h.kernel_size, kernel, "{file}");
        assert_eq!(h.ramdisk_size, ramdisk, "{file}");
        assert_eq!(h.name, name, "{file}");
        assert_eq!(h.kernel_addr, 0x1000_8000, "{file}");
        assert_eq!(h.ramdisk_addr, 0x1100_0000, "{file}");
        assert_eq!(h.second_addr, 0x10f0_0000, "{file}");
        assert_eq!(h.tags_addr, 0x1000_0100, "{file}");
        assert_eq!(h.page_size, 0x800, "{file}");
        assert_eq!(h.cmdline, "", "{file}");
        assert_eq!(h.kernel_range().start, 0x800, "{file}");
    }
    // The S118 boot image's kernel and ramdisk sizes include their 512-byte MTK headers.
    let boot =
        bootimg::parse(&read(&dir, "bootimg/lenovo_a516_S118__boot__image.hdr.bin")).unwrap();
    let kernel = read(&dir, "bootimg/lenovo_a516_S118__boot__zImage.mtkhdr.bin");
    let ramdisk = read(
        &dir,
        "bootimg/lenovo_a516_S118__boot__ram_disk.gz.mtkhdr.bin",
    );
    assert_eq!(
        u64::from(boot.kernel_size),
        mtk_header::parse(&kernel).unwrap().image_len()
    );
    assert_eq!(
        u64::from(boot.ramdisk_size),
        mtk_header::parse(&ramdisk).unwrap().image_len()
    );
    assert!(boot.id.starts_with("40a62536024cd5e9"));
}

#[test]
fn real_mbr_and_ebr_tables_match_the_decoded_entries() {
    let Some(dir) = common::realdata("real_mbr_and_ebr_tables_match_the_decoded_entries") else {
        return;
    };
    type Entries = &'static [(u8, u32, u32)];
    // DECODED_partition_entries.txt: (type, start_lba, num_sectors).
    let cases: [(&str, TableKind, Entries); 6] = [
        (
            "lenovo_a516_S118__EBR1.bin",
            TableKind::Ebr,
            &[
                (0x83, 0x7f600, 0x200000),
                (0x83, 0x27f600, 0x3f000),
                (0x83, 0x2be600, 0xffd419ff),
            ],
        ),
        (
            "lenovo_a516_S118__MBR.bin",
            TableKind::Mbr,
            &[
                (0x05, 0x400, 0xffffffff),
                (0x83, 0x4800, 0x5000),
                (0x83, 0x9800, 0x5000),
                (0x83, 0x1ba00, 0x64000),
            ],
        ),
        (
            "mobiwire_s10__EBR1.bin",
            TableKind::Ebr,
            &[(0x83, 0x1f6600, 0x71000), (0x83, 0x267600, 0xffd989ff)],
        ),
        (
            "mobiwire_s10__MBR.first512.bin",
            TableKind::Mbr,
            &[
                (0x05, 0x400, 0xffffffff),
                (0x83, 0x4800, 0x5000),
                (0x83, 0x9800, 0x5000),
                (0x83, 0x1ba00, 0x1db000),
            ],
        ),
        (
            "wiko_s4050ap__EBR1.bin",
            TableKind::Ebr,
            &[(0x83, 0x21b600, 0x71000), (0x83, 0x28c600, 0xffd739ff)],
        ),
        (
            "wiko_s4050ap__MBR.bin",
            TableKind::Mbr,
            &[
                (0x05, 0x400, 0xffffffff),
                (0x83, 0x4800, 0x5000),
                (0x83, 0x9800, 0x5000),
                (0x83, 0x27a00, 0x1f4000),
            ],
        ),
    ];
    for (file, kind, entries) in cases {
        let t = partition_table::parse(&read(&dir, &format!("mbr/{file}"))).unwrap();
        assert_eq!(t.kind(), kind, "{file}");
        let got: Vec<_> = t
            .entries
            .iter()
            .map(|e| (e.type_code, e.start_lba, e.sectors))
            .collect();
        assert_eq!(got, entries, "{file}");
    }
    // Byte offsets as decoded: EBR1 at user offset 0x80000, PROTECT_F at 0x900000.
    let mbr = partition_table::parse(&read(&dir, "mbr/wiko_s4050ap__MBR.bin")).unwrap();
    assert_eq!(mbr.extended().unwrap().start_bytes(), 0x80000);
    assert_eq!(mbr.entries[1].start_bytes(), 0x900000);
    assert_eq!(mbr.entries[3].len_bytes(), 0x3e800000);
}

#[test]
fn real_checksum_ini_files_parse() {
    let Some(dir) = common::realdata("real_checksum_ini_files_parse") else {
        return;
    };
    let text = |f: &str| String::from_utf8(read(&dir, &format!("checksum/{f}"))).unwrap();
    let ksauraj = checksum::parse_ini(&text(
        "Checksum.ini__ksauraj_device_x5511B_dump__MT6737M.ini",
    ))
    .unwrap();
    assert_eq!(ksauraj.tool.as_deref(), Some("v5.1540.00"));
    assert!(ksauraj.enabled);
    assert_eq!(ksauraj.entries.len(), 11);
    assert_eq!(ksauraj.lookup("PRELOADER"), Some(0x7EAD));
    assert_eq!(ksauraj.lookup("lk"), Some(0x5FFB));
    assert_eq!(ksauraj.lookup("tee1"), ksauraj.lookup("tee2"));

    let gohj99 =
        checksum::parse_ini(&text("Checksum.ini__gohj99_GongChengROM__MT8167.ini")).unwrap();
    assert_eq!(gohj99.entries.len(), 10);
    assert_eq!(gohj99.lookup("system_a"), Some(0x886)); // not zero padded
    assert_eq!(gohj99.lookup("lk_a"), Some(0x2CB4));

    let lenovo = checksum::parse_ini(&text("Checksum.ini__Omargamal7_Lenovo-ksu.ini")).unwrap();
    assert_eq!(lenovo.version.as_deref(), Some("V1"));
    assert_eq!(lenovo.entries.len(), 21);
    assert_eq!(lenovo.lookup("userdata"), Some(0xF162));
    assert_eq!(lenovo.lookup("UBOOT"), None);
}

#[test]
fn checksum_is_the_16_bit_byte_sum_as_verified() {
    // CHECKSUM_ALGORITHM_verification.txt: value = (sum of all bytes) & 0xFFFF; the other
    // candidates (16-bit LE word sum, word xor, CRC-32 low half) differ on real files.
    let data: Vec<u8> = (0..118_372u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let expected = (data.iter().map(|&b| u64::from(b)).sum::<u64>() & 0xFFFF) as u16;
    assert_eq!(checksum::checksum16(&data), expected);
    let word_sum = data
        .chunks(2)
        .map(|w| u64::from(u16::from_le_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum::<u64>() as u16;
    assert_ne!(checksum::checksum16(&data), word_sum);
    // Streaming in odd chunk sizes gives the same value.
    let mut c = Checksum16::default();
    for chunk in data.chunks(4093) {
        c.update(chunk);
    }
    assert_eq!(c.value(), expected);
    // Printed as 0x%04X and compared as a number: 0x886 == 0x0886.
    let ini = checksum::parse_ini("[CheckSum]\nsystem=0x0886\nboot=0x886\n").unwrap();
    assert_eq!(ini.lookup("system"), ini.lookup("boot"));
}

#[test]
fn real_lk_and_kernel_strings_give_exactly_the_known_panels() {
    let Some(dir) = common::realdata("real_lk_and_kernel_strings_give_exactly_the_known_panels")
    else {
        return;
    };
    let names = |f: &str| lcm::names_in(&catalog_as_binary(&dir, f)[..]).unwrap();
    assert_eq!(
        names("lk_strings__lenovo_a516_S118.txt"),
        ["hx8369b_fwvga_dsi_vdo", "otm8018b_dsi_vdo"]
    );
    assert_eq!(
        names("lk_strings__mobiwire_s10.txt"),
        [
            "ili9806e_dsi_wvga_vdo_hlt",
            "otm8019a_wvga_dsi_vdo",
            "st7701_wvga_dsi_vdo"
        ]
    );
    assert_eq!(
        names("kernel_strings__lenovo_a516_S117_3.4.5.txt"),
        ["hx8369b_fwvga_dsi_vdo", "otm8018b_dsi_vdo"]
    );
    // Hundreds of ordinary strings in the preloaders: not one is taken for a panel.
    assert!(names("preloader_strings__lenovo_a516_S118.txt").is_empty());
    assert!(names("preloader_strings__mobiwire_s10.txt").is_empty());
}

#[test]
fn every_real_mt6572_panel_name_is_recognised() {
    let Some(dir) = common::realdata("every_real_mt6572_panel_name_is_recognised") else {
        return;
    };
    let text = String::from_utf8(read(&dir, "lcm/MT6572_lcm_names.txt")).unwrap();
    let mut section = ' ';
    let mut proven = Vec::new();
    let mut sdk_rejected = Vec::new();
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("## ") {
            section = title.chars().next().unwrap_or(' ');
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        match section {
            // Names on real devices: first column, when it is one identifier.
            'A' => {
                let name = line.split('|').next().unwrap().trim();
                if !name.contains(' ') {
                    proven.push(name.to_owned());
                }
            }
            // ProjectConfig.mk LCM columns (skip "-", "same ..." and parenthesised notes).
            'B' => {
                for col in line.split('|').skip(1).take(3) {
                    let col = col.split('(').next().unwrap().trim();
                    if col.starts_with("same") {
                        continue;
                    }
                    proven.extend(
                        col.split_whitespace()
                            .filter(|w| *w != "-")
                            .map(str::to_owned),
                    );
                }
            }
            // SDK driver folders: mostly phone panels; the rest are bare controller names or
            // tablet panels, which the shape rule leaves out on purpose.
            'D' => {
                let name = line.trim().trim_start_matches("* ").trim();
                if !lcm::is_panel_name(name) {
                    sdk_rejected.push(name.to_owned());
                }
            }
            _ => {}
        }
    }
    assert!(proven.len() > 30, "parsed {} names", proven.len());
    for name in &proven {
        assert!(
            lcm::is_panel_name(name),
            "{name} is a real MT6572 panel name"
        );
    }
    let expected_rejected = [
        "EJ101IA",
        "H070D_18DM",
        "HJ101NA02A",
        "HJ101NA02A_8135",
        "HSD070PFW3",
        "HSD070PFW3_8135",
        "LP079X01",
        "SCF0700M48GGU02",
        "bm8578",
        "bp070ws1",
        "bp101wx1",
        "bp101wx1_n",
        "cpt_clap070wp03xg_sn65dsi83",
        "dummy",
        "gn_ssd2825_smd_s6e8aa",
        "ha5266",
        "hsd070idw1",
        "hx8357B",
        "hx8369",
        "hx8369_6575",
        "ili9481",
        "lg4571",
        "lvds_wsvga_ti",
        "lvds_wsvga_ti_n",
        "nt35510",
        "nt35510_6517",
        "nt35565_3D",
        "nt35582",
        "r61408",
        "r63303_idisplay",
        "s6d0170",
        "spfd5461a",
        "ta7601",
        "tft1p3037",
    ];
    assert_eq!(sdk_rejected, expected_rejected);
}

#[test]
fn real_preloader_strings_give_project_and_emi_version() {
    let Some(dir) = common::realdata("real_preloader_strings_give_project_and_emi_version") else {
        return;
    };
    for (file, project) in [
        ("preloader_strings__lenovo_a516_S118.txt", "a516_row"),
        ("preloader_strings__mobiwire_s10.txt", "up40_h405f_meo"),
    ] {
        let mut img = synthetic_gfh(0x20000);
        img.extend_from_slice(&catalog_as_binary(&dir, file));
        let info = preloader::scan(&img[..]).unwrap();
        assert_eq!(info.project.as_deref(), Some(project), "{file}");
        assert_eq!(info.emi_version, Some(11), "{file}");
    }
}

// ---------------------------------------------------------------- generated fixtures

/// A GFH FILE_INFO record (as in the A516 preloader) followed by a BL_INFO record.
fn synthetic_gfh(file_len: u32) -> Vec<u8> {
    let mut g = b"MMM\x01\x38\x00\x00\x00FILE_INFO\0\0\0".to_vec();
    g.extend_from_slice(&1u32.to_le_bytes());
    g.extend_from_slice(&[1, 0, 5, 1]);
    for w in [0x0200_7200u32, file_len, 0x20000, 0x2f8, 0x124, 0x300, 1] {
        g.extend_from_slice(&w.to_le_bytes());
    }
    g.extend_from_slice(b"MMM\x01\x0c\x00\x01\x00\x01\x00\x00\x00");
    g
}

/// lk.bin with two real names, a board's own driver and decoys around them.
fn synthetic_lk() -> Vec<u8> {
    let mut body = vec![0x46u8, 0x20, 0x49, 0x3a];
    for s in [
        "[LCM Auto Detect], we have %d lcm drivers built in",
        "hx8369b_fwvga_dsi_vdo",
        "lcm_compare_id",
        "mt6572v1_phone",
        "dsi_enable_power",
        "zz9301a_fwvga_dsi_vdo_boardx",
        "otm8018b_dsi_vdo",
        "hx8369b_fwvga_dsi_vdo",
        "ov5647_mipi_raw",
        "console=tty0 console=ttyMT1,921600n1 root=/dev/ram",
    ] {
        body.extend_from_slice(s.as_bytes());
        body.extend_from_slice(&[0, 0, 0xA7, 0x13]);
    }
    synth::mtk_image("LK", &body)
}

/// boot.img: Android header, MTK-wrapped zImage (decompressor bytes with a false gzip magic,
/// then the gzip'ed kernel), MTK-wrapped ramdisk.
fn synthetic_boot_img() -> Vec<u8> {
    let mut kernel = b"\0Linux version 3.4.67\0".to_vec();
    kernel.extend_from_slice(&[0x5Au8; 3000]);
    for s in [
        "[mtkfb] LCM TYPE: %s",
        "st7701_wvga_dsi_vdo",
        "lcm_esd_check",
        "jd9161_qhd_dsi_vdo",
    ] {
        kernel.extend_from_slice(s.as_bytes());
        kernel.push(0);
    }
    let mut zimage = vec![0u8; 0x24];
    zimage.extend_from_slice(&0x016F_2818u32.to_le_bytes());
    zimage.extend_from_slice(&[0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0x03]);
    zimage.resize(0x400, 0xE3);
    zimage.extend_from_slice(&gzip(&kernel));
    zimage.extend_from_slice(&(kernel.len() as u32).to_le_bytes());
    let kernel_part = synth::mtk_image("KERNEL", &zimage);
    let ramdisk_part = synth::mtk_image("ROOTFS", &gzip(b"init"));
    synth::boot_image(&kernel_part, &ramdisk_part, 2048)
}

#[test]
fn lk_names_known_and_unknown_without_decoys() {
    let lk = synthetic_lk();
    assert_eq!(mtk_header::parse(&lk).unwrap().name, "LK");
    assert_eq!(
        lcm::names_in(&lk[..]).unwrap(),
        [
            "hx8369b_fwvga_dsi_vdo",
            "zz9301a_fwvga_dsi_vdo_boardx",
            "otm8018b_dsi_vdo"
        ]
    );
}

#[test]
fn boot_image_kernel_is_inflated_and_searched() {
    let img = synthetic_boot_img();
    let h = bootimg::parse(&img).unwrap();
    assert_eq!(h.page_size, 2048);
    let k = lcm::names_in_boot_image(&img[..]).unwrap();
    assert_eq!(k.names, ["st7701_wvga_dsi_vdo", "jd9161_qhd_dsi_vdo"]);
    assert_eq!(
        k.payload,
        lcm::KernelPayload::Packed {
            compression: mtkbench::firmware::zimage::Compression::Gzip,
            offset: 0x400
        }
    );
}

#[test]
fn preloader_fixture_gives_gfh_project_and_emi() {
    let mut img = synthetic_gfh(0);
    img.resize(0x2f8, 0);
    img.extend_from_slice(&[0x10, 0xb5, 0x04, 0x46]);
    img.extend_from_slice(
        b"\0[EMI] EMI clock = %d\0MTK_BLOADER_INFO_v11\0\0preloader_konka72_i128_emmc.bin\0",
    );
    let len = img.len() as u32;
    img[0x20..0x24].copy_from_slice(&len.to_le_bytes());
    let info = preloader::scan(&img[..]).unwrap();
    let gfh = info.gfh.unwrap();
    assert_eq!(gfh.file_info.file_len, len);
    assert_eq!(gfh.file_info.load_addr, 0x0200_7200);
    assert_eq!(gfh.records.len(), 2);
    assert_eq!(info.project.as_deref(), Some("konka72_i128_emmc"));
    assert_eq!(info.emi_version, Some(11));
}
