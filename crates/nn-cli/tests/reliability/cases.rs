//! The cases, in the table's order.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use mnist_data::fetch::{FetchOptions, FileSpec, Source, fetch_file, verify_file};
use ndarray::{Array1, Array2};
use nn_core::io::{TensorData, Tensors, write_tensors};
use nn_testkit::http::{Reply, Server};
use nn_testkit::idx::{self, fixture_labels, pattern};
use nn_testkit::png::crc32;
use sha2::{Digest, Sha256};

use crate::{Row, Scene, disk, nn, outcome};

pub(crate) fn all() -> Vec<Row> {
    let mut rows = Vec::new();
    downloads(&mut rows);
    library_downloads(&mut rows);
    disk_faults(&mut rows);
    weights(&mut rows);
    data(&mut rows);
    images(&mut rows);
    server_timeouts(&mut rows);
    rows
}

fn row(rows: &mut Vec<Row>, area: &'static str, case: &str, sees: String, disk: String) {
    rows.push(Row {
        area,
        case: case.to_owned(),
        sees,
        disk,
    });
}

/// `nn fetch --what weights` from a mirror on the fault server.
fn downloads(rows: &mut Vec<Row>) {
    let size = mnist_data::fetch::SAMPLE_WEIGHT.size;
    let name = "/m/sample_weight.pkl";
    let cases: Vec<(&str, Reply, &[&str])> = vec![
        (
            "connection reset (RST) after 1000 of 181853 bytes",
            Reply::ResetAfter(size, vec![7; 1000]),
            &[],
        ),
        (
            "server accepts, then sends nothing (`--read-timeout 0.3`)",
            Reply::Stall(None),
            &["--read-timeout", "0.3"],
        ),
        (
            "server sends headers, then no body (`--read-timeout 0.3`)",
            Reply::Stall(Some(size)),
            &["--read-timeout", "0.3"],
        ),
        (
            "connection closed after 1000 bytes",
            Reply::Announce(size, vec![7; 1000]),
            &[],
        ),
        ("404", Reply::Status(404), &[]),
        ("500", Reply::Status(500), &[]),
        ("200 with an HTML page (`text/html`)", Reply::Html, &[]),
        (
            "200 with a wrong Content-Length",
            Reply::Announce(1000, vec![7; 1000]),
            &[],
        ),
        (
            "302 to another path, which serves the wrong bytes",
            Reply::Redirect("/elsewhere/sample_weight.pkl".into()),
            &[],
        ),
        (
            "302 to itself (a redirect loop)",
            Reply::Redirect(name.into()),
            &[],
        ),
    ];
    let mut routes: Vec<(String, Reply)> = vec![(
        "/elsewhere/sample_weight.pkl".into(),
        Reply::Ok(vec![0; size as usize]),
    )];
    for (i, (_, reply, _)) in cases.iter().enumerate() {
        let path = format!("/{i}/sample_weight.pkl");
        let reply = match reply {
            Reply::Redirect(to) if to == name => Reply::Redirect(path.clone()),
            other => other.clone(),
        };
        routes.push((path, reply));
    }
    let server = Server::start(routes);
    for (i, (case, _, extra)) in cases.iter().enumerate() {
        let mut scene = Scene::new();
        scene.server = Some(server.addr.to_string());
        let data = scene.path("data");
        let mirror = server.url(&i.to_string());
        let mut args = vec![
            "fetch",
            "--what",
            "weights",
            "-q",
            "--data-dir",
            data.to_str().unwrap(),
            "--mirror",
            &mirror,
        ];
        args.extend_from_slice(extra);
        let start = Instant::now();
        let out = nn(&args);
        assert!(start.elapsed() < Duration::from_secs(5), "{case}");
        // The mirror's number in the URL is the case's; keep it stable.
        let sees = outcome(&scene, &out).replace(&format!("<server>/{i}/"), "<server>/m/");
        let left = disk(&data);
        assert!(left == "empty" || left == "no directory", "{case}: {left}");
        row(rows, "download", case, sees, left);
    }
    // Nobody listening.
    let mut scene = Scene::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    scene.server = Some(format!("127.0.0.1:{port}"));
    let data = scene.path("data");
    let out = nn(&[
        "fetch",
        "--what",
        "weights",
        "-q",
        "--data-dir",
        data.to_str().unwrap(),
        "--mirror",
        &format!("http://127.0.0.1:{port}/"),
    ]);
    row(
        rows,
        "download",
        "nothing listening on the mirror's port",
        outcome(&scene, &out),
        disk(&data),
    );
    // A killed fetch's temporary file (two hours old) and a live one.
    let scene = Scene::new();
    let data = scene.path("data");
    let mirror = scene.path("mirror");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&mirror).unwrap();
    for (name, age) in [
        (".sample_weight.pkl.Killed.part", 7200),
        (".sample_weight.pkl.Living.part", 5),
    ] {
        let path = data.join(name);
        std::fs::write(&path, b"partial").unwrap();
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(age))
            .unwrap();
    }
    let out = nn(&[
        "fetch",
        "--what",
        "weights",
        "--data-dir",
        data.to_str().unwrap(),
        "--mirror",
        mirror.to_str().unwrap(),
    ]);
    row(
        rows,
        "download",
        "a killed fetch's `.part` file (2 h old) and another fetch's live one (5 s) in the data dir; the mirror lacks the file",
        outcome(&scene, &out),
        disk(&data),
    );
}

