//! The release site's split module (web/src/lazy.rs): after Trunk has
//! built `dist/` with one wasm module, build the app again with the `split`
//! feature and the linker's relocations, split it at its `#[wasm_split]`
//! points (wasm_split_cli_support 0.2.4), run wasm-bindgen and wasm-opt as
//! Trunk does, and put the result in place of Trunk's `.js` and `.wasm`.
//!
//! Trunk 0.21 has no stage between cargo and wasm-bindgen (trunk issue
//! 1022), hence the second build (its own target dir, so Trunk's cache
//! stays warm).

use std::path::Path;

use base64::Engine as _;
use sha2::Digest as _;

use crate::run::{self, command, status};

/// What the generated loader calls to compile a split module, and what
/// it calls instead: `instantiateStreaming` refuses a `.wasm` served
/// without `application/wasm` (some static servers), so fall back to
/// compiling the bytes, as wasm-bindgen's own loader does.
const STREAMING: &str = "(WebAssembly.instantiateStreaming(src, imports))";
const WITH_FALLBACK: &str = "(src.then((r) => WebAssembly.instantiateStreaming(r.clone(), imports).catch(() => r.arrayBuffer().then((b) => WebAssembly.instantiate(b, imports)))))";

/// Builds, splits and swaps in the split module.
///
/// # Errors
/// When a build step fails, or `index.html` or the loader is not as
/// expected (the pinned tools changed their output).
pub fn swap_in(dist: &Path) -> Result<(), String> {
    let index = dist.join("index.html");
    let page = read_text(&index)?;
    let js =
        trunk_js(&page).ok_or_else(|| format!("{} loads no podnet-web-*.js", index.display()))?;
    let stem = js.trim_end_matches(".js").to_owned();
    let target = run::root().join("target/split");
    let mut cmd = command("cargo");
    cmd.args([
        "build",
        "--release",
        "--package",
        "podnet-web",
        "--bin",
        "podnet-web",
        "--target",
        "wasm32-unknown-unknown",
        "--features",
        "split",
    ])
    .env("CARGO_TARGET_DIR", &target)
    .env("RUSTFLAGS", "-C link-arg=--emit-relocs")
    .env("CARGO_PROFILE_RELEASE_STRIP", "false");
    status(&mut cmd, "cargo build --features split (relocations kept)")?;
    let linked = target.join("wasm32-unknown-unknown/release/podnet-web.wasm");
    let wasm =
        std::fs::read(&linked).map_err(|e| format!("cannot read {}: {e}", linked.display()))?;
    let work = target.join("split-out");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let main = work.join("main.wasm");
    let main_module = format!("./{js}");
    let loader_name = format!("{stem}-split.js");
    let link_name = format!("./{loader_name}");
    let mut opts = wasm_split_cli_support::Options::new(&wasm);
    opts.output_dir = &work;
    opts.main_out_path = &main;
    opts.main_module = &main_module;
    opts.link_name = &link_name;
    let split = wasm_split_cli_support::transform(opts).map_err(|e| format!("wasm-split: {e}"))?;

    let bound = work.join("bound");
    let mut cmd = command("wasm-bindgen");
    cmd.arg(&main)
        .arg("--out-dir")
        .arg(&bound)
        .args(["--out-name", &stem, "--target", "web", "--no-typescript"])
        // The split modules import the function table: keep its export.
        .arg("--keep-lld-exports");
    status(&mut cmd, "wasm-bindgen (split main module)")?;

    let mut loader = read_text(&work.join(&loader_name))?;
    if !loader.contains(STREAMING) {
        return Err(format!(
            "{loader_name}: the split loader no longer calls {STREAMING}; check the MIME-type fallback"
        ));
    }
    loader = loader.replace(STREAMING, WITH_FALLBACK);
    // Hashed names, as Trunk's, so a new build is never served from a
    // stale cache.
    for module in &split.split_modules {
        let Some(name) = module.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let hashed = format!("{stem}-{name}");
        loader = loader.replace(&format!("\"./{name}\""), &format!("\"./{hashed}\""));
        optimize(module, &dist.join(&hashed))?;
    }
    write(&dist.join(&loader_name), loader.as_bytes())?;
    let wasm_name = format!("{stem}_bg.wasm");
    optimize(&bound.join(&wasm_name), &dist.join(&wasm_name))?;
    let glue = std::fs::read(bound.join(&js)).map_err(|e| format!("cannot read {js}: {e}"))?;
    write(&dist.join(&js), &glue)?;

    let mut page = page;
    for name in [&js, &wasm_name] {
        let bytes =
            std::fs::read(dist.join(name)).map_err(|e| format!("cannot read {name}: {e}"))?;
        page = with_integrity(&page, name, &bytes)
            .ok_or_else(|| format!("{}: no integrity attribute for {name}", index.display()))?;
    }
    // The main module's JavaScript imports the loader: fetch it beside
    // the JavaScript, not after it.
    let preload = format!("<link crossorigin href=./{loader_name} rel=modulepreload>");
    let at = page
        .find("</head>")
        .ok_or_else(|| format!("{} has no </head>", index.display()))?;
    page.insert_str(at, &preload);
    write(&index, page.as_bytes())?;
    println!(
        "split: {} module(s) loaded on demand ({}), the rest in {wasm_name}",
        split.split_modules.len(),
        split
            .split_modules
            .iter()
            .filter_map(|m| m.file_stem().and_then(|n| n.to_str()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// Whether `rel`, a file of `dist/`, is loaded only on demand (a split
/// module or a chunk shared by split modules).
pub fn on_demand(rel: &str) -> bool {
    rel.starts_with("podnet-web-") && rel.ends_with(".wasm") && !rel.ends_with("_bg.wasm")
}

/// The `podnet-web-<hash>.js` that `index.html` imports.
fn trunk_js(page: &str) -> Option<String> {
    page.match_indices("./podnet-web-").find_map(|(at, _)| {
        let rest = page.get(at + 2..)?;
        let hash = rest.strip_prefix("podnet-web-")?;
        let len = hash.find(|c: char| !c.is_ascii_alphanumeric())?;
        hash[len..]
            .starts_with(".js")
            .then(|| format!("podnet-web-{}.js", &hash[..len]))
    })
}

/// `page` with the `integrity` attribute of the tag that loads `name` set
/// to the SHA-384 of `bytes` (subresource integrity, as Trunk writes it).
fn with_integrity(page: &str, name: &str, bytes: &[u8]) -> Option<String> {
    let href = page
        .find(&format!("href=./{name} "))
        .or_else(|| page.find(&format!("href=\"./{name}\"")))?;
    let start = page[..href].rfind('<')?;
    let end = href + page[href..].find('>')?;
    let tag = &page[start..end];
    let at = tag.find("integrity=")? + "integrity=".len();
    let value = &tag[at..];
    let quoted = value.starts_with('"');
    let len = if quoted {
        value[1..].find('"')? + 2
    } else {
        value.find([' ', '>']).unwrap_or(value.len())
    };
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(bytes));
    let new = if quoted {
        format!("\"sha384-{hash}\"")
    } else {
        format!("sha384-{hash}")
    };
    let from = start + at;
    Some(format!("{}{new}{}", &page[..from], &page[from + len..]))
}

/// `wasm-opt -Oz`, as Trunk runs it (`data-wasm-opt="z"`).
fn optimize(from: &Path, to: &Path) -> Result<(), String> {
    let mut cmd = command("wasm-opt");
    cmd.arg("-Oz").arg(from).arg("-o").arg(to);
    status(&mut cmd, &format!("wasm-opt -Oz {}", display(from)))
}

fn display(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn read_text(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
}

fn write(p: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(p, bytes).map_err(|e| format!("cannot write {}: {e}", p.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_trunks_script_and_rewrites_its_integrity() {
        let page = "<link href=./podnet-web-ab12_bg.wasm rel=preload><script type=module>import init from './podnet-web-ab12.js';</script><link crossorigin href=./podnet-web-ab12.js integrity=sha384-OLD rel=modulepreload><link href=./podnet-web-ab12_bg.wasm integrity=sha384-OLD2 rel=preload>";
        assert_eq!(trunk_js(page).as_deref(), Some("podnet-web-ab12.js"));
        let out = with_integrity(page, "podnet-web-ab12.js", b"abc").unwrap();
        // SHA-384 of "abc" (FIPS 180-2 test vector), base64.
        assert!(out.contains("href=./podnet-web-ab12.js integrity=sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn rel=modulepreload"), "{out}");
        assert!(
            out.contains("integrity=sha384-OLD2"),
            "the other tag is left alone"
        );
        assert!(with_integrity(page, "nope.js", b"").is_none());
    }

    #[test]
    fn split_modules_are_not_a_first_visit() {
        assert!(on_demand("podnet-web-ab12-split_planner.wasm"));
        assert!(on_demand("podnet-web-ab12-chunk_0.wasm"));
        assert!(!on_demand("podnet-web-ab12_bg.wasm"));
        assert!(!on_demand("podnet-web-ab12-split.js"));
    }
}
