//! Status codes the phone sends: the 16-bit BROM/preloader status words ([`BromStatus`]) and
//! the 32-bit legacy-DA results ([`DaStatus`]), each a typed enum with an `Other` fallback, a
//! MediaTek-style name and a one-line meaning. `mtkbench explain` iterates [`BromStatus::all`]
//! and [`DaStatus::all`].
//!
//! Sources: MT6572.md §8 (mtkclient `ErrorCodes` / `ErrorCodes_Legacy` at commit a6a7147, and
//! SP Flash Tool v3.1113 `BootRom/mtk_status.h`). DA codes above 3021 are numbered differently
//! by different tool generations, so they are not guessed into variants: see [`LATER_DA_CODES`].
//! Pure tables; no I/O.

use std::fmt;

/// Declares a status enum from one table: variant, code, MediaTek name, one-line meaning.
macro_rules! status_codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident: $repr:ty {
            $( $variant:ident = $code:literal, $text:literal, $meaning:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( #[doc = $meaning] $variant, )*
            /// A code this table does not know; the raw value is kept.
            Other($repr),
        }

        impl $name {
            /// Every named code, in table order (for `mtkbench explain`).
            pub fn all() -> &'static [$name] {
                &[$($name::$variant),*]
            }

            /// The typed status for a raw wire value.
            pub fn from_code(code: $repr) -> Self {
                match code {
                    $( $code => $name::$variant, )*
                    other => $name::Other(other),
                }
            }

            /// The raw wire value.
            pub fn code(self) -> $repr {
                match self {
                    $( $name::$variant => $code, )*
                    $name::Other(c) => c,
                }
            }

            /// The MediaTek name, or `None` for a code the table does not know.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $( $name::$variant => Some($text), )*
                    $name::Other(_) => None,
                }
            }

            /// What the code means, in one line.
            pub fn meaning(self) -> &'static str {
                match self {
                    $( $name::$variant => $meaning, )*
                    $name::Other(c) => Self::other_meaning(c),
                }
            }

            /// Every named code whose name is `name` (any case).
            pub fn by_name(name: &str) -> Vec<$name> {
                Self::all()
                    .iter()
                    .copied()
                    .filter(|s| s.name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
                    .collect()
            }
        }
    };
}

