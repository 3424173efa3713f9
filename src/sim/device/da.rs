//! The simulated phone's legacy DA stage: the DRAM/EMI answers, the DA1 and DA2 reports, and
//! what the DA answers to each storage command (readback, NAND readback, write, format, PMT,
//! finish) from the sparse storage image, with the refusals listed in the parent module's
//! documentation.
//!
//! Content only: the byte layouts and the order of every exchange are `protocol`'s
//! ([`DaDevice`]); the BROM stage before JUMP_DA is in `brom.rs`. No I/O, no clock.

use super::{Brain, NACK_STATUS, Stage, WriteJob, append};
use crate::{
    firmware::{
        emi::{self, MT6572_EMI_VERSION},
        scatter::{Region, Storage as StorageKind},
    },
    protocol::{
        DaStatus,
        da::{
            DATA_PACKET, DRAM_OK, Da1Report, Da2Report, DaAnswer, DaAsk, DaDevice, DaEvent,
            DaRequest, EmmcInfo, EmmcPart, FormatProgress, NandInfo, NandReadFlag, NorInfo,
            RamInfo, STORAGE_EMMC_62, STORAGE_EMMC_D6, STORAGE_NAND_62, STORAGE_NAND_D6, SdmmcInfo,
            UsbStatus,
            dram::{EmiRequest, RAM_TYPE_DRAM, RamResult, SIM_EMI_BUFFER},
            encode_pmt,
        },
        decisions::{
            SIM_DA_VERSION, SIM_NAND_FLASH_ID, SIM_NAND_ID_COUNT, SIM_NAND_IDS,
            STATUS_DATA_CHECKSUM, STATUS_EMMC_FLASH_NOT_FOUND, STATUS_EXT_RAM,
            STATUS_INVALID_RANGE, STATUS_UNSUPPORTED_OPERATION,
        },
        mt6572,
    },
    sim::{boot, fault::Phase},
};

impl Brain {
    /// The DRAM result: 0 when the boot code set RAM up, else 0xBC3 and the EMI exchange.
    pub(super) fn dram_answer(&mut self) -> DaAnswer {
        if self.boots() {
            return DaAnswer::DramResult(DRAM_OK);
        }
        let mut ram_info = *b"RAM-Info: LPDDR2";
        if self.kind() == StorageKind::Nand {
            ram_info[10..].copy_from_slice(b"NAND+2");
        }
        DaAnswer::NeedEmi {
            request: EmiRequest {
                unknown: [0; 4],
                flash_id: self.flash_id(),
                nand_ids: match self.kind() {
                    StorageKind::Emmc => Vec::new(),
                    StorageKind::Nand => SIM_NAND_IDS.to_vec(),
                },
            },
            ram_info,
            dram_len: SIM_EMI_BUFFER,
        }
    }

    /// The RAM result for the EMI bytes received (decision E6).
    pub(super) fn ram_answer(&self, blob: &[u8]) -> DaAnswer {
        let id = self.flash_id();
        let layout = &self.config.layout;
        let fit = emi::parts_in_blob(blob)
            .iter()
            .any(|p| boot::fits(p, layout, &id));
        DaAnswer::RamResult(RamResult {
            ret: if fit { 0 } else { STATUS_EXT_RAM },
            ram_type: RAM_TYPE_DRAM,
            chip_select: 0,
            size: if fit { layout.ram_size } else { 0 },
            extra: Vec::new(),
        })
    }

    /// DA1 starts: sync byte and the DA1 report.
    pub(super) fn start_da(&mut self, out: &mut Vec<u8>) -> Stage {
        let mut da = DaDevice::new();
        let report = self.da1_report();
        match da.start(&report, SIM_DA_VERSION) {
            Ok(()) => {
                out.extend(da.take_output());
                Stage::Da(Box::new(da))
            }
            Err(e) => {
                tracing::error!(error = %e, "simulator DA failed to start");
                Stage::Silent
            }
        }
    }

