use super::*;
use crate::protocol::da::StorageKind;

/// Runs a host exchange against fixed phone bytes; a read past them is a timeout whose
/// message names the read, as the transport's is.
fn run<E: Exchange>(ex: &mut E, phone: &[u8]) -> (Result<E::Output, String>, Vec<u8>) {
    let (mut host, mut p) = (Vec::new(), 0usize);
    loop {
        match ex.poll() {
            Err(e) => return (Err(e.to_string()), host),
            Ok(Step::Send(b)) => host.extend_from_slice(&b),
            Ok(Step::Recv { len, what, .. }) => {
                if p + len > phone.len() {
                    return (Err(format!("timed out waiting for {what}")), host);
                }
                if let Err(e) = ex.feed(&phone[p..p + len]) {
                    return (Err(e.to_string()), host);
                }
                p += len;
            }
            Ok(Step::Done(v)) => return (Ok(v), host),
            Ok(_) => panic!("unexpected storage step"),
        }
    }
}

/// Runs the host's [`EmiSetup`] against an [`EmiDevice`] whose owner answers with `accept`
/// and `result`; returns the host's result and what the phone received.
fn pair(
    mut host: EmiSetup,
    mut dev: EmiDevice,
    accept: bool,
    result: RamResult,
) -> (Result<EmiOutcome, String>, Option<Vec<u8>>, Option<u32>) {
    let (mut got_blob, mut got_version) = (None, None);
    let mut phone_out: Vec<u8> = Vec::new();
    loop {
        match host.poll() {
            Err(e) => return (Err(e.to_string()), got_blob, got_version),
            Ok(Step::Send(b)) => {
                let mut at = 0;
                while at < b.len() {
                    at += dev.feed(&b[at..]).unwrap();
                    match dev.pending().cloned() {
                        Some(EmiAsk::EnableDram(v)) => {
                            got_version = Some(v);
                            dev.answer_enable(accept).unwrap();
                        }
                        Some(EmiAsk::Settings(blob)) => {
                            got_blob = Some(blob);
                            dev.answer_settings(&result).unwrap();
                        }
                        None => {}
                    }
                }
                phone_out.extend(dev.take_output());
            }
            Ok(Step::Recv { len, what, .. }) => {
                if phone_out.len() < len {
                    return (
                        Err(format!("timed out waiting for {what}")),
                        got_blob,
                        got_version,
                    );
                }
                let bytes: Vec<u8> = phone_out.drain(..len).collect();
                if let Err(e) = host.feed(&bytes) {
                    return (Err(e.to_string()), got_blob, got_version);
                }
            }
            Ok(Step::Done(v)) => return (Ok(v), got_blob, got_version),
            Ok(_) => panic!("unexpected storage step"),
        }
    }
}

fn request() -> EmiRequest {
    EmiRequest {
        unknown: [0, 0, 0, 1],
        flash_id: *b"\x15\x01\x00SIM72E\x10\x01\x02\x03\x04\x3d\x01",
        nand_ids: vec![],
    }
}

fn ok_ram() -> RamResult {
    RamResult {
        ret: 0,
        ram_type: RAM_TYPE_DRAM,
        chip_select: 0,
        size: 512 << 20,
        extra: vec![],
    }
}

#[test]
fn result_zero_is_ready_and_0xbc3_reads_the_prompt() {
    let cfg = DaConfig::mt6572(5, 0xFE, StorageKind::Emmc);
    let (r, host) = run(&mut dram_result(&cfg), &[0, 0, 0, 0]);
    assert_eq!(r, Ok(DramPrompt::Ready));
    assert_eq!(host, cfg.to_bytes());

    let mut req = request();
    req.nand_ids = vec![0xEC, 0xD3];
    let mut phone = DRAM_EMI_NEEDED.to_be_bytes().to_vec();
    phone.extend_from_slice(&req.to_bytes());
    let (r, _) = run(&mut dram_result(&cfg), &phone);
    assert_eq!(r, Ok(DramPrompt::EmiNeeded(req.clone())));

    // Without NAND ids the prompt ends at the count.
    req.nand_ids.clear();
    let mut phone = DRAM_EMI_NEEDED.to_be_bytes().to_vec();
    phone.extend_from_slice(&req.to_bytes());
    assert_eq!(
        run(&mut dram_result(&cfg), &phone).0,
        Ok(DramPrompt::EmiNeeded(req))
    );
}

