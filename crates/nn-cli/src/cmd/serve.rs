//! `nn serve`: a page to draw a digit on, classified while you draw.
//!
//! One page, embedded in the binary (no build step, no CDN), and one
//! endpoint, `POST /predict`, that runs what `nn predict` runs: MNIST's
//! preprocessing, then the network. axum (on hyper and a single-threaded
//! tokio runtime) does the HTTP; the work runs on tokio's blocking pool, so
//! requests are answered concurrently.
//!
//! Slow clients cannot hold a connection forever: hyper closes one whose
//! request headers are not complete within `--header-timeout` (also an idle
//! kept-alive connection), and a body that has not fully arrived within
//! `--body-timeout` gets `408 Request Timeout`. (`axum::serve` sets no
//! timer, so hyper's own header timeout never fires; [`serve`] is our accept
//! loop with one.)

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use mnist_data::preprocess::{decode_image, from_raw_pixels};

use crate::CliResult;
use crate::cmd::predict::{Classifier, ClassifyError, WeightsArgs};

/// The drawing page: HTML, CSS and JavaScript in one file.
const PAGE: &str = include_str!("../../assets/serve.html");

/// Bodies larger than this get `413 Payload Too Large`: a 280×280 canvas is
/// about 10 KB as PNG, 314 KB as raw RGBA.
pub(crate) const MAX_BODY: usize = 1 << 20;

/// Serve a page to draw digits on, classified as you draw.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    weights: WeightsArgs,
    /// Address to listen on. The default (loopback) keeps the page to this
    /// machine; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Seconds a client has to send a request's headers (and an idle
    /// connection stays open) before it is closed.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = crate::cmd::fetch::seconds)]
    header_timeout: Duration,
    /// Seconds a client has to send a request's body before it gets 408.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = crate::cmd::fetch::seconds)]
    body_timeout: Duration,
}

/// How long a client may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// For a request's headers, from the connection (or the previous
    /// response) on.
    pub(crate) header: Duration,
    /// For a request's body, once the headers are in.
    pub(crate) body: Duration,
}

/// What the handlers share.
#[derive(Debug, Clone)]
struct Shared {
    classifier: Arc<Classifier>,
    body_timeout: Duration,
}

pub(crate) fn run(args: Args) -> CliResult {
    let classifier = Arc::new(Classifier::load(&args.weights)?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
        let addr = listener.local_addr()?;
        if !addr.ip().is_loopback() {
            eprintln!("warning: {addr} is reachable from other machines");
        }
        // One line, flushed: scripts (cargo xtask web-check) read the address.
        println!("nn serve: listening on http://{addr}/ (Ctrl-C to stop)");
        std::io::stdout().flush()?;
        let timeouts = Timeouts {
            header: args.header_timeout,
            body: args.body_timeout,
        };
        serve(listener, app(classifier, timeouts.body), timeouts).await;
        Ok(())
    })
}

/// Accepts connections forever, each served by hyper's HTTP/1.1 with a
/// header read timeout (which needs a timer: axum::serve sets none).
pub(crate) async fn serve(listener: tokio::net::TcpListener, app: Router, timeouts: Timeouts) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors, say: wait, as axum::serve does.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(timeouts.header)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            // A client that goes away or times out is no error of ours.
            let _ = connection.await;
        });
    }
}

/// The routes: `GET /` (the page) and `POST /predict`. Other paths get 404,
/// other methods 405, bodies over [`MAX_BODY`] 413 (from the
/// Content-Length alone when there is one), broken HTTP 400 (from hyper),
/// bodies slower than `body_timeout` 408.
pub(crate) fn app(classifier: Arc<Classifier>, body_timeout: Duration) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/predict", post(predict))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(Shared {
            classifier,
            body_timeout,
        })
}

async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE,
    )
}

async fn predict(State(shared): State<Shared>, request: Request) -> Response {
    // Refuse an announced oversize body before reading any of it (the body
    // limit alone would wait for the bytes).
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY as u64) {
        return too_large();
    }
    let query = request.uri().query().map(str::to_owned);
    let body = axum::body::to_bytes(request.into_body(), MAX_BODY);
    let body = match tokio::time::timeout(shared.body_timeout, body).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return too_large(),
        Err(_) => {
            let message = format!(
                "the body did not arrive within {} s",
                shared.body_timeout.as_secs_f64()
            );
            return (
                StatusCode::REQUEST_TIMEOUT,
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CONNECTION, "close"),
                ],
                error_json(&message),
            )
                .into_response();
        }
    };
    let classifier = shared.classifier;
    let job =
        tokio::task::spawn_blocking(move || answer(&classifier, query.as_deref(), &body)).await;
    let (status, json) = job.unwrap_or_else(|e| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            error_json(&format!("the classifier stopped: {e}")),
        )
    });
    (status, [(header::CONTENT_TYPE, "application/json")], json).into_response()
}

