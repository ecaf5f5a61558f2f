use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use mnist_data::Split;

/// An IDX images file (magic 2051) of `n` images of `rows × cols`, pixel
/// `(i, p)` = `pixel(i, p)`.
pub(crate) fn idx_images(
    n: u32,
    rows: u32,
    cols: u32,
    pixel: impl Fn(usize, usize) -> u8,
) -> Vec<u8> {
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

/// An IDX labels file (magic 2049).
pub(crate) fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, 1];
    bytes.extend((labels.len() as u32).to_be_bytes());
    bytes.extend(labels);
    bytes
}

pub(crate) fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A pixel pattern that covers 0..=255: image `i`, pixel `p`.
pub(crate) fn pattern(i: usize, p: usize) -> u8 {
    ((i * 31 + p * 7) % 256) as u8
}

/// The labels of the fixture splits: `i % 10`.
pub(crate) fn fixture_labels(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 10) as u8).collect()
}

/// Writes a split of `n` images to `dir`, gzip-compressed or unzipped (then
/// under the names without `.gz`).
pub(crate) fn write_split(dir: &Path, split: Split, n: u32, gzip: bool) {
    let images = idx_images(n, 28, 28, pattern);
    let labels = idx_labels(&fixture_labels(n as usize));
    if gzip {
        std::fs::write(dir.join(split.images_file()), gz(&images)).unwrap();
        std::fs::write(dir.join(split.labels_file()), gz(&labels)).unwrap();
    } else {
        let strip = |name: &str| name.trim_end_matches(".gz").to_owned();
        std::fs::write(dir.join(strip(split.images_file())), images).unwrap();
        std::fs::write(dir.join(strip(split.labels_file())), labels).unwrap();
    }
}

/// The names of the files in `dir`, sorted (hidden temporary files too).
pub(crate) fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
