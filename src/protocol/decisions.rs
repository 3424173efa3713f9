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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_timeout_grows_with_length() {
        assert_eq!(data_timeout(0), Duration::from_secs(5));
        assert_eq!(data_timeout(0x10_0000), Duration::from_secs(13));
    }
}
