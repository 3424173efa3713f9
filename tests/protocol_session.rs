//! A whole MT6572 session, byte for byte, as mtkclient runs it against a phone in BROM mode:
//! the init sequence (MT6572.md §3.4), the DA upload and start (§5.1 to §5.7), then the
//! command sequences of §5.9 (partition-table read, write and verify, erase, PMT, reset).
//!
//! The session lives in `tests/fixtures/transcripts/mt6572_brom_session.txt` (see the README
//! there). Three tests hold it in place:
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
            self, Da1Report, Da2Report, DaAnswer, DaAsk, DaConfig, DaDevice, DaEvent, EmmcPart,
            FormatProgress, PmtEntry, UsbStatus, host::Da1Info,
        },
        decisions,
        handshake::HostHandshake,
        mt6572,
        wire::Wire,
    },
    transport::{
        Payload, RecordingTransport, ScriptedTransport, Transport, TransportError, run_exchange,
        run_exchange_with,
        transcript::{Direction, Event, Transcript},
    },
};

const FIXTURE: &str = "tests/fixtures/transcripts/mt6572_brom_session.txt";

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(FIXTURE)
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

/// What the host learned.
#[derive(Debug, PartialEq, Eq)]
struct Facts {
    hw: HwCode,
    target_config: TargetConfig,
    bl_ver: u8,
    brom_ver: u8,
    versions: HwSwVer,
    me_id: MeId,
    da1: Da1Info,
    da2: Da2Report,
    usb: UsbStatus,
    mbr: Vec<u8>,
    written_back: Vec<u8>,
    pmt: Vec<PmtEntry>,
}

/// The host's side of the session, with a note before each part.
fn host_session<T: Transport>(t: &mut T, note: &mut dyn FnMut(&mut T, &str)) -> Facts {
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
    run_exchange(t, &mut da::send_config(&config)).unwrap();
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
        hw,
        target_config,
        bl_ver,
        brom_ver,
        versions,
        me_id,
        da1: da1_info,
        da2,
        usb,
        mbr,
        written_back,
        pmt,
    }
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
    storage: Vec<u8>,
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
            out: VecDeque::new(),
        }
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
            DaAsk::Da2Complete => {
                DaAnswer::Da2Report(Box::new(Da2Report::from_exact(&spec_da2_report()).unwrap()))
            }
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
                self.storage[q.addr as usize..(q.addr + q.len) as usize].fill(0);
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
            let report = Da1Report {
                nand_ret: 0xBC4,
                nand_ids: vec![0; decisions::SIM_NAND_ID_COUNT],
                emmc_ret: 0,
                emmc_cid: hex(CID).try_into().unwrap(),
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
    let text = std::fs::read_to_string(fixture_path()).unwrap();
    Transcript::parse(&text).unwrap()
}

fn check_facts(f: &Facts) {
    assert_eq!(f.hw.hw_code, 0x6572);
    assert!(!f.target_config.is_protected());
    assert!(brom::is_brom_answer(f.bl_ver));
    assert_eq!(f.brom_ver, 0x05);
    assert_eq!(
        (f.versions.hw_sub_code, f.versions.hw_ver),
        (0x8A00, 0xCA00)
    );
    assert_eq!(f.me_id.id, me_id());
    assert_eq!(f.da1.report.storage(), da::StorageKind::Emmc);
    assert_eq!(f.da1.da_version, [0x03, 0x02, 0x00]);
    assert_eq!(
        f.da2.storage(f.da1.report.storage()),
        (da::StorageKind::Emmc, 0x400_0000)
    );
    assert_eq!(f.usb.speed, 1);
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

#[test]
fn phone_machines_reproduce_the_fixture() {
    let mut phone = TestPhone::new();
    for r in fixture().records {
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
    assert!(phone.da.is_some_and(|d| d.finished()));
    assert_eq!(&phone.storage[WRITE_ADDR as usize..][..0x200], &image()[..]);
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
