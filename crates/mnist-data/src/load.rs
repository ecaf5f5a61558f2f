//! The book's `load_mnist` and its typed, per-split building blocks.

use std::path::{Path, PathBuf};

use ndarray::{
    Array, Array1, Array2, Array4, ArrayBase, ArrayD, ArrayView2, Data, Dimension, Ix1, Ix2,
};

use crate::error::{Error, Result};
use crate::idx::{self, CLASSES, COLS, PIXELS, ROWS};

/// One of MNIST's two splits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// The 60 000 training images (`train-*`).
    Train,
    /// The 10 000 test images (`t10k-*`).
    Test,
}

impl Split {
    /// The images file name, e.g. `t10k-images-idx3-ubyte.gz`.
    ///
    /// ```
    /// assert_eq!(mnist_data::Split::Test.images_file(), "t10k-images-idx3-ubyte.gz");
    /// ```
    pub fn images_file(self) -> &'static str {
        match self {
            Split::Train => "train-images-idx3-ubyte.gz",
            Split::Test => "t10k-images-idx3-ubyte.gz",
        }
    }

    /// The labels file name, e.g. `t10k-labels-idx1-ubyte.gz`.
    ///
    /// ```
    /// assert_eq!(mnist_data::Split::Train.labels_file(), "train-labels-idx1-ubyte.gz");
    /// ```
    pub fn labels_file(self) -> &'static str {
        match self {
            Split::Train => "train-labels-idx1-ubyte.gz",
            Split::Test => "t10k-labels-idx1-ubyte.gz",
        }
    }

    /// `"train"` or `"test"`, as `nn fetch --what` spells it.
    ///
    /// ```
    /// assert_eq!(mnist_data::Split::Train.name(), "train");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

/// The path of `name` in `dir`: `name` itself (e.g. `….gz`) if it exists,
/// otherwise the unzipped name without `.gz` if that exists.
fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    let path = dir.join(name);
    if path.is_file() {
        return Some(path);
    }
    let unzipped = dir.join(name.strip_suffix(".gz")?);
    unzipped.is_file().then_some(unzipped)
}

/// The files of `splits` in `dir`, or [`Error::MissingFiles`] naming all
/// those that are missing.
fn split_files(dir: &Path, splits: &[Split]) -> Result<Vec<(PathBuf, PathBuf)>> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    let mut missing_splits = Vec::new();
    for &split in splits {
        let images = find_file(dir, split.images_file());
        let labels = find_file(dir, split.labels_file());
        if images.is_none() {
            missing.push(split.images_file().to_owned());
        }
        if labels.is_none() {
            missing.push(split.labels_file().to_owned());
        }
        match (images, labels) {
            (Some(i), Some(l)) => found.push((i, l)),
            _ => missing_splits.push(split),
        }
    }
    if missing.is_empty() {
        return Ok(found);
    }
    let what = match missing_splits.as_slice() {
        [one] => one.name(),
        _ => "all",
    };
    Err(Error::MissingFiles {
        dir: dir.to_owned(),
        files: missing,
        what,
    })
}

/// The data directory when none is given: `NN_DATA_DIR` if set and not
/// empty, otherwise the platform cache directory plus `nn-from-scratch/mnist`
/// (`~/.cache/nn-from-scratch/mnist` on Linux,
/// `~/Library/Caches/nn-from-scratch/mnist` on macOS,
/// `%LOCALAPPDATA%\nn-from-scratch\mnist` on Windows).
///
/// # Errors
///
/// [`Error::NoDataDir`] if `NN_DATA_DIR` is unset and there is no home
/// directory.
///
/// # Example
///
/// ```
/// if std::env::var_os("NN_DATA_DIR").is_none() {
///     if let Ok(dir) = mnist_data::default_data_dir() {
///         assert!(dir.ends_with("nn-from-scratch/mnist"));
///     }
/// }
/// ```
pub fn default_data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("NN_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let base = directories::BaseDirs::new().ok_or(Error::NoDataDir)?;
    Ok(base.cache_dir().join("nn-from-scratch").join("mnist"))
}