status_codes! {
    /// A 16-bit status word from the BootROM or the preloader (MT6572.md §8.1).
    pub enum BromStatus: u16 {
        Ok = 0x0000, "OK", "the command succeeded";
        AddressTooHigh = 0x1D00, "ADDRESS_TOO_HIGH", "the address is above 0x80000000";
        AddressTooHigh1G = 0x1D01, "ADDRESS_TOO_HIGH", "the address is above 0x40000000";
        InvalidAddress = 0x1D02, "INVALID_ADDRESS", "the BROM refuses access to this address";
        NoAuthNeeded = 0x1D0C, "NO_AUTH_NEEDED", "no authentication file is needed (answer to SEND_AUTH)";
        SlaRequired = 0x1D0D, "SLA_ERROR", "serial link authorisation (SLA) is required before a DA may be sent";
        DaOverlap = 0x1D0E, "DA_OVERLAP", "the DA's load range overlaps memory the BROM uses";
        DaInvalidJumpAddr = 0x1D0F, "DA_INVALID_JUMP_ADDR", "the jump address is not where a DA was loaded";
        DaExceedMaxDaBlocks = 0x1D10, "DA_EXCEED_MAX_DA_BLOCKS", "too many DA pieces were sent";
        DaAddrNotAligned = 0x1D11, "DA_ADDR_NOT_16BITS_ALIGNED", "the DA load address is not 16-bit aligned";
        DaInvalidAddrAndLen = 0x1D12, "DA_INVALID_ADDR_AND_LEN", "the DA load address and length are not accepted";
        DaLenIsZero = 0x1D13, "DA_LEN_IS_ZERO", "a DA of length zero was announced";
        DaSigLenExceedDaLen = 0x1D14, "DA_SIG_LEN_EXCEED_DA_LEN", "the DA's signature is longer than the DA";
        DaSigLenZeroDaaActive = 0x1D15, "DA_SIG_LEN_IS_ZERO_AND_DAA_ACTIVE", "the phone requires a signed DA (DAA) but the DA has no signature";
        DaNotExist = 0x1D16, "DA_NOT_EXIST", "no DA has been loaded";
        DaBlocksInconsistent = 0x1D17, "DA_BLOCKS_INCONSISTENT_WITH_TOOL_AUTH", "the DA pieces do not match the tool authentication";
        DaVersionNotSupported = 0x1D21, "DA_VERSION_NOT_SUPPORTED", "the BROM does not support this DA version";
        CacheIssue = 0x1A1D, "CACHE_ISSUE", "register access failed because of a cache issue (exploit path only)";
        AuthImageVerifyFail = 0x2000, "AUTH_IMAGE_VERIFY_FAIL", "the authentication image failed verification";
        DaImageSigVerifyFail = 0x2001, "DA_IMAGE_SIG_VERIFY_FAIL", "the DA's signature does not verify: the phone wants a DA signed for it";
        DaImageNoMemFail = 0x2002, "DA_IMAGE_NO_MEM_FAIL", "the BROM ran out of memory verifying the DA";
        DaInitKeyFail = 0x2003, "DA_INIT_KEY_FAIL", "the BROM could not load the DA verification key";
        ImgInitKeyFail = 0x2004, "IMG_INIT_KEY_FAIL", "the BROM could not load the image verification key";
        HashImageFail = 0x2005, "HASH_IMAGE_FAIL", "hashing the image failed";
        DaRelocateSizeNotEnough = 0x2006, "DA_RELOCATE_SIZE_NOT_ENOUGH", "not enough room to relocate the DA";
        SecCfgNotExist = 0x3000, "LIB_SEC_CFG_NOT_EXIST", "the security configuration (SECCFG) does not exist";
        SecCfgVersionInvalid = 0x3001, "LIB_SEC_CFG_VERSION_INVALID", "the security configuration has an invalid version";
        SecCfgEraseFail = 0x3002, "LIB_SEC_CFG_ERASE_FAIL", "the security configuration could not be erased";
        SecCfgCannotWrite = 0x3003, "LIB_SEC_CFG_CANNOT_WRITE", "the security configuration cannot be written";
        SecCfgEndPattern = 0x3004, "LIB_SEC_CFG_END_PATTERN", "the security configuration's end pattern is wrong";
        SecCfgStatusInvalid = 0x3005, "LIB_SEC_CFG_STATUS_INVALID", "the security configuration's status is invalid";
        SecCfgReadSize = 0x3006, "LIB_SEC_CFG_READ_SIZE", "the security configuration has the wrong size";
        SecCfgRsaKeyInit = 0x3007, "LIB_SEC_CFG_RSA_KEY_INIT", "the security configuration's RSA key could not be set up";
        DaInBlacklist = 0x5A5B, "DA_IN_BLACKLIST", "this DA is blacklisted by the phone";
        SbcKeyNotFound = 0x6000, "SBC_KEY_NOT_FOUND", "the secure-boot key was not found";
        BrSecCfgNotFound = 0x6001, "BR_SEC_CFG_NOT_FOUND", "the BROM security configuration was not found";
        PubkNotInitialized = 0x6002, "ERR_PUBK_NOT_INITIALIZED", "the public key is not initialised";
        Sha256OpFail = 0x6003, "SHA256_OP_FAIL", "a SHA-256 operation failed";
        PssCheckFail = 0x6004, "ERR_PSS_CHK_FAIL", "the RSA-PSS check failed";
        SigCheckFail = 0x6005, "ERR_SIG_CHK_FAIL", "the signature check failed";
        RegionInvalidInclude = 0x7000, "REGION_INVALID_INCLUDE", "a memory region is not allowed";
        RegionInvalidOverlap = 0x7001, "REGION_INVALID_OVERLAP", "memory regions overlap";
        RegionInvalidOverflow = 0x7002, "REGION_INVALID_OVERFLOW", "a memory region overflows";
        DaInvalidLocation = 0x7003, "DA_INVALID_LOCATION", "the DA load address is not allowed";
        DaInvalidLength = 0x7004, "DA_INVALID_LENGTH", "the DA length is not allowed";
        DaaSecurityError = 0x7015, "DAA_SECURITY_ERROR", "DA authorisation failed (signature)";
        DaaSecurityErrorSla = 0x7017, "DAA_SECURITY_ERROR", "DA authorisation error; in the SLA exchange it means SLA is done";
        DaaSigVerifyFailed = 0x7024, "DAA_SIG_VERIFY_FAILED", "the DA signature did not verify (DAA)";
        InvalidSigSize = 0x8000, "INVALID_SIG_SZ", "the signature has an invalid size";
        InvalidPaddingSize = 0x8001, "INVALID_PADDING_SZ", "the signature padding has an invalid size";
        PlModeUnsupported = 0x2711, "PL_MODE_UNSUPPORTED", "the preloader does not support this mode";
        PlModeForbidden = 0x2712, "PL_MODE_FORBIDDEN", "the preloader forbids this mode";
        PlModeInvalidArguments = 0x2713, "PL_MODE_INVALID_ARGUMENTS", "the preloader rejected the arguments";
        PlReadFail = 0x2714, "PL_READ_FAIL", "the preloader could not read";
        PlWriteFail = 0x2715, "PL_WRITE_FAIL", "the preloader could not write";
        PlReadTimeout = 0x2716, "PL_READ_TIMEOUT", "the preloader timed out reading";
        PlWriteTimeout = 0x2717, "PL_WRITE_TIMEOUT", "the preloader timed out writing";
        PlDiscCmdNeeded = 0x2718, "PL_DISC_CMD_NEEDED", "the preloader needs a disconnect command first";
    }
}

