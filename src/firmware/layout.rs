//! Comparing two partition layouts of one storage area by name: a phone's table against a
//! board profile (board ranking). A ROM's scatter against a board is
//! [`crate::firmware::board::check`]'s.
//!
//! Partitions are compared by name (any case). The last partition of each layout is the one a
//! phone grows to fill its flash (a scatter's USRDATA size is a minimum, a profile may write
//! 0), so its size is not compared, only its start. Pure: lists in, differences out; knows no
//! phone.

use serde::{Deserialize, Serialize};

/// One partition of a data area (the eMMC user area, or the NAND array).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Partition name.
    pub name: String,
    /// Start in the area, bytes.
    pub offset: u64,
    /// Size, bytes (0: up to the end).
    pub size: u64,
}

impl Span {
    /// A span.
    pub fn new(name: &str, offset: u64, size: u64) -> Span {
        Span {
            name: name.to_string(),
            offset,
            size,
        }
    }
}

/// One way two layouts differ. "Here" is the layout compared from (the phone), "there" the
/// other (a profile or a ROM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Difference {
    /// Only here.
    OnlyHere {
        /// The partition.
        name: String,
    },
    /// Only there.
    OnlyThere {
        /// The partition.
        name: String,
    },
    /// Starts elsewhere.
    Moved {
        /// The partition.
        name: String,
        /// Start here.
        here: u64,
        /// Start there.
        there: u64,
    },
    /// Same start, another size.
    Resized {
        /// The partition.
        name: String,
        /// Size here.
        here: u64,
        /// Size there.
        there: u64,
    },
}

impl Difference {
    /// The difference in a technician's words; `here` and `there` name the two sides ("the
    /// phone", "the ROM").
    pub fn describe(&self, here: &str, there: &str) -> String {
        match self {
            Difference::OnlyHere { name } => format!("{name} is on {here} but not in {there}"),
            Difference::OnlyThere { name } => format!("{name} is in {there} but not on {here}"),
            Difference::Moved {
                name,
                here: a,
                there: b,
            } => format!("{name} starts at {a:#x} on {here} but at {b:#x} in {there}"),
            Difference::Resized {
                name,
                here: a,
                there: b,
            } => format!("{name} is {a:#x} bytes on {here} but {b:#x} in {there}"),
        }
    }
}

/// The last partition by start (the one that fills the flash).
fn last(spans: &[Span]) -> Option<&Span> {
    spans.iter().max_by_key(|s| s.offset)
}

/// How `there` differs from `here`, in `here`'s order then `there`'s extras; empty when the
/// layouts are the same.
pub fn diff(here: &[Span], there: &[Span]) -> Vec<Difference> {
    let find = |list: &[Span], name: &str| -> Option<usize> {
        list.iter().position(|s| s.name.eq_ignore_ascii_case(name))
    };
    let last_here = last(here).map(|s| s.name.to_ascii_uppercase());
    let last_there = last(there).map(|s| s.name.to_ascii_uppercase());
    let mut out = Vec::new();
    for a in here {
        let Some(b) = find(there, &a.name).map(|i| &there[i]) else {
            out.push(Difference::OnlyHere {
                name: a.name.clone(),
            });
            continue;
        };
        let upper = Some(a.name.to_ascii_uppercase());
        let open_end = upper == last_here || upper == last_there || a.size == 0 || b.size == 0;
        if a.offset != b.offset {
            out.push(Difference::Moved {
                name: a.name.clone(),
                here: a.offset,
                there: b.offset,
            });
        } else if a.size != b.size && !open_end {
            out.push(Difference::Resized {
                name: a.name.clone(),
                here: a.size,
                there: b.size,
            });
        }
    }
    for b in there {
        if find(here, &b.name).is_none() {
            out.push(Difference::OnlyThere {
                name: b.name.clone(),
            });
        }
    }
    out
}

/// At most `n` differences in words, joined, with "and K more" when there are more.
pub fn summary(diffs: &[Difference], here: &str, there: &str, n: usize) -> String {
    let mut parts: Vec<String> = diffs
        .iter()
        .take(n)
        .map(|d| d.describe(here, there))
        .collect();
    if diffs.len() > n {
        parts.push(format!("and {} more", diffs.len() - n));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone() -> Vec<Span> {
        vec![
            Span::new("MBR", 0, 0x80000),
            Span::new("UBOOT", 0x80000, 0x60000),
            Span::new("ANDROID", 0x100000, 0x4000_0000),
            Span::new("USRDATA", 0x4010_0000, 0x9000_0000),
        ]
    }

    #[test]
    fn the_same_layout_has_no_difference_even_with_another_last_size() {
        let mut rom = phone();
        rom[3].size = 0x6000_0000;
        rom[1].name = "uboot".into();
        assert!(diff(&phone(), &rom).is_empty());
    }

    #[test]
    fn moved_resized_and_missing_partitions_are_named() {
        let mut rom = phone();
        rom[1].size = 0x40000;
        rom[3].offset = 0x5010_0000;
        rom.push(Span::new("CUSTPACK", 0x9000_0000, 0x100));
        rom.remove(0);
        let d = diff(&phone(), &rom);
        assert_eq!(
            d,
            vec![
                Difference::OnlyHere { name: "MBR".into() },
                Difference::Resized {
                    name: "UBOOT".into(),
                    here: 0x60000,
                    there: 0x40000
                },
                Difference::Moved {
                    name: "USRDATA".into(),
                    here: 0x4010_0000,
                    there: 0x5010_0000
                },
                Difference::OnlyThere {
                    name: "CUSTPACK".into()
                },
            ]
        );
        assert_eq!(
            d[2].describe("the phone", "the ROM"),
            "USRDATA starts at 0x40100000 on the phone but at 0x50100000 in the ROM"
        );
        assert_eq!(
            summary(&d, "the phone", "the ROM", 1),
            "MBR is on the phone but not in the ROM; and 3 more"
        );
    }
}
