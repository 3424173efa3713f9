//! The host's storage commands of the legacy DA (MT6572.md §5.8) as [`Exchange`] step
//! machines: [`Readback`] (0xD6 eMMC, 0xDF NAND), [`Write`] (0x62) and [`Format`] (0xD4).
//! Storage data is streamed through [`Step::RecvData`] and [`Step::SendData`]: no machine
//! holds an image.
//!
//! Only the host's side of these three commands: the set-up flows, the PMT and FINISH stay in
//! [`super`], the byte layouts in [`crate::protocol::da::command`]. Sans-IO.

use super::{ended, expect_byte, out_of_order, refusal, refusal_step};
use crate::protocol::{
    DaStatus, Exchange, Hex, Progress, ProtocolError, Step,
    checksum::Sum16,
    da::{
        ACK, CONT, DATA_PACKET, DaRequest, EmmcPart, FORMAT_DONE, FormatProgress, FormatRequest,
        HOST_OS_LINUX, NACK, NAND_ADDR_LOGICAL, NAND_PART, NandPageLayout, NandReadFlag,
        NandReadbackRequest, ReadbackRequest, SECTOR, STORAGE_EMMC_62, STORAGE_EMMC_D6,
        STORAGE_NAND_62, STORAGE_NAND_D6, WriteRequest,
    },
    decisions::{
        DA_REPLY_TIMEOUT, FORMAT_PROGRESS_TIMEOUT, NAND_PAGES_PER_PACKET, WRITE_ACK_TIMEOUT,
        data_timeout,
    },
    wire::{Reader, Wire},
};

/// How a readback went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadbackSummary {
    /// Bytes received (for NAND with [`NandReadFlag::PageSpare`], spare areas included).
    pub bytes: u64,
    /// Packets whose checksum differed from our byte sum (decision D1: counted, not fatal;
    /// backups are read twice and compared).
    pub checksum_mismatches: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RbState {
    Header,
    Ack,
    SendNack,
    NackStatus,
    Layout,
    SendPages,
    Total,
    Data,
    Checksum,
    SendAck,
    Done,
    /// A NAND range the 32-bit command cannot carry.
    Unaddressable,
    Over,
}

/// The NAND part of a 0xDF readback (decision N3).
#[derive(Debug, Clone, Copy)]
struct NandRead {
    flag: NandReadFlag,
    layout: Option<NandPageLayout>,
}

/// A storage readback: 0xD6 of `len` bytes at `addr` in the selected eMMC partition, or 0xDF
/// of NAND pages (§5.8, decision N3). After the command's preamble, each packet is data, a
/// 16-bit checksum, and the host's ack; a refusal is `A5`, the host's `A5`, and a
/// little-endian status.
#[derive(Debug, Clone)]
pub struct Readback {
    header: DaRequest,
    nand: Option<NandRead>,
    state: RbState,
    /// Bytes the phone will send in all (for NAND known after its total word).
    total: u64,
    left: u64,
    packet: u64,
    packet_len: usize,
    /// Bytes of the current packet fed so far (they may come in pieces).
    packet_got: usize,
    sum: Sum16,
    summary: ReadbackSummary,
}

impl Readback {
    fn new(header: DaRequest, nand: Option<NandRead>, len: u64, packet: u64) -> Self {
        Readback {
            header,
            nand,
            state: if len == 0 {
                RbState::Done
            } else {
                RbState::Header
            },
            total: len,
            left: len,
            packet,
            packet_len: 0,
            packet_got: 0,
            sum: Sum16::new(),
            summary: ReadbackSummary {
                bytes: 0,
                checksum_mismatches: 0,
            },
        }
    }

    /// The page layout a NAND phone announced (`None` for eMMC, or before it came).
    pub fn nand_layout(&self) -> Option<NandPageLayout> {
        self.nand.and_then(|n| n.layout)
    }

    /// Checks the NAND phone's page layout against the request, and sizes the packets.
    fn nand_layout_fed(&mut self, bytes: &[u8]) -> Result<(), ProtocolError> {
        const WHAT: &str = NandPageLayout::WHAT;
        let layout = NandPageLayout::from_exact(bytes)?;
        let (Some(nand), DaRequest::NandReadback(q)) = (self.nand.as_mut(), self.header) else {
            return Err(out_of_order());
        };
        let want = nand.flag.unit(layout.page_size, layout.spare_size);
        if layout.unit != want {
            return Err(ProtocolError::Malformed {
                what: WHAT,
                detail: format!(
                    "{} bytes per page for pages of {}+{} bytes; {:?} needs {want}",
                    layout.unit, layout.page_size, layout.spare_size, nand.flag
                ),
            });
        }
        if q.addr % layout.page_size != 0 || q.len % layout.page_size != 0 {
            return Err(ProtocolError::Malformed {
                what: WHAT,
                detail: format!(
                    "the phone accepted {:#x} bytes at {:#x}, which is not whole {}-byte pages",
                    q.len, q.addr, layout.page_size
                ),
            });
        }
        nand.layout = Some(layout);
        self.total = u64::from(q.len / layout.page_size) * u64::from(layout.unit);
        self.packet = u64::from(NAND_PAGES_PER_PACKET) * u64::from(layout.unit);
        Ok(())
    }
}

