#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]

mod error;
#[cfg(feature = "fetch")]
pub mod fetch;
mod idx;
mod load;
#[cfg(feature = "image")]
pub mod preprocess;

pub use error::{Error, Result};
pub use idx::{
    CLASSES, COLS, IMAGES_MAGIC, IdxHeader, ImageChunks, LABELS_MAGIC, PIXELS, ROWS,
    read_idx_header, read_idx_header_bytes, read_images, read_images_bytes, read_images_chunked,
    read_labels, read_labels_bytes,
};
pub use load::{
    Dataset, Images, Labels, LoadOptions, Split, default_data_dir, flatten, label_counts,
    load_mnist, load_split, load_split_chunked, normalize, normalize_pixel, one_hot_label,
    unflatten,
};
pub use ndarray;
