//! The V1.1.x scatter format: `- general` and `- partition_index` blocks of `key: value` lines.
//!
//! Turns those blocks into partitions and hands them to [`finish`] for the checks every format
//! shares. It must not read files or know any other format.

use super::{
    Line, Partition, Region, Scatter, ScatterError, ScatterFormat, Storage, Warning, check::finish,
    excerpt, is_pseudo_address, label, parse_number,
};

const GENERAL_KEYS: [&str; 7] = [
    "general",
    "info",
    "config_version",
    "platform",
    "project",
    "storage",
    "boot_channel",
];
const GENERAL_NUMBERS: [&str; 1] = ["block_size"];
const PARTITION_KEYS: [&str; 14] = [
    "partition_index",
    "partition_name",
    "file_name",
    "is_download",
    "type",
    "linear_start_addr",
    "physical_start_addr",
    "partition_size",
    "region",
    "storage",
    "boundary_check",
    "is_reserved",
    "operation_type",
    "reserve",
];

struct Entry<'a> {
    line: usize,
    key: String,
    value: &'a str,
}

struct Block<'a> {
    line: usize,
    general: bool,
    entries: Vec<Entry<'a>>,
}

impl<'a> Block<'a> {
    fn get(&self, key: &str) -> Option<&Entry<'a>> {
        self.entries.iter().find(|e| e.key == key)
    }

    fn require(&self, key: &'static str, block: &str) -> Result<&Entry<'a>, ScatterError> {
        self.get(key).ok_or_else(|| ScatterError::MissingKey {
            line: self.line,
            block: block.to_string(),
            key,
        })
    }
}

impl Entry<'_> {
    fn number(&self) -> Result<u64, ScatterError> {
        parse_number(self.value).ok_or_else(|| ScatterError::NotANumber {
            line: self.line,
            key: self.key.clone(),
            value: self.value.to_string(),
        })
    }

    fn boolean(&self) -> Result<bool, ScatterError> {
        if self.value.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if self.value.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err(ScatterError::NotABool {
                line: self.line,
                key: self.key.clone(),
                value: self.value.to_string(),
            })
        }
    }
}

/// Splits the V1 text into `- general` and `- partition_index` blocks of `key: value` entries.
fn v1_blocks<'a>(lines: &[Line<'a>]) -> Result<Vec<Block<'a>>, ScatterError> {
    let mut blocks: Vec<Block<'a>> = Vec::new();
    for line in lines {
        let item = line.text.strip_prefix('-').map(str::trim_start);
        let body = item.unwrap_or(line.text);
        let Some((key, value)) = body.split_once(':') else {
            return Err(ScatterError::Syntax {
                line: line.number,
                expected: "`key: value`",
                text: excerpt(line.text),
            });
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        if item.is_some() && (key == "general" || key == "partition_index") {
            blocks.push(Block {
                line: line.number,
                general: key == "general",
                entries: Vec::new(),
            });
        }
        let Some(block) = blocks.last_mut() else {
            return Err(ScatterError::Syntax {
                line: line.number,
                expected: "`- general: MTK_PLATFORM_CFG` or `- partition_index: SYS0` first",
                text: excerpt(line.text),
            });
        };
        if let Some(first) = block.get(&key) {
            return Err(ScatterError::DuplicateKey {
                line: line.number,
                key,
                first: first.line,
            });
        }
        block.entries.push(Entry {
            line: line.number,
            key,
            value,
        });
    }
    Ok(blocks)
}

fn parse_general_storage(entry: &Entry<'_>) -> Result<Storage, ScatterError> {
    match entry.value.to_ascii_uppercase().as_str() {
        "EMMC" => Ok(Storage::Emmc),
        "NAND" => Ok(Storage::Nand),
        _ => Err(ScatterError::UnknownStorage {
            line: entry.line,
            value: entry.value.to_string(),
            expected: "EMMC or NAND",
        }),
    }
}

fn parse_region(entry: &Entry<'_>, storage: Storage) -> Result<Region, ScatterError> {
    let value = entry.value.to_ascii_uppercase();
    let (region, expected) = match storage {
        Storage::Emmc => (
            match value.as_str() {
                "EMMC_BOOT_1" => Some(Region::EmmcBoot1),
                "EMMC_BOOT_2" => Some(Region::EmmcBoot2),
                "EMMC_USER" => Some(Region::EmmcUser),
                _ => None,
            },
            "EMMC_BOOT_1, EMMC_BOOT_2 or EMMC_USER",
        ),
        Storage::Nand => (
            matches!(value.as_str(), "NONE" | "NAND" | "").then_some(Region::Nand),
            "NONE",
        ),
    };
    region.ok_or_else(|| ScatterError::UnknownRegion {
        line: entry.line,
        value: entry.value.to_string(),
        storage,
        expected,
    })
}