/// A payload and its spec, for library-level fetches that succeed.
fn payload(len: usize) -> (Vec<u8>, FileSpec<'static>) {
    let body: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
    let hash: String = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let spec = FileSpec {
        name: "data.bin",
        size: len as u64,
        sha256: Box::leak(hash.into_boxed_str()),
    };
    (body, spec)
}

fn quick() -> FetchOptions {
    FetchOptions {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(2),
        ..FetchOptions::default()
    }
}

/// Faults whose recovery needs a file whose checksum we know: the library's
/// `fetch_file` with a made-up spec (`nn fetch` pins the real files').
fn library_downloads(rows: &mut Vec<Row>) {
    let (body, spec) = payload(200_000);
    let server = Server::start(vec![
        ("/a/data.bin", Reply::Status(500)),
        ("/b/data.bin", Reply::Ok(body.clone())),
        ("/old/data.bin", Reply::Redirect("/b/data.bin".into())),
    ]);
    let mut scene = Scene::new();
    scene.server = Some(server.addr.to_string());
    let data = scene.path("data");
    let mut fallbacks = Vec::new();
    let sources = [
        Source::parse(&server.url("a")),
        Source::parse(&server.url("b")),
    ];
    let result = fetch_file(&data, &spec, &sources, &quick(), &mut |e| {
        if let mnist_data::fetch::FetchEvent::Fallback { reason, .. } = e {
            fallbacks.push(reason.to_string());
        }
    });
    let path = result.unwrap();
    verify_file(&path, &spec).unwrap();
    row(
        rows,
        "download",
        "library: 500 from the first mirror, the file from the second",
        scene.norm(&format!(
            "fallback event: {}; then Ok, verified",
            fallbacks.join("; ")
        )),
        disk(&data),
    );
    let scene = Scene::new();
    let data = scene.path("data");
    fetch_file(
        &data,
        &spec,
        &[Source::parse(&server.url("old"))],
        &quick(),
        &mut |_| {},
    )
    .unwrap();
    verify_file(&data.join("data.bin"), &spec).unwrap();
    row(
        rows,
        "download",
        "library: 302 to another path that serves the file",
        "followed; Ok, verified".into(),
        disk(&data),
    );
    two_processes(rows);
}

const CHILD: &str = "NN_RELIABILITY_FETCH_CHILD";

/// Two processes (this test binary, run twice as `fetch_child`) fetch one
/// file into one directory from a slow server, at the same time.
fn two_processes(rows: &mut Vec<Row>) {
    let (body, spec) = payload(300_000);
    let server = Server::start(vec![(
        "/m/data.bin",
        Reply::Slow(body, 30_000, Duration::from_millis(30)),
    )]);
    let scene = Scene::new();
    let data = scene.path("data");
    let spawn = || {
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "fetch_child", "--nocapture", "--test-threads=1"])
            .env(
                CHILD,
                format!(
                    "{}|{}|{}|{}",
                    data.display(),
                    server.url("m"),
                    spec.size,
                    spec.sha256
                ),
            )
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut first = spawn();
    std::thread::sleep(Duration::from_millis(100));
    let mut second = spawn();
    let a = first.wait().unwrap();
    let b = second.wait().unwrap();
    assert!(a.success() && b.success(), "{a:?} {b:?}");
    verify_file(&data.join("data.bin"), &spec).unwrap();
    row(
        rows,
        "download",
        "two processes fetch the same file into the same directory at once (slow body, overlapping)",
        format!(
            "both exit {} and {}; each renamed its own verified temporary file into place",
            a.code().unwrap_or(-1),
            b.code().unwrap_or(-1)
        ),
        disk(&data),
    );
}

