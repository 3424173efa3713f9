//! Which board is this? Ranks the board profiles against what was learned from a phone
//! ([`BoardEvidence`]: storage, layout, preloader project and EMI version, RAM, panel drivers,
//! the marking printed on the board), each candidate with a confidence and its reasons in a
//! technician's words. "Unknown board" is a valid answer: when no profile is convincing the
//! ranking says so, and later steps allow only what is safe without a profile.
//!
//! Pure: evidence and profiles in, a ranking out. Knows no phone: the device layer builds the
//! evidence from its fingerprint.

use serde::{Deserialize, Serialize};

use crate::{
    firmware::layout::{self, Span},
    profile::{BoardProfile, Registry, StorageKind},
};

/// What a phone showed about its board.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardEvidence {
    /// eMMC or NAND (`None`: neither, e.g. NOR).
    pub storage: Option<StorageKind>,
    /// eMMC boot region (EMMC_BOOT_1) size.
    pub boot_region_size: Option<u64>,
    /// External RAM size.
    pub ram_size: Option<u64>,
    /// The partitions of the data area (eMMC user area, NAND array).
    pub layout: Vec<Span>,
    /// The profile whose layout named an MBR/EBR table (the table has no names itself).
    pub layout_named_by: Option<String>,
    /// The project the phone's preloader was built for.
    pub preloader_project: Option<String>,
    /// The preloader's EMI info version.
    pub emi_version: Option<u32>,
    /// Panel drivers in the phone's own UBOOT.
    pub lcm: Vec<String>,
    /// What is printed on the board, as typed.
    pub pcb_marking: Option<String>,
}

/// Whether a reason speaks for or against a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    /// Speaks for it.
    Good,
    /// Speaks against it.
    Bad,
    /// Could not be checked.
    Unknown,
}

/// One reason, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// For, against, or unchecked.
    pub fit: Fit,
    /// What was compared and what came out.
    pub text: String,
}

/// One ranked profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Profile id.
    pub profile: String,
    /// 0.0 (nothing fits) to 1.0 (everything checked fits), two decimals.
    pub confidence: f64,
    /// Why, most telling first.
    pub reasons: Vec<Reason>,
}

/// The ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardRanking {
    /// Every profile of the same storage type, best first.
    pub candidates: Vec<Candidate>,
    /// The profile to use, when one is convincing; `None`: unknown board.
    pub best: Option<String>,
    /// The verdict in a line.
    pub summary: String,
}

/// The least confidence that makes a candidate the board.
pub const CONVINCING: f64 = 0.6;

/// Weights of the checks (points won when it fits, lost when it contradicts).
const PROJECT: i32 = 40;
const LAYOUT: i32 = 30;
const MARKING: i32 = 25;
const PANEL: i32 = 10;
const BOOT_REGION: i32 = 5;
const RAM: i32 = 5;
const EMI: i32 = 5;

/// The least evidence a confidence is measured against: a profile that matched on a detail
/// or two (boot region, RAM) while nothing weighty could be checked stays unconvincing.
const MIN_BASIS: i32 = 50;

/// A running score.
#[derive(Default)]
struct Score {
    won: i32,
    possible: i32,
    reasons: Vec<(i32, Reason)>,
}

impl Score {
    fn good(&mut self, weight: i32, text: String) {
        self.won += weight;
        self.possible += weight;
        self.reasons.push((
            weight,
            Reason {
                fit: Fit::Good,
                text,
            },
        ));
    }

    fn bad(&mut self, weight: i32, text: String) {
        self.won -= weight;
        self.possible += weight;
        self.reasons.push((
            weight,
            Reason {
                fit: Fit::Bad,
                text,
            },
        ));
    }

    fn unknown(&mut self, text: String) {
        self.reasons.push((
            0,
            Reason {
                fit: Fit::Unknown,
                text,
            },
        ));
    }

    fn confidence(&self) -> f64 {
        let c = f64::from(self.won.max(0)) / f64::from(self.possible.max(MIN_BASIS));
        (c * 100.0).round() / 100.0
    }
}

