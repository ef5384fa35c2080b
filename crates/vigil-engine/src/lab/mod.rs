//! The demo environment: a small office described as data (`content/demo.json`), loaded
//! into the store like any other office, and the `lab` connector that plays its machines'
//! live state. Nothing outside this module knows the office is simulated.

mod connector;
mod demo;
mod office;
mod sysmon;

pub(crate) use connector::Lab;
pub use demo::{DemoSummary, PAYLOAD_SHA256};
pub use sysmon::sysmon_json;
