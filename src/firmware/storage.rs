//! The storage vocabulary every layer shares: [`StorageKind`] (eMMC or NAND) and [`Region`]
//! (the eMMC hardware partitions, or the whole NAND array). Scatter files, board profiles,
//! the device session and the command line all use these two types; the download agent's
//! report, which can also say "NOR or nothing", keeps its own kind in `protocol` and converts
//! with `From`. Pure names: no sizes, no I/O.
//!
//! Each type has two spellings: the scatter file's (`EMMC_USER`, `EMMC`; also the default
//! JSON, as `scatter show` and `rom inspect` print them) and the short one the device
//! commands take and print (`user`, `emmc`: `--region user`, profiles' `type = "emmc"`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::protocol::da;

/// eMMC or NAND. Serialised and read with the scatter file's name (`EMMC`, as `scatter show`,
/// `rom inspect` and the library index write it); profiles write it in lower case (`emmc`),
/// through [`StorageKind::serialize_lower`] and [`StorageKind::deserialize_lower`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum StorageKind {
    /// eMMC: boot partitions (the preloader in boot1) plus a user area (everything else).
    Emmc,
    /// Raw NAND: one array, preloader at offset 0, bad blocks managed by a BMT pool.
    Nand,
}

impl StorageKind {
    /// `EMMC` or `NAND`, as scatter files write it.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageKind::Emmc => "EMMC",
            StorageKind::Nand => "NAND",
        }
    }

    /// `emmc` or `nand`, as profiles write it.
    pub fn as_lower(self) -> &'static str {
        match self {
            StorageKind::Emmc => "emmc",
            StorageKind::Nand => "nand",
        }
    }

    /// Serialises as [`StorageKind::as_lower`] (for `#[serde(serialize_with)]`).
    pub fn serialize_lower<S: Serializer>(kind: &StorageKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kind.as_lower())
    }

    /// Reads [`StorageKind::as_lower`] only (for `#[serde(deserialize_with)]`): `emmc` or
    /// `nand`, anything else refused with both names.
    pub fn deserialize_lower<'de, D: Deserializer<'de>>(d: D) -> Result<StorageKind, D::Error> {
        const NAMES: &[&str] = &["emmc", "nand"];
        let text = String::deserialize(d)?;
        match text.as_str() {
            "emmc" => Ok(StorageKind::Emmc),
            "nand" => Ok(StorageKind::Nand),
            other => Err(serde::de::Error::unknown_variant(other, NAMES)),
        }
    }
}

/// Displays the scatter spelling (`EMMC`), as scatter and ROM reports print it.
impl std::fmt::Display for StorageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<StorageKind> for da::StorageKind {
    fn from(kind: StorageKind) -> Self {
        match kind {
            StorageKind::Emmc => da::StorageKind::Emmc,
            StorageKind::Nand => da::StorageKind::Nand,
        }
    }
}

impl TryFrom<da::StorageKind> for StorageKind {
    /// A DA that found neither eMMC nor NAND.
    type Error = da::StorageKind;

    fn try_from(kind: da::StorageKind) -> Result<Self, da::StorageKind> {
        match kind {
            da::StorageKind::Emmc => Ok(StorageKind::Emmc),
            da::StorageKind::Nand => Ok(StorageKind::Nand),
            other => Err(other),
        }
    }
}

/// A storage area addressed on its own: the eMMC hardware partitions, or the whole NAND
/// array. A phone has either the three eMMC regions or the one NAND region. Serialised with
/// the scatter file's names (`EMMC_BOOT_1`); the device commands print [`Region::as_short`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Region {
    /// eMMC boot partition 1: the preloader.
    #[serde(rename = "EMMC_BOOT_1")]
    EmmcBoot1,
    /// eMMC boot partition 2: normally unused.
    #[serde(rename = "EMMC_BOOT_2")]
    EmmcBoot2,
    /// The eMMC user area: MBR, EBR, everything but the preloader.
    #[serde(rename = "EMMC_USER")]
    EmmcUser,
    /// The whole NAND array, page data only (spare areas are not addressed, decision N2);
    /// the preloader is its first partition.
    #[serde(rename = "NAND")]
    Nand,
}