    pub(super) fn da1_report(&self) -> Da1Report {
        match self.kind() {
            StorageKind::Emmc => Da1Report::emmc(self.config.identity.cid),
            StorageKind::Nand => Da1Report::nand(&SIM_NAND_IDS),
        }
    }

    pub(super) fn da2_report(&self) -> Da2Report {
        let l = &self.config.layout;
        let mut random_id = [0u8; 16];
        random_id.copy_from_slice(&self.config.identity.me_id);
        random_id.reverse();
        let ram = RamInfo {
            int_sram_ret: 0,
            int_sram_size: 0x2_0000,
            ext_ram_ret: 0,
            ext_ram_type: 2,
            ext_ram_chip_select: 0,
            ext_ram_size: l.ram_size,
            random_id,
        };
        let nor = NorInfo {
            ret: DaStatus::NorFlashNotFound.code(),
            ..NorInfo::default()
        };
        let sdmmc = SdmmcInfo {
            ret: STATUS_EMMC_FLASH_NOT_FOUND,
            ..SdmmcInfo::default()
        };
        match self.kind() {
            StorageKind::Emmc => Da2Report {
                nor,
                nand: NandInfo {
                    ret: DaStatus::NandFlashNotFound.code(),
                    ids: vec![0; SIM_NAND_ID_COUNT],
                    ..NandInfo::default()
                },
                emmc: EmmcInfo {
                    ret: 0,
                    boot1_size: self.storage.size(Region::EmmcBoot1),
                    boot2_size: self.storage.size(Region::EmmcBoot2),
                    rpmb_size: 0,
                    gp_size: [0; 4],
                    ua_size: self.storage.size(Region::EmmcUser),
                    cid: self.config.identity.cid,
                    fw_ver: *b"SIM72E\0\x01",
                },
                sdmmc,
                ram,
                pass: Default::default(),
            },
            StorageKind::Nand => Da2Report {
                nor,
                nand: NandInfo::detected(SIM_NAND_FLASH_ID, &SIM_NAND_IDS, self.nand_geometry()),
                emmc: EmmcInfo {
                    ret: STATUS_EMMC_FLASH_NOT_FOUND,
                    ..EmmcInfo::default()
                },
                sdmmc,
                ram,
                pass: Default::default(),
            },
        }
    }

