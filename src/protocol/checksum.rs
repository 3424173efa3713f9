//! The two 16-bit checksums of the MT6572 link, both incremental so that payloads can be
//! streamed in chunks of any size.
//!
//! * [`Xor16`]: the BROM's SEND_DA (D7) checksum, the XOR of all little-endian 16-bit words of
//!   the payload, an odd length padded with one 0x00 (MT6572.md §3.3.9 \[V\]). The phone returns
//!   it big-endian.
//! * [`Sum16`]: the legacy DA's per-packet checksum for write 0x62 (the byte sum, modulo 2^16,
//!   §5.8 \[V\]) and, by our choice, for readback 0xD6 (see [`super::decisions`]).
//!
//! Pure arithmetic; no I/O.

/// Streaming XOR16 over little-endian words (D7 SEND_DA).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Xor16 {
    acc: u16,
    /// A low byte waiting for its high byte (the chunk so far had an odd length).
    pending: Option<u8>,
}

impl Xor16 {
    /// A fresh checksum.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes; chunk boundaries do not matter.
    pub fn update(&mut self, mut data: &[u8]) {
        if let Some(lo) = self.pending.take() {
            match data.split_first() {
                Some((&hi, rest)) => {
                    self.acc ^= u16::from_le_bytes([lo, hi]);
                    data = rest;
                }
                None => {
                    self.pending = Some(lo);
                    return;
                }
            }
        }
        let mut words = data.chunks_exact(2);
        for w in &mut words {
            self.acc ^= u16::from_le_bytes([w[0], w[1]]);
        }
        if let [last] = words.remainder() {
            self.pending = Some(*last);
        }
    }

    /// The checksum, with an odd trailing byte padded by 0x00.
    pub fn value(&self) -> u16 {
        match self.pending {
            Some(lo) => self.acc ^ u16::from(lo),
            None => self.acc,
        }
    }
}

/// XOR16 of a whole buffer.
pub fn xor16(data: &[u8]) -> u16 {
    let mut x = Xor16::new();
    x.update(data);
    x.value()
}

/// Streaming 16-bit byte sum: the checksum of DA write (0x62) and readback (0xD6) packets, and
/// also the value SP Flash Tool stores per image in `Checksum.ini` (see `firmware::checksum`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sum16(u16);

impl Sum16 {
    /// A fresh sum.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        // Summing a block into a u32 cannot overflow (255 x 2^24 < 2^32) and vectorises well,
        // which matters when the ROM library checksums gigabytes.
        for block in data.chunks(1 << 24) {
            let part: u32 = block.iter().map(|&b| u32::from(b)).sum();
            self.0 = self.0.wrapping_add(part as u16);
        }
    }

    /// The sum modulo 2^16.
    pub fn value(&self) -> u16 {
        self.0
    }
}

/// 16-bit byte sum of a whole buffer.
pub fn sum16(data: &[u8]) -> u16 {
    let mut s = Sum16::new();
    s.update(data);
    s.value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor16_known_values() {
        assert_eq!(xor16(&[]), 0);
        assert_eq!(xor16(&[0x01, 0x02]), 0x0201);
        assert_eq!(xor16(&[0x01, 0x02, 0x03, 0x04]), 0x0201 ^ 0x0403);
        assert_eq!(xor16(&[0x01, 0x02, 0x03, 0x04]), 0x0602);
        // Odd length: the last byte is the low half of a word whose high half is 0x00.
        assert_eq!(xor16(&[0x01, 0x02, 0x03]), 0x0202);
        assert_eq!(xor16(&[0xFF]), 0x00FF);
        // Identical words cancel out.
        assert_eq!(xor16(&[0xAB, 0xCD, 0xAB, 0xCD]), 0);
    }

    #[test]
    fn xor16_does_not_depend_on_chunking() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1031).collect();
        let whole = xor16(&data);
        for split in [1usize, 2, 3, 7, 0x400] {
            let mut x = Xor16::new();
            for chunk in data.chunks(split) {
                x.update(chunk);
            }
            assert_eq!(x.value(), whole, "split {split}");
        }
        // Empty updates in the middle of an odd pair change nothing.
        let mut x = Xor16::new();
        x.update(&[0x34]);
        x.update(&[]);
        x.update(&[0x12]);
        assert_eq!(x.value(), 0x1234);
    }

    #[test]
    fn sum16_known_values_and_wraps() {
        assert_eq!(sum16(&[]), 0);
        assert_eq!(sum16(&[1, 2, 3]), 6);
        assert_eq!(sum16(&[0xFF; 4]), 0x03FC);
        // 0x101 * 0xFF = 0xFFFF still fits; one more byte wraps: 0x102 * 0xFF = 0x100FE.
        assert_eq!(sum16(&[0xFF; 0x101]), 0xFFFF);
        assert_eq!(sum16(&[0xFF; 0x102]), 0x00FE);
        let mut s = Sum16::new();
        s.update(&[0xFF; 0x100]);
        s.update(&[0xFF, 0xFF]);
        assert_eq!(s.value(), 0x00FE);
    }
}
