//! The storage half of a [`Session`]: reading, writing and erasing regions of a phone whose
//! download agent runs, and reading its partition table. It takes only targets the [`guard`]
//! built for writes and erases and refuses a range the phone would refuse before anything is
//! sent. It must not connect, identify or start the agent: that is the other half, in the
//! parent module.

use std::{
    io::{Read, Write},
    time::Instant,
};

use super::{Reading, Session};
use crate::{
    device::{
        error::{DeviceError, PhoneState, ResultExt, Stage},
        guard::{self, GuardedErase, GuardedWrite},
        progress::{OpKind, ProgressEvent},
        table::{self, PartitionMap, Probe, TableReading},
        target::{Region, Target},
    },
    profile::Registry,
    protocol::{
        Exchange, Progress,
        da::{self, EmmcPart, NandGeometry, NandReadFlag, StorageKind, host},
    },
    transport::{ExchangeError, Payload, Transport, TransportError, run_exchange_with},
};

/// How the DA addresses a region of this phone.
#[derive(Debug, Clone, Copy)]
enum Medium {
    /// An eMMC hardware partition, selected with 0x60.
    Emmc(EmmcPart),
    /// The NAND array: page-aligned reads (0xDF) and writes, block-aligned erases (N5).
    Nand(NandGeometry),
}

/// Refuses a NAND range the phone would refuse (decision N5) before anything is sent:
/// `addr` (and, with `whole_len`, the length) must be multiples of `unit`.
fn check_aligned(
    target: &Target,
    action: &'static str,
    unit: u64,
    unit_name: &'static str,
    whole_len: bool,
) -> Result<(), DeviceError> {
    let fits = |v: u64| unit != 0 && v.is_multiple_of(unit);
    if fits(target.addr) && (!whole_len || fits(target.len)) {
        return Ok(());
    }
    Err(DeviceError::Misaligned {
        action,
        target: target.name.clone(),
        offset: target.addr,
        len: target.len,
        unit,
        unit_name,
    })
}

impl<T: Transport> Session<T> {
    /// How the DA addresses `region` on this phone.
    fn medium(&self, region: Region) -> Result<Medium, DeviceError> {
        let da = self.need_da()?;
        da.region(region)?;
        match region {
            Region::EmmcBoot1 => Ok(Medium::Emmc(EmmcPart::Boot1)),
            Region::EmmcBoot2 => Ok(Medium::Emmc(EmmcPart::Boot2)),
            Region::EmmcUser => Ok(Medium::Emmc(EmmcPart::User)),
            Region::Nand => da.nand().map(|f| Medium::Nand(f.geometry)).ok_or_else(|| {
                DeviceError::Unsupported(
                    "the download agent found NAND but reported no usable page layout (page \
                     size, pages per block and size), so its pages cannot be addressed"
                        .into(),
                )
            }),
        }
    }

    /// Before a readback or format: 0x72, then 0x60 with the partition on eMMC (§5.9).
    fn select(&mut self, stage: Stage, medium: Medium) -> Result<(), DeviceError> {
        self.run(stage, host::usb_check())?;
        match medium {
            Medium::Emmc(part) => self.run(stage, host::switch_part(part)),
            Medium::Nand(_) => Ok(()),
        }
    }

    /// Checks that `target` lies inside its region as the phone reported it.
    fn check_range(&self, target: &Target) -> Result<(), DeviceError> {
        let size = self.need_da()?.region(target.region)?;
        if target
            .addr
            .checked_add(target.len)
            .is_none_or(|end| end > size)
        {
            return Err(DeviceError::OutOfRange {
                target: target.name.clone(),
                offset: target.addr,
                len: target.len,
                size,
            });
        }
        Ok(())
    }

