//! Whole MT6572 sessions, byte for byte, against a phone in BROM mode: the init sequence
//! (MT6572.md §3.4), the DA upload and start (§5.1 to §5.7), then storage commands.
//!
//! * `mt6572_brom_session.txt`: an eMMC phone, as mtkclient runs it: the command sequences of
//!   §5.9 (partition-table read, write and verify, erase, PMT, reset).
//! * `mt6572_nand_session.txt`: a NAND phone (decisions N1 to N6): NAND readback 0xDF, a
//!   misaligned write the phone refuses with a status, a block erase, a page write and its
//!   verification, reset.
//!
//! Both live in `tests/fixtures/transcripts/` (see the README there). Three tests hold each in
//! place:
//! * the host's step machines replay it through a `ScriptedTransport` and decode the values;
//! * the phone's machines, fed its `H>` bytes, produce exactly its `D>` bytes, in order;
//! * byte sequences quoted in the protocol notes appear in it verbatim, so the fixture is
//!   pinned to the spec and not only to this code.

use std::{collections::VecDeque, io::BufWriter, path::PathBuf, time::Duration};

use mtkbench::{
    protocol::{
        brom::{
            self, BromAnswer, BromDevice, BromRequest, DaUploadReply, HwCode, HwSwVer, MeId,
            TargetConfig,
        },
        checksum::xor16,
        da::{
            self, Da1Report, Da2Report, DaAnswer, DaAsk, DaConfig, DaDevice, DaEvent, EmmcInfo,
            EmmcPart, FormatProgress, NandGeometry, NandInfo, NandReadFlag, PmtEntry, UsbStatus,
            host::Da1Info,
        },
        decisions,
        handshake::HostHandshake,
        mt6572,
        wire::Wire,
    },
    transport::{
        ExchangeError, Payload, RecordingTransport, ScriptedTransport, Transport, TransportError,
        run_exchange, run_exchange_with,
        transcript::{Direction, Event, Transcript},
    },
};

const FIXTURE: &str = "tests/fixtures/transcripts/mt6572_brom_session.txt";
const NAND_FIXTURE: &str = "tests/fixtures/transcripts/mt6572_nand_session.txt";

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(FIXTURE)
}

fn nand_fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(NAND_FIXTURE)
}

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s.split_whitespace().collect::<String>()).unwrap()
}

fn pattern(text: &[u8], len: usize) -> Vec<u8> {
    text.iter().copied().cycle().take(len).collect()
}

/// Placeholder stages (not MediaTek code): DA1 is tiny, DA2 needs two packets.
fn da1_payload() -> Vec<u8> {
    pattern(b"MTKBENCH FIXTURE DA1 ", 0x40)
}
const DA1_SIG_LEN: u32 = 0x10;
fn da2_payload() -> Vec<u8> {
    pattern(b"MTKBENCH FIXTURE DA2 ", 0x1010)
}

/// The eMMC CID of the accepted mock report in §5.7.
const CID: &str = "150100523152344D423BC1A13E9C7E00";

/// The DA2 report mtkclient accepted, as quoted in §5.7.
fn spec_da2_report() -> Vec<u8> {
    hex(&format!(
        "00000BC3 0000 0000 00000000 0000000000000000 00000000 00000000
         00000BC4 00 0000 0000000000000000 0005 00000000000000000000 0000 0000 0000 00 00 00
         00000000 0000000000400000 0000000000400000 0000000000080000
         0000000000000000000000000000000000000000000000000000000000000000
         0000000004000000 {CID} 0000000000000000
         00000C4F 0000000000000000 00000000000000000000000000000000
         00000000 00020000 00000000 02 00 0000000020000000 11111111111111111111111111111111
         5A 00000000 00000000 C1"
    ))
}

fn me_id() -> Vec<u8> {
    (0xA0..0xB0).collect()
}

/// A hand-made MBR sector: one extended entry at LBA 0x400, and the 55 AA signature.
fn mbr_sector() -> Vec<u8> {
    let mut s = vec![0u8; 0x200];
    s[0x1BE + 4] = 0x05;
    s[0x1BE + 8..0x1BE + 12].copy_from_slice(&0x400u32.to_le_bytes());
    s[0x1BE + 12..0x1BE + 16].copy_from_slice(&u32::MAX.to_le_bytes());
    s[0x1FE] = 0x55;
    s[0x1FF] = 0xAA;
    s
}