fn too_large() -> Response {
    let message = format!("the body is over the limit of {MAX_BODY} bytes");
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "application/json")],
        error_json(&message),
    )
        .into_response()
}

/// The answer to `POST /predict[?width=W&height=H]`: with a size, the body
/// is raw pixels (gray, RGB or RGBA, as [`from_raw_pixels`]); without, an
/// image file (PNG or JPEG). 200 with
/// `{"class", "probabilities", "image": [784 gray levels]}`, or an error
/// status with `{"error": "…"}`.
pub(crate) fn answer(
    classifier: &Classifier,
    query: Option<&str>,
    body: &[u8],
) -> (StatusCode, String) {
    let gray = match raw_size(query) {
        Err(msg) => return (StatusCode::BAD_REQUEST, error_json(&msg)),
        Ok(Some((width, height))) => from_raw_pixels(body, width, height),
        Ok(None) => decode_image(body),
    };
    let result = gray
        .map_err(ClassifyError::from)
        .and_then(|g| classifier.classify(&g));
    match result {
        Ok(p) => {
            let image: Vec<u8> = p.image.iter().copied().collect();
            let json = serde_json::json!({
                "class": p.class,
                "probabilities": p.probabilities,
                "image": image,
            });
            (StatusCode::OK, json.to_string())
        }
        Err(ClassifyError::Image(e)) => (status_of(&e), error_json(&e.to_string())),
        Err(ClassifyError::Network(e)) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            error_json(&e.to_string()),
        ),
    }
}

