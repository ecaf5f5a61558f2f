//! Downloads against a tiny HTTP server on 127.0.0.1 that the tests start
//! (`nn_testkit::http`, shared with nn-cli's reliability tests): it serves
//! canned answers, including broken ones, to a bounded number of
//! connections, and stops when dropped.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use mnist_data::Error;
use mnist_data::fetch::{
    FetchEvent, FetchOptions, FileSpec, Source, TEST_IMAGES, What, fetch, fetch_file, verify_file,
};
use nn_testkit::http::{Reply, Server};
use sha2::{Digest, Sha256};

use crate::common::files_in;

/// The mirror at `/dir/` on `server`.
fn url(server: &Server, dir: &str) -> Source {
    Source::parse(&server.url(dir))
}

/// A payload and its spec (name `data.bin`).
fn payload(len: usize) -> (Vec<u8>, String) {
    let body: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
    let hash: String = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (body, hash)
}

fn spec(body: &[u8], hash: &str) -> FileSpec<'static> {
    FileSpec {
        name: "data.bin",
        size: body.len() as u64,
        sha256: Box::leak(hash.to_owned().into_boxed_str()),
    }
}

fn quick() -> FetchOptions {
    FetchOptions {
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
        ..FetchOptions::default()
    }
}

/// What a fetch reported, one short line per event.
fn run(
    dir: &Path,
    spec: &FileSpec<'_>,
    sources: &[Source],
) -> (Result<std::path::PathBuf, Error>, Vec<String>) {
    run_with(dir, spec, sources, &quick())
}

fn run_with(
    dir: &Path,
    spec: &FileSpec<'_>,
    sources: &[Source],
    options: &FetchOptions,
) -> (Result<std::path::PathBuf, Error>, Vec<String>) {
    let mut events = Vec::new();
    let result = fetch_file(dir, spec, sources, options, &mut |e| {
        events.push(match e {
            FetchEvent::AlreadyPresent { .. } => "present".to_owned(),
            FetchEvent::Replacing { .. } => "replacing".to_owned(),
            FetchEvent::Start { size, .. } => format!("start {size}"),
            FetchEvent::Progress { .. } => "progress".to_owned(),
            FetchEvent::Fallback { reason, .. } => format!("fallback: {reason}"),
            FetchEvent::Done { .. } => "done".to_owned(),
            FetchEvent::RemovedStale { path, .. } => format!(
                "removed {}",
                path.file_name().unwrap_or_default().to_string_lossy()
            ),
            _ => "other".to_owned(),
        });
    });
    events.dedup();
    (result, events)
}

#[test]
fn download_verifies_and_is_not_repeated() {
    let (body, hash) = payload(200_000);
    let server = Server::start(vec![("/m/data.bin", Reply::Ok(body.clone()))]);
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(&body, &hash);
    let (result, events) = run(dir.path(), &spec, &[url(&server, "m")]);
    let path = result.unwrap();
    assert_eq!(events, ["start 200000", "progress", "done"]);
    assert_eq!(std::fs::read(&path).unwrap(), body);
    assert_eq!(files_in(dir.path()), ["data.bin"]);
    assert_eq!(server.hits(), 1);
    // Present and verified: not fetched again.
    let (result, events) = run(dir.path(), &spec, &[url(&server, "m")]);
    assert_eq!(result.unwrap(), path);
    assert_eq!(events, ["present"]);
    assert_eq!(server.hits(), 1);
}

#[test]
fn not_found_falls_back_to_the_next_mirror() {
    let (body, hash) = payload(5000);
    let server = Server::start(vec![("/second/data.bin", Reply::Ok(body.clone()))]);
    let dir = tempfile::tempdir().unwrap();
    let (result, events) = run(
        dir.path(),
        &spec(&body, &hash),
        &[url(&server, "first"), url(&server, "second")],
    );
    result.unwrap();
    let url = format!("http://{}/first/data.bin", server.addr);
    assert_eq!(
        events,
        [
            format!("fallback: http status 404 from {url}"),
            "start 5000".into(),
            "progress".into(),
            "done".into()
        ]
    );
    assert_eq!(files_in(dir.path()), ["data.bin"]);
}

#[test]
fn wrong_checksum_leaves_nothing() {
    let (body, hash) = payload(5000);
    let mut wrong = body.clone();
    wrong[4321] ^= 1;
    let server = Server::start(vec![("/m/data.bin", Reply::Ok(wrong.clone()))]);
    let dir = tempfile::tempdir().unwrap();
    let (result, _) = run(dir.path(), &spec(&body, &hash), &[url(&server, "m")]);
    let err = result.unwrap_err();
    let actual: String = Sha256::digest(&wrong)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    match &err {
        Error::Checksum {
            file,
            expected,
            actual: got,
            ..
        } => {
            assert_eq!((file.as_str(), expected, got), ("data.bin", &hash, &actual));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!(
            "checksum mismatch for data.bin from http://{}/m/data.bin: expected sha256 {hash} (5000 bytes), got {actual} (5000 bytes)",
            server.addr
        )
    );
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );
}