/// The §5.8 write example's address; the image is one sector.
const WRITE_ADDR: u64 = 0x1C0_0000;
fn image() -> Vec<u8> {
    pattern(b"written by the session fixture; ", 0x200)
}

/// The NVRAM range of the Wiko S4050 layout (§7.1), erased in the session.
const FORMAT_ADDR: u64 = 0x40_0000;
const FORMAT_LEN: u64 = 0x50_0000;

fn pmt() -> Vec<PmtEntry> {
    vec![
        PmtEntry {
            name: "MBR".into(),
            size: 0x8_0000,
            mask_flags: 0xFF,
            offset: 0,
        },
        PmtEntry {
            name: "NVRAM".into(),
            size: FORMAT_LEN,
            mask_flags: 0,
            offset: FORMAT_ADDR,
        },
    ]
}

/// The NAND of the NAND session: the simulator's 1 GiB chip (decision N1).
fn nand_geometry() -> NandGeometry {
    NandGeometry {
        page_size: 0x800,
        spare_size: 0x40,
        pages_per_block: 64,
        flash_size: 1 << 30,
    }
}

/// The NAND session's test phone stores this much of its array (the rest is never touched).
const NAND_STORED: usize = 0x40_0000;
/// Where the NAND session erases a block and writes, and how much.
const NAND_WRITE_ADDR: u64 = 0x20_0000;
const NAND_WRITE_LEN: u64 = 0x900;
fn nand_image() -> Vec<u8> {
    pattern(
        b"NAND page written by the session fixture; ",
        NAND_WRITE_LEN as usize,
    )
}

/// The spare area of NAND page `index`: a good-block marker FF, then the page index.
fn nand_spare(index: u64) -> Vec<u8> {
    let mut s = vec![0xFF; 0x40];
    s[2..6].copy_from_slice(&(index as u32).to_le_bytes());
    s
}

/// The NAND array's first bytes: a stand-in preloader header.
fn nand_content() -> Vec<u8> {
    let mut a = vec![0xFF; NAND_STORED];
    let head = pattern(b"MTKBENCH FIXTURE NAND PRELOADER ", 0x1000);
    a[..0x1000].copy_from_slice(&head);
    a[NAND_WRITE_ADDR as usize..][..0x2_0000].fill(0x5A);
    a
}

/// The NAND phone's DA2 report: the §5.7 report with the NAND found and no eMMC (N1).
fn nand_da2_report() -> Da2Report {
    let mut r = Da2Report::from_exact(&spec_da2_report()).unwrap();
    r.nand = NandInfo::detected(
        decisions::SIM_NAND_FLASH_ID,
        &decisions::SIM_NAND_IDS,
        nand_geometry(),
    );
    r.emmc = EmmcInfo {
        ret: decisions::STATUS_EMMC_FLASH_NOT_FOUND,
        ..Default::default()
    };
    r
}

/// What the host learned before any storage command.
#[derive(Debug, PartialEq, Eq)]
struct Start {
    hw: HwCode,
    target_config: TargetConfig,
    bl_ver: u8,
    brom_ver: u8,
    versions: HwSwVer,
    me_id: MeId,
    da1: Da1Info,
    da2: Da2Report,
    usb: UsbStatus,
}

/// What the host learned in the eMMC session.
#[derive(Debug, PartialEq, Eq)]
struct Facts {
    start: Start,
    mbr: Vec<u8>,
    written_back: Vec<u8>,
    pmt: Vec<PmtEntry>,
}

/// What the host learned in the NAND session.
#[derive(Debug)]
struct NandFacts {
    start: Start,
    first_pages: Vec<u8>,
    refusal: ExchangeError,
    written_back: Vec<u8>,
}

