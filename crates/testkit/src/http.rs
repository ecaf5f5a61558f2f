//! A fault-injecting HTTP/1.1 server on 127.0.0.1 that tests start: it
//! serves canned answers, broken ones included, one thread per connection
//! (so slow and stalled answers overlap) to a bounded number of connections,
//! and stops when dropped.
//!
//! Every answer says `Connection: close`; a path without a route gets a 404.
//!
//! ```
//! use nn_testkit::http::{Reply, Server};
//!
//! let server = Server::start([
//!     ("/old/a.bin", Reply::Redirect("/new/a.bin".into())),
//!     ("/new/a.bin", Reply::Ok(vec![1, 2, 3])),
//! ]);
//! assert_eq!(server.url("old"), format!("http://{}/old/", server.addr));
//! assert_eq!(server.hits(), 0);
//! ```

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// At most this many connections per server, so that a runaway client loop
/// cannot keep a test alive.
const MAX_CONNECTIONS: usize = 200;

/// A canned answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 with the body and its Content-Length.
    Ok(Vec<u8>),
    /// 200 `text/html` with an HTML page (a sign-in page, not the file).
    Html,
    /// A bare status with a short text body (`status 404`).
    Status(u16),
    /// 200 announcing `len` bytes, sending `body` (short, long or just
    /// right), then closing the connection.
    Announce(u64, Vec<u8>),
    /// 200 without a Content-Length: the body runs until the connection
    /// closes.
    Unannounced(Vec<u8>),
    /// 200 announcing `len` bytes, sending `sent`, then a TCP reset (RST:
    /// SO_LINGER 0), not an orderly close.
    ResetAfter(u64, Vec<u8>),
    /// Reads the request, then sends nothing (`None`) or only headers
    /// announcing that many bytes (`Some`), until the server stops (at most
    /// 30 s).
    Stall(Option<u64>),
    /// The body (with its Content-Length) in pieces of `chunk` bytes,
    /// `pause` apart.
    Slow(Vec<u8>, usize, Duration),
    /// A 302 to another path on this server.
    Redirect(String),
}

/// A running server; dropping it stops it.
pub struct Server {
    /// Where it listens: 127.0.0.1 and a free port.
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Listens on a free port of 127.0.0.1 and answers each path of
    /// `routes` (`/dir/name`) with its reply.
    ///
    /// # Panics
    /// If no port of 127.0.0.1 can be bound.
    pub fn start<P: Into<String>>(routes: impl IntoIterator<Item = (P, Reply)>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let routes: Arc<HashMap<String, Reply>> =
            Arc::new(routes.into_iter().map(|(p, r)| (p.into(), r)).collect());
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s) = (hits.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming().take(MAX_CONNECTIONS) {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                h.fetch_add(1, Ordering::SeqCst);
                let (routes, s) = (routes.clone(), s.clone());
                std::thread::spawn(move || answer(stream, &routes, &s));
            }
        });
        Server {
            addr,
            hits,
            stop,
            thread: Some(thread),
        }
    }

    /// The base URL of the mirror at `/dir/`: `http://127.0.0.1:port/dir/`.
    pub fn url(&self, dir: &str) -> String {
        format!("http://{}/{dir}/", self.addr)
    }

    /// How many connections were accepted so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn answer(
    stream: TcpStream,
    routes: &HashMap<String, Reply>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let mut out = stream;
    let head = |status: &str, kind: &str, length: Option<u64>, extra: &str| {
        let mut h = format!("HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nConnection: close\r\n");
        if let Some(n) = length {
            h.push_str(&format!("Content-Length: {n}\r\n"));
        }
        h.push_str(extra);
        h.push_str("\r\n");
        h.into_bytes()
    };
    let binary = "application/octet-stream";
    match routes.get(path).cloned().unwrap_or(Reply::Status(404)) {
        Reply::Ok(body) => {
            out.write_all(&head("200 OK", binary, Some(body.len() as u64), ""))?;
            out.write_all(&body)?;
        }
        Reply::Html => {
            let body = b"<!DOCTYPE html><html><body>Sign in to continue</body></html>";
            let kind = "text/html; charset=utf-8";
            out.write_all(&head("200 OK", kind, Some(body.len() as u64), ""))?;
            out.write_all(body)?;
        }
        Reply::Status(code) => {
            let body = format!("status {code}");
            let status = format!("{code} Oops");
            out.write_all(&head(&status, "text/plain", Some(body.len() as u64), ""))?;
            out.write_all(body.as_bytes())?;
        }
        Reply::Announce(length, body) => {
            out.write_all(&head("200 OK", binary, Some(length), ""))?;
            out.write_all(&body)?;
        }
        Reply::Unannounced(body) => {
            out.write_all(&head("200 OK", binary, None, ""))?;
            out.write_all(&body)?;
        }
        Reply::ResetAfter(length, sent) => {
            out.write_all(&head("200 OK", binary, Some(length), ""))?;
            out.write_all(&sent)?;
            out.flush()?;
            // Give the client time to read what was sent, then reset.
            std::thread::sleep(Duration::from_millis(50));
            socket2::SockRef::from(&out).set_linger(Some(Duration::ZERO))?;
            drop(out);
            return Ok(());
        }
        Reply::Stall(headers) => {
            if let Some(length) = headers {
                out.write_all(&head("200 OK", binary, Some(length), ""))?;
                out.flush()?;
            }
            // Until the test's server is dropped (at most 30 s).
            for _ in 0..600 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Reply::Slow(body, chunk, pause) => {
            out.write_all(&head("200 OK", binary, Some(body.len() as u64), ""))?;
            for piece in body.chunks(chunk) {
                out.write_all(piece)?;
                out.flush()?;
                std::thread::sleep(pause);
            }
        }
        Reply::Redirect(location) => {
            let extra = format!("Location: {location}\r\n");
            out.write_all(&head("302 Found", "text/plain", Some(0), &extra))?;
        }
    }
    out.flush()?;
    out.shutdown(std::net::Shutdown::Both)
}
