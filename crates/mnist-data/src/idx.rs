//! The IDX file format of MNIST, gzip-compressed or not.
//!
//! An IDX file is a big-endian header, `[0, 0, dtype, ndim]` then `ndim`
//! dimension sizes as `u32`, followed by the data in row-major order. MNIST
//! uses `dtype = 0x08` (unsigned byte): images are `N×28×28` (magic 2051),
//! labels `N` (magic 2049). Whether a file is gzip-compressed is decided from
//! its first bytes, never from its name.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use ndarray::{Array1, Array2};

use crate::error::{Error, Result};

/// Magic number of an IDX images file: unsigned bytes, 3 dimensions.
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX labels file: unsigned bytes, 1 dimension.
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// Rows of an MNIST image.
pub const ROWS: usize = 28;
/// Columns of an MNIST image.
pub const COLS: usize = 28;
/// Pixels of an MNIST image, `28 × 28`.
pub const PIXELS: usize = ROWS * COLS;
/// Number of classes (the digits 0–9).
pub const CLASSES: usize = 10;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const IDX_UBYTE: u8 = 0x08;
/// Largest deflate expansion ratio (a bound used to cap pre-allocation).
const MAX_DEFLATE_RATIO: u64 = 1032;

/// The header of an IDX file, as read by [`read_idx_header`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxHeader {
    /// The magic number: `0x0000_08NN` for unsigned bytes in `NN` dimensions
    /// (2051 for MNIST images, 2049 for labels).
    pub magic: u32,
    /// The dimension sizes, e.g. `[10000, 28, 28]`.
    pub dims: Vec<usize>,
    /// Whether the file on disk is gzip-compressed.
    pub gzip: bool,
}

impl IdxHeader {
    /// Bytes of the header itself: `4 + 4 × ndim`.
    ///
    /// ```
    /// let h = mnist_data::IdxHeader { magic: 2051, dims: vec![2, 28, 28], gzip: false };
    /// assert_eq!(h.header_len(), 16);
    /// ```
    pub fn header_len(&self) -> u64 {
        4 + 4 * self.dims.len() as u64
    }

    /// Bytes of data after the header: the product of the dimensions (one
    /// byte per element), or `None` if it overflows `u64`.
    ///
    /// ```
    /// let h = mnist_data::IdxHeader { magic: 2051, dims: vec![2, 28, 28], gzip: true };
    /// assert_eq!(h.data_len(), Some(1568));
    /// ```
    pub fn data_len(&self) -> Option<u64> {
        self.dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
    }

    /// The number of items, the first dimension (0 for a 0-dimensional file).
    ///
    /// ```
    /// let h = mnist_data::IdxHeader { magic: 2049, dims: vec![10000], gzip: true };
    /// assert_eq!(h.count(), 10000);
    /// ```
    pub fn count(&self) -> usize {
        self.dims.first().copied().unwrap_or(0)
    }
}

/// What a file is expected to hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Images,
    Labels,
    Any,
}

/// An opened IDX file: a reader positioned at the start of the IDX content.
struct Opened<'a> {
    reader: Box<dyn Read + 'a>,
    gzip: bool,
    /// An upper bound on the uncompressed size, to cap pre-allocation.
    size_bound: u64,
}

/// What the first (up to four) bytes say a file is: `Ok(true)` for gzip,
/// `Ok(false)` for a raw unsigned-byte IDX file.
fn sniff(start: &[u8], path: &Path) -> Result<bool> {
    if start.starts_with(&GZIP_MAGIC) {
        return Ok(true);
    }
    // A raw IDX file starts with two zero bytes then the unsigned-byte type.
    if start.len() == 4 && start[..3] == [0, 0, IDX_UBYTE] {
        return Ok(false);
    }
    Err(Error::UnknownFormat {
        path: path.to_owned(),
        found: start.to_vec(),
    })
}

/// The upper bound on what `len` compressed bytes inflate to.
fn gzip_bound(len: u64) -> u64 {
    len.saturating_mul(MAX_DEFLATE_RATIO).saturating_add(64)
}

