//! The artefact each kind of event shows: one small record per case, written with the field
//! names the real logs use, read as a JSON line, and the artefact expected of it in full.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod activity;
mod persistence;
mod scripts;