/// The start of both sessions: BROM init, DA1 and DA2 up, the USB check.
fn host_start<T: Transport>(t: &mut T, note: &mut dyn FnMut(&mut T, &str)) -> Start {
    note(
        t,
        "§2 start handshake; the phone is still booting for the first two A0",
    );
    run_exchange(t, &mut HostHandshake::new()).unwrap();
    note(t, "§3.4 init: GET_HW_CODE");
    let hw = run_exchange(t, &mut brom::get_hw_code()).unwrap();
    note(t, "§3.3.5 WRITE32: watchdog off (WDT_MODE = 0x22000064)");
    run_exchange(t, &mut brom::disable_watchdog()).unwrap();
    note(t, "§3.3.4 GET_TARGET_CONFIG");
    let target_config = run_exchange(t, &mut brom::get_target_config()).unwrap();
    note(
        t,
        "§3.3.3 GET_BL_VER (a BROM answers FE) and GET_VERSION (not echoed)",
    );
    let bl_ver = run_exchange(t, &mut brom::get_bl_ver()).unwrap();
    let brom_ver = run_exchange(t, &mut brom::get_brom_ver()).unwrap();
    note(t, "§3.3.2 GET_HW_SW_VER");
    let versions = run_exchange(t, &mut brom::get_hw_sw_ver()).unwrap();
    note(t, "§3.3.7 FE probe, then GET_ME_ID");
    run_exchange(t, &mut brom::get_bl_ver()).unwrap();
    let me_id = run_exchange(t, &mut brom::get_me_id()).unwrap();

    note(t, "§3.3.9 SEND_DA: DA1 (placeholder bytes) to 0x02007000");
    let da1 = da1_payload();
    let up = run_exchange(
        t,
        &mut brom::send_da(mt6572::DA1_LOAD_ADDR, DA1_SIG_LEN, &da1),
    )
    .unwrap();
    assert_eq!(up.phone_checksum, xor16(&da1));
    note(t, "§3.3.10 JUMP_DA");
    run_exchange(t, &mut brom::jump_da(mt6572::DA1_LOAD_ADDR)).unwrap();

    note(
        t,
        "§5.2 DA1 sync byte, storage report, host ack, three version bytes",
    );
    let da1_info = run_exchange(t, &mut da::da_sync()).unwrap();
    note(t, "§5.4 configuration block, §5.5 DRAM result 0");
    let config = DaConfig::mt6572(brom_ver, bl_ver, da1_info.report.storage());
    run_exchange(t, &mut da::dram_result(&config)).unwrap();
    note(
        t,
        "§5.6 DA2 upload in 0x1000-byte packets, §5.7 DA2 storage report",
    );
    let da2 = run_exchange(
        t,
        &mut da::upload_da2(mt6572::DA2_LOAD_ADDR, &da2_payload()),
    )
    .unwrap();
    note(t, "§5.8 USB_CHECK_STATUS after the report");
    let usb = run_exchange(t, &mut da::usb_check()).unwrap();
    Start {
        hw,
        target_config,
        bl_ver,
        brom_ver,
        versions,
        me_id,
        da1: da1_info,
        da2,
        usb,
    }
}

/// The host's side of the eMMC session, with a note before each part.
fn host_session<T: Transport>(t: &mut T, note: &mut dyn FnMut(&mut T, &str)) -> Facts {
    let start = host_start(t, note);
    note(t, "§5.9 partition table: 72, 60 08, D6 for the MBR sector");
    run_exchange(t, &mut da::usb_check()).unwrap();
    run_exchange(t, &mut da::switch_part(EmmcPart::User)).unwrap();
    let mbr = read(t, 0, 0x200);

    note(t, "§5.9 write: 60 08, then one 0x62 sequence at 0x1C00000");
    run_exchange(t, &mut da::switch_part(EmmcPart::User)).unwrap();
    let img = image();
    let mut source: &[u8] = &img;
    let mut payload = Payload {
        source: Some(&mut source),
        ..Default::default()
    };
    let w = da::write(EmmcPart::User, WRITE_ADDR, img.len() as u64);
    run_exchange_with(t, &mut { w }, &mut payload).unwrap();

    note(t, "verify: 72, 60 08, D6 of what was written");
    run_exchange(t, &mut da::usb_check()).unwrap();
    run_exchange(t, &mut da::switch_part(EmmcPart::User)).unwrap();
    let written_back = read(t, WRITE_ADDR, img.len() as u64);

    note(t, "§5.9 erase: 72, 60 08, D4 with two progress reports");
    run_exchange(t, &mut da::usb_check()).unwrap();
    run_exchange(t, &mut da::switch_part(EmmcPart::User)).unwrap();
    run_exchange(t, &mut da::format(FORMAT_ADDR, FORMAT_LEN)).unwrap();

    note(t, "§5.8 A5: the DA's partition table");
    let table = run_exchange(t, &mut da::read_pmt()).unwrap();
    let pmt = da::parse_pmt(&table).unwrap();

    note(t, "§5.9 reset: 72, then D9 with the boot mode word");
    run_exchange(t, &mut da::usb_check()).unwrap();
    run_exchange(t, &mut da::finish(da::host::FINISH_MODE_NORMAL)).unwrap();

    Facts {
        start,
        mbr,
        written_back,
        pmt,
    }
}