/// Opens the IDX content of `bytes` (gzip or raw, sniffed from the content).
fn open_bytes<'a>(bytes: &'a [u8], path: &Path) -> Result<Opened<'a>> {
    let gzip = sniff(&bytes[..bytes.len().min(4)], path)?;
    Ok(open_buffered(bytes, bytes.len() as u64, gzip))
}

/// An in-memory file (`len` bytes), through a gzip decoder when `gzip`.
fn open_buffered<'a>(bytes: impl io::BufRead + 'a, len: u64, gzip: bool) -> Opened<'a> {
    if gzip {
        Opened {
            reader: Box::new(flate2::bufread::GzDecoder::new(bytes)),
            gzip: true,
            size_bound: gzip_bound(len),
        }
    } else {
        Opened {
            reader: Box::new(bytes),
            gzip: false,
            size_bound: len,
        }
    }
}

/// A file, sniffed: a gzip file read whole into memory (fastest for a full
/// load, then parsed as bytes), or a raw one left open to stream from.
enum FileContent {
    Whole(Vec<u8>),
    Stream(File, u64, bool),
}

/// Opens `path` and sniffs gzip from the content. `whole` reads a compressed
/// file into memory; otherwise it streams.
fn open(path: &Path, whole: bool) -> Result<FileContent> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut start = [0u8; 4];
    let n = read_up_to(&mut file, &mut start).map_err(|e| Error::io(path, e))?;
    let gzip = sniff(&start[..n], path)?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if gzip && whole {
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        bytes.extend_from_slice(&start[..n]);
        file.read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, e))?;
        return Ok(FileContent::Whole(bytes));
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(path, e))?;
    Ok(FileContent::Stream(file, len, gzip))
}

/// Streams an opened file: through a gzip decoder when `gzip`.
fn stream(file: File, len: u64, gzip: bool) -> Opened<'static> {
    if gzip {
        Opened {
            reader: Box::new(flate2::bufread::GzDecoder::new(BufReader::new(file))),
            gzip,
            size_bound: gzip_bound(len),
        }
    } else {
        Opened {
            reader: Box::new(file),
            gzip,
            size_bound: len,
        }
    }
}

/// Reads until `buf` is full or the end of input; returns the bytes read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Turns a read error on the (possibly decompressed) stream into our error:
/// decoder errors are corrupt gzip data, the rest are I/O errors.
fn stream_error(path: &Path, gzip: bool, e: io::Error) -> Error {
    let decoder_error = matches!(
        e.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
    );
    if gzip && decoder_error {
        Error::Gzip {
            path: path.to_owned(),
            source: e,
        }
    } else {
        Error::io(path, e)
    }
}

/// Reads exactly `buf.len()` bytes of header at uncompressed offset `at`.
fn read_header_bytes(opened: &mut Opened<'_>, path: &Path, buf: &mut [u8], at: u64) -> Result<()> {
    let n = read_up_to(&mut opened.reader, buf).map_err(|e| stream_error(path, opened.gzip, e))?;
    if n < buf.len() {
        return Err(Error::Truncated {
            path: path.to_owned(),
            expected: at + buf.len() as u64,
            found: at + n as u64,
        });
    }
    Ok(())
}

fn parse_header(opened: &mut Opened<'_>, path: &Path, role: Role) -> Result<IdxHeader> {
    let mut magic = [0u8; 4];
    read_header_bytes(opened, path, &mut magic, 0)?;
    let magic = u32::from_be_bytes(magic);
    let expected = match role {
        Role::Images => Some(IMAGES_MAGIC),
        Role::Labels => Some(LABELS_MAGIC),
        Role::Any => None,
    };
    match expected {
        Some(want) if magic != want => {
            return Err(Error::BadMagic {
                path: path.to_owned(),
                expected: want,
                found: magic,
            });
        }
        // Any unsigned-byte IDX file with at least one dimension.
        None if magic >> 8 != u32::from(IDX_UBYTE) || magic & 0xff == 0 => {
            return Err(Error::BadMagic {
                path: path.to_owned(),
                expected: IMAGES_MAGIC,
                found: magic,
            });
        }
        _ => {}
    }
    let ndim = (magic & 0xff) as usize;
    let mut raw = vec![0u8; 4 * ndim];
    read_header_bytes(opened, path, &mut raw, 4)?;
    let dims = raw
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    Ok(IdxHeader {
        magic,
        dims,
        gzip: opened.gzip,
    })
}

