//! The device core driven by the protocol's own host-side exchanges, back to back in memory,
//! plus raw-byte checks where the exact wire matters.

use std::collections::VecDeque;

use super::*;
use crate::{
    firmware::preloader,
    profile::Registry,
    protocol::{
        BromStatus, Exchange, ProtocolError, Step,
        brom::{self, DaUploaded},
        da::{
            self, Da1Report, Da2Report, DaConfig, EmmcPart, NandReadFlag, PmtEntry,
            STORAGE_EMMC_62, STORAGE_NAND_62, STORAGE_NAND_D6, StorageKind as DaStorage, parse_pmt,
        },
        decisions::{
            SIM_BROM_VERSION, SIM_DA_VERSION, SIM_NAND_FLASH_ID, SIM_NAND_IDS,
            STATUS_DATA_CHECKSUM, STATUS_EMMC_FLASH_NOT_FOUND, STATUS_EXT_RAM,
            STATUS_INVALID_BEGIN_ADDR, STATUS_INVALID_RANGE, STATUS_UNSUPPORTED_OPERATION,
        },
        handshake::HostHandshake,
        mt6572,
    },
    sim::{
        boot::{self, PreloaderDamage},
        fault::GARBAGE,
        storage::MemStorage,
    },
};

const DA1: [u8; 0x321] = [0x11; 0x321];
const DA2: [u8; 0x2345] = [0x22; 0x2345];

/// Why a host exchange stopped.
#[derive(Debug, PartialEq)]
enum Fail {
    /// The phone said no (or something wrong).
    Protocol(ProtocolError),
    /// The phone did not send the bytes the host waited for.
    Silent(&'static str),
}

impl From<ProtocolError> for Fail {
    fn from(e: ProtocolError) -> Self {
        Fail::Protocol(e)
    }
}

/// A host talking to the device core without a port.
struct Host {
    dev: Device,
    inbox: VecDeque<u8>,
    last: Reply,
    /// Give the phone its [`Peer::idle`] after every reply, as the port loop does while a
    /// long reply drains.
    idle: bool,
}

fn phone_with(profile: &str, kind: StorageKind, mode: Mode, faults: &[&str]) -> Host {
    built(profile, kind, mode, faults, None)
}

fn built(
    profile: &str,
    kind: StorageKind,
    mode: Mode,
    faults: &[&str],
    damage: Option<PreloaderDamage>,
) -> Host {
    let profile = Registry::builtin().get(profile).unwrap().profile.clone();
    let layout = Layout::from_profile(&profile, kind).unwrap();
    let mut storage = MemStorage::new(layout.geometry.clone());
    let identity = Identity::from_serial("SIM0001");
    layout.populate(&mut storage, &identity).unwrap();
    if let Some(how) = damage {
        boot::damage(&mut storage, &layout, how).unwrap();
    }
    let config = DeviceConfig {
        mode,
        identity,
        faults: FaultPlan::parse(faults).unwrap().locate(&layout).unwrap(),
        layout,
    };
    Host {
        dev: Device::new(config, Box::new(storage)),
        inbox: VecDeque::new(),
        last: Reply::default(),
        idle: false,
    }
}

fn phone(faults: &[&str]) -> Host {
    phone_with("a516_row", StorageKind::Emmc, Mode::Brom, faults)
}

impl Host {
    /// Sends raw bytes; returns exactly what the phone answered to them.
    fn raw(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.last = self.dev.feed(bytes);
        self.last.bytes.clone()
    }

    fn send(&mut self, bytes: &[u8]) {
        let reply = self.dev.feed(bytes);
        self.inbox.extend(&reply.bytes);
        self.last = reply;
        if self.idle {
            self.dev.idle();
        }
    }

    fn run<E: Exchange>(&mut self, ex: E) -> Result<E::Output, Fail> {
        self.run_data(ex, &[], &mut Vec::new())
    }

    /// Runs `ex`, taking SendData from `source` and putting RecvData into `sink`.
    fn run_data<E: Exchange>(
        &mut self,
        mut ex: E,
        source: &[u8],
        sink: &mut Vec<u8>,
    ) -> Result<E::Output, Fail> {
        let mut taken = 0;
        loop {
            match ex.poll()? {
                Step::Send(bytes) => self.send(&bytes),
                Step::Recv { len, what, .. } => {
                    if self.inbox.len() < len {
                        if ex.on_timeout() {
                            continue;
                        }
                        return Err(Fail::Silent(what));
                    }
                    let bytes: Vec<u8> = self.inbox.drain(..len).collect();
                    ex.feed(&bytes)?;
                }
                Step::RecvData { len, .. } => {
                    if self.inbox.len() < len {
                        return Err(Fail::Silent("storage data"));
                    }
                    let bytes: Vec<u8> = self.inbox.drain(..len).collect();
                    ex.feed(&bytes)?;
                    sink.extend_from_slice(&bytes);
                }
                Step::SendData { len } => {
                    let chunk = &source[taken..taken + len];
                    taken += len;
                    ex.data_sent(chunk)?;
                    self.send(chunk);
                }
                Step::Discard => self.inbox.clear(),
                Step::Done(v) => return Ok(v),
            }
        }
    }

    fn connect(&mut self) {
        self.run(HostHandshake::new()).unwrap();
    }

    fn upload_da1(&mut self) -> Result<DaUploaded, Fail> {
        self.run(brom::send_da(mt6572::DA1_LOAD_ADDR, 0x100, &DA1))
    }

    /// Handshake, DA1 upload and jump, DA1 sync and config, DA2 upload.
    fn boot_da2(&mut self) -> (da::host::Da1Info, Da2Report) {
        self.connect();
        self.upload_da1().unwrap();
        self.run(brom::jump_da(mt6572::DA1_LOAD_ADDR)).unwrap();
        let da1 = self.run(da::da_sync()).unwrap();
        let config = DaConfig::mt6572(SIM_BROM_VERSION, 0xFE, da1.report.storage());
        self.run(da::dram_result(&config)).unwrap();
        let report = self
            .run(da::upload_da2(mt6572::DA2_LOAD_ADDR, &DA2))
            .unwrap();
        (da1, report)
    }

