//! The compressed payload of an ARM zImage: which compressor packed the kernel, where its
//! stream starts, and the kernel inflated as a stream.
//!
//! A Linux 3.x zImage is a small decompressor followed by the kernel packed with one of five
//! compressors (the kernel's `CONFIG_KERNEL_*`): gzip, XZ (with the ARM branch filter), LZMA
//! (the old `.lzma` format, size unknown, end marker), bzip2 or LZO (the `lzop` container). The
//! decompressor's own code holds the same magic bytes before the real stream, so
//! [`candidates`] lists every plausible start, in file order, and [`inflate`] tries one; a
//! caller keeps the first that inflates to a Linux image (see `firmware::lcm`).
//!
//! Memory stays bounded: the output is handed on in chunks, never collected; the decoders'
//! dictionaries are capped ([`MAX_DICT_KIB`]); at most [`MAX_INFLATED`] bytes come out of one
//! stream. Pure over bytes: no file, no phone.

use std::io::{self, Read};

use serde::Serialize;

/// The compressors a 3.x ARM zImage may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// gzip (`1f 8b 08`), the default.
    Gzip,
    /// XZ (`fd 37 7a 58 5a 00`), usually with the ARM BCJ filter.
    Xz,
    /// The legacy `.lzma` format (properties `5d`, dictionary size, unpacked size).
    Lzma,
    /// bzip2 (`BZh1`..`BZh9`, then the block magic).
    Bzip2,
    /// LZO in an `lzop` container (`89 4c 5a 4f 00 0d 0a 1a 0a`).
    Lzo,
}

impl Compression {
    /// The name the JSON uses (`gzip`, `xz`, `lzma`, `bzip2`, `lzo`).
    pub fn json_name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Lzma => "lzma",
            Compression::Bzip2 => "bzip2",
            Compression::Lzo => "lzo",
        }
    }

    /// The compressor's name as technicians and kernel configs write it.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Xz => "XZ",
            Compression::Lzma => "LZMA",
            Compression::Bzip2 => "bzip2",
            Compression::Lzo => "LZO",
        }
    }
}

/// A place where a compressed stream may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The compressor its magic names.
    pub compression: Compression,
    /// Offset of the magic in the zImage.
    pub offset: usize,
}

/// The most starts listed for one zImage (a real one has one to three).
pub const MAX_CANDIDATES: usize = 32;

/// The most bytes inflated from one stream before giving up (bounds the work on a bad file).
pub const MAX_INFLATED: u64 = 256 << 20;

/// The largest decoder dictionary accepted, in KiB (Linux packs with at most 64 MiB).
pub const MAX_DICT_KIB: u32 = 64 << 10;

/// The largest LZO block accepted (`lzop` writes 256 KiB blocks).
const MAX_LZO_BLOCK: u32 = 8 << 20;

const CHUNK: usize = 64 << 10;

const XZ_MAGIC: [u8; 6] = [0xFD, b'7', b'z', b'X', b'Z', 0x00];
/// The `lzop` container's magic.
pub const LZOP_MAGIC: [u8; 9] = [0x89, b'L', b'Z', b'O', 0x00, 0x0D, 0x0A, 0x1A, 0x0A];
const BZIP2_BLOCK: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];

/// Whether a stream of `compression` may start at the beginning of `at`.
fn starts_here(compression: Compression, at: &[u8]) -> bool {
    match compression {
        Compression::Gzip => at.len() >= 4 && at[..3] == [0x1F, 0x8B, 0x08] && at[3] & 0xE0 == 0,
        Compression::Xz => at.starts_with(&XZ_MAGIC),
        Compression::Lzma => {
            // lc=3 lp=0 pb=2 as every kernel build uses; a sane dictionary; an unpacked size
            // that is unknown (-1, piped) or below 1 GiB.
            at.len() >= 13 && at[0] == 0x5D && {
                let dict = u32::from_le_bytes([at[1], at[2], at[3], at[4]]);
                let mut size = [0u8; 8];
                size.copy_from_slice(&at[5..13]);
                let size = u64::from_le_bytes(size);
                (4096..=(MAX_DICT_KIB << 10)).contains(&dict)
                    && (size == u64::MAX || size < 1 << 30)
            }
        }
        Compression::Bzip2 => {
            at.len() >= 10
                && at.starts_with(b"BZh")
                && (b'1'..=b'9').contains(&at[3])
                && at[4..10] == BZIP2_BLOCK
        }
        Compression::Lzo => at.starts_with(&LZOP_MAGIC),
    }
}