/// Reads the header of the IDX file at `path` (gzip or raw), decompressing
/// only its first bytes.
///
/// Accepts any unsigned-byte IDX file; use [`IdxHeader::magic`] to tell images
/// (2051) from labels (2049).
///
/// # Errors
///
/// [`Error::Io`] if the file cannot be read, [`Error::UnknownFormat`] if it is
/// neither gzip nor IDX, [`Error::Gzip`] for a corrupt stream,
/// [`Error::BadMagic`] for a non-ubyte IDX type, [`Error::Truncated`] if the
/// header is cut short.
///
/// # Example
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("labels-idx1-ubyte");
/// // magic 2049, 3 labels, then the labels
/// std::fs::write(&path, [0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])?;
/// let header = mnist_data::read_idx_header(&path)?;
/// assert_eq!((header.magic, header.dims.clone(), header.gzip), (2049, vec![3], false));
/// # Ok(())
/// # }
/// ```
pub fn read_idx_header(path: impl AsRef<Path>) -> Result<IdxHeader> {
    let path = path.as_ref();
    match open(path, false)? {
        FileContent::Whole(bytes) => read_idx_header_bytes(&bytes, path),
        FileContent::Stream(file, len, gzip) => {
            parse_header(&mut stream(file, len, gzip), path, Role::Any)
        }
    }
}

/// Reads the header of an IDX file held in memory (gzip or raw); `name` is
/// the file name errors mention. [`read_idx_header`] on bytes.
///
/// # Errors
///
/// As [`read_idx_header`], without [`Error::Io`].
///
/// # Example
///
/// ```
/// let bytes = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28];
/// let header = mnist_data::read_idx_header_bytes(&bytes, "images")?;
/// assert_eq!((header.magic, header.dims), (2051, vec![2, 28, 28]));
/// let err = mnist_data::read_idx_header_bytes(b"PK\x03\x04", "images.zip").unwrap_err();
/// assert_eq!(err.to_string(), "images.zip is neither gzip nor an idx file (it starts with 50 4b 03 04)");
/// # Ok::<(), mnist_data::Error>(())
/// ```
pub fn read_idx_header_bytes(bytes: &[u8], name: impl AsRef<Path>) -> Result<IdxHeader> {
    let path = name.as_ref();
    parse_header(&mut open_bytes(bytes, path)?, path, Role::Any)
}

/// Reads the header, checks the expected dimensions, then reads exactly the
/// data the header announces and checks that nothing follows.
fn read_data(path: &Path, role: Role) -> Result<(IdxHeader, Vec<u8>)> {
    match open(path, true)? {
        FileContent::Whole(bytes) => read_data_from(open_bytes(&bytes, path)?, path, role),
        FileContent::Stream(file, len, gzip) => read_data_from(stream(file, len, gzip), path, role),
    }
}

/// [`read_data`] on an opened file or byte slice.
fn read_data_from(opened: Opened<'_>, path: &Path, role: Role) -> Result<(IdxHeader, Vec<u8>)> {
    let mut reader = DataReader::new(opened, path, role)?;
    let capacity = reader
        .data_len
        .min(reader.opened.size_bound.saturating_sub(reader.header_len));
    let mut data = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    reader.read_into(&mut data, reader.data_len)?;
    reader.finish()?;
    Ok((reader.header, data))
}

/// The data of an opened IDX file, read in as many pieces as the caller
/// wants, with every check of a whole read: dimensions, truncation,
/// trailing bytes, and (for gzip) the trailer's CRC and length.
struct DataReader<'a> {
    opened: Opened<'a>,
    path: std::path::PathBuf,
    header: IdxHeader,
    header_len: u64,
    data_len: u64,
    /// Data bytes read so far.
    done: u64,
}

