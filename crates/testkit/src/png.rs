//! PNG pieces for pictures whose header lies (a size too large to decode):
//! chunks with a correct CRC, so that a decoder trusts them.
//!
//! ```
//! use nn_testkit::png::{chunk, crc32};
//!
//! assert_eq!(crc32(b"IEND"), 0xae42_6082);
//! assert_eq!(chunk(b"IEND", &[]), [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]);
//! ```

/// PNG's CRC-32 (ISO 3309 / ISO-HDLC), bit by bit, of a chunk's type and
/// data.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG chunk: length, `kind`, `data`, CRC-32 of kind and data.
pub fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    let body: Vec<u8> = kind.iter().chain(data).copied().collect();
    c.extend(&body);
    c.extend(crc32(&body).to_be_bytes());
    c
}
