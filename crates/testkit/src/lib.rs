//! Test support for nn-from-scratch, written once and used by the tests of
//! `mnist-data` and `nn-cli` (a dev-dependency only; it depends on no crate
//! of the workspace).
//!
//! - [`http`]: a fault-injecting HTTP/1.1 server on 127.0.0.1 with canned
//!   answers, broken ones included.
//! - [`idx`]: tiny IDX files (images, labels), raw or gzip-compressed.
//! - [`png`]: PNG chunks and their CRC-32, for headers that lie.
//!
//! ```
//! use nn_testkit::http::{Reply, Server};
//! use std::io::{Read, Write};
//!
//! let server = Server::start([("/m/a.bin", Reply::Ok(b"abc".to_vec()))]);
//! let mut stream = std::net::TcpStream::connect(server.addr).unwrap();
//! stream.write_all(b"GET /m/a.bin HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
//! let mut answer = String::new();
//! stream.read_to_string(&mut answer).unwrap();
//! assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(answer.ends_with("\r\n\r\nabc"));
//! assert_eq!(server.hits(), 1);
//! ```

#![doc(test(attr(deny(warnings))))]

pub mod http;
pub mod idx;
pub mod png;
