//! Byte-level building blocks shared by every message: a bounds-checked big-endian [`Reader`],
//! the matching writers on `Vec<u8>` ([`Put`]), and the [`Wire`] trait that gives each message
//! ONE layout used by both ends (the host decodes what the simulated phone encodes, and the
//! other way round).
//!
//! Decoding is incremental: a short buffer yields [`DecodeError::Incomplete`] with the exact
//! number of bytes still missing, so a step machine can ask the transport for precisely that
//! many bytes and never read into the next message. No I/O here.

use super::ProtocolError;

/// Why a message could not be decoded (yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The buffer ends early: at least `more` further bytes are needed.
    Incomplete {
        /// How many bytes are missing for the next field.
        more: usize,
    },
    /// The bytes are there but make no sense for this message.
    Invalid(ProtocolError),
}

impl DecodeError {
    /// Turns an incomplete buffer into a final error: used when no more bytes can come.
    pub fn finalize(self, what: &'static str) -> ProtocolError {
        match self {
            DecodeError::Incomplete { more } => ProtocolError::Malformed {
                what,
                detail: format!("{more} more byte(s) were needed"),
            },
            DecodeError::Invalid(e) => e,
        }
    }
}

impl From<ProtocolError> for DecodeError {
    fn from(e: ProtocolError) -> Self {
        DecodeError::Invalid(e)
    }
}

/// A cursor over received bytes; every read is bounds-checked. Multi-byte integers are
/// big-endian (the wire convention, MT6572.md "Conventions") unless the method name ends in
/// `_le`.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(DecodeError::Incomplete { more: n })?;
        if end > self.buf.len() {
            return Err(DecodeError::Incomplete {
                more: end - self.buf.len(),
            });
        }
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    /// A big-endian u16.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// A big-endian u32.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A big-endian u64.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A little-endian u16 (DA file, PMT).
    pub fn u16_le(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    /// A little-endian u32 (DA file, PMT, the D6 failure status).
    pub fn u32_le(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A little-endian u64 (PMT).
    pub fn u64_le(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
}

/// Writers matching [`Reader`], on a growing byte buffer.
pub trait Put {
    /// Appends one byte.
    fn put_u8(&mut self, v: u8);
    /// Appends a big-endian u16.
    fn put_u16(&mut self, v: u16);
    /// Appends a big-endian u32.
    fn put_u32(&mut self, v: u32);
    /// Appends a big-endian u64.
    fn put_u64(&mut self, v: u64);
    /// Appends a little-endian u16.
    fn put_u16_le(&mut self, v: u16);
    /// Appends a little-endian u32.
    fn put_u32_le(&mut self, v: u32);
    /// Appends a little-endian u64.
    fn put_u64_le(&mut self, v: u64);
}

impl Put for Vec<u8> {
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u16_le(&mut self, v: u16) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u32_le(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u64_le(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
}

/// A message with one byte layout, used by both ends of the link.
pub trait Wire: Sized {
    /// What the message is, in words, for error messages ("DA2 storage report").
    const WHAT: &'static str;

    /// Appends the message's bytes.
    fn encode(&self, out: &mut Vec<u8>);

    /// Reads the message from the front of `r`.
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// The message's bytes.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Decodes from the front of `buf`; returns the message and how many bytes it used.
    fn parse(buf: &[u8]) -> Result<(Self, usize), DecodeError> {
        let mut r = Reader::new(buf);
        let v = Self::decode(&mut r)?;
        Ok((v, r.position()))
    }

    /// Decodes a buffer that must hold exactly one message and nothing else.
    fn from_exact(buf: &[u8]) -> Result<Self, ProtocolError> {
        let (v, used) = Self::parse(buf).map_err(|e| e.finalize(Self::WHAT))?;
        if used != buf.len() {
            return Err(ProtocolError::Malformed {
                what: Self::WHAT,
                detail: format!("{} byte(s) left over", buf.len() - used),
            });
        }
        Ok(v)
    }

    /// The total length of the message at the front of `buf`, or how many bytes are missing.
    /// Step machines use it to read exactly one message.
    fn frame_len(buf: &[u8]) -> Result<usize, DecodeError> {
        Self::parse(buf).map(|(_, n)| n)
    }
}

impl Wire for u8 {
    const WHAT: &'static str = "byte";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u8(*self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u8()
    }
}

impl Wire for u16 {
    const WHAT: &'static str = "16-bit value";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16(*self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u16()
    }
}

impl Wire for u32 {
    const WHAT: &'static str = "32-bit value";
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_u32(*self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u32()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_reads_big_endian_and_little_endian() {
        let buf = [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x01, 0x02];
        let mut r = Reader::new(&buf);
        assert_eq!(r.u16().unwrap(), 0x1234);
        assert_eq!(r.u32().unwrap(), 0x5678_9ABC);
        assert_eq!(r.u16_le().unwrap(), 0xF0DE);
        assert_eq!(r.u8().unwrap(), 0x01);
        assert_eq!(r.remaining(), 1);
        assert_eq!(r.u32(), Err(DecodeError::Incomplete { more: 3 }));
        // A failed read consumes nothing.
        assert_eq!(r.u8().unwrap(), 0x02);
    }

    #[test]
    fn put_round_trips_through_reader() {
        let mut out = Vec::new();
        out.put_u64(0x0102_0304_0506_0708);
        out.put_u64_le(0x0102_0304_0506_0708);
        out.put_u32_le(0xAABB_CCDD);
        assert_eq!(&out[..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&out[8..16], &[8, 7, 6, 5, 4, 3, 2, 1]);
        let mut r = Reader::new(&out);
        assert_eq!(r.u64().unwrap(), 0x0102_0304_0506_0708);
        assert_eq!(r.u64_le().unwrap(), 0x0102_0304_0506_0708);
        assert_eq!(r.u32_le().unwrap(), 0xAABB_CCDD);
    }

    #[test]
    fn from_exact_rejects_leftovers_and_short_input() {
        assert_eq!(u16::from_exact(&[0xBC, 0x4]).unwrap(), 0xBC04);
        assert!(matches!(
            u16::from_exact(&[1, 2, 3]),
            Err(ProtocolError::Malformed { .. })
        ));
        assert!(matches!(
            u32::from_exact(&[1]),
            Err(ProtocolError::Malformed { .. })
        ));
        assert_eq!(
            u32::frame_len(&[1]),
            Err(DecodeError::Incomplete { more: 3 })
        );
    }
}