/// Letters and digits only, upper case: how markings are compared (`S4511-MB V1.2` equals
/// `s4511mbv12`).
fn normalise_marking(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The profile's layout as spans of its data area.
pub fn profile_spans(profile: &BoardProfile) -> Vec<Span> {
    profile
        .layout
        .iter()
        .map(|p| Span::new(&p.name, p.offset, p.size))
        .collect()
}

/// A size as a technician reads it: `512 MiB`, `1 GiB`.
pub fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GiB", bytes >> 30)
    } else if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes:#x} bytes")
    }
}

/// How well `profile` fits `ev`.
pub fn score(profile: &BoardProfile, ev: &BoardEvidence) -> Candidate {
    assess(profile, ev).0
}

/// The candidate, and whether the phone's preloader project contradicts the profile's (which
/// rules the profile out as "the board" whatever else fits: its preloader would not boot it).
fn assess(profile: &BoardProfile, ev: &BoardEvidence) -> (Candidate, bool) {
    let mut s = Score::default();
    let mut contradicted = false;
    let projects: Vec<&str> = profile
        .preloader
        .iter()
        .map(|p| p.project.as_str())
        .chain(profile.projects.iter().map(String::as_str))
        .collect();
    match (&ev.preloader_project, projects.first()) {
        (Some(p), Some(_)) if projects.iter().any(|q| q.eq_ignore_ascii_case(p)) => s.good(
            PROJECT,
            format!("the phone's preloader was built for project {p}, this board's project"),
        ),
        (Some(p), Some(q)) => {
            contradicted = true;
            s.bad(
                PROJECT,
                format!("the phone's preloader is for project {p}, this board's is {q}"),
            )
        }
        (None, _) => s.unknown("the phone's preloader project could not be read".into()),
        (Some(_), None) => s.unknown("this profile records no preloader project".into()),
    }
    let spans = profile_spans(profile);
    let named_by_it = ev.layout_named_by.as_deref() == Some(profile.id.as_str());
    if named_by_it {
        s.good(
            LAYOUT,
            "the phone's MBR/EBR partition table matches this board's layout".into(),
        );
    } else if ev.layout.is_empty() {
        s.unknown("the phone's partition table could not be read".into());
    } else {
        let d = layout::diff(&ev.layout, &spans);
        if d.is_empty() {
            s.good(
                LAYOUT,
                format!(
                    "partition layout equal ({} partitions, same starts and sizes)",
                    spans.len()
                ),
            );
        } else {
            s.bad(
                LAYOUT,
                format!(
                    "partition layout differs: {}",
                    layout::summary(&d, "the phone", "the profile", 2)
                ),
            );
        }
    }
    if let Some(marking) = ev.pcb_marking.as_deref().filter(|m| !m.trim().is_empty()) {
        let typed = normalise_marking(marking);
        match profile
            .pcb_markings
            .iter()
            .find(|m| normalise_marking(m) == typed)
        {
            Some(m) => s.good(MARKING, format!("board marking {m} matches")),
            None if profile.pcb_markings.is_empty() => s.unknown(format!(
                "board marking {marking}: this profile records none"
            )),
            None => s.bad(
                MARKING,
                format!(
                    "board marking {marking} is not this board's ({})",
                    profile.pcb_markings.join(", ")
                ),
            ),
        }
    }
    if profile.lcm.drivers.is_empty() {
        s.unknown("this profile records no panel driver".into());
    } else if ev.lcm.is_empty() {
        s.unknown("no panel driver could be read from the phone's UBOOT".into());
    } else {
        let shared: Vec<&str> = ev
            .lcm
            .iter()
            .filter(|d| profile.lcm.drivers.iter().any(|p| p == *d))
            .map(String::as_str)
            .collect();
        if shared.is_empty() {
            s.bad(
                PANEL,
                format!(
                    "none of this board's panel drivers ({}) is in the phone's UBOOT",
                    profile.lcm.drivers.join(", ")
                ),
            );
        } else {
            s.good(
                PANEL,
                format!(
                    "panel driver {} present in the phone's UBOOT",
                    shared.join(", ")
                ),
            );
        }
    }
    if let (Some(a), Some(b)) = (ev.boot_region_size, profile.storage.boot_region_size) {
        if a == b {
            s.good(
                BOOT_REGION,
                format!("boot region {} as on this board", human_size(a)),
            );
        } else {
            s.bad(
                BOOT_REGION,
                format!(
                    "boot region {} on the phone, {} on this board",
                    human_size(a),
                    human_size(b)
                ),
            );
        }
    }
    match (ev.ram_size, profile.ram_size) {
        (Some(a), Some(b)) if a == b => {
            s.good(RAM, format!("RAM {} as on this board", human_size(a)))
        }
        (Some(a), Some(b)) => s.bad(
            RAM,
            format!(
                "RAM {} on the phone, {} on this board",
                human_size(a),
                human_size(b)
            ),
        ),
        _ => {}
    }
    let profile_emi = profile
        .preloader
        .as_ref()
        .and_then(|p| p.bloader_info_version);
    match (ev.emi_version, profile_emi) {
        (Some(a), Some(b)) if a == b => s.good(EMI, format!("EMI info v{a} as on this board")),
        (Some(a), Some(b)) => s.bad(
            EMI,
            format!("EMI info v{a} on the phone, v{b} on this board"),
        ),
        _ => {}
    }
    if profile.reference {
        s.unknown(
            "a reference profile, not a retail board: never write a real phone with it".into(),
        );
    }
    let confidence = s.confidence();
    // Most telling first: heavier checks first, against before for at equal weight.
    s.reasons
        .sort_by_key(|(w, r)| (std::cmp::Reverse(*w), r.fit != Fit::Bad));
    let candidate = Candidate {
        profile: profile.id.clone(),
        confidence,
        reasons: s.reasons.into_iter().map(|(_, r)| r).collect(),
    };
    (candidate, contradicted)
}

