//! Test-only crate: see `tests/` (scenario tests on the model's public API,
//! the `podnet` CLI end to end) and `e2e/` (the built app in headless Chromium).
