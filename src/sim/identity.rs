//! Who the simulated phone is: everything that tells two phones apart, derived from one serial.
//!
//! The serial seeds the ME ID (BROM `E1`), the eMMC CID (DA storage reports), two IMEIs, a
//! Wi-Fi MAC, a Bluetooth address and the content of the NVRAM set (PRO_INFO, NVRAM,
//! PROTECT_F, PROTECT_S), so a backup of one simulated phone is recognisably not a backup of
//! another. Pure: no file, no protocol.
//!
//! # What the NVRAM set holds
//!
//! Real NVRAM content is proprietary; the simulator writes records at fixed, documented places
//! so tests and technicians can find them (offsets inside each partition):
//!
//! | partition | offset | content |
//! |-----------|--------|---------|
//! | every one | 0x0    | a 512-byte text label: `MTKBENCH SIMULATED <NAME>`, then `serial=`, `imei1=`, `imei2=`, `wifi_mac=`, `bt_addr=` lines, NUL padded |
//! | NVRAM     | 0x200  | `MP0B_001` (120 bytes): two 12-byte IMEI records, each the 15 digits as nibbles (low first, pad 0xF) XOR `AB A0 6F 2F 1F 1E 9A 45`, two zero bytes, then the 8-bit sums of the even and odd bytes 0..9 |
//! | NVRAM     | 0x400  | `APCFG/APRDEB/WIFI` (514 bytes): the Wi-Fi MAC at +4 |
//! | NVRAM     | 0x800  | `APCFG/APRDEB/BT_Addr` (66 bytes): the Bluetooth address at +0 |
//! | PRO_INFO  | 0x200  | the serial as the barcode, NUL padded to 64 bytes |
//! | every one | from 0x1000 to [`NVRAM_PATTERN_END`] | a pseudo-random pattern seeded by serial and partition |
//!
//! PROTECT_F and PROTECT_S are ext4 file systems on a real phone; the layout code puts an ext4
//! superblock at 0x400 of them, which this table leaves free.

use sha2::{Digest, Sha256};

/// The NVRAM-set content ends here; the rest of each partition stays erased (sparse).
pub const NVRAM_PATTERN_END: usize = 0x1_0000;

/// Where the IMEI file sits in the simulated NVRAM partition.
pub const IMEI_RECORD_AT: usize = 0x200;
/// Where the Wi-Fi record sits in the simulated NVRAM partition.
pub const WIFI_RECORD_AT: usize = 0x400;
/// Where the Bluetooth record sits in the simulated NVRAM partition.
pub const BT_RECORD_AT: usize = 0x800;
/// Where the barcode (serial) sits in the simulated PRO_INFO partition.
pub const BARCODE_AT: usize = 0x200;

/// XOR mask of MT65xx-era `MP0B_001` IMEI records.
const IMEI_MASK: [u8; 8] = [0xAB, 0xA0, 0x6F, 0x2F, 0x1F, 0x1E, 0x9A, 0x45];

/// Everything that makes one simulated phone unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The serial everything else derives from.
    pub serial: String,
    /// The 16-byte ME ID the BROM reports.
    pub me_id: [u8; 16],
    /// The eMMC CID register, manufacturer byte first.
    pub cid: [u8; 16],
    /// IMEI of SIM slots 1 and 2 (15 digits each, Luhn-valid).
    pub imei: [String; 2],
    /// Wi-Fi MAC (locally administered).
    pub wifi_mac: [u8; 6],
    /// Bluetooth device address.
    pub bt_addr: [u8; 6],
}

/// SHA-256 of `tag`, a colon and `serial`.
fn digest(tag: &str, serial: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(tag.as_bytes());
    h.update(b":");
    h.update(serial.as_bytes());
    h.finalize().into()
}

/// A serial for a phone built from `seed` (the image path and profile): `SIM` and 10 hex digits.
pub fn default_serial(seed: &str) -> String {
    let d = digest("serial", seed);
    format!("SIM{}", hex::encode_upper(&d[..5]))
}

/// Checks a serial given on the command line: 1 to 32 characters of `A-Z a-z 0-9 _ -`.
pub fn check_serial(serial: &str) -> Result<(), String> {
    if serial.is_empty() || serial.len() > 32 {
        return Err(format!(
            "the serial {serial:?} must be 1 to 32 characters long"
        ));
    }
    if let Some(c) = serial
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(format!(
            "the serial {serial:?} contains {c:?}; use letters, digits, '_' and '-'"
        ));
    }
    Ok(())
}

/// The Luhn check digit of `digits` (ASCII digits).
fn luhn_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// A 15-digit IMEI: body of 14 digits plus its Luhn digit.
fn imei(body: &str) -> String {
    format!("{body}{}", luhn_digit(body))
}