/// One split of MNIST as stored: raw pixels and class indices.
///
/// The cheap form to keep in memory (1 byte per pixel); turn it into what a
/// network wants with [`normalize`], [`one_hot_label`] or [`unflatten`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    /// `(N, 784)` raw pixels 0–255, one row-major 28×28 image per row.
    pub images: Array2<u8>,
    /// `(N,)` class indices 0–9.
    pub labels: Array1<u8>,
}

impl Dataset {
    /// Number of images.
    ///
    /// ```
    /// use ndarray::{Array1, Array2};
    /// let ds = mnist_data::Dataset { images: Array2::zeros((3, 784)), labels: Array1::zeros(3) };
    /// assert_eq!(ds.len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    ///
    /// ```
    /// use ndarray::{Array1, Array2};
    /// let ds = mnist_data::Dataset { images: Array2::zeros((0, 784)), labels: Array1::zeros(0) };
    /// assert!(ds.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Image `index` as a `(28, 28)` view, with its label.
    ///
    /// # Errors
    ///
    /// [`Error::IndexOutOfRange`] if `index >= self.len()`.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{Array1, Array2};
    /// let mut images = Array2::zeros((2, 784));
    /// images[[1, 28 + 3]] = 255; // row 1, column 3 of image 1
    /// let ds = mnist_data::Dataset { images, labels: Array1::from(vec![4, 9]) };
    /// let (image, label) = ds.image(1).unwrap();
    /// assert_eq!((image.dim(), image[[1, 3]], label), ((28, 28), 255, 9));
    /// assert!(ds.image(2).is_err());
    /// ```
    pub fn image(&self, index: usize) -> Result<(ArrayView2<'_, u8>, u8)> {
        let len = self.len();
        if index >= len || index >= self.images.nrows() {
            return Err(Error::IndexOutOfRange { index, len });
        }
        let row = self.images.row(index);
        let image = row
            .into_shape_with_order((ROWS, COLS))
            .map_err(|_| Error::IndexOutOfRange { index, len })?;
        Ok((image, self.labels[index]))
    }

    /// The images as `(N, 784)` f32 in `[0, 1]`, like the book's
    /// `normalize=True`: see [`normalize`].
    ///
    /// ```
    /// use ndarray::{Array1, Array2};
    /// let ds = mnist_data::Dataset { images: Array2::from_elem((1, 784), 51), labels: Array1::zeros(1) };
    /// assert_eq!(ds.normalized_images()[[0, 0]], 0.2);
    /// ```
    pub fn normalized_images(&self) -> Array2<f32> {
        normalize(&self.images)
    }
}

/// Loads one split (only its two files are read) from `dir`.
///
/// Files are `t10k-images-idx3-ubyte.gz` etc., gzip-compressed or not (the
/// unzipped names without `.gz` are found too). The structure is checked
/// (magic numbers, dimensions, lengths, equal counts, labels 0–9), not the
/// checksums, so a locally produced copy loads.
///
/// # Errors
///
/// [`Error::MissingFiles`] naming the expected files and how to fetch them,
/// any error of [`read_images`](crate::read_images) /
/// [`read_labels`](crate::read_labels), [`Error::CountMismatch`].
///
/// # Example
///
/// ```no_run
/// # fn main() -> Result<(), mnist_data::Error> {
/// let test = mnist_data::load_split("data", mnist_data::Split::Test)?;
/// assert_eq!(test.images.dim(), (10000, 784));
/// # Ok(())
/// # }
/// ```
pub fn load_split(dir: impl AsRef<Path>, split: Split) -> Result<Dataset> {
    let dir = dir.as_ref();
    let (images, labels) = split_files(dir, &[split])?.remove(0);
    load_pair(&images, &labels)
}

/// [`load_split`] for consumers that start on the first images while the
/// rest are still compressed: the split's labels, read and checked, and its
/// images as blocks of `rows` (see [`read_images_chunked`](crate::read_images_chunked)).
/// The image count in the header is checked against the labels before any
/// pixel is decompressed.
///
/// # Errors
///
/// As [`load_split`]; errors in the image data arrive with the blocks.
///
/// # Example
///
/// ```no_run
/// use mnist_data::{load_split_chunked, Split};
/// # fn main() -> Result<(), mnist_data::Error> {
/// let (blocks, labels) = load_split_chunked("data/mnist", Split::Test, 1000)?;
/// let mut seen = 0;
/// for block in blocks {
///     seen += block?.nrows();
/// }
/// assert_eq!(seen, labels.len());
/// # Ok(())
/// # }
/// ```
pub fn load_split_chunked(
    dir: impl AsRef<Path>,
    split: Split,
    rows: usize,
) -> Result<(crate::ImageChunks, Array1<u8>)> {
    let (images, labels) = split_files(dir.as_ref(), &[split])?.remove(0);
    open_pair_chunked(&images, &labels, rows)
}