    fn read(&mut self, part: EmmcPart, addr: u64, len: u64) -> Result<Vec<u8>, Fail> {
        self.run(da::usb_check())?;
        self.run(da::switch_part(part))?;
        let mut data = Vec::new();
        self.run_data(da::readback(addr, len), &[], &mut data)?;
        Ok(data)
    }
}

fn status_of(fail: Fail) -> u32 {
    match fail {
        Fail::Protocol(ProtocolError::Brom { status, .. }) => u32::from(status.code()),
        Fail::Protocol(ProtocolError::Da { status, .. }) => status.code(),
        other => panic!("not a status: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// BROM / preloader

#[test]
fn handshake_answers_complements_and_tolerates_leading_a0() {
    let mut h = phone(&[]);
    assert_eq!(h.raw(&[0xA0, 0xA0, 0x0A]), [0x5F, 0x5F, 0xF5]);
    assert_eq!(h.raw(&[0x50, 0x05]), [0xAF, 0xFA]);
    // Now in command mode: FD is echoed and answered.
    assert_eq!(h.raw(&[0xFD]), [0xFD, 0x65, 0x72, 0x00, 0x00]);
}

#[test]
fn brom_reports_the_mt6572_identity_byte_for_byte() {
    let mut h = phone(&[]);
    h.connect();
    assert_eq!(h.raw(&[0xFC]), [0xFC, 0x8A, 0x00, 0xCA, 0x00, 0, 0, 0, 0]);
    assert_eq!(h.raw(&[0xFE]), [0xFE]);
    assert_eq!(h.raw(&[0xFF]), [SIM_BROM_VERSION]);
    assert_eq!(h.raw(&[0xD8]), [0xD8, 0, 0, 0, 0, 0, 0]);
    let me = h.run(brom::get_me_id()).unwrap();
    assert_eq!(me.id, Identity::from_serial("SIM0001").me_id);
    assert_eq!(me.status, 0);
}

#[test]
fn preloader_answers_its_version_and_has_no_me_id() {
    let mut h = phone_with("a516_row", StorageKind::Emmc, Mode::Preloader, &[]);
    h.connect();
    let bl = h.run(brom::get_bl_ver()).unwrap();
    assert_eq!(bl, PRELOADER_BL_VERSION);
    assert!(!brom::is_brom_answer(bl));
    assert_eq!(h.run(brom::get_brom_ver()).unwrap(), 0xFF);
    // E1 is echoed, then an empty ID with PL_MODE_UNSUPPORTED (little-endian).
    assert_eq!(h.raw(&[0xE1]), [0xE1, 0, 0, 0, 0, 0x11, 0x27]);
    // The DA upload works the same.
    h.upload_da1().unwrap();
    h.run(brom::jump_da(mt6572::DA1_LOAD_ADDR)).unwrap();
    assert!(h.dev.in_da());
}

#[test]
fn watchdog_write_is_acked_and_reads_back() {
    let mut h = phone(&[]);
    h.connect();
    let wire = h.raw(&[0xD4, 0x10, 0x00, 0x70, 0x00, 0, 0, 0, 1]);
    assert_eq!(wire, [0xD4, 0x10, 0x00, 0x70, 0x00, 0, 0, 0, 1, 0x00, 0x01]);
    assert_eq!(h.raw(&[0x22, 0, 0, 0x64]), [0x22, 0, 0, 0x64, 0x00, 0x01]);
    let words = h.run(brom::read32(mt6572::WDT_MODE_ADDR, 2)).unwrap();
    assert_eq!(words, [mt6572::WDT_DISABLE_VALUE, 0]);
    h.run(brom::disable_watchdog()).unwrap();
    let err = h.run(brom::write32(0x1000_7001, &[1])).unwrap_err();
    assert_eq!(status_of(err), u32::from(BromStatus::InvalidAddress.code()));
    // A read past the end of the address space: both status words, no data.
    let mut q = vec![0xD1, 0xFF, 0xFF, 0xFF, 0xF0];
    q.extend_from_slice(&8u32.to_be_bytes());
    let mut want = q.clone();
    want.extend_from_slice(&[0x1D, 0x02, 0x1D, 0x02]);
    assert_eq!(h.raw(&q), want);
}

#[test]
fn send_da_refuses_bad_headers_with_the_brom_status() {
    let mut h = phone(&[]);
    h.connect();
    let too_long = vec![0u8; MAX_DA_LEN as usize + 2];
    let cases: [(u32, u32, &[u8], BromStatus); 4] = [
        (mt6572::DA1_LOAD_ADDR, 0, &[], BromStatus::DaLenIsZero),
        (
            mt6572::DA1_LOAD_ADDR,
            0x400,
            &DA1,
            BromStatus::DaSigLenExceedDaLen,
        ),
        (0x0200_7001, 0, &DA1, BromStatus::DaAddrNotAligned),
        (
            mt6572::DA1_LOAD_ADDR,
            0,
            &too_long,
            BromStatus::DaInvalidLength,
        ),
    ];
    for (addr, sig, payload, want) in cases {
        let err = h.run(brom::send_da(addr, sig, payload)).unwrap_err();
        assert_eq!(status_of(err), u32::from(want.code()), "{want:?}");
    }
    // The phone is still in sync and takes a good DA.
    let up = h.upload_da1().unwrap();
    assert_eq!(up.phone_checksum, up.checksum);
}

#[test]
fn jump_da_refuses_without_a_da_or_at_another_address() {
    let mut h = phone(&[]);
    h.connect();
    let err = h.run(brom::jump_da(mt6572::DA1_LOAD_ADDR)).unwrap_err();
    assert_eq!(status_of(err), u32::from(BromStatus::DaNotExist.code()));
    h.upload_da1().unwrap();
    let err = h.run(brom::jump_da(0x0200_8000)).unwrap_err();
    assert_eq!(
        status_of(err),
        u32::from(BromStatus::DaInvalidJumpAddr.code())
    );
    assert!(!h.dev.in_da());
    h.run(brom::jump_da(mt6572::DA1_LOAD_ADDR)).unwrap();
    assert!(h.dev.in_da());
}

#[test]
fn unknown_brom_bytes_get_no_reply() {
    let mut h = phone(&[]);
    h.connect();
    // 72 and 60 are DA commands; the BROM drops them and stays in sync.
    assert_eq!(h.raw(&[0x72, 0x60]), Vec::<u8>::new());
    assert_eq!(h.run(brom::get_hw_code()).unwrap().hw_code, 0x6572);
}

// ---------------------------------------------------------------------------------------------
// DA

#[test]
fn da_reports_describe_the_emmc_phone() {
    let mut h = phone(&[]);
    let (da1, report) = h.boot_da2();
    let id = Identity::from_serial("SIM0001");
    assert_eq!(da1.report.storage(), DaStorage::Emmc);
    assert_eq!(da1.report.emmc_cid, id.cid);
    assert_eq!(da1.report.nand_ret, DaStatus::NandFlashNotFound.code());
    assert_eq!(da1.da_version, SIM_DA_VERSION);
    assert_eq!(report.emmc.boot1_size, 0x60_0000);
    assert_eq!(report.emmc.ua_size, 0xE900_0000);
    assert_eq!(report.emmc.cid, id.cid);
    assert_eq!(
        report.storage(DaStorage::Emmc),
        (DaStorage::Emmc, 0xE900_0000)
    );
    assert_eq!(
        report.ram.ext_ram_size,
        crate::sim::layout::DEFAULT_RAM_SIZE
    );
    assert_eq!(h.run(da::usb_check()).unwrap().speed, 1);
}

#[test]
fn boot1_readback_shows_the_project_and_user_area_starts_with_the_mbr() {
    let mut h = phone(&[]);
    h.boot_da2();
    let boot1 = h.read(EmmcPart::Boot1, 0, 0x2_0000).unwrap();
    let info = preloader::scan(&boot1[..]).unwrap();
    assert_eq!(info.project.as_deref(), Some("a516_row"));
    assert_eq!(info.emi_version, Some(11));
    let mbr = h.read(EmmcPart::User, 0, 0x400).unwrap();
    assert_eq!(&mbr[0x1FE..0x200], &[0x55, 0xAA]);
}

#[test]
fn multi_packet_readback_is_whole_and_checksummed() {
    let mut h = phone(&[]);
    h.boot_da2();
    h.run(da::switch_part(EmmcPart::User)).unwrap();
    let mut data = Vec::new();
    // NVRAM is 5 MiB: five full packets and its pattern is non-trivial.
    let summary = h
        .run_data(da::readback(0x40_0000, 0x50_0000), &[], &mut data)
        .unwrap();
    assert_eq!(summary.bytes, 0x50_0000);
    assert_eq!(summary.checksum_mismatches, 0);
    let id = Identity::from_serial("SIM0001");
    assert_eq!(
        &data[..crate::sim::identity::NVRAM_PATTERN_END],
        &id.nvram_content("NVRAM").unwrap()[..]
    );
}

#[test]
fn packets_read_ahead_while_the_last_drains_are_the_flash_as_it_is_when_asked() {
    let mut plain = phone(&[]);
    plain.boot_da2();
    let want = plain.read(EmmcPart::User, 0x40_0000, 0x28_0123).unwrap();
    let mut h = phone(&[]);
    h.boot_da2();
    h.idle = true;
    // Three packets, the last short: the second and third are read ahead.
    assert_eq!(h.read(EmmcPart::User, 0x40_0000, 0x28_0123).unwrap(), want);
    assert!(h.dev.brain.read_ahead.is_none(), "nothing left over");
    // The answer to a readback header is its first packet, and the second is read ahead
    // while it drains; an unplug (the host left mid-read) throws that away, and a write
    // before the next readback is seen by it.
    h.run(da::usb_check()).unwrap();
    h.run(da::switch_part(EmmcPart::User)).unwrap();
    let header = da::DaRequest::Readback(da::ReadbackRequest {
        host_os: 0x0C,
        storage: 0x02,
        addr: 0x40_0000,
        len: 0x20_0000,
        packet: 0x10_0000,
    });
    h.send(&crate::protocol::wire::Wire::to_bytes(&header));
    assert!(
        h.dev.brain.read_ahead.is_some(),
        "the second packet is read ahead"
    );
    h.dev.unplug();
    assert!(h.dev.brain.read_ahead.is_none());
    h.inbox.clear();
    h.boot_da2();
    let image = vec![0xC3; 0x10_0000 + 0x200];
    h.run(da::usb_check()).unwrap();
    h.run_data(
        da::write(EmmcPart::User, 0x40_0000, image.len() as u64),
        &image,
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(
        h.read(EmmcPart::User, 0x40_0000, image.len() as u64)
            .unwrap(),
        image
    );
}

#[test]
fn write_then_read_back_and_format() {
    let mut h = phone(&[]);
    h.boot_da2();
    let image: Vec<u8> = (0..0x12_3456u32).map(|i| (i % 251) as u8).collect();
    let at = 0x2D4_0000; // EXPDB
    h.run(da::usb_check()).unwrap();
    let written = h
        .run_data(
            da::write(EmmcPart::User, at, image.len() as u64),
            &image,
            &mut Vec::new(),
        )
        .unwrap();
    assert_eq!(written, image.len() as u64);
    let back = h.read(EmmcPart::User, at, image.len() as u64).unwrap();
    assert_eq!(back, image);
    h.run(da::usb_check()).unwrap();
    h.run(da::switch_part(EmmcPart::User)).unwrap();
    h.run(da::format(at, 0x10_0000)).unwrap();
    let back = h.read(EmmcPart::User, at, 0x10_0010).unwrap();
    assert!(back[..0x10_0000].iter().all(|&b| b == 0));
    assert_eq!(back[0x10_0000..], image[0x10_0000..0x10_0010]);
}

#[test]
fn write_to_boot1_lands_in_boot1() {
    let mut h = phone(&[]);
    h.boot_da2();
    h.run_data(
        da::write(EmmcPart::Boot1, 0x1000, 4),
        b"ABCD",
        &mut Vec::new(),
    )
    .unwrap();
    let back = h.read(EmmcPart::Boot1, 0x1000, 4).unwrap();
    assert_eq!(back, b"ABCD");
    let mut buf = [0u8; 4];
    h.dev
        .storage_mut()
        .read(Region::EmmcUser, 0x1000, &mut buf)
        .unwrap();
    assert_ne!(&buf, b"ABCD");
}

#[test]
fn pmt_lists_the_profile_layout() {
    let mut h = phone(&[]);
    h.boot_da2();
    let raw = h.run(da::read_pmt()).unwrap();
    let entries: Vec<PmtEntry> = parse_pmt(&raw).unwrap();
    let profile = Registry::builtin().get("a516_row").unwrap().profile.clone();
    assert_eq!(entries.len(), profile.layout.len());
    let nvram = entries.iter().find(|e| e.name == "NVRAM").unwrap();
    assert_eq!((nvram.offset, nvram.size), (0x40_0000, 0x50_0000));
    assert_eq!(entries[0].mask_flags & 0xFF, 0xFF);
}

#[test]
fn finish_acks_then_the_phone_reboots_and_the_link_drops() {
    let mut h = phone(&[]);
    h.boot_da2();
    h.run(da::finish(0)).unwrap();
    assert!(h.last.disconnect);
    // Plugged in again: a fresh BROM, the DA is gone.
    h.inbox.clear();
    h.connect();
    let err = h.run(brom::jump_da(mt6572::DA1_LOAD_ADDR)).unwrap_err();
    assert_eq!(status_of(err), u32::from(BromStatus::DaNotExist.code()));
}

#[test]
fn da_refuses_out_of_range_and_foreign_requests_with_real_statuses() {
    let mut h = phone(&[]);
    h.boot_da2();
    let err = h
        .read(EmmcPart::User, 0xE900_0000 - 0x100, 0x200)
        .unwrap_err();
    assert_eq!(
        status_of(err),
        3039,
        "S_DA_INVALID_RANGE (mtkclient numbering)"
    );
    // RPMB and GP partitions do not exist on the simulated eMMC: A5.
    let err = h.run(da::switch_part(EmmcPart::Rpmb)).unwrap_err();
    assert!(matches!(
        err,
        Fail::Protocol(ProtocolError::Unexpected { .. })
    ));
    // A write beyond the user area is refused with A5.
    let err = h
        .run_data(
            da::write(EmmcPart::User, 0xE900_0000, 512),
            &[0; 512],
            &mut Vec::new(),
        )
        .unwrap_err();
    assert!(matches!(err, Fail::Protocol(_)), "{err:?}");
    // A NAND readback on an eMMC phone: A5, then S_DA_NAND_FLASH_NOT_FOUND little-endian.
    let mut q = vec![0xD6, 0x0C, STORAGE_NAND_D6];
    q.extend_from_slice(&0u64.to_be_bytes());
    q.extend_from_slice(&512u64.to_be_bytes());
    q.extend_from_slice(&0x10_0000u32.to_be_bytes());
    assert_eq!(h.raw(&q), [0xA5]);
    assert_eq!(h.raw(&[0xA5]), 3012u32.to_le_bytes());
    // The host's NAND machine meets the same refusal.
    let err = h
        .run_data(
            da::nand_readback(0, 0x800, NandReadFlag::PageOnly),
            &[],
            &mut Vec::new(),
        )
        .unwrap_err();
    assert_eq!(status_of(err), DaStatus::NandFlashNotFound.code());
    // Unknown DA commands are answered BB and the DA stays usable.
    assert_eq!(h.raw(&[0x99]), [0xBB]);
    assert_eq!(h.run(da::usb_check()).unwrap().speed, 1);
}

#[test]
fn an_emmc_format_beyond_the_partition_is_refused_not_clipped() {
    let mut h = phone(&[]);
    h.boot_da2();
    let last = 0xE900_0000u64 - 0x200;
    h.run_data(
        da::write(EmmcPart::User, last, 0x200),
        &[7; 0x200],
        &mut Vec::new(),
    )
    .unwrap();
    h.run(da::switch_part(EmmcPart::User)).unwrap();
    let err = h.run(da::format(last, 0x400)).unwrap_err();
    assert_eq!(status_of(err), STATUS_INVALID_RANGE);
    assert_eq!(h.read(EmmcPart::User, last, 0x200).unwrap(), [7; 0x200]);
    // BOOT1 is 6 MiB: a format of 8 MiB there is refused too.
    h.run(da::switch_part(EmmcPart::Boot1)).unwrap();
    let err = h.run(da::format(0, 0x80_0000)).unwrap_err();
    assert_eq!(status_of(err), STATUS_INVALID_RANGE);
    // A format of the whole last sector is fine.
    h.run(da::switch_part(EmmcPart::User)).unwrap();
    h.run(da::format(last, 0x200)).unwrap();
    assert_eq!(h.read(EmmcPart::User, last, 0x200).unwrap(), [0; 0x200]);
}

#[test]
fn an_emmc_format_on_a_nand_phone_is_refused_with_emmc_not_found() {
    let mut h = nand_phone(&[]);
    h.boot_da2();
    let err = h.run(da::format(0, 0x200)).unwrap_err();
    assert_eq!(status_of(err), STATUS_EMMC_FLASH_NOT_FOUND);
    assert_eq!(h.run(da::usb_check()).unwrap().speed, 1);
}

#[test]
fn a_bad_checksum_from_the_host_is_refused_and_nothing_is_written() {
    let mut h = phone(&[]);
    h.boot_da2();
    let at = 0x2D4_0000u64;
    let mut q = vec![0x62, STORAGE_EMMC_62, 8];
    q.extend_from_slice(&at.to_be_bytes());
    q.extend_from_slice(&512u64.to_be_bytes());
    q.extend_from_slice(&0x10_0000u32.to_be_bytes());
    assert_eq!(h.raw(&q), [0x5A]);
    let mut packet = vec![0x5A];
    packet.extend_from_slice(&[0x77; 512]);
    packet.extend_from_slice(&0x1234u16.to_be_bytes());
    assert_eq!(h.raw(&packet), [0xA5]);
    let mut buf = [0u8; 4];
    h.dev
        .storage_mut()
        .read(Region::EmmcUser, at, &mut buf)
        .unwrap();
    assert_eq!(buf, [0; 4]);
}

#[test]
fn commands_before_da2_are_read_as_the_config_block() {
    let mut h = phone(&[]);
    h.connect();
    h.upload_da1().unwrap();
    h.run(brom::jump_da(mt6572::DA1_LOAD_ADDR)).unwrap();
    h.run(da::da_sync()).unwrap();
    // A readback header where DA1 waits for its 18-byte config: DA1 takes it as the config
    // and answers the DRAM result, never data.
    let mut q = vec![0xD6, 0x0C, 0x02];
    q.extend_from_slice(&[0; 15]);
    assert_eq!(h.raw(&q), [0, 0, 0, 0]);
}

#[test]
fn broken_framing_silences_the_da_until_unplugged() {
    let mut h = phone(&[]);
    h.connect();
    h.upload_da1().unwrap();
    h.run(brom::jump_da(mt6572::DA1_LOAD_ADDR)).unwrap();
    h.run(da::da_sync()).unwrap();
    let config = DaConfig::mt6572(SIM_BROM_VERSION, 0xFE, DaStorage::Emmc);
    h.run(da::dram_result(&config)).unwrap();
    // A DA2 header with packet size 0 cannot be framed.
    let mut header = mt6572::DA2_LOAD_ADDR.to_be_bytes().to_vec();
    header.extend_from_slice(&16u32.to_be_bytes());
    header.extend_from_slice(&0u32.to_be_bytes());
    assert!(h.raw(&header).is_empty());
    assert!(h.raw(&[0x72, 0x72]).is_empty());
    h.dev.unplug();
    h.connect();
    assert_eq!(h.run(brom::get_hw_code()).unwrap().hw_code, 0x6572);
}

#[test]
fn unplug_returns_to_the_handshake() {
    let mut h = phone(&[]);
    h.boot_da2();
    h.dev.unplug();
    // FD is not a handshake byte: it is answered with its complement only.
    assert_eq!(h.raw(&[0xFD]), [0x02]);
    h.connect();
    assert_eq!(h.raw(&[0xFE]), [0xFE]);
}

// ---------------------------------------------------------------------------------------------
// NAND

fn nand_phone(faults: &[&str]) -> Host {
    phone_with("ref_nand_2k", StorageKind::Nand, Mode::Brom, faults)
}

/// EXPDB on the ref_nand_2k phone: block aligned.
const NAND_EXPDB: u64 = 0x142_0000;

impl Host {
    fn nand_read(&mut self, addr: u64, len: u64, flag: NandReadFlag) -> Result<Vec<u8>, Fail> {
        let mut data = Vec::new();
        self.run_data(da::nand_readback(addr, len, flag), &[], &mut data)?;
        Ok(data)
    }

    fn flash(&mut self, addr: u64, len: usize) -> Vec<u8> {
        let mut buf = vec![0u8; len];
        self.dev
            .storage_mut()
            .read(Region::Nand, addr, &mut buf)
            .unwrap();
        buf
    }
}

#[test]
fn nand_phone_reports_the_decided_chip_with_the_profiles_geometry() {
    let mut h = nand_phone(&[]);
    let (da1, report) = h.boot_da2();
    assert_eq!(da1.report, Da1Report::nand(&SIM_NAND_IDS));
    assert_eq!(da1.report.storage(), DaStorage::Nand);
    let facts = report.nand_facts(&da1.report).unwrap();
    assert_eq!(
        facts.geometry,
        NandGeometry {
            page_size: 2048,
            spare_size: 64,
            pages_per_block: 64,
            flash_size: 1 << 30,
        }
    );
    assert_eq!(facts.flash_id, SIM_NAND_FLASH_ID);
    assert_eq!(report.nand.ids, SIM_NAND_IDS);
    assert_eq!(report.storage(DaStorage::Nand), (DaStorage::Nand, 1 << 30));
    assert_eq!(report.emmc.ret, STATUS_EMMC_FLASH_NOT_FOUND);
}

#[test]
fn nand_readback_serves_the_image_page_by_page_with_erased_spares() {
    let mut h = nand_phone(&[]);
    h.boot_da2();
    h.run(da::usb_check()).unwrap();
    // The preloader sits at NAND offset 0.
    let pl = h.nand_read(0, 0x2_0000, NandReadFlag::PageOnly).unwrap();
    let info = preloader::scan(&pl[..]).unwrap();
    assert_eq!(info.project.as_deref(), Some("ref_nand_2k"));
    assert_eq!(pl, h.flash(0, 0x2_0000));
    // Page data then 64 spare bytes of 0xFF, page after page.
    let with_spare = h.nand_read(0x800, 0x1800, NandReadFlag::PageSpare).unwrap();
    assert_eq!(with_spare.len(), 3 * 0x840);
    for (i, unit) in with_spare.chunks(0x840).enumerate() {
        let at = 0x800 * (i as u64 + 1);
        assert_eq!(unit[..0x800], h.flash(at, 0x800)[..], "page {i}");
        assert!(unit[0x800..].iter().all(|&b| b == 0xFF), "spare {i}");
    }
    let spares = h.nand_read(0, 0x1000, NandReadFlag::SpareOnly).unwrap();
    assert_eq!(spares, [0xFF; 0x80]);
}

#[test]
fn nand_write_read_back_and_block_erase() {
    let mut h = nand_phone(&[]);
    h.boot_da2();
    let image: Vec<u8> = (0..3000u32).map(|i| (i % 241) as u8).collect();
    let written = h
        .run_data(
            da::nand_write(NAND_EXPDB, image.len() as u64, 2048),
            &image,
            &mut Vec::new(),
        )
        .unwrap();
    assert_eq!(written, image.len() as u64);
    let back = h
        .nand_read(NAND_EXPDB, 0x1000, NandReadFlag::PageOnly)
        .unwrap();
    assert_eq!(back[..3000], image[..]);
    assert!(back[3000..].iter().all(|&b| b == 0xFF), "0xFF padding");
    // One block erased: it reads 0xFF, the next block is untouched.
    let next = h.flash(NAND_EXPDB + 0x2_0000, 0x800);
    h.run(da::nand_format(NAND_EXPDB, 0x2_0000)).unwrap();
    let erased = h
        .nand_read(NAND_EXPDB, 0x2_0000, NandReadFlag::PageOnly)
        .unwrap();
    assert!(erased.iter().all(|&b| b == 0xFF));
    assert_eq!(h.flash(NAND_EXPDB + 0x2_0000, 0x800), next);
}

#[test]
fn nand_refusals_carry_their_status() {
    let mut h = nand_phone(&[]);
    h.boot_da2();
    let before = h.flash(NAND_EXPDB, 0x1000);
    let page = [0x55; 0x800];
    let mut sink = Vec::new();
    let misaligned = h.run_data(
        da::nand_write(NAND_EXPDB + 0x200, 0x800, 2048),
        &page,
        &mut sink,
    );
    assert_eq!(
        status_of(misaligned.unwrap_err()),
        STATUS_INVALID_BEGIN_ADDR
    );
    let half_block = h.run(da::nand_format(NAND_EXPDB, 0x800)).unwrap_err();
    assert_eq!(status_of(half_block), STATUS_INVALID_RANGE);
    let past_end = h
        .nand_read(1 << 30, 0x800, NandReadFlag::PageOnly)
        .unwrap_err();
    assert_eq!(status_of(past_end), STATUS_INVALID_RANGE);
    // 0xD6 is eMMC only (decision D5): for the NAND storage byte, unsupported; for eMMC's,
    // no eMMC.
    let mut q = vec![0xD6, 0x0C, STORAGE_NAND_D6];
    q.extend_from_slice(&0u64.to_be_bytes());
    q.extend_from_slice(&0x800u64.to_be_bytes());
    q.extend_from_slice(&0x10_0000u32.to_be_bytes());
    assert_eq!(h.raw(&q), [0xA5]);
    assert_eq!(h.raw(&[0xA5]), STATUS_UNSUPPORTED_OPERATION.to_le_bytes());
    let err = h
        .run_data(da::readback(0, 0x200), &[], &mut Vec::new())
        .unwrap_err();
    assert_eq!(status_of(err), STATUS_EMMC_FLASH_NOT_FOUND);
    // A packet whose checksum does not match: A5 and S_DA_UART_DATA_CKSUM_ERROR.
    let mut q = vec![0x62, STORAGE_NAND_62, 0];
    q.extend_from_slice(&NAND_EXPDB.to_be_bytes());
    q.extend_from_slice(&0x800u64.to_be_bytes());
    q.extend_from_slice(&0x10_0000u32.to_be_bytes());
    assert_eq!(h.raw(&q), [0x5A]);
    let mut packet = vec![0x5A];
    packet.extend_from_slice(&page);
    packet.extend_from_slice(&0x1234u16.to_be_bytes());
    let mut want = vec![0xA5];
    want.extend_from_slice(&STATUS_DATA_CHECKSUM.to_be_bytes());
    assert_eq!(h.raw(&packet), want);
    assert_eq!(h.flash(NAND_EXPDB, 0x1000), before, "nothing was written");
    assert_eq!(h.run(da::usb_check()).unwrap().speed, 1);
}

// ---------------------------------------------------------------------------------------------
// Faults

#[test]
fn nack_send_da_answers_sla_required() {
    let mut h = phone(&["nack=SEND_DA"]);
    h.connect();
    let err = h.upload_da1().unwrap_err();
    assert_eq!(status_of(err), u32::from(BromStatus::SlaRequired.code()));
}

#[test]
fn nack_jump_da_and_write32_answer_their_errors() {
    let mut h = phone(&["nack=JUMP_DA", "nack=WRITE32"]);
    h.connect();
    let err = h.run(brom::disable_watchdog()).unwrap_err();
    assert_eq!(status_of(err), u32::from(BromStatus::InvalidAddress.code()));
    h.upload_da1().unwrap();
    let err = h.run(brom::jump_da(mt6572::DA1_LOAD_ADDR)).unwrap_err();
    assert_eq!(
        status_of(err),
        u32::from(BromStatus::DaInvalidJumpAddr.code())
    );
}

#[test]
fn nack_readback_write_and_switch_part_are_refused_by_the_da() {
    let mut h = phone(&["nack=READBACK", "nack=0x62", "nack=SWITCH_PART"]);
    h.boot_da2();
    let err = h.run(da::switch_part(EmmcPart::User)).unwrap_err();
    assert!(matches!(
        err,
        Fail::Protocol(ProtocolError::Unexpected { .. })
    ));
    let mut sink = Vec::new();
    let err = h
        .run_data(da::readback(0, 512), &[], &mut sink)
        .unwrap_err();
    assert_eq!(status_of(err), DaStatus::Timeout.code());
    let err = h
        .run_data(
            da::write(EmmcPart::User, 0x2D4_0000, 512),
            &[1; 512],
            &mut sink,
        )
        .unwrap_err();
    assert!(matches!(err, Fail::Protocol(_)));
    // Other commands still work.
    assert_eq!(h.run(da::usb_check()).unwrap().speed, 1);
}

#[test]
fn nack_usb_check_format_pmt_and_finish_refuse_with_a_named_status() {
    let mut h = phone(&[
        "nack=USB_CHECK_STATUS",
        "nack=FORMAT",
        "nack=READ_PMT",
        "nack=FINISH",
    ]);
    h.boot_da2();
    let named = |what| {
        Fail::Protocol(ProtocolError::Da {
            what,
            status: NACK_STATUS,
        })
    };
    assert_eq!(
        h.run(da::usb_check()).unwrap_err(),
        named("USB_CHECK_STATUS")
    );
    h.run(da::switch_part(EmmcPart::User)).unwrap();
    assert_eq!(
        h.run(da::format(0x2D4_0000, 0x200)).unwrap_err(),
        named("FORMAT")
    );
    assert_eq!(h.run(da::read_pmt()).unwrap_err(), named("READ_PMT"));
    assert_eq!(h.run(da::finish(0)).unwrap_err(), named("FINISH"));
    assert!(!h.last.disconnect, "a refused FINISH does not reboot");
    // The DA still serves the commands that were not refused.
    let mbr = h.run_data(da::readback(0, 0x200), &[], &mut Vec::new());
    assert_eq!(mbr.unwrap().bytes, 0x200);
}

#[test]
fn nack_nand_readback_refuses_the_0xdf_read() {
    let mut h = nand_phone(&["nack=NAND_READBACK"]);
    h.boot_da2();
    let err = h.nand_read(0, 0x800, NandReadFlag::PageOnly).unwrap_err();
    assert_eq!(status_of(err), NACK_STATUS.code());
}

#[test]
fn nack_write_on_a_nand_phone_refuses_with_a_status() {
    let mut h = nand_phone(&["nack=WRITE"]);
    h.boot_da2();
    let err = h
        .run_data(
            da::nand_write(NAND_EXPDB, 0x800, 2048),
            &[1; 0x800],
            &mut Vec::new(),
        )
        .unwrap_err();
    assert_eq!(status_of(err), NACK_STATUS.code());
    assert_eq!(h.run(da::usb_check()).unwrap().speed, 1);
}

#[test]
fn corrupt_checksum_hits_the_da_upload_or_a_readback_packet() {
    let mut h = phone(&["corrupt-checksum=1"]);
    h.connect();
    let err = h.upload_da1().unwrap_err();
    assert!(matches!(
        err,
        Fail::Protocol(ProtocolError::Checksum { .. })
    ));
    // Only once: the retry is clean.
    h.upload_da1().unwrap();

    let mut h = phone(&["corrupt-checksum=3"]);
    h.boot_da2();
    h.run(da::switch_part(EmmcPart::User)).unwrap();
    let mut sink = Vec::new();
    let s = h
        .run_data(da::readback(0, 0x20_0000), &[], &mut sink)
        .unwrap();
    assert_eq!(
        s.checksum_mismatches, 1,
        "the second packet is the 3rd checksum"
    );
}

#[test]
fn flaky_read_makes_every_second_read_of_its_byte_differ_with_a_good_checksum() {
    let mut clean = phone(&[]);
    clean.boot_da2();
    let nvram = clean.dev.brain.config.layout.part("NVRAM").unwrap().clone();
    let want = clean.read(EmmcPart::User, nvram.offset, 0x30_0000).unwrap();

    let mut h = phone(&["flaky-read=nvram"]);
    h.boot_da2();
    // A read that does not hold the byte is never touched.
    let before = h.read(EmmcPart::User, 0, 0x1000).unwrap();
    assert_eq!(before, clean.read(EmmcPart::User, 0, 0x1000).unwrap());
    // Multi-packet reads (read ahead while the host drains): first good, second flipped at
    // the partition's first byte only, third good again; the checksums still match.
    let first = h.read(EmmcPart::User, nvram.offset, 0x30_0000).unwrap();
    assert_eq!(first, want);
    let second = h.read(EmmcPart::User, nvram.offset, 0x30_0000).unwrap();
    assert_eq!(second[0], !want[0]);
    assert_eq!(second[1..], want[1..]);
    assert_eq!(
        h.read(EmmcPart::User, nvram.offset, 0x30_0000).unwrap(),
        want
    );
    // The same offset in BOOT1 is another byte.
    let boot = h
        .read(EmmcPart::Boot1, nvram.offset % 0x1000, 0x10)
        .unwrap();
    let boot_again = h
        .read(EmmcPart::Boot1, nvram.offset % 0x1000, 0x10)
        .unwrap();
    assert_eq!(boot, boot_again);
    // By offset, inside a later packet of the read.
    let at = nvram.offset + 0x10_0003;
    let mut h = phone(&[&format!("flaky-read={at:#x}")]);
    h.boot_da2();
    assert_eq!(
        h.read(EmmcPart::User, nvram.offset, 0x30_0000).unwrap(),
        want
    );
    let second = h.read(EmmcPart::User, nvram.offset, 0x30_0000).unwrap();
    let diff: Vec<usize> = (0..want.len()).filter(|&i| second[i] != want[i]).collect();
    assert_eq!(diff, [0x10_0003]);
}

#[test]
fn disconnect_after_cuts_the_reply_and_unplugs() {
    let mut h = phone(&["disconnect-after=6"]);
    assert_eq!(h.raw(&[0xA0, 0x0A, 0x50, 0x05]), [0x5F, 0xF5, 0xAF, 0xFA]);
    assert!(!h.last.disconnect);
    assert_eq!(h.raw(&[0xFD]), [0xFD, 0x65]);
    assert!(h.last.disconnect);
    // Back at the handshake, and the fault does not fire twice.
    h.connect();
    assert_eq!(h.run(brom::get_hw_code()).unwrap().hw_code, 0x6572);
}

#[test]
fn disconnect_after_received_lands_in_the_middle_of_a_write() {
    // How many bytes a host sends up to the start of a write.
    let mut clean = phone(&[]);
    clean.boot_da2();
    clean.run(da::usb_check()).unwrap();
    let before_write = clean.dev.brain.faults.received();

    // Half way through the second 1 MiB packet.
    let cut = before_write + 0x18_0000;
    let mut h = phone(&[&format!("disconnect-after-received={cut}")]);
    h.boot_da2();
    h.run(da::usb_check()).unwrap();
    let image: Vec<u8> = (0..0x30_0000u32).map(|i| (i % 251 + 1) as u8).collect();
    let at = 0x2D4_0000; // EXPDB
    let cut_short = h.run_data(
        da::write(EmmcPart::User, at, image.len() as u64),
        &image,
        &mut Vec::new(),
    );
    assert!(cut_short.is_err(), "the write must not complete");
    // The link dropped at the cut: the phone is back in the BootROM, waiting for a handshake
    // (what the host kept sending after the cut went nowhere).
    assert!(!h.dev.in_da(), "the link drops at the cut");

    // Plugged in again: a healthy phone (the fault fires once) holding a half-written
    // partition: the packets before the cut are stored, the end is not.
    h.inbox.clear();
    h.boot_da2();
    let back = h.read(EmmcPart::User, at, image.len() as u64).unwrap();
    let stored = back.iter().zip(&image).take_while(|(a, b)| a == b).count();
    assert_eq!(stored, 0x10_0000, "only the first packet is whole");
    assert_ne!(back[image.len() - 1], image[image.len() - 1]);
}

#[test]
fn garbage_after_inserts_garbage_once() {
    let mut h = phone(&["garbage-after=5"]);
    h.connect();
    let mut want = vec![0xFD];
    want.extend_from_slice(&GARBAGE);
    want.extend_from_slice(&[0x65, 0x72, 0, 0]);
    assert_eq!(h.raw(&[0xFD]), want);
    assert_eq!(h.raw(&[0xFD]), [0xFD, 0x65, 0x72, 0, 0]);
}

#[test]
fn stall_applies_after_the_handshake_only() {
    let mut h = phone(&["stall-ms=250"]);
    h.raw(&[0xA0, 0x0A, 0x50, 0x05]);
    assert!(h.last.stall.is_zero());
    h.raw(&[0xFD]);
    assert_eq!(h.last.stall, std::time::Duration::from_millis(250));
}

#[test]
fn random_bytes_in_every_stage_never_panic() {
    // A fixed xorshift stream: the same "noise" on every run.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut noise = move |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    };
    for stage in 0..3 {
        for round in 0..20 {
            let mut h = phone(&[]);
            match stage {
                0 => {}
                1 => h.connect(),
                _ => {
                    h.boot_da2();
                }
            }
            for _ in 0..50 {
                let chunk = noise(1 + round * 7);
                let reply = h.dev.feed(&chunk);
                // No answer is larger than one readback packet and its checksum.
                assert!(reply.bytes.len() <= 0x10_0000 + 2 + 0x100);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Dead boot (decision E6)

/// A dead phone up to the DA's prompt: handshake, DA1, sync, configuration block.
fn dead_until_prompt(how: PreloaderDamage, kind: StorageKind) -> (Host, da::EmiRequest) {
    let profile = match kind {
        StorageKind::Emmc => "a516_row",
        StorageKind::Nand => "ref_nand_2k",
    };
    let mut h = built(profile, kind, Mode::Preloader, &[], Some(how));
    h.connect();
    // No preloader mode: the BROM answers FE with FE.
    assert_eq!(h.run(brom::get_bl_ver()).unwrap(), 0xFE);
    h.upload_da1().unwrap();
    h.run(brom::jump_da(mt6572::DA1_LOAD_ADDR)).unwrap();
    let da1 = h.run(da::da_sync()).unwrap();
    let config = DaConfig::mt6572(SIM_BROM_VERSION, 0xFE, da1.report.storage());
    match h.run(da::dram_result(&config)).unwrap() {
        da::DramPrompt::EmiNeeded(req) => (h, req),
        other => panic!("a dead phone's DA must ask for EMI settings, got {other:?}"),
    }
}

fn blob_of(preloader: &[u8]) -> Vec<u8> {
    crate::firmware::emi::extract(preloader).unwrap().blob
}

#[test]
fn a_dead_phone_takes_its_own_boards_emi_settings_and_goes_on() {
    for kind in [StorageKind::Emmc, StorageKind::Nand] {
        let (mut h, req) = dead_until_prompt(PreloaderDamage::Erased, kind);
        let layout = h.dev.brain.config.layout.clone();
        assert_eq!(req.flash_id, h.dev.brain.flash_id());
        let out = h
            .run(da::EmiSetup::new(11, blob_of(&layout.preloader())).unwrap())
            .unwrap();
        assert_eq!(out.ram.size, layout.ram_size);
        assert_eq!(out.ram.ram_type, da::dram::RAM_TYPE_DRAM);
        assert!(out.checksum_matches);
        assert_eq!(
            out.ram_info.map(|i| i[..9].to_vec()),
            Some(b"RAM-Info:".to_vec())
        );
        let report = h.run(da::upload_da2(mt6572::DA2_LOAD_ADDR, &DA2)).unwrap();
        assert_eq!(report.ram.ext_ram_size, layout.ram_size);
    }
}

#[test]
fn a_dead_phone_refuses_settings_that_do_not_fit() {
    let (mut h, _) = dead_until_prompt(PreloaderDamage::Foreign, StorageKind::Emmc);
    let layout = h.dev.brain.config.layout.clone();
    let foreign = blob_of(&boot::foreign_preloader(&layout));
    let e = h.run(da::EmiSetup::new(11, foreign).unwrap()).unwrap_err();
    assert_eq!(
        e,
        Fail::Protocol(ProtocolError::RamSetupFailed {
            code: STATUS_EXT_RAM,
            version: 11
        })
    );
    // Another EMI version is refused at ENABLE_DRAM.
    let (mut h, _) = dead_until_prompt(PreloaderDamage::Erased, StorageKind::Emmc);
    let own = blob_of(&layout.preloader());
    let e = h.run(da::EmiSetup::new(0x10, own).unwrap()).unwrap_err();
    assert_eq!(
        e,
        Fail::Protocol(ProtocolError::EmiRejected { version: 0x10 })
    );
}

#[test]
fn a_healthy_phone_keeps_its_preloader_mode_and_ready_ram() {
    let mut h = built("a516_row", StorageKind::Emmc, Mode::Preloader, &[], None);
    h.connect();
    assert_eq!(h.run(brom::get_bl_ver()).unwrap(), PRELOADER_BL_VERSION);
    let mut h = phone(&[]);
    h.boot_da2();
}
