//! The console's side: its CA and the agents it enrolled, kept in a folder, and a listener
//! that enrols agents with a token and greets enrolled ones. Every connection's machine is
//! the agent its certificate names; an identity inside a message is ignored.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::frame::{self, ToAgent, ToConsole};
use crate::pki::{agent_of, Authority, AGENT_CERT_DAYS};
use crate::token::{self, TokenRecord};
use crate::{unix_now, Error, Result};

/// An agent the console enrolled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRecord {
    pub id: String,
    pub hostname: String,
    pub serial: u64,
    pub enrolled_at: i64,
    /// When its certificate expires (seconds since 1970).
    pub not_after: i64,
    pub revoked: bool,
    /// Its last hello (seconds since 1970), and the version it said.
    pub last_seen: Option<i64>,
    pub version: Option<String>,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct State {
    tokens: Vec<TokenRecord>,
    agents: Vec<AgentRecord>,
    next_serial: u64,
}

/// An enrolled agent said hello: who it is (by its certificate) and what it said of itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub agent: String,
    pub hostname: String,
    pub os: String,
    pub os_family: String,
    pub version: String,
}

/// The console: its authority, tokens and agents (`agents.json` beside the CA).
pub struct Console {
    dir: PathBuf,
    authority: Authority,
    /// The acceptor, and the revoked serials its revocation list holds (built on the first
    /// connection: opening the console to list agents makes no certificate).
    tls: Mutex<Option<(Vec<u64>, TlsAcceptor)>>,
    seen: Mutex<Option<tokio::sync::mpsc::UnboundedSender<Seen>>>,
}

impl Console {
    /// The console kept in `dir` (made there on first use).
    pub fn open(dir: &Path) -> Result<Arc<Console>> {
        let authority = Authority::open_or_create(dir)?;
        // The state must read (a broken file is said at once, not at the first agent).
        update_state(dir, |_| Ok(()))?;
        Ok(Arc::new(Console {
            dir: dir.to_path_buf(),
            authority,
            tls: Mutex::new(None),
            seen: Mutex::new(None),
        }))
    }

    /// The SHA-256 of the console CA's key, as tokens pin it.
    pub fn fingerprint(&self) -> Result<String> {
        self.authority.fingerprint()
    }

    /// The authority (the tests sign certificates with it directly).
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// A new enrolment token for agents to reach the console at `addresses`: valid for
    /// `ttl_secs`, for `uses` machines. Returns its text; only a hash of its secret is kept.
    pub fn add_token(&self, addresses: &[String], ttl_secs: i64, uses: u32) -> Result<String> {
        let (token, record) = token::issue(&self.fingerprint()?, addresses, ttl_secs, uses);
        self.update(|state| {
            state.tokens.push(record);
            Ok(())
        })?;
        Ok(token.text())
    }

