//! Pinned tool versions. See README "Toolchain" for why each is what it is.

/// trunk ≥ 0.22 needs a newer rustc than 1.95; 0.21.14 is the last that builds.
pub const TRUNK: &str = "0.21.14";
/// wasm-opt from the npm `binaryen` package (Debian's 108 cannot read
/// wasm-bindgen 0.2.130 output). Trunk.toml says `wasm_opt = "version_132"`.
pub const BINARYEN_NPM: &str = "132.0.0";
/// The number `wasm-opt --version` prints for [`BINARYEN_NPM`].
pub const BINARYEN_VERSION: &str = "132";
/// The wasm32 target the web crate builds for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The end-to-end driver (npm). It never downloads a browser: the tests launch
/// Debian's /usr/bin/chromium.
pub const PLAYWRIGHT_CORE: &str = "1.65.1";