pub(crate) fn fetch_child() {
    let Ok(job) = std::env::var(CHILD) else {
        return;
    };
    let parts: Vec<&str> = job.split('|').collect();
    let spec = FileSpec {
        name: "data.bin",
        size: parts[2].parse().unwrap(),
        sha256: parts[3],
    };
    let mut saw_partial = false;
    let path = fetch_file(
        Path::new(parts[0]),
        &spec,
        &[Source::parse(parts[1])],
        &quick(),
        &mut |e| {
            if let mnist_data::fetch::FetchEvent::Replacing { .. } = e {
                saw_partial = true;
            }
        },
    )
    .unwrap();
    assert!(!saw_partial, "saw the other process's partial file");
    verify_file(&path, &spec).unwrap();
}

pub(crate) fn two_nn_fetch_processes_on_the_real_weights() {
    let Some(real) = std::env::var_os("NN_DATA_DIR").filter(|d| !d.is_empty()) else {
        eprintln!("skipping: set NN_DATA_DIR");
        return;
    };
    let Ok(weights) = std::fs::read(Path::new(&real).join("sample_weight.pkl")) else {
        eprintln!("skipping: no sample_weight.pkl in NN_DATA_DIR");
        return;
    };
    let server = Server::start(vec![(
        "/m/sample_weight.pkl",
        Reply::Slow(weights, 20_000, Duration::from_millis(30)),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_nn"))
            .args(["fetch", "--what", "weights", "-q", "--mirror"])
            .arg(server.url("m"))
            .arg("--data-dir")
            .arg(&data)
            .spawn()
            .unwrap()
    };
    let mut first = spawn();
    std::thread::sleep(Duration::from_millis(100));
    let mut second = spawn();
    assert!(first.wait().unwrap().success());
    assert!(second.wait().unwrap().success());
    verify_file(
        &data.join("sample_weight.pkl"),
        &mnist_data::fetch::SAMPLE_WEIGHT,
    )
    .unwrap();
    assert_eq!(disk(&data), "sample_weight.pkl");
}

pub(crate) fn read_only_data_dir() {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let scene = Scene::new();
    let mirror = scene.path("mirror");
    std::fs::create_dir_all(&mirror).unwrap();
    std::fs::write(mirror.join("sample_weight.pkl"), b"x").unwrap();
    let fetch = |data: &Path| {
        let out = nn(&[
            "fetch",
            "--what",
            "weights",
            "-q",
            "--data-dir",
            data.to_str().unwrap(),
            "--mirror",
            mirror.to_str().unwrap(),
        ]);
        outcome(&scene, &out)
    };
    if is_root {
        // Root writes to read-only directories anyway, but sysfs takes no
        // new files from anyone. (Not in the table: it differs by user.)
        let sys = Path::new("/sys");
        if sys.join("kernel").is_dir() {
            assert_eq!(
                fetch(sys),
                "exit 1: error: cannot access /sys: Permission denied (os error 13)"
            );
            assert!(!sys.join("sample_weight.pkl").exists());
        } else {
            eprintln!("skipping: running as root without a sysfs to write to");
        }
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let data = scene.path("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555)).unwrap();
        let seen = fetch(&data);
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(
            seen,
            "exit 1: error: cannot access <dir>/data: Permission denied (os error 13)"
        );
        assert_eq!(disk(&data), "empty");
    }
}

/// A data dir of `n` fixture images (labels `i % 10`), unzipped IDX; the
/// labels file may declare another count than it holds.
fn write_data(dir: &Path, n: u32, labels_declared: Option<u32>) {
    std::fs::create_dir_all(dir).unwrap();
    let mut labels = idx::labels(&fixture_labels(n as usize));
    if let Some(declared) = labels_declared {
        labels[4..8].copy_from_slice(&declared.to_be_bytes());
    }
    std::fs::write(
        dir.join("t10k-images-idx3-ubyte"),
        idx::images(n, 28, 28, pattern),
    )
    .unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), labels).unwrap();
}

/// A network from `(inputs, outputs, value)` layers.
fn net(layers: &[(usize, usize, f32)]) -> Tensors {
    let mut t = Tensors::new();
    for (i, &(inputs, outputs, v)) in layers.iter().enumerate() {
        let w = Array2::from_shape_fn((inputs, outputs), |(r, c)| {
            v * (((r * 7 + c * 3) % 11) as f32 - 5.0) / 5.0
        });
        t.insert(format!("W{}", i + 1), TensorData::from(w));
        t.insert(
            format!("b{}", i + 1),
            TensorData::from(Array1::<f32>::zeros(outputs)),
        );
    }
    t
}

fn disk_faults(rows: &mut Vec<Row>) {
    let scene = Scene::new();
    let file = scene.path("data");
    std::fs::write(&file, b"a file").unwrap();
    let out = nn(&["fetch", "-q", "--data-dir", file.to_str().unwrap()]);
    row(
        rows,
        "disk",
        "`nn fetch --data-dir` names a regular file",
        outcome(&scene, &out),
        disk(&file),
    );
    let under = file.join("sub");
    let out = nn(&["fetch", "-q", "--data-dir", under.to_str().unwrap()]);
    row(
        rows,
        "disk",
        "`nn fetch --data-dir` is a path under a regular file (ENOTDIR)",
        outcome(&scene, &out),
        disk(&file),
    );
    let weights = scene.path("w.safetensors");
    write_tensors(&weights, &net(&[(784, 10, 0.01)])).unwrap();
    let w = weights.to_str().unwrap();
    let missing = scene.path("missing");
    let out = nn(&[
        "eval",
        "--weights",
        w,
        "--data-dir",
        missing.to_str().unwrap(),
    ]);
    row(
        rows,
        "disk",
        "`nn eval` with a data dir that does not exist",
        outcome(&scene, &out),
        disk(&missing),
    );
    let out = nn(&["show", "--index", "0", "--data-dir", file.to_str().unwrap()]);
    row(
        rows,
        "disk",
        "`nn show` with a data dir that is a regular file",
        outcome(&scene, &out),
        disk(&file),
    );
    // The file vanishes between a check and the read.
    let data = scene.path("vanishing");
    write_data(&data, 3, None);
    let images = data.join("t10k-images-idx3-ubyte");
    let header = mnist_data::read_idx_header(&images).unwrap();
    assert_eq!(header.dims, [3, 28, 28]);
    std::fs::remove_file(&images).unwrap();
    let err = mnist_data::read_images(&images).unwrap_err();
    row(
        rows,
        "disk",
        "library: the images file is deleted after `read_idx_header`, before `read_images`",
        scene.norm(&format!("Err: {err}")),
        disk(&data),
    );
}

fn weights(rows: &mut Vec<Row>) {
    let scene = Scene::new();
    let data = scene.path("data");
    write_data(&data, 20, None);
    let d = data.to_str().unwrap().to_owned();
    let eval = |rows: &mut Vec<Row>, case: &str, weights: &Path| {
        let out = nn(&[
            "eval",
            "--weights",
            weights.to_str().unwrap(),
            "--data-dir",
            &d,
        ]);
        row(rows, "weights", case, outcome(&scene, &out), disk(&data));
    };
    eval(
        rows,
        "`nn eval --weights` names no file",
        &scene.path("none.pkl"),
    );
    let good = scene.path("good.pkl");
    write_tensors(&good, &net(&[(784, 50, 0.01), (50, 10, 0.1)])).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let cut = scene.path("truncated.pkl");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    eval(rows, "a pickle cut in half", &cut);
    let empty = scene.path("empty.pkl");
    std::fs::write(&empty, b"").unwrap();
    eval(rows, "an empty `.pkl`", &empty);
    let folder = scene.path("folder.pkl");
    std::fs::create_dir(&folder).unwrap();
    eval(rows, "`--weights` is a directory", &folder);
    let npz = scene.path("weights.npz");
    std::fs::write(&npz, b"PK").unwrap();
    eval(rows, "an unknown extension (`.npz`)", &npz);

    for (case, value) in [("a NaN in `W2`", f32::NAN), ("+inf in `W2`", f32::INFINITY)] {
        let mut t = net(&[(784, 50, 0.01), (50, 10, 0.1)]);
        let mut w2 = Array2::<f32>::from_elem((50, 10), 0.1);
        w2[[3, 7]] = value;
        t.insert("W2".into(), TensorData::from(w2));
        let path = scene.path("nonfinite.safetensors");
        write_tensors(&path, &t).unwrap();
        eval(rows, case, &path);
    }
    let zeros = scene.path("zeros.safetensors");
    write_tensors(&zeros, &net(&[(784, 50, 0.0), (50, 10, 0.0)])).unwrap();
    eval(
        rows,
        "all-zero weights (every class equally likely: the first, 0, wins each tie)",
        &zeros,
    );
    let unchained = scene.path("unchained.safetensors");
    write_tensors(&unchained, &net(&[(784, 50, 0.01), (100, 10, 0.1)])).unwrap();
    eval(
        rows,
        "layers that do not chain (784→50, then 100→10)",
        &unchained,
    );
    let narrow = scene.path("narrow.safetensors");
    write_tensors(&narrow, &net(&[(100, 10, 0.01)])).unwrap();
    eval(rows, "a network taking 100 inputs, not 784", &narrow);
    let nobias = scene.path("nobias.safetensors");
    let mut t = net(&[(784, 10, 0.01)]);
    t.remove("b1");
    write_tensors(&nobias, &t).unwrap();
    eval(rows, "`b1` missing", &nobias);

    // Absurd shapes declared in tiny files.
    let huge = scene.path("huge.safetensors");
    let header = br#"{"W1":{"dtype":"F32","shape":[1000000000,784],"data_offsets":[0,16]},"b1":{"dtype":"F32","shape":[784],"data_offsets":[0,16]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(&[0; 16]);
    std::fs::write(&huge, &bytes).unwrap();
    eval(
        rows,
        "a 160-byte safetensors declaring `W1` of 10⁹×784 float32 (3 TB)",
        &huge,
    );
    // A pickle of W1 (70000, 0), its shape patched to (10⁹, 255): same length.
    let mut t = Tensors::new();
    t.insert(
        "W1".into(),
        TensorData::from(Array2::<f32>::zeros((70000, 0))),
    );
    t.insert("b1".into(), TensorData::from(Array1::<f32>::zeros(0)));
    let pkl = scene.path("huge.pkl");
    write_tensors(&pkl, &t).unwrap();
    let mut bytes = std::fs::read(&pkl).unwrap();
    let from = [b'J', 0x70, 0x11, 0x01, 0x00, b'K', 0x00];
    let to = [b'J', 0x00, 0xca, 0x9a, 0x3b, b'K', 0xff];
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("the shape (70000, 0) in the pickle");
    bytes[at..at + from.len()].copy_from_slice(&to);
    std::fs::write(&pkl, &bytes).unwrap();
    let case = format!(
        "a {}-byte pickle declaring `W1` of 10⁹×255 float32 (1 TB)",
        bytes.len()
    );
    eval(rows, &case, &pkl);
}

fn data(rows: &mut Vec<Row>) {
    let scene = Scene::new();
    let weights = scene.path("w.safetensors");
    write_tensors(&weights, &net(&[(784, 10, 0.01)])).unwrap();
    let w = weights.to_str().unwrap().to_owned();
    let run = |rows: &mut Vec<Row>, case: &str, dir: &Path, args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--data-dir", dir.to_str().unwrap()]);
        let out = nn(&all);
        row(rows, "data", case, outcome(&scene, &out), disk(dir));
    };
    let labels_huge = scene.path("labels-huge");
    write_data(&labels_huge, 20, Some(u32::MAX));
    run(
        rows,
        "labels file declaring 2³²−1 labels (holds 20)",
        &labels_huge,
        &["eval", "--weights", &w],
    );
    let zero = scene.path("zero");
    write_data(&zero, 0, None);
    run(
        rows,
        "`nn eval` on IDX files of 0 images and 0 labels",
        &zero,
        &["eval", "--weights", &w],
    );
    run(
        rows,
        "`nn show --index 0` on 0 images",
        &zero,
        &["show", "--index", "0"],
    );
    let mismatch = scene.path("mismatch");
    write_data(&mismatch, 20, None);
    let nineteen = idx::labels(&fixture_labels(19));
    std::fs::write(mismatch.join("t10k-labels-idx1-ubyte"), nineteen).unwrap();
    run(
        rows,
        "20 images but 19 labels",
        &mismatch,
        &["eval", "--weights", &w],
    );
    let few = scene.path("few");
    write_data(&few, 20, None);
    run(
        rows,
        "`nn show --index 20` of 20 images",
        &few,
        &["show", "--index", "20"],
    );
    let truncated = scene.path("truncated");
    write_data(&truncated, 20, None);
    let images = truncated.join("t10k-images-idx3-ubyte");
    let bytes = std::fs::read(&images).unwrap();
    std::fs::write(&images, &bytes[..1000]).unwrap();
    run(
        rows,
        "images file cut after 1000 bytes",
        &truncated,
        &["eval", "--weights", &w],
    );
}