#[test]
fn connection_dropped_mid_body_leaves_nothing() {
    let (body, hash) = payload(300_000);
    let server = Server::start(vec![(
        "/m/data.bin",
        Reply::Announce(body.len() as u64, body[..100_000].to_vec()),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let (result, events) = run(dir.path(), &spec(&body, &hash), &[url(&server, "m")]);
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Network { .. }), "{err:?}");
    assert!(events.contains(&"progress".to_owned()), "{events:?}");
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );
}

#[test]
fn html_page_is_refused() {
    let (body, hash) = payload(5000);
    let server = Server::start(vec![("/m/data.bin", Reply::Html)]);
    let dir = tempfile::tempdir().unwrap();
    let (result, events) = run(dir.path(), &spec(&body, &hash), &[url(&server, "m")]);
    let err = result.unwrap_err();
    assert!(
        matches!(&err, Error::NotAFile { content_type, .. } if content_type == "text/html"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .ends_with("/m/data.bin answered with an html page (text/html), not the file"),
        "{err}"
    );
    assert!(events.is_empty(), "{events:?}");
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn html_body_served_as_binary_fails_verification() {
    // A 200 whose body is a page but whose Content-Type does not say so.
    let (body, hash) = payload(5000);
    let page = b"<html>not the file</html>".to_vec();
    let server = Server::start(vec![
        ("/a/data.bin", Reply::Announce(5000, page.clone())),
        ("/b/data.bin", Reply::Unannounced(page)),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(&body, &hash);
    // Announced with the right length but short: the transport notices.
    let (result, _) = run(dir.path(), &spec, &[url(&server, "a")]);
    assert!(matches!(result, Err(Error::Network { .. })), "{result:?}");
    // No length at all: a complete wrong body, a checksum error.
    let (result, _) = run(dir.path(), &spec, &[url(&server, "b")]);
    assert!(
        matches!(
            result,
            Err(Error::Checksum {
                actual_size: 25,
                expected_size: 5000,
                ..
            })
        ),
        "{result:?}"
    );
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn wrong_announced_length_is_refused_before_download() {
    let (body, hash) = payload(5000);
    let server = Server::start(vec![(
        "/m/data.bin",
        Reply::Announce(4000, body[..4000].to_vec()),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let (result, events) = run(dir.path(), &spec(&body, &hash), &[url(&server, "m")]);
    assert!(
        matches!(
            result,
            Err(Error::Size {
                expected: 5000,
                actual: 4000,
                ..
            })
        ),
        "{result:?}"
    );
    assert!(events.is_empty(), "{events:?}");
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn endless_body_is_cut_off() {
    let (body, hash) = payload(5000);
    let server = Server::start(vec![("/m/data.bin", Reply::Unannounced(vec![0; 100_000]))]);
    let dir = tempfile::tempdir().unwrap();
    let (result, _) = run(dir.path(), &spec(&body, &hash), &[url(&server, "m")]);
    assert!(
        matches!(result, Err(Error::Size { expected: 5000, .. })),
        "{result:?}"
    );
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn every_mirror_failing_lists_every_reason() {
    let (body, hash) = payload(5000);
    let server = Server::start(vec![
        ("/a/data.bin", Reply::Status(500)),
        ("/b/data.bin", Reply::Html),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let (result, events) = run(
        dir.path(),
        &spec(&body, &hash),
        &[url(&server, "a"), url(&server, "b")],
    );
    let err = result.unwrap_err();
    let Error::AllMirrorsFailed { file, attempts } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(file, "data.bin");
    assert!(
        matches!(
            attempts[..],
            [
                Error::HttpStatus { status: 500, .. },
                Error::NotAFile { .. }
            ]
        ),
        "{attempts:?}"
    );
    assert!(
        err.to_string()
            .starts_with("could not fetch data.bin from any of 2 mirrors: http status 500 from "),
        "{err}"
    );
    assert_eq!(events.len(), 1, "one fallback line: {events:?}");
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn unreachable_server_is_a_network_error() {
    // A port that was free a moment ago: connection refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (body, hash) = payload(10);
    let dir = tempfile::tempdir().unwrap();
    let source = Source::parse(&format!("http://127.0.0.1:{port}/"));
    let (result, _) = run(dir.path(), &spec(&body, &hash), &[source]);
    assert!(matches!(result, Err(Error::Network { .. })), "{result:?}");
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn a_bad_file_in_the_data_dir_is_replaced() {
    let (body, hash) = payload(5000);
    let server = Server::start(vec![("/m/data.bin", Reply::Ok(body.clone()))]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.bin"), b"half a file").unwrap();
    let (result, events) = run(dir.path(), &spec(&body, &hash), &[url(&server, "m")]);
    result.unwrap();
    assert_eq!(events, ["replacing", "start 5000", "progress", "done"]);
    assert_eq!(std::fs::read(dir.path().join("data.bin")).unwrap(), body);
}

#[test]
fn local_directory_mirror() {
    let (body, hash) = payload(70_000);
    let mirror = tempfile::tempdir().unwrap();
    std::fs::write(mirror.path().join("data.bin"), &body).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("nested").join("cache");
    let spec = spec(&body, &hash);
    let (result, events) = run(&target, &spec, &[Source::Dir(mirror.path().to_owned())]);
    let path = result.unwrap();
    assert_eq!(events, ["start 70000", "progress", "done"]);
    verify_file(&path, &spec).unwrap();
    // A mirror without the file: an I/O error naming the mirror's path.
    let empty = tempfile::tempdir().unwrap();
    let other = FileSpec {
        name: "other.bin",
        ..spec
    };
    let (result, _) = run(&target, &other, &[Source::Dir(empty.path().to_owned())]);
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&empty.path().join("other.bin").display().to_string()),
        "{err}"
    );
    assert_eq!(files_in(&target), ["data.bin"]);
}

#[test]
fn fetch_checks_the_official_checksums() {
    // A local mirror with made-up test files: `fetch` verifies against the
    // pinned official hashes and refuses them, leaving nothing.
    let mirror = tempfile::tempdir().unwrap();
    crate::common::write_split(mirror.path(), mnist_data::Split::Test, 3, true);
    let dir = tempfile::tempdir().unwrap();
    let options = FetchOptions {
        mirror: Some(Source::Dir(mirror.path().to_owned())),
        ..quick()
    };
    let err = fetch(dir.path(), What::Test, &options, &mut |_| {}).unwrap_err();
    let Error::Checksum {
        file,
        expected,
        expected_size,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (file.as_str(), expected.as_str(), *expected_size),
        (TEST_IMAGES.name, TEST_IMAGES.sha256, TEST_IMAGES.size)
    );
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn default_sources() {
    let options = FetchOptions::default();
    let urls: Vec<String> = options
        .sources(&TEST_IMAGES)
        .iter()
        .map(|s| s.location(TEST_IMAGES.name))
        .collect();
    assert_eq!(
        urls,
        [
            "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
            "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-images-idx3-ubyte.gz",
        ]
    );
    let weights = mnist_data::fetch::SAMPLE_WEIGHT;
    assert_eq!(
        options.sources(&weights)[0].location(weights.name),
        "https://github.com/oreilly-japan/deep-learning-from-scratch/raw/master/ch03/sample_weight.pkl"
    );
    let mirrored = FetchOptions {
        mirror: Some(Source::parse("http://127.0.0.1:1/x")),
        ..options
    };
    assert_eq!(
        mirrored.sources(&weights)[0].location(weights.name),
        "http://127.0.0.1:1/x/sample_weight.pkl"
    );
    let names: Vec<&str> = What::All.files().iter().map(|f| f.name).collect();
    assert_eq!(names.last(), Some(&"sample_weight.pkl"));
}

#[test]
fn connection_reset_mid_body_leaves_nothing() {
    let (body, hash) = payload(300_000);
    let server = Server::start(vec![(
        "/m/data.bin",
        Reply::ResetAfter(body.len() as u64, body[..100_000].to_vec()),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let (result, _) = run(dir.path(), &spec(&body, &hash), &[url(&server, "m")]);
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Network { .. }), "{err:?}");
    assert!(err.to_string().starts_with("download of http://"), "{err}");
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );
}

/// A short read timeout for the stalling servers.
fn impatient() -> FetchOptions {
    FetchOptions {
        connect_timeout: Duration::from_millis(500),
        read_timeout: Duration::from_millis(300),
        ..FetchOptions::default()
    }
}

#[test]
fn a_stalled_server_times_out_quickly() {
    let (body, hash) = payload(1000);
    let server = Server::start(vec![
        ("/silent/data.bin", Reply::Stall(None)),
        ("/headers/data.bin", Reply::Stall(Some(1000))),
    ]);
    let dir = tempfile::tempdir().unwrap();
    for (mirror, what) in [("silent", "receive response"), ("headers", "per read")] {
        let start = std::time::Instant::now();
        let (result, _) = run_with(
            dir.path(),
            &spec(&body, &hash),
            &[url(&server, mirror)],
            &impatient(),
        );
        let elapsed = start.elapsed();
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Network { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&format!("timeout: {what}")),
            "{mirror}: {err}"
        );
        assert!(elapsed < Duration::from_secs(3), "{mirror}: {elapsed:?}");
        assert!(
            files_in(dir.path()).is_empty(),
            "{:?}",
            files_in(dir.path())
        );
    }
}

#[test]
fn a_redirect_is_followed_and_the_file_verified() {
    let (body, hash) = payload(5000);
    let server = Server::start(vec![
        ("/old/data.bin", Reply::Redirect("/new/data.bin".into())),
        ("/new/data.bin", Reply::Ok(body.clone())),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let (result, events) = run(dir.path(), &spec(&body, &hash), &[url(&server, "old")]);
    let path = result.unwrap();
    assert_eq!(events, ["start 5000", "progress", "done"]);
    assert_eq!(std::fs::read(path).unwrap(), body);
    assert_eq!(files_in(dir.path()), ["data.bin"]);
    assert_eq!(server.hits(), 2);
}

#[test]
fn a_redirect_loop_is_a_clear_error() {
    let (body, hash) = payload(5000);
    let server = Server::start(vec![(
        "/loop/data.bin",
        Reply::Redirect("/loop/data.bin".into()),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let (result, _) = run(dir.path(), &spec(&body, &hash), &[url(&server, "loop")]);
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Network { .. }), "{err:?}");
    assert!(err.to_string().contains("redirect"), "{err}");
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn a_server_error_falls_back_to_the_next_mirror() {
    let (body, hash) = payload(5000);
    let server = Server::start(vec![
        ("/a/data.bin", Reply::Status(500)),
        ("/b/data.bin", Reply::Ok(body.clone())),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let (result, events) = run(
        dir.path(),
        &spec(&body, &hash),
        &[url(&server, "a"), url(&server, "b")],
    );
    result.unwrap();
    assert_eq!(
        events[0],
        format!(
            "fallback: http status 500 from http://{}/a/data.bin",
            server.addr
        )
    );
    assert_eq!(files_in(dir.path()), ["data.bin"]);
}

#[test]
fn two_fetches_into_one_directory_both_verify() {
    let (body, hash) = payload(200_000);
    let server = Server::start(vec![(
        "/m/data.bin",
        Reply::Slow(body.clone(), 20_000, Duration::from_millis(20)),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(&body, &hash);
    let sources = [url(&server, "m")];
    let results = std::thread::scope(|s| {
        let a = s.spawn(|| run(dir.path(), &spec, &sources));
        // While the first is mid-body, its temporary file is there.
        std::thread::sleep(Duration::from_millis(60));
        let b = s.spawn(|| run(dir.path(), &spec, &sources));
        [a.join().unwrap(), b.join().unwrap()]
    });
    for (result, events) in results {
        let path = result.unwrap();
        assert_eq!(
            events.last().map(String::as_str),
            Some("done"),
            "{events:?}"
        );
        verify_file(&path, &spec).unwrap();
    }
    assert_eq!(server.hits(), 2, "both downloaded: neither saw a file yet");
    assert_eq!(files_in(dir.path()), ["data.bin"]);
}

#[test]
fn temporary_files_of_killed_fetches_are_removed_live_ones_kept() {
    let (body, hash) = payload(5000);
    let server = Server::start(vec![("/m/data.bin", Reply::Ok(body.clone()))]);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, age: Duration| {
        let path = dir.path().join(name);
        std::fs::write(&path, b"partial").unwrap();
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(std::time::SystemTime::now() - age)
            .unwrap();
    };
    let hour = mnist_data::fetch::STALE_PART_AGE;
    write(".data.bin.AbC123.part", hour + Duration::from_secs(60)); // killed
    write(".data.bin.xyz789.part", Duration::from_secs(5)); // live, elsewhere
    write(".data.bin.gz.old000.part", hour * 2); // another file's
    write(".other.bin.old111.part", hour * 2); // another file's
    let (result, events) = run(dir.path(), &spec(&body, &hash), &[url(&server, "m")]);
    result.unwrap();
    assert_eq!(events[0], "removed .data.bin.AbC123.part");
    assert_eq!(
        files_in(dir.path()),
        [
            ".data.bin.gz.old000.part",
            ".data.bin.xyz789.part",
            ".other.bin.old111.part",
            "data.bin"
        ]
    );
    // Also when the file is already there.
    write(".data.bin.Stale9.part", hour * 3);
    let (result, events) = run(dir.path(), &spec(&body, &hash), &[url(&server, "m")]);
    result.unwrap();
    assert_eq!(events, ["removed .data.bin.Stale9.part", "present"]);
}
