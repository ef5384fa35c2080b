//! Services installed (System 7045, Security 4697): the service, the command it runs, how
//! it starts and as whom.

use serde_json::{Map, Value};

use super::codes::{in_words, SERVICE_START, SERVICE_TYPE};
use super::{inspect, program, Facts, Mentions};
use crate::event::{Artefact, ArtefactKind, ArtefactOp};
use crate::normalise::{text, text_of, truncate};

/// The service a 7045 or 4697 event installed.
pub(super) fn extract(raw: &Map<String, Value>) -> Option<Artefact> {
    let name = text(raw, "ServiceName")?;
    let command = text_of(raw, &["ImagePath", "ServiceFileName"]);
    let mut facts = Facts::default();
    facts.maybe(
        "start type",
        text_of(raw, &["StartType", "ServiceStartType"]).map(|t| in_words(&t, SERVICE_START)),
    );
    facts.maybe("account", text_of(raw, &["AccountName", "ServiceAccount"]));
    facts.maybe(
        "type",
        text(raw, "ServiceType").map(|t| in_words(&t, SERVICE_TYPE)),
    );
    let mut mentions = Mentions::default();
    if let Some(command) = &command {
        if let Some(binary) = program(command) {
            mentions.file(binary);
        }
        inspect(command, &mut facts, &mut mentions);
    }
    Some(Artefact {
        kind: ArtefactKind::Service,
        op: ArtefactOp::Created,
        name: truncate(&name),
        value: command.map(|c| truncate(&c)),
        facts: facts.0,
        mentions: mentions.into_vec(),
    })
}