impl Identity {
    /// The identity a phone with `serial` has.
    pub fn from_serial(serial: &str) -> Identity {
        let mut me_id = [0u8; 16];
        me_id.copy_from_slice(&digest("meid", serial)[..16]);
        let d = digest("cid", serial);
        let mut cid = [0u8; 16];
        // Manufacturer 0x15, card/BGA, OEM 0, product name `SIM72E`: the flash id the
        // preloader's EMI record matches.
        cid[..9].copy_from_slice(&crate::firmware::synth::SIM_FLASH_ID);
        cid[9] = 0x10; // product revision
        cid[10..14].copy_from_slice(&d[..4]); // product serial number
        cid[14] = 0x3D; // manufacturing date
        cid[15] = (crc7(&cid[..15]) << 1) | 1;
        let d = digest("imei", serial);
        let n = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
        let body = format!("86{:06}{:06}", n % 1_000_000, (n / 1_000_000) % 999_999);
        let next = format!(
            "{}{:06}",
            &body[..8],
            body[8..].parse::<u32>().unwrap_or(0) + 1
        );
        let d = digest("mac", serial);
        Identity {
            serial: serial.into(),
            me_id,
            cid,
            imei: [imei(&body), imei(&next)],
            wifi_mac: [0x02, 0x65, 0x72, d[0], d[1], d[2]],
            bt_addr: [0x06, 0x65, 0x72, d[3], d[4], d[5]],
        }
    }

