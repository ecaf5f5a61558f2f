//! Downloading MNIST (and the book's `sample_weight.pkl`): mirrors with
//! fallback, pinned sizes and SHA-256, atomic writes (feature `fetch`).
//!
//! Every file is streamed to a temporary file in the data directory, checked
//! against its pinned size and SHA-256, synced, then renamed into place: a
//! failed or interrupted fetch never leaves a file under a name that a later
//! run (or [`load_split`](crate::load_split)) would pick up. A killed fetch
//! leaves its temporary file behind; the next fetch of that file removes it
//! once it is older than [`STALE_PART_AGE`]. The library never prints; it
//! reports what it does through [`FetchEvent`]s.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The MNIST mirrors tried in order when no mirror is given: PyTorch's S3
/// mirror, then the CVDF mirror on Google Cloud Storage.
pub const DEFAULT_MIRRORS: [&str; 2] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
];

/// Where the book's `sample_weight.pkl` comes from when no mirror is given:
/// `ch03/` of the book's repository (oreilly-japan/deep-learning-from-scratch).
pub const WEIGHTS_BASE: &str =
    "https://github.com/oreilly-japan/deep-learning-from-scratch/raw/master/ch03/";

/// How long a temporary `.NAME.XXXXXX.part` file must have gone unwritten
/// before a fetch of `NAME` removes it as left behind by a killed fetch (one
/// hour, or twice the read timeout if that is longer).
///
/// A live fetch writes to its temporary file at least once per read timeout,
/// or gives up and removes it, so a file that old is nobody's: a fetch
/// running at the same time in another process keeps its own.
pub const STALE_PART_AGE: Duration = Duration::from_secs(60 * 60);

/// A file to fetch: its name, pinned size and pinned SHA-256.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileSpec<'a> {
    /// File name, in the data directory and on the mirror.
    pub name: &'a str,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: &'a str,
}

/// `train-images-idx3-ubyte.gz`, the official file.
pub const TRAIN_IMAGES: FileSpec<'static> = FileSpec {
    name: "train-images-idx3-ubyte.gz",
    size: 9_912_422,
    sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
};
/// `train-labels-idx1-ubyte.gz`, the official file.
pub const TRAIN_LABELS: FileSpec<'static> = FileSpec {
    name: "train-labels-idx1-ubyte.gz",
    size: 28_881,
    sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
};
/// `t10k-images-idx3-ubyte.gz`, the official file.
pub const TEST_IMAGES: FileSpec<'static> = FileSpec {
    name: "t10k-images-idx3-ubyte.gz",
    size: 1_648_877,
    sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
};
/// `t10k-labels-idx1-ubyte.gz`, the official file.
pub const TEST_LABELS: FileSpec<'static> = FileSpec {
    name: "t10k-labels-idx1-ubyte.gz",
    size: 4_542,
    sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
};
/// `sample_weight.pkl`, the book's trained 784-50-100-10 network (`ch03/`).
pub const SAMPLE_WEIGHT: FileSpec<'static> = FileSpec {
    name: "sample_weight.pkl",
    size: 181_853,
    sha256: "b7f55a27988ba34c3777b0f1bbd464817c8a4db855723e6ff26f703501917a13",
};

/// What to fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum What {
    /// The test split: `t10k-images` and `t10k-labels`.
    Test,
    /// The training split: `train-images` and `train-labels`.
    Train,
    /// The book's `sample_weight.pkl`.
    Weights,
    /// Test, then train, then weights.
    All,
}

impl What {
    /// The files, in the order they are fetched.
    ///
    /// ```
    /// use mnist_data::fetch::What;
    /// let names: Vec<_> = What::Test.files().iter().map(|f| f.name).collect();
    /// assert_eq!(names, ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]);
    /// assert_eq!(What::All.files().len(), 5);
    /// ```
    pub fn files(self) -> Vec<FileSpec<'static>> {
        match self {
            What::Test => vec![TEST_IMAGES, TEST_LABELS],
            What::Train => vec![TRAIN_IMAGES, TRAIN_LABELS],
            What::Weights => vec![SAMPLE_WEIGHT],
            What::All => vec![
                TEST_IMAGES,
                TEST_LABELS,
                TRAIN_IMAGES,
                TRAIN_LABELS,
                SAMPLE_WEIGHT,
            ],
        }
    }

    /// `test`, `train`, `weights` or `all`.
    ///
    /// ```
    /// assert_eq!(mnist_data::fetch::What::Weights.name(), "weights");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            What::Test => "test",
            What::Train => "train",
            What::Weights => "weights",
            What::All => "all",
        }
    }
}

