//! `mtkbench history` and `mtkbench report` over a journal written through the library API
//! (as the device commands write it): filters, JSON, the job sheet, and a missing job.

mod common;

use std::time::{Duration, UNIX_EPOCH};

use common::{json, mtkbench_in};
use mtkbench::journal::{JobKind, Journal, NewJob, Outcome, PartitionResult};

/// 2026-12-03T10:00:00Z
const DAY: u64 = 1_796_292_000;

fn journal(home: &std::path::Path) -> (i64, i64) {
    let j = Journal::open_in(&home.join("data")).unwrap();
    let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
    let job = NewJob {
        device_key: Some("emmc-aa".into()),
        profile: Some("a516_row".into()),
        backup_id: Some("20261203T100000Z".into()),
        ..NewJob::default()
    };
    let a = j.start_at(JobKind::Backup, &job, at(DAY)).unwrap();
    j.add_partition(
        a,
        &PartitionResult {
            partition: "NVRAM".into(),
            action: "read".into(),
            bytes: 0x50_0000,
            millis: 900,
            sha256: None,
            ok: true,
            error: None,
        },
    )
    .unwrap();
    j.finish_at(a, Outcome::Done, None, 1000, at(DAY + 1))
        .unwrap();
    let other = NewJob {
        device_key: Some("emmc-bb".into()),
        ..NewJob::default()
    };
    let b = j
        .start_at(JobKind::Identify, &other, at(DAY + 86_400))
        .unwrap();
    j.finish_at(b, Outcome::Failed, Some("no phone"), 5, at(DAY + 86_400))
        .unwrap();
    (a, b)
}

#[test]
fn history_filters_and_report_writes_the_sheet() {
    let home = tempfile::tempdir().unwrap();
    let (a, b) = journal(home.path());
    let run = |args: &[&str]| mtkbench_in(home.path()).args(args).output().unwrap();

    let all = json(&run(&["history", "--json"]));
    let ids: Vec<i64> = all["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [b, a]);
    let one = json(&run(&["history", "--device", "emmc-aa", "--json"]));
    assert_eq!(one["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(one["jobs"][0]["partitions"][0]["partition"], "NVRAM");
    assert_eq!(one["jobs"][0]["throughput"], 0x50_0000);
    let failed = json(&run(&["history", "--outcome", "failed", "--json"]));
    assert_eq!(failed["jobs"][0]["id"], b);
    let since = json(&run(&["history", "--since", "2026-12-04", "--json"]));
    assert_eq!(since["jobs"].as_array().unwrap().len(), 1);

    let text = run(&["history"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("backup   done      emmc-aa backup 20261203T100000Z"),
        "{text}"
    );

    let sheet = run(&["report", &a.to_string()]);
    assert!(sheet.status.success());
    let sheet = String::from_utf8(sheet.stdout).unwrap();
    assert!(
        sheet.contains(&format!("REPAIR JOB SHEET  -  job {a}")),
        "{sheet}"
    );
    assert!(
        sheet.contains("Identity    backed up and verified"),
        "{sheet}"
    );
    assert!(sheet.lines().all(|l| l.chars().count() <= 80), "{sheet}");

    let out = home.path().join("sheet.txt");
    let o = out.to_str().unwrap();
    assert!(
        run(&["report", &a.to_string(), "--out", o])
            .status
            .success()
    );
    assert!(std::fs::read_to_string(&out).unwrap().contains("Outcome"));
    // Never over an existing file.
    assert_eq!(
        run(&["report", &b.to_string(), "--out", o]).status.code(),
        Some(2)
    );

    let missing = run(&["report", "999"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("mtkbench history"));
    let bad = run(&["history", "--since", "yesterday"]);
    assert_eq!(bad.status.code(), Some(2));
}
