//! Tiny IDX files, written byte by byte: unsigned-byte data (`0x08`),
//! dimensions big-endian.
//!
//! ```
//! use nn_testkit::idx::{images, labels};
//!
//! let file = images(1, 2, 2, |_, p| p as u8);
//! assert_eq!(file, [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 2, 3]);
//! assert_eq!(labels(&[7, 2]), [0, 0, 8, 1, 0, 0, 0, 2, 7, 2]);
//! ```

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

/// An IDX images file (magic 2051) of `n` images of `rows × cols`: pixel
/// `p` (row-major) of image `i` is `pixel(i, p)`.
pub fn images(n: u32, rows: u32, cols: u32, pixel: impl Fn(usize, usize) -> u8) -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, 3];
    for d in [n, rows, cols] {
        bytes.extend(d.to_be_bytes());
    }
    let per_image = (rows * cols) as usize;
    for i in 0..n as usize {
        bytes.extend((0..per_image).map(|p| pixel(i, p)));
    }
    bytes
}

/// An IDX labels file (magic 2049) holding `labels`.
pub fn labels(labels: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, 1];
    bytes.extend((labels.len() as u32).to_be_bytes());
    bytes.extend(labels);
    bytes
}

/// `bytes` gzip-compressed (default level), as MNIST's files are.
///
/// ```
/// let packed = nn_testkit::idx::gz(b"abc");
/// assert_eq!(packed[..2], [0x1f, 0x8b]);
/// ```
pub fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A pixel pattern that covers 0..=255: image `i`, pixel `p`.
///
/// ```
/// assert_eq!(nn_testkit::idx::pattern(1, 2), 45);
/// ```
pub fn pattern(i: usize, p: usize) -> u8 {
    ((i * 31 + p * 7) % 256) as u8
}

/// The labels of the fixture splits: `i % 10` for `i` in `0..n`.
///
/// ```
/// assert_eq!(nn_testkit::idx::fixture_labels(12)[9..], [9, 0, 1]);
/// ```
pub fn fixture_labels(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 10) as u8).collect()
}
