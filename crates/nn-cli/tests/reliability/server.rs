//! A fault-injecting HTTP server on 127.0.0.1: canned answers, broken ones
//! included, one thread per connection; it stops when dropped.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// A canned answer.
#[derive(Clone)]
pub(crate) enum Reply {
    /// 200 with the body and its Content-Length.
    Ok(Vec<u8>),
    /// 200 `text/html`.
    Html,
    /// A bare status with a short text body.
    Status(u16),
    /// 200 announcing `len` bytes, sending `body`, then closing.
    Announce(u64, Vec<u8>),
    /// 200 announcing `len` bytes, `send` of them, then a TCP reset.
    ResetAfter(u64, usize),
    /// Reads the request, then sends nothing (`None`) or only headers
    /// announcing that many bytes, until the server stops.
    Stall(Option<u64>),
    /// The body in pieces of `chunk` bytes, `pause` apart.
    Slow(Vec<u8>, usize, Duration),
    /// A 302 to another path on this server.
    Redirect(String),
}

pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub(crate) fn start(routes: Vec<(&str, Reply)>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let routes: Arc<HashMap<String, Reply>> =
            Arc::new(routes.into_iter().map(|(p, r)| (p.to_owned(), r)).collect());
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming().take(200) {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (routes, s) = (routes.clone(), s.clone());
                std::thread::spawn(move || answer(stream, &routes, &s));
            }
        });
        Server {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// The base URL of the mirror at `/dir/`.
    pub(crate) fn url(&self, dir: &str) -> String {
        format!("http://{}/{dir}/", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
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
    let head = |status: &str, kind: &str, length: u64, extra: &str| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nConnection: close\r\nContent-Length: {length}\r\n{extra}\r\n"
        )
        .into_bytes()
    };
    let binary = "application/octet-stream";
    match routes.get(path).cloned().unwrap_or(Reply::Status(404)) {
        Reply::Ok(body) => {
            out.write_all(&head("200 OK", binary, body.len() as u64, ""))?;
            out.write_all(&body)?;
        }
        Reply::Html => {
            let body = b"<!DOCTYPE html><html><body>Sign in to continue</body></html>";
            out.write_all(&head(
                "200 OK",
                "text/html; charset=utf-8",
                body.len() as u64,
                "",
            ))?;
            out.write_all(body)?;
        }
        Reply::Status(code) => {
            let body = format!("status {code}");
            out.write_all(&head(
                &format!("{code} Oops"),
                "text/plain",
                body.len() as u64,
                "",
            ))?;
            out.write_all(body.as_bytes())?;
        }
        Reply::Announce(length, body) => {
            out.write_all(&head("200 OK", binary, length, ""))?;
            out.write_all(&body)?;
        }
        Reply::ResetAfter(length, send) => {
            out.write_all(&head("200 OK", binary, length, ""))?;
            out.write_all(&vec![7; send])?;
            out.flush()?;
            std::thread::sleep(Duration::from_millis(50));
            socket2::SockRef::from(&out).set_linger(Some(Duration::ZERO))?;
            return Ok(());
        }
        Reply::Stall(headers) => {
            if let Some(length) = headers {
                out.write_all(&head("200 OK", binary, length, ""))?;
                out.flush()?;
            }
            for _ in 0..600 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Reply::Slow(body, chunk, pause) => {
            out.write_all(&head("200 OK", binary, body.len() as u64, ""))?;
            for piece in body.chunks(chunk) {
                out.write_all(piece)?;
                out.flush()?;
                std::thread::sleep(pause);
            }
        }
        Reply::Redirect(location) => {
            let extra = format!("Location: {location}\r\n");
            out.write_all(&head("302 Found", "text/plain", 0, &extra))?;
        }
    }
    out.flush()?;
    out.shutdown(std::net::Shutdown::Both)
}