/// Every plausible stream start in `zimage`, in file order, at most [`MAX_CANDIDATES`].
pub fn candidates(zimage: &[u8]) -> Vec<Candidate> {
    const ALL: [Compression; 5] = [
        Compression::Gzip,
        Compression::Xz,
        Compression::Lzma,
        Compression::Bzip2,
        Compression::Lzo,
    ];
    let mut found = Vec::new();
    for (offset, &b) in zimage.iter().enumerate() {
        if !matches!(b, 0x1F | 0xFD | 0x5D | b'B' | 0x89) {
            continue;
        }
        for compression in ALL {
            if starts_here(compression, &zimage[offset..]) {
                found.push(Candidate {
                    compression,
                    offset,
                });
                if found.len() == MAX_CANDIDATES {
                    return found;
                }
            }
        }
    }
    found
}

/// Why a candidate did not inflate.
#[derive(Debug, thiserror::Error)]
pub enum InflateError {
    /// The bytes are not a valid stream of that compressor (a false magic, or damage).
    #[error("not a valid {compression} stream: {reason}")]
    Invalid {
        /// The compressor tried.
        compression: &'static str,
        /// The decoder's reason.
        reason: String,
    },
    /// More than [`MAX_INFLATED`] bytes came out.
    #[error("inflates to more than {MAX_INFLATED} bytes")]
    TooLarge,
}

/// Inflates the `compression` stream at the start of `stream`, handing the output to `sink`
/// chunk by chunk. Returns the bytes inflated; an error for a false magic, damage, or more
/// than [`MAX_INFLATED`] bytes.
pub fn inflate(
    compression: Compression,
    stream: &[u8],
    sink: &mut dyn FnMut(&[u8]),
) -> Result<u64, InflateError> {
    let invalid = |e: &dyn std::fmt::Display| InflateError::Invalid {
        compression: compression.name(),
        reason: e.to_string(),
    };
    match compression {
        Compression::Gzip => {
            pump(flate2::read::GzDecoder::new(stream), sink).map_err(|e| e.or(invalid))
        }
        Compression::Xz => pump(
            lzma_rust2::XzReader::new_mem_limit(stream, false, MAX_DICT_KIB + 1024),
            sink,
        )
        .map_err(|e| e.or(invalid)),
        Compression::Lzma => {
            let reader = lzma_rust2::LzmaReader::new_mem_limit(stream, MAX_DICT_KIB + 1024, None)
                .map_err(|e| invalid(&e))?;
            pump(reader, sink).map_err(|e| e.or(invalid))
        }
        Compression::Bzip2 => {
            pump(bzip2::read::BzDecoder::new(stream), sink).map_err(|e| e.or(invalid))
        }
        Compression::Lzo => inflate_lzop(stream, sink).map_err(|e| e.or(invalid)),
    }
}

/// A failure inside [`pump`]: the output bound, or the decoder's error.
enum PumpError {
    TooLarge,
    Decoder(io::Error),
}

impl PumpError {
    fn or(self, invalid: impl Fn(&dyn std::fmt::Display) -> InflateError) -> InflateError {
        match self {
            PumpError::TooLarge => InflateError::TooLarge,
            PumpError::Decoder(e) => invalid(&e),
        }
    }
}

/// Reads a decoder to its end in chunks, within [`MAX_INFLATED`].
fn pump<R: Read>(mut decoder: R, sink: &mut dyn FnMut(&[u8])) -> Result<u64, PumpError> {
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        match decoder.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                total += n as u64;
                if total > MAX_INFLATED {
                    return Err(PumpError::TooLarge);
                }
                sink(&buf[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(PumpError::Decoder(e)),
        }
    }
}

/// `lzop` header flags (lzop's `conf.h`), the ones that change the layout.
const F_ADLER32_D: u32 = 0x0001;
const F_ADLER32_C: u32 = 0x0002;
const F_H_EXTRA_FIELD: u32 = 0x0040;
const F_CRC32_D: u32 = 0x0100;
const F_CRC32_C: u32 = 0x0200;
const F_H_FILTER: u32 = 0x0800;