impl BromStatus {
    /// mtkclient's rule (MT6572.md §3.1): any value up to 0xFF counts as success.
    pub fn is_ok(self) -> bool {
        self.code() <= 0xFF
    }

    fn other_meaning(code: u16) -> &'static str {
        match code {
            0x0001..=0x00FF => "a success variant (MT6580/MT6582 answer WRITE32 with 0x0001)",
            0x9000..=0x90FF => "a certificate or image-header error (0x9000 range)",
            0xA000..=0xA0FF => "a version-sync, rollback or OTP error (0xA000 range)",
            _ => "a status this table does not know",
        }
    }
}

impl fmt::Display for BromStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "status {:#06x} {n} ({})", self.code(), self.meaning()),
            None => write!(f, "status {:#06x} ({})", self.code(), self.meaning()),
        }
    }
}

status_codes! {
    /// A 32-bit result from the legacy Download Agent (S_DA_*, MT6572.md §8.2). Codes 3000 to
    /// 3021 agree between MediaTek's header and mtkclient; higher ones do not, see
    /// [`LATER_DA_CODES`].
    pub enum DaStatus: u32 {
        Done = 0, "S_DONE", "the operation succeeded";
        IntRamError = 3000, "S_DA_INT_RAM_ERROR", "the phone's internal RAM failed its test";
        ExtRamError = 3001, "S_DA_EXT_RAM_ERROR", "the phone's external RAM (DRAM) failed its test";
        SetupDramFail = 3002, "S_DA_SETUP_DRAM_FAIL", "the DA could not set up the DRAM";
        SetupPllErr = 3003, "S_DA_SETUP_PLL_ERR", "the DA could not set up the clocks (PLL)";
        DramNotSupport = 3004, "S_DA_DRAM_NOT_SUPPORT", "this DRAM type is not supported by the DA";
        RamFloating = 3005, "S_DA_RAM_FLOARTING", "the RAM data lines are floating (bad contact or no RAM)";
        RamUnaccessable = 3006, "S_DA_RAM_UNACCESSABLE", "the RAM cannot be accessed";
        RamError = 3007, "S_DA_RAM_ERROR", "a RAM error";
        DeviceNotFound = 3008, "S_DA_DEVICE_NOT_FOUND", "no storage device was found";
        NorUnsupportedDevId = 3009, "S_DA_NOR_UNSUPPORTED_DEV_ID", "the NOR flash id is not supported";
        NandUnsupportedDevId = 3010, "S_DA_NAND_UNSUPPORTED_DEV_ID", "the NAND flash id is not supported";
        NorFlashNotFound = 3011, "S_DA_NOR_FLASH_NOT_FOUND", "no NOR flash was found (normal on eMMC and NAND phones)";
        NandFlashNotFound = 3012, "S_DA_NAND_FLASH_NOT_FOUND", "no NAND flash was found (normal on eMMC phones)";
        SocCheckFail = 3013, "S_DA_SOC_CHECK_FAIL", "the DA does not match this chip";
        NorProgramFailed = 3014, "S_DA_NOR_PROGRAM_FAILED", "writing the NOR flash failed";
        NorEraseFailed = 3015, "S_DA_NOR_ERASE_FAILED", "erasing the NOR flash failed";
        NandPageProgramFailed = 3016, "S_DA_NAND_PAGE_PROGRAM_FAILED", "writing a NAND page failed";
        NandSpareProgramFailed = 3017, "S_DA_NAND_SPARE_PROGRAM_FAILED", "writing a NAND spare area failed";
        NandHwCopybackFailed = 3018, "S_DA_NAND_HW_COPYBACK_FAILED", "a NAND copy-back failed";
        NandEraseFailed = 3019, "S_DA_NAND_ERASE_FAILED", "erasing a NAND block failed";
        Timeout = 3020, "S_DA_TIMEOUT", "the DA timed out";
        InProgress = 3021, "S_DA_IN_PROGRESS", "the operation is still in progress";
        InBlacklist = 0x5A5B, "S_DA_IN_BLACKLIST", "this DA is blacklisted by the phone";
    }
}

