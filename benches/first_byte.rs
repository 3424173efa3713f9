//! Port-open benchmark (not a test): how soon the simulated phone answers the first handshake
//! byte after a host opens its port, and whether hosts that open, talk and close in quick
//! succession are served.
//!
//! One run serves the simulated MT6572 (`InProcessSim`, a516_row) in a thread and then
//! 1. opens its port [`OPENS`] times, each after an idle gap that varies from 0 to 20 ms (so the
//!    opens fall at every point of any polling period), writes `A0` and times the `5F` (a
//!    bounded wait: a second), closing the port and waiting for the simulator to report the
//!    close before the next open; prints the median, 90th percentile and worst;
//! 2. does mtkclient's serial handshake (5 ms after each byte, one byte read, never a flush of
//!    stale input; `mtkclient_handshake`) on [`OPENS`] opens and counts those that complete;
//! 3. opens, does the whole handshake (waiting for each answer) and closes [`OPENS`] times
//!    back to back, reopening at once without waiting for anything, and counts the handshakes
//!    that complete: a host that reopens must meet a freshly plugged phone.
//!
//! Run: `cargo bench --bench first_byte`.

#[path = "../tests/device_support/mod.rs"]
mod device_support;

use std::{
    fs::File,
    io::Read,
    time::{Duration, Instant},
};

use device_support::{HANDSHAKE, InProcessSim, mtkclient_handshake, open_raw, write_byte};
use mtkbench::sim::{device::Mode, pty::LinkEvent};
use rustix::event::{PollFd, PollFlags, Timespec, poll};

/// Opens per measurement.
const OPENS: usize = 100;

/// Reads one byte, waiting at most a second; `None` on silence.
fn read_byte(port: &mut File) -> Option<u8> {
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut b = [0u8; 1];
    loop {
        match port.read(&mut b) {
            Ok(1) => return Some(b[0]),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return None,
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        let ts = Timespec {
            tv_sec: 0,
            tv_nsec: left.subsec_nanos() as _,
        };
        let mut fds = [PollFd::new(&*port, PollFlags::IN)];
        let _ = poll(&mut fds, Some(&ts));
    }
}

fn wait_closed(sim: &InProcessSim) {
    sim.wait_for(|e| *e == LinkEvent::HostDisconnected);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let sim = InProcessSim::start("a516_row", None, Mode::Brom, &[]);

    // 1. First-byte latency.
    let mut times = Vec::with_capacity(OPENS);
    let mut wrong = 0;
    for i in 0..OPENS {
        // 0 to 20 ms in steps of 0.1 ms, spread over the run (7919 is prime).
        let gap = Duration::from_micros((i as u64 * 7919 % 200) * 100);
        std::thread::sleep(gap);
        let mut port = open_raw(&sim.port);
        let start = Instant::now();
        write_byte(&mut port, HANDSHAKE[0]);
        let answer = read_byte(&mut port);
        times.push(start.elapsed());
        if answer != Some(!HANDSHAKE[0]) {
            wrong += 1;
        }
        drop(port);
        wait_closed(&sim);
    }
    times.sort();
    println!(
        "first byte after open, {OPENS} opens: median {:.3} ms, p90 {:.3} ms, worst {:.3} ms, \
         best {:.3} ms; wrong or missing answers: {wrong}",
        ms(times[OPENS / 2]),
        ms(times[OPENS * 9 / 10]),
        ms(times[OPENS - 1]),
        ms(times[0]),
    );

    // 2. mtkclient's serial handshake.
    let mut done = 0;
    for i in 0..OPENS {
        std::thread::sleep(Duration::from_micros((i as u64 * 7919 % 200) * 100));
        let mut port = open_raw(&sim.port);
        if mtkclient_handshake(&mut port, 40).is_ok() {
            done += 1;
        }
        drop(port);
        wait_closed(&sim);
    }
    println!("mtkclient-style handshake (5 ms wait per byte): {done} of {OPENS} completed");

    // 3. Close and reopen at once.
    let mut done = 0;
    let start = Instant::now();
    for _ in 0..OPENS {
        let mut port = open_raw(&sim.port);
        let mut ok = true;
        for b in HANDSHAKE {
            write_byte(&mut port, b);
            if read_byte(&mut port) != Some(!b) {
                ok = false;
                break;
            }
        }
        done += usize::from(ok);
    }
    println!(
        "back-to-back open, handshake, close: {done} of {OPENS} completed in {:.1} ms",
        ms(start.elapsed())
    );
}