/// The host's side of the NAND session, with a note before each part.
fn host_nand_session<T: Transport>(t: &mut T, note: &mut dyn FnMut(&mut T, &str)) -> NandFacts {
    let start = host_start(t, note);
    let geometry = start.da2.nand_facts(&start.da1.report).unwrap().geometry;

    note(
        t,
        "N3 NAND readback 0xDF: the first two pages with their spare areas",
    );
    run_exchange(t, &mut da::usb_check()).unwrap();
    let first_pages = read_nand(t, 0, 0x1000, NandReadFlag::PageSpare);

    note(
        t,
        "N4, N5: a write that is not page aligned is refused with A5 and a status",
    );
    run_exchange(t, &mut da::usb_check()).unwrap();
    let img = nand_image();
    let refusal = write_nand(t, NAND_WRITE_ADDR + 0x200, &img, geometry).unwrap_err();

    note(
        t,
        "N4 erase: D4 with the NAND storage byte, one 128 KiB block",
    );
    run_exchange(t, &mut da::usb_check()).unwrap();
    run_exchange(
        t,
        &mut da::nand_format(NAND_WRITE_ADDR, geometry.block_size()),
    )
    .unwrap();

    note(
        t,
        "N4 write: 62 with storage 0x10, one page and a part, padded with FF",
    );
    write_nand(t, NAND_WRITE_ADDR, &img, geometry).unwrap();

    note(
        t,
        "verify: page-only 0xDF readback of the two pages written",
    );
    run_exchange(t, &mut da::usb_check()).unwrap();
    let written_back = read_nand(t, NAND_WRITE_ADDR, 0x1000, NandReadFlag::PageOnly);

    note(t, "reset: 72, then D9 with the boot mode word");
    run_exchange(t, &mut da::usb_check()).unwrap();
    run_exchange(t, &mut da::finish(da::host::FINISH_MODE_NORMAL)).unwrap();

    NandFacts {
        start,
        first_pages,
        refusal,
        written_back,
    }
}

fn read_nand<T: Transport>(t: &mut T, addr: u64, len: u64, flag: NandReadFlag) -> Vec<u8> {
    let mut out = Vec::new();
    let mut payload = Payload {
        sink: Some(&mut out),
        ..Default::default()
    };
    let mut rb = da::nand_readback(addr, len, flag);
    let summary = run_exchange_with(t, &mut rb, &mut payload).unwrap();
    assert_eq!(summary.checksum_mismatches, 0);
    out
}

fn write_nand<T: Transport>(
    t: &mut T,
    addr: u64,
    img: &[u8],
    g: NandGeometry,
) -> Result<u64, ExchangeError> {
    let mut source = img;
    let mut payload = Payload {
        source: Some(&mut source),
        ..Default::default()
    };
    let mut w = da::nand_write(addr, img.len() as u64, u32::from(g.page_size));
    run_exchange_with(t, &mut w, &mut payload)
}

fn read<T: Transport>(t: &mut T, addr: u64, len: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut payload = Payload {
        sink: Some(&mut out),
        ..Default::default()
    };
    let summary = run_exchange_with(t, &mut da::readback(addr, len), &mut payload).unwrap();
    assert_eq!(summary.checksum_mismatches, 0);
    out
}

/// An in-process MT6572 built from the protocol's phone-side machines.
struct TestPhone {
    booting: usize,
    brom: BromDevice,
    da: Option<DaDevice>,
    /// eMMC user area, or NAND page data.
    storage: Vec<u8>,
    nand: bool,
    out: VecDeque<u8>,
}

