//! [`Fingerprint`]: everything a session learned about a phone, in one serialisable value (the
//! `identify` report, and what the identify step of the repair flow ranks profiles against).
//! Serialisable both ways: `identify --save FILE` keeps it, and `library match --fingerprint
//! FILE` matches offline against it.
//!
//! Pure: built from the session's findings, no I/O.

use serde::{Deserialize, Serialize};

use super::{
    BromInfo, DaInfo, Mode,
    dram::DramReport,
    table::{PartitionMap, TableSource},
    target::{Partition, Region},
};
use crate::{
    firmware::{layout::Span, preloader::PreloaderIdentity},
    profile::{StorageKind as BoardStorage, matching::BoardEvidence},
    protocol::da::{Da1Report, StorageKind},
};

/// The security switches of the chip (D8 GET_TARGET_CONFIG, MT6572.md §3.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetConfigFlags {
    /// Secure boot.
    pub sbc: bool,
    /// Serial link authorisation.
    pub sla: bool,
    /// Download agent authorisation.
    pub daa: bool,
    /// The raw configuration word.
    pub raw: u32,
}

/// The storage the DA found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum StorageFacts {
    /// eMMC: boot partitions, user area, card id.
    Emmc {
        /// Boot partition 1 (preloader) size in bytes.
        boot1_size: u64,
        /// Boot partition 2 size in bytes.
        boot2_size: u64,
        /// User area size in bytes.
        user_size: u64,
        /// The 16-byte CID, hex.
        cid: String,
    },
    /// Raw NAND.
    Nand {
        /// The NAND id words of the DA1 report, hex.
        id: String,
        /// Flash id from the DA2 report.
        flash_id: u16,
        /// Array size in bytes.
        size: u64,
        /// Page size in bytes.
        page_size: u16,
        /// Pages per erase block.
        pages_per_block: u16,
    },
    /// NOR or nothing found.
    Nor {
        /// Size in bytes.
        size: u64,
    },
}

/// One partition in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionFacts {
    /// Name.
    pub name: String,
    /// The region the offset is relative to (`user` in the JSON).
    #[serde(
        serialize_with = "Region::serialize_short",
        deserialize_with = "Region::deserialize_short"
    )]
    pub region: Region,
    /// Offset in the region, bytes.
    pub offset: u64,
    /// Size, bytes.
    pub size: u64,
}

impl From<&Partition> for PartitionFacts {
    fn from(p: &Partition) -> Self {
        PartitionFacts {
            name: p.name.clone(),
            region: p.region,
            offset: p.offset,
            size: p.size,
        }
    }
}

/// What `identify` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// BROM or preloader.
    pub mode: Mode,
    /// 0x6572 (25970) on an MT6572.
    pub hw_code: u16,
    /// Hardware sub-code.
    pub hw_subcode: u16,
    /// Hardware version.
    pub hw_version: u16,
    /// Software version.
    pub sw_version: u16,
    /// BROM version byte (0xFF from a preloader).
    pub brom_version: u8,
    /// Bootloader version byte (0xFE from the BROM).
    pub bl_version: u8,
    /// Security switches.
    pub target_config: TargetConfigFlags,
    /// The ME ID as hex, when the mode gives it.
    pub me_id: Option<String>,
    /// Storage type, sizes, ids.
    pub storage: StorageFacts,
    /// External RAM size in bytes.
    pub ram_size: u64,
    /// DA version bytes after the DA1 report (major, minor, chip).
    pub da_version: String,
    /// Where the partition names come from: `pmt`, `mbr` (with the profile that named it) or
    /// `none`.
    pub partition_source: TableSource,
    /// The partitions.
    pub partitions: Vec<PartitionFacts>,
    /// The preloader's project and EMI version as read from the phone's own BOOT_1 (NAND: the
    /// preloader area); `None` when it was not read or carries no identity strings. On a dead
    /// boot (`dead_boot` set) the phone's own is not read: it is the identified board's
    /// project with the EMI version of the settings' source, when that source is the phone's
    /// backup or a preloader of that project (`engine::identify::settle_dead_boot`), else
    /// `None`.
    pub preloader: Option<PreloaderIdentity>,
    /// The panel (LCM) driver names found in the phone's own UBOOT partition; empty when it
    /// was not read or names none.
    pub lcm: Vec<String>,
    /// What the technician read off the board (`--pcb-marking`), as typed.
    pub pcb_marking: Option<String>,
    /// Set when the DA had to be given DRAM settings: the phone's preloader is missing or
    /// foreign (a dead boot), with the source the settings came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_boot: Option<DramReport>,
}

