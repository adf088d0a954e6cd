//! Every text an administrator reads — 連携状況 reasons and hints, why a punch is held, failed or
//! retrying, the day check's verdicts, token refusals, field descriptions — in Japanese by default
//! and in English on request (design.md, "Language"). The texts live in Project Fluent message
//! files beside this crate (`locales/{ja,en}/*.ftl`); code names a message by id with its
//! arguments ([`Text`]) and renders it in the caller's language ([`Lang`], from the standard
//! `accept-language` gRPC metadata). Codes and enums are never translated; log lines and gRPC
//! error messages meant for engineers stay English.
//!
//! A [`Text`] can be stored (ledgers keep the reason of every punch) and rendered later in
//! whatever language the reader asks for; a stored plain string (written before texts were
//! localized) is shown as it is.

mod bundle;
pub mod codes;
mod lang;
mod text;

pub use bundle::{message_ids, render};
pub use lang::Lang;
pub use text::{Arg, Text};