impl TestPhone {
    fn new() -> Self {
        let mut storage = vec![0u8; (WRITE_ADDR + 0x1000) as usize];
        storage[..0x200].copy_from_slice(&mbr_sector());
        storage[FORMAT_ADDR as usize..(FORMAT_ADDR + FORMAT_LEN) as usize].fill(0x4E);
        TestPhone {
            booting: 2,
            brom: BromDevice::new(),
            da: None,
            storage,
            nand: false,
            out: VecDeque::new(),
        }
    }

    fn nand() -> Self {
        TestPhone {
            storage: nand_content(),
            nand: true,
            ..TestPhone::new()
        }
    }

    /// `pages` NAND pages from page-data offset `addr`, as `flag` selects (decision N3).
    fn nand_pages(&self, addr: u64, pages: u32, flag: NandReadFlag) -> Vec<u8> {
        let page = u64::from(nand_geometry().page_size);
        let mut out = Vec::new();
        for i in 0..u64::from(pages) {
            let a = addr + i * page;
            if flag != NandReadFlag::SpareOnly {
                out.extend_from_slice(&self.storage[a as usize..(a + page) as usize]);
            }
            if flag != NandReadFlag::PageOnly {
                out.extend(nand_spare(a / page));
            }
        }
        out
    }

    fn brom_answer(req: BromRequest) -> BromAnswer {
        match req {
            BromRequest::GetHwCode => BromAnswer::HwCode(HwCode {
                hw_code: mt6572::HW_CODE,
                status: 0,
            }),
            BromRequest::GetHwSwVer => BromAnswer::HwSwVer(HwSwVer {
                hw_sub_code: decisions::SIM_HW_SUB_CODE,
                hw_ver: decisions::SIM_HW_VER,
                sw_ver: decisions::SIM_SW_VER,
                status: 0,
            }),
            BromRequest::GetBlVer => BromAnswer::Byte(0xFE),
            BromRequest::GetBromVer => BromAnswer::Byte(decisions::SIM_BROM_VERSION),
            BromRequest::GetTargetConfig => BromAnswer::TargetConfig(TargetConfig {
                config: 0,
                status: 0,
            }),
            BromRequest::GetMeId => BromAnswer::MeId(MeId {
                id: me_id(),
                status: 0,
            }),
            // §3.4: the captured WRITE32 statuses are 00 01.
            BromRequest::Write32 { .. } | BromRequest::Write32Value { .. } => BromAnswer::Status(1),
            BromRequest::DaReceived { checksum } => BromAnswer::DaReceived(DaUploadReply {
                checksum,
                status: 0,
            }),
            BromRequest::Read32 { .. }
            | BromRequest::SendDa { .. }
            | BromRequest::JumpDa { .. } => BromAnswer::Status(0),
        }
    }

    fn da_answer(&mut self, ask: &DaAsk) -> DaAnswer {
        match ask {
            DaAsk::Config(_) => DaAnswer::DramResult(da::DRAM_OK),
            DaAsk::Da2Complete if self.nand => DaAnswer::Da2Report(Box::new(nand_da2_report())),
            DaAsk::Da2Complete => {
                DaAnswer::Da2Report(Box::new(Da2Report::from_exact(&spec_da2_report()).unwrap()))
            }
            DaAsk::NandReadbackPacket {
                addr, pages, flag, ..
            } => DaAnswer::Data(self.nand_pages(*addr, *pages, *flag)),
            DaAsk::UsbCheck => DaAnswer::UsbStatus(UsbStatus { speed: 1 }),
            DaAsk::ReadbackPacket { addr, len } => {
                let a = *addr as usize;
                DaAnswer::Data(self.storage[a..a + *len as usize].to_vec())
            }
            DaAsk::WritePacket { checksum_ok, .. } => {
                if *checksum_ok {
                    DaAnswer::Cont
                } else {
                    DaAnswer::Nack
                }
            }
            DaAsk::Format(q) => {
                let erased = if self.nand { 0xFF } else { 0 };
                self.storage[q.addr as usize..(q.addr + q.len) as usize].fill(erased);
                DaAnswer::Progress(FormatProgress {
                    init: 0,
                    percent: 50,
                })
            }
            DaAsk::FormatMore { .. } => DaAnswer::Progress(FormatProgress {
                init: 0,
                percent: 100,
            }),
            DaAsk::ReadPmt => DaAnswer::Pmt(da::encode_pmt(&pmt())),
            _ => DaAnswer::Ack,
        }
    }