/// The device key of [`Fingerprint::device_key`] from its parts (hex strings).
fn key_of(cid: Option<&str>, me_id: Option<&str>, nand: Option<&str>) -> String {
    match (cid, me_id, nand) {
        (Some(cid), _, _) if cid.bytes().any(|b| b != b'0') => {
            format!("emmc-{}", cid.to_ascii_lowercase())
        }
        (_, Some(me), _) => format!("meid-{}", me.to_ascii_lowercase()),
        (_, None, Some(id)) => format!("nand-{}", id.to_ascii_lowercase()),
        _ => "unknown".into(),
    }
}

/// The device key from what a session knows before the DA2 report (the BROM's ME ID and the
/// DA1 report): the key [`Fingerprint::device_key`] gives, for a DA that stops to ask for DRAM
/// settings (a dead phone), so that its identity backup can be found.
pub fn early_device_key(brom: &BromInfo, da1: &Da1Report) -> String {
    let me_id = brom.me_id.as_ref().map(hex::encode);
    match da1.storage() {
        StorageKind::Emmc => key_of(Some(&hex::encode(da1.emmc_cid)), me_id.as_deref(), None),
        StorageKind::Nand => {
            let id: String = da1.nand_ids.iter().map(|w| format!("{w:04x}")).collect();
            key_of(None, me_id.as_deref(), Some(&id))
        }
        StorageKind::Nor => key_of(None, me_id.as_deref(), None),
    }
}

impl Fingerprint {
    /// Puts the session's findings together.
    pub fn new(brom: &BromInfo, da: &DaInfo, map: &PartitionMap) -> Fingerprint {
        let r = &da.report;
        let storage = match da.storage {
            StorageKind::Emmc => StorageFacts::Emmc {
                boot1_size: r.emmc.boot1_size,
                boot2_size: r.emmc.boot2_size,
                user_size: da.user_size,
                cid: hex::encode(if r.emmc.cid != [0; 16] {
                    r.emmc.cid
                } else {
                    da.da1.emmc_cid
                }),
            },
            StorageKind::Nand => StorageFacts::Nand {
                id: da.da1.nand_ids.iter().map(|w| format!("{w:04x}")).collect(),
                flash_id: r.nand.flash_id,
                size: da.user_size,
                page_size: r.nand.page_size,
                pages_per_block: r.nand.pages_per_block,
            },
            StorageKind::Nor => StorageFacts::Nor { size: da.user_size },
        };
        let tc = brom.target_config;
        Fingerprint {
            mode: brom.mode,
            hw_code: brom.hw_code,
            hw_subcode: brom.hw_sub_code,
            hw_version: brom.hw_version,
            sw_version: brom.sw_version,
            brom_version: brom.brom_version,
            bl_version: brom.bl_version,
            target_config: TargetConfigFlags {
                sbc: tc.secure_boot(),
                sla: tc.sla(),
                daa: tc.daa(),
                raw: tc.config,
            },
            me_id: brom.me_id.as_ref().map(hex::encode),
            storage,
            ram_size: r.ram.ext_ram_size,
            da_version: hex::encode(da.da_version),
            partition_source: map.source.clone(),
            partitions: map.partitions.iter().map(PartitionFacts::from).collect(),
            preloader: None,
            lcm: Vec::new(),
            pcb_marking: None,
            dead_boot: da.dram.clone(),
        }
    }
}

impl Fingerprint {
    /// The key that tells this phone from every other, for backups and the journal: the eMMC
    /// CID (`emmc-<cid>`, unique per chip and the same in every mode), else the ME ID
    /// (`meid-<hex>`, given by the BootROM), else the NAND id (`nand-<id>`: the same for every
    /// phone with that flash part, so it alone cannot tell two such phones apart).
    pub fn device_key(&self) -> String {
        let (cid, nand) = match &self.storage {
            StorageFacts::Emmc { cid, .. } => (Some(cid.as_str()), None),
            StorageFacts::Nand { id, .. } => (None, Some(id.as_str())),
            StorageFacts::Nor { .. } => (None, None),
        };
        key_of(cid, self.me_id.as_deref(), nand)
    }

    /// The partitions of the data area (eMMC user area, NAND array), as layouts are compared.
    pub fn data_spans(&self) -> Vec<Span> {
        self.partitions
            .iter()
            .filter(|p| matches!(p.region, Region::User | Region::Nand))
            .map(|p| Span::new(&p.name, p.offset, p.size))
            .collect()
    }