/// The device commands' names for the eMMC regions, as constants (`--region user` is
/// [`Region::EmmcUser`]): code written against the device layer's own region type before the
/// types were merged keeps compiling.
#[allow(non_upper_case_globals)]
impl Region {
    /// [`Region::EmmcBoot1`].
    pub const Boot1: Region = Region::EmmcBoot1;
    /// [`Region::EmmcBoot2`].
    pub const Boot2: Region = Region::EmmcBoot2;
    /// [`Region::EmmcUser`].
    pub const User: Region = Region::EmmcUser;
}

impl Region {
    /// The name scatter files and their JSON use (`EMMC_BOOT_1`, `EMMC_USER`, `NAND`).
    pub fn as_str(self) -> &'static str {
        match self {
            Region::EmmcBoot1 => "EMMC_BOOT_1",
            Region::EmmcBoot2 => "EMMC_BOOT_2",
            Region::EmmcUser => "EMMC_USER",
            Region::Nand => "NAND",
        }
    }

    /// The name the device commands take and print (`boot1`, `boot2`, `user`, `nand`).
    pub fn as_short(self) -> &'static str {
        match self {
            Region::EmmcBoot1 => "boot1",
            Region::EmmcBoot2 => "boot2",
            Region::EmmcUser => "user",
            Region::Nand => "nand",
        }
    }

    /// Serialises as [`Region::as_short`] (for `#[serde(serialize_with)]` in device
    /// reports).
    pub fn serialize_short<S: Serializer>(region: &Region, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(region.as_short())
    }

    /// Reads [`Region::as_short`] (for `#[serde(deserialize_with)]`, the counterpart of
    /// [`Region::serialize_short`]: a saved device report reads back).
    pub fn deserialize_short<'de, D: Deserializer<'de>>(d: D) -> Result<Region, D::Error> {
        const NAMES: &[&str] = &["boot1", "boot2", "user", "nand"];
        let text = String::deserialize(d)?;
        match text.as_str() {
            "boot1" => Ok(Region::EmmcBoot1),
            "boot2" => Ok(Region::EmmcBoot2),
            "user" => Ok(Region::EmmcUser),
            "nand" => Ok(Region::Nand),
            other => Err(serde::de::Error::unknown_variant(other, NAMES)),
        }
    }

    /// The storage this region belongs to.
    pub fn kind(self) -> StorageKind {
        match self {
            Region::Nand => StorageKind::Nand,
            _ => StorageKind::Emmc,
        }
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_and_the_da_kind_convert() {
        assert_eq!(
            serde_json::to_string(&StorageKind::Emmc).unwrap(),
            "\"EMMC\""
        );
        let k: StorageKind = serde_json::from_str("\"NAND\"").unwrap();
        let lower = StorageKind::deserialize_lower(serde_json::Value::from("nand")).unwrap();
        assert_eq!(lower, k);
        let e = StorageKind::deserialize_lower(serde_json::Value::from("ufs")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown variant `ufs`, expected `emmc` or `nand`"
        );
        assert_eq!((k.as_str(), k.as_lower()), ("NAND", "nand"));
        assert_eq!(da::StorageKind::from(k), da::StorageKind::Nand);
        assert_eq!(
            StorageKind::try_from(da::StorageKind::Emmc),
            Ok(StorageKind::Emmc)
        );
        assert!(StorageKind::try_from(da::StorageKind::Nor).is_err());
        for r in [
            Region::EmmcBoot1,
            Region::EmmcBoot2,
            Region::EmmcUser,
            Region::Nand,
        ] {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
            assert_eq!(serde_json::from_str::<Region>(&json).unwrap(), r);
            assert_eq!(r.kind() == StorageKind::Nand, r.as_short() == "nand");
        }
    }
}
