use std::path::Path;

use mnist_data::Split;
/// The IDX writers are shared with nn-cli's tests (`nn-testkit`).
pub(crate) use nn_testkit::idx::{
    fixture_labels, gz, images as idx_images, labels as idx_labels, pattern,
};

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