/// The images file's blocks of `rows` and the labels, read and checked,
/// after comparing the header's image count with the labels.
fn open_pair_chunked(
    images_path: &Path,
    labels_path: &Path,
    rows: usize,
) -> Result<(crate::ImageChunks, Array1<u8>)> {
    let images = idx::read_images_chunked(images_path, rows)?;
    let labels = idx::read_labels(labels_path)?;
    check_counts(images_path, images.header().count(), labels_path, &labels)?;
    Ok((images, labels))
}

/// [`Error::CountMismatch`] unless there are as many labels as images.
fn check_counts(
    images: &Path,
    image_count: usize,
    labels: &Path,
    label_values: &Array1<u8>,
) -> Result<()> {
    if image_count == label_values.len() {
        return Ok(());
    }
    Err(Error::CountMismatch {
        images: images.to_owned(),
        image_count,
        labels: labels.to_owned(),
        label_count: label_values.len(),
    })
}

fn load_pair(images_path: &Path, labels_path: &Path) -> Result<Dataset> {
    let images = idx::read_images(images_path)?;
    let labels = idx::read_labels(labels_path)?;
    check_counts(images_path, images.nrows(), labels_path, &labels)?;
    Ok(Dataset { images, labels })
}

/// A split as `load_mnist` handles it: raw, or with pixels already
/// normalised.
enum Loaded {
    Raw(Dataset),
    Normalized(Array2<f32>, Array1<u8>),
}

/// Images per block when normalising while decompressing (1.6 MB of pixels).
const NORMALIZE_BLOCK: usize = 2048;

/// Loads a split, normalised if asked.
///
/// Normalising streams: this thread decompresses blocks of images
/// ([`read_images_chunked`](crate::read_images_chunked)) and another one
/// writes each block's f32 values as it arrives. Getting fresh pages from
/// the kernel for the f32 array costs about as much as inflating the pixels
/// (60 000 × 784 × 4 bytes is 46 000 page faults), so the two overlap, and
/// no whole `u8` copy of the split is ever made.
fn load_pair_as(images: &Path, labels: &Path, normalize: bool) -> Result<Loaded> {
    if !normalize {
        return load_pair(images, labels).map(Loaded::Raw);
    }
    let (blocks, labels) = open_pair_chunked(images, labels, NORMALIZE_BLOCK)?;
    let n = labels.len();
    let capacity = blocks.max_pixels();
    let x = blocks.consume_on_thread(|blocks| {
        let mut out = Vec::with_capacity(capacity);
        for block in blocks {
            // A fresh block is in standard order: its vector is its pixels.
            let (pixels, _) = block.into_raw_vec_and_offset();
            out.extend(pixels.iter().map(|&p| scale(p)));
        }
        out
    })?;
    let x = Array2::from_shape_vec((n, PIXELS), x).map_err(|_| Error::BadShape {
        expected: format!("({n}, {PIXELS})"),
        found: "fewer pixels".to_owned(),
    })?;
    Ok(Loaded::Normalized(x, labels))
}

/// Loads both splits, the training one and the test one in parallel.
fn load_both(dir: &Path, normalize: bool) -> Result<(Loaded, Loaded)> {
    let files = split_files(dir, &[Split::Train, Split::Test])?;
    let (train, test) = (&files[0], &files[1]);
    std::thread::scope(|s| {
        let test = s.spawn(|| load_pair_as(&test.0, &test.1, normalize));
        let train = load_pair_as(&train.0, &train.1, normalize);
        let test = test.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        Ok((train?, test?))
    })
}