pub(super) fn parse_v1(lines: &[Line<'_>], text: &str) -> Result<Scatter, ScatterError> {
    let blocks = v1_blocks(lines)?;
    let mut warnings = Vec::new();
    let Some(general) = blocks.iter().find(|b| b.general) else {
        return Err(ScatterError::NoGeneral {
            line: blocks.first().map_or(1, |b| b.line),
        });
    };
    for extra in blocks.iter().filter(|b| b.general).skip(1) {
        warnings.push(Warning {
            line: extra.line,
            message: "a second general block is ignored".into(),
        });
    }
    let storage = parse_general_storage(general.require("storage", "the general block")?)?;
    for entry in &general.entries {
        if GENERAL_NUMBERS.contains(&entry.key.as_str()) {
            entry.number()?;
        } else if !GENERAL_KEYS.contains(&entry.key.as_str()) {
            warnings.push(unknown_key(entry));
        }
    }
    let text_of = |key: &str| {
        general
            .get(key)
            .map(|e| e.value.to_string())
            .filter(|v| !v.is_empty())
    };
    let platform = text_of("platform");
    let project = text_of("project");

    let mut partitions = Vec::new();
    for block in blocks.iter().filter(|b| !b.general) {
        let index = partitions.len();
        partitions.push(parse_v1_partition(block, index, storage, &mut warnings)?);
    }
    finish(
        ScatterFormat::V1,
        platform,
        project,
        storage,
        partitions,
        warnings,
        text,
    )
}

fn unknown_key(entry: &Entry<'_>) -> Warning {
    Warning {
        line: entry.line,
        message: format!("unknown key `{}` ignored", entry.key),
    }
}

fn parse_v1_partition(
    block: &Block<'_>,
    index: usize,
    storage: Storage,
    warnings: &mut Vec<Warning>,
) -> Result<Partition, ScatterError> {
    let sys = block.get("partition_index").map_or("", |e| e.value);
    let what = match block.get("partition_name").map(|e| e.value) {
        Some(name) if !name.is_empty() => format!("partition {sys} ({name})"),
        _ => format!("partition {sys}"),
    };
    let name = block.require("partition_name", &what)?.value.to_string();
    let file = block.require("file_name", &what)?.value;
    let download = block.require("is_download", &what)?.boolean()?;
    let linear_start = block.require("linear_start_addr", &what)?.number()?;
    let size = block.require("partition_size", &what)?.number()?;
    let region = parse_region(block.require("region", &what)?, storage)?;
    let mut reserved = false;
    for entry in &block.entries {
        match entry.key.as_str() {
            "physical_start_addr" | "reserve" => {
                entry.number()?;
            }
            "boundary_check" => {
                entry.boolean()?;
            }
            "is_reserved" => reserved = entry.boolean()?,
            "storage" => check_partition_storage(entry, &name, storage)?,
            key if !PARTITION_KEYS.contains(&key) => warnings.push(unknown_key(entry)),
            _ => {}
        }
    }
    let expected_sys = format!("SYS{index}");
    if !sys.eq_ignore_ascii_case(&expected_sys) {
        warnings.push(Warning {
            line: block.line,
            message: format!(
                "partition_index is {sys} but this is partition {index} in the file \
                 ({expected_sys})"
            ),
        });
    }
    let file = Some(file)
        .filter(|f| !f.is_empty() && !f.eq_ignore_ascii_case("NONE"))
        .map(str::to_string);
    Ok(Partition {
        index,
        name,
        file,
        download,
        linear_start,
        size: Some(size),
        region,
        region_offset: 0,
        operation: block
            .get("operation_type")
            .map(|e| e.value.to_string())
            .filter(|v| !v.is_empty()),
        address_is_pseudo: reserved || is_pseudo_address(linear_start),
        line: block.line,
    })
}

fn check_partition_storage(
    entry: &Entry<'_>,
    name: &str,
    storage: Storage,
) -> Result<(), ScatterError> {
    let own = match entry.value.to_ascii_uppercase().as_str() {
        "HW_STORAGE_EMMC" => Storage::Emmc,
        "HW_STORAGE_NAND" => Storage::Nand,
        _ => {
            return Err(ScatterError::UnknownStorage {
                line: entry.line,
                value: entry.value.to_string(),
                expected: "HW_STORAGE_EMMC or HW_STORAGE_NAND",
            });
        }
    };
    if own == storage {
        Ok(())
    } else {
        Err(ScatterError::StorageMismatch {
            line: entry.line,
            name: label(name).to_string(),
            value: entry.value.to_string(),
            storage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    #[test]
    fn v1_key_outside_a_block_and_duplicate_key() {
        let e =
            parse("- general: MTK_PLATFORM_CFG\n  storage: EMMC\n  storage: NAND\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3: `storage` is given twice in one block (first on line 2)"
        );
        let e = parse("- general: MTK_PLATFORM_CFG\n  no colon here\n").unwrap_err();
        assert_eq!(e.line(), 2);
    }

    /// A V1 file: the general block with `storage`, then one block per `(name, start, size,
    /// region, extra)`.
    fn v1(storage: &str, parts: &[(&str, &str, &str, &str, &str)]) -> String {
        let mut text = format!("- general: MTK_PLATFORM_CFG\n  storage: {storage}\n");
        for (i, (name, start, size, region, extra)) in parts.iter().enumerate() {
            text += &format!(
                "- partition_index: SYS{i}\n  partition_name: {name}\n  file_name: NONE\n  \
                 is_download: false\n  linear_start_addr: {start}\n  partition_size: {size}\n  \
                 region: {region}\n{extra}"
            );
        }
        text
    }

    #[test]
    fn v1_out_of_order_without_overlap_is_a_warning() {
        let s = parse(&v1(
            "EMMC",
            &[
                ("A", "0x0", "0x100", "EMMC_BOOT_1", ""),
                ("C", "0x300", "0x100", "EMMC_USER", ""),
                ("B", "0x100", "0x100", "EMMC_USER", ""),
            ],
        ))
        .unwrap();
        let messages: Vec<_> = s
            .warnings
            .iter()
            .map(|w| (w.line, w.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [
                (
                    10,
                    "partition C starts at linear 0x300, 0x200 bytes after partition A ends \
                     (linear 0x100)"
                ),
                (
                    17,
                    "partition B starts at linear 0x100, before partition C ends (linear 0x400): the \
                     partitions are out of order"
                )
            ]
        );
        assert_eq!(s.boot1_size(), 0x100);
        assert_eq!(s.partition("C").unwrap().region_offset, 0x200);
    }

    #[test]
    fn v1_nand_uses_region_none_and_rejects_emmc_regions() {
        let s = parse(&v1(
            "NAND",
            &[("A", "0x0", "0x100", "NONE", "  storage: HW_STORAGE_NAND\n")],
        ))
        .unwrap();
        assert_eq!(
            (s.storage, s.partitions[0].region),
            (Storage::Nand, Region::Nand)
        );
        let e = parse(&v1("NAND", &[("A", "0x0", "0x100", "EMMC_USER", "")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 9: unknown region `EMMC_USER` for NAND storage (expected NONE)"
        );
        let e = parse(&v1("EMMC", &[("A", "0x0", "0x100", "NONE", "")])).unwrap_err();
        assert_eq!(e.line(), 9);
    }

    #[test]
    fn v1_partition_storage_must_match_the_file() {
        let e = parse(&v1(
            "EMMC",
            &[(
                "A",
                "0x0",
                "0x100",
                "EMMC_USER",
                "  storage: HW_STORAGE_NAND\n",
            )],
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 10: partition A is on HW_STORAGE_NAND but the file's storage is EMMC"
        );
        let e = parse(&v1(
            "EMMC",
            &[("A", "0x0", "0x100", "EMMC_USER", "  storage: SD\n")],
        ))
        .unwrap_err();
        assert!(
            matches!(e, ScatterError::UnknownStorage { line: 10, .. }),
            "{e}"
        );
    }

    #[test]
    fn v1_bad_boolean_and_missing_general() {
        let text = v1("EMMC", &[("A", "0x0", "0x100", "EMMC_USER", "")]);
        let e = parse(&text.replace("is_download: false", "is_download: yes")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 6: is_download must be true or false, not `yes`"
        );
        let without_general = text.lines().skip(2).collect::<Vec<_>>().join("\n");
        let e = parse(&without_general).unwrap_err();
        assert!(matches!(e, ScatterError::NoGeneral { line: 1 }), "{e}");
        let e = parse("- general: MTK_PLATFORM_CFG\n  platform: MT6572\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1: the general block has no `storage:` line"
        );
    }

    #[test]
    fn v1_index_mismatch_and_duplicate_names_warn() {
        let text = v1(
            "EMMC",
            &[
                ("A", "0x0", "0x100", "EMMC_USER", ""),
                ("a", "0x100", "0x100", "EMMC_USER", ""),
            ],
        )
        .replace("SYS1", "SYS7");
        let s = parse(&text).unwrap();
        let messages: Vec<_> = s
            .warnings
            .iter()
            .map(|w| (w.line, w.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [
                (
                    10,
                    "partition_index is SYS7 but this is partition 1 in the file (SYS1)"
                ),
                (
                    10,
                    "partition name a is used again (first on line 3); lookups by name find the \
                     first"
                )
            ]
        );
        assert_eq!(s.partition("A").unwrap().line, 3);
    }

    #[test]
    fn pseudo_partitions_skip_overlap_and_gap_checks() {
        let s = parse(&v1(
            "EMMC",
            &[
                ("A", "0x0", "0x100", "EMMC_USER", ""),
                ("OTP", "0xFFFF0200", "0x2b00000", "EMMC_USER", ""),
                ("", "0x0", "0x1500000", "EMMC_USER", "  is_reserved: true\n"),
                ("B", "0x100", "0x100", "EMMC_USER", ""),
            ],
        ))
        .unwrap();
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        assert!(s.partitions[1].address_is_pseudo && s.partitions[2].address_is_pseudo);
        assert_eq!(s.partitions[1].region_offset, 0xFFFF_0200);
    }
}
