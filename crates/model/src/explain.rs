//! Derivations: every number the model shows can say how it was computed and
//! which rule it follows, e.g. `3 ENIs × (10 − 1) + 2 = 29`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One reason in a derivation, with the rule's source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// What this step says, in plain words.
    pub text: String,
    /// Where the rule comes from (a document or the code that implements it).
    pub source: String,
}

/// A derived number with its formula and the reasons behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Derivation {
    /// What is being derived, e.g. `max pods`.
    pub quantity: String,
    /// The value.
    pub value: u32,
    /// The arithmetic with the numbers filled in, ending in `= value`.
    pub formula: String,
    /// Why each term is there.
    pub steps: Vec<Step>,
}

impl Derivation {
    /// A derivation with no steps yet.
    pub fn new(quantity: &str, value: u32, formula: String) -> Self {
        Self {
            quantity: quantity.to_owned(),
            value,
            formula,
            steps: Vec::new(),
        }
    }

    /// Adds a reason and its source.
    #[must_use]
    pub fn because(mut self, text: impl Into<String>, source: &str) -> Self {
        self.steps.push(Step {
            text: text.into(),
            source: source.to_owned(),
        });
        self
    }
}

impl fmt::Display for Derivation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} = {}", self.quantity, self.value)?;
        write!(f, "  {}", self.formula)?;
        for step in &self.steps {
            write!(f, "\n  - {} [{}]", step.text, step.source)?;
        }
        Ok(())
    }
}
