//! Workstation states for the TUI tests: one fixture per panel and popup, built from real
//! library values (a boot log really analysed, a ROM really inspected), and the frame of a
//! state as text.

#![allow(dead_code)]

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mtkbench::{
    device::{
        Fingerprint, Mode, OpKind, PlannedStep, ProgressEvent,
        dram::{DramReport, EmiSource},
        fingerprint::{PartitionFacts, StorageFacts, TargetConfigFlags},
        table::TableSource,
        target::Region,
    },
    diag::{self, doctor, lcm},
    firmware::{rom, synth},
    library::{self, LibraryRow},
    places::Places,
    transport::{PortInfo, PortMode},
    tui::{
        self, Options, Prepared,
        action::Action,
        headless::Headless,
        state::{AppState, Confirmable, DeviceState, Popup, StartInfo, Step, TextPurpose},
        theme::Theme,
        view,
    },
};
use ratatui::{Terminal, backend::TestBackend, buffer::Buffer, layout::Rect};

use super::common;

/// The frame of `state` at `w` x `h`, as text (one line per row).
pub fn frame(state: &AppState, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| view::render(state, f.area(), f.buffer_mut()))
        .unwrap();
    buffer_text(terminal.backend().buffer())
}

/// A buffer's cells as text, trailing spaces cut.
pub fn buffer_text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Renders `state` into a buffer of `area` (for the no-panic tests).
pub fn render_into(state: &AppState, area: Rect) {
    let mut buf = Buffer::empty(area);
    view::render(state, area, &mut buf);
    for step in Step::ALL {
        mtkbench::tui::panels::render_step(state, step, area, &mut buf);
    }
}

/// A fresh workstation (demo start, no colour so snapshots are plain).
pub fn fresh() -> AppState {
    let (mut s, _) = AppState::new(
        PathBuf::from("/bench/library"),
        StartInfo {
            demo: false,
            demo_board: None,
            jobs_dir: None,
            dead_boot: false,
        },
        Theme::new(true, false),
    );
    s.log.clear();
    s
}

/// Connect: armed, two ports seen, ModemManager in the way.
pub fn connect() -> AppState {
    let mut s = fresh();
    s.update(Action::PortsListed(Ok(vec![
        PortInfo {
            path: "/dev/ttyACM0".into(),
            vid: Some(0x0e8d),
            pid: Some(0x0003),
            mode: PortMode::Brom,
            product: Some("MT65xx Preloader".into()),
        },
        PortInfo {
            path: "/dev/ttyS0".into(),
            vid: None,
            pid: None,
            mode: PortMode::Other,
            product: None,
        },
    ])));
    s.update(Action::DoctorDone(vec![doctor::Problem {
        id: "modemmanager",
        level: doctor::Level::Error,
        title: "ModemManager is running and grabs /dev/ttyACM* ports".into(),
        breaks: "it opens the download port first; the handshake then times out".into(),
        found: "ModemManager.service is active".into(),
        fix: vec!["sudo systemctl stop ModemManager".into()],
    }]));
    s
}

/// A fingerprint like the simulated A516 gives.
pub fn fingerprint() -> Fingerprint {
    let part = |name: &str, region, offset, size| PartitionFacts {
        name: name.into(),
        region,
        offset,
        size,
    };
    Fingerprint {
        mode: Mode::Brom,
        hw_code: 0x6572,
        hw_subcode: 0x8a00,
        hw_version: 0xca00,
        sw_version: 0x0001,
        brom_version: 0x05,
        bl_version: 0xfe,
        target_config: TargetConfigFlags {
            sbc: false,
            sla: false,
            daa: false,
            raw: 0,
        },
        me_id: Some("a1b2c3d4e5f60718293a4b5c6d7e8f90".into()),
        storage: StorageFacts::Emmc {
            boot1_size: 0x40_0000,
            boot2_size: 0x40_0000,
            user_size: 0xE_9000_0000,
            cid: "150100514531334d42014c1a2b3c4d00".into(),
        },
        ram_size: 0x2000_0000,
        da_version: "4.0.0".into(),
        partition_source: TableSource::Mbr {
            profile: Some("a516_row".into()),
        },
        partitions: vec![
            part("PRELOADER", Region::Boot1, 0, 0x40000),
            part("NVRAM", Region::User, 0x140000, 0x500000),
            part("UBOOT", Region::User, 0x1C0000, 0x60000),
            part("BOOTIMG", Region::User, 0x220000, 0x600000),
            part("ANDROID", Region::User, 0x2000000, 0x40000000),
        ],
        preloader: None,
        lcm: vec!["hx8379a_wvga_dsi_vdo".into()],
        pcb_marking: None,
        dead_boot: None,
    }
}