impl FromStr for What {
    type Err = String;

    /// Parses `test`, `train`, `weights` or `all`.
    ///
    /// ```
    /// use mnist_data::fetch::What;
    /// assert_eq!("train".parse::<What>(), Ok(What::Train));
    /// assert!("everything".parse::<What>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "test" => Ok(What::Test),
            "train" => Ok(What::Train),
            "weights" => Ok(What::Weights),
            "all" => Ok(What::All),
            _ => Err(format!(
                "unknown set {s:?}: expected test, train, weights or all"
            )),
        }
    }
}

/// Where files come from: an http(s) base URL or a local directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A base URL ending in `/`; the file name is appended.
    Url(String),
    /// A local directory holding the files (e.g. an offline copy).
    Dir(PathBuf),
}

impl Source {
    /// An `http://` or `https://` string is a URL (a missing trailing `/` is
    /// added), anything else a directory.
    ///
    /// ```
    /// use mnist_data::fetch::Source;
    /// assert_eq!(Source::parse("http://127.0.0.1:8000/mnist"), Source::Url("http://127.0.0.1:8000/mnist/".into()));
    /// assert_eq!(Source::parse("../shared/data"), Source::Dir("../shared/data".into()));
    /// ```
    pub fn parse(s: &str) -> Source {
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let mut url = s.to_owned();
            if !url.ends_with('/') {
                url.push('/');
            }
            Source::Url(url)
        } else {
            Source::Dir(PathBuf::from(s))
        }
    }

    /// The URL or path of `name` at this source.
    ///
    /// ```
    /// use mnist_data::fetch::Source;
    /// assert_eq!(Source::parse("https://example.org/m/").location("a.gz"), "https://example.org/m/a.gz");
    /// ```
    pub fn location(&self, name: &str) -> String {
        match self {
            Source::Url(base) => format!("{base}{name}"),
            Source::Dir(dir) => dir.join(name).display().to_string(),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Url(url) => f.write_str(url),
            Source::Dir(dir) => write!(f, "{}", dir.display()),
        }
    }
}

/// How to fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchOptions {
    /// Replaces the default mirror list (and the weights' URL) with one
    /// source; the weights are then `sample_weight.pkl` at its root.
    pub mirror: Option<Source>,
    /// Longest wait for a connection.
    pub connect_timeout: Duration,
    /// Longest wait for the response headers, and for each read of the body.
    pub read_timeout: Duration,
}

impl Default for FetchOptions {
    /// No mirror, 15 s to connect, 30 s per read.
    fn default() -> Self {
        Self {
            mirror: None,
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(30),
        }
    }
}

impl FetchOptions {
    /// The sources tried for `spec`, in order: the mirror if one is set,
    /// otherwise [`WEIGHTS_BASE`] for `sample_weight.pkl` and
    /// [`DEFAULT_MIRRORS`] for the rest.
    ///
    /// ```
    /// use mnist_data::fetch::{FetchOptions, Source, SAMPLE_WEIGHT, TEST_IMAGES};
    /// let default = FetchOptions::default();
    /// assert_eq!(default.sources(&TEST_IMAGES).len(), 2);
    /// let offline = FetchOptions { mirror: Some(Source::parse("/data")), ..FetchOptions::default() };
    /// assert_eq!(offline.sources(&SAMPLE_WEIGHT), vec![Source::Dir("/data".into())]);
    /// ```
    pub fn sources(&self, spec: &FileSpec<'_>) -> Vec<Source> {
        if let Some(mirror) = &self.mirror {
            return vec![mirror.clone()];
        }
        if spec.name == SAMPLE_WEIGHT.name {
            return vec![Source::Url(WEIGHTS_BASE.to_owned())];
        }
        DEFAULT_MIRRORS
            .iter()
            .map(|m| Source::Url((*m).to_owned()))
            .collect()
    }
}