    /// Runs a transfer exchange with `Started`/`Advanced` events, then one of `Finished`,
    /// `Failed` or `Cancelled`.
    fn transfer<E: Exchange>(
        &mut self,
        stage: Stage,
        op: OpKind,
        target: &Target,
        mut ex: E,
        source: Option<&mut dyn Read>,
        sink: Option<&mut dyn Write>,
    ) -> Result<E::Output, DeviceError> {
        let total = target.len;
        (self.progress)(&ProgressEvent::Started {
            op,
            name: target.name.clone(),
            total,
        });
        let start = Instant::now();
        let events = &mut self.progress;
        let mut last = 0;
        let mut on_progress = |p: Progress| {
            let done = if p.total == 0 {
                0
            } else {
                (u128::from(p.done) * u128::from(total) / u128::from(p.total)) as u64
            }
            .min(total);
            if done > last {
                last = done;
                events(&ProgressEvent::Advanced {
                    op,
                    done,
                    total,
                    elapsed: start.elapsed(),
                });
            }
        };
        let mut payload = Payload {
            source: source.map(|s| s as &mut dyn Read),
            sink: sink.map(|s| s as &mut dyn Write),
            on_progress: Some(&mut on_progress),
            cancel: self.cancel.as_ref(),
        };
        let out = run_exchange_with(&mut self.t, &mut ex, &mut payload);
        let name = Some(target.name.clone());
        match out {
            Ok(out) => {
                (self.progress)(&ProgressEvent::Finished {
                    op,
                    total,
                    elapsed: start.elapsed(),
                });
                Ok(out)
            }
            Err(ExchangeError::Transport(TransportError::Cancelled)) => {
                (self.progress)(&ProgressEvent::Cancelled {
                    op: Some(op),
                    name,
                    done: last,
                });
                let state = match op {
                    OpKind::Read => self.state(),
                    OpKind::Write => PhoneState::PartlyWritten,
                    OpKind::Erase => PhoneState::PartlyErased,
                };
                Err(DeviceError::Cancelled {
                    stage,
                    target: Some(target.name.clone()),
                    done: last,
                    total,
                    state,
                })
            }
            Err(e) => {
                let e = self.failed(stage, e);
                (self.progress)(&ProgressEvent::Failed {
                    op: Some(op),
                    name,
                    done: last,
                    error: e.to_string(),
                });
                Err(e)
            }
        }
    }

    /// Reads `target` into `sink` in the DA's packets (eMMC 0xD6, §5.8; NAND 0xDF with page
    /// data only, decision N3, where `target` must be whole pages). Returns the bytes read.
    pub fn read(&mut self, target: &Target, sink: &mut dyn Write) -> Result<u64, DeviceError> {
        self.read_as(target, sink, NandReadFlag::PageOnly)
    }

    /// Reads whole NAND pages of `target` with their spare (OOB) areas: each page's data,
    /// then its spare bytes (0xDF page+spare, decision N3), as a NAND programmer's dump holds
    /// them. Only for NAND. Returns the bytes read (pages × (page + spare size)).
    pub fn read_with_spare(
        &mut self,
        target: &Target,
        sink: &mut dyn Write,
    ) -> Result<u64, DeviceError> {
        self.read_as(target, sink, NandReadFlag::PageSpare)
    }

    fn read_as(
        &mut self,
        target: &Target,
        sink: &mut dyn Write,
        flag: NandReadFlag,
    ) -> Result<u64, DeviceError> {
        self.check_range(target)?;
        let medium = self.medium(target.region)?;
        let ex = match medium {
            Medium::Emmc(_) if flag != NandReadFlag::PageOnly => {
                return Err(DeviceError::Unsupported(
                    "eMMC has no spare areas: read it without --with-spare".into(),
                ));
            }
            Medium::Emmc(_) => host::readback(target.addr, target.len),
            Medium::Nand(g) => {
                check_aligned(target, "read", u64::from(g.page_size), "page", true)?;
                host::nand_readback(target.addr, target.len, flag)
            }
        };
        self.stage(Stage::Read);
        self.select(Stage::Read, medium)?;
        let summary = self.transfer(Stage::Read, OpKind::Read, target, ex, None, Some(sink))?;
        if summary.checksum_mismatches > 0 {
            tracing::warn!(
                mismatches = summary.checksum_mismatches,
                "readback packets whose checksum differed (decision D1: not fatal)"
            );
        }
        Ok(summary.bytes)
    }

    /// Writes `target.len` bytes from `source` to `target` (0x62, §5.8). The phone stores
    /// whole units: eMMC pads the last 512-byte sector with zeros (D11), NAND the last page
    /// with 0xFF (N4), so the padded length must fit the target's region; on NAND
    /// `target.addr` must start a page. Returns the bytes the phone stored (padding included).
    /// Only a target the guard built on this session, against its latest reading of the
    /// partition table, is taken (see [`guard`]); its override, if any, goes into the
    /// transcript first. A write the guard left to be judged by its bytes (one over the
    /// partition table) is read from `source` first and judged before anything is sent.
    pub fn write(
        &mut self,
        guarded: &GuardedWrite,
        source: &mut dyn Read,
    ) -> Result<u64, DeviceError> {
        self.admit(guarded.reading(), guarded.forced(), "write")?;
        let mut judged;
        let source: &mut dyn Read = if guarded.judged_by_bytes() {
            judged = guard::judge_bytes(self.guard_facts()?, guarded, source)?;
            &mut judged
        } else {
            source
        };
        let target = guarded.target();
        let medium = self.medium(target.region)?;
        let (unit, ex) = match medium {
            Medium::Emmc(part) => (da::SECTOR, host::write(part, target.addr, target.len)),
            Medium::Nand(g) => {
                let page = u64::from(g.page_size);
                check_aligned(target, "write", page, "page", false)?;
                let ex = host::nand_write(target.addr, target.len, u32::from(g.page_size));
                (page, ex)
            }
        };
        let stored = target.len.div_ceil(unit) * unit;
        self.check_range(&Target {
            len: stored,
            ..target.clone()
        })?;
        self.stage(Stage::Write);
        self.wrote = true;
        self.transfer(Stage::Write, OpKind::Write, target, ex, Some(source), None)?;
        Ok(stored)
    }