/// A cursor over the `lzop` container.
struct Bytes<'a> {
    rest: &'a [u8],
}

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PumpError> {
        if self.rest.len() < n {
            return Err(PumpError::Decoder(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the lzop stream is cut short",
            )));
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, PumpError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, PumpError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, PumpError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

fn bad(reason: &str) -> PumpError {
    PumpError::Decoder(io::Error::new(
        io::ErrorKind::InvalidData,
        reason.to_owned(),
    ))
}

/// Inflates an `lzop` container block by block (each block at most [`MAX_LZO_BLOCK`]), the
/// way the kernel's own `decompress_unlzo` reads it.
fn inflate_lzop(stream: &[u8], sink: &mut dyn FnMut(&[u8])) -> Result<u64, PumpError> {
    let mut b = Bytes { rest: stream };
    if b.take(LZOP_MAGIC.len())? != LZOP_MAGIC {
        return Err(bad("no lzop magic"));
    }
    let version = b.u16()?;
    b.u16()?; // library version
    if version >= 0x0940 {
        b.u16()?; // version needed to extract
    }
    let method = b.u8()?;
    if !(1..=3).contains(&method) {
        return Err(bad("not an LZO1X method"));
    }
    if version >= 0x0940 {
        b.u8()?; // level
    }
    let flags = b.u32()?;
    if flags & F_H_FILTER != 0 {
        b.u32()?;
    }
    b.take(8)?; // mode, mtime
    if version >= 0x0940 {
        b.u32()?; // mtime, high half
    }
    let name_len = b.u8()?;
    b.take(usize::from(name_len))?;
    b.u32()?; // header checksum
    if flags & F_H_EXTRA_FIELD != 0 {
        let len = b.u32()?;
        b.take(len as usize)?;
        b.u32()?;
    }
    let mut total = 0u64;
    loop {
        let dst_len = b.u32()?;
        if dst_len == 0 {
            return Ok(total);
        }
        let src_len = b.u32()?;
        if dst_len > MAX_LZO_BLOCK || src_len > dst_len {
            return Err(bad("an lzop block of impossible size"));
        }
        for flag in [F_ADLER32_D, F_CRC32_D] {
            if flags & flag != 0 {
                b.u32()?;
            }
        }
        if src_len < dst_len {
            for flag in [F_ADLER32_C, F_CRC32_C] {
                if flags & flag != 0 {
                    b.u32()?;
                }
            }
        }
        let src = b.take(src_len as usize)?;
        total += u64::from(dst_len);
        if total > MAX_INFLATED {
            return Err(PumpError::TooLarge);
        }
        if src_len == dst_len {
            sink(src);
        } else {
            let block = lzokay_native::decompress_all(src, Some(dst_len as usize))
                .map_err(|e| bad(&e.to_string()))?;
            if block.len() != dst_len as usize {
                return Err(bad("an lzop block inflates to another size than announced"));
            }
            sink(&block);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::synth;

    const TEXT: &[u8] = b"\0Linux version 3.4.67 (test)\0nt35512_dsi_vdo\0 and some more text";

    fn round_trip(compression: Compression) {
        let packed = synth::compress(compression, TEXT);
        assert!(starts_here(compression, &packed), "{compression:?}");
        let mut out = Vec::new();
        let n = inflate(compression, &packed, &mut |c| out.extend_from_slice(c)).unwrap();
        assert_eq!(out, TEXT, "{compression:?}");
        assert_eq!(n, TEXT.len() as u64);
    }

    #[test]
    fn every_compressor_round_trips() {
        for c in [
            Compression::Gzip,
            Compression::Xz,
            Compression::Lzma,
            Compression::Bzip2,
            Compression::Lzo,
        ] {
            round_trip(c);
        }
    }

    #[test]
    fn candidates_are_in_file_order_and_false_magics_fail_cleanly() {
        let mut z = vec![0u8; 16];
        z.extend_from_slice(&XZ_MAGIC);
        z.extend_from_slice(&[0x55; 8]);
        let at = z.len();
        z.extend_from_slice(&synth::compress(Compression::Lzo, TEXT));
        let found = candidates(&z);
        assert_eq!(
            found,
            [
                Candidate {
                    compression: Compression::Xz,
                    offset: 16
                },
                Candidate {
                    compression: Compression::Lzo,
                    offset: at
                }
            ]
        );
        let err = inflate(Compression::Xz, &z[16..], &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("XZ"), "{err}");
        for c in [Compression::Lzma, Compression::Bzip2, Compression::Gzip] {
            assert!(inflate(c, &z[16..], &mut |_| {}).is_err(), "{c:?}");
        }
    }

    #[test]
    fn damaged_lzo_block_is_refused() {
        let mut packed = synth::compress(Compression::Lzo, &TEXT.repeat(50));
        let n = packed.len();
        packed.truncate(n - 10);
        assert!(inflate(Compression::Lzo, &packed, &mut |_| {}).is_err());
    }
}
