//! SP Flash Tool Checksum.ini and its 16-bit byte-sum checksum.