#[test]
fn a_broken_prompt_names_what_is_wrong() {
    let cfg = DaConfig::mt6572(5, 0xFE, StorageKind::Emmc);
    let (r, _) = run(&mut dram_result(&cfg), &[0, 0, 0x0B, 0xB9]);
    assert!(r.unwrap_err().contains("DRAM setup"));
    let mut phone = DRAM_EMI_NEEDED.to_be_bytes().to_vec();
    let mut prompt = request().to_bytes();
    prompt[20..24].copy_from_slice(&[0, 0, 0x0B, 0xC5]);
    phone.extend_from_slice(&prompt);
    let e = run(&mut dram_result(&cfg), &phone).0.unwrap_err();
    assert!(e.contains("0xBC4 word"), "{e}");
    // A DA that stops after 0xBC3: the timeout names the byte it waited for.
    let e = run(&mut dram_result(&cfg), &DRAM_EMI_NEEDED.to_be_bytes())
        .0
        .unwrap_err();
    assert!(e.contains("the 4 bytes after the DRAM result 0xBC3"), "{e}");
    let mut phone = DRAM_EMI_NEEDED.to_be_bytes().to_vec();
    let mut prompt = request().to_bytes();
    prompt[24..26].copy_from_slice(&1000u16.to_be_bytes());
    phone.extend_from_slice(&prompt);
    let e = run(&mut dram_result(&cfg), &phone).0.unwrap_err();
    assert!(e.contains("1000 ids"), "{e}");
}

#[test]
fn v11_sends_exactly_dram_len_bytes_and_reads_the_ram_result() {
    let blob: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
    let host = EmiSetup::new(11, blob.clone()).unwrap();
    let dev = EmiDevice::new(*b"RAM-Info LPDDR2\0", SIM_EMI_BUFFER);
    let (r, got, version) = pair(host, dev, true, ok_ram());
    let out = r.unwrap();
    assert_eq!(version, Some(11));
    let sent = &blob[..SIM_EMI_BUFFER as usize];
    assert_eq!(got.as_deref(), Some(sent));
    assert_eq!(out.sent, SIM_EMI_BUFFER);
    assert_eq!(out.dram_len, SIM_EMI_BUFFER);
    assert!(out.checksum_matches);
    assert_eq!(out.checksum, sum16(sent));
    assert_eq!(out.ram_info, Some(*b"RAM-Info LPDDR2\0"));
    assert_eq!(out.ram, ok_ram());

    // A blob shorter than the buffer is padded with zeros (an empty record ends the list).
    let host = EmiSetup::new(11, vec![7; 10]).unwrap();
    let dev = EmiDevice::new([0; 16], 32);
    let (_, got, _) = pair(host, dev, true, ok_ram());
    let mut want = vec![7u8; 10];
    want.resize(32, 0);
    assert_eq!(got, Some(want));
}

#[test]
fn the_wire_bytes_of_v11_follow_the_notes() {
    let mut host = EmiSetup::new(11, vec![1, 2, 3, 4]).unwrap();
    let mut phone = vec![ACK];
    phone.extend_from_slice(b"0123456789abcdef");
    phone.extend_from_slice(&4u32.to_be_bytes());
    phone.extend_from_slice(&10u16.to_be_bytes());
    phone.extend_from_slice(&ok_ram().to_bytes());
    let (r, sent) = run(&mut host, &phone);
    assert!(r.unwrap().checksum_matches);
    let mut want = vec![ENABLE_DRAM, 0, 0, 0, 0x0B, ACK, 1, 2, 3, 4, ACK];
    want.extend_from_slice(&RAM_SETUP_WORD.to_be_bytes());
    assert_eq!(sent, want);
}

