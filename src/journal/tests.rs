use std::time::{Duration, UNIX_EPOCH};

use super::*;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// 2026-12-03T10:00:00Z
const DAY: u64 = 1_796_292_000;

fn backup_job(device: &str) -> NewJob {
    NewJob {
        device_key: Some(device.into()),
        profile: Some("a516_row".into()),
        backup_id: Some("20261203T100000Z".into()),
        ..NewJob::default()
    }
}

fn part(name: &str, bytes: u64, ok: bool) -> PartitionResult {
    PartitionResult {
        partition: name.into(),
        action: "read".into(),
        bytes,
        millis: 100,
        sha256: Some("ab".repeat(32)),
        ok,
        error: (!ok).then(|| "the phone stopped answering".into()),
    }
}

#[test]
fn a_job_keeps_everything_it_was_told() {
    let j = Journal::in_memory().unwrap();
    let id = j
        .start_at(JobKind::Backup, &backup_job("emmc-15"), at(DAY))
        .unwrap();
    assert_eq!(j.get(id).unwrap().outcome, Outcome::Running);
    j.add_partition(id, &part("NVRAM", 0x50_0000, true))
        .unwrap();
    j.add_partition(id, &part("PRO_INFO", 0x30_0000, true))
        .unwrap();
    j.update(
        id,
        &NewJob {
            transcript: Some("/logs/t.txt".into()),
            ..NewJob::default()
        },
    )
    .unwrap();
    j.finish_at(id, Outcome::Done, None, 2000, at(DAY + 2))
        .unwrap();
    let r = j.get(id).unwrap();
    assert_eq!(r.kind, JobKind::Backup);
    assert_eq!(r.started, "2026-12-03T10:00:00Z");
    assert_eq!(r.finished.as_deref(), Some("2026-12-03T10:00:02Z"));
    assert_eq!(r.outcome, Outcome::Done);
    assert_eq!(r.job.device_key.as_deref(), Some("emmc-15"));
    assert_eq!(r.job.backup_id.as_deref(), Some("20261203T100000Z"));
    // update() keeps what it was not given.
    assert_eq!(r.job.profile.as_deref(), Some("a516_row"));
    assert_eq!(r.job.transcript.as_deref(), Some("/logs/t.txt"));
    assert_eq!(r.bytes, 0x80_0000);
    assert_eq!(r.throughput, Some(0x80_0000 / 2));
    let names: Vec<&str> = r.partitions.iter().map(|p| p.partition.as_str()).collect();
    assert_eq!(names, ["NVRAM", "PRO_INFO"]);
    assert!(matches!(j.get(99), Err(JournalError::NoJob(99))));
    assert!(matches!(
        j.finish(99, Outcome::Done, None, 0),
        Err(JournalError::NoJob(99))
    ));
}

#[test]
fn history_filters_by_device_date_kind_and_outcome() {
    let j = Journal::in_memory().unwrap();
    let a = j
        .start_at(JobKind::Backup, &backup_job("A"), at(DAY))
        .unwrap();
    j.finish_at(a, Outcome::Done, None, 10, at(DAY)).unwrap();
    let b = j
        .start_at(JobKind::Flash, &backup_job("A"), at(DAY + 86_400))
        .unwrap();
    j.finish_at(
        b,
        Outcome::Failed,
        Some("S_DA_TIMEOUT"),
        10,
        at(DAY + 86_400),
    )
    .unwrap();
    let c = j
        .start_at(JobKind::Identify, &backup_job("B"), at(DAY + 2 * 86_400))
        .unwrap();
    let ids = |f: Filter| -> Vec<i64> { j.list(&f).unwrap().iter().map(|r| r.id).collect() };
    assert_eq!(ids(Filter::default()), [c, b, a]);
    let dev = |d: &str| Filter {
        device: Some(d.into()),
        ..Filter::default()
    };
    assert_eq!(ids(dev("A")), [b, a]);
    assert_eq!(ids(dev("nobody")), Vec::<i64>::new());
    let since = Filter {
        since: Some("2026-12-04".into()),
        ..Filter::default()
    };
    assert_eq!(ids(since), [c, b]);
    let one_day = Filter {
        since: Some("2026-12-04".into()),
        until: Some("2026-12-04".into()),
        ..Filter::default()
    };
    assert_eq!(ids(one_day), [b]);
    let failed = Filter {
        outcome: Some(Outcome::Failed),
        ..Filter::default()
    };
    assert_eq!(ids(failed), [b]);
    let running = Filter {
        kind: Some(JobKind::Identify),
        outcome: Some(Outcome::Running),
        ..Filter::default()
    };
    assert_eq!(ids(running), [c]);
}