/// What a fetch is doing, for a progress display. The library never prints.
#[derive(Debug)]
#[non_exhaustive]
pub enum FetchEvent<'a> {
    /// The file is in the data directory and verifies: not fetched again.
    AlreadyPresent {
        /// File name.
        file: &'a str,
        /// Its path.
        path: &'a Path,
    },
    /// The file is in the data directory but fails verification: it will be
    /// replaced if a verified copy can be fetched.
    Replacing {
        /// File name.
        file: &'a str,
        /// Its path.
        path: &'a Path,
        /// Why it failed.
        reason: &'a Error,
    },
    /// A transfer starts.
    Start {
        /// File name.
        file: &'a str,
        /// URL or path it comes from.
        from: &'a str,
        /// Expected size in bytes.
        size: u64,
    },
    /// Bytes received so far.
    Progress {
        /// File name.
        file: &'a str,
        /// Bytes so far.
        bytes: u64,
        /// Expected size in bytes.
        size: u64,
    },
    /// A source failed; the next one is tried.
    Fallback {
        /// File name.
        file: &'a str,
        /// URL or path that failed.
        from: &'a str,
        /// Why it failed.
        reason: &'a Error,
        /// The next source.
        next: &'a Source,
    },
    /// A temporary file left by an interrupted fetch of this file (older
    /// than [`STALE_PART_AGE`]) was removed.
    RemovedStale {
        /// File name.
        file: &'a str,
        /// The temporary file that was removed.
        path: &'a Path,
    },
    /// The file is verified and in place.
    Done {
        /// File name.
        file: &'a str,
        /// Its path.
        path: &'a Path,
    },
}

/// Fetches `what` into `data_dir` (created if needed): files already present
/// and verified are kept, the others are downloaded (or copied from a local
/// mirror) and verified. Returns the paths, in [`What::files`] order.
///
/// Stops at the first file that no source can supply.
///
/// # Errors
///
/// [`Error::Io`] if the data directory cannot be written; for a file, the
/// error of its only source, or [`Error::AllMirrorsFailed`] with each
/// mirror's error: [`Error::HttpStatus`], [`Error::NotAFile`],
/// [`Error::Network`], [`Error::Size`], [`Error::Checksum`], [`Error::Io`].
///
/// # Example
///
/// ```no_run
/// use mnist_data::fetch::{fetch, FetchOptions, Source, What};
/// # fn main() -> Result<(), mnist_data::Error> {
/// let options = FetchOptions { mirror: Some(Source::parse("../shared/data")), ..FetchOptions::default() };
/// let paths = fetch("data".as_ref(), What::Test, &options, &mut |_| {})?;
/// assert!(paths[0].ends_with("t10k-images-idx3-ubyte.gz"));
/// # Ok(())
/// # }
/// ```
pub fn fetch(
    data_dir: &Path,
    what: What,
    options: &FetchOptions,
    on_event: &mut dyn FnMut(&FetchEvent<'_>),
) -> Result<Vec<PathBuf>> {
    what.files()
        .iter()
        .map(|spec| fetch_file(data_dir, spec, &options.sources(spec), options, on_event))
        .collect()
}

/// Fetches one file into `data_dir` from the first of `sources` that
/// supplies it with the pinned size and SHA-256, unless a verified copy is
/// already there. Returns its path.
///
/// # Errors
///
/// As [`fetch`]; with an empty `sources`, [`Error::AllMirrorsFailed`] with no
/// attempts.
///
/// # Example
///
/// ```
/// use mnist_data::fetch::{fetch_file, FetchOptions, FileSpec, Source};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mirror, data) = (tempfile::tempdir()?, tempfile::tempdir()?);
/// std::fs::write(mirror.path().join("hello.txt"), "hello")?;
/// let spec = FileSpec {
///     name: "hello.txt",
///     size: 5,
///     sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
/// };
/// let sources = [Source::Dir(mirror.path().to_owned())];
/// let path = fetch_file(data.path(), &spec, &sources, &FetchOptions::default(), &mut |_| {})?;
/// assert_eq!(std::fs::read_to_string(path)?, "hello");
/// # Ok(())
/// # }
/// ```
pub fn fetch_file(
    data_dir: &Path,
    spec: &FileSpec<'_>,
    sources: &[Source],
    options: &FetchOptions,
    on_event: &mut dyn FnMut(&FetchEvent<'_>),
) -> Result<PathBuf> {
    let path = data_dir.join(spec.name);
    let stale_age = STALE_PART_AGE.max(options.read_timeout.saturating_mul(2));
    remove_stale_parts(data_dir, spec, stale_age, on_event);
    if path.exists() {
        match verify_file(&path, spec) {
            Ok(()) => {
                on_event(&FetchEvent::AlreadyPresent {
                    file: spec.name,
                    path: &path,
                });
                return Ok(path);
            }
            Err(reason) => on_event(&FetchEvent::Replacing {
                file: spec.name,
                path: &path,
                reason: &reason,
            }),
        }
    }
    std::fs::create_dir_all(data_dir).map_err(|e| Error::io(data_dir, e))?;
    let mut attempts = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        match fetch_from(source, data_dir, spec, options, on_event) {
            Ok(()) => {
                on_event(&FetchEvent::Done {
                    file: spec.name,
                    path: &path,
                });
                return Ok(path);
            }
            Err(err) => {
                if let Some(next) = sources.get(i + 1) {
                    on_event(&FetchEvent::Fallback {
                        file: spec.name,
                        from: &source.location(spec.name),
                        reason: &err,
                        next,
                    });
                }
                attempts.push(err);
            }
        }
    }
    if attempts.len() == 1 {
        if let Some(err) = attempts.pop() {
            return Err(err);
        }
    }
    Err(Error::AllMirrorsFailed {
        file: spec.name.to_owned(),
        attempts,
    })
}

/// Removes `.NAME.XXXXXX.part` files of `spec` in `data_dir` not modified
/// for `max_age`: what a killed fetch (SIGKILL, power cut) leaves behind.
/// Best effort: a file that cannot be inspected or removed is left alone.
fn remove_stale_parts(
    data_dir: &Path,
    spec: &FileSpec<'_>,
    max_age: Duration,
    on_event: &mut dyn FnMut(&FetchEvent<'_>),
) {
    let Ok(entries) = std::fs::read_dir(data_dir) else {
        return;
    };
    let prefix = format!(".{}.", spec.name);
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(random) = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".part"))
        else {
            continue;
        };
        // Exactly tempfile's random part: `.a.gz.XXXXXX.part` is not `a`'s.
        if random.is_empty() || !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
            continue;
        }
        // `DirEntry::metadata` does not follow symbolic links.
        let Ok(meta) = entry.metadata() else { continue };
        let age = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok());
        if meta.is_file() && age.is_some_and(|a| a >= max_age) {
            let path = entry.path();
            if std::fs::remove_file(&path).is_ok() {
                on_event(&FetchEvent::RemovedStale {
                    file: spec.name,
                    path: &path,
                });
            }
        }
    }
}

