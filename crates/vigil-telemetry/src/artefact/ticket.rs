//! Kerberos service tickets asked for (Security 4769): the service, how the ticket is
//! encrypted (RC4 and DES are weak, and what Kerberoasting asks for), who asked and from
//! where.

use serde_json::{Map, Value};

use super::codes::{in_words, KERBEROS_STATUS, TICKET_ENCRYPTION};
use super::{Facts, Mentions};
use crate::event::{Artefact, ArtefactKind, ArtefactOp};
use crate::normalise::{address, join_user, text, truncate};

/// The ticket a 4769 event asked for.
pub(super) fn extract(raw: &Map<String, Value>) -> Option<Artefact> {
    let service = text(raw, "ServiceName")?;
    let from = address(raw, "IpAddress");
    let mut facts = Facts::default();
    facts.maybe(
        "requested by",
        join_user(raw, "TargetDomainName", "TargetUserName"),
    );
    facts.maybe("from", from.as_deref());
    facts.maybe(
        "status",
        text(raw, "Status").map(|s| in_words(&s, KERBEROS_STATUS)),
    );
    facts.maybe("ticket options", text(raw, "TicketOptions"));
    let mut mentions = Mentions::default();
    if let Some(from) = &from {
        mentions.ip(from);
    }
    Some(Artefact {
        kind: ArtefactKind::ServiceTicket,
        op: ArtefactOp::Created,
        name: truncate(&service),
        value: text(raw, "TicketEncryptionType").map(|t| in_words(&t, TICKET_ENCRYPTION)),
        facts: facts.0,
        mentions: mentions.into_vec(),
    })
}