#[test]
fn every_earlier_version_migrates_and_keeps_its_jobs() {
    for from in 0..schema::latest() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate_to(&mut conn, from).unwrap();
        assert_eq!(schema::version(&conn).unwrap(), from);
        if from >= 1 {
            // A job as version `from` stored it.
            conn.execute(
                "INSERT INTO jobs (kind, started, outcome, device_key, backup_id)
                 VALUES ('backup', '2026-01-02T03:04:05Z', 'done', 'emmc-old', 'B1')",
                [],
            )
            .unwrap();
            // And a flash the technician stopped, which versions before 3 called failed, next
            // to one that really failed.
            for error in [
                "stopped on request while writing: the phone is partly written",
                "the phone stopped answering",
            ] {
                conn.execute(
                    "INSERT INTO jobs (kind, started, outcome, device_key, error)
                     VALUES ('flash', '2026-01-02T03:04:06Z', 'failed', 'emmc-old', ?1)",
                    [error],
                )
                .unwrap();
            }
        }
        let j = Journal::with(conn).unwrap();
        assert_eq!(
            schema::version(&j.conn).unwrap(),
            schema::latest(),
            "from {from}"
        );
        let jobs = j.list(&Filter::default()).unwrap();
        if from >= 1 {
            assert_eq!(jobs.len(), 3, "from {from}");
            let outcome = |kind: JobKind, failed: bool| {
                jobs.iter()
                    .find(|r| {
                        r.kind == kind
                            && r.error.as_deref().is_some_and(|e| e.starts_with("stopped"))
                                != failed
                    })
                    .map(|r| r.outcome)
            };
            assert_eq!(outcome(JobKind::Flash, false), Some(Outcome::Cancelled));
            assert_eq!(outcome(JobKind::Flash, true), Some(Outcome::Failed));
            let old = jobs.iter().find(|r| r.kind == JobKind::Backup).unwrap();
            assert_eq!(old.job.device_key.as_deref(), Some("emmc-old"));
            assert_eq!(old.outcome, Outcome::Done);
            assert_eq!(old.bytes, 0);
            // The migrated journal takes new results.
            j.add_partition(old.id, &part("NVRAM", 10, true)).unwrap();
            assert_eq!(j.get(old.id).unwrap().partitions.len(), 1);
        } else {
            assert!(jobs.is_empty());
        }
    }
}

#[test]
fn a_journal_from_a_newer_mtkbench_is_refused_untouched() {
    let mut conn = Connection::open_in_memory().unwrap();
    schema::migrate_to(&mut conn, schema::latest()).unwrap();
    conn.pragma_update(None, "user_version", schema::latest() + 1)
        .unwrap();
    let err = Journal::with(conn).unwrap_err();
    assert!(matches!(err, JournalError::TooNew { .. }), "{err}");
    assert!(err.help().contains("newer mtkbench"));
}

