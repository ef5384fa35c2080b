//! The channel's trust over real TLS on loopback: a console, agents in their own folders,
//! enrolment with a token, hellos; and each refusal the issue names, with no state change.

use std::sync::Arc;

use vigil_channel::agent::AgentDir;
use vigil_channel::console::Console;

struct Office {
    console: Arc<Console>,
    address: String,
    dir: tempfile::TempDir,
}

async fn office() -> Office {
    let dir = tempfile::tempdir().expect("tempdir");
    let console = Console::open(&dir.path().join("console")).expect("console");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    tokio::spawn(console.clone().serve(listener));
    Office {
        console,
        address,
        dir,
    }
}

impl Office {
    fn agent(&self, name: &str) -> AgentDir {
        AgentDir::new(&self.dir.path().join(name))
    }

    fn token(&self, ttl: i64, uses: u32) -> String {
        self.console
            .add_token(std::slice::from_ref(&self.address), ttl, uses)
            .expect("token")
    }
}

#[tokio::test]
async fn an_agent_enrols_with_a_token_and_is_known_by_its_certificate() {
    let o = office().await;
    let agent = o.agent("ws1");
    let id = agent.enrol(&o.token(3600, 1), "ws1").await.expect("enrol");
    assert_eq!(id.len(), 32);
    let key = std::fs::metadata(agent.dir.join("agent.key.pem")).expect("key");
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&key.permissions()) & 0o077,
        0
    );
    assert_eq!(agent.hello("ws1", None).await.expect("hello"), id);
    let known = o.console.agents().expect("agents");
    assert_eq!(known.len(), 1);
    assert_eq!(known[0].id, id);
    assert_eq!(known[0].hostname, "ws1");
    assert!(known[0].last_seen.is_some());
    assert_eq!(known[0].version.as_deref(), Some(env!("CARGO_PKG_VERSION")));
    // The console's state survives a restart: the same CA, the same agent.
    let again = Console::open(&o.dir.path().join("console")).expect("reopen");
    assert_eq!(
        again.fingerprint().expect("pin"),
        o.console.fingerprint().expect("pin")
    );
    assert_eq!(again.agents().expect("agents")[0].id, id);
}

#[tokio::test]
async fn spent_expired_and_wrong_tokens_are_refused_and_change_nothing() {
    let o = office().await;
    let token = o.token(3600, 1);
    o.agent("ws1")
        .enrol(&token, "ws1")
        .await
        .expect("first use");
    let before = o.console.agents().expect("agents");
    let said = o
        .agent("ws2")
        .enrol(&token, "ws2")
        .await
        .expect_err("spent")
        .to_string();
    assert!(said.contains("has been used"), "{said}");
    let said = o
        .agent("ws3")
        .enrol(&o.token(-1, 5), "ws3")
        .await
        .expect_err("expired")
        .to_string();
    assert!(said.contains("has expired"), "{said}");
    let mut forged = vigil_channel::token::Token::parse(&o.token(3600, 5)).expect("token");
    forged.secret = "00".repeat(32);
    let said = o
        .agent("ws4")
        .enrol(&forged.text(), "ws4")
        .await
        .expect_err("forged")
        .to_string();
    assert!(said.contains("wrong secret"), "{said}");
    assert_eq!(o.console.agents().expect("agents"), before);
    for name in ["ws2", "ws3", "ws4"] {
        assert!(!o.agent(name).dir.join("agent.cert.pem").exists(), "{name}");
    }
}

#[tokio::test]
async fn an_agent_refuses_a_console_whose_ca_does_not_match_the_pin() {
    let o = office().await;
    let other = office().await;
    // A token of the other console, pointing at this one (a console someone put in its place).
    let mut token = vigil_channel::token::Token::parse(&other.token(3600, 1)).expect("token");
    token.addresses = vec![o.address.clone()];
    let said = o
        .agent("ws1")
        .enrol(&token.text(), "ws1")
        .await
        .expect_err("pin")
        .to_string();
    assert!(said.contains("does not match the token's pin"), "{said}");
    assert!(o.console.agents().expect("agents").is_empty());
}

#[tokio::test]
async fn certificates_of_another_ca_expired_or_revoked_are_refused() {
    let o = office().await;
    let other = office().await;
    // Enrolled with the other console, then pointed at this one (its CA trusted for the
    // server side, so only the agent's certificate is at stake).
    let stranger = other.agent("stranger");
    stranger
        .enrol(&other.token(3600, 1), "stranger")
        .await
        .expect("enrol elsewhere");
    std::fs::write(
        stranger.dir.join("ca.cert.pem"),
        o.console.authority().certificate_pem(),
    )
    .expect("ca");
    std::fs::write(
        stranger.dir.join("console.json"),
        format!("{{\"addresses\":[\"{}\"]}}", o.address),
    )
    .expect("addresses");
    let said = stranger
        .hello("stranger", None)
        .await
        .expect_err("foreign")
        .to_string();
    assert!(
        said.contains("UnknownCA"),
        "a foreign CA's certificate: {said}"
    );

    // An expired certificate from this console's own CA.
    let late = o.agent("late");
    let id = late.enrol(&o.token(3600, 1), "late").await.expect("enrol");
    let key = vigil_channel::pki::AgentKey::from_pem(
        &std::fs::read_to_string(late.dir.join("agent.key.pem")).expect("key"),
    )
    .expect("key");
    let past = time::OffsetDateTime::now_utc() - time::Duration::days(30);
    let expired = o
        .console
        .authority()
        .sign_agent(&key.request().expect("csr"), 999, past, 1)
        .expect("sign");
    std::fs::write(late.dir.join("agent.cert.pem"), &expired.certificate_pem).expect("cert");
    let said = late
        .hello("late", None)
        .await
        .expect_err("expired")
        .to_string();
    assert!(
        said.contains("CertificateExpired"),
        "an expired certificate: {said}"
    );

    // A revoked one: accepted, then refused from the next connection on.
    let ws1 = o.agent("ws1");
    let ws1_id = ws1.enrol(&o.token(3600, 1), "ws1").await.expect("enrol");
    ws1.hello("ws1", None).await.expect("before");
    o.console.revoke(&ws1_id).expect("revoke");
    let seen = o.console.agents().expect("agents");
    let said = ws1
        .hello("ws1", None)
        .await
        .expect_err("revoked")
        .to_string();
    assert!(
        said.contains("CertificateRevoked"),
        "a revoked certificate: {said}"
    );
    assert_eq!(
        o.console.agents().expect("agents"),
        seen,
        "refused hellos change nothing"
    );
    assert_ne!(id, ws1_id);
}

#[tokio::test]
async fn a_hello_naming_another_machine_counts_for_the_certificates_agent() {
    let o = office().await;
    let a = o.agent("a");
    let b = o.agent("b");
    let a_id = a.enrol(&o.token(3600, 1), "a").await.expect("a");
    let b_id = b.enrol(&o.token(3600, 1), "b").await.expect("b");
    let seen = a.hello("a", Some(&b_id)).await.expect("hello");
    assert_eq!(seen, a_id, "the certificate says who this is");
    let agents = o.console.agents().expect("agents");
    let of = |id: &str| agents.iter().find(|r| r.id == id).expect("agent").clone();
    assert!(of(&a_id).last_seen.is_some());
    assert!(of(&b_id).last_seen.is_none(), "b was not seen");
}