    fn feed(&mut self, input: &[u8]) -> usize {
        if let Some(mut dev) = self.da.take() {
            let (n, ev) = dev.feed(input).unwrap();
            if let Some(DaEvent::WriteData { addr, data }) = ev {
                let a = addr as usize;
                self.storage[a..a + data.len()].copy_from_slice(data);
            }
            while let Some(ask) = dev.pending().cloned() {
                let answer = self.da_answer(&ask);
                dev.answer(answer).unwrap();
            }
            self.out.extend(dev.take_output());
            self.da = Some(dev);
            return n;
        }
        let (n, _) = self.brom.feed(input).unwrap();
        if let Some(req) = self.brom.pending() {
            self.brom.answer(Self::brom_answer(req)).unwrap();
        }
        self.out.extend(self.brom.take_output());
        if self.brom.jumped() {
            // DA1 runs and speaks first, without waiting for the host (§5.2).
            let mut dev = DaDevice::new();
            let report = if self.nand {
                Da1Report::nand(&decisions::SIM_NAND_IDS)
            } else {
                Da1Report::emmc(hex(CID).try_into().unwrap())
            };
            dev.start(&report, decisions::SIM_DA_VERSION).unwrap();
            self.out.extend(dev.take_output());
            self.da = Some(dev);
        }
        n
    }
}

impl Transport for TestPhone {
    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        let skip = self.booting.min(data.len());
        self.booting -= skip;
        let mut rest = &data[skip..];
        while !rest.is_empty() {
            let n = self.feed(rest);
            rest = &rest[n..];
        }
        Ok(())
    }

    fn read_some(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, TransportError> {
        let n = buf.len().min(self.out.len());
        for (b, o) in buf.iter_mut().zip(self.out.drain(..n)) {
            *b = o;
        }
        Ok(n)
    }

    fn name(&self) -> &str {
        "in-process test phone"
    }
}

fn fixture() -> Transcript {
    transcript(&fixture_path())
}

fn transcript(path: &std::path::Path) -> Transcript {
    let text = std::fs::read_to_string(path).unwrap();
    Transcript::parse(&text).unwrap()
}

fn check_start(f: &Start) {
    assert_eq!(f.hw.hw_code, 0x6572);
    assert!(!f.target_config.is_protected());
    assert!(brom::is_brom_answer(f.bl_ver));
    assert_eq!(f.brom_ver, 0x05);
    assert_eq!(
        (f.versions.hw_sub_code, f.versions.hw_ver),
        (0x8A00, 0xCA00)
    );
    assert_eq!(f.me_id.id, me_id());
    assert_eq!(f.da1.da_version, [0x03, 0x02, 0x00]);
    assert_eq!(f.usb.speed, 1);
}

fn check_facts(f: &Facts) {
    check_start(&f.start);
    let s = &f.start;
    assert_eq!(s.da1.report.storage(), da::StorageKind::Emmc);
    assert_eq!(
        s.da2.storage(s.da1.report.storage()),
        (da::StorageKind::Emmc, 0x400_0000)
    );
    assert_eq!(s.da2.nand_facts(&s.da1.report), None);
    assert_eq!(f.mbr, mbr_sector());
    assert_eq!(f.written_back, image());
    assert_eq!(f.pmt, pmt());
}

#[test]
fn host_machines_replay_the_fixture() {
    let mut t = ScriptedTransport::from_file(&fixture_path()).unwrap();
    let facts = host_session(&mut t, &mut |_, _| {});
    check_facts(&facts);
    t.check_finished().unwrap();
}

