//! Small view components; each has its own stylesheet in `web/styles/`.

pub mod address_strip;
pub mod subnet_calculator;

pub use address_strip::AddressStrip;
pub use subnet_calculator::SubnetCalculator;
