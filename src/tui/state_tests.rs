//! The reducer: keys typed into popups stay there, quitting, step moves, selections.

use super::*;
use std::time::Duration;

use crate::device::{OpKind, PlannedStep, ProgressEvent};

fn state() -> AppState {
    AppState::new("/lib".into(), StartInfo::default(), Theme::new(true, true)).0
}

#[test]
fn the_first_frame_asks_for_ports_doctor_library_and_arms() {
    let (s, effects) = AppState::new("/lib".into(), StartInfo::default(), Theme::new(true, true));
    assert_eq!(
        effects,
        [
            Effect::ListPorts,
            Effect::RunDoctor,
            Effect::LoadLibrary,
            Effect::Visit
        ]
    );
    assert_eq!(s.step, Step::Connect);
    assert!(!s.animating(), "no timer while waiting for a phone");
}

#[test]
fn q_typed_into_a_popup_is_text_not_quit() {
    let mut s = state();
    s.update(Action::AskText(TextPurpose::PcbMarking));
    assert!(s.update(Action::Type('q')).is_empty());
    s.update(Action::Type('1'));
    s.update(Action::Erase);
    assert!(!s.quit);
    s.update(Action::Enter);
    assert_eq!(s.marking.as_deref(), Some("q"));
    assert!(s.popup.is_none());
}

#[test]
fn escape_cancels_typing_and_an_empty_text_does_nothing() {
    let mut s = state();
    s.update(Action::AskText(TextPurpose::LogFile));
    s.update(Action::Type('x'));
    assert!(s.update(Action::Back).is_empty());
    assert!(s.popup.is_none());
    s.update(Action::AskText(TextPurpose::LogFile));
    assert!(s.update(Action::Enter).is_empty());
}

#[test]
fn a_log_path_becomes_an_analysis_effect() {
    let mut s = state();
    s.update(Action::AskText(TextPurpose::LogFile));
    for c in "a.log".chars() {
        s.update(Action::Type(c));
    }
    assert_eq!(
        s.update(Action::Enter),
        [Effect::AnalyzeLog(PathBuf::from("a.log"))]
    );
}

#[test]
fn typed_confirmation_needs_the_exact_word() {
    let mut s = state();
    s.popup = Some(Popup::TypedConfirm {
        what: Confirmable::Quit,
        title: String::new(),
        lines: vec![],
        word: "FORMAT".into(),
        typed: String::new(),
    });
    for c in "FORMA".chars() {
        s.update(Action::Type(c));
    }
    assert!(
        s.update(Action::Enter).is_empty(),
        "a partial word is not a yes"
    );
    assert!(s.popup.is_some());
    s.update(Action::Type('T'));
    assert_eq!(s.update(Action::Enter), [Effect::Quit]);
}

#[test]
fn quit_and_step_moves() {
    let mut s = state();
    s.update(Action::PrevPanel);
    assert_eq!(s.step, Step::Diagnose);
    s.update(Action::NextPanel);
    assert_eq!(s.step, Step::Connect);
    s.update(Action::GoTo(Step::Flash));
    assert_eq!(s.step, Step::Flash);
    assert_eq!(s.update(Action::Quit), [Effect::Quit]);
}

#[test]
fn an_unknown_error_name_is_reported_in_the_panel_not_as_a_crash() {
    let mut s = state();
    s.update(Action::AskText(TextPurpose::ErrorCode));
    for c in "S_NO_SUCH_THING_AT_ALL".chars() {
        s.update(Action::Type(c));
    }
    s.update(Action::Enter);
    assert_eq!(s.step, Step::Diagnose);
    assert!(matches!(s.diagnose.explained, Some((_, Err(_)))));
}

#[test]
fn the_log_pane_is_bounded() {
    let mut s = state();
    for i in 0..(LOG_LINES + 50) {
        s.push_log(LogLevel::Info, i.to_string());
    }
    assert_eq!(s.log.len(), LOG_LINES);
    assert_eq!(s.log.last().unwrap().text, (LOG_LINES + 49).to_string());
}

fn transfer(op: OpKind) -> ProgressEvent {
    ProgressEvent::Started {
        op,
        name: "ANDROID".into(),
        total: 1000,
    }
}

#[test]
fn quitting_mid_write_asks_and_then_cancels_between_packets() {
    let mut s = state();
    s.update(Action::Progress(transfer(OpKind::Write)));
    assert!(s.update(Action::Quit).is_empty(), "asks first");
    assert!(matches!(s.popup, Some(Popup::Confirm { .. })));
    assert!(s.update(Action::No).is_empty());
    assert!(s.popup.is_none() && !s.quit);
    s.update(Action::Quit);
    assert_eq!(s.update(Action::Yes), [Effect::CancelJob]);
    assert!(!s.quit, "quits only once the job stopped");
    let end = s.update(Action::JobEnded(Err(("cancelled".into(), "replug".into()))));
    assert_eq!(end, [Effect::Quit]);
    assert!(s.popup.is_none(), "no error popup on the way out");
}