fn check_nand_facts(f: &NandFacts) {
    check_start(&f.start);
    let s = &f.start;
    assert_eq!(s.da1.report.storage(), da::StorageKind::Nand);
    assert_eq!(
        s.da2.storage(s.da1.report.storage()),
        (da::StorageKind::Nand, 1 << 30)
    );
    let facts = s.da2.nand_facts(&s.da1.report).unwrap();
    assert_eq!(facts.geometry, nand_geometry());
    assert_eq!(facts.flash_id, decisions::SIM_NAND_FLASH_ID);
    assert_eq!(facts.ids, decisions::SIM_NAND_IDS);
    let phone = TestPhone::nand();
    assert_eq!(
        f.first_pages,
        phone.nand_pages(0, 2, NandReadFlag::PageSpare)
    );
    assert!(
        matches!(
            &f.refusal,
            ExchangeError::Protocol(mtkbench::protocol::ProtocolError::Da { status, .. })
                if status.code() == decisions::STATUS_INVALID_BEGIN_ADDR
        ),
        "{:?}",
        f.refusal
    );
    let mut expect = nand_image();
    expect.resize(0x1000, 0xFF);
    assert_eq!(f.written_back, expect);
}

/// Feeds the fixture's `H>` bytes to `phone` and checks that it answers its `D>` bytes.
fn reproduce(phone: &mut TestPhone, t: Transcript) {
    for r in t.records {
        match r.event {
            Event::Data(Direction::HostToPhone, bytes) => phone.write_all(&bytes).unwrap(),
            Event::Data(Direction::PhoneToHost, bytes) => {
                let sent: Vec<u8> = phone
                    .out
                    .drain(..bytes.len().min(phone.out.len()))
                    .collect();
                assert_eq!(sent, bytes, "phone bytes at fixture line {}", r.line);
            }
            Event::Timeout => {}
            Event::Disconnect => panic!("line {}: the session has no disconnect", r.line),
        }
    }
    assert!(
        phone.out.is_empty(),
        "the phone sent more than the fixture has"
    );
    assert!(phone.da.as_ref().is_some_and(|d| d.finished()));
}

#[test]
fn phone_machines_reproduce_the_fixture() {
    let mut phone = TestPhone::new();
    reproduce(&mut phone, fixture());
    assert_eq!(&phone.storage[WRITE_ADDR as usize..][..0x200], &image()[..]);
}

#[test]
fn host_machines_replay_the_nand_fixture() {
    let mut t = ScriptedTransport::from_file(&nand_fixture_path()).unwrap();
    let facts = host_nand_session(&mut t, &mut |_, _| {});
    check_nand_facts(&facts);
    t.check_finished().unwrap();
}