/// Ranks every profile of the phone's storage type against `ev`, best first.
pub fn rank(registry: &Registry, ev: &BoardEvidence) -> BoardRanking {
    let mut assessed: Vec<(Candidate, bool)> = registry
        .iter()
        .map(|r| &r.profile)
        .filter(|p| ev.storage.is_none_or(|k| k == p.storage.kind))
        .map(|p| assess(p, ev))
        .collect();
    assessed.sort_by(|(a, _), (b, _)| {
        b.confidence
            .total_cmp(&a.confidence)
            .then_with(|| a.profile.cmp(&b.profile))
    });
    let best = assessed
        .first()
        .filter(|(c, contradicted)| c.confidence >= CONVINCING && !contradicted)
        .map(|(c, _)| c.profile.clone());
    let candidates: Vec<Candidate> = assessed.into_iter().map(|(c, _)| c).collect();
    let summary = match (&best, candidates.first()) {
        (Some(id), Some(c)) => format!("board {id} ({:.0} % confidence)", c.confidence * 100.0),
        (None, Some(c)) => format!(
            "unknown board: no profile fits well enough (closest {} at {:.0} %); only what is \
             safe without a profile is allowed",
            c.profile,
            c.confidence * 100.0
        ),
        (None, None) | (Some(_), None) => "unknown board: no profile of this storage type; only \
             what is safe without a profile is allowed"
            .into(),
    };
    BoardRanking {
        candidates,
        best,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a healthy phone of `profile`'s board shows.
    fn evidence_of(profile: &BoardProfile) -> BoardEvidence {
        BoardEvidence {
            storage: Some(profile.storage.kind),
            boot_region_size: profile.storage.boot_region_size,
            ram_size: profile.ram_size,
            layout: profile_spans(profile),
            layout_named_by: None,
            preloader_project: profile
                .preloader
                .as_ref()
                .map(|p| p.project.clone())
                .or_else(|| profile.projects.first().cloned())
                .or_else(|| Some(profile.id.clone())),
            emi_version: profile
                .preloader
                .as_ref()
                .and_then(|p| p.bloader_info_version),
            lcm: profile.lcm.drivers.iter().take(1).cloned().collect(),
            pcb_marking: None,
        }
    }

    #[test]
    fn every_shipped_board_ranks_itself_first() {
        let reg = Registry::builtin();
        for entry in reg.iter() {
            let r = rank(&reg, &evidence_of(&entry.profile));
            assert_eq!(r.best.as_deref(), Some(entry.profile.id.as_str()), "{r:#?}");
            assert_eq!(r.candidates[0].profile, entry.profile.id);
            assert!(r.candidates[0].confidence >= CONVINCING);
            assert!(
                r.candidates
                    .iter()
                    .all(|c| c.confidence <= 1.0 && c.confidence >= 0.0)
            );
        }
    }

    #[test]
    fn reasons_say_what_matched_in_words() {
        let reg = Registry::builtin();
        let a516 = &reg.get("a516_row").unwrap().profile;
        let r = rank(&reg, &evidence_of(a516));
        let texts: Vec<&str> = r.candidates[0]
            .reasons
            .iter()
            .map(|r| r.text.as_str())
            .collect();
        assert_eq!(
            texts[0],
            "the phone's preloader was built for project a516_row, this board's project"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("partition layout equal")),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("panel driver hx8369b_fwvga_dsi_vdo present"))
        );
        assert!(texts.iter().any(|t| t == &"EMI info v11 as on this board"));
        assert_eq!(r.summary, "board a516_row (100 % confidence)");
        // Another board's candidate says where the layouts part.
        let other = r.candidates.iter().find(|c| c.profile == "yarisl").unwrap();
        assert!(
            other
                .reasons
                .iter()
                .any(|r| r.fit == Fit::Bad && r.text.starts_with("partition layout differs: "))
        );
    }

    #[test]
    fn a_board_with_no_profile_is_unknown() {
        let reg = Registry::builtin();
        let ev = BoardEvidence {
            storage: Some(StorageKind::Emmc),
            boot_region_size: Some(0x40_0000),
            ram_size: Some(1 << 30),
            layout: vec![Span::new("MBR", 0, 0x4000), Span::new("ANDROID", 0x4000, 0)],
            preloader_project: Some("nobody_knows_me".into()),
            emi_version: Some(9),
            lcm: vec!["rm68180_fwvga_dsi_vdo".into()],
            ..BoardEvidence::default()
        };
        let r = rank(&reg, &ev);
        assert_eq!(r.best, None);
        assert!(r.summary.starts_with("unknown board"), "{}", r.summary);
        assert!(r.candidates.iter().all(|c| c.confidence < CONVINCING));
    }

    #[test]
    fn another_project_is_never_the_board_even_with_the_same_layout() {
        let reg = Registry::builtin();
        let a516 = &reg.get("a516_row").unwrap().profile;
        let ev = BoardEvidence {
            preloader_project: Some("a516_clone".into()),
            ..evidence_of(a516)
        };
        let r = rank(&reg, &ev);
        assert_eq!(r.candidates[0].profile, "a516_row");
        assert_eq!(r.best, None, "{r:#?}");
    }

    #[test]
    fn a_detail_alone_convinces_nobody() {
        let reg = Registry::builtin();
        let ev = BoardEvidence {
            storage: Some(StorageKind::Emmc),
            boot_region_size: Some(0x60_0000),
            ..BoardEvidence::default()
        };
        let r = rank(&reg, &ev);
        assert_eq!(r.best, None, "{r:#?}");
        assert!(r.candidates[0].confidence <= 0.1);
        // The MBR named by a profile, and the same boot region: that board.
        let ev = BoardEvidence {
            layout_named_by: Some("a516_row".into()),
            ..ev
        };
        assert_eq!(rank(&reg, &ev).best.as_deref(), Some("a516_row"));
    }

    #[test]
    fn a_marking_speaks_for_or_against() {
        let mut p = Registry::builtin().get("a516_row").unwrap().profile.clone();
        p.pcb_markings = vec!["A516-MB-V1.2".into()];
        let mut ev = evidence_of(&p);
        ev.pcb_marking = Some("a516 mb v12".into());
        let c = score(&p, &ev);
        assert!(
            c.reasons
                .iter()
                .any(|r| r.fit == Fit::Good && r.text == "board marking A516-MB-V1.2 matches")
        );
        ev.pcb_marking = Some("X9-MAIN".into());
        let c2 = score(&p, &ev);
        assert!(c2.confidence < c.confidence);
        assert!(
            c2.reasons
                .iter()
                .any(|r| r.fit == Fit::Bad && r.text.contains("X9-MAIN"))
        );
    }

    #[test]
    fn another_storage_type_is_not_a_candidate() {
        let reg = Registry::builtin();
        let nand = &reg.get("ref_nand_2k").unwrap().profile;
        let r = rank(&reg, &evidence_of(nand));
        assert!(r.candidates.iter().all(|c| c.profile == "ref_nand_2k"));
        assert!(
            r.candidates[0]
                .reasons
                .iter()
                .any(|r| r.text.starts_with("a reference profile"))
        );
    }
}
