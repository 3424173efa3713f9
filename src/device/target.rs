//! Where on the phone's storage a command acts: storage regions, the phone's partition map, and
//! the resolution of `--partition NAME` / `--region R` with `--offset`/`--length` into one
//! checked byte range. The guard that keeps write and erase away from the partitions that
//! hold the phone's identity and its boot code is [`super::guard`]'s. Pure: no port, no file,
//! no command-line types.

use serde::Serialize;

use super::error::DeviceError;

/// A storage area addressed on its own: the shared [`crate::firmware::storage::Region`].
pub use crate::firmware::storage::Region;

/// One partition of the phone, as its table (or the board profile naming it) says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partition {
    /// Scatter-style name, as the table spells it (`NVRAM`, `ANDROID`).
    pub name: String,
    /// The region the offset is relative to (`user` in the JSON).
    #[serde(serialize_with = "Region::serialize_short")]
    pub region: Region,
    /// Byte offset inside the region.
    pub offset: u64,
    /// Size in bytes.
    pub size: u64,
}

/// The byte range a command acts on, checked against its partition or region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Partition name, or the region name for raw access.
    pub name: String,
    /// True when `name` is a partition (false: a whole region).
    pub is_partition: bool,
    /// The region the range lies in (`user` in the JSON).
    #[serde(serialize_with = "Region::serialize_short")]
    pub region: Region,
    /// First byte, relative to the region.
    pub addr: u64,
    /// Bytes.
    pub len: u64,
}

/// What the command line asked for: a partition by name, or a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `--partition NAME` (any case).
    Partition(String),
    /// `--region R`.
    Region(Region),
}

/// Finds `name` (any case) among `partitions`.
pub fn find<'a>(partitions: &'a [Partition], name: &str) -> Result<&'a Partition, DeviceError> {
    partitions
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| DeviceError::UnknownPartition {
            name: name.to_string(),
            known: partitions.iter().map(|p| p.name.clone()).collect(),
        })
}

/// Resolves a selector plus an optional offset and length (both relative to the partition or
/// region, defaulting to all of it) into a checked [`Target`]. `region_size` gives the size of
/// each region the phone reported, or the error for a region it does not have.
pub fn resolve(
    selector: &Selector,
    offset: Option<u64>,
    length: Option<u64>,
    partitions: &[Partition],
    region_size: impl Fn(Region) -> Result<u64, DeviceError>,
) -> Result<Target, DeviceError> {
    let (name, is_partition, region, base, size) = match selector {
        Selector::Partition(name) => {
            let p = find(partitions, name)?;
            (p.name.clone(), true, p.region, p.offset, p.size)
        }
        Selector::Region(r) => (r.as_short().to_string(), false, *r, 0, region_size(*r)?),
    };
    let offset = offset.unwrap_or(0);
    let len = match length {
        Some(len) => len,
        None => size.saturating_sub(offset),
    };
    if offset.checked_add(len).is_none_or(|end| end > size) || (length.is_none() && offset > size) {
        return Err(DeviceError::OutOfRange {
            target: name,
            offset,
            len,
            size,
        });
    }
    Ok(Target {
        name,
        is_partition,
        region,
        addr: base + offset,
        len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Vec<Partition> {
        let p = |name: &str, region, offset, size| Partition {
            name: name.into(),
            region,
            offset,
            size,
        };
        vec![
            p("PRELOADER", Region::EmmcBoot1, 0, 0x40000),
            p("NVRAM", Region::EmmcUser, 0x400000, 0x500000),
            p("UBOOT", Region::EmmcUser, 0x1D20000, 0x60000),
        ]
    }

    fn sizes(r: Region) -> Result<u64, DeviceError> {
        match r {
            Region::EmmcBoot1 | Region::EmmcBoot2 => Ok(0x40_0000),
            Region::EmmcUser => Ok(0x1000_0000),
            Region::Nand => Err(DeviceError::NoSuchRegion {
                region: "nand",
                storage: "eMMC",
            }),
        }
    }

    #[test]
    fn partition_defaults_to_all_of_it_and_offsets_are_relative() {
        let sel = Selector::Partition("uboot".into());
        let t = resolve(&sel, None, None, &table(), sizes).unwrap();
        assert_eq!(
            (t.name.as_str(), t.addr, t.len),
            ("UBOOT", 0x1D20000, 0x60000)
        );
        let t = resolve(&sel, Some(0x1000), Some(0x200), &table(), sizes).unwrap();
        assert_eq!((t.addr, t.len), (0x1D21000, 0x200));
        let t = resolve(&sel, Some(0x1000), None, &table(), sizes).unwrap();
        assert_eq!((t.addr, t.len), (0x1D21000, 0x5F000));
    }

    #[test]
    fn region_covers_the_reported_size() {
        let t = resolve(
            &Selector::Region(Region::EmmcBoot2),
            None,
            None,
            &table(),
            sizes,
        )
        .unwrap();
        assert_eq!((t.region, t.addr, t.len), (Region::EmmcBoot2, 0, 0x40_0000));
        assert!(!t.is_partition);
    }

    #[test]
    fn ranges_past_the_end_are_refused() {
        let sel = Selector::Partition("UBOOT".into());
        for (off, len) in [
            (Some(0x60001), None),
            (Some(0x10), Some(0x60000)),
            (Some(u64::MAX), Some(2)),
        ] {
            let e = resolve(&sel, off, len, &table(), sizes).unwrap_err();
            assert!(matches!(e, DeviceError::OutOfRange { .. }), "{e}");
        }
        // Exactly the end with an empty length is fine.
        assert_eq!(
            resolve(&sel, Some(0x60000), None, &table(), sizes)
                .unwrap()
                .len,
            0
        );
    }

    #[test]
    fn a_region_the_phone_lacks_is_refused_by_name() {
        let e = resolve(&Selector::Region(Region::Nand), None, None, &table(), sizes).unwrap_err();
        assert!(
            matches!(e, DeviceError::NoSuchRegion { region: "nand", .. }),
            "{e}"
        );
        assert!(crate::Advice::help(&e).contains("`boot1`, `boot2` and `user`"));
    }

    #[test]
    fn unknown_name_lists_the_known_ones() {
        let e = resolve(
            &Selector::Partition("BOOTIMG".into()),
            None,
            None,
            &table(),
            sizes,
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("BOOTIMG") && msg.contains("PRELOADER, NVRAM, UBOOT"),
            "{msg}"
        );
    }
}
