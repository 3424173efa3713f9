//! The device commands as a technician strings them together, against `mtkbench sim`: back to
//! back on one port path with no pause between them (the phone re-enumerates after each
//! reboot, and a port given by path is waited for), and Ctrl-C in the middle of a transfer
//! (the command stops between packets, says what the phone holds, and leaves no file).

mod device_support;

use std::{
    io::{BufRead, BufReader},
    process::Command,
    sync::mpsc,
    time::{Duration, Instant},
};

use device_support::cli::{Bench, Kill};
use mtkbench::firmware::scatter::Region;

/// The simulated phone comes back from a reboot on a fresh pseudo-terminal, and the kernel
/// hands out the lowest free number: alone on a machine that is the number it had (8 runs of
/// 8 pass), but a process opening a terminal meanwhile takes it (with four of these tests at
/// once, 3 runs of 12 failed: one waited in vain, one reached another test's phone). So it is
/// not run by default; `tests/job.rs` runs the same sequence on a stable path (a
/// `/dev/serial/by-id`-style link that follows the phone), as a real bench names a phone.
#[test]
#[ignore = "a pseudo-terminal number is not a stable path; see the comment"]
fn identify_then_readback_on_the_same_path_with_no_pause() {
    let bench = Bench::new();
    let sim = bench.sim(&[]);
    let port = sim.port.clone();
    let da = bench.da();
    let da = da.to_str().unwrap();
    let id = bench.run(&[
        "--json", "identify", "--port", &port, "--da", da, "--wait", "20",
    ]);
    assert!(id.ok(), "{}", id.stderr);
    // At once, on the path the first command used: the phone is caught again after its
    // reboot, as a real one re-enumerating.
    let out = bench.path("uboot.bin");
    let rb = bench.run(&[
        "--json",
        "readback",
        "--port",
        &port,
        "--da",
        da,
        "--wait",
        "20",
        "--partition",
        "UBOOT",
        "--out",
        out.to_str().unwrap(),
    ]);
    let r = rb.json();
    let (at, len) = (r["offset"].as_u64().unwrap(), r["length"].as_u64().unwrap());
    assert_eq!(
        std::fs::read(&out).unwrap(),
        sim.flash(Region::EmmcUser, at, len as usize)
    );
    // And a third, to show it was no luck of timing.
    let again = bench.run(&[
        "--json", "identify", "--port", &port, "--da", da, "--wait", "20",
    ]);
    assert!(again.ok(), "{}", again.stderr);
}

#[test]
fn ctrl_c_stops_a_readback_between_packets_and_leaves_no_file() {
    let bench = Bench::new();
    let sim = bench.sim(&[]);
    let out = bench.path("user.bin");
    let da = bench.da();
    let mut child = Kill(
        bench
            .command(&[
                "readback",
                "--port",
                &sim.port,
                "--da",
                da.to_str().unwrap(),
                "--region",
                "user",
                "--length",
                "256M",
                "--out",
                out.to_str().unwrap(),
            ])
            .spawn()
            .unwrap(),
    );
    let stderr = child.0.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    // Once the transfer has started (stderr is no terminal: one line per transfer), Ctrl-C.
    let started = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("the readback did not start within 30 s");
    assert!(started.starts_with("reading user"), "{started}");
    std::thread::sleep(Duration::from_millis(100));
    let pid = child.0.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "Ctrl-C did not stop the readback"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let text: Vec<String> = lines.try_iter().collect();
    let text = text.join("\n");
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("stopped on request"), "{text}");
    assert!(text.contains("the phone's storage is unchanged"), "{text}");
    assert!(text.contains("next:") && text.contains("unplug"), "{text}");
    let left: Vec<_> = std::fs::read_dir(bench.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("user.bin"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