/// Pixels as f32 in `[0, 1]`: `x / 255`, as the book's
/// `x.astype(np.float32); x /= 255.0` (same rounding: an f32 division).
///
/// Any shape; returns the same shape. Large arrays (a million pixels or
/// more) are converted by several threads.
///
/// # Example
///
/// ```
/// use ndarray::array;
/// let x = array![[0u8, 51, 255]];
/// assert_eq!(mnist_data::normalize(&x), array![[0.0f32, 0.2, 1.0]]);
/// ```
pub fn normalize<S, D>(x: &ArrayBase<S, D>) -> Array<f32, D>
where
    S: Data<Elem = u8>,
    D: Dimension,
{
    match x.as_slice() {
        Some(pixels) => {
            let out = normalize_slice(pixels);
            Array::from_shape_vec(x.raw_dim(), out).unwrap_or_else(|_| x.mapv(scale))
        }
        None => x.mapv(scale),
    }
}

fn scale(p: u8) -> f32 {
    normalize_pixel(p)
}

/// One pixel as [`normalize`] converts it: `p / 255` in f32, the book's
/// `x.astype(np.float32); x /= 255.0`. For consumers that read raw pixels
/// and convert as they go (`nn eval` maps the test set through it row by
/// row instead of making a normalised copy).
///
/// ```
/// assert_eq!(mnist_data::normalize_pixel(0), 0.0);
/// assert_eq!(mnist_data::normalize_pixel(51), 0.2);
/// assert_eq!(mnist_data::normalize_pixel(255), 1.0);
/// ```
pub fn normalize_pixel(p: u8) -> f32 {
    f32::from(p) / 255.0
}

/// Pixels below which one thread converts everything.
const PARALLEL_MIN: usize = 1 << 20;

/// `pixels / 255` into a new vector.
fn normalize_slice(pixels: &[u8]) -> Vec<f32> {
    let mut out = vec![0.0f32; pixels.len()];
    scale_parallel(pixels, &mut out);
    out
}

/// `dst = src / 255`. Most of the cost of a large conversion into fresh
/// memory is the kernel handing out pages, so the work (and the page
/// faults) is split across threads.
fn scale_parallel(src: &[u8], dst: &mut [f32]) {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(src.len() / PARALLEL_MIN)
        .clamp(1, 8);
    if threads == 1 {
        scale_into(src, dst);
        return;
    }
    let chunk = src.len().div_ceil(threads);
    std::thread::scope(|s| {
        let mut parts = src.chunks(chunk).zip(dst.chunks_mut(chunk));
        let first = parts.next();
        for (src, dst) in parts {
            s.spawn(move || scale_into(src, dst));
        }
        if let Some((src, dst)) = first {
            scale_into(src, dst);
        }
    });
}

fn scale_into(src: &[u8], dst: &mut [f32]) {
    for (d, &p) in dst.iter_mut().zip(src) {
        *d = f32::from(p) / 255.0;
    }
}

/// One-hot rows from class indices, the book's `_change_one_hot_label`:
/// row `i` is all zeros except a 1 in column `t[i]`.
///
/// `t` is `(N,)`; the result is `(N, 10)` f32 (each row sums to 1).
///
/// # Errors
///
/// [`Error::InvalidLabel`] if a label is not a digit 0–9.
///
/// # Example
///
/// ```
/// use ndarray::array;
/// let t = mnist_data::one_hot_label(&array![2u8, 0]).unwrap();
/// assert_eq!(t.row(0).to_vec(), vec![0., 0., 1., 0., 0., 0., 0., 0., 0., 0.]);
/// assert_eq!(t[[1, 0]], 1.0);
/// assert!(mnist_data::one_hot_label(&array![10u8]).is_err());
/// ```
#[doc(alias = "_change_one_hot_label")]
#[doc(alias = "one_hot")]
pub fn one_hot_label<S>(t: &ArrayBase<S, Ix1>) -> Result<Array2<f32>>
where
    S: Data<Elem = u8>,
{
    let mut out = Array2::zeros((t.len(), CLASSES));
    for (index, (&label, mut row)) in t.iter().zip(out.rows_mut()).enumerate() {
        let column = usize::from(label);
        if column >= CLASSES {
            return Err(Error::InvalidLabel { index, label });
        }
        row[column] = 1.0;
    }
    Ok(out)
}

