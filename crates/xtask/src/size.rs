//! What a visit downloads: every file of `dist/` precompressed beside
//! itself (`.gz`, `.br`) for servers that serve those, and the byte report
//! with the first visit's budget (issue 19: ≤ 250 KiB gzipped, 200 KiB the
//! stretch).

use std::io::Write;
use std::path::{Path, PathBuf};

/// The first visit's budget, gzipped.
const BUDGET_KIB: usize = 250;
/// The stretch goal, gzipped.
const STRETCH_KIB: usize = 200;

/// Files a first visit of `index.html` does not load: the course example
/// page, the example exercise file and the modules loaded on demand.
fn not_first_visit(rel: &str) -> bool {
    rel == "embed-example.html" || rel.starts_with("exercises/") || crate::split::on_demand(rel)
}

/// Writes `F.gz` (gzip -9) and `F.br` (brotli 11) beside every file `F` of
/// `dist`, then prints each file's raw, gzip and brotli size and the
/// first-visit budget line.
///
/// # Errors
/// When `dist` cannot be read or a compressed copy cannot be written.
pub fn precompress_and_report(dist: &Path) -> Result<(), String> {
    let mut files = Vec::new();
    walk(dist, &mut files)?;
    let mut rows: Vec<(String, usize, usize, usize)> = Vec::new();
    for path in files {
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let (gz, br) = (gzip(&bytes)?, brotli(&bytes)?);
        write_beside(&path, "gz", &gz)?;
        write_beside(&path, "br", &br)?;
        let rel = path.strip_prefix(dist).map_or_else(
            |_| path.display().to_string(),
            |p| p.to_string_lossy().into_owned(),
        );
        rows.push((rel, bytes.len(), gz.len(), br.len()));
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.1));
    println!(
        "\n{:<44} {:>10} {:>10} {:>10}",
        "dist/", "raw", "gzip -9", "brotli 11"
    );
    for (name, raw, gz, br) in &rows {
        println!(
            "{name:<44} {:>10} {:>10} {:>10}",
            kib(*raw),
            kib(*gz),
            kib(*br)
        );
    }
    let first: Vec<_> = rows.iter().filter(|r| !not_first_visit(&r.0)).collect();
    let sum = |f: fn(&&(String, usize, usize, usize)) -> usize| first.iter().map(f).sum::<usize>();
    let (raw, gz, br) = (sum(|r| r.1), sum(|r| r.2), sum(|r| r.3));
    println!(
        "{:<44} {:>10} {:>10} {:>10}",
        "first visit (index.html and what it loads)",
        kib(raw),
        kib(gz),
        kib(br)
    );
    let verdict = if gz <= STRETCH_KIB * 1024 {
        "PASS (stretch too)"
    } else if gz <= BUDGET_KIB * 1024 {
        "PASS"
    } else {
        "MISS"
    };
    println!(
        "{verdict} first visit {} gzipped, {} brotli (budget ≤ {BUDGET_KIB} KiB gzipped, stretch ≤ {STRETCH_KIB} KiB)",
        kib(gz),
        kib(br)
    );
    println!(
        "every file has .gz and .br copies beside it, for servers that serve precompressed files"
    );
    Ok(())
}

/// Every file under `dir`, skipping compressed copies.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if !matches!(path.extension().and_then(|e| e.to_str()), Some("gz" | "br")) {
            out.push(path);
        }
    }
    Ok(())
}

fn write_beside(path: &Path, ext: &str, bytes: &[u8]) -> Result<(), String> {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    std::fs::write(&name, bytes)
        .map_err(|e| format!("cannot write {}: {e}", Path::new(&name).display()))
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).map_err(|e| format!("gzip: {e}"))?;
    enc.finish().map_err(|e| format!("gzip: {e}"))
}

fn brotli(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        enc.write_all(bytes).map_err(|e| format!("brotli: {e}"))?;
    }
    Ok(out)
}

fn kib(n: usize) -> String {
    format!("{:.1} KiB", n as f64 / 1024.0)
}
