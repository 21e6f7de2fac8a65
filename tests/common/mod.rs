//! Shared code of the integration tests, in three parts kept apart:
//! - `harness`: temporary folders, staging, running the real tshark with the built plugin;
//! - `oracle`: the generator's JSON beside each kernel-made capture, the truth compared with;
//! - `checks` and `episode_checks`: tshark's output against that truth.
#![allow(dead_code)]

mod checks;
mod episode_checks;
mod harness;
mod oracle;

// Each test crate uses some of these: the others would be "unused" there.
#[allow(unused_imports)]
pub use checks::*;
#[allow(unused_imports)]
pub use episode_checks::*;
#[allow(unused_imports)]
pub use harness::*;
#[allow(unused_imports)]
pub use oracle::*;
