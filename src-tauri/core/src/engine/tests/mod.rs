//! The engine's unit tests, one file per room, against the in-memory stand-ins of
//! `testing` (a manual clock, fixed entropy, an in-memory IAM/STS and keychain).

mod apply;
mod rotate;
mod stop;