impl<'a> DataReader<'a> {
    /// Reads and checks the header.
    fn new(mut opened: Opened<'a>, path: &Path, role: Role) -> Result<Self> {
        let header = parse_header(&mut opened, path, role)?;
        match role {
            Role::Images if header.dims[1..] != [ROWS, COLS] => {
                return Err(Error::BadDimensions {
                    path: path.to_owned(),
                    expected: format!("N×{ROWS}×{COLS}"),
                    found: dims_text(&header.dims),
                });
            }
            _ => {}
        }
        let header_len = header.header_len();
        let data_len = header.data_len().ok_or_else(|| Error::BadDimensions {
            path: path.to_owned(),
            expected: "a size that fits in memory".to_owned(),
            found: dims_text(&header.dims),
        })?;
        Ok(Self {
            opened,
            path: path.to_owned(),
            header,
            header_len,
            data_len,
            done: 0,
        })
    }

    /// Data bytes not read yet.
    fn remaining(&self) -> u64 {
        self.data_len - self.done
    }

    /// Appends the next `n` data bytes (at most what remains) to `data`.
    fn read_into(&mut self, data: &mut Vec<u8>, n: u64) -> Result<()> {
        let n = n.min(self.remaining());
        let before = data.len();
        let result = (&mut self.opened.reader).take(n).read_to_end(data);
        self.done += (data.len() - before) as u64;
        let truncated = || Error::Truncated {
            path: self.path.clone(),
            expected: self.header_len + self.data_len,
            found: self.header_len + self.done,
        };
        match result {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(truncated()),
            Err(e) => return Err(stream_error(&self.path, self.opened.gzip, e)),
            Ok(_) => {}
        }
        if ((data.len() - before) as u64) < n {
            return Err(truncated());
        }
        Ok(())
    }

    /// After the last data byte: reads on to the end, which catches
    /// trailing bytes and, for gzip, makes the decoder check the trailer.
    fn finish(&mut self) -> Result<()> {
        let mut probe = [0u8; 1];
        let extra = read_up_to(&mut self.opened.reader, &mut probe)
            .map_err(|e| stream_error(&self.path, self.opened.gzip, e))?;
        if extra > 0 {
            return Err(Error::TrailingData {
                path: self.path.clone(),
                expected: self.header_len + self.data_len,
            });
        }
        Ok(())
    }
}

fn dims_text(dims: &[usize]) -> String {
    if dims.is_empty() {
        return "no dimensions".to_owned();
    }
    dims.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("×")
}

/// Reads an IDX images file (gzip or raw) into an `(N, 784)` array of raw
/// pixels, one row per image (row-major 28×28).
///
/// # Errors
///
/// Everything [`read_idx_header`] reports, plus [`Error::BadMagic`] if the
/// magic is not 2051, [`Error::BadDimensions`] if images are not 28×28,
/// [`Error::Truncated`] / [`Error::TrailingData`] if the data length does not
/// match the header.
///
/// # Example
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("images-idx3-ubyte");
/// let mut bytes = vec![0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28];
/// bytes.extend((0..784).map(|i| (i % 256) as u8));
/// std::fs::write(&path, bytes)?;
/// let x = mnist_data::read_images(&path)?;
/// assert_eq!(x.dim(), (1, 784));
/// assert_eq!((x[[0, 0]], x[[0, 300]]), (0, 44));
/// # Ok(())
/// # }
/// ```
pub fn read_images(path: impl AsRef<Path>) -> Result<Array2<u8>> {
    let path = path.as_ref();
    images_array(read_data(path, Role::Images)?, path)
}

/// Reads an IDX images file held in memory (gzip or raw) into an `(N, 784)`
/// array; `name` is the file name errors mention. [`read_images`] on bytes.
///
/// # Errors
///
/// As [`read_images`], without [`Error::Io`].
///
/// # Example
///
/// ```
/// let mut bytes = vec![0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28];
/// bytes.extend([255; 784]);
/// assert_eq!(mnist_data::read_images_bytes(&bytes, "images")?.dim(), (1, 784));
/// bytes.pop();
/// let err = mnist_data::read_images_bytes(&bytes, "images").unwrap_err();
/// assert!(matches!(err, mnist_data::Error::Truncated { expected: 800, found: 799, .. }));
/// # Ok::<(), mnist_data::Error>(())
/// ```
pub fn read_images_bytes(bytes: &[u8], name: impl AsRef<Path>) -> Result<Array2<u8>> {
    let path = name.as_ref();
    images_array(
        read_data_from(open_bytes(bytes, path)?, path, Role::Images)?,
        path,
    )
}

