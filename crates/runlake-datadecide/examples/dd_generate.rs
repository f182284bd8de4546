//! `cargo run --release -p runlake-datadecide --example dd_generate -- OUT_DIR [SEED] [SCALE]`
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: dd_generate OUT_DIR [SEED] [SCALE]")?,
    );
    let seed: u64 = args.next().map_or(Ok(1), |s| s.parse())?;
    let scale: f64 = args.next().map_or(Ok(1.0), |s| s.parse())?;
    let summary = runlake_datadecide::generate::generate(&out, seed, scale)?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
