//! Facts about the MT6572 chip that the protocol needs: its hardware code, the watchdog
//! register, and where the download agent's stages load (MT6572.md §3.3.5, §4, §6.2).
//! Constants only.

/// The hardware code GET_HW_CODE (FD) returns, and the key of the chip's DA entries.
pub const HW_CODE: u16 = 0x6572;

/// TOPRGU WDT_MODE: the watchdog mode register written during init (§3.3.5 \[V\]).
pub const WDT_MODE_ADDR: u32 = 0x1000_7000;

/// The value that disables the watchdog, written with one 32-bit WRITE32 (§3.3.5 \[V\]).
pub const WDT_DISABLE_VALUE: u32 = 0x2200_0064;

/// Load and jump address of DA stage 1 (DA file region 1, §6.2 \[C\]).
pub const DA1_LOAD_ADDR: u32 = 0x0200_7000;

/// Load address of DA stage 2 (DA file region 2, §6.2 \[C\]).
pub const DA2_LOAD_ADDR: u32 = 0x8000_0000;

/// Load address of DA file region 0 in the known MT6572 entries (purpose unclear, §6.2 \[U\]).
pub const DA_REGION0_ADDR: u32 = 0x8001_0000;

/// hw_version of the known MT6572 DA entries (§6.2 \[C\]).
pub const DA_ENTRY_HW_VERSION: u16 = 0xCA00;

/// BMT flag sent in the DA configuration block, for every storage type (§5.3 \[C\]).
pub const BMT_FLAG: u8 = 0x00;

/// BMT partition size sent for eMMC (and NOR) phones (§5.3 \[C\]). mtkclient's values look
/// swapped between eMMC and NAND, but they are what is sent.
pub const BMT_PART_SIZE_EMMC: u32 = 0x0000_00A8;

/// BMT partition size sent for NAND phones (§5.3 \[C\]).
pub const BMT_PART_SIZE_NAND: u32 = 0x0150_0000;