    /// What the board ranking ([`crate::profile::matching::rank`]) compares.
    pub fn evidence(&self) -> BoardEvidence {
        let (storage, boot_region_size) = match &self.storage {
            StorageFacts::Emmc { boot1_size, .. } => (Some(BoardStorage::Emmc), Some(*boot1_size)),
            StorageFacts::Nand { .. } => (Some(BoardStorage::Nand), None),
            StorageFacts::Nor { .. } => (None, None),
        };
        BoardEvidence {
            storage,
            boot_region_size,
            ram_size: (self.ram_size > 0).then_some(self.ram_size),
            layout: self.data_spans(),
            layout_named_by: match &self.partition_source {
                TableSource::Mbr { profile } => profile.clone(),
                _ => None,
            },
            preloader_project: self.preloader.as_ref().and_then(|p| p.project.clone()),
            emi_version: self.preloader.as_ref().and_then(|p| p.emi_version),
            lcm: self.lcm.clone(),
            pcb_marking: self.pcb_marking.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Fingerprint {
        Fingerprint {
            mode: Mode::Brom,
            hw_code: 0x6572,
            hw_subcode: 0x8a00,
            hw_version: 0xca00,
            sw_version: 0,
            brom_version: 1,
            bl_version: 0xfe,
            target_config: TargetConfigFlags {
                sbc: false,
                sla: false,
                daa: false,
                raw: 0,
            },
            me_id: Some("00112233".into()),
            storage: StorageFacts::Emmc {
                boot1_size: 0x40_0000,
                boot2_size: 0x40_0000,
                user_size: 0xE900_0000,
                cid: "15010053".into(),
            },
            ram_size: 0x2000_0000,
            da_version: "040001".into(),
            partition_source: TableSource::Mbr {
                profile: Some("mt6572-ref".into()),
            },
            partitions: vec![PartitionFacts {
                name: "PRELOADER".into(),
                region: Region::Boot1,
                offset: 0,
                size: 0x40_0000,
            }],
            preloader: Some(PreloaderIdentity {
                build_name: Some("preloader_s4511.bin".into()),
                project: Some("s4511".into()),
                emi_version: Some(11),
            }),
            lcm: vec!["hx8379a_dsi_vdo".into()],
            pcb_marking: Some("S4511-MB-V1.2".into()),
            dead_boot: None,
        }
    }

    #[test]
    fn a_saved_fingerprint_reads_back_equal() {
        let f = sample();
        let json = serde_json::to_string(&f).unwrap();
        let back: Fingerprint = serde_json::from_str(&json).unwrap();
        assert_eq!(back, f);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["preloader"]["project"], "s4511");
        assert_eq!(v["preloader"]["emi_version"], 11);
        assert_eq!(v["lcm"][0], "hx8379a_dsi_vdo");
        assert_eq!(v["storage"]["type"], "emmc");
        assert_eq!(v["partition_source"]["kind"], "mbr");
    }

    #[test]
    fn the_device_key_prefers_the_cid_then_the_me_id() {
        let f = sample();
        assert_eq!(f.device_key(), "emmc-15010053");
        let nand = Fingerprint {
            storage: StorageFacts::Nand {
                id: "ECDA".into(),
                flash_id: 0xDA,
                size: 1 << 28,
                page_size: 2048,
                pages_per_block: 64,
            },
            ..sample()
        };
        assert_eq!(nand.device_key(), "meid-00112233");
        let anon = Fingerprint {
            me_id: None,
            ..nand
        };
        assert_eq!(anon.device_key(), "nand-ecda");
    }

    #[test]
    fn the_evidence_carries_what_ranking_compares() {
        let ev = sample().evidence();
        assert_eq!(ev.storage, Some(BoardStorage::Emmc));
        assert_eq!(ev.boot_region_size, Some(0x40_0000));
        // PRELOADER lives in boot1, outside the compared layout.
        assert!(ev.layout.is_empty());
        assert_eq!(ev.layout_named_by.as_deref(), Some("mt6572-ref"));
        assert_eq!(ev.preloader_project.as_deref(), Some("s4511"));
        assert_eq!(ev.emi_version, Some(11));
        assert_eq!(ev.pcb_marking.as_deref(), Some("S4511-MB-V1.2"));
    }

    #[test]
    fn nothing_read_from_boot1_or_uboot_is_null_and_empty() {
        let f = Fingerprint {
            preloader: None,
            lcm: Vec::new(),
            pcb_marking: None,
            ..sample()
        };
        let v = serde_json::to_value(&f).unwrap();
        assert!(v["preloader"].is_null());
        assert_eq!(v["lcm"], serde_json::json!([]));
        assert!(v["pcb_marking"].is_null());
        let back: Fingerprint = serde_json::from_value(v).unwrap();
        assert_eq!(back, f);
    }
}