    /// Erases `target` (0xD4 format, §5.8); erased eMMC reads back 0x00, erased NAND 0xFF.
    /// On NAND `target` must be whole blocks (decision N5); anything else is refused before
    /// the phone is asked, with the nearest whole-block ranges in the advice. Only a target
    /// the guard built on this session, against its latest reading of the partition table,
    /// is taken; its override, if any, goes into the transcript first.
    pub fn erase(&mut self, guarded: &GuardedErase) -> Result<(), DeviceError> {
        self.admit(guarded.reading(), guarded.forced(), "erase")?;
        let target = guarded.target();
        self.check_range(target)?;
        let medium = self.medium(target.region)?;
        let ex = match medium {
            Medium::Emmc(_) => host::format(target.addr, target.len),
            Medium::Nand(g) => {
                check_aligned(target, "erase", g.block_size(), "block", true)?;
                host::nand_format(target.addr, target.len)
            }
        };
        self.stage(Stage::Erase);
        self.select(Stage::Erase, medium)?;
        self.wrote = true;
        self.transfer(Stage::Erase, OpKind::Erase, target, ex, None, None)
    }

    /// Reads a small range (table sectors) into memory, without transfer events.
    fn read_small(&mut self, region: Region, addr: u64, len: u64) -> Result<Vec<u8>, DeviceError> {
        let stage = Stage::PartitionTable;
        let medium = self.medium(region)?;
        self.select(stage, medium)?;
        let mut out = Vec::new();
        let mut payload = Payload {
            sink: Some(&mut out),
            cancel: self.cancel.as_ref(),
            ..Payload::default()
        };
        let got = run_exchange_with(&mut self.t, &mut host::readback(addr, len), &mut payload);
        got.map_err(|e| self.failed(stage, e))?;
        Ok(out)
    }

    /// The phone's partition map (§7.3): on eMMC, the DA's PMT when the user area starts with
    /// `EMMC_BOOT`, else the MBR/EBR named from a matching board profile in `registry`; on
    /// NAND, which has no MBR, always the DA's PMT. See [`table`].
    /// The session keeps the map: writes and erases are guarded against it.
    pub fn partition_table(&mut self, registry: &Registry) -> Result<PartitionMap, DeviceError> {
        self.partition_table_named(registry, None)
    }

    /// [`Session::partition_table`] read again after a write that defines the layout (MBR,
    /// EBR), with `written` (the layout those images came from) tried first to name an
    /// MBR/EBR table. Every target guarded against an earlier reading is refused from now on:
    /// it was checked against a table the phone no longer has.
    pub fn partition_table_named(
        &mut self,
        registry: &Registry,
        written: Option<&table::Naming>,
    ) -> Result<PartitionMap, DeviceError> {
        // A reading that fails leaves no table to guard against, rather than the old one.
        self.map = None;
        let (map, table) = self.read_table(registry, written)?;
        self.map = Some((Reading::next(), map.clone(), table));
        Ok(map)
    }

    /// The map, and on eMMC what it was read from.
    fn read_table(
        &mut self,
        registry: &Registry,
        written: Option<&table::Naming>,
    ) -> Result<(PartitionMap, Option<TableReading>), DeviceError> {
        let da = self.need_da()?.clone();
        let boot1 = da.region_size(Region::EmmcBoot1);
        self.stage(Stage::PartitionTable);
        if da.storage == StorageKind::Nand {
            return Ok((self.read_pmt(0, da.user_size)?, None));
        }
        let probe_len = table::PROBE_LEN.min(da.user_size);
        let first = self.read_small(Region::EmmcUser, 0, probe_len)?;
        let namings = table::namings(written, registry);
        let mut reading = TableReading::new(first, namings, boot1, da.user_size);
        if reading.probe() == Probe::Pmt {
            reading = reading.with_pmt(self.read_pmt(boot1, da.user_size)?);
        } else if let Some(at) = reading.ebr_at() {
            let bytes = self.read_small(Region::EmmcUser, at, table::EBR_LEN)?;
            reading = reading.with_ebr(at, bytes);
        }
        Ok((reading.map(), Some(reading)))
    }

    /// 0xA5: the DA's own partition table.
    fn read_pmt(&mut self, boot1: u64, user_size: u64) -> Result<PartitionMap, DeviceError> {
        let raw = self.run(Stage::PartitionTable, host::read_pmt())?;
        let entries = da::parse_pmt(&raw).at(Stage::PartitionTable)?;
        Ok(table::from_pmt(&entries, boot1, user_size))
    }
}
