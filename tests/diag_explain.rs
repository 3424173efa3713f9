//! `mtkbench explain`: the table covers every status the protocol layer can return, and the
//! command answers names, numbers and unknown codes the way a technician expects.

mod common;

use common::mtkbench;
use mtkbench::diag::explain::{Source, Table};

/// Every status word and DA status of `../shared/protocol/MT6572.md` section 8 (8.1 BROM /
/// preloader words, 8.2 legacy DA values with both numberings), as (source, number, name).
/// This is the list the protocol layer's status enums are built from; once they exist
/// (`all()`, `name()`, `code()`), this list is replaced by iterating them.
const SPEC_SECTION_8: &[(Source, u32, &str)] = &[
    // 8.1 BROM / preloader status words
    (Source::Brom, 0x0000, "OK"),
    (Source::Brom, 0x0001, "OK"),
    (Source::Brom, 0x0002, "OK"),
    (Source::Brom, 0x0003, "OK"),
    (Source::Brom, 0x1D00, "ADDRESS_TOO_HIGH_80000000"),
    (Source::Brom, 0x1D01, "ADDRESS_TOO_HIGH_40000000"),
    (Source::Brom, 0x1D02, "INVALID_ADDRESS"),
    (Source::Brom, 0x1D0C, "NO_AUTH_NEEDED"),
    (Source::Brom, 0x1D0D, "SLA_ERROR"),
    (Source::Brom, 0x1D0E, "DA_OVERLAP"),
    (Source::Brom, 0x1D0F, "DA_INVALID_JUMP_ADDR"),
    (Source::Brom, 0x1D10, "DA_EXCEED_MAX_DA_BLOCKS"),
    (Source::Brom, 0x1D11, "DA_ADDR_NOT_16BITS_ALIGNED"),
    (Source::Brom, 0x1D12, "DA_INVALID_ADDR_AND_LEN"),
    (Source::Brom, 0x1D13, "DA_LEN_IS_ZERO"),
    (Source::Brom, 0x1D14, "DA_SIG_LEN_EXCEED_DA_LEN"),
    (Source::Brom, 0x1D15, "DA_SIG_LEN_IS_ZERO_AND_DAA_ACTIVE"),
    (Source::Brom, 0x1D16, "DA_NOT_EXIST"),
    (
        Source::Brom,
        0x1D17,
        "DA_BLOCKS_INCONSISTENT_WITH_TOOL_AUTH",
    ),
    (Source::Brom, 0x1D21, "DA_VERSION_NOT_SUPPORTED"),
    (Source::Brom, 0x1A1D, "REGISTER_ACCESS_CACHE_ISSUE"),
    (Source::Brom, 0x2000, "AUTH_IMAGE_VERIFY_FAIL"),
    (Source::Brom, 0x2001, "DA_IMAGE_SIG_VERIFY_FAIL"),
    (Source::Brom, 0x2002, "DA_IMAGE_NO_MEM_FAIL"),
    (Source::Brom, 0x2003, "DA_INIT_KEY_FAIL"),
    (Source::Brom, 0x2004, "IMG_INIT_KEY_FAIL"),
    (Source::Brom, 0x2005, "HASH_IMAGE_FAIL"),
    (Source::Brom, 0x2006, "DA_RELOCATE_SIZE_NOT_ENOUGH"),
    (Source::Brom, 0x3000, "LIB_SEC_CFG_NOT_EXIST"),
    (Source::Brom, 0x3001, "LIB_VER_INVALID"),
    (Source::Brom, 0x3002, "LIB_SEC_CFG_ERASE_FAIL"),
    (Source::Brom, 0x3003, "LIB_SEC_CFG_CANNOT_WRITE"),
    (Source::Brom, 0x3004, "LIB_SEC_CFG_END_PATTERN_NOT_EXIST"),
    (Source::Brom, 0x3005, "LIB_SEC_CFG_STATUS_INVALID"),
    (Source::Brom, 0x3006, "LIB_SEC_CFG_READ_SIZE_NOT_ENOUGH"),
    (Source::Brom, 0x3007, "LIB_SEC_CFG_RSA_KEY_INIT_FAIL"),
    (Source::Brom, 0x5A5B, "DA_IN_BLACKLIST"),
    (Source::Brom, 0x6000, "SBC_KEY_NOT_FOUND"),
    (Source::Brom, 0x6001, "BR_SEC_CFG_NOT_FOUND"),
    (Source::Brom, 0x6002, "ERR_PUBK_NOT_INITIALIZED"),
    (Source::Brom, 0x6003, "SHA256_OP_FAIL"),
    (Source::Brom, 0x6004, "ERR_PSS_CHK_FAIL"),
    (Source::Brom, 0x6005, "ERR_SIG_CHK_FAIL"),
    (Source::Brom, 0x7000, "REGION_INVALID_INCLUDE"),
    (Source::Brom, 0x7001, "REGION_INVALID_OVERLAP"),
    (Source::Brom, 0x7002, "REGION_INVALID_OVERFLOW"),
    (Source::Brom, 0x7003, "DA_INVALID_LOCATION"),
    (Source::Brom, 0x7004, "DA_INVALID_LENGTH"),
    (Source::Brom, 0x7015, "DAA_SECURITY_ERROR_SIGNATURE"),
    (Source::Brom, 0x7017, "DAA_SECURITY_ERROR"),
    (Source::Brom, 0x7024, "DAA_SIG_VERIFY_FAILED"),
    (Source::Brom, 0x8000, "INVALID_SIG_SZ"),
    (Source::Brom, 0x8001, "INVALID_PADDING_SZ"),
    (Source::Brom, 0x9000, "SW_ID_MISMATCH"),
    (Source::Brom, 0x9001, "INVALID_IMG_TYPE"),
    (Source::Brom, 0x9002, "BUF_NOT_ENOUGH_FOR_CERT"),
    (Source::Brom, 0x9003, "IMG_NOT_FOUND"),
    (Source::Brom, 0x9004, "IMG_HDR_HASH_VFY_FAIL"),
    (Source::Brom, 0x9005, "IMG_HASH_VFY_FAIL"),
    (Source::Brom, 0x9006, "INVALID_OID_SZ"),
    (Source::Brom, 0x9007, "INVALID_OID_BUF_SZ"),
    (Source::Brom, 0x9008, "END_OF_CERT"),
    (Source::Brom, 0x9009, "CERT_OBJ_ID_NOT_MATCH"),
    (Source::Brom, 0x900A, "CERT_OBJ_SZ_NOT_MATCH"),
    (Source::Brom, 0x900B, "CERT_TRAVERSE_UNKNOWN_MODE"),
    (Source::Brom, 0x900C, "INVALID_OID_IDX"),
    (Source::Brom, 0x900D, "OID_NOT_FOUND"),
    (Source::Brom, 0x900E, "OBJ_NOT_FOUND"),
    (Source::Brom, 0x900F, "E_KEY_LEN_NOT_MATCH"),
    (Source::Brom, 0x9010, "E_KEY_NOT_MATCH"),
    (Source::Brom, 0x9011, "N_KEY_LEN_NOT_MATCH"),
    (Source::Brom, 0x9012, "N_KEY_NOT_MATCH"),
    (Source::Brom, 0x9013, "PUBK_AUTH_FAIL"),
    (Source::Brom, 0x9014, "INVALID_IMG_HDR"),
    (Source::Brom, 0x9015, "NOT_EXPECTED_IMG"),
    (Source::Brom, 0xA000, "CERT_IMG_VER_NOT_SYNC"),
    (Source::Brom, 0xA001, "IMAGE_IMG_VER_NOT_SYNC"),
    (Source::Brom, 0xA002, "IMG_VER_ROLLBACK"),
    (Source::Brom, 0xA003, "OTP_FIELD_NOT_ENOUGH"),
    (Source::Brom, 0xA004, "OTP_REG_BIT_CONFIG_WRONG"),
    (Source::Brom, 0xA005, "OTP_WRITE_FAIL"),
    (Source::Brom, 0x2711, "PL_MODE_UNSUPPORTED"),
    (Source::Brom, 0x2712, "PL_MODE_FORBIDDEN"),
    (Source::Brom, 0x2713, "PL_MODE_INVALID_ARGUMENTS"),
    (Source::Brom, 0x2714, "PL_READ_FAIL"),
    (Source::Brom, 0x2715, "PL_WRITE_FAIL"),
    (Source::Brom, 0x2716, "PL_READ_TIMEOUT"),
    (Source::Brom, 0x2717, "PL_WRITE_TIMEOUT"),
    (Source::Brom, 0x2718, "PL_DISC_CMD_NEEDED"),
    // 8.1, host-library results quoted there (SP Flash Tool numbering)
    (Source::Spft, 1000, "S_STOP"),
    (Source::Spft, 0x411, "S_CHKSUM_ERROR"),
    (Source::Spft, 0x412, "S_TIMEOUT"),
    (Source::Spft, 0x7D4, "S_BROM_DOWNLOAD_DA_FAIL"),
    (Source::Spft, 0x7F2, "S_BROM_CMD_SEND_DA_CHKSUM_DIFF"),
    (Source::Spft, 0x7F3, "S_BROM_CMD_JUMP_DA_FAIL"),
    // 8.2 legacy DA status values, 3000-3021 (same in both numberings)
    (Source::Da, 0, "S_DONE"),
    (Source::Da, 3000, "S_DA_INT_RAM_ERROR"),
    (Source::Da, 3001, "S_DA_EXT_RAM_ERROR"),
    (Source::Da, 3002, "S_DA_SETUP_DRAM_FAIL"),
    (Source::Da, 3003, "S_DA_SETUP_PLL_ERR"),
    (Source::Da, 3004, "S_DA_DRAM_NOT_SUPPORT"),
    (Source::Da, 3005, "S_DA_RAM_FLOARTING"),
    (Source::Da, 3006, "S_DA_RAM_UNACCESSABLE"),
    (Source::Da, 3007, "S_DA_RAM_ERROR"),
    (Source::Da, 3008, "S_DA_DEVICE_NOT_FOUND"),
    (Source::Da, 3009, "S_DA_NOR_UNSUPPORTED_DEV_ID"),
    (Source::Da, 3010, "S_DA_NAND_UNSUPPORTED_DEV_ID"),
    (Source::Da, 3011, "S_DA_NOR_FLASH_NOT_FOUND"),
    (Source::Da, 3012, "S_DA_NAND_FLASH_NOT_FOUND"),
    (Source::Da, 3013, "S_DA_SOC_CHECK_FAIL"),
    (Source::Da, 3014, "S_DA_NOR_PROGRAM_FAILED"),
    (Source::Da, 3015, "S_DA_NOR_ERASE_FAILED"),
    (Source::Da, 3016, "S_DA_NAND_PAGE_PROGRAM_FAILED"),
    (Source::Da, 3017, "S_DA_NAND_SPARE_PROGRAM_FAILED"),
    (Source::Da, 3018, "S_DA_NAND_HW_COPYBACK_FAILED"),
    (Source::Da, 3019, "S_DA_NAND_ERASE_FAILED"),
    (Source::Da, 3020, "S_DA_TIMEOUT"),
    (Source::Da, 3021, "S_DA_IN_PROGRESS"),
    // 8.2 names whose numbers differ between mtkclient and SP Flash Tool v3.1113
    (Source::Da, 3035, "S_DA_INVALID_BEGIN_ADDR"),
    (Source::Da, 3032, "S_DA_INVALID_BEGIN_ADDR"),
    (Source::Da, 3039, "S_DA_INVALID_RANGE"),
    (Source::Da, 3036, "S_DA_INVALID_RANGE"),
    (Source::Da, 3043, "S_DA_NAND_UNKNOWN_ERR"),
    (Source::Da, 3040, "S_DA_NAND_UNKNOWN_ERR"),
    (Source::Da, 3044, "S_DA_NAND_BAD_BLOCK"),
    (Source::Da, 3055, "S_DA_NAND_NO_GOOD_BLOCK"),
    (Source::Da, 3051, "S_DA_NAND_NO_GOOD_BLOCK"),
    (Source::Da, 3061, "S_DA_UART_GET_DATA_TIMEOUT"),
    (Source::Da, 3062, "S_DA_UART_GET_CHKSUM_LSB_TIMEOUT"),
    (Source::Da, 3063, "S_DA_UART_GET_CHKSUM_MSB_TIMEOUT"),
    (Source::Da, 3064, "S_DA_UART_DATA_CKSUM_ERROR"),
    (Source::Da, 3065, "S_DA_UART_RX_BUF_FULL"),
    (Source::Da, 3081, "S_DA_BLANK_FLASH"),
    (Source::Da, 3078, "S_DA_BLANK_FLASH"),
    (Source::Da, 3085, "S_DA_UNSUPPORTED_BBCHIP"),
    (Source::Da, 3082, "S_DA_UNSUPPORTED_BBCHIP"),
    (Source::Da, 3088, "S_DA_EXT_DRAM_NOT_FOUND"),
    (Source::Da, 3085, "S_DA_EXT_DRAM_NOT_FOUND"),
    (Source::Da, 3179, "S_DA_EMMC_FLASH_NOT_FOUND"),
    (Source::Da, 3144, "S_DA_EMMC_FLASH_NOT_FOUND"),
    (Source::Da, 3182, "S_DA_USB_2_0_NOT_SUPPORT"),
    (Source::Da, 3187, "S_DA_UNSUPPORTED_OPERATION"),
    (Source::Da, 3202, "S_DA_INVALID_PARAMETER_FROM_PC"),
    (Source::Da, 0x5A5B, "S_DA_IN_BLACKLIST"),
    // 8.2, mtkclient's first table, which numbers the 0xBB8 block differently
    (Source::Da, 0xBBC, "SETUP_EMI_PLL_ERR"),
    (Source::Da, 0xBBD, "DRAM_ABNORMAL_TYPE_SETTING"),
    (Source::Da, 0xBBE, "DRAMC_RANK0_CALIBRATION_FAILED"),
    (Source::Da, 0xBBF, "DRAMC_RANK1_CALIBRATION_FAILED"),
    (Source::Da, 0xBC3, "RAM_ERROR"),
    (Source::Da, 0xBC4, "DEVICE_NOT_FOUND"),
];