/// Too many pixels: 413; nothing drawn: 422; anything else: 400.
fn status_of(e: &mnist_data::Error) -> StatusCode {
    match e {
        mnist_data::Error::ImageTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        mnist_data::Error::BlankImage { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn error_json(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}

/// `width=W&height=H` from the query: `None` when neither is there.
fn raw_size(query: Option<&str>) -> Result<Option<(usize, usize)>, String> {
    let (mut width, mut height) = (None, None);
    for pair in query.unwrap_or("").split('&') {
        match pair.split_once('=') {
            Some(("width", v)) => width = Some(v),
            Some(("height", v)) => height = Some(v),
            _ => {}
        }
    }
    let parse = |name: &str, v: &str| {
        v.parse::<usize>()
            .map_err(|_| format!("{name}={v:?} is not a number of pixels"))
    };
    match (width, height) {
        (None, None) => Ok(None),
        (Some(w), Some(h)) => Ok(Some((parse("width", w)?, parse("height", h)?))),
        _ => Err("raw pixels need both width=W and height=H in the query".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    use ndarray::Array2;

    use super::*;
    use crate::cmd::predict::tests::{one_on_paper, toy_classifier};

    /// A server on a free loopback port, on its own thread for the test's
    /// lifetime (the thread ends with the test process).
    fn start() -> SocketAddr {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_listener.local_addr().unwrap();
        std_listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                let timeouts = Timeouts {
                    header: Duration::from_millis(300),
                    body: Duration::from_millis(300),
                };
                serve(
                    listener,
                    app(Arc::new(toy_classifier()), timeouts.body),
                    timeouts,
                )
                .await;
            });
        });
        addr
    }

    /// Seconds until the server closes a connection on which the client
    /// sends `request` in pieces of `chunk` bytes, `pause` apart, and then
    /// nothing; and what the server said (status 0 for nothing).
    fn held_for(addr: SocketAddr, request: &[u8], chunk: usize, pause: Duration) -> (f64, u16) {
        let start = std::time::Instant::now();
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        for piece in request.chunks(chunk.max(1)) {
            if stream.write_all(piece).is_err() {
                break;
            }
            std::thread::sleep(pause);
        }
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response);
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (start.elapsed().as_secs_f64(), status)
    }

    #[test]
    fn slow_clients_are_cut_off() {
        let addr = start();
        let none = Duration::ZERO;
        // Connects and sends nothing: closed after the header timeout.
        let (secs, status) = held_for(addr, b"", 1, none);
        assert!((0.2..3.0).contains(&secs) && status == 0, "{secs} {status}");
        // Half a request line, then nothing.
        let (secs, status) = held_for(addr, b"POST /predict HT", 16, none);
        assert!((0.2..3.0).contains(&secs) && status == 0, "{secs} {status}");
        // Headers trickled a byte every 50 ms: the timeout is for all of them.
        let slow = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        let (secs, status) = held_for(addr, slow, 1, Duration::from_millis(50));
        assert!(secs < 6.0 && status == 0, "{secs} {status}");
        // Headers in time, 10 of 100 body bytes: 408.
        let partial = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789";
        let (secs, status) = held_for(addr, partial, partial.len(), none);
        assert!(secs < 3.0 && status == 408, "{secs} {status}");
        // The server is still there.
        let (status, _) = exchange(
            addr,
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(status, 200);
    }

    /// Sends raw bytes, returns (status, body). The connection is closed by
    /// the request's `Connection: close` or by the server.
    fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request).unwrap();
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map_or(String::new(), |(_, b)| b.to_owned());
        (status, body)
    }

    fn post(addr: SocketAddr, path: &str, body: &[u8]) -> (u16, String) {
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        exchange(addr, &request)
    }

    fn png(gray: &Array2<u8>) -> Vec<u8> {
        let (h, w) = gray.dim();
        let img = image::GrayImage::from_fn(w as u32, h as u32, |x, y| {
            image::Luma([gray[[y as usize, x as usize]]])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageOutputFormat::Png)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn the_page_is_served_whole() {
        let addr = start();
        let (status, body) = exchange(
            addr,
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(status, 200);
        assert!(body.contains("<canvas id=\"pad\""), "{body}");
        assert!(body.contains("fetch('/predict'"), "{body}");
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "no CDN"
        );
    }

    #[test]
    fn a_png_is_classified() {
        let addr = start();
        let (status, body) = post(addr, "/predict", &png(&one_on_paper()));
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["class"], 1);
        assert_eq!(v["probabilities"].as_array().unwrap().len(), 10);
        let image = v["image"].as_array().unwrap();
        assert_eq!(image.len(), 784);
        assert_eq!(image[4 * 28 + 13], 255);
    }

    #[test]
    fn raw_rgba_pixels_are_classified() {
        let gray = one_on_paper();
        let (h, w) = gray.dim();
        let rgba: Vec<u8> = gray.iter().flat_map(|&g| [g, g, g, 255]).collect();
        let addr = start();
        let (status, body) = post(addr, &format!("/predict?width={w}&height={h}"), &rgba);
        assert_eq!(status, 200, "{body}");
        assert!(body.starts_with("{\"class\":1,"), "{body}");
    }

    #[test]
    fn bad_requests_get_clear_statuses() {
        let addr = start();
        let blank = png(&Array2::from_elem((40, 40), 255));
        let cases: [(&str, &[u8], u16, &str); 6] = [
            ("/predict", b"hello", 400, "cannot decode"),
            ("/predict", b"", 400, "cannot decode"),
            ("/predict", &blank, 422, "blank"),
            ("/predict?width=3", &[0; 9], 400, "both width"),
            ("/predict?width=3&height=x", &[0; 9], 400, "not a number"),
            ("/predict?width=3&height=3", &[0; 10], 400, "bad shape"),
        ];
        for (path, body, expect, words) in cases {
            let (status, text) = post(addr, path, body);
            assert_eq!(status, expect, "{path}: {text}");
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let msg = v["error"].as_str().unwrap();
            assert!(msg.contains(words), "{path}: {msg}");
        }
        let (status, _) = post(addr, "/predict?width=10000&height=10000", &[0; 100]);
        assert_eq!(status, 413);
        let (status, _) = post(addr, "/nowhere", b"");
        assert_eq!(status, 404);
        let (status, _) = exchange(
            addr,
            b"GET /predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(status, 405);
    }

    #[test]
    fn big_bodies_get_413_without_being_read() {
        let addr = start();
        // Just over the limit, sent whole.
        let (status, _) = post(addr, "/predict", &vec![0; MAX_BODY + 1]);
        assert_eq!(status, 413);
        // Absurd lengths, announced and never sent: answered at once. The
        // largest u64 is refused by hyper itself while parsing the headers.
        for (length, expect) in [
            ("2000000", 413),
            ("999999999999", 413),
            ("18446744073709551615", 431),
        ] {
            let request =
                format!("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\nabc");
            let (status, _) = exchange(addr, request.as_bytes());
            assert_eq!(status, expect, "Content-Length: {length}");
        }
        // The server is still there.
        let (status, _) = post(addr, "/predict", &png(&one_on_paper()));
        assert_eq!(status, 200);
    }

    #[test]
    fn malformed_http_gets_400() {
        let addr = start();
        for request in [
            &b"NONSENSE\r\n\r\n"[..],
            b"POST /predict HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
            b"GET / HTTP/1.1\r\nBad Header Line\r\n\r\n",
        ] {
            let (status, _) = exchange(addr, request);
            assert_eq!(status, 400, "{}", String::from_utf8_lossy(request));
        }
    }

    #[test]
    fn concurrent_requests_are_all_answered() {
        let addr = start();
        let body = png(&one_on_paper());
        let answers: Vec<(u16, String)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|_| s.spawn(|| post(addr, "/predict", &body)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(
            answers
                .iter()
                .all(|(status, b)| *status == 200 && b.starts_with("{\"class\":1,"))
        );
    }

    #[test]
    fn raw_size_reads_the_query() {
        assert_eq!(raw_size(None), Ok(None));
        assert_eq!(raw_size(Some("x=1")), Ok(None));
        assert_eq!(raw_size(Some("width=28&height=14")), Ok(Some((28, 14))));
        assert!(raw_size(Some("height=14")).is_err());
    }
}
