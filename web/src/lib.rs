//! # podnet-web
//!
//! The Yew front end of podnet. Components render the state of
//! [`podnet_model`] and never compute networking themselves.

pub mod app;
pub mod components;

pub use app::App;
