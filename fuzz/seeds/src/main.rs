//! Writes the seed corpora: `nn-fuzz-seeds <corpus dir>` fills
//! `<corpus dir>/<target>/seed-<name>` for each fuzz target.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(root) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: nn-fuzz-seeds <corpus dir>");
        return ExitCode::FAILURE;
    };
    let seeds = nn_fuzz_seeds::seeds();
    for (target, name, bytes) in &seeds {
        let dir = root.join(target);
        let written = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join(format!("seed-{name}")), bytes));
        if let Err(e) = written {
            eprintln!("nn-fuzz-seeds: {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    println!("wrote {} seeds under {}", seeds.len(), root.display());
    ExitCode::SUCCESS
}
