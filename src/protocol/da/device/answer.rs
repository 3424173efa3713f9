//! What the phone's DA does once a message from the host is complete, and with its owner's
//! answer: checks a command (NAND geometry, ranges) and refuses it with a status, turns it
//! into the [`DaAsk`] for the owner, and frames the owner's [`DaAnswer`] into the bytes the
//! host reads (MT6572.md §5.5–§5.8).
//!
//! A second `impl` block of [`DaDevice`]: the parsing of the host's bytes stays in
//! [`super`] ([`DaDevice::feed`]); nothing here reads the input stream or holds storage.
//! Sans-IO.

use super::{Collect, DaAnswer, DaAsk, DaDevice, DaEvent, NandUnit, St, Transfer};
use crate::protocol::{
    DaStatus, ProtocolError,
    checksum::sum16,
    da::{
        ACK, CONT, DATA_PACKET, DRAM_EMI_NEEDED, DRAM_OK, Da2Header, DaConfig, DaRequest, NACK,
        NandGeometry, NandPageLayout, NandReadFlag, NandReadbackRequest, Refusal, STORAGE_NAND_62,
        STORAGE_NAND_D6, dram::EmiDevice,
    },
    decisions::{STATUS_INVALID_RANGE, STATUS_UNSUPPORTED_OPERATION},
    wire::{Put, Wire},
};