/// Starts an eMMC readback (0xD6); see [`Readback`]. A zero length sends nothing.
pub fn readback(addr: u64, len: u64) -> Readback {
    let req = ReadbackRequest {
        host_os: HOST_OS_LINUX,
        storage: STORAGE_EMMC_D6,
        addr,
        len,
        packet: DATA_PACKET,
    };
    Readback::new(DaRequest::Readback(req), None, len, u64::from(DATA_PACKET))
}

/// Starts a NAND readback (0xDF) of `len` page-data bytes at page-data offset `addr`, both
/// page aligned (decisions N2, N3, N5); the data sink gets what `flag` selects, page by page.
/// A zero length sends nothing. The command carries 32-bit fields: a range past 4 GiB is a
/// [`ProtocolError::Sequence`] (the caller clips to the flash size).
pub fn nand_readback(addr: u64, len: u64, flag: NandReadFlag) -> Readback {
    let fits = u32::try_from(addr).is_ok() && u32::try_from(len).is_ok();
    let req = NandReadbackRequest {
        host_os: HOST_OS_LINUX,
        flag: flag.byte(),
        addr_type: NAND_ADDR_LOGICAL,
        addr: addr as u32,
        len: len as u32,
        container: 0,
    };
    let nand = NandRead { flag, layout: None };
    let mut rb = Readback::new(DaRequest::NandReadback(req), Some(nand), len, 1);
    if !fits {
        rb.state = RbState::Unaddressable;
    }
    rb
}

impl Exchange for Readback {
    type Output = ReadbackSummary;

    fn poll(&mut self) -> Result<Step<ReadbackSummary>, ProtocolError> {
        Ok(match self.state {
            RbState::Header => {
                self.state = RbState::Ack;
                Step::Send(self.header.to_bytes())
            }
            RbState::Ack => Step::Recv {
                len: 1,
                what: "readback ack",
                timeout: DA_REPLY_TIMEOUT,
            },
            RbState::SendNack => {
                self.state = RbState::NackStatus;
                Step::Send(vec![NACK])
            }
            RbState::NackStatus => Step::Recv {
                len: 4,
                what: "readback failure status",
                timeout: DA_REPLY_TIMEOUT,
            },
            RbState::Layout => Step::Recv {
                len: 12,
                what: NandPageLayout::WHAT,
                timeout: DA_REPLY_TIMEOUT,
            },
            RbState::SendPages => {
                self.state = RbState::Total;
                Step::Send(NAND_PAGES_PER_PACKET.to_bytes())
            }
            RbState::Total => Step::Recv {
                len: 4,
                what: "NAND readback length",
                timeout: DA_REPLY_TIMEOUT,
            },
            RbState::Data => {
                self.packet_len = self.left.min(self.packet) as usize;
                self.packet_got = 0;
                self.sum = Sum16::new();
                Step::RecvData {
                    len: self.packet_len,
                    timeout: data_timeout(self.packet_len),
                }
            }
            RbState::Checksum => Step::Recv {
                len: 2,
                what: "readback checksum",
                timeout: DA_REPLY_TIMEOUT,
            },
            RbState::SendAck => {
                self.state = if self.left == 0 {
                    RbState::Done
                } else {
                    RbState::Data
                };
                Step::Send(vec![ACK])
            }
            RbState::Done => {
                self.state = RbState::Over;
                Step::Done(self.summary)
            }
            RbState::Unaddressable => {
                self.state = RbState::Over;
                return Err(ProtocolError::Sequence(format!(
                    "a NAND readback of {:#x} bytes does not fit the command's 32-bit fields",
                    self.total
                )));
            }
            RbState::Over => return ended(),
        })
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), ProtocolError> {
        let state = self.state;
        self.state = RbState::Over;
        self.state = match state {
            RbState::Ack if bytes == [ACK] && self.nand.is_some() => RbState::Layout,
            RbState::Ack if bytes == [ACK] => RbState::Data,
            // §5.8: on anything but 5A the host sends A5 and reads a little-endian status.
            RbState::Ack => RbState::SendNack,
            RbState::NackStatus => {
                let code = Reader::new(bytes)
                    .u32_le()
                    .map_err(|e| e.finalize("readback failure status"))?;
                return Err(ProtocolError::Da {
                    what: "readback",
                    status: DaStatus::from_code(code),
                });
            }
            RbState::Layout => {
                self.nand_layout_fed(bytes)?;
                RbState::SendPages
            }
            RbState::Total => {
                let total = u64::from(u32::from_exact(bytes)?);
                if total != self.total {
                    return Err(ProtocolError::Malformed {
                        what: "NAND readback length",
                        detail: format!(
                            "the phone announced {total:#x} bytes where the pages make {:#x}",
                            self.total
                        ),
                    });
                }
                self.left = total;
                RbState::Data
            }
            // A packet may come in pieces (Step::RecvData); the sum runs as they arrive.
            RbState::Data if bytes.len() <= self.packet_len - self.packet_got => {
                self.sum.update(bytes);
                self.packet_got += bytes.len();
                self.left -= bytes.len() as u64;
                self.summary.bytes += bytes.len() as u64;
                if self.packet_got == self.packet_len {
                    RbState::Checksum
                } else {
                    RbState::Data
                }
            }
            RbState::Checksum => {
                let got = u16::from_exact(bytes)?;
                if got != self.sum.value() {
                    self.summary.checksum_mismatches += 1;
                }
                RbState::SendAck
            }
            _ => return Err(out_of_order()),
        };
        Ok(())
    }

