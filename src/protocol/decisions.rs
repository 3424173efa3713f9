#![doc = include_str!("DECISIONS.md")]

use std::time::Duration;

/// How long the host waits for each handshake reply byte before starting over with `A0`
/// (decision H1).
pub const HANDSHAKE_REPLY_TIMEOUT: Duration = Duration::from_millis(50);

/// How many times the host starts the handshake (mismatch or silence) before giving up
/// (decision H2). At [`HANDSHAKE_REPLY_TIMEOUT`] that is about ten seconds of silence.
pub const HANDSHAKE_MAX_ATTEMPTS: u32 = 200;

/// Any BROM/preloader reply: echoes, status words, short answers (decision T1).
pub const BROM_REPLY_TIMEOUT: Duration = Duration::from_secs(1);

/// The checksum and status after a SEND_DA payload (decision T1).
pub const SEND_DA_TRAILER_TIMEOUT: Duration = Duration::from_secs(5);

/// The DA's first byte (C0) after JUMP_DA, and its DA1 report (decision T1).
pub const DA_SYNC_TIMEOUT: Duration = Duration::from_secs(5);

/// Acks and short answers of the running DA, including the DRAM result (decision T1).
pub const DA_REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// The final ack and storage report after the DA2 upload: DA2 probes the storage
/// (decision T1).
pub const DA2_REPORT_TIMEOUT: Duration = Duration::from_secs(15);

/// The CONT byte after each write packet: the phone programs up to 1 MiB (decision T1).
pub const WRITE_ACK_TIMEOUT: Duration = Duration::from_secs(30);

/// Each progress report while formatting (decision T1).
pub const FORMAT_PROGRESS_TIMEOUT: Duration = Duration::from_secs(120);

/// The optional ack after the FINISH mode word (decision D9).
pub const FINISH_ACK_TIMEOUT: Duration = Duration::from_secs(2);

/// Lowest transfer rate assumed for storage data, in bytes per second (decision T1).
pub const MIN_DATA_RATE: u64 = 128 * 1024;

/// How long the phone may take for `len` bytes of storage data: five seconds plus the time at
/// [`MIN_DATA_RATE`] (decision T1).
pub fn data_timeout(len: usize) -> Duration {
    Duration::from_secs(5) + Duration::from_millis(len as u64 * 1000 / MIN_DATA_RATE)
}

/// The phone-side (simulator) BROM version byte, the answer to FF in BROM mode (decision B1).
pub const SIM_BROM_VERSION: u8 = 0x05;

/// The phone-side (simulator) GET_HW_SW_VER answer: hw_sub_code, hw_ver, sw_ver (decision B1).
pub const SIM_HW_SUB_CODE: u16 = 0x8A00;
/// See [`SIM_HW_SUB_CODE`].
pub const SIM_HW_VER: u16 = 0xCA00;
/// See [`SIM_HW_SUB_CODE`].
pub const SIM_SW_VER: u16 = 0x0000;

/// The three bytes the DA sends after the host acknowledges its DA1 report, read as DA major
/// version, DA minor version and baseband chip id (decision D2). The simulator sends these.
pub const SIM_DA_VERSION: [u8; 3] = [0x03, 0x02, 0x00];

/// The number of NAND id words an eMMC phone reports (five zero ids, decision D3).
pub const SIM_NAND_ID_COUNT: usize = 5;

/// Pages per packet the host asks for in a NAND readback 0xDF: 1, what mtkclient sends
/// (§5.8) and what the older SP Flash Tool sends for 2 KiB pages (decision N3).
pub const NAND_PAGES_PER_PACKET: u32 = 1;

/// S_DA_UNSUPPORTED_OPERATION in mtkclient's numbering (§8.2): what the phone answers to a
/// NAND readback flag it does not know (decisions N3, N6).
pub const STATUS_UNSUPPORTED_OPERATION: u32 = 3187;