impl DaStatus {
    /// Only S_DONE is success.
    pub fn is_ok(self) -> bool {
        self == DaStatus::Done
    }

    /// The names a code above 3021 may stand for, one per tool generation (MT6572.md §8.2):
    /// `(generation, name)`. Empty for codes no table lists.
    pub fn guesses(code: u32) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        for c in LATER_DA_CODES {
            if c.mtkclient == Some(code) {
                out.push(("mtkclient numbering", c.name));
            }
            if c.sp_flash_tool_v3_1113 == Some(code) {
                out.push(("SP Flash Tool v3.1113 numbering", c.name));
            }
        }
        out
    }

    fn other_meaning(code: u32) -> &'static str {
        match code {
            3022..=3999 => {
                "a DA error whose name depends on the DA generation (see the guesses; the number is what counts)"
            }
            _ => "a result this table does not know",
        }
    }
}

impl fmt::Display for DaStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code();
        match self.name() {
            Some(n) => write!(f, "DA result {code} ({code:#x}) {n} ({})", self.meaning()),
            None => {
                write!(f, "DA result {code} ({code:#x})")?;
                let guesses = DaStatus::guesses(code);
                if guesses.is_empty() {
                    write!(f, " ({})", self.meaning())
                } else {
                    let names: Vec<String> =
                        guesses.iter().map(|(g, n)| format!("{n} in {g}")).collect();
                    write!(f, " (possibly {})", names.join(", or "))
                }
            }
        }
    }
}

/// A legacy-DA name above 3021, with its number in each tool generation (None = absent there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaterDaCode {
    /// The S_DA_* name.
    pub name: &'static str,
    /// Its value in mtkclient's `ErrorCodes_Legacy`.
    pub mtkclient: Option<u32>,
    /// Its value in SP Flash Tool v3.1113's `mtk_status.h`.
    pub sp_flash_tool_v3_1113: Option<u32>,
}

/// DA codes above 3021 whose numbering differs between generations (MT6572.md §8.2 table).
/// Which numbering a 2013 MT6572 DA uses is unknown, so a UI prints the raw number and both.
pub const LATER_DA_CODES: &[LaterDaCode] = &[
    later("S_DA_INVALID_BEGIN_ADDR", Some(3035), Some(3032)),
    later("S_DA_INVALID_RANGE", Some(3039), Some(3036)),
    later("S_DA_NAND_UNKNOWN_ERR", Some(3043), Some(3040)),
    later("S_DA_NAND_BAD_BLOCK", Some(3044), None),
    later("S_DA_NAND_NO_GOOD_BLOCK", Some(3055), Some(3051)),
    // §8.2 names the first and last of mtkclient's 3061-3065 UART range; 3064 is the data
    // checksum error by the order both tools list them in (decision N6).
    later("S_DA_UART_GET_DATA_TIMEOUT", Some(3061), None),
    later("S_DA_UART_DATA_CKSUM_ERROR", Some(3064), None),
    later("S_DA_UART_RX_BUF_FULL", Some(3065), None),
    later("S_DA_BLANK_FLASH", Some(3081), Some(3078)),
    later("S_DA_UNSUPPORTED_BBCHIP", Some(3085), Some(3082)),
    later("S_DA_EXT_DRAM_NOT_FOUND", Some(3088), Some(3085)),
    later("S_DA_EMMC_FLASH_NOT_FOUND", Some(3179), Some(3144)),
    later("S_DA_USB_2_0_NOT_SUPPORT", Some(3182), None),
    later("S_DA_UNSUPPORTED_OPERATION", Some(3187), None),
    later("S_DA_INVALID_PARAMETER_FROM_PC", Some(3202), None),
];

