//! MBR/EBR partition tables as written on MT6572 eMMC.
