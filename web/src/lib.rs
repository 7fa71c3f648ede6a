//! # podnet-web
//!
//! The Yew front end of podnet. One reducer ([`state`]) holds the scenario
//! and the sandbox; components render it and dispatch actions, and never
//! compute networking themselves; [`persist`] does the I/O.

pub mod app;
pub mod components;
pub mod lazy;
pub mod persist;
pub mod state;

pub use app::App;