#[test]
fn phone_machines_reproduce_the_nand_fixture() {
    let mut phone = TestPhone::nand();
    reproduce(&mut phone, transcript(&nand_fixture_path()));
    let mut expect = nand_image();
    expect.resize(0x2_0000, 0xFF);
    assert_eq!(
        &phone.storage[NAND_WRITE_ADDR as usize..][..0x2_0000],
        &expect[..]
    );
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn fixture_carries_the_byte_sequences_quoted_in_the_notes() {
    let t = fixture();
    let host = t.bytes(Direction::HostToPhone);
    let phone = t.bytes(Direction::PhoneToHost);
    let host_has = [
        "A0 0A 50 05",                                         // §2
        "D4 10007000 00000001 22000064",                       // §3.3.5
        "D7 02007000 00000040 00000010",                       // §3.3.9 header
        "D5 02007000",                                         // §3.3.10
        "05 FE 0008 00 7007FFFF 00 000000A8 01 01 02 00",      // §5.4, BROM mode
        "80000000 00001010 00001000",                          // §5.6 header
        "60 08",                                               // §5.8 switch to USER
        "D6 0C 02 0000000000000000 0000000000000200 00100000", // §5.8 readback
        "62 01 08 0000000001C00000 0000000000000200 00100000", // §5.8 write
        "D4 02 00 00 00 0000000000400000 0000000000500000",    // §5.8 format
        "D9 00000000",                                         // §5.8 finish and mode
    ];
    for h in host_has {
        assert!(contains(&host, &hex(h)), "host bytes lack {h}");
    }
    let phone_has = [
        "5F F5 AF FA",                             // §2
        "FD 6572 0000",                            // §3.3.1
        "D4 10007000 00000001 0001 22000064 0001", // §3.4 step 3
        "D8 00000000 0000",                        // §3.3.4
        "FC 8A00 CA00 0000 0000",                  // §3.4 step 7
        "E1 00000010",                             // §3.3.7
        "C0 00000BC4 0005",                        // §5.2
        "03 02 00",                                // §5.2 trailing bytes
        "5A 01",                                   // §5.8 USB status
        "5A 5A 00000000 64",                       // §5.8 format report
    ];
    for p in phone_has {
        assert!(contains(&phone, &hex(p)), "phone bytes lack {p}");
    }
    // The DA2 report exactly as mtkclient accepted it, right after the final 5A.
    let mut report = vec![0x5A];
    report.extend(spec_da2_report());
    assert!(contains(&phone, &report));
    // The leading A0 flood while the phone boots.
    assert!(host.starts_with(&[0xA0, 0xA0, 0xA0, 0x0A]));
}

#[test]
fn nand_fixture_carries_the_documented_nand_bytes() {
    let t = transcript(&nand_fixture_path());
    let host = t.bytes(Direction::HostToPhone);
    let phone = t.bytes(Direction::PhoneToHost);
    let host_has = [
        "05 FE 0008 00 7007FFFF 00 01500000 01 01 02 00", // §5.4 with §5.3's NAND BMT size
        "DF 0C 00 01 00000000 00001000 00000000",         // §5.8 0xDF, page+spare
        "00000001",                                       // N3 pages per packet
        "62 10 00 0000000000200200 0000000000001000 00100000", // N4, refused
        "D4 01 00 00 00 0000000000200000 0000000000020000", // N4 erase
        "62 10 00 0000000000200000 0000000000001000 00100000", // N4 write
        "DF 0C 01 01 00200000 00001000 00000000",         // N3 page only
        "D9 00000000",
    ];
    for h in host_has {
        assert!(contains(&host, &hex(h)), "host bytes lack {h}");
    }
    let phone_has = [
        "C0 00000000 0005 00EC 00D3 0051 0095 0058 00000C6B", // §5.2, N1
        // §5.7 NAND block and NAND info 2 (N1).
        "00000000 00 ECD3 0000000040000000 0005 00EC 00D3 0051 0095 0058 0800 0040 0040 00 05 01",
        "5A 00000800 00000040 00000840 00001080", // N3 layout and total
        "5A 00000800 00000040 00000800 00001000", // N3 page only
        "A5 00000BDB",                            // N4 refusal, N5 status
        "5A 5A 00000000 64",                      // §5.8 format report
    ];
    for p in phone_has {
        assert!(contains(&phone, &hex(p)), "phone bytes lack {p}");
    }
}

/// Rewrites the NAND fixture. Run on purpose only:
/// `cargo test --test protocol_session -- --ignored regenerate`.
#[test]
#[ignore = "rewrites tests/fixtures/transcripts/mt6572_nand_session.txt"]
fn regenerate_nand_fixture() {
    let file = std::fs::File::create(nand_fixture_path()).unwrap();
    let mut rec = RecordingTransport::new(TestPhone::nand(), BufWriter::new(file));
    rec.note("Generated by: cargo test --test protocol_session -- --ignored regenerate");
    rec.note("Host: mtkbench's protocol step machines. Phone: the protocol's BromDevice and");
    rec.note("DaDevice in process with a NAND (decisions N1-N6), answering as");
    rec.note("tests/protocol_session.rs says. DA1/DA2 are placeholder patterns, not MediaTek");
    rec.note("code. No real NAND capture exists. See README.md in this folder.");
    let facts = host_nand_session(&mut rec, &mut |t, s| t.note(s));
    check_nand_facts(&facts);
}

/// Rewrites the fixture from the host machines talking to the in-process phone. Run on
/// purpose only: `cargo test --test protocol_session -- --ignored regenerate`.
#[test]
#[ignore = "rewrites tests/fixtures/transcripts/mt6572_brom_session.txt"]
fn regenerate_fixture() {
    let file = std::fs::File::create(fixture_path()).unwrap();
    let mut rec = RecordingTransport::new(TestPhone::new(), BufWriter::new(file));
    rec.note("Generated by: cargo test --test protocol_session -- --ignored regenerate");
    rec.note("Host: mtkbench's protocol step machines. Phone: the protocol's BromDevice and");
    rec.note("DaDevice in process, answering as tests/protocol_session.rs says. DA1/DA2 are");
    rec.note("placeholder patterns, not MediaTek code. See README.md in this folder.");
    let facts = host_session(&mut rec, &mut |t, s| t.note(s));
    check_facts(&facts);
}