/// Reads an IDX images file (gzip or raw) `rows` images at a time: each
/// item is the next `(k, 784)` block of raw pixels (`k ≤ rows`, the last
/// block shorter), decompressed only when asked for. For consumers that can
/// start on the first images while the rest are still compressed (`nn eval`
/// classifies them on another thread as they come).
///
/// The header is read and checked by this call; the items carry every
/// later error [`read_images`] reports (a truncated file fails on the block
/// where the data ends, trailing data or a bad gzip trailer after the last
/// block), after which the iterator ends. The blocks joined are exactly
/// [`read_images`]'s array. `rows = 0` reads one image at a time.
///
/// # Errors
///
/// As [`read_images`].
///
/// # Example
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("images-idx3-ubyte");
/// let mut bytes = vec![0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 28, 0, 0, 0, 28];
/// bytes.extend((0..5 * 784).map(|i| (i / 784) as u8));
/// std::fs::write(&path, &bytes)?;
/// let blocks = mnist_data::read_images_chunked(&path, 2)?;
/// assert_eq!(blocks.header().count(), 5);
/// let blocks: Vec<_> = blocks.collect::<Result<_, _>>()?;
/// let rows: Vec<usize> = blocks.iter().map(|b| b.nrows()).collect();
/// assert_eq!(rows, [2, 2, 1]);
/// assert_eq!(blocks[2][[0, 0]], 4);
///
/// std::fs::write(&path, &bytes[..bytes.len() - 1])?;
/// let last = mnist_data::read_images_chunked(&path, 2)?.last().unwrap();
/// assert!(matches!(last, Err(mnist_data::Error::Truncated { .. })));
/// # Ok(())
/// # }
/// ```
pub fn read_images_chunked(path: impl AsRef<Path>, rows: usize) -> Result<ImageChunks> {
    let path = path.as_ref();
    let opened = match open(path, true)? {
        FileContent::Whole(bytes) => {
            let len = bytes.len() as u64;
            open_buffered(io::Cursor::new(bytes), len, true)
        }
        FileContent::Stream(file, len, gzip) => stream(file, len, gzip),
    };
    Ok(ImageChunks {
        reader: DataReader::new(opened, path, Role::Images)?,
        rows: rows.max(1),
        ended: false,
    })
}

/// The blocks of images of [`read_images_chunked`].
pub struct ImageChunks {
    reader: DataReader<'static>,
    rows: usize,
    ended: bool,
}

impl ImageChunks {
    /// The file's header (checked: 2051, `N×28×28`).
    pub fn header(&self) -> &IdxHeader {
        &self.reader.header
    }

    /// The pixels the file can hold at most: what its header announces,
    /// capped by what its size allows (a buffer for all the blocks is never
    /// larger than the input justifies).
    pub(crate) fn max_pixels(&self) -> usize {
        let r = &self.reader;
        let bound = r
            .data_len
            .min(r.opened.size_bound.saturating_sub(r.header_len));
        usize::try_from(bound).unwrap_or(0)
    }

    /// Runs `consumer` on another thread over the blocks, while this thread
    /// decompresses them (a few blocks ahead at most): decompressing and
    /// whatever the consumer does with the pixels overlap on two cores.
    ///
    /// Returns what `consumer` returns, or the first error of the file (the
    /// consumer then sees the blocks end early). If the consumer returns
    /// before the last block, the rest is not decompressed.
    ///
    /// # Errors
    ///
    /// As [`read_images`], for the data after the header.
    ///
    /// # Example
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("images-idx3-ubyte");
    /// let mut bytes = vec![0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 28, 0, 0, 0, 28];
    /// bytes.extend((0..5 * 784).map(|i| (i / 784) as u8));
    /// std::fs::write(&path, &bytes)?;
    /// let blocks = mnist_data::read_images_chunked(&path, 2)?;
    /// let firsts = blocks.consume_on_thread(|blocks| {
    ///     blocks.flat_map(|b| b.column(0).to_vec()).collect::<Vec<u8>>()
    /// })?;
    /// assert_eq!(firsts, [0, 1, 2, 3, 4]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn consume_on_thread<R: Send>(
        self,
        consumer: impl FnOnce(&mut dyn Iterator<Item = Array2<u8>>) -> R + Send,
    ) -> Result<R> {
        std::thread::scope(|s| {
            let (send, receive) = std::sync::mpsc::sync_channel::<Array2<u8>>(4);
            let worker = s.spawn(move || consumer(&mut receive.into_iter()));
            let mut failed = None;
            for block in self {
                match block {
                    Ok(block) => {
                        // A send fails only when the consumer has returned.
                        if send.send(block).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            drop(send);
            let done = worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            match failed {
                Some(e) => Err(e),
                None => Ok(done),
            }
        })
    }
}

impl std::fmt::Debug for ImageChunks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageChunks")
            .field("path", &self.reader.path)
            .field("header", &self.reader.header)
            .field("rows", &self.rows)
            .field("read", &self.reader.done)
            .finish()
    }
}