/// Identify: a phone identified, a marking typed.
pub fn identify() -> AppState {
    let mut s = connect();
    s.step = Step::Identify;
    s.fingerprint = Some(Box::new(fingerprint()));
    s.session = DeviceState::Idle;
    s.device.port = Some("/dev/ttyACM0".into());
    s.device.mode = Some("BROM".into());
    s.device.chip = Some("MT6572".into());
    s.device.storage = Some("eMMC 3.6 GiB".into());
    s.update(Action::AskText(TextPurpose::PcbMarking));
    for c in "A516-MB-V1.2".chars() {
        s.update(Action::Type(c));
    }
    s.update(Action::Enter);
    s
}

/// Identify for a dead phone (its preloader erased): the DA asked for DRAM settings, taken
/// from its own backup; the board's preloader project settled by the engine.
pub fn identify_dead_boot() -> AppState {
    let mut s = identify();
    let mut f = fingerprint();
    f.ram_size = 0x2000_0000;
    f.dead_boot = Some(DramReport {
        source: EmiSource::Backup {
            id: "20261203T101500Z-a1b2c3d4".into(),
        },
        project: Some("a516_row".into()),
        version: 11,
        flash_id: "150100514531334D42".into(),
        ram_size: 0x2000_0000,
        chip_select: 0,
        checksum_matches: true,
    });
    mtkbench::engine::identify::settle_dead_boot(&mut f, &mtkbench::profile::Registry::builtin());
    s.fingerprint = Some(Box::new(f));
    s
}

/// Identify for a dead phone whose board is known, its RAM set up from its own backup: the
/// preloader line says it came from that backup.
pub fn identify_dead_boot_from_backup() -> AppState {
    let mut s = identify_dead_boot();
    if let Some(f) = &mut s.fingerprint {
        f.dead_boot.as_mut().unwrap().source = EmiSource::Backup {
            id: "emmc-150100514531334d42014c1a2b3c4d00/20261203T101500Z".into(),
        };
        // What the visit settles for a dead phone of a known board (settle_dead_boot).
        f.preloader = Some(mtkbench::firmware::preloader::PreloaderIdentity {
            build_name: None,
            project: Some("a516_row".into()),
            emi_version: Some(11),
        });
    }
    s
}

/// ROM for a dead phone: the EMI source and when the preloader is written from the ROM.
pub fn rom_list_dead_boot() -> AppState {
    let mut s = identify_dead_boot();
    s.step = Step::Rom;
    s.update(Action::LibraryLoaded(Ok(library_rows())));
    s
}

/// A real library of three packages (two panels, one with an image too big), scanned and
/// listed by the library itself.
pub fn library_rows() -> Vec<LibraryRow> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("library");
    write_rom(&root.join("a516/S118_fits"), "hx8379a_wvga_dsi_vdo");
    write_rom(&root.join("a516/S106_wrong_lcm"), "nt35512_wvga_dsi_vdo");
    let scatter = common::rom::scatter("MT6572", "demo72_wet_jb", "recovery.img");
    common::rom::write_folder(
        &root.join("other/too_big"),
        &[
            ("MT6572_Android_scatter.txt", scatter.into_bytes()),
            ("lk.bin", synth::lk_image(&["hx8379a_wvga_dsi_vdo"])),
            ("recovery.img", vec![0u8; 0x180000]),
        ],
    );
    let index = dir.path().join("index.json");
    let root = library::open_root(&root).unwrap();
    library::scan(&root, &index, &mut |_| {}).unwrap();
    library::list(&library::LibraryIndex::load(&index), &root)
}