    /// The first [`NVRAM_PATTERN_END`] bytes of NVRAM-set partition `name` (see the module
    /// documentation); `None` for a partition outside the set.
    pub fn nvram_content(&self, name: &str) -> Option<Vec<u8>> {
        let upper = name.to_ascii_uppercase();
        if !crate::firmware::is_nvram_set(&upper) {
            return None;
        }
        let mut out = vec![0u8; NVRAM_PATTERN_END];
        let label = format!(
            "MTKBENCH SIMULATED {upper}\nserial={}\nimei1={}\nimei2={}\nwifi_mac={}\nbt_addr={}\n",
            self.serial,
            self.imei[0],
            self.imei[1],
            colon_hex(&self.wifi_mac),
            colon_hex(&self.bt_addr),
        );
        out[..label.len()].copy_from_slice(label.as_bytes());
        let d = digest(&format!("pattern-{upper}"), &self.serial);
        let mut state = u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
        for chunk in out[0x1000..].chunks_mut(8) {
            let word = splitmix64(&mut state).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        match upper.as_str() {
            "NVRAM" => {
                let imei = self.imei_file();
                out[IMEI_RECORD_AT..IMEI_RECORD_AT + imei.len()].copy_from_slice(&imei);
                let wifi = &mut out[WIFI_RECORD_AT..WIFI_RECORD_AT + 514];
                wifi.fill(0);
                wifi[..2].copy_from_slice(&0x0104u16.to_le_bytes()); // record version
                wifi[4..10].copy_from_slice(&self.wifi_mac);
                let bt = &mut out[BT_RECORD_AT..BT_RECORD_AT + 66];
                bt.fill(0);
                bt[..6].copy_from_slice(&self.bt_addr);
            }
            "PRO_INFO" => {
                let barcode = &mut out[BARCODE_AT..BARCODE_AT + 64];
                barcode.fill(0);
                barcode[..self.serial.len()].copy_from_slice(self.serial.as_bytes());
            }
            _ => {}
        }
        Some(out)
    }

    /// The 120-byte `MP0B_001` file holding both IMEIs.
    pub fn imei_file(&self) -> Vec<u8> {
        let mut out = vec![0u8; 120];
        for (slot, imei) in self.imei.iter().enumerate() {
            out[12 * slot..12 * slot + 12].copy_from_slice(&encode_imei(imei));
        }
        out
    }
}

/// One 12-byte `MP0B_001` IMEI record (see the module documentation).
pub fn encode_imei(imei: &str) -> [u8; 12] {
    let mut nibbles: Vec<u8> = imei.bytes().map(|b| b.wrapping_sub(b'0') & 0x0F).collect();
    nibbles.resize(16, 0x0F);
    let mut rec = [0u8; 12];
    for i in 0..8 {
        rec[i] = (nibbles[2 * i] | (nibbles[2 * i + 1] << 4)) ^ IMEI_MASK[i];
    }
    (rec[10], rec[11]) = imei_sums(&rec);
    rec
}

/// The IMEI in a 12-byte `MP0B_001` record, or `None` when its sums do not match.
pub fn decode_imei(rec: &[u8]) -> Option<String> {
    let rec: &[u8; 12] = rec.get(..12)?.try_into().ok()?;
    if imei_sums(rec) != (rec[10], rec[11]) {
        return None;
    }
    let mut digits = String::new();
    for i in 0..8 {
        let b = rec[i] ^ IMEI_MASK[i];
        for n in [b & 0x0F, b >> 4] {
            if n <= 9 {
                digits.push(char::from(b'0' + n));
            }
        }
    }
    (digits.len() == 15).then_some(digits)
}

/// The 8-bit sums of the even and odd bytes 0..9 of a record.
fn imei_sums(rec: &[u8; 12]) -> (u8, u8) {
    let sum = |start: usize| {
        rec[..10]
            .iter()
            .skip(start)
            .step_by(2)
            .fold(0u8, |a, b| a.wrapping_add(*b))
    };
    (sum(0), sum(1))
}

/// `02:65:72:..` form of an address.
pub fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The SplitMix64 generator: fast, and the same on every machine.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// CRC-7 (polynomial x^7 + x^3 + 1) as the eMMC CID register uses it.
fn crc7(bytes: &[u8]) -> u8 {
    let mut crc = 0u8;
    for &byte in bytes {
        for bit in (0..8).rev() {
            let input = (byte >> bit) & 1;
            let top = (crc >> 6) & 1;
            crc = (crc << 1) & 0x7F;
            if input ^ top == 1 {
                crc ^= 0x09;
            }
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_serial_same_phone_other_serial_other_phone() {
        let a = Identity::from_serial("SIM0001");
        assert_eq!(a, Identity::from_serial("SIM0001"));
        let b = Identity::from_serial("SIM0002");
        assert_ne!(a.me_id, b.me_id);
        assert_ne!(a.cid, b.cid);
        assert_ne!(a.imei, b.imei);
        assert_ne!(a.wifi_mac, b.wifi_mac);
        assert_ne!(a.nvram_content("NVRAM"), b.nvram_content("NVRAM"));
        assert_ne!(a.nvram_content("protect_s"), b.nvram_content("protect_s"));
    }

    #[test]
    fn imeis_are_luhn_valid_and_round_trip_through_the_record() {
        let id = Identity::from_serial("bench-7");
        for imei in &id.imei {
            assert_eq!(imei.len(), 15);
            assert!(imei.starts_with("86"));
            assert_eq!(luhn_digit(&imei[..14]), imei.as_bytes()[14] - b'0');
            assert_eq!(
                decode_imei(&encode_imei(imei)).as_deref(),
                Some(imei.as_str())
            );
        }
        assert_ne!(id.imei[0], id.imei[1]);
        let mut rec = encode_imei(&id.imei[0]);
        rec[3] ^= 1;
        assert_eq!(decode_imei(&rec), None);
        // A known Luhn example.
        assert_eq!(imei("49015420323751"), "490154203237518");
    }

    #[test]
    fn nvram_records_sit_where_the_documentation_says() {
        let id = Identity::from_serial("SIM0001");
        let nv = id.nvram_content("NVRAM").unwrap();
        assert_eq!(nv.len(), NVRAM_PATTERN_END);
        assert!(nv.starts_with(b"MTKBENCH SIMULATED NVRAM\nserial=SIM0001\n"));
        let text = String::from_utf8_lossy(&nv[..0x200]);
        assert!(text.contains(&format!("imei1={}", id.imei[0])));
        assert!(text.contains(&colon_hex(&id.wifi_mac)));
        assert_eq!(decode_imei(&nv[IMEI_RECORD_AT + 12..]).unwrap(), id.imei[1]);
        assert_eq!(&nv[WIFI_RECORD_AT + 4..WIFI_RECORD_AT + 10], &id.wifi_mac);
        assert_eq!(&nv[BT_RECORD_AT..BT_RECORD_AT + 6], &id.bt_addr);
        let pro = id.nvram_content("PRO_INFO").unwrap();
        assert!(pro[BARCODE_AT..].starts_with(b"SIM0001\0"));
        // The ext4 superblock area of PROTECT_F stays free.
        let pf = id.nvram_content("PROTECT_F").unwrap();
        assert!(pf[0x400..0x800].iter().all(|&b| b == 0));
        assert!(pf[0x1000..0x1010].iter().any(|&b| b != 0));
        assert_eq!(id.nvram_content("BOOTIMG"), None);
    }

    #[test]
    fn cid_has_a_valid_crc_and_the_serial_in_its_psn() {
        let id = Identity::from_serial("SIM0001");
        assert_eq!(id.cid[0], 0x15);
        assert_eq!(&id.cid[3..9], b"SIM72E");
        assert_eq!(id.cid[15] & 1, 1);
        assert_eq!(id.cid[15] >> 1, crc7(&id.cid[..15]));
        // CRC-7 check value of "123456789".
        assert_eq!(crc7(b"123456789"), 0x75);
    }

    #[test]
    fn serials_are_checked_and_defaults_are_stable() {
        assert!(check_serial("SIM-01_a").is_ok());
        assert!(check_serial("").is_err());
        assert!(check_serial(&"x".repeat(33)).is_err());
        let err = check_serial("a b").unwrap_err();
        assert!(err.contains("' '"), "{err}");
        let s = default_serial("/tmp/a.img|a516_row");
        assert_eq!(s, default_serial("/tmp/a.img|a516_row"));
        assert_ne!(s, default_serial("/tmp/b.img|a516_row"));
        assert!(check_serial(&s).is_ok());
        assert_eq!(s.len(), 13);
    }
}
