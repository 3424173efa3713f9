//! The 512-byte MediaTek image header (magic 0x58881688) in front of LK, kernel, ramdisk and logo images.