#[test]
fn a_job_left_running_is_still_there_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let j = Journal::open_in(dir.path()).unwrap();
        let id = j.start(JobKind::Flash, &backup_job("A")).unwrap();
        j.add_partition(id, &part("UBOOT", 10, true)).unwrap();
        j.add_partition(id, &part("BOOTIMG", 10, false)).unwrap();
        id
    };
    let j = Journal::open_in(dir.path()).unwrap();
    let r = j.get(id).unwrap();
    assert_eq!(r.outcome, Outcome::Running);
    let done: Vec<&str> = r
        .partitions
        .iter()
        .filter(|p| p.ok)
        .map(|p| p.partition.as_str())
        .collect();
    assert_eq!(done, ["UBOOT"]);
}

#[test]
fn the_sheet_says_what_happened_to_the_identity() {
    let j = Journal::in_memory().unwrap();
    let id = j
        .start_at(JobKind::Backup, &backup_job("emmc-15"), at(DAY))
        .unwrap();
    j.add_partition(id, &part("NVRAM", 0x50_0000, true))
        .unwrap();
    j.finish_at(id, Outcome::Done, None, 125_000, at(DAY + 125))
        .unwrap();
    let s = sheet::sheet(&j.get(id).unwrap());
    let row = |l: &str| s.rows.iter().find(|(k, _)| k == l).unwrap().1.clone();
    assert_eq!(row("Date"), "2026-12-03 10:00:00 UTC (took 2 min 5 s)");
    assert_eq!(row("Phone ID"), "emmc-15");
    assert_eq!(row("Board"), "a516_row");
    assert!(row("Identity").starts_with("backed up and verified (backup 20261203T100000Z)"));
    assert!(row("Outcome").starts_with("done"));
    assert_eq!(s.partitions[0], "NVRAM        read          5 MiB  ok");

    let f = j
        .start_at(JobKind::Flash, &NewJob::default(), at(DAY))
        .unwrap();
    j.finish_at(
        f,
        Outcome::Failed,
        Some("the phone stopped answering"),
        10,
        at(DAY),
    )
    .unwrap();
    let s = sheet::sheet(&j.get(f).unwrap());
    let row = |l: &str| s.rows.iter().find(|(k, _)| k == l).unwrap().1.clone();
    assert_eq!(row("Outcome"), "not completed: the phone stopped answering");
    assert_eq!(row("Identity"), "not written by the flash");
    assert_eq!(row("Board"), "not identified");
}

#[test]
fn the_sheet_text_wraps_at_80_columns_and_a_stored_sheet_is_never_replaced() {
    let j = Journal::in_memory().unwrap();
    let id = j
        .start_at(JobKind::Backup, &backup_job("emmc-15"), at(DAY))
        .unwrap();
    j.add_partition(id, &part("NVRAM", 0x50_0000, true))
        .unwrap();
    let long = "the phone stopped answering while NVRAM was read back; ".repeat(3);
    j.finish_at(id, Outcome::Failed, Some(&long), 1_000, at(DAY + 1))
        .unwrap();
    let s = sheet::sheet(&j.get(id).unwrap());
    let text = s.text();
    assert!(text.starts_with(&format!(
        "{}\n  REPAIR JOB SHEET  -  job {id}\n",
        "=".repeat(72)
    )));
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    // The long outcome wraps under its label: every continuation is indented 12 columns.
    let outcome: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Outcome"))
        .take_while(|l| l.starts_with("Outcome") || l.starts_with(&" ".repeat(12)))
        .collect();
    assert!(outcome.len() > 1, "{text}");
    assert!(
        text.contains("  NVRAM        read          5 MiB  ok\n"),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let sheets = dir.path().join("sheets");
    let first = sheet::store(&s, &sheets).unwrap();
    assert_eq!(first, sheets.join(format!("job-{id}.txt")));
    std::fs::write(&first, "the customer's signed copy").unwrap();
    let second = sheet::store(&s, &sheets).unwrap();
    assert_eq!(second, sheets.join(format!("job-{id}-2.txt")));
    assert_eq!(
        std::fs::read_to_string(&first).unwrap(),
        "the customer's signed copy"
    );
    assert_eq!(std::fs::read_to_string(&second).unwrap(), text);
}