/// ROM: three packages, the second selected.
pub fn rom_list() -> AppState {
    let mut s = identify();
    s.step = Step::Rom;
    s.update(Action::LibraryLoaded(Ok(library_rows())));
    s.update(Action::Down);
    s
}

/// ROM: the detail view of the selected package.
pub fn rom_detail() -> AppState {
    let mut s = rom_list();
    s.update(Action::Enter);
    s
}

/// A step's panel with nothing special in it.
pub fn on_step(step: Step) -> AppState {
    let mut s = identify();
    s.step = step;
    s
}

/// Diagnose: a real boot log analysed.
pub fn diagnose_log() -> AppState {
    let mut s = identify();
    let path = PathBuf::from("tests/fixtures/logs/panic_loop.uart.log");
    let rules = diag::rules::RuleBase::builtin().unwrap();
    let result = diag::analyze_files(std::slice::from_ref(&path), rules).map_err(|e| e.to_string());
    s.update(Action::LogAnalyzed { path, result });
    s
}

/// Diagnose: an error explained.
pub fn diagnose_explain() -> AppState {
    let mut s = identify();
    s.update(Action::GoTo(Step::Diagnose));
    s.update(Action::AskText(TextPurpose::ErrorCode));
    for c in "S_FT_ENABLE_DRAM_FAIL".chars() {
        s.update(Action::Type(c));
    }
    s.update(Action::Enter);
    s
}

/// A ROM whose lk and kernel carry `lcm` (written by the product's own writers).
pub fn write_rom(dir: &Path, lcm: &str) {
    let scatter = common::rom::scatter("MT6572", "demo72_wet_jb", "recovery.img");
    common::rom::write_folder(
        dir,
        &[
            ("MT6572_Android_scatter.txt", scatter.into_bytes()),
            ("lk.bin", synth::lk_image(&[lcm])),
            ("boot.img", common::rom::boot_img(&[lcm])),
            ("recovery.img", vec![0u8; 0x1000]),
        ],
    );
}

/// Diagnose: a real display check of a ROM whose drivers do not match the panel.
pub fn diagnose_display() -> AppState {
    let mut s = identify();
    let dir = tempfile::tempdir().unwrap();
    write_rom(dir.path(), "nt35512_wvga_dsi_vdo");
    let facts = lcm::LcmFacts::from_report(&rom::inspect(dir.path()).unwrap());
    let evidence = lcm::PanelEvidence::by_hand(&["hx8379a_wvga_dsi_vdo"]).unwrap();
    let verdict = lcm::check(&evidence, &facts);
    s.update(Action::DisplayChecked {
        rom: PathBuf::from("/bench/library/a516/S106_wrong_lcm"),
        result: Ok(Box::new(verdict)),
    });
    s
}

/// Diagnose: the host doctor's view.
pub fn diagnose_doctor() -> AppState {
    let mut s = connect();
    s.update(Action::GoTo(Step::Diagnose));
    s.diagnose.view = mtkbench::tui::state::DiagView::Doctor;
    s
}

/// Diagnose: a live UART capture, its updates as `diagnose uart` words them.
pub fn diagnose_uart() -> AppState {
    use mtkbench::diag::{
        rules::{EndReason, Severity, Stage},
        uart::{LiveUpdate, live_line},
    };
    let mut s = identify();
    s.update(Action::GoTo(Step::Diagnose));
    s.update(Action::Uart);
    for c in "/dev/ttyUSB0".chars() {
        s.update(Action::Type(c));
    }
    s.update(Action::Enter);
    for update in [
        LiveUpdate::Receiving,
        LiveUpdate::BootStarted {
            boot: 0,
            line: 1,
            stage: Stage::Preloader,
        },
        LiveUpdate::StageReached {
            boot: 0,
            stage: Stage::Kernel,
        },
        LiveUpdate::Finding {
            id: "kernel-panic".into(),
            severity: Severity::Error,
            title: "Kernel panic: the kernel stopped".into(),
            line: Some(212),
        },
        LiveUpdate::BootEnded {
            boot: 0,
            reason: EndReason::KernelPanic,
            line: 212,
        },
    ] {
        s.update(Action::UartUpdate(live_line(&update)));
    }
    s
}

