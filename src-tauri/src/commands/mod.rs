//! The commands the page calls, grouped by the screens that call them. Each is a few
//! lines over the core; each has its own permission in permissions/commands.toml.

pub mod checks;
pub mod exports;
pub mod fleet;
pub mod identity;
pub mod platform;
pub mod runs;
pub mod seqera_send;