#[test]
fn every_layout_the_notes_allow_is_read() {
    let blob = vec![9u8; 64];
    let result = |extra: usize| {
        let mut r = ok_ram();
        r.extra = vec![0x1111; extra];
        r.to_bytes()
    };
    // 0x10: dram_len, host 5A, host len, the whole blob.
    let mut phone = vec![ACK];
    phone.extend_from_slice(&0xBCu32.to_be_bytes());
    phone.extend_from_slice(&0u16.to_be_bytes());
    phone.extend_from_slice(&result(0));
    let (r, sent) = run(&mut EmiSetup::new(0x10, blob.clone()).unwrap(), &phone);
    assert!(!r.unwrap().checksum_matches);
    assert_eq!(&sent[5..10], &[ACK, 0, 0, 0, 64]);
    assert_eq!(&sent[10..74], &blob[..]);
    // 0x0D: cut to dram_len, first dword 0x100, five more words in the result.
    let mut phone = vec![ACK];
    phone.extend_from_slice(&16u32.to_be_bytes());
    phone.extend_from_slice(&0u16.to_be_bytes());
    phone.extend_from_slice(&result(5));
    let (r, sent) = run(&mut EmiSetup::new(0x0D, blob.clone()).unwrap(), &phone);
    assert_eq!(r.unwrap().ram.extra, vec![0x1111; 5]);
    assert_eq!(&sent[6..10], &0x100u32.to_le_bytes());
    assert_eq!(sent.len(), 5 + 1 + 16 + 1 + 4);
    // 0x00: version word FFFFFFFF, the host echoes dram_len.
    let mut phone = vec![ACK];
    phone.extend_from_slice(&8u32.to_be_bytes());
    phone.extend_from_slice(&72u16.to_be_bytes());
    phone.extend_from_slice(&result(0));
    let (r, sent) = run(&mut EmiSetup::new(0, blob).unwrap(), &phone);
    assert!(r.unwrap().checksum_matches);
    assert_eq!(&sent[..5], &[ENABLE_DRAM, 0xFF, 0xFF, 0xFF, 0xFF]);
    assert_eq!(&sent[5..10], &[ACK, 0, 0, 0, 8]);
    assert!(EmiSetup::new(0x0E, vec![]).is_err());
}

#[test]
fn refusals_and_failures_say_what_happened() {
    // A5 to ENABLE_DRAM: the version is refused.
    let host = EmiSetup::new(11, vec![1; 64]).unwrap();
    let dev = EmiDevice::new([0; 16], 64);
    let (r, blob, _) = pair(host, dev, false, ok_ram());
    assert_eq!(
        r.unwrap_err(),
        ProtocolError::EmiRejected { version: 11 }.to_string()
    );
    assert_eq!(blob, None);
    // RAM result not 0.
    let host = EmiSetup::new(11, vec![1; 64]).unwrap();
    let dev = EmiDevice::new([0; 16], 64);
    let bad = RamResult {
        ret: 0xBB9,
        ..ok_ram()
    };
    let (r, _, _) = pair(host, dev, true, bad);
    let e = r.unwrap_err();
    assert!(e.contains("could not set up RAM"), "{e}");
    // A phone that stalls at RAM-Info (mtkclient #318): the timeout names it.
    let e = run(&mut EmiSetup::new(11, vec![1; 8]).unwrap(), &[ACK])
        .0
        .unwrap_err();
    assert!(e.contains("RAM-Info"), "{e}");
    let e = run(&mut EmiSetup::new(11, vec![1; 8]).unwrap(), &[0x00])
        .0
        .unwrap_err();
    assert!(e.contains("ENABLE_DRAM answer"), "{e}");
    let mut phone = vec![ACK];
    phone.extend_from_slice(&[0; 16]);
    phone.extend_from_slice(&0u32.to_be_bytes());
    let e = run(&mut EmiSetup::new(11, vec![1; 8]).unwrap(), &phone)
        .0
        .unwrap_err();
    assert!(e.contains("dram_len"), "{e}");
}

#[test]
fn the_phone_side_refuses_what_breaks_the_sequence() {
    let mut dev = EmiDevice::new([0; 16], 4);
    assert!(dev.feed(&[0x70]).is_err());
    assert!(dev.stopped());
    let mut dev = EmiDevice::new([0; 16], 4);
    assert_eq!(dev.feed(&[ENABLE_DRAM, 0, 0]).unwrap(), 1);
    assert_eq!(dev.feed(&[0, 0]).unwrap(), 2);
    assert_eq!(dev.feed(&[0, 11, 0x5A]).unwrap(), 2);
    assert_eq!(dev.pending(), Some(&EmiAsk::EnableDram(11)));
    assert!(dev.feed(&[ACK]).is_err());
    assert!(dev.answer_settings(&ok_ram()).is_err());
    dev.answer_enable(true).unwrap();
    assert_eq!(dev.take_output().len(), 1 + 16 + 4);
    assert!(dev.feed(&[0x00]).is_err());
}