/// The help popup over the ROM panel.
pub fn help_popup() -> AppState {
    let mut s = rom_list();
    s.update(Action::Help);
    s
}

/// The error popup.
pub fn error_popup() -> AppState {
    let mut s = diagnose_log();
    s.update(Action::LogAnalyzed {
        path: "/home/tech/uart.log".into(),
        result: Err(
            "cannot read /home/tech/uart.log: No such file or directory (os error 2)".into(),
        ),
    });
    s
}

/// The yes/no popup.
pub fn confirm_popup() -> AppState {
    let mut s = identify();
    s.popup = Some(Popup::Confirm {
        what: Confirmable::Quit,
        title: "Stop the write after the current packet?".into(),
        lines: vec![
            "ANDROID is 41% written; the phone will not boot until it is flashed again.".into(),
            "Your backup 2026-12-03T13-40 stays as it is.".into(),
        ],
    });
    s
}

/// The typed-confirmation popup.
pub fn typed_popup() -> AppState {
    let mut s = identify();
    s.popup = Some(Popup::TypedConfirm {
        what: Confirmable::Quit,
        title: "Format All + Download erases the whole phone".into(),
        lines: vec![
            "Erased: everything, including NVRAM, PRO_INFO, PROTECT_F, PROTECT_S.".into(),
            "Identity: restored from verified backup 2026-12-03T13-40.".into(),
        ],
        word: "FORMAT".into(),
        typed: "FOR".into(),
    });
    s
}

/// The text popup (typing a log path).
pub fn text_popup() -> AppState {
    let mut s = identify();
    s.update(Action::GoTo(Step::Diagnose));
    s.update(Action::AskText(TextPurpose::LogFile));
    for c in "~/logs/uart".chars() {
        s.update(Action::Type(c));
    }
    s
}

/// Flash: an interrupted job of this phone is offered for resume.
pub fn flash_resume_offer() -> AppState {
    let mut s = identify();
    s.step = Step::Flash;
    let record = mtkbench::flash::record::JobRecord {
        id: "flash-1796300000".into(),
        fingerprint: fingerprint(),
        rom: "/bench/library/a516/S118_fits".into(),
        mode: mtkbench::flash::Mode::DownloadOnly,
        selection: None,
        preloader_of_another_board: false,
        verify: true,
        erases_identity: false,
        backup: None,
        steps: Vec::new(),
    };
    s.update(Action::Unfinished(Some(Box::new(record))));
    s
}

/// Every fixture, by name.
pub fn all() -> Vec<(&'static str, AppState)> {
    vec![
        ("connect", connect()),
        ("identify", identify()),
        ("identify_dead_boot", identify_dead_boot()),
        (
            "identify_dead_boot_from_backup",
            identify_dead_boot_from_backup(),
        ),
        ("rom_list_dead_boot", rom_list_dead_boot()),
        ("rom_list", rom_list()),
        ("rom_detail", rom_detail()),
        ("backup", on_step(Step::Backup)),
        ("flash", on_step(Step::Flash)),
        ("verify", on_step(Step::Verify)),
        ("report", on_step(Step::Report)),
        ("diagnose_menu", on_step(Step::Diagnose)),
        ("diagnose_log", diagnose_log()),
        ("diagnose_explain", diagnose_explain()),
        ("diagnose_display", diagnose_display()),
        ("diagnose_doctor", diagnose_doctor()),
        ("diagnose_uart", diagnose_uart()),
        ("popup_help", help_popup()),
        ("popup_error", error_popup()),
        ("popup_confirm", confirm_popup()),
        ("popup_typed", typed_popup()),
        ("popup_text", text_popup()),
        ("flash_resume_offer", flash_resume_offer()),
    ]
}

/// Folders for a workstation under `dir`.
pub fn places(dir: &Path) -> Places {
    Places {
        config: dir.join("config"),
        data: dir.join("data"),
        cache: dir.join("cache"),
        logs: dir.join("logs"),
    }
}

/// The demo workstation (simulated phone in-process), headless, started.
pub fn demo(dir: &Path) -> (Headless, Prepared) {
    demo_with(dir, false)
}

