//! The real serial code path over a pseudo-terminal: a phone built from the protocol's
//! phone-side pieces serves on a `PtyDevice`, and the host opens the terminal path with
//! `SerialTransport::open`, exactly as it would open `/dev/ttyACM0`. Every wait has a
//! timeout and the phone thread has a deadline, so the test cannot hang.

use std::{
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use mtkbench::{
    protocol::{
        brom::{self, BromAnswer, BromDevice, BromRequest, HwCode, TargetConfig},
        handshake::HostHandshake,
    },
    transport::{PtyDevice, SerialTransport, Transport, TransportError, run_exchange},
};

/// Serves BROM answers until the host has asked for the target config or the deadline passes,
/// then keeps the terminal open until the host says it has read everything (closing the
/// phone's end hangs up the terminal and drops unread bytes).
fn serve(
    mut pty: PtyDevice,
    deadline: Instant,
    host_done: mpsc::Receiver<()>,
) -> Result<Vec<BromRequest>, TransportError> {
    let mut dev = BromDevice::new();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while Instant::now() < deadline {
        let n = pty.read_some(&mut buf, Duration::from_millis(20))?;
        let mut rest = &buf[..n];
        while !rest.is_empty() {
            let (used, _) = dev.feed(rest).map_err(|e| TransportError::OffScript {
                line: 0,
                detail: e.to_string(),
            })?;
            rest = &rest[used..];
            if let Some(req) = dev.pending() {
                seen.push(req);
                let answer = match req {
                    BromRequest::GetHwCode => BromAnswer::HwCode(HwCode {
                        hw_code: 0x6572,
                        status: 0,
                    }),
                    BromRequest::GetTargetConfig => BromAnswer::TargetConfig(TargetConfig {
                        config: 0,
                        status: 0,
                    }),
                    _ => BromAnswer::Status(0),
                };
                dev.answer(answer).map_err(|e| TransportError::OffScript {
                    line: 0,
                    detail: e.to_string(),
                })?;
            }
            pty.write_all(&dev.take_output())?;
        }
        if seen.contains(&BromRequest::GetTargetConfig) {
            let _ = host_done.recv_timeout(deadline.saturating_duration_since(Instant::now()));
            return Ok(seen);
        }
    }
    Ok(seen)
}

#[test]
fn host_talks_to_a_phone_on_a_pseudo_terminal() {
    let pty = match PtyDevice::open() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("skipping: this system cannot create a pseudo-terminal ({e})");
            return;
        }
    };
    let path = pty.path().to_string_lossy().into_owned();
    assert!(path.starts_with("/dev/"), "{path}");
    let (done_tx, done_rx) = mpsc::channel();
    let phone =
        thread::spawn(move || serve(pty, Instant::now() + Duration::from_secs(10), done_rx));

    let mut host = SerialTransport::open(&path).expect("a pts path opens like a serial port");
    assert_eq!(host.name(), path);
    // The host sends a lone A0 first, as mtkclient does for a preloader: the phone must cope.
    host.write_all(&[0xA0]).unwrap();
    let mut stale = [0u8; 1];
    host.read_exact(&mut stale, Duration::from_secs(2)).unwrap();
    assert_eq!(stale, [0x5F]);

    run_exchange(&mut host, &mut HostHandshake::new()).unwrap();
    let hw = run_exchange(&mut host, &mut brom::get_hw_code()).unwrap();
    assert_eq!(hw.hw_code, 0x6572);
    let tc = run_exchange(&mut host, &mut brom::get_target_config()).unwrap();
    assert!(!tc.is_protected());
    done_tx.send(()).unwrap();

    let seen = phone.join().unwrap().unwrap();
    assert_eq!(seen, [BromRequest::GetHwCode, BromRequest::GetTargetConfig]);

    // The phone is gone now; the host sees silence, not a hang.
    let mut b = [0u8; 1];
    assert!(host.read_exact(&mut b, Duration::from_millis(50)).is_err());
}