    fn progress(&self) -> Option<Progress> {
        Some(Progress {
            done: self.summary.bytes,
            total: self.total,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WrState {
    Header,
    HeaderAck,
    Marker,
    Data,
    Pad,
    Checksum,
    Cont,
    Refused,
    Done,
    /// A NAND page size the packets cannot be cut into.
    BadPage,
    Over,
}

/// 0x62 SDMMC_WRITE_DATA of `len` image bytes at `addr` (§5.8 \[V\]), to an eMMC partition
/// or to NAND (decision N4). The image is taken from the data source in chunks of up to
/// 1 MiB; each chunk is preceded by the host's 5A, padded to a whole unit (512-byte sector
/// with zeros; NAND page with 0xFF), followed by its 16-bit byte sum (padding included), and
/// acked by the phone with 69. A NAND phone refuses with `A5` and a big-endian status.
#[derive(Debug, Clone)]
pub struct Write {
    req: WriteRequest,
    image_len: u64,
    /// Sector or NAND page: lengths are rounded up to it.
    unit: u64,
    pad_byte: u8,
    nand: bool,
    state: WrState,
    left: u64,
    chunk_len: usize,
    /// Bytes of the current chunk reported so far (they may come in pieces).
    chunk_sent: usize,
    pad: usize,
    sum: Sum16,
}

impl Write {
    fn new(req: WriteRequest, len: u64, unit: u64, pad_byte: u8) -> Self {
        Write {
            req: WriteRequest {
                len: len.div_ceil(unit) * unit,
                ..req
            },
            image_len: len,
            unit,
            pad_byte,
            nand: req.storage == STORAGE_NAND_62,
            state: if len == 0 {
                WrState::Done
            } else {
                WrState::Header
            },
            left: len,
            chunk_len: 0,
            chunk_sent: 0,
            pad: 0,
            sum: Sum16::new(),
        }
    }
}

/// Starts an eMMC write to partition `part`; see [`Write`]. A zero length sends nothing.
pub fn write(part: EmmcPart, addr: u64, len: u64) -> Write {
    let req = WriteRequest {
        storage: STORAGE_EMMC_62,
        part: part.id(),
        addr,
        len,
        packet: DATA_PACKET,
    };
    Write::new(req, len, SECTOR, 0)
}

/// Starts a NAND write of `len` image bytes at page-data offset `addr` (page aligned) on a
/// NAND with `page_size`-byte pages; the image is page data only and the last page is padded
/// with 0xFF (decisions N2, N4, N5). A zero length sends nothing. A page size that does not
/// divide the 1 MiB packet is a [`ProtocolError::Sequence`].
pub fn nand_write(addr: u64, len: u64, page_size: u32) -> Write {
    let req = WriteRequest {
        storage: STORAGE_NAND_62,
        part: NAND_PART,
        addr,
        len,
        packet: DATA_PACKET,
    };
    let usable = page_size != 0 && DATA_PACKET.is_multiple_of(page_size);
    let mut w = Write::new(req, len, u64::from(page_size.max(1)), 0xFF);
    if !usable && len != 0 {
        w.state = WrState::BadPage;
    }
    w
}

impl Exchange for Write {
    type Output = u64;

    fn poll(&mut self) -> Result<Step<u64>, ProtocolError> {
        Ok(match self.state {
            WrState::Header => {
                self.state = WrState::HeaderAck;
                Step::Send(DaRequest::Write(self.req).to_bytes())
            }
            WrState::HeaderAck => Step::Recv {
                len: 1,
                what: "write header ack",
                timeout: DA_REPLY_TIMEOUT,
            },
            WrState::Marker => {
                self.chunk_len = self.left.min(u64::from(self.req.packet)) as usize;
                self.chunk_sent = 0;
                self.pad =
                    (self.chunk_len as u64).next_multiple_of(self.unit) as usize - self.chunk_len;
                self.sum = Sum16::new();
                self.state = WrState::Data;
                Step::Send(vec![ACK])
            }
            WrState::Data => Step::SendData {
                len: self.chunk_len - self.chunk_sent,
            },
            WrState::Pad => {
                self.state = WrState::Checksum;
                let pad = vec![self.pad_byte; self.pad];
                self.sum.update(&pad);
                Step::Send(pad)
            }
            WrState::Checksum => {
                self.state = WrState::Cont;
                Step::Send(self.sum.value().to_be_bytes().to_vec())
            }
            WrState::Cont => Step::Recv {
                len: 1,
                what: "write packet ack",
                timeout: WRITE_ACK_TIMEOUT,
            },
            WrState::Refused => refusal_step(),
            WrState::Done => {
                self.state = WrState::Over;
                Step::Done(self.image_len)
            }
            WrState::BadPage => {
                self.state = WrState::Over;
                return Err(ProtocolError::Sequence(format!(
                    "a NAND page of {} bytes does not divide the 1 MiB write packet",
                    self.unit
                )));
            }
            WrState::Over => return ended(),
        })
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), ProtocolError> {
        let state = self.state;
        self.state = WrState::Over;
        self.state = match state {
            WrState::HeaderAck | WrState::Cont if self.nand && bytes == [NACK] => WrState::Refused,
            WrState::HeaderAck => {
                expect_byte("write header ack", ACK, bytes)?;
                WrState::Marker
            }
            WrState::Cont => {
                expect_byte("write packet ack", CONT, bytes)?;
                if self.left == 0 {
                    WrState::Done
                } else {
                    WrState::Marker
                }
            }
            WrState::Refused => return Err(refusal("NAND write", bytes)),
            _ => return Err(out_of_order()),
        };
        Ok(())
    }

    fn data_sent(&mut self, bytes: &[u8]) -> Result<(), ProtocolError> {
        let room = self.chunk_len - self.chunk_sent;
        if self.state != WrState::Data || bytes.len() > room {
            self.state = WrState::Over;
            return Err(ProtocolError::Sequence(format!(
                "{} source bytes were reported where {room} of a {}-byte write chunk were due",
                bytes.len(),
                self.chunk_len
            )));
        }
        // A chunk may be reported in pieces (Step::SendData).
        self.sum.update(bytes);
        self.chunk_sent += bytes.len();
        self.left -= bytes.len() as u64;
        if self.chunk_sent == self.chunk_len {
            self.state = if self.pad > 0 {
                WrState::Pad
            } else {
                WrState::Checksum
            };
        }
        Ok(())
    }

    fn progress(&self) -> Option<Progress> {
        Some(Progress {
            done: self.image_len - self.left,
            total: self.image_len,
        })
    }
}

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FmState {
    Header,
    Report,
    /// The rest of a report whose first byte was 5A.
    ReportRest,
    Refused,
    Ack,
    End,
    Done,
    Over,
}

/// 0xD4 format (erase) of `len` bytes at `addr` (§5.8 \[V\]), in the selected eMMC partition
/// or on NAND (decision N4): progress reports, each acked, until 100 %, then `5A 5A`. The
/// phone may send a [`Refusal`](crate::protocol::da::Refusal) in place of a report (decision D13); the host reads the first
/// byte of each report on its own to tell.
#[derive(Debug, Clone)]
pub struct Format {
    req: FormatRequest,
    state: FmState,
    percent: u8,
}

fn format_request(storage: u8, addr: u64, len: u64) -> Format {
    Format {
        req: FormatRequest {
            storage,
            kind: 0,
            validation: 0,
            addr_type: 0,
            addr,
            len,
        },
        state: FmState::Header,
        percent: 0,
    }
}

/// Starts an eMMC format; see [`Format`].
pub fn format(addr: u64, len: u64) -> Format {
    format_request(STORAGE_EMMC_D6, addr, len)
}

/// Starts a NAND erase of `len` page-data bytes at `addr`, both block aligned (decisions N2,
/// N4, N5); see [`Format`].
pub fn nand_format(addr: u64, len: u64) -> Format {
    format_request(STORAGE_NAND_D6, addr, len)
}

/// The percentage that ends a format.
pub const FORMAT_COMPLETE: u8 = 100;

/// Length of one progress report on the wire.
const PROGRESS_LEN: usize = 7;

impl Format {
    fn nand(&self) -> bool {
        self.req.storage == STORAGE_NAND_D6
    }
}

impl Exchange for Format {
    type Output = ();

    fn poll(&mut self) -> Result<Step<()>, ProtocolError> {
        Ok(match self.state {
            FmState::Header => {
                self.state = FmState::Report;
                Step::Send(DaRequest::Format(self.req).to_bytes())
            }
            FmState::Report => Step::Recv {
                len: 1,
                what: "format progress",
                timeout: FORMAT_PROGRESS_TIMEOUT,
            },
            FmState::ReportRest => Step::Recv {
                len: PROGRESS_LEN - 1,
                what: "format progress",
                timeout: DA_REPLY_TIMEOUT,
            },
            FmState::Refused => refusal_step(),
            FmState::Ack => {
                self.state = if self.percent >= FORMAT_COMPLETE {
                    FmState::End
                } else {
                    FmState::Report
                };
                Step::Send(vec![ACK])
            }
            FmState::End => Step::Recv {
                len: FORMAT_DONE.len(),
                what: "format end",
                timeout: DA_REPLY_TIMEOUT,
            },
            FmState::Done => {
                self.state = FmState::Over;
                Step::Done(())
            }
            FmState::Over => return ended(),
        })
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), ProtocolError> {
        let state = self.state;
        self.state = FmState::Over;
        self.state = match state {
            FmState::Report if bytes == [NACK] => FmState::Refused,
            FmState::Report => {
                expect_byte("format progress", ACK, bytes)?;
                FmState::ReportRest
            }
            FmState::ReportRest => {
                let mut report = vec![ACK];
                report.extend_from_slice(bytes);
                self.percent = FormatProgress::from_exact(&report)?.percent;
                FmState::Ack
            }
            FmState::Refused => {
                let what = if self.nand() {
                    "NAND format"
                } else {
                    DaRequest::name_of(DaRequest::FORMAT)
                };
                return Err(refusal(what, bytes));
            }
            FmState::End if bytes == FORMAT_DONE => FmState::Done,
            FmState::End => {
                return Err(ProtocolError::Unexpected {
                    what: "format end",
                    expected: Hex::of(&FORMAT_DONE),
                    got: Hex::of(bytes),
                });
            }
            _ => return Err(out_of_order()),
        };
        Ok(())
    }

    fn progress(&self) -> Option<Progress> {
        Some(Progress {
            done: u64::from(self.percent.min(FORMAT_COMPLETE)),
            total: u64::from(FORMAT_COMPLETE),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::da::host::tests::{run, run_in_pieces};

    #[test]
    fn readback_streams_packets_and_counts_bad_checksums() {
        let data: Vec<u8> = (0..0x180u32).map(|i| i as u8).collect();
        let mut rb = readback(0x400, data.len() as u64);
        // Shrink the packet so that two packets are needed.
        rb.packet = 0x100;
        let mut phone = vec![ACK];
        phone.extend_from_slice(&data[..0x100]);
        phone.extend_from_slice(&crate::protocol::checksum::sum16(&data[..0x100]).to_be_bytes());
        phone.extend_from_slice(&data[0x100..]);
        phone.extend_from_slice(&[0xDE, 0xAD]);
        let (r, host, sink) = run(&mut rb, &phone, &[]);
        let summary = r.unwrap();
        assert_eq!(sink, data);
        assert_eq!(summary.bytes, 0x180);
        assert_eq!(summary.checksum_mismatches, 1);
        assert_eq!(host[0], 0xD6);
        assert_eq!(&host[23..], &[ACK, ACK]);
        assert_eq!(rb.progress().unwrap().done, 0x180);
    }

    #[test]
    fn readback_refusal_reads_a_little_endian_status() {
        let (r, host, _) = run(&mut readback(0, 16), &[NACK, 0xC4, 0x0B, 0, 0], &[]);
        assert_eq!(
            r,
            Err(ProtocolError::Da {
                what: "readback",
                status: DaStatus::NandFlashNotFound
            })
        );
        assert_eq!(host.last(), Some(&NACK), "the host aborts with A5");
        let (r, host, _) = run(&mut readback(0, 0), &[], &[]);
        assert_eq!(r.unwrap().bytes, 0);
        assert!(host.is_empty());
    }

    /// What a NAND phone sends for a page-spare readback of `pages` pages of `data`.
    fn nand_phone(pages: &[Vec<u8>], layout: &str) -> Vec<u8> {
        let mut phone = vec![ACK];
        phone.extend(hex(layout));
        let total: usize = pages.iter().map(Vec::len).sum();
        phone.extend((total as u32).to_be_bytes());
        for p in pages {
            phone.extend_from_slice(p);
            phone.extend(crate::protocol::checksum::sum16(p).to_be_bytes());
        }
        phone
    }

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s.split_whitespace().collect::<String>()).unwrap()
    }

    #[test]
    fn nand_readback_sends_the_documented_header_and_one_page_per_packet() {
        let pages = vec![vec![0x11; 0x840], vec![0x22; 0x840]];
        let phone = nand_phone(&pages, "00000800 00000040 00000840");
        let mut rb = nand_readback(0x2_0000, 0x1000, NandReadFlag::PageSpare);
        assert_eq!(
            rb.progress().unwrap().total,
            0x1000,
            "page data until the phone says"
        );
        let (r, host, sink) = run(&mut rb, &phone, &[]);
        let summary = r.unwrap();
        assert_eq!(sink, pages.concat());
        assert_eq!(summary.bytes, 0x1080);
        assert_eq!(summary.checksum_mismatches, 0);
        // §5.8: DF 0C 00 01 addr len 0, then pages per packet, then one ack per packet.
        assert_eq!(
            host,
            hex("DF 0C 00 01 00020000 00001000 00000000 00000001 5A 5A")
        );
        assert_eq!(rb.nand_layout().unwrap().unit, 0x840);
        assert_eq!(rb.progress().unwrap().total, 0x1080);
    }

    #[test]
    fn nand_readback_checks_what_the_phone_announces() {
        // Bytes per page that do not match the flag.
        let phone = nand_phone(&[vec![0; 0x840]], "00000800 00000040 00000800");
        let (r, _, _) = run(
            &mut nand_readback(0, 0x800, NandReadFlag::PageSpare),
            &phone,
            &[],
        );
        assert!(matches!(r, Err(ProtocolError::Malformed { .. })), "{r:?}");
        // A total that is not pages × unit.
        let mut phone = nand_phone(&[vec![0; 0x800]], "00000800 00000040 00000800");
        phone[13..17].copy_from_slice(&0x1000u32.to_be_bytes());
        let (r, _, _) = run(
            &mut nand_readback(0, 0x800, NandReadFlag::PageOnly),
            &phone,
            &[],
        );
        assert!(
            matches!(
                r,
                Err(ProtocolError::Malformed {
                    what: "NAND readback length",
                    ..
                })
            ),
            "{r:?}"
        );
        // A page size the request is not aligned to, although the phone acked.
        let phone = nand_phone(&[], "00001000 00000080 00001000");
        let (r, _, _) = run(
            &mut nand_readback(0x800, 0x800, NandReadFlag::PageOnly),
            &phone,
            &[],
        );
        assert!(matches!(r, Err(ProtocolError::Malformed { .. })), "{r:?}");
        // A zero page size.
        let phone = nand_phone(&[], "00000000 00000040 00000040");
        let (r, _, _) = run(
            &mut nand_readback(0, 0x800, NandReadFlag::SpareOnly),
            &phone,
            &[],
        );
        assert!(matches!(r, Err(ProtocolError::Malformed { .. })), "{r:?}");
    }

    #[test]
    fn nand_readback_refusal_past_4_gib_and_zero_length() {
        let (r, host, _) = run(
            &mut nand_readback(0x200, 0x800, NandReadFlag::PageSpare),
            &[NACK, 0xDB, 0x0B, 0, 0],
            &[],
        );
        assert!(
            matches!(r, Err(ProtocolError::Da { status, .. }) if status.code() == 3035),
            "{r:?}"
        );
        assert_eq!(host.last(), Some(&NACK));
        let (r, host, _) = run(
            &mut nand_readback(0, 1 << 32, NandReadFlag::PageOnly),
            &[],
            &[],
        );
        assert!(matches!(r, Err(ProtocolError::Sequence(_))), "{r:?}");
        assert!(host.is_empty(), "nothing is sent");
        let (r, host, _) = run(&mut nand_readback(0, 0, NandReadFlag::PageOnly), &[], &[]);
        assert_eq!(r.unwrap().bytes, 0);
        assert!(host.is_empty());
    }

    #[test]
    fn write_pads_the_last_chunk_and_sends_its_sum() {
        let image: Vec<u8> = (0..700u32).map(|i| (i % 251) as u8).collect();
        let mut w = write(EmmcPart::User, 0x1C0_0000, image.len() as u64);
        let (r, host, _) = run(&mut w, &[ACK, CONT], &image);
        assert_eq!(r.unwrap(), 700);
        let header = &host[..23];
        assert_eq!(&header[..3], &[0x62, 0x01, 0x08]);
        assert_eq!(
            &header[11..19],
            &1024u64.to_be_bytes(),
            "length rounded to 512"
        );
        assert_eq!(host[23], ACK);
        assert_eq!(&host[24..724], &image[..]);
        assert!(host[724..1048].iter().all(|&b| b == 0), "zero padding");
        let sum = crate::protocol::checksum::sum16(&image);
        assert_eq!(&host[1048..], &sum.to_be_bytes());
    }

    #[test]
    fn storage_data_may_come_and_go_in_pieces() {
        // Readback: two packets (one short), the second with a wrong checksum.
        let data: Vec<u8> = (0..0x180u32).map(|i| (i * 7) as u8).collect();
        let mut phone = vec![ACK];
        phone.extend_from_slice(&data[..0x100]);
        phone.extend_from_slice(&crate::protocol::checksum::sum16(&data[..0x100]).to_be_bytes());
        phone.extend_from_slice(&data[0x100..]);
        phone.extend_from_slice(&[0xDE, 0xAD]);
        let readback = || {
            let mut rb = readback(0, data.len() as u64);
            rb.packet = 0x100;
            rb
        };
        let whole = run(&mut readback(), &phone, &[]);
        // Write: two packets, the last padded.
        let image: Vec<u8> = (0..0x300u32).map(|i| (i % 251) as u8).collect();
        let write = || {
            let mut w = write(EmmcPart::User, 0, image.len() as u64);
            w.req.packet = 0x200;
            w
        };
        let written = run(&mut write(), &[ACK, CONT, CONT], &image);
        for piece in [1, 7, 0x40, 0xFF] {
            let (r, host, sink) = run_in_pieces(&mut readback(), &phone, &[], piece);
            assert_eq!(r.unwrap(), *whole.0.as_ref().unwrap(), "piece {piece}");
            assert_eq!((&host, &sink), (&whole.1, &whole.2), "piece {piece}");
            let (r, host, _) = run_in_pieces(&mut write(), &[ACK, CONT, CONT], &image, piece);
            assert_eq!(r.unwrap(), 0x300, "piece {piece}");
            assert_eq!(host, written.1, "piece {piece}");
        }
        // A piece larger than what is left of the chunk is a driver error.
        let mut w = write();
        assert!(matches!(w.poll().unwrap(), Step::Send(_))); // header
        assert!(matches!(w.poll().unwrap(), Step::Recv { .. }));
        w.feed(&[ACK]).unwrap();
        assert_eq!(w.poll().unwrap(), Step::Send(vec![ACK])); // packet marker
        assert_eq!(w.poll().unwrap(), Step::SendData { len: 0x200 });
        w.data_sent(&image[..0x100]).unwrap();
        assert!(w.data_sent(&image[..0x101]).is_err());
    }

    #[test]
    fn write_splits_into_packets_and_fails_without_cont() {
        let image = vec![1u8; 0x300];
        let mut w = write(EmmcPart::User, 0, 0x300);
        w.req.packet = 0x200;
        let (r, host, _) = run(&mut w, &[ACK, CONT, CONT], &image);
        r.unwrap();
        // header, 5A, 0x200 data, sum, 5A, 0x100 data, 0x100 pad, sum
        assert_eq!(host.len(), 23 + 1 + 0x200 + 2 + 1 + 0x200 + 2);
        let mut w = write(EmmcPart::User, 0, 0x200);
        let (r, _, _) = run(&mut w, &[ACK, NACK], &image);
        assert!(matches!(
            r,
            Err(ProtocolError::Unexpected {
                what: "write packet ack",
                ..
            })
        ));
        let mut w = write(EmmcPart::User, 0, 0x200);
        w.poll().unwrap();
        assert!(
            w.data_sent(&[1]).is_err(),
            "source data before it was asked for"
        );
    }

    #[test]
    fn nand_write_pads_with_ff_and_reads_refusal_statuses() {
        let image: Vec<u8> = (0..3000u32).map(|i| (i % 253) as u8).collect();
        let mut w = nand_write(0x2_0000, 3000, 0x800);
        let (r, host, _) = run(&mut w, &[ACK, CONT], &image);
        assert_eq!(r.unwrap(), 3000);
        // §5.8 layout with storage 0x10 and partition 0; the length is whole pages.
        assert_eq!(
            &host[..23],
            &hex("62 10 00 0000000000020000 0000000000001000 00100000")[..]
        );
        assert_eq!(host[23], ACK);
        assert_eq!(&host[24..3024], &image[..]);
        assert!(host[3024..24 + 0x1000].iter().all(|&b| b == 0xFF));
        let mut padded = image.clone();
        padded.resize(0x1000, 0xFF);
        let sum = crate::protocol::checksum::sum16(&padded);
        assert_eq!(
            &host[24 + 0x1000..],
            &sum.to_be_bytes(),
            "the sum covers the FF"
        );

        // Refused at the header, then at a packet: A5 and a big-endian status.
        let (r, _, _) = run(
            &mut nand_write(0x200, 0x800, 0x800),
            &[NACK, 0, 0, 0x0B, 0xDB],
            &image,
        );
        assert!(
            matches!(r, Err(ProtocolError::Da { what: "NAND write", status }) if status.code() == 3035),
            "{r:?}"
        );
        let (r, _, _) = run(
            &mut nand_write(0, 0x800, 0x800),
            &[ACK, NACK, 0, 0, 0x0B, 0xC8],
            &image,
        );
        assert!(
            matches!(
                r,
                Err(ProtocolError::Da {
                    status: DaStatus::NandPageProgramFailed,
                    ..
                })
            ),
            "{r:?}"
        );
        // eMMC writes keep the bare A5 of mtkclient.
        let (r, _, _) = run(&mut write(EmmcPart::User, 0, 0x200), &[NACK], &image);
        assert!(matches!(r, Err(ProtocolError::Unexpected { .. })), "{r:?}");
        // Page sizes the packets cannot be cut into.
        for page in [0, 3000] {
            let (r, host, _) = run(&mut nand_write(0, 0x800, page), &[], &image);
            assert!(
                matches!(r, Err(ProtocolError::Sequence(_))),
                "{page}: {r:?}"
            );
            assert!(host.is_empty());
        }
        let (r, host, _) = run(&mut nand_write(0, 0, 0x800), &[], &[]);
        assert_eq!(r.unwrap(), 0);
        assert!(host.is_empty());
    }

    #[test]
    fn nand_format_reads_each_report_byte_first() {
        let mut phone = vec![];
        for percent in [30, 100] {
            phone.extend(FormatProgress { init: 0, percent }.to_bytes());
        }
        phone.extend(FORMAT_DONE);
        let mut f = nand_format(0x2_0000, 0x4_0000);
        let (r, host, _) = run(&mut f, &phone, &[]);
        r.unwrap();
        assert_eq!(
            host,
            hex("D4 01 00 00 00 0000000000020000 0000000000040000 5A 5A")
        );
        assert_eq!(f.progress().unwrap().done, 100);
        // A refusal instead of the first report, and a failure after the first.
        let (r, _, _) = run(
            &mut nand_format(0x800, 0x2_0000),
            &[NACK, 0, 0, 0x0B, 0xDB],
            &[],
        );
        assert!(
            matches!(r, Err(ProtocolError::Da { what: "NAND format", status }) if status.code() == 3035),
            "{r:?}"
        );
        let mut phone = FormatProgress {
            init: 0,
            percent: 10,
        }
        .to_bytes();
        phone.extend([NACK, 0, 0, 0x0B, 0xCB]);
        let (r, _, _) = run(&mut nand_format(0, 0x2_0000), &phone, &[]);
        assert!(
            matches!(
                r,
                Err(ProtocolError::Da {
                    status: DaStatus::NandEraseFailed,
                    ..
                })
            ),
            "{r:?}"
        );
        let (r, _, _) = run(&mut nand_format(0, 0x2_0000), &[0x00], &[]);
        assert!(matches!(r, Err(ProtocolError::Unexpected { .. })), "{r:?}");
    }

    #[test]
    fn format_follows_progress_to_the_end() {
        let mut phone = FormatProgress {
            init: 0,
            percent: 40,
        }
        .to_bytes();
        phone.extend(
            FormatProgress {
                init: 0,
                percent: 100,
            }
            .to_bytes(),
        );
        phone.extend(FORMAT_DONE);
        let mut f = format(0x40_0000, 0x50_0000);
        let (r, host, _) = run(&mut f, &phone, &[]);
        r.unwrap();
        assert_eq!(&host[..5], &[0xD4, 0x02, 0, 0, 0]);
        assert_eq!(&host[21..], &[ACK, ACK]);
        assert_eq!(f.progress().unwrap().done, 100);
        // The minimal answer from §5.8: 5A 5A 00000000 64, host 5A, 5A 5A.
        let minimal = [0x5A, 0x5A, 0, 0, 0, 0, 0x64, 0x5A, 0x5A];
        let (r, _, _) = run(&mut format(0, 1), &minimal, &[]);
        r.unwrap();
        let (r, _, _) = run(&mut format(0, 1), &[0x5A, 0xA5, 0, 0, 0, 0, 0x64], &[]);
        assert!(r.is_err());
    }
}
