//! `--cni`: the model's CNI tags ([`CniMode::tags`], the one list the page
//! and the planner use too), and `vpc`, the name podnet's CLI once took for
//! the AWS VPC CNI, still accepted.

use clap::builder::{PossibleValue, PossibleValuesParser};
use podnet_model::cni::Cni as _;
use podnet_model::cni::Knobs;
use podnet_model::CniMode;

/// The parser of `--cni`: one value per CNI the model knows.
pub fn parser() -> PossibleValuesParser {
    PossibleValuesParser::new(
        CniMode::tags()
            .iter()
            .map(|t| PossibleValue::new(*t))
            .chain([PossibleValue::new("vpc").hide(true)]),
    )
}

/// The CNI `--cni tag` names, with its defaults and the `knobs` it has.
///
/// # Errors
/// A tag the model does not know (the parser refuses it first).
pub fn mode(tag: &str, knobs: &Knobs) -> Result<CniMode, String> {
    let tag = if tag == "vpc" { "aws-vpc-cni" } else { tag };
    CniMode::from_tag(tag)
        .map(|m| m.strategy().tuned(knobs))
        .ok_or_else(|| {
            format!(
                "--cni {tag}: not a CNI podnet models (one of {})",
                CniMode::tags().join(", ")
            )
        })
}