/// S_DA_UART_DATA_CKSUM_ERROR in mtkclient's numbering: what a NAND phone answers to a write
/// packet whose checksum does not match (decisions N4, N6). §8.2 gives mtkclient's UART
/// codes as the range 3061 (GET_DATA_TIMEOUT) to 3065 (RX_BUF_FULL); the checksum error is
/// the fourth of them in mtkclient's and SP Flash Tool's order \[U\].
pub const STATUS_DATA_CHECKSUM: u32 = 3064;

/// The NAND READ ID bytes of the simulator's NAND phone, one per id word (decision N1): a
/// Samsung K9K8G08U0 (1 GiB SLC, 2 KiB pages, 64-byte spare, 64 pages per block).
pub const SIM_NAND_IDS: [u16; 5] = [0xEC, 0xD3, 0x51, 0x95, 0x58];

/// The flash id the simulator's DA2 report gives for [`SIM_NAND_IDS`]: maker and device byte
/// (decision N1).
pub const SIM_NAND_FLASH_ID: u16 = 0xECD3;

/// "NAND info 2" io_interface of the simulator's NAND: 0, an 8-bit bus (decision N1).
pub const SIM_NAND_IO_INTERFACE: u8 = 0;

/// "NAND info 2" addr_cycle of the simulator's NAND: 5 cycles, as for any 2 KiB-page part
/// over 1 Gbit (decision N1).
pub const SIM_NAND_ADDR_CYCLE: u8 = 5;

/// "NAND info 2" bmt_exist of the simulator's NAND: 1, a bad-block table exists (decision N1).
pub const SIM_NAND_BMT_EXIST: u8 = 1;

/// S_DA_EMMC_FLASH_NOT_FOUND in mtkclient's numbering (§8.2): the emmc_ret of a NAND phone's
/// DA1 report (decisions N1, N6).
pub const STATUS_EMMC_FLASH_NOT_FOUND: u32 = 3179;

/// S_DA_INVALID_BEGIN_ADDR in mtkclient's numbering (§8.2): what the phone answers when a
/// NAND address is not page aligned (block aligned for erase) (decisions N5, N6).
pub const STATUS_INVALID_BEGIN_ADDR: u32 = 3035;

/// S_DA_INVALID_RANGE in mtkclient's numbering (§8.2): a NAND length that is not page (block)
/// aligned, or a range beyond the array (decisions N5, N6).
pub const STATUS_INVALID_RANGE: u32 = 3039;

/// S_DA_EXT_RAM_ERROR: the RAM result the simulated DA gives for EMI settings that do not fit
/// its RAM (decision E6).
pub const STATUS_EXT_RAM: u32 = 3001;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::status::LATER_DA_CODES;

    #[test]
    fn chosen_statuses_are_mtkclients_numbers() {
        for (code, name) in [
            (STATUS_EMMC_FLASH_NOT_FOUND, "S_DA_EMMC_FLASH_NOT_FOUND"),
            (STATUS_INVALID_BEGIN_ADDR, "S_DA_INVALID_BEGIN_ADDR"),
            (STATUS_INVALID_RANGE, "S_DA_INVALID_RANGE"),
            (STATUS_UNSUPPORTED_OPERATION, "S_DA_UNSUPPORTED_OPERATION"),
            (STATUS_DATA_CHECKSUM, "S_DA_UART_DATA_CKSUM_ERROR"),
        ] {
            let entry = LATER_DA_CODES.iter().find(|c| c.name == name).unwrap();
            assert_eq!(entry.mtkclient, Some(code), "{name}");
        }
        assert_eq!(
            crate::protocol::DaStatus::from_code(STATUS_EXT_RAM),
            crate::protocol::DaStatus::ExtRamError
        );
    }

    #[test]
    fn data_timeout_grows_with_length() {
        assert_eq!(data_timeout(0), Duration::from_secs(5));
        assert_eq!(data_timeout(0x10_0000), Duration::from_secs(13));
    }
}