/// The failure messages of section 8.3 (mtkclient), each explained by an mtkbench entry.
const SPEC_SECTION_8_3: &[&str] = &[
    "Sync error. Please power off the device and retry.",
    "CMD Get_Target_Config not supported.",
    "Error on DA_Send cmd/address/size/sig_len",
    "DA_Send status error",
    "upload_data failed with error",
    "Jump_DA status error",
    "Error on DA sync",
    "Didn't receive Stage2 dram info",
    "Preloader needed due to dram config.",
    "EMI Config not accepted",
    "Error on sending brom stage 2",
    "Error on sending emmc read flash command",
    "Couldn't send sdmmc_write_data header",
    "Data ack failed for sdmmc_write_data",
];

#[test]
fn explain_covers_every_status_the_protocol_layer_can_return() {
    let table = Table::builtin().unwrap();
    let mut missing = Vec::new();
    for &(source, code, name) in SPEC_SECTION_8 {
        match table.get(name) {
            Some(e) if e.source == source && e.codes.contains(&code) => {}
            Some(e) => missing.push(format!(
                "{name}: entry is {:?} {:?}, spec says {source:?} {code:#x}",
                e.source, e.codes
            )),
            None => missing.push(format!("{name} ({code:#x}) has no entry")),
        }
        let by_number = table.lookup(&format!("{code:#x}")).unwrap();
        if !by_number.iter().any(|m| m.entry.name == name) {
            missing.push(format!("{code:#x} does not list {name}"));
        }
    }
    for message in SPEC_SECTION_8_3 {
        match table.lookup(message) {
            Ok(m) if m[0].entry.source == Source::Mtkbench => {}
            _ => missing.push(format!("no mtkbench entry for {message:?}")),
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_entry_says_what_it_means_why_and_what_to_do() {
    let table = Table::builtin().unwrap();
    for e in table.entries() {
        for (field, text) in [
            ("meaning", &e.meaning),
            ("cause", &e.cause),
            ("fix", &e.fix),
        ] {
            assert!(
                text.len() >= 10,
                "{}: {field} is too thin: {text:?}",
                e.name
            );
        }
        assert!(!e.step.is_empty(), "{}: no mtkbench step", e.name);
    }
}

#[test]
fn cli_explains_a_name_in_json() {
    let out = mtkbench(&["--json", "explain", "s_da_nand_bad_block"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &v["matches"][0];
    assert_eq!(m["entry"]["name"], "S_DA_NAND_BAD_BLOCK");
    assert_eq!(m["entry"]["codes"][0], 3044);
    assert_eq!(m["entry"]["source"], "da");
    assert_eq!(m["via"]["by"], "name");
}

#[test]
fn cli_lists_every_name_a_number_has_meant() {
    let out = mtkbench(&["explain", "4032"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("has meant 2 different errors"), "{text}");
    assert!(text.contains("S_FT_ENABLE_DRAM_FAIL"), "{text}");
    assert!(text.contains("S_FT_SEC_RO_WRITE_FAIL"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
}

#[test]
fn cli_unknown_code_exits_2_with_close_names() {
    let out = mtkbench(&["explain", "S_FT_ENABLE_DRAM_FAL"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no entry explains `S_FT_ENABLE_DRAM_FAL`"),
        "{err}"
    );
    assert!(err.contains("did you mean S_FT_ENABLE_DRAM_FAIL"), "{err}");
}

#[test]
fn cli_accepts_a_pasted_line_without_quotes() {
    let out = mtkbench(&[
        "explain",
        "BROM",
        "ERROR",
        ":",
        "S_BROM_CMD_STARTCMD_FAIL",
        "(2005)",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("S_BROM_CMD_STARTCMD_FAIL (SP Flash Tool error; 2005"),
        "{text}"
    );
    assert!(text.contains("mtkbench step:"), "{text}");
}

#[test]
fn explain_has_an_entry_for_every_status_enum_value_of_the_protocol_layer() {
    use mtkbench::protocol::status::{BromStatus, DaStatus, LATER_DA_CODES};
    let table = Table::builtin().unwrap();
    let mut missing = Vec::new();
    let mut check = |name: &str, code: u32| {
        if table.get(name).is_none() {
            missing.push(format!("{name} has no entry"));
        }
        // Every number the phone can send is explained, whatever name the entry uses.
        if table
            .lookup(&code.to_string())
            .map_or(true, |m| m.is_empty())
        {
            missing.push(format!("{code} ({code:#x}), {name}, has no entry"));
        }
    };
    for s in BromStatus::all() {
        if let Some(name) = s.name() {
            check(name, u32::from(s.code()));
        }
    }
    for s in DaStatus::all() {
        if let Some(name) = s.name() {
            check(name, s.code());
        }
    }
    for later in LATER_DA_CODES {
        for code in [later.mtkclient, later.sp_flash_tool_v3_1113]
            .into_iter()
            .flatten()
        {
            check(later.name, code);
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// Every entry is reached by every number the tools print for it, in decimal, in hex and as
/// SP Flash Tool prints it (`NAME (number)`, `ERROR : (number)`); an entry without a number
/// says why.
#[test]
fn every_entry_is_reachable_by_every_number_it_has() {
    let table = Table::builtin().unwrap();
    let mut numbers = 0;
    for e in table.entries() {
        if e.codes.is_empty() {
            let why = e.no_code.as_deref().unwrap_or("");
            assert!(
                !why.trim().is_empty(),
                "{} has no number and no reason",
                e.name
            );
            continue;
        }
        assert!(
            e.no_code.is_none() || e.source == Source::Mtkbench,
            "{}",
            e.name
        );
        for &code in &e.codes {
            let mut queries = vec![
                format!("{code:#x}"),
                format!("BROM ERROR : ({code})"),
                format!("ERROR : S_UNKNOWN_TO_MTKBENCH ({code})"),
            ];
            if e.source != Source::Brom {
                queries.push(code.to_string());
            }
            for q in queries {
                let found = table.lookup(&q).unwrap_or_else(|err| panic!("{q}: {err}"));
                assert!(
                    found.iter().any(|m| std::ptr::eq(m.entry, e)),
                    "{q} does not reach {}",
                    e.name
                );
            }
            numbers += 1;
        }
    }
    assert!(numbers > 100, "{numbers}");
}

#[test]
fn explain_3149_is_the_emmc_write_failure() {
    let out = mtkbench(&["explain", "3149"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("S_DA_SDMMC_WRITE_FAILED"), "{text}");
    let out = mtkbench(&["explain", "S_DA_SDMMC_WRITE_FAILED (3149)"]);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("S_DA_SDMMC_WRITE_FAILED")
    );
}
