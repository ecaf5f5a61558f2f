//! `nn serve` in a real headless Chromium: open the page, draw digits with
//! mouse strokes, read the verdict the page shows.
//!
//! Run by `cargo xtask web-check`, which installs Chromium and its driver
//! when missing and sets `NN_WEB_CHECK=1`, `NN_BIN`, `NN_DATA_DIR`,
//! `CHROME`, `CHROMEDRIVER` and `NN_WEB_SHOTS` (where screenshots go).
//! The test starts `nn serve` on a free loopback port and `chromedriver`,
//! and drives the browser through the W3C WebDriver protocol: plain HTTP
//! and JSON, sent with ureq. Both processes are stopped when it ends.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A child process killed (and reaped) when dropped, even on a failed
/// assertion.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where everything is, from the environment `cargo xtask web-check` sets.
struct Setup {
    nn: PathBuf,
    weights: PathBuf,
    chrome: PathBuf,
    chromedriver: PathBuf,
    shots: Option<PathBuf>,
}

fn setup() -> Option<Setup> {
    if std::env::var_os("NN_WEB_CHECK").is_none_or(|v| v != "1") {
        eprintln!("skipping: set NN_WEB_CHECK=1 (cargo xtask web-check does)");
        return None;
    }
    let (data, nn) = (e2e::data_dir()?, e2e::nn_bin()?);
    let var = |name: &str, default: &str| {
        std::env::var_os(name).map_or_else(|| PathBuf::from(default), PathBuf::from)
    };
    Some(Setup {
        nn,
        weights: data.join("sample_weight.pkl"),
        chrome: var("CHROME", "/usr/bin/chromium"),
        chromedriver: var("CHROMEDRIVER", "/usr/bin/chromedriver"),
        shots: std::env::var_os("NN_WEB_SHOTS").map(PathBuf::from),
    })
}

/// `nn serve --addr 127.0.0.1:0`, and the URL from its first line.
fn start_server(nn: &Path, weights: &Path) -> (Guard, String) {
    let mut child = Command::new(nn)
        .args(["serve", "--addr", "127.0.0.1:0", "--weights"])
        .arg(weights)
        .stdout(Stdio::piped())
        .spawn()
        .expect("nn serve starts");
    let stdout = child.stdout.take().expect("piped");
    let guard = Guard(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("nn serve said {line:?}"))
        .to_owned();
    (guard, url)
}

/// A tiny W3C WebDriver client: one session, JSON in, `value` out.
struct Driver {
    agent: ureq::Agent,
    session: String,
    _chromedriver: Guard,
}

impl Driver {
    fn start(chromedriver: &Path, chrome: &Path, profile: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", chromedriver.display()));
        let guard = Guard(child);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while !agent
            .get(format!("{base}/status"))
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok())
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .is_some_and(|v| v["value"]["ready"] == true)
        {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--force-device-scale-factor=1",
            "--hide-scrollbars",
            "--window-size=820,720",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chrome, "args": args},
        }}});
        let mut driver = Driver {
            agent,
            session: base.clone(),
            _chromedriver: guard,
        };
        let value = driver.call("POST", "/session", Some(caps));
        let id = value["sessionId"].as_str().expect("a session id");
        driver.session = format!("{base}/session/{id}");
        driver
    }

    /// One command; panics with the driver's message on an error status.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        // Before the session exists `self.session` is the driver's base URL.
        let url = format!("{}{path}", self.session);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or_else(|| json!({})).to_string()),
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status();
        let text = response.body_mut().read_to_string().unwrap();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        v["value"].clone()
    }

    fn script(&self, source: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": source, "args": []})),
        )
    }

    fn element(&self, css: &str) -> Value {
        self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        )
    }

    fn screenshot(&self, path: &Path) {
        let b64 = self.call("GET", "/screenshot", None);
        let png = base64_decode(b64.as_str().expect("base64 text"));
        assert_eq!(&png[..4], b"\x89PNG");
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if self.session.contains("/session/") {
            let _ = self.agent.delete(&self.session).call();
        }
    }
}

