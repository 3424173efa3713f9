//! The real serial code path over a pseudo-terminal: a phone built from the protocol's
//! phone-side pieces is served on the simulator's [`Pty`] by its [`serve`] loop, and the host
//! opens the terminal path with `SerialTransport::open`, exactly as it would open
//! `/dev/ttyACM0`. Every wait has a timeout and the phone thread is stopped by a flag, so the
//! test cannot hang.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::Duration,
};

use mtkbench::{
    protocol::{
        brom::{self, BromAnswer, BromDevice, BromRequest, HwCode, TargetConfig},
        handshake::HostHandshake,
    },
    sim::pty::{Peer, Pty, Reply, ServeOptions, serve},
    transport::{SerialTransport, Transport, run_exchange},
};

/// A BROM that knows only GET_HW_CODE and GET_TARGET_CONFIG (every other request gets status
/// 0), and remembers what it was asked.
struct MiniBrom {
    dev: BromDevice,
    seen: Arc<Mutex<Vec<BromRequest>>>,
}

impl Peer for MiniBrom {
    fn feed(&mut self, mut input: &[u8]) -> Reply {
        let mut bytes = Vec::new();
        while !input.is_empty() {
            let Ok((used, _)) = self.dev.feed(input) else {
                break;
            };
            input = &input[used..];
            if let Some(req) = self.dev.pending() {
                self.seen.lock().unwrap().push(req);
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
                self.dev.answer(answer).unwrap();
            }
            bytes.extend(self.dev.take_output());
            if used == 0 {
                break;
            }
        }
        Reply {
            bytes,
            ..Reply::default()
        }
    }

    fn unplug(&mut self) {
        self.dev = BromDevice::new();
    }
}

#[test]
fn host_talks_to_a_phone_on_a_pseudo_terminal() {
    let pty = match Pty::open() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("skipping: this system cannot create a pseudo-terminal ({e})");
            return;
        }
    };
    let path = pty.path().to_string_lossy().into_owned();
    assert!(path.starts_with("/dev/"), "{path}");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut phone = MiniBrom {
        dev: BromDevice::new(),
        seen: seen.clone(),
    };
    let options = ServeOptions {
        once: false,
        stop: Arc::new(AtomicBool::new(false)),
    };
    let stop = options.stop.clone();
    let server = thread::spawn(move || serve(pty, &mut phone, &options, |_| {}));

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

    stop.store(true, Ordering::Relaxed);
    server.join().unwrap().unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [BromRequest::GetHwCode, BromRequest::GetTargetConfig]
    );

    // The phone is gone now; the host sees silence or a hang-up, not a hang.
    let mut b = [0u8; 1];
    assert!(host.read_exact(&mut b, Duration::from_millis(50)).is_err());
}