const fn later(name: &'static str, mtkclient: Option<u32>, v3: Option<u32>) -> LaterDaCode {
    LaterDaCode {
        name,
        mtkclient,
        sp_flash_tool_v3_1113: v3,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_brom_code_round_trips_and_is_unique() {
        let mut seen = HashSet::new();
        for &s in BromStatus::all() {
            assert!(seen.insert(s.code()), "duplicate code {:#x}", s.code());
            assert_eq!(BromStatus::from_code(s.code()), s);
            assert!(s.name().is_some());
            assert!(!s.meaning().is_empty());
        }
        assert_eq!(BromStatus::from_code(0x1D0D), BromStatus::SlaRequired);
        assert_eq!(BromStatus::from_code(0x4242), BromStatus::Other(0x4242));
        assert_eq!(BromStatus::Other(0x4242).code(), 0x4242);
        assert_eq!(BromStatus::Other(0x4242).name(), None);
    }

    #[test]
    fn every_da_code_round_trips_and_is_unique() {
        let mut seen = HashSet::new();
        for &s in DaStatus::all() {
            assert!(seen.insert(s.code()));
            assert_eq!(DaStatus::from_code(s.code()), s);
        }
        assert_eq!(DaStatus::from_code(0xBC4), DaStatus::NandFlashNotFound);
        assert_eq!(DaStatus::from_code(0xBC3), DaStatus::NorFlashNotFound);
        assert_eq!(DaStatus::from_code(3020), DaStatus::Timeout);
        // 3000..=3021 are all named, without gaps.
        for code in 3000..=3021 {
            assert!(DaStatus::from_code(code).name().is_some(), "{code}");
        }
    }

    #[test]
    fn brom_success_rule_follows_mtkclient() {
        assert!(BromStatus::Ok.is_ok());
        assert!(BromStatus::from_code(0x0001).is_ok());
        assert!(BromStatus::from_code(0x00FF).is_ok());
        assert!(!BromStatus::from_code(0x0100).is_ok());
        assert!(!BromStatus::SlaRequired.is_ok());
        assert!(DaStatus::Done.is_ok());
        assert!(!DaStatus::NandFlashNotFound.is_ok());
    }

    #[test]
    fn names_are_found_in_any_case() {
        assert_eq!(
            BromStatus::by_name("sla_error"),
            vec![BromStatus::SlaRequired]
        );
        assert_eq!(BromStatus::by_name("ADDRESS_TOO_HIGH").len(), 2);
        assert_eq!(DaStatus::by_name("S_DA_TIMEOUT"), vec![DaStatus::Timeout]);
        assert!(DaStatus::by_name("nonsense").is_empty());
    }

    #[test]
    fn display_shows_number_name_and_meaning() {
        let s = BromStatus::SlaRequired.to_string();
        assert!(s.contains("0x1d0d") && s.contains("SLA_ERROR"), "{s}");
        let s = BromStatus::from_code(0x9003).to_string();
        assert!(s.contains("0x9003") && s.contains("certificate"), "{s}");
        let s = DaStatus::NandFlashNotFound.to_string();
        assert!(s.contains("3012") && s.contains("0xbc4"), "{s}");
    }

    #[test]
    fn later_da_codes_list_both_generations() {
        // 3085 is S_DA_UNSUPPORTED_BBCHIP for mtkclient and S_DA_EXT_DRAM_NOT_FOUND for
        // SP Flash Tool v3.1113: both guesses are shown, neither is picked.
        let g = DaStatus::guesses(3085);
        assert_eq!(g.len(), 2);
        assert!(g.contains(&("mtkclient numbering", "S_DA_UNSUPPORTED_BBCHIP")));
        assert!(g.contains(&("SP Flash Tool v3.1113 numbering", "S_DA_EXT_DRAM_NOT_FOUND")));
        let s = DaStatus::from_code(3085).to_string();
        assert!(s.contains("possibly"), "{s}");
        assert!(DaStatus::guesses(1).is_empty());
    }
}
