//! Digest chains for tests and benchmarks.
//!
//! `gen-integrity <DIR>`: the signed, tampered archive of `trailsift_tools::integrity` in
//! `DIR/dump/`, and beside it `keys.json` (both public keys), `first-key.json` and
//! `signatures.csv`.
//!
//! `gen-integrity --sign <DUMP> <KEYS_DIR>`: adds hourly, signed digests to an existing dump;
//! writes `keys.json` and `signatures.csv` into KEYS_DIR.
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use trailsift_tools::integrity::{add_digests, generate};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, dump, keys] if flag == "--sign" => {
            let signed = add_digests(&PathBuf::from(dump))?;
            let keys = PathBuf::from(keys);
            std::fs::create_dir_all(&keys)
                .with_context(|| format!("creating {}", keys.display()))?;
            std::fs::write(keys.join("keys.json"), &signed.public_keys)?;
            std::fs::write(keys.join("signatures.csv"), &signed.signatures)?;
            println!("digests={} logs={}", signed.digests, signed.logs);
        }
        [dir] if !dir.starts_with('-') => {
            let dir = PathBuf::from(dir);
            let archive = generate(&dir.join("dump"))?;
            std::fs::write(dir.join("keys.json"), &archive.public_keys)?;
            std::fs::write(dir.join("first-key.json"), &archive.first_key_only)?;
            std::fs::write(dir.join("signatures.csv"), &archive.signatures)?;
            println!("{}", dir.join("dump").display());
        }
        _ => bail!("usage: gen-integrity <DIR> | gen-integrity --sign <DUMP> <KEYS_DIR>"),
    }
    Ok(())
}