/// `(N, 784)` images as `(N, 1, 28, 28)`, the book's `flatten=False`
/// (`x.reshape(-1, 1, 28, 28)`).
///
/// # Errors
///
/// [`Error::BadShape`] if rows do not have 784 elements.
///
/// # Example
///
/// ```
/// use ndarray::Array2;
/// let x = Array2::<f32>::zeros((2, 784));
/// assert_eq!(mnist_data::unflatten(&x).unwrap().dim(), (2, 1, 28, 28));
/// ```
pub fn unflatten<A, S>(x: &ArrayBase<S, Ix2>) -> Result<Array4<A>>
where
    A: Clone,
    S: Data<Elem = A>,
{
    let n = x.nrows();
    x.as_standard_layout()
        .into_owned()
        .into_shape_with_order((n, 1, ROWS, COLS))
        .map_err(|_| Error::BadShape {
            expected: format!("(N, {PIXELS})"),
            found: format!("{:?}", x.shape()),
        })
}

/// Any `(N, …)` array as `(N, product of the rest)`, the book's `flatten=True`
/// (`x.reshape(N, -1)`): `(N, 1, 28, 28)` becomes `(N, 784)`.
///
/// # Example
///
/// ```
/// use ndarray::Array4;
/// let x = Array4::<u8>::zeros((3, 1, 28, 28));
/// assert_eq!(mnist_data::flatten(&x).dim(), (3, 784));
/// ```
pub fn flatten<A, S, D>(x: &ArrayBase<S, D>) -> Array2<A>
where
    A: Clone,
    S: Data<Elem = A>,
    D: Dimension,
{
    let n = x.shape().first().copied().unwrap_or(1);
    let rest = x.shape().iter().skip(1).product::<usize>();
    let flat: Vec<A> = x.iter().cloned().collect();
    Array2::from_shape_vec((n, rest), flat).expect("n × rest is the number of elements")
}

/// The options of the book's `load_mnist`, with the book's defaults
/// (`normalize = true`, `flatten = true`, `one_hot_label = false`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// f32 pixels in `[0, 1]` (pixel / 255); otherwise the raw u8 values.
    pub normalize: bool,
    /// Images as `(N, 784)`; otherwise `(N, 1, 28, 28)`.
    pub flatten: bool,
    /// Labels as `(N, 10)` one-hot f32 rows; otherwise `(N,)` class indices.
    pub one_hot_label: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            normalize: true,
            flatten: true,
            one_hot_label: false,
        }
    }
}

/// Images as `load_mnist` returns them: f32 if normalised, u8 otherwise, of
/// shape `(N, 784)` or `(N, 1, 28, 28)`.
#[derive(Clone, Debug, PartialEq)]
pub enum Images {
    /// Normalised pixels in `[0, 1]`.
    F32(ArrayD<f32>),
    /// Raw pixels 0–255.
    U8(ArrayD<u8>),
}