/// The demo started headless; `dead_boot`: with a dead phone (`--demo --dead-boot`).
pub fn demo_with(dir: &Path, dead_boot: bool) -> (Headless, Prepared) {
    let options = Options {
        demo: true,
        ascii: false,
        no_color: true,
        dead_boot,
        ..Options::default()
    };
    let mut p = tui::prepare(&options, &places(dir)).unwrap();
    let state = std::mem::replace(&mut p.state, fresh());
    let first = std::mem::take(&mut p.first);
    let h = Headless::start(state, first, p.context.clone()).unwrap();
    (h, p)
}

fn key(h: &mut Headless, c: KeyCode) {
    assert!(h.key(KeyEvent::new(c, KeyModifiers::NONE)), "{c:?}");
}

/// States of a real demo repair (the simulated phone, a ROM made for its layout): the plan's
/// confirmation, writing at 37 % (the plan's own partition, progress events applied), the
/// verify and the report panels.
pub fn repair_states() -> Vec<(&'static str, AppState)> {
    let wait = Duration::from_secs(30);
    let dir = tempfile::tempdir().unwrap();
    let (mut h, p) = demo(dir.path());
    assert!(h.wait_for(wait, |s| s.fingerprint.is_some()
        && s.repair.choosing
        && s.matched.as_ref().is_some_and(|m| !m.matches.is_empty())));
    let identified = h.state.clone();
    key(&mut h, KeyCode::Char('3'));
    let rom_list = h.state.clone();
    key(&mut h, KeyCode::Enter);
    let rom_detail = h.state.clone();
    key(&mut h, KeyCode::Enter);
    let flash_mode = h.state.clone();
    key(&mut h, KeyCode::Enter);
    assert!(h.wait_for(wait, |s| s.repair.awaiting_answer));
    let confirm = h.state.clone();
    let mut writing = h.state.clone();
    writing.popup = None;
    writing.session = DeviceState::Busy;
    let first_write = writing
        .repair
        .plan
        .as_ref()
        .and_then(|plan| {
            plan.steps()
                .iter()
                .find(|s| s.action() == mtkbench::flash::Action::Write)
                .map(|s| (s.partition().to_string(), s.length()))
        })
        .unwrap();
    writing.update(Action::Progress(ProgressEvent::PlanReady {
        steps: vec![PlannedStep {
            op: OpKind::Write,
            name: first_write.0.clone(),
            region: "user",
            offset: 0,
            len: first_write.1,
        }],
    }));
    writing.update(Action::Progress(ProgressEvent::Started {
        op: OpKind::Write,
        name: first_write.0,
        total: first_write.1,
    }));
    writing.update(Action::Progress(ProgressEvent::Advanced {
        op: OpKind::Write,
        done: first_write.1 * 37 / 100,
        total: first_write.1,
        elapsed: Duration::from_millis(250),
    }));
    let mut quit_mid_write = writing.clone();
    quit_mid_write.update(Action::Quit);
    key(&mut h, KeyCode::Char('y'));
    assert!(h.wait_for(wait, |s| s.repair.report.is_some()
        && s.session == DeviceState::Idle));
    assert!(h.wait_for(wait, |s| s.backups.as_ref().is_some_and(|b| !b.is_empty())));
    let verify = h.state.clone();
    let mut report = h.state.clone();
    report.step = Step::Report;
    let mut backup = h.state.clone();
    backup.step = Step::Backup;
    h.close(Duration::from_secs(10));
    drop(p);
    let steady = |mut s: AppState| {
        // The library's own read and the phone's identification race; their log lines are
        // left out so the pictures do not depend on which came first.
        s.log.retain(|l| !l.text.starts_with("ROM library:"));
        s.log.sort_by_key(|l| l.text.starts_with("board "));
        s
    };
    [
        ("demo_identified", identified),
        ("demo_rom_list", rom_list),
        ("demo_rom_detail", rom_detail),
        ("demo_flash_mode", flash_mode),
        ("repair_plan_confirm", confirm),
        ("repair_writing", writing),
        ("repair_quit_mid_write", quit_mid_write),
        ("repair_verify", verify),
        ("repair_report", report),
        ("repair_backup", backup),
    ]
    .into_iter()
    .map(|(name, s)| (name, steady(s)))
    .collect()
}