impl Iterator for ImageChunks {
    type Item = Result<Array2<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        if self.reader.remaining() == 0 {
            self.ended = true;
            return self.reader.finish().err().map(Err);
        }
        let want = (self.rows * PIXELS) as u64;
        let mut block = Vec::with_capacity(want.min(self.reader.remaining()) as usize);
        if let Err(e) = self.reader.read_into(&mut block, want) {
            self.ended = true;
            return Some(Err(e));
        }
        let k = block.len() / PIXELS;
        Some(Ok(
            Array2::from_shape_vec((k, PIXELS), block).expect("whole images: 784 bytes each")
        ))
    }
}

fn images_array((header, data): (IdxHeader, Vec<u8>), path: &Path) -> Result<Array2<u8>> {
    let n = header.count();
    Array2::from_shape_vec((n, PIXELS), data).map_err(|_| Error::BadDimensions {
        path: path.to_owned(),
        expected: format!("N×{ROWS}×{COLS}"),
        found: dims_text(&header.dims),
    })
}

/// Reads an IDX labels file (gzip or raw) into an `(N,)` array of class
/// indices, checking that each is a digit 0–9.
///
/// # Errors
///
/// Everything [`read_idx_header`] reports, plus [`Error::BadMagic`] if the
/// magic is not 2049, [`Error::Truncated`] / [`Error::TrailingData`] if the
/// data length does not match the header, [`Error::LabelOutOfRange`] for a
/// label above 9.
///
/// # Example
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("labels-idx1-ubyte");
/// std::fs::write(&path, [0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])?;
/// assert_eq!(mnist_data::read_labels(&path)?.to_vec(), vec![7, 2, 1]);
/// # Ok(())
/// # }
/// ```
pub fn read_labels(path: impl AsRef<Path>) -> Result<Array1<u8>> {
    let path = path.as_ref();
    labels_array(read_data(path, Role::Labels)?.1, path)
}

/// Reads an IDX labels file held in memory (gzip or raw) into an `(N,)`
/// array; `name` is the file name errors mention. [`read_labels`] on bytes.
///
/// # Errors
///
/// As [`read_labels`], without [`Error::Io`].
///
/// # Example
///
/// ```
/// let bytes = [0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1];
/// assert_eq!(mnist_data::read_labels_bytes(&bytes, "labels")?.to_vec(), vec![7, 2, 1]);
/// let err = mnist_data::read_labels_bytes(&[0, 0, 8, 1, 0, 0, 0, 1, 10], "labels").unwrap_err();
/// assert_eq!(err.to_string(), "label 10 at index 0 in labels is out of range 0-9");
/// # Ok::<(), mnist_data::Error>(())
/// ```
pub fn read_labels_bytes(bytes: &[u8], name: impl AsRef<Path>) -> Result<Array1<u8>> {
    let path = name.as_ref();
    labels_array(
        read_data_from(open_bytes(bytes, path)?, path, Role::Labels)?.1,
        path,
    )
}

fn labels_array(data: Vec<u8>, path: &Path) -> Result<Array1<u8>> {
    if let Some((index, &label)) = data
        .iter()
        .enumerate()
        .find(|&(_, &l)| usize::from(l) >= CLASSES)
    {
        return Err(Error::LabelOutOfRange {
            path: path.to_owned(),
            index,
            label,
        });
    }
    Ok(Array1::from_vec(data))
}
