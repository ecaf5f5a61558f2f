//! Every bad input and fault we try, run through the `nn` binary (and the
//! libraries, where only they can stage the fault), collected as rows of
//! the table in `docs/RELIABILITY.md`.
//!
//! `the_table_in_docs_reliability_md_is_current` renders the rows and
//! compares them with the block between the `BEGIN GENERATED` and `END
//! GENERATED` markers of that file; on a difference it fails with both. To
//! accept a change:
//!
//! ```text
//! NN_UPDATE_DOCS=1 cargo test -p nn-cli --test reliability
//! ```
//!
//! Offline and self-contained: data, weights and HTTP servers are made here
//! (the fault-injecting server and the IDX writers are `nn-testkit`'s);
//! stalls use sub-second timeouts.

mod cases;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One line of the table.
pub(crate) struct Row {
    /// Downloads, disk, weights, data, images, server.
    pub(crate) area: &'static str,
    /// What was done.
    pub(crate) case: String,
    /// The exit status and what `nn` printed (or the library returned).
    pub(crate) sees: String,
    /// What is in the data directory afterwards.
    pub(crate) disk: String,
}

/// A scratch directory and the server address, for normalising messages.
pub(crate) struct Scene {
    pub(crate) tmp: tempfile::TempDir,
    pub(crate) server: Option<String>,
}

impl Scene {
    pub(crate) fn new() -> Scene {
        Scene {
            tmp: tempfile::tempdir().unwrap(),
            server: None,
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `text` with the scratch directory as `<dir>` and the server as
    /// `<server>`.
    pub(crate) fn norm(&self, text: &str) -> String {
        let dir = self.tmp.path().display().to_string();
        let mut text = text.replace(&dir, "<dir>");
        if let Some(server) = &self.server {
            text = text.replace(server, "<server>");
        }
        text.trim_end().to_owned()
    }
}

/// Runs `nn` with `args`.
pub(crate) fn nn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nn"))
        .args(args)
        .env_remove("NN_DATA_DIR")
        .env_remove("NN_MIRROR")
        .output()
        .expect("the nn binary runs")
}

/// `exit 1: error: …` (stderr's lines joined), or `exit 0: <stdout's first
/// line>`.
pub(crate) fn outcome(scene: &Scene, out: &Output) -> String {
    let code = out
        .status
        .code()
        .map_or("killed".to_owned(), |c| c.to_string());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stderr.contains("panicked"), "nn panicked: {stderr}");
    let text = if out.status.success() {
        stdout.lines().next().unwrap_or("").to_owned()
    } else {
        let lines: Vec<&str> = stderr.lines().collect();
        // Errors are one line, always the last.
        assert!(
            lines.last().is_some_and(|l| l.starts_with("error: ")),
            "{stderr}"
        );
        lines.join(" ⏎ ")
    };
    format!("exit {code}: {}", scene.norm(&text))
}

/// The names in `dir`, hidden files included, or what stands there instead.
pub(crate) fn disk(dir: &Path) -> String {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut names: Vec<String> = entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            if names.is_empty() {
                "empty".to_owned()
            } else {
                names.join(", ")
            }
        }
        Err(_) if dir.is_file() => "a file, unchanged".to_owned(),
        Err(_) => "no directory".to_owned(),
    }
}

fn cell(text: &str) -> String {
    let text = text.replace('|', "\\|");
    if text.contains('`') {
        text
    } else {
        format!("`{text}`")
    }
}

fn render(rows: &[Row]) -> String {
    let mut out = String::from(
        "| # | Area | Fault or bad input | What the user sees | Left in the data dir |\n|---|---|---|---|---|\n",
    );
    for (i, r) in rows.iter().enumerate() {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            i + 1,
            r.area,
            r.case.replace('|', "\\|"),
            cell(&r.sees),
            r.disk.replace('|', "\\|"),
        ));
    }
    out
}

const BEGIN: &str = "<!-- BEGIN GENERATED: cargo test -p nn-cli --test reliability -->\n";
const END: &str = "<!-- END GENERATED -->";

#[test]
fn the_table_in_docs_reliability_md_is_current() {
    let start = std::time::Instant::now();
    let rows = cases::all();
    let table = render(&rows);
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/RELIABILITY.md");
    let text = std::fs::read_to_string(&doc).unwrap_or_default();
    let block = text.split_once(BEGIN).and_then(|(head, rest)| {
        rest.split_once(END)
            .map(|(block, tail)| (head, block, tail))
    });
    let Some((head, block, tail)) = block else {
        panic!("{} lacks the markers {BEGIN:?} … {END:?}", doc.display());
    };
    if block != table {
        if std::env::var_os("NN_UPDATE_DOCS").is_some() {
            std::fs::write(&doc, format!("{head}{BEGIN}{table}{END}{tail}")).unwrap();
            eprintln!("updated {}", doc.display());
        } else {
            panic!(
                "docs/RELIABILITY.md is out of date; rerun with \
                 `NN_UPDATE_DOCS=1 cargo test -p nn-cli --test reliability` and review the diff.\n\
                 --- in the file:\n{block}\n--- now:\n{table}"
            );
        }
    }
    eprintln!(
        "{} cases in {:.1} s",
        rows.len(),
        start.elapsed().as_secs_f64()
    );
}

/// Not a test of its own: the child process of the two-process fetch case
/// (see `cases::two_processes`), which runs this test binary twice.
#[test]
fn fetch_child() {
    cases::fetch_child();
}

/// `nn fetch` twice at once on the real files (`NN_DATA_DIR`, as `cargo
/// xtask eval` sets it), served slowly so that the two overlap.
#[test]
fn two_nn_fetch_processes_on_the_real_weights() {
    cases::two_nn_fetch_processes_on_the_real_weights();
}

/// A read-only data directory; root bypasses permissions, so there the
/// check is skipped with a note.
#[test]
fn read_only_data_dir() {
    cases::read_only_data_dir();
}