    pub(super) fn da_feed(
        &mut self,
        da: &mut DaDevice,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Option<usize> {
        let used = match da.feed(input) {
            Ok((n, event)) => {
                match event {
                    Some(DaEvent::WriteData { data, .. }) => {
                        self.write.packet.extend_from_slice(data);
                    }
                    Some(DaEvent::Unknown(b)) => {
                        tracing::debug!(byte = b, "DA answers an unknown command with BB");
                    }
                    Some(DaEvent::Refused { command, status }) => {
                        tracing::debug!(command, status = %status, "the DA refused a NAND command");
                    }
                    Some(DaEvent::Da2Data(_)) | None => {}
                }
                Some(n)
            }
            Err(e) => {
                tracing::warn!(error = %e, "DA input breaks the framing; the DA stops answering");
                None
            }
        };
        append(out, da.take_output());
        while let Some(ask) = da.pending().cloned() {
            let answer = self.da_answer(&ask);
            if let Err(e) = da.answer(answer) {
                tracing::error!(error = %e, "simulator DA answer refused");
                return None;
            }
            let mut reply = da.take_output();
            let packet = matches!(
                ask,
                DaAsk::ReadbackPacket { .. } | DaAsk::NandReadbackPacket { .. }
            );
            if packet && self.faults.corrupt_next_checksum() {
                // The packet's checksum trails its data.
                let n = reply.len();
                for b in &mut reply[n.saturating_sub(2)..] {
                    *b = !*b;
                }
            }
            append(out, reply);
            if da.finished() {
                self.finished = true;
            }
        }
        used
    }

    /// The region a 0xD6/0xD4 storage byte (HW_STORAGE numbering, §5.8) names on this
    /// phone, or the status refusing it.
    pub(super) fn hw_storage(&self, storage: u8) -> Result<Region, u32> {
        match (self.kind(), storage) {
            (StorageKind::Emmc, STORAGE_EMMC_D6) => Ok(self.part),
            (StorageKind::Nand, STORAGE_NAND_D6) => Ok(Region::Nand),
            (StorageKind::Emmc, STORAGE_NAND_D6) => Err(DaStatus::NandFlashNotFound.code()),
            (StorageKind::Nand, STORAGE_EMMC_D6) => Err(STATUS_EMMC_FLASH_NOT_FOUND),
            _ => Err(DaStatus::NorFlashNotFound.code()),
        }
    }

    /// A NAND readback packet: `pages` pages from `addr`, each as `flag` selects; the spare
    /// area is not stored and reads 0xFF.
    pub(super) fn nand_packet(&mut self, addr: u64, pages: u32, flag: NandReadFlag) -> Vec<u8> {
        let g = self.nand_geometry();
        let (page, spare) = (usize::from(g.page_size), usize::from(g.spare_size));
        let mut data = vec![0u8; pages as usize * page];
        if flag != NandReadFlag::SpareOnly
            && let Err(e) = self.storage.read(Region::Nand, addr, &mut data)
        {
            // The range was checked; only the image file can fail here.
            tracing::error!(error = %e, "simulated flash read failed");
        }
        let unit = flag.unit(u32::from(g.page_size), u32::from(g.spare_size)) as usize;
        // Room for the checksum that follows (DaAnswer::Data).
        let mut out = Vec::with_capacity(pages as usize * unit + 2);
        for chunk in data.chunks(page.max(1)) {
            if flag != NandReadFlag::SpareOnly {
                out.extend_from_slice(chunk);
            }
            if flag != NandReadFlag::PageOnly {
                out.resize(out.len() + spare, 0xFF);
            }
        }
        out
    }

    /// The bytes of a readback packet (`ReadbackPacket` or `NandReadbackPacket`), with room
    /// for the checksum that follows them; empty for any other question.
    pub(super) fn packet_data(&mut self, ask: &DaAsk) -> Vec<u8> {
        match *ask {
            DaAsk::ReadbackPacket { addr, len } => {
                let mut data = Vec::with_capacity(len as usize + 2);
                data.resize(len as usize, 0);
                if let Err(e) = self.storage.read(self.part, addr, &mut data) {
                    // The range was checked; only the image file can fail here.
                    tracing::error!(error = %e, "simulated flash read failed");
                }
                data
            }
            DaAsk::NandReadbackPacket {
                addr, pages, flag, ..
            } => self.nand_packet(addr, pages, flag),
            _ => Vec::new(),
        }
    }

    /// The answer to a packet question: the packet read ahead (with its sum) if it is that
    /// one, else the packet read now.
    /// A `flaky-read` byte in a user-area packet is counted here, as the packet is sent
    /// (not when it is read ahead, which may be dropped).
    pub(super) fn packet(&mut self, ask: &DaAsk) -> DaAnswer {
        let (mut data, sum) = match self.read_ahead.take() {
            Some((read, data, sum)) if read == *ask => (data, Some(sum)),
            _ => (self.packet_data(ask), None),
        };
        let flipped = match *ask {
            DaAsk::ReadbackPacket { addr, .. } if self.part == Region::EmmcUser => {
                self.faults.flaky_read(addr, &mut data)
            }
            _ => false,
        };
        match sum {
            Some(sum) if !flipped => DaAnswer::SummedData { data, sum },
            _ => DaAnswer::Data(data),
        }
    }

    pub(super) fn fits(&self, region: Region, addr: u64, len: u64) -> bool {
        addr.checked_add(len)
            .is_some_and(|end| end <= self.storage.size(region))
    }

    pub(super) fn da_answer(&mut self, ask: &DaAsk) -> DaAnswer {
        if !matches!(
            ask,
            DaAsk::ReadbackPacket { .. } | DaAsk::NandReadbackPacket { .. }
        ) {
            // Whatever was read ahead belongs to a readback that is over.
            self.read_ahead = None;
        }
        match ask {
            DaAsk::Config(_) => self.dram_answer(),
            DaAsk::EnableDram(v) if *v == MT6572_EMI_VERSION => DaAnswer::Ack,
            DaAsk::EnableDram(_) => DaAnswer::Nack,
            DaAsk::EmiSettings(blob) => self.ram_answer(blob),
            DaAsk::Da2Upload(h) => {
                if h.addr == mt6572::DA2_LOAD_ADDR && h.len > 0 {
                    DaAnswer::Ack
                } else {
                    DaAnswer::Nack
                }
            }
            DaAsk::Da2Packet { .. } => DaAnswer::Ack,
            DaAsk::Da2Complete => DaAnswer::Da2Report(Box::new(self.da2_report())),
            DaAsk::UsbCheck if self.nacked(Phase::Da, DaRequest::USB_CHECK) => {
                DaAnswer::Refused(NACK_STATUS.code())
            }
            DaAsk::UsbCheck => DaAnswer::UsbStatus(UsbStatus { speed: 1 }),
            DaAsk::SwitchPart { part } => {
                let region = match (self.kind(), EmmcPart::from_id(*part)) {
                    (StorageKind::Emmc, Some(EmmcPart::Boot1)) => Some(Region::EmmcBoot1),
                    (StorageKind::Emmc, Some(EmmcPart::Boot2)) => Some(Region::EmmcBoot2),
                    (StorageKind::Emmc, Some(EmmcPart::User)) => Some(Region::EmmcUser),
                    _ => None,
                };
                match region {
                    Some(r) if !self.nacked(Phase::Da, DaRequest::SWITCH_PART) => {
                        self.part = r;
                        DaAnswer::Ack
                    }
                    _ => DaAnswer::Nack,
                }
            }
            DaAsk::Readback(q) => {
                if self.nacked(Phase::Da, DaRequest::READBACK) {
                    return DaAnswer::ReadbackRefused(NACK_STATUS.code());
                }
                match self.hw_storage(q.storage) {
                    // NAND is read with 0xDF (decision D5).
                    Ok(Region::Nand) => DaAnswer::ReadbackRefused(STATUS_UNSUPPORTED_OPERATION),
                    Ok(region) if self.fits(region, q.addr, q.len) && q.packet > 0 => DaAnswer::Ack,
                    Ok(_) => DaAnswer::ReadbackRefused(STATUS_INVALID_RANGE),
                    Err(status) => DaAnswer::ReadbackRefused(status),
                }
            }
            DaAsk::ReadbackPacket { .. } | DaAsk::NandReadbackPacket { .. } => self.packet(ask),
            DaAsk::NandReadback(_) => {
                // The protocol checked the request against the geometry (decision N5).
                if self.nacked(Phase::Da, DaRequest::NAND_READBACK) {
                    DaAnswer::ReadbackRefused(NACK_STATUS.code())
                } else {
                    DaAnswer::Ack
                }
            }
            DaAsk::Write(q) => {
                self.write = WriteJob::default();
                // A NAND refusal carries a status (decision N4).
                let nand = q.storage == STORAGE_NAND_62;
                let refuse = |status: u32| {
                    if nand {
                        DaAnswer::Refused(status)
                    } else {
                        DaAnswer::Nack
                    }
                };
                if self.nacked(Phase::Da, DaRequest::WRITE) {
                    return refuse(NACK_STATUS.code());
                }
                let region = match self.kind() {
                    StorageKind::Emmc if q.storage == STORAGE_EMMC_62 => {
                        match EmmcPart::from_id(q.part) {
                            Some(EmmcPart::Boot1) => Some(Region::EmmcBoot1),
                            Some(EmmcPart::Boot2) => Some(Region::EmmcBoot2),
                            Some(EmmcPart::User) => Some(Region::EmmcUser),
                            _ => None,
                        }
                    }
                    StorageKind::Nand if nand => Some(Region::Nand),
                    _ => None,
                };
                match region {
                    Some(r) if self.fits(r, q.addr, q.len) && q.packet > 0 => {
                        self.write.region = Some(r);
                        // One packet's room up front (at most the 1 MiB mtkbench sends),
                        // rather than growing it piece by piece.
                        let room = q.len.min(u64::from(q.packet.min(DATA_PACKET)));
                        self.write.packet.reserve(room as usize);
                        DaAnswer::Ack
                    }
                    _ => refuse(STATUS_INVALID_RANGE),
                }
            }
            DaAsk::WritePacket {
                addr,
                len,
                checksum_ok,
            } => {
                let mut packet = std::mem::take(&mut self.write.packet);
                let ok = *checksum_ok && !self.write.failed && packet.len() == *len as usize;
                let stored = match self.write.region {
                    Some(region) if ok => self.storage.write(region, *addr, &packet),
                    _ => Ok(()),
                };
                if let Err(e) = &stored {
                    tracing::error!(error = %e, "simulated flash write failed");
                }
                if ok && stored.is_ok() {
                    // The next packet fills the same buffer.
                    packet.clear();
                    self.write.packet = packet;
                    DaAnswer::Cont
                } else if self.write.region == Some(Region::Nand) {
                    self.write = WriteJob::default();
                    DaAnswer::Refused(if *checksum_ok {
                        DaStatus::NandPageProgramFailed.code()
                    } else {
                        STATUS_DATA_CHECKSUM
                    })
                } else {
                    self.write.failed = true;
                    DaAnswer::Nack
                }
            }
            DaAsk::Format(_) if self.nacked(Phase::Da, DaRequest::FORMAT) => {
                DaAnswer::Refused(NACK_STATUS.code())
            }
            DaAsk::Format(q) => {
                let done = DaAnswer::Progress(FormatProgress {
                    init: 0,
                    percent: 100,
                });
                match self.hw_storage(q.storage) {
                    // Whole blocks inside the array: checked by the protocol (decision N5).
                    Ok(Region::Nand) => match self.storage.erase(Region::Nand, q.addr, q.len) {
                        Ok(()) => done,
                        Err(e) => {
                            tracing::error!(error = %e, "simulated flash erase failed");
                            DaAnswer::Refused(DaStatus::NandEraseFailed.code())
                        }
                    },
                    Ok(region) if self.fits(region, q.addr, q.len) => {
                        if let Err(e) = self.storage.erase(region, q.addr, q.len) {
                            // Only the image file can fail here; the log says so.
                            tracing::error!(error = %e, "simulated flash erase failed");
                        }
                        done
                    }
                    Ok(_) => DaAnswer::Refused(STATUS_INVALID_RANGE),
                    Err(status) => DaAnswer::Refused(status),
                }
            }
            DaAsk::FormatMore { .. } => DaAnswer::Progress(FormatProgress {
                init: 0,
                percent: 100,
            }),
            DaAsk::ReadPmt if self.nacked(Phase::Da, DaRequest::READ_PMT) => {
                DaAnswer::Refused(NACK_STATUS.code())
            }
            DaAsk::ReadPmt => DaAnswer::Pmt(encode_pmt(&self.config.layout.pmt())),
            DaAsk::Finish if self.nacked(Phase::Da, DaRequest::FINISH) => {
                DaAnswer::Refused(NACK_STATUS.code())
            }
            DaAsk::Finish | DaAsk::FinishMode(_) => DaAnswer::Ack,
        }
    }
}