/// Checks that the file at `path` has the size and SHA-256 of `spec`.
///
/// # Errors
///
/// [`Error::Io`] if it cannot be read, [`Error::Size`] or
/// [`Error::Checksum`] if it differs.
///
/// # Example
///
/// ```
/// use mnist_data::fetch::{verify_file, FileSpec};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("hello.txt");
/// std::fs::write(&path, "hello")?;
/// let spec = FileSpec {
///     name: "hello.txt",
///     size: 5,
///     sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
/// };
/// assert!(verify_file(&path, &spec).is_ok());
/// std::fs::write(&path, "HELLO")?;
/// assert!(matches!(verify_file(&path, &spec), Err(mnist_data::Error::Checksum { .. })));
/// # Ok(())
/// # }
/// ```
pub fn verify_file(path: &Path, spec: &FileSpec<'_>) -> Result<()> {
    let from = path.display().to_string();
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    check_size(spec, &from, size)?;
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher).map_err(|e| Error::io(path, e))?;
    check_hash(spec, &from, &hasher.finalize(), size)
}

fn check_size(spec: &FileSpec<'_>, from: &str, actual: u64) -> Result<()> {
    if actual == spec.size {
        return Ok(());
    }
    Err(Error::Size {
        file: spec.name.to_owned(),
        from: from.to_owned(),
        expected: spec.size,
        actual,
    })
}

fn check_hash(spec: &FileSpec<'_>, from: &str, digest: &[u8], size: u64) -> Result<()> {
    let actual: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if actual.eq_ignore_ascii_case(spec.sha256) {
        return Ok(());
    }
    Err(Error::Checksum {
        file: spec.name.to_owned(),
        from: from.to_owned(),
        expected: spec.sha256.to_owned(),
        actual,
        expected_size: spec.size,
        actual_size: size,
    })
}