    /// Where each authenticated hello is told (the console's machines list listens).
    pub fn on_hello(&self) -> tokio::sync::mpsc::UnboundedReceiver<Seen> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        *self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(tx);
        rx
    }

    /// The agents enrolled so far.
    pub fn agents(&self) -> Result<Vec<AgentRecord>> {
        self.update(|state| Ok(state.agents.clone()))
    }

    /// Revokes an agent: its certificate is refused from the next connection on.
    pub fn revoke(&self, agent: &str) -> Result<()> {
        self.update(|state| {
            let record = state
                .agents
                .iter_mut()
                .find(|a| a.id == agent)
                .ok_or_else(|| Error::Refused(format!("no agent {agent}")))?;
            record.revoked = true;
            Ok(())
        })?;
        tracing::info!(agent, "agent revoked");
        Ok(())
    }

    fn tls_lock(&self) -> std::sync::MutexGuard<'_, Option<(Vec<u64>, TlsAcceptor)>> {
        self.tls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reads the state, lets `change` change it, and writes it back (see [`update_state`]).
    fn update<T>(&self, change: impl FnOnce(&mut State) -> Result<T>) -> Result<T> {
        update_state(&self.dir, change)
    }

    /// Accepts agents on `listener` until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> Result<()> {
        loop {
            let (stream, peer) = listener
                .accept()
                .await
                .map_err(|e| Error::Connection(e.to_string()))?;
            let console = self.clone();
            tokio::spawn(async move {
                if let Err(e) = console.connection(stream).await {
                    tracing::warn!(%peer, "agent connection: {e}");
                }
            });
        }
    }

    async fn connection(&self, stream: TcpStream) -> Result<()> {
        // Revocations made by another process since the last connection count now.
        let now_revoked = revoked(&self.update(|s| Ok(s.agents.clone()))?);
        let acceptor = {
            let mut tls = self.tls_lock();
            match &*tls {
                Some((made_for, acceptor)) if *made_for == now_revoked => acceptor.clone(),
                _ => {
                    let fresh = acceptor(&self.authority, &now_revoked)?;
                    *tls = Some((now_revoked, fresh.clone()));
                    fresh
                }
            }
        };
        let mut tls = acceptor
            .accept(stream)
            .await
            .map_err(|e| Error::Refused(format!("TLS handshake: {e}")))?;
        // Who this is comes from the certificate of the connection, and only from there.
        let agent = match tls.get_ref().1.peer_certificates().and_then(|c| c.first()) {
            Some(cert) => Some(agent_of(cert)?),
            None => None,
        };
        while let Some(message) = frame::read::<_, ToConsole>(&mut tls).await? {
            let answer = match (&agent, message) {
                (
                    None,
                    ToConsole::Enroll {
                        token_id,
                        secret,
                        csr_pem,
                        hostname,
                    },
                ) => match self.enrol(&token_id, &secret, &csr_pem, &hostname) {
                    Ok(answer) => answer,
                    Err(e) => {
                        tracing::warn!(token = token_id, "enrolment refused: {e}");
                        let why = match e {
                            Error::Refused(why) => why,
                            other => other.to_string(),
                        };
                        ToAgent::Refused { why }
                    }
                },
                (
                    Some(agent),
                    ToConsole::Hello {
                        hostname,
                        version,
                        os,
                        os_family,
                        machine,
                    },
                ) => {
                    if machine.as_deref().is_some_and(|m| m != agent) {
                        tracing::warn!(
                            agent,
                            claimed = machine,
                            "an agent named another machine in its hello; ignored"
                        );
                    }
                    let seen = Seen {
                        agent: agent.clone(),
                        hostname,
                        os,
                        os_family,
                        version,
                    };
                    self.greet(&seen)?
                }
                (None, ToConsole::Hello { .. }) => ToAgent::Refused {
                    why: "a hello without a certificate: enrol first".into(),
                },
                (Some(_), ToConsole::Enroll { .. }) => ToAgent::Refused {
                    why: "already enrolled".into(),
                },
            };
            frame::write(&mut tls, &answer).await?;
        }
        Ok(())
    }

    /// Spends a use of the token and issues the certificate, in one step under the lock.
    fn enrol(
        &self,
        token_id: &str,
        secret: &str,
        csr_pem: &str,
        hostname: &str,
    ) -> Result<ToAgent> {
        let issued = self.update(|state| {
            let now = unix_now();
            let serial = state.next_serial.max(1);
            let token = state
                .tokens
                .iter_mut()
                .find(|t| t.id == token_id)
                .ok_or_else(|| Error::Refused(format!("no token {token_id}")))?;
            token.check(secret, now)?;
            let issued = self.authority.sign_agent(
                csr_pem,
                serial,
                time::OffsetDateTime::now_utc(),
                AGENT_CERT_DAYS,
            )?;
            token.uses_left -= 1;
            state.next_serial = serial + 1;
            state.agents.retain(|a| a.id != issued.agent);
            state.agents.push(AgentRecord {
                id: issued.agent.clone(),
                hostname: hostname.to_string(),
                serial,
                enrolled_at: now,
                not_after: issued.not_after.unix_timestamp(),
                revoked: false,
                last_seen: None,
                version: None,
            });
            Ok(issued)
        })?;
        tracing::info!(agent = issued.agent, hostname, "agent enrolled");
        Ok(ToAgent::Enrolled {
            agent_id: issued.agent,
            certificate_pem: issued.certificate_pem,
            ca_pem: self.authority.certificate_pem(),
        })
    }

    fn greet(&self, seen: &Seen) -> Result<ToAgent> {
        let (agent, hostname, version) = (&seen.agent, &seen.hostname, &seen.version);
        let known = self.update(|state| {
            let Some(record) = state
                .agents
                .iter_mut()
                .find(|a| a.id == *agent && !a.revoked)
            else {
                return Ok(false);
            };
            record.last_seen = Some(unix_now());
            record.version = Some(version.to_string());
            if record.hostname != *hostname {
                record.hostname = hostname.to_string();
            }
            Ok(true)
        })?;
        if !known {
            tracing::warn!(agent, "a hello from an agent this console does not know");
            return Ok(ToAgent::Refused {
                why: format!("agent {agent} is not enrolled here"),
            });
        }
        if let Some(tx) = &*self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            let _ = tx.send(seen.clone());
        }
        Ok(ToAgent::Welcome {
            agent_id: agent.to_string(),
        })
    }
}

/// The serials of the revoked agents.
fn revoked(agents: &[AgentRecord]) -> Vec<u64> {
    let mut serials: Vec<u64> = agents
        .iter()
        .filter(|a| a.revoked)
        .map(|a| a.serial)
        .collect();
    serials.sort_unstable();
    serials
}

/// A TLS acceptor with a fresh server certificate and the revocation list of `revoked`.
fn acceptor(authority: &Authority, revoked: &[u64]) -> Result<TlsAcceptor> {
    let crl = authority.revocation_list(revoked)?;
    let (chain, key) = authority.server_identity()?;
    let config = crate::tls::server_config(chain, key, authority.certificate(), vec![crl])?;
    Ok(TlsAcceptor::from(config))
}

/// Reads the state, lets `change` change it, and writes it back, holding the lock file
/// (`vigil serve` and `vigil agents …` are different processes). The file is written new
/// and renamed over the old, so a crash leaves one or the other.
fn update_state<T>(dir: &Path, change: impl FnOnce(&mut State) -> Result<T>) -> Result<T> {
    let lock_path = dir.join("agents.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::io(&lock_path, e))?;
    lock.lock().map_err(|e| Error::io(&lock_path, e))?;
    let path = dir.join("agents.json");
    let mut state: State = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| Error::Broken(format!("{}: {e}", path.display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let before = state.clone();
    let out = change(&mut state)?;
    if state != before {
        let text = serde_json::to_string_pretty(&state)
            .map_err(|e| Error::Broken(format!("the console's state: {e}")))?;
        let next = dir.join("agents.json.new");
        crate::pki::write_private(&next, &text)?;
        std::fs::rename(&next, &path).map_err(|e| Error::io(&path, e))?;
    }
    Ok(out)
}