#[test]
fn quitting_during_a_read_does_not_ask() {
    let mut s = state();
    s.update(Action::Progress(transfer(OpKind::Read)));
    assert_eq!(s.update(Action::Quit), [Effect::Quit]);
}

#[test]
fn a_failed_session_shows_what_and_how_to_arm_again() {
    let mut s = state();
    s.update(Action::JobEnded(Err((
        "no MediaTek port appeared".into(),
        "hold VOL-DOWN".into(),
    ))));
    assert_eq!(s.status(Step::Connect), StepStatus::Failed);
    let Some(Popup::Error { next, .. }) = &s.popup else {
        panic!("{:?}", s.popup)
    };
    assert!(next.contains("hold VOL-DOWN") && next.contains("Enter"));
    s.update(Action::Back);
    assert_eq!(s.update(Action::Enter), [Effect::Visit]);
    assert_eq!(s.status(Step::Connect), StepStatus::Busy);
}

#[test]
fn progress_gives_rate_and_eta_from_the_events_alone() {
    let mut s = state();
    s.update(Action::Progress(ProgressEvent::PlanReady {
        steps: vec![
            PlannedStep {
                op: OpKind::Write,
                name: "A".into(),
                region: "user",
                offset: 0,
                len: 2_000_000,
            },
            PlannedStep {
                op: OpKind::Write,
                name: "B".into(),
                region: "user",
                offset: 0,
                len: 2_000_000,
            },
        ],
    }));
    s.update(Action::Progress(ProgressEvent::Started {
        op: OpKind::Write,
        name: "A".into(),
        total: 2_000_000,
    }));
    s.update(Action::Progress(ProgressEvent::Advanced {
        op: OpKind::Write,
        done: 1_000_000,
        total: 2_000_000,
        elapsed: Duration::from_secs(1),
    }));
    assert_eq!(s.job.done(), 1_000_000);
    assert_eq!(s.job.rate(), 1.0);
    assert_eq!(s.job.eta_secs(), Some(3));
}

#[test]
fn the_repair_starts_only_on_a_phone_waiting_for_its_choice() {
    let mut s = state();
    s.repair.rom = Some("/lib/fits".into());
    s.step = Step::Flash;
    s.session = DeviceState::Idle;
    assert!(s.update(Action::Enter).is_empty(), "no visit waits");
    let Some(Popup::Error { next, .. }) = &s.popup else {
        panic!("{:?}", s.popup)
    };
    assert!(next.contains("arm"), "{next}");
    s.update(Action::Back);
    s.update(Action::Choosing {
        port: "/dev/ttyACM0".into(),
        refused: None,
    });
    assert_eq!(s.status(Step::Flash), StepStatus::Ready);
    assert_eq!(
        s.update(Action::Enter),
        [Effect::Choose {
            rom: "/lib/fits".into(),
            mode: crate::flash::Mode::DownloadOnly,
            marking: None,
        }]
    );
    assert!(s.repair.running && !s.repair.choosing);
    assert_eq!(s.status(Step::Flash), StepStatus::Busy);
}

#[test]
fn the_mode_is_chosen_while_the_connected_phone_waits_for_the_choice() {
    let mut s = state();
    s.repair.rom = Some("/lib/other-layout".into());
    s.step = Step::Flash;
    s.session = DeviceState::Busy;
    s.update(Action::Right);
    assert_eq!(
        s.repair.mode,
        crate::flash::Mode::DownloadOnly,
        "no mode change while a job writes"
    );
    s.update(Action::Choosing {
        port: "/dev/ttyACM0".into(),
        refused: None,
    });
    s.update(Action::Down);
    s.update(Action::Down);
    assert_eq!(
        s.repair.mode,
        crate::flash::Mode::FormatAll,
        "↓ walks the list"
    );
    s.update(Action::Left);
    assert_eq!(
        s.update(Action::Enter),
        [Effect::Choose {
            rom: "/lib/other-layout".into(),
            mode: crate::flash::Mode::FirmwareUpgrade,
            marking: None,
        }]
    );
    s.update(Action::Left);
    assert_eq!(
        s.repair.mode,
        crate::flash::Mode::FirmwareUpgrade,
        "the repair runs: its mode stays"
    );
}

#[test]
fn a_refused_choice_says_why_and_that_the_phone_stays_connected() {
    let mut s = state();
    s.update(Action::Choosing {
        port: "/dev/ttyACM0".into(),
        refused: Some((
            "this ROM is for NAND; the phone has eMMC".into(),
            "choose an eMMC ROM".into(),
        )),
    });
    assert!(s.repair.choosing);
    assert_eq!(s.session, DeviceState::Busy);
    let Some(Popup::Error { what, next, .. }) = &s.popup else {
        panic!("{:?}", s.popup)
    };
    assert!(what.contains("NAND"));
    assert!(
        next.contains("Choose an eMMC ROM. Nothing was written")
            && next.contains("stays connected"),
        "{next}"
    );
}