/// Standard base64 (the screenshot's encoding), padding allowed.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {}", c as char),
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in text
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
    {
        acc = (acc << 6) | u32::from(value(c));
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// A digit as strokes of points on the 280×280 pad, drawn with the mouse.
type Strokes = Vec<Vec<(f64, f64)>>;

/// Points along an ellipse arc, `from` to `to` in degrees (0 = right,
/// 90 = down).
fn arc(cx: f64, cy: f64, rx: f64, ry: f64, from: f64, to: f64) -> Vec<(f64, f64)> {
    let n = ((to - from).abs() / 10.0).ceil() as usize;
    (0..=n)
        .map(|i| {
            let a = (from + (to - from) * i as f64 / n as f64).to_radians();
            (cx + rx * a.cos(), cy + ry * a.sin())
        })
        .collect()
}

/// How a person might write each digit, stroke by stroke.
fn handwriting(digit: u8) -> Strokes {
    match digit {
        0 => vec![arc(140.0, 140.0, 62.0, 95.0, -90.0, 275.0)],
        1 => vec![vec![(122.0, 70.0), (152.0, 42.0), (150.0, 240.0)]],
        2 => {
            let mut s = arc(140.0, 100.0, 58.0, 55.0, 200.0, 380.0);
            s.extend([(180.0, 150.0), (85.0, 238.0), (210.0, 236.0)]);
            vec![s]
        }
        3 => {
            let mut s = arc(135.0, 90.0, 55.0, 48.0, 210.0, 450.0);
            s.extend(arc(135.0, 185.0, 62.0, 52.0, 270.0, 510.0));
            vec![s]
        }
        4 => vec![
            vec![(150.0, 40.0), (80.0, 165.0), (215.0, 165.0)],
            vec![(175.0, 95.0), (172.0, 245.0)],
        ],
        5 => {
            let mut s = vec![(200.0, 45.0), (100.0, 45.0), (92.0, 128.0)];
            s.extend(arc(140.0, 180.0, 62.0, 58.0, 235.0, 480.0));
            vec![s]
        }
        6 => {
            let mut s = vec![(185.0, 45.0), (135.0, 80.0), (100.0, 140.0)];
            s.extend(arc(142.0, 190.0, 52.0, 52.0, 180.0, 540.0));
            vec![s]
        }
        7 => vec![vec![(75.0, 50.0), (208.0, 50.0), (128.0, 240.0)]],
        8 => {
            let mut s = arc(140.0, 90.0, 45.0, 48.0, 90.0, -270.0);
            s.extend(arc(140.0, 188.0, 55.0, 52.0, 270.0, 630.0));
            vec![s]
        }
        9 => {
            let mut s = arc(140.0, 95.0, 52.0, 50.0, 0.0, -360.0);
            s.extend([(186.0, 160.0), (175.0, 245.0)]);
            vec![s]
        }
        _ => unreachable!("a digit"),
    }
}

/// The strokes as one WebDriver pointer action sequence: moves are
/// relative to the pad's centre, every few pixels so the page sees a
/// continuous stroke.
fn pointer_actions(pad: &Value, strokes: &Strokes) -> Value {
    let mut actions = Vec::new();
    let mv = |x: f64, y: f64| {
        json!({"type": "pointerMove", "origin": pad, "duration": 0,
               "x": (x - 140.0).round() as i64, "y": (y - 140.0).round() as i64})
    };
    for stroke in strokes {
        let (x0, y0) = stroke[0];
        actions.push(mv(x0, y0));
        actions.push(json!({"type": "pointerDown", "button": 0}));
        for pair in stroke.windows(2) {
            let ((xa, ya), (xb, yb)) = (pair[0], pair[1]);
            let steps = ((xb - xa).hypot(yb - ya) / 8.0).ceil().max(1.0) as usize;
            for i in 1..=steps {
                let t = i as f64 / steps as f64;
                actions.push(mv(xa + (xb - xa) * t, ya + (yb - ya) * t));
            }
        }
        actions.push(json!({"type": "pointerUp", "button": 0}));
    }
    json!({"actions": [{"type": "pointer", "id": "mouse",
                        "parameters": {"pointerType": "mouse"}, "actions": actions}]})
}

/// Waits until the page has the answer to its latest drawing; returns the
/// verdict it shows and the ink in its 28×28 view.
fn settled_verdict(driver: &Driver) -> (String, u64) {
    let start = Instant::now();
    loop {
        let state = driver.script(
            "const pad = document.getElementById('pad');
             const seen = document.getElementById('seen').getContext('2d').getImageData(0, 0, 28, 28).data;
             let ink = 0; for (let i = 0; i < seen.length; i += 4) ink += seen[i];
             return [pad.dataset.drawn, pad.dataset.answered,
                     document.getElementById('prediction').textContent, ink];",
        );
        if state[0] == state[1] {
            let verdict = state[2].as_str().unwrap_or("").to_owned();
            return (verdict, state[3].as_u64().unwrap_or(0));
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the page never got its answer: {state}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn drawn_digits_are_classified_in_the_browser() {
    let Some(setup) = setup() else {
        return;
    };
    let (_server, url) = start_server(&setup.nn, &setup.weights);
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(&setup.chromedriver, &setup.chrome, profile.path());
    driver.call("POST", "/url", Some(json!({ "url": url })));
    let title = driver.call("GET", "/title", None);
    assert_eq!(title, "nn serve: draw a digit");
    let pad = driver.element("#pad");
    let clear = driver.element("#clear");
    let element_id = |v: &Value| {
        v["element-6066-11e4-a52e-4f735466cecf"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    let mut results = Vec::new();
    for digit in 0..10u8 {
        driver.call(
            "POST",
            &format!("/element/{}/click", element_id(&clear)),
            None,
        );
        let (verdict, ink) = settled_verdict(&driver);
        assert_eq!((verdict.as_str(), ink), ("?", 0), "after Clear");

        driver.call(
            "POST",
            "/actions",
            Some(pointer_actions(&pad, &handwriting(digit))),
        );
        let (verdict, ink) = settled_verdict(&driver);
        assert!(ink > 20 * 255, "the 28×28 view shows the digit (ink {ink})");
        if let Some(dir) = &setup.shots {
            std::fs::create_dir_all(dir).unwrap();
            driver.screenshot(&dir.join(format!("drawn-{digit}.png")));
        }
        results.push((digit, verdict));
    }
    driver.call("DELETE", "/actions", None);

    let right: Vec<u8> = results
        .iter()
        .filter(|(d, v)| *v == d.to_string())
        .map(|(d, _)| *d)
        .collect();
    eprintln!(
        "digits drawn in Chromium: {}/10 right; page verdicts {:?}",
        right.len(),
        results
    );
    // The two, always; and most of the rest.
    assert!(right.contains(&1) && right.contains(&7), "{results:?}");
    assert!(right.len() >= 8, "{results:?}");
}