impl Images {
    /// The shape, `[N, 784]` or `[N, 1, 28, 28]`.
    ///
    /// ```
    /// let x = mnist_data::Images::U8(ndarray::ArrayD::zeros(vec![2, 784]));
    /// assert_eq!(x.shape(), &[2, 784]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        match self {
            Images::F32(a) => a.shape(),
            Images::U8(a) => a.shape(),
        }
    }

    /// Number of images (the first dimension).
    ///
    /// ```
    /// let x = mnist_data::Images::U8(ndarray::ArrayD::zeros(vec![2, 784]));
    /// assert_eq!(x.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.shape().first().copied().unwrap_or(0)
    }

    /// Whether there are no images.
    ///
    /// ```
    /// let x = mnist_data::Images::U8(ndarray::ArrayD::zeros(vec![0, 784]));
    /// assert!(x.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The f32 array if normalised.
    ///
    /// ```
    /// let x = mnist_data::Images::F32(ndarray::ArrayD::zeros(vec![2, 784]));
    /// assert!(x.as_f32().is_some() && x.as_u8().is_none());
    /// ```
    pub fn as_f32(&self) -> Option<&ArrayD<f32>> {
        match self {
            Images::F32(a) => Some(a),
            Images::U8(_) => None,
        }
    }

    /// The u8 array if not normalised.
    ///
    /// ```
    /// let x = mnist_data::Images::U8(ndarray::ArrayD::zeros(vec![2, 784]));
    /// assert_eq!(x.as_u8().map(|a| a.len()), Some(1568));
    /// ```
    pub fn as_u8(&self) -> Option<&ArrayD<u8>> {
        match self {
            Images::U8(a) => Some(a),
            Images::F32(_) => None,
        }
    }

    /// The `(N, 784)` f32 array, if normalised and flattened.
    ///
    /// ```
    /// let x = mnist_data::Images::F32(ndarray::ArrayD::zeros(vec![2, 784]));
    /// assert_eq!(x.into_f32_2d().map(|a| a.dim()), Some((2, 784)));
    /// ```
    pub fn into_f32_2d(self) -> Option<Array2<f32>> {
        match self {
            Images::F32(a) => a.into_dimensionality().ok(),
            Images::U8(_) => None,
        }
    }

    /// The `(N, 1, 28, 28)` f32 array, if normalised and not flattened.
    ///
    /// ```
    /// let x = mnist_data::Images::F32(ndarray::ArrayD::zeros(vec![2, 1, 28, 28]));
    /// assert_eq!(x.into_f32_4d().map(|a| a.dim()), Some((2, 1, 28, 28)));
    /// ```
    pub fn into_f32_4d(self) -> Option<Array4<f32>> {
        match self {
            Images::F32(a) => a.into_dimensionality().ok(),
            Images::U8(_) => None,
        }
    }

    /// The `(N, 784)` u8 array, if raw and flattened.
    ///
    /// ```
    /// let x = mnist_data::Images::U8(ndarray::ArrayD::zeros(vec![2, 784]));
    /// assert_eq!(x.into_u8_2d().map(|a| a.dim()), Some((2, 784)));
    /// ```
    pub fn into_u8_2d(self) -> Option<Array2<u8>> {
        match self {
            Images::U8(a) => a.into_dimensionality().ok(),
            Images::F32(_) => None,
        }
    }

    /// The `(N, 1, 28, 28)` u8 array, if raw and not flattened.
    ///
    /// ```
    /// let x = mnist_data::Images::U8(ndarray::ArrayD::zeros(vec![2, 1, 28, 28]));
    /// assert_eq!(x.into_u8_4d().map(|a| a.dim()), Some((2, 1, 28, 28)));
    /// ```
    pub fn into_u8_4d(self) -> Option<Array4<u8>> {
        match self {
            Images::U8(a) => a.into_dimensionality().ok(),
            Images::F32(_) => None,
        }
    }
}

/// Labels as `load_mnist` returns them: class indices or one-hot rows.
#[derive(Clone, Debug, PartialEq)]
pub enum Labels {
    /// `(N,)` class indices 0–9.
    Index(Array1<u8>),
    /// `(N, 10)` one-hot f32 rows.
    OneHot(Array2<f32>),
}

impl Labels {
    /// Number of labels.
    ///
    /// ```
    /// let t = mnist_data::Labels::Index(ndarray::array![7, 2]);
    /// assert_eq!(t.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        match self {
            Labels::Index(a) => a.len(),
            Labels::OneHot(a) => a.nrows(),
        }
    }

    /// Whether there are no labels.
    ///
    /// ```
    /// let t = mnist_data::Labels::Index(ndarray::Array1::zeros(0));
    /// assert!(t.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The class indices, if not one-hot.
    ///
    /// ```
    /// let t = mnist_data::Labels::Index(ndarray::array![7, 2]);
    /// assert_eq!(t.as_index().map(|a| a[0]), Some(7));
    /// ```
    pub fn as_index(&self) -> Option<&Array1<u8>> {
        match self {
            Labels::Index(a) => Some(a),
            Labels::OneHot(_) => None,
        }
    }

    /// The one-hot rows, if one-hot.
    ///
    /// ```
    /// let t = mnist_data::Labels::OneHot(ndarray::Array2::zeros((2, 10)));
    /// assert_eq!(t.as_one_hot().map(|a| a.dim()), Some((2, 10)));
    /// ```
    pub fn as_one_hot(&self) -> Option<&Array2<f32>> {
        match self {
            Labels::OneHot(a) => Some(a),
            Labels::Index(_) => None,
        }
    }

    /// The class indices, if not one-hot.
    ///
    /// ```
    /// let t = mnist_data::Labels::Index(ndarray::array![7, 2]);
    /// assert_eq!(t.into_index().map(|a| a.to_vec()), Some(vec![7, 2]));
    /// ```
    pub fn into_index(self) -> Option<Array1<u8>> {
        match self {
            Labels::Index(a) => Some(a),
            Labels::OneHot(_) => None,
        }
    }

    /// The one-hot rows, if one-hot.
    ///
    /// ```
    /// let t = mnist_data::Labels::Index(ndarray::array![7, 2]);
    /// assert!(t.into_one_hot().is_none());
    /// ```
    pub fn into_one_hot(self) -> Option<Array2<f32>> {
        match self {
            Labels::OneHot(a) => Some(a),
            Labels::Index(_) => None,
        }
    }
}