#[test]
fn the_resume_key_is_offered_only_while_the_journal_knows_an_interrupted_job() {
    use crate::tui::keymap::{Mode, Offers, hints};
    let mut s = state();
    s.step = Step::Flash;
    let offered = |s: &AppState| hints(Mode::of(s), true).iter().any(|h| h.keys == "u");
    assert_eq!(Offers::of(&s), Offers::default());
    assert!(!offered(&s), "no interrupted job: no u on the hint line");
    s.update(Action::Unfinished(None));
    assert!(!offered(&s), "the journal found none");
    let record = crate::flash::record::JobRecord {
        id: "flash-1".into(),
        fingerprint: crate::backup::tests::fingerprint("15010053"),
        rom: "/lib/a516".into(),
        mode: crate::flash::Mode::DownloadOnly,
        selection: None,
        preloader_of_another_board: false,
        verify: true,
        erases_identity: false,
        backup: None,
        steps: Vec::new(),
    };
    s.update(Action::Unfinished(Some(Box::new(record))));
    assert!(offered(&s), "an interrupted job: u resumes it");
}

#[test]
fn a_refused_layout_names_the_mode_by_its_keys_not_a_flag() {
    let e: crate::Error = crate::flash::PlanError::LayoutDiffers {
        differences: Vec::new(),
    }
    .into();
    let mut s = state();
    s.update(Action::Choosing {
        port: "/dev/ttyACM0".into(),
        refused: Some((e.to_string(), text::next_step(&e))),
    });
    let Some(Popup::Error { next, .. }) = &s.popup else {
        panic!("{:?}", s.popup)
    };
    assert!(
        next.starts_with("Choose Firmware Upgrade (5, then ←/→): it backs up the NVRAM set"),
        "{next}"
    );
    assert!(
        next.contains("or pick a ROM with this phone's layout (3). Nothing was written"),
        "{next}"
    );
    assert!(
        !next.contains("--"),
        "the workstation speaks in keys: {next}"
    );
    // Advice without a remedy passes as the library gives it.
    let other: crate::Error = crate::flash::PlanError::NotConfirmed.into();
    assert_eq!(text::next_step(&other), other.help());
}

#[test]
fn a_dead_phones_preloader_names_where_it_came_from() {
    use crate::device::dram::{DramReport, EmiSource};
    use crate::firmware::preloader::PreloaderIdentity;
    let p = PreloaderIdentity {
        build_name: None,
        project: Some("a516_row".into()),
        emi_version: Some(11),
    };
    assert_eq!(text::preloader(&p, None), "a516_row, EMI v11");
    let mut d = DramReport {
        source: EmiSource::Backup {
            id: "emmc-1501/20261203T182436Z".into(),
        },
        project: None,
        version: 11,
        flash_id: String::new(),
        ram_size: 0x2000_0000,
        chip_select: 0,
        checksum_matches: true,
    };
    assert_eq!(
        text::preloader(&p, Some(&d)),
        "a516_row, EMI v11 (from this phone's backup emmc-1501/20261203T182436Z; the phone's \
         own is missing or foreign)"
    );
    assert_eq!(
        text::dead_boot(&d, true).len(),
        1,
        "the source is named once"
    );
    d.source = EmiSource::Rom {
        file: "preloader_a516_row.bin".into(),
    };
    assert!(text::preloader(&p, Some(&d)).contains("(from the ROM's preloader preloader_a516"));
    let unnamed = text::dead_boot(&d, false);
    assert!(unnamed[1].contains("preloader_a516_row.bin"), "{unnamed:?}");
}

#[test]
fn w_on_the_report_writes_the_job_sheet_once_and_only_after_a_repair() {
    let mut s = state();
    s.step = Step::Report;
    // No repair has ended: nothing to write, and the log says what to do.
    assert!(s.update(Action::WriteSheet).is_empty());
    assert!(s.log.last().unwrap().text.starts_with("No job sheet yet"));

    // Written (the headless demo repair presses w after a real repair): a second press
    // only says where the sheet is, and writes nothing.
    let path = std::path::PathBuf::from("/data/sheets/job-7.txt");
    assert!(s.update(Action::SheetWritten(Ok(path.clone()))).is_empty());
    assert_eq!(s.repair.sheet_file.as_ref(), Some(&path));
    assert!(s.update(Action::WriteSheet).is_empty());
    assert!(
        s.log
            .last()
            .unwrap()
            .text
            .contains("/data/sheets/job-7.txt")
    );

    // A failure is a popup that says the repair itself is recorded.
    s.repair.sheet_file = None;
    s.update(Action::SheetWritten(Err("disk full".into())));
    assert!(matches!(s.popup, Some(Popup::Error { .. })));
    assert!(s.repair.sheet_file.is_none());
}
