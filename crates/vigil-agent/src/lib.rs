//! The Vigil agent on an office machine: enrolled with a console (the channel and its trust
//! are `vigil-channel`'s), it runs the `vigil-local` sensor and puts what it sees in an
//! on-disk outbox ([`outbox`]) that a session with the console sends, numbered and
//! acknowledged; it carries out the console's commands with the `local` connector,
//! journalled before they run ([`run`]).

pub mod bench;
pub mod outbox;
pub mod run;