/// Applies the book's options to one split.
fn shape_split(loaded: Loaded, options: LoadOptions) -> Result<(Images, Labels)> {
    let (images, labels) = match loaded {
        Loaded::Raw(ds) => (Images::U8(ds.images.into_dyn()), ds.labels),
        Loaded::Normalized(x, t) => (Images::F32(x.into_dyn()), t),
    };
    let images = if options.flatten {
        images
    } else {
        let n = images.len();
        let bad_shape = |_| Error::BadShape {
            expected: format!("(N, {PIXELS})"),
            found: format!("({n}, ?)"),
        };
        let dims = vec![n, 1, ROWS, COLS];
        match images {
            Images::F32(a) => Images::F32(a.into_shape_with_order(dims).map_err(bad_shape)?),
            Images::U8(a) => Images::U8(a.into_shape_with_order(dims).map_err(bad_shape)?),
        }
    };
    let labels = if options.one_hot_label {
        Labels::OneHot(one_hot_label(&labels)?)
    } else {
        Labels::Index(labels)
    };
    Ok((images, labels))
}

/// The book's `load_mnist`: `((x_train, t_train), (x_test, t_test))` from the
/// four MNIST files in `dir`.
///
/// - `normalize`: f32 pixels `x / 255` in `[0, 1]`, otherwise raw u8;
/// - `flatten`: images `(N, 784)`, otherwise `(N, 1, 28, 28)`;
/// - `one_hot_label`: labels `(N, 10)` f32 one-hot, otherwise `(N,)` u8.
///
/// N is 60 000 for training, 10 000 for test. The two splits are read in
/// parallel. For one split, or to keep raw pixels, use [`load_split`].
///
/// # Errors
///
/// As [`load_split`]; a missing-files error names all four files.
///
/// # Example
///
/// ```no_run
/// use mnist_data::{load_mnist, LoadOptions};
/// # fn main() -> Result<(), mnist_data::Error> {
/// let ((x_train, t_train), (x_test, t_test)) = load_mnist("data", LoadOptions::default())?;
/// assert_eq!(x_train.shape(), &[60000, 784]);
/// assert_eq!(t_train.len(), 60000);
/// assert_eq!(x_test.shape(), &[10000, 784]);
/// assert_eq!(t_test.as_index().map(|t| t[0]), Some(7));
/// # Ok(())
/// # }
/// ```
#[allow(clippy::type_complexity)]
pub fn load_mnist(
    dir: impl AsRef<Path>,
    options: LoadOptions,
) -> Result<((Images, Labels), (Images, Labels))> {
    let (train, test) = load_both(dir.as_ref(), options.normalize)?;
    Ok((shape_split(train, options)?, shape_split(test, options)?))
}

/// How many labels of each digit 0–9 there are in `(N,)` class indices
/// (values above 9 are not counted).
///
/// # Example
///
/// ```
/// use ndarray::array;
/// let counts = mnist_data::label_counts(&array![1u8, 1, 9]);
/// assert_eq!(counts, [0, 2, 0, 0, 0, 0, 0, 0, 0, 1]);
/// ```
pub fn label_counts<S>(t: &ArrayBase<S, Ix1>) -> [usize; CLASSES]
where
    S: Data<Elem = u8>,
{
    let mut counts = [0; CLASSES];
    for &label in t {
        if let Some(c) = counts.get_mut(usize::from(label)) {
            *c += 1;
        }
    }
    counts
}