fn png(width: u32, height: u32, f: impl Fn(u32, u32) -> u8) -> Vec<u8> {
    let img = image::GrayImage::from_fn(width, height, |x, y| image::Luma([f(x, y)]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageOutputFormat::Png)
        .unwrap();
    out.into_inner()
}

fn images(rows: &mut Vec<Row>) {
    let scene = Scene::new();
    let weights = scene.path("w.safetensors");
    write_tensors(&weights, &net(&[(784, 10, 0.01)])).unwrap();
    let w = weights.to_str().unwrap().to_owned();
    let predict = |rows: &mut Vec<Row>, case: &str, bytes: &[u8], name: &str| {
        let path = scene.path(name);
        std::fs::write(&path, bytes).unwrap();
        let out = nn(&[
            "predict",
            "--weights",
            &w,
            "--image",
            path.to_str().unwrap(),
        ]);
        row(rows, "image", case, outcome(&scene, &out), "–".into());
    };
    predict(rows, "`nn predict` on an empty file", b"", "empty.png");
    predict(
        rows,
        "`nn predict` on text named `.png`",
        b"not a picture",
        "text.png",
    );
    predict(rows, "a 1×1 picture", &png(1, 1, |_, _| 0), "dot.png");
    predict(
        rows,
        "a 3×200 picture with a dark stroke (wrong size and shape)",
        &png(3, 200, |x, y| {
            if x == 1 && (50..150).contains(&y) {
                0
            } else {
                255
            }
        }),
        "thin.png",
    );
    predict(
        rows,
        "a blank white 28×28 picture",
        &png(28, 28, |_, _| 255),
        "blank.png",
    );
    // A 1×1 PNG whose header says 100000×100000 pixels (CRC made to match).
    let mut header = png(1, 1, |_, _| 0);
    header[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    header[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&header[12..29]);
    header[29..33].copy_from_slice(&crc.to_be_bytes());
    predict(
        rows,
        "a PNG header announcing 100000×100000 pixels",
        &header,
        "huge.png",
    );
}

/// `nn serve --header-timeout 0.3 --body-timeout 0.3` and slow clients.
fn server_timeouts(rows: &mut Vec<Row>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let scene = Scene::new();
    let weights = scene.path("w.safetensors");
    write_tensors(&weights, &net(&[(784, 10, 0.01)])).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nn"))
        .args(["serve", "--addr", "127.0.0.1:0", "--weights"])
        .arg(&weights)
        .args(["--header-timeout", "0.3", "--body-timeout", "0.3"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap()
        .to_owned();
    let held = |request: &[u8], pause: Duration| {
        let start = Instant::now();
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        for b in request {
            if stream.write_all(&[*b]).is_err() {
                break;
            }
            std::thread::sleep(pause);
        }
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let secs = start.elapsed().as_secs_f64();
        let text = String::from_utf8_lossy(&response).into_owned();
        let first = text.lines().next().unwrap_or("").to_owned();
        let body = text
            .split_once("\r\n\r\n")
            .map_or("", |(_, b)| b)
            .to_owned();
        (secs, first, body)
    };
    let (secs, first, _) = held(b"", Duration::ZERO);
    assert!(secs < 3.0 && first.is_empty(), "{secs} {first}");
    row(
        rows,
        "server",
        "`nn serve`: a client connects and sends nothing",
        "connection closed after the header timeout (0.3 s here, 10 s by default), no response"
            .into(),
        "–".into(),
    );
    let (secs, first, _) = held(
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
        Duration::from_millis(30),
    );
    assert!(secs < 5.0 && first.is_empty(), "{secs} {first}");
    row(
        rows,
        "server",
        "`nn serve`: headers trickled a byte every 30 ms",
        "connection closed once the header timeout has passed, no response".into(),
        "–".into(),
    );
    let (secs, first, body) = held(
        b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789",
        Duration::ZERO,
    );
    assert!(secs < 3.0, "{secs}");
    row(
        rows,
        "server",
        "`nn serve`: a body of 10 of the 100 bytes announced, then nothing",
        format!("{first} {body}"),
        "–".into(),
    );
    let _ = child.kill();
    let _ = child.wait();
}