/// One attempt: stream from `source` into a temporary file in `data_dir`,
/// verify, rename into place. The temporary file is removed on any error.
fn fetch_from(
    source: &Source,
    data_dir: &Path,
    spec: &FileSpec<'_>,
    options: &FetchOptions,
    on_event: &mut dyn FnMut(&FetchEvent<'_>),
) -> Result<()> {
    let from = source.location(spec.name);
    match source {
        Source::Dir(dir) => {
            let path = dir.join(spec.name);
            let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
            on_event(&FetchEvent::Start {
                file: spec.name,
                from: &from,
                size: spec.size,
            });
            save_verified(file, &from, data_dir, spec, on_event, |e| {
                Error::io(&path, e)
            })
        }
        Source::Url(_) => {
            let agent = agent(options);
            let network = |e: &dyn fmt::Display| {
                let mut reason = e.to_string();
                // ureq says `timeout: connect`, `timeout: per read`…: add how long.
                if reason.starts_with("timeout: connect") {
                    reason.push_str(&format!(" ({:?})", options.connect_timeout));
                } else if reason.starts_with("timeout") {
                    reason.push_str(&format!(
                        " (nothing received for {:?})",
                        options.read_timeout
                    ));
                }
                Error::Network {
                    url: from.clone(),
                    reason,
                }
            };
            let response = agent
                .get(&from)
                .header("Accept-Encoding", "identity")
                .call()
                .map_err(|e| network(&e))?;
            let status = response.status().as_u16();
            if status != 200 {
                return Err(Error::HttpStatus { url: from, status });
            }
            let body = response.into_body();
            if let Some(mime) = body.mime_type() {
                if mime.eq_ignore_ascii_case("text/html") {
                    return Err(Error::NotAFile {
                        url: from,
                        content_type: mime.to_owned(),
                    });
                }
            }
            if let Some(announced) = body.content_length() {
                check_size(spec, &from, announced)?;
            }
            on_event(&FetchEvent::Start {
                file: spec.name,
                from: &from,
                size: spec.size,
            });
            let reader = body.into_reader();
            save_verified(reader, &from, data_dir, spec, on_event, |e| network(&e))
        }
    }
}

fn agent(options: &FetchOptions) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(options.connect_timeout))
        .timeout_recv_response(Some(options.read_timeout))
        .timeout_per_read(Some(options.read_timeout))
        .user_agent(concat!("nn-from-scratch/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

/// tempfile's errors end in `at path "<dir>/.NAME.XXXXXX.part"`: a random
/// name the user never sees elsewhere. The message names the data directory
/// instead, so the OS reason is kept and the suffix dropped.
fn without_temp_name(e: io::Error) -> io::Error {
    let message = e.to_string();
    match message.find(" at path ") {
        Some(at) => io::Error::new(e.kind(), message[..at].to_owned()),
        None => e,
    }
}

/// Copies `reader` into a temporary file next to the destination, hashing
/// as it goes; renames it into place only if size and SHA-256 match.
fn save_verified(
    mut reader: impl Read,
    from: &str,
    data_dir: &Path,
    spec: &FileSpec<'_>,
    on_event: &mut dyn FnMut(&FetchEvent<'_>),
    read_error: impl Fn(io::Error) -> Error,
) -> Result<()> {
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{}.", spec.name))
        .suffix(".part")
        .tempfile_in(data_dir)
        .map_err(|e| Error::io(data_dir, without_temp_name(e)))?;
    let write_error = |e: io::Error, temp: &tempfile::NamedTempFile| Error::io(temp.path(), e);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(e)),
        };
        bytes += n as u64;
        if bytes > spec.size {
            // Do not keep downloading something that is already wrong.
            return Err(Error::Size {
                file: spec.name.to_owned(),
                from: from.to_owned(),
                expected: spec.size,
                actual: bytes,
            });
        }
        hasher.update(&buf[..n]);
        temp.write_all(&buf[..n])
            .map_err(|e| write_error(e, &temp))?;
        on_event(&FetchEvent::Progress {
            file: spec.name,
            bytes,
            size: spec.size,
        });
    }
    // Whatever arrived in full but is not the file, longer or shorter, is a
    // checksum error; its message gives both sizes.
    check_hash(spec, from, &hasher.finalize(), bytes)?;
    // Temporary files are private (0600); the cached file is an ordinary one.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| write_error(e, &temp))?;
    }
    temp.as_file()
        .sync_all()
        .map_err(|e| write_error(e, &temp))?;
    let dest = data_dir.join(spec.name);
    temp.persist(&dest).map_err(|e| Error::io(&dest, e.error))?;
    Ok(())
}