impl DaDevice {
    /// A fixed-size message is complete in `buf`; a refusal the phone makes on its own is
    /// returned as an event.
    pub(super) fn collected(
        &mut self,
        what: Collect,
        buf: &[u8],
    ) -> Result<Option<DaEvent<'static>>, ProtocolError> {
        let none = Transfer::default();
        match what {
            Collect::Config => self.ask(DaAsk::Config(DaConfig::from_exact(buf)?), none),
            Collect::Da2Header => self.ask(DaAsk::Da2Upload(Da2Header::from_exact(buf)?), none),
            Collect::FinishMode => self.ask(DaAsk::FinishMode(u32::from_exact(buf)?), none),
            Collect::NandPages { addr, len, unit } => {
                let per_packet = u32::from_exact(buf)?;
                let packet = u64::from(per_packet) * u64::from(unit.unit);
                if per_packet == 0 || packet > u64::from(DATA_PACKET) {
                    return Err(ProtocolError::Malformed {
                        what: "NAND readback pages per packet",
                        detail: format!(
                            "{per_packet} pages of {} bytes per packet (1 to {} bytes allowed)",
                            unit.unit, DATA_PACKET
                        ),
                    });
                }
                let pages = len / u64::from(unit.page);
                self.out.put_u32((pages * u64::from(unit.unit)) as u32);
                let t = Transfer {
                    addr,
                    left: len,
                    packet: u64::from(per_packet) * u64::from(unit.page),
                    nand: Some(unit),
                    refusable: false,
                };
                if t.left == 0 {
                    self.idle();
                } else {
                    self.ask(t.packet_ask(), t);
                }
            }
            Collect::Command => {
                let req = DaRequest::from_exact(buf)?;
                if let Err(status) = self.check_nand(&req) {
                    if let DaRequest::NandReadback(_) = req {
                        // Readback refusals wait for the host's A5 (D6's way, decision N3).
                        self.out.push(NACK);
                        self.state = St::RefusedAck {
                            status: status.code(),
                        };
                    } else {
                        self.refuse(status.code());
                    }
                    return Ok(Some(DaEvent::Refused {
                        command: req.byte(),
                        status,
                    }));
                }
                self.command(req);
            }
        }
        Ok(None)
    }

    /// A refusal with a status (decisions N4, D13); the DA waits for the next command.
    pub(super) fn refuse(&mut self, status: u32) {
        Refusal { status }.encode(&mut self.out);
        self.idle();
    }

    /// Whether a NAND command may go ahead (decisions N3, N4, N5); other commands may.
    pub(super) fn check_nand(&self, req: &DaRequest) -> Result<(), DaStatus> {
        let nand = match req {
            DaRequest::NandReadback(_) => true,
            DaRequest::Write(q) => q.storage == STORAGE_NAND_62,
            DaRequest::Format(q) => q.storage == STORAGE_NAND_D6,
            _ => false,
        };
        if !nand {
            return Ok(());
        }
        let g = self.nand.ok_or(DaStatus::NandFlashNotFound)?;
        match req {
            DaRequest::NandReadback(q) => Self::check_nand_readback(g, q),
            DaRequest::Write(q) => {
                g.check_pages(q.addr, q.len)?;
                if u64::from(q.packet).is_multiple_of(u64::from(g.page_size)) {
                    Ok(())
                } else {
                    Err(DaStatus::from_code(STATUS_INVALID_RANGE))
                }
            }
            DaRequest::Format(q) => g.check_blocks(q.addr, q.len),
            _ => Ok(()),
        }
    }

    /// Whether a NAND readback may go ahead (decisions N3, N5).
    fn check_nand_readback(g: NandGeometry, q: &NandReadbackRequest) -> Result<(), DaStatus> {
        let flag = NandReadFlag::from_byte(q.flag)
            .ok_or(DaStatus::from_code(STATUS_UNSUPPORTED_OPERATION))?;
        g.check_pages(u64::from(q.addr), u64::from(q.len))?;
        let unit = flag.unit(u32::from(g.page_size), u32::from(g.spare_size));
        let wire = u64::from(q.len / u32::from(g.page_size)) * u64::from(unit);
        if wire > u64::from(u32::MAX) {
            return Err(DaStatus::from_code(STATUS_INVALID_RANGE));
        }
        Ok(())
    }

    /// A command header came and may go ahead.
    fn command(&mut self, req: DaRequest) {
        let none = Transfer::default();
        match req {
            DaRequest::UsbCheck => self.ask(DaAsk::UsbCheck, none),
            DaRequest::SwitchPart => {
                self.out.push(ACK);
                self.state = St::SwitchPartArg;
            }
            DaRequest::Readback(q) => self.ask(DaAsk::Readback(q), none),
            DaRequest::NandReadback(q) => self.ask(DaAsk::NandReadback(q), none),
            DaRequest::Write(q) => self.ask(DaAsk::Write(q), none),
            DaRequest::Format(q) => self.ask(DaAsk::Format(q), none),
            DaRequest::ReadPmt => self.ask(DaAsk::ReadPmt, none),
            DaRequest::Finish => self.ask(DaAsk::Finish, none),
        }
    }

    /// Sends a readback packet of `len` bytes and its checksum `sum` (decision D1).
    fn send_packet(
        &mut self,
        ask: DaAsk,
        t: Transfer,
        len: u32,
        data: Vec<u8>,
        sum: u16,
    ) -> Result<(), ProtocolError> {
        if data.len() != len as usize {
            self.state = St::Answer { ask, t };
            return Err(ProtocolError::Sequence(format!(
                "a readback packet of {len} bytes was answered with {}",
                data.len()
            )));
        }
        // The packet is most of the output: take it over rather than copy it.
        if self.out.is_empty() {
            self.out = data;
        } else {
            self.out.extend_from_slice(&data);
        }
        self.out.put_u16(sum);
        self.state = St::ReadbackAck(t.advanced());
        Ok(())
    }

    /// Answers the pending question; the encoded answer is added to the output. Afterwards
    /// [`pending`](DaDevice::pending) may already show the next question.
    pub fn answer(&mut self, answer: DaAnswer) -> Result<(), ProtocolError> {
        let St::Answer { ask, t } = self.state.clone() else {
            return Err(ProtocolError::Sequence(
                "an answer was given while no question was pending".into(),
            ));
        };
        let nand_write =
            t.refusable || matches!(&ask, DaAsk::Write(q) if q.storage == STORAGE_NAND_62);
        if nand_write && answer == DaAnswer::Nack {
            // A bare A5 would leave the host waiting for the status (decision N4).
            return Err(ProtocolError::Sequence(format!(
                "a NAND refusal carries a status: answer {ask:?} with DaAnswer::Refused"
            )));
        }
        match (ask, answer) {
            (DaAsk::Config(_), DaAnswer::DramResult(r)) => {
                self.out.put_u32(r);
                if r == DRAM_OK {
                    self.state = St::Collect {
                        what: Collect::Da2Header,
                        buf: Vec::new(),
                    };
                } else {
                    self.idle();
                }
            }
            (
                DaAsk::Config(_),
                DaAnswer::NeedEmi {
                    request,
                    ram_info,
                    dram_len,
                },
            ) => {
                self.out.put_u32(DRAM_EMI_NEEDED);
                self.out.extend_from_slice(&request.to_bytes());
                self.emi = Some(Box::new(EmiDevice::new(ram_info, dram_len)));
                self.state = St::Emi;
            }
            (DaAsk::EnableDram(_), a @ (DaAnswer::Ack | DaAnswer::Nack)) => {
                let Some(emi) = self.emi.as_mut() else {
                    return Err(ProtocolError::Sequence("no EMI exchange is running".into()));
                };
                emi.answer_enable(a == DaAnswer::Ack)?;
                self.out.extend(emi.take_output());
                if emi.stopped() {
                    self.emi = None;
                    self.idle();
                } else {
                    self.state = St::Emi;
                }
            }
            (DaAsk::EmiSettings(_), DaAnswer::RamResult(r)) => {
                let Some(mut emi) = self.emi.take() else {
                    return Err(ProtocolError::Sequence("no EMI exchange is running".into()));
                };
                emi.answer_settings(&r)?;
                self.out.extend(emi.take_output());
                if emi.ready() {
                    self.state = St::Collect {
                        what: Collect::Da2Header,
                        buf: Vec::new(),
                    };
                } else {
                    self.idle();
                }
            }
            (DaAsk::Da2Upload(h), DaAnswer::Ack) => {
                self.out.push(ACK);
                self.state = if h.len == 0 {
                    St::Da2Final
                } else {
                    St::Da2Data {
                        received: 0,
                        total: h.len,
                        packet: h.packet,
                        in_packet: 0,
                    }
                };
            }
            (DaAsk::Da2Packet { received }, DaAnswer::Ack) => {
                self.out.push(ACK);
                self.state = if t.left == 0 {
                    St::Da2Final
                } else {
                    St::Da2Data {
                        received,
                        total: received + t.left as u32,
                        packet: t.packet as u32,
                        in_packet: 0,
                    }
                };
            }
            (DaAsk::Da2Complete, DaAnswer::Da2Report(r)) => {
                self.out.push(ACK);
                r.encode(&mut self.out);
                self.nand = r.nand.geometry();
                self.idle();
            }
            (DaAsk::UsbCheck, DaAnswer::UsbStatus(s)) => {
                s.encode(&mut self.out);
                self.idle();
            }
            (DaAsk::Readback(q), DaAnswer::Ack) => {
                self.out.push(ACK);
                let t = Transfer {
                    addr: q.addr,
                    left: q.len,
                    packet: u64::from(q.packet),
                    ..Transfer::default()
                };
                if t.left == 0 {
                    self.idle();
                } else {
                    self.ask(t.packet_ask(), t);
                }
            }
            (DaAsk::NandReadback(q), DaAnswer::Ack) => {
                // Checked when the command came: a geometry exists and the flag is known.
                let (Some(g), Some(flag)) = (self.nand, NandReadFlag::from_byte(q.flag)) else {
                    self.state = St::Answer {
                        ask: DaAsk::NandReadback(q),
                        t,
                    };
                    return Err(ProtocolError::Sequence(
                        "a NAND readback was accepted without a NAND".into(),
                    ));
                };
                let (page, spare) = (u32::from(g.page_size), u32::from(g.spare_size));
                let layout = NandPageLayout {
                    page_size: page,
                    spare_size: spare,
                    unit: flag.unit(page, spare),
                };
                self.out.push(ACK);
                layout.encode(&mut self.out);
                self.state = St::Collect {
                    what: Collect::NandPages {
                        addr: u64::from(q.addr),
                        len: u64::from(q.len),
                        unit: NandUnit {
                            flag,
                            page,
                            unit: layout.unit,
                        },
                    },
                    buf: Vec::new(),
                };
            }
            (DaAsk::Readback(_) | DaAsk::NandReadback(_), DaAnswer::ReadbackRefused(status)) => {
                self.out.push(NACK);
                self.state = St::RefusedAck { status };
            }
            (
                ask @ (DaAsk::ReadbackPacket { len, .. } | DaAsk::NandReadbackPacket { len, .. }),
                DaAnswer::Data(data),
            ) => {
                let sum = sum16(&data);
                self.send_packet(ask, t, len, data, sum)?;
            }
            (
                ask @ (DaAsk::ReadbackPacket { len, .. } | DaAsk::NandReadbackPacket { len, .. }),
                DaAnswer::SummedData { data, sum },
            ) => self.send_packet(ask, t, len, data, sum)?,
            (DaAsk::Write(q), DaAnswer::Ack) => {
                self.out.push(ACK);
                if q.len == 0 {
                    self.idle();
                } else {
                    self.state = St::WriteMarker(Transfer {
                        addr: q.addr,
                        left: q.len,
                        packet: u64::from(q.packet),
                        nand: None,
                        refusable: q.storage == STORAGE_NAND_62,
                    });
                }
            }
            (DaAsk::WritePacket { .. }, DaAnswer::Cont) => {
                self.out.push(CONT);
                if t.left == 0 {
                    self.idle();
                } else {
                    self.state = St::WriteMarker(t);
                }
            }
            (DaAsk::Format(_) | DaAsk::FormatMore { .. }, DaAnswer::Progress(p)) => {
                p.encode(&mut self.out);
                self.state = St::FormatAck { percent: p.percent };
            }
            (DaAsk::Write(q), DaAnswer::Refused(status)) if q.storage == STORAGE_NAND_62 => {
                self.refuse(status);
            }
            (DaAsk::WritePacket { .. }, DaAnswer::Refused(status)) if t.refusable => {
                self.refuse(status);
            }
            (
                DaAsk::UsbCheck
                | DaAsk::Format(_)
                | DaAsk::FormatMore { .. }
                | DaAsk::ReadPmt
                | DaAsk::Finish,
                DaAnswer::Refused(status),
            ) => {
                self.refuse(status);
            }
            (DaAsk::ReadPmt, DaAnswer::Pmt(data)) => {
                self.out.push(ACK);
                self.out.put_u32(data.len() as u32);
                self.state = if data.is_empty() {
                    St::PmtDataAck
                } else {
                    St::PmtLenAck { data }
                };
            }
            (DaAsk::Finish, DaAnswer::Ack) => {
                self.out.push(ACK);
                self.state = St::Collect {
                    what: Collect::FinishMode,
                    buf: Vec::new(),
                };
            }
            (DaAsk::FinishMode(_), DaAnswer::Ack) => {
                self.out.push(ACK);
                self.state = St::Finished;
            }
            (
                DaAsk::Da2Upload(_)
                | DaAsk::Da2Packet { .. }
                | DaAsk::SwitchPart { .. }
                | DaAsk::Write(_)
                | DaAsk::WritePacket { .. },
                DaAnswer::Nack,
            ) => {
                self.out.push(NACK);
                self.idle();
            }
            (DaAsk::SwitchPart { .. }, DaAnswer::Ack) => {
                self.out.push(ACK);
                self.idle();
            }
            (ask, answer) => {
                self.state = St::Answer {
                    ask: ask.clone(),
                    t,
                };
                return Err(ProtocolError::Sequence(format!(
                    "{answer:?} does not answer {ask:?}"
                )));
            }
        }
        Ok(())
    }
}
