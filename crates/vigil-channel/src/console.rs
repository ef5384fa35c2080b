//! The console's side: its CA and the agents it enrolled, kept in a folder, and a listener
//! that enrols agents with a token and greets enrolled ones. Every connection's machine is
//! the agent its certificate names; an identity inside a message is ignored.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::frame::{self, Item, ToAgent, ToConsole};
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
    /// When its last session ended (seconds since 1970): it is offline from then until its
    /// next hello.
    #[serde(default)]
    pub left_at: Option<i64>,
}

impl AgentRecord {
    /// Whether it is in touch: its session is open (it left after its last hello or not
    /// at all) and it said hello within `secs` seconds.
    pub fn in_touch(&self, now: i64, secs: i64) -> bool {
        !self.revoked
            && self.last_seen.is_some_and(|seen| {
                now - seen <= secs && self.left_at.is_none_or(|left| left < seen)
            })
    }
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

/// Where an agent's session goes on the console's side (the engine's store).
#[async_trait::async_trait]
pub trait Office: Send + Sync {
    /// The last outbox number taken from `agent` (0 before the first).
    async fn acked(&self, agent: &str) -> Result<u64, String>;
    /// Takes what an agent sent (only the items numbered above its mark: the rest came
    /// before) and returns the new mark. An error ends the session; the agent sends again.
    async fn take(&self, seen: &Seen, items: Vec<Item>) -> Result<u64, String>;
    /// An agent's session began: its machine can take commands again.
    async fn connected(&self, seen: &Seen);
}

/// An agent connected now: the queue to its session, and which session it is.
struct Session {
    number: u64,
    out: tokio::sync::mpsc::UnboundedSender<ToAgent>,
}

/// Commands sent and not yet answered, and the agents' sessions.
#[derive(Default)]
struct Live {
    sessions: std::collections::HashMap<String, Session>,
    /// By command id: the agent it went to, and who waits for its answer.
    waiting: std::collections::HashMap<
        String,
        (String, tokio::sync::oneshot::Sender<serde_json::Value>),
    >,
    opened: u64,
}

/// The console: its authority, tokens and agents (`agents.json` beside the CA).
pub struct Console {
    dir: PathBuf,
    authority: Authority,
    /// The acceptor, and the revoked serials its revocation list holds (built on the first
    /// connection: opening the console to list agents makes no certificate).
    tls: Mutex<Option<(Vec<u64>, TlsAcceptor)>>,
    office: Mutex<Option<Arc<dyn Office>>>,
    live: Mutex<Live>,
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
            office: Mutex::new(None),
            live: Mutex::new(Live::default()),
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

    /// Where agents' sessions go from now on (without one, the console only greets).
    pub fn set_office(&self, office: Arc<dyn Office>) {
        *lock(&self.office) = Some(office);
    }

    fn office(&self) -> Option<Arc<dyn Office>> {
        lock(&self.office).clone()
    }

    /// Whether `agent` has a session now.
    pub fn is_connected(&self, agent: &str) -> bool {
        lock(&self.live).sessions.contains_key(agent)
    }

    fn open_session(&self, agent: &str, out: tokio::sync::mpsc::UnboundedSender<ToAgent>) -> u64 {
        let mut live = lock(&self.live);
        live.opened += 1;
        let number = live.opened;
        // A newer session of the same agent replaces an older one (its queue closes).
        live.sessions
            .insert(agent.to_string(), Session { number, out });
        number
    }

    /// Ends a session; says whether it was the agent's current one (not one replaced by a
    /// newer session of the same agent).
    fn close_session(&self, agent: &str, number: u64) -> bool {
        let mut live = lock(&self.live);
        let current = live.sessions.get(agent).is_some_and(|s| s.number == number);
        if current {
            live.sessions.remove(agent);
            // Its commands will not be answered in this session: who waits hears it now.
            live.waiting.retain(|_, (to, _)| to != agent);
        }
        current
    }

    /// An answer from `agent`'s session: it goes to who waits for it, if the command went
    /// to that agent (an agent cannot answer for another).
    fn answered(&self, agent: &str, command: &str, result: serde_json::Value) {
        let mut live = lock(&self.live);
        match live.waiting.get(command) {
            Some((to, _)) if to == agent => {
                if let Some((_, waiter)) = live.waiting.remove(command) {
                    let _ = waiter.send(result);
                }
            }
            Some((to, _)) => tracing::warn!(
                agent,
                command,
                sent_to = to.as_str(),
                "an agent answered a command sent to another; ignored"
            ),
            None => tracing::debug!(command, "an answer nobody waits for (any more)"),
        }
    }

    /// Sends `agent` a command and waits for its answer, at most `within`; the command
    /// expires then, so an agent that gets it later does not run it. Ids must be unique
    /// per effect: the agent answers a command it has seen with the result it stored.
    pub async fn command(
        &self,
        agent: &str,
        id: &str,
        body: serde_json::Value,
        within: std::time::Duration,
    ) -> Result<serde_json::Value> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        {
            let mut live = lock(&self.live);
            let Some(session) = live.sessions.get(agent) else {
                return Err(Error::Offline(format!("agent {agent} is not connected")));
            };
            let expires_at = unix_now() + i64::try_from(within.as_secs()).unwrap_or(i64::MAX / 2);
            let sent = session.out.send(ToAgent::Command {
                id: id.to_string(),
                expires_at,
                body,
            });
            if sent.is_err() {
                return Err(Error::Offline(format!("agent {agent} has just left")));
            }
            live.waiting.insert(id.to_string(), (agent.to_string(), tx));
        }
        match tokio::time::timeout(within, rx).await {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(_)) => Err(Error::Offline(format!(
                "agent {agent} left before answering"
            ))),
            Err(_) => {
                lock(&self.live).waiting.remove(id);
                Err(Error::Offline(format!(
                    "agent {agent} did not answer within {} s",
                    within.as_secs()
                )))
            }
        }
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
        // Its session ends now (a session in another process ends at its next hello).
        lock(&self.live).sessions.remove(agent);
        tracing::info!(agent, "agent revoked");
        Ok(())
    }

    /// Reads the state, lets `change` change it, and writes it back (see [`update_state`]).
    fn update<T>(&self, change: impl FnOnce(&mut State) -> Result<T>) -> Result<T> {
        update_state(&self.dir, change)
    }

    /// Accepts agents on `listener` until the task is dropped; dropping it also ends every
    /// session it holds (the console stops as a whole).
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> Result<()> {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, peer) = accepted.map_err(|e| Error::Connection(e.to_string()))?;
                    let console = self.clone();
                    connections.spawn(async move {
                        if let Err(e) = console.connection(stream).await {
                            tracing::warn!(%peer, "agent connection: {e}");
                        }
                    });
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    }

    async fn connection(self: Arc<Self>, stream: TcpStream) -> Result<()> {
        // Revocations made by another process since the last connection count now.
        let now_revoked = revoked(&self.update(|s| Ok(s.agents.clone()))?);
        let acceptor = {
            let mut tls = lock(&self.tls);
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
                (Some(agent), hello @ ToConsole::Hello { .. }) => match self.greet(agent, hello)? {
                    Ok(seen) => return self.session(tls, seen).await,
                    Err(refused) => refused,
                },
                (None, _) => ToAgent::Refused {
                    why: "a message without a certificate: enrol first".into(),
                },
                (Some(_), ToConsole::Enroll { .. }) => ToAgent::Refused {
                    why: "already enrolled".into(),
                },
                (Some(_), _) => ToAgent::Refused {
                    why: "say hello first".into(),
                },
            };
            frame::write(&mut tls, &answer).await?;
        }
        Ok(())
    }

    /// An agent's session after its hello: what it sends goes to the office in order (not
    /// on the reading task, so that answers to the console's commands are read meanwhile);
    /// commands for it go out through the session's queue.
    async fn session(
        self: Arc<Self>,
        tls: tokio_rustls::server::TlsStream<TcpStream>,
        seen: Seen,
    ) -> Result<()> {
        let office = self.office();
        let acked = match &office {
            Some(office) => office.acked(&seen.agent).await.map_err(Error::Broken)?,
            None => 0,
        };
        let (mut reader, mut writer) = tokio::io::split(tls);
        frame::write(
            &mut writer,
            &ToAgent::Welcome {
                agent_id: seen.agent.clone(),
                acked,
            },
        )
        .await?;
        let (out, writing) = frame::writer::<_, ToAgent>(writer);
        let mut writing = Task(writing);
        let session = self.open_session(&seen.agent, out.clone());
        let (items_in, mut items) = tokio::sync::mpsc::unbounded_channel::<Vec<Item>>();
        let mut taking = {
            let (office, seen, out) = (office.clone(), seen.clone(), out.clone());
            Task(tokio::spawn(async move {
                if let Some(office) = &office {
                    office.connected(&seen).await;
                }
                while let Some(mut batch) = items.recv().await {
                    let Some(office) = &office else {
                        continue;
                    };
                    // What came meanwhile goes in the same take (one transaction).
                    while let Ok(more) = items.try_recv() {
                        batch.extend(more);
                    }
                    match office.take(&seen, batch).await {
                        Ok(upto) => {
                            let _ = out.send(ToAgent::Acked { upto });
                        }
                        Err(e) => {
                            // The session ends; the agent sends the same items again in its next.
                            tracing::warn!(
                                agent = seen.agent,
                                "cannot take what the agent sent: {e}"
                            );
                            let _ = out.send(ToAgent::Refused {
                                why: format!(
                                    "the console could not take what was sent ({e}); send it again"
                                ),
                            });
                            break;
                        }
                    }
                }
            }))
        };
        let ended = loop {
            match frame::read::<_, ToConsole>(&mut reader).await {
                Ok(Some(ToConsole::Send { items })) => {
                    if items_in.send(items).is_err() {
                        break Err(Error::Broken("the console stopped taking telemetry".into()));
                    }
                }
                Ok(Some(ToConsole::Answer { command, result })) => {
                    self.answered(&seen.agent, &command, result);
                }
                Ok(Some(hello @ ToConsole::Hello { .. })) => {
                    if let Err(refused) = self.greet(&seen.agent, hello)? {
                        let _ = out.send(refused);
                        break Ok(());
                    }
                }
                Ok(Some(ToConsole::Enroll { .. })) => {
                    break Err(Error::Refused("an enrolment inside a session".into()))
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        // A session replaced by a newer one of the same agent does not make it offline.
        if self.close_session(&seen.agent, session) {
            let left = self.update(|state| {
                if let Some(record) = state.agents.iter_mut().find(|a| a.id == seen.agent) {
                    record.left_at = Some(unix_now());
                }
                Ok(())
            });
            if let Err(e) = left {
                tracing::warn!(agent = seen.agent, "cannot note that the agent left: {e}");
            }
        }
        drop(items_in);
        // What was sent before the agent left is still taken (its numbers are acknowledged
        // at its next session).
        let _ = (&mut taking.0).await;
        drop(out);
        let _ = (&mut writing.0).await;
        ended
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
                left_at: None,
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

    /// Takes an enrolled agent's hello: its record's last contact and version. Returns who
    /// it is, or the refusal to send. The machine's name is the one it enrolled with: a
    /// hello naming another is logged and ignored, as is a `machine` inside the message.
    fn greet(&self, agent: &str, hello: ToConsole) -> Result<Result<Seen, ToAgent>> {
        let ToConsole::Hello {
            hostname,
            version,
            os,
            os_family,
            machine,
        } = hello
        else {
            return Ok(Err(ToAgent::Refused {
                why: "not a hello".into(),
            }));
        };
        if machine.as_deref().is_some_and(|m| m != agent) {
            tracing::warn!(
                agent,
                claimed = machine,
                "an agent named another machine in its hello; ignored"
            );
        }
        let known = self.update(|state| {
            let Some(record) = state
                .agents
                .iter_mut()
                .find(|a| a.id == agent && !a.revoked)
            else {
                return Ok(None);
            };
            record.last_seen = Some(unix_now());
            record.version = Some(version.clone());
            Ok(Some(record.hostname.clone()))
        })?;
        let Some(enrolled_as) = known else {
            tracing::warn!(
                agent,
                "a hello from an agent this console does not know or revoked"
            );
            return Ok(Err(ToAgent::Refused {
                why: format!("agent {agent} is not enrolled here"),
            }));
        };
        if enrolled_as != hostname {
            tracing::warn!(
                agent,
                enrolled_as,
                says = hostname,
                "an agent says another name than it enrolled with; it keeps its enrolled name"
            );
        }
        Ok(Ok(Seen {
            agent: agent.to_string(),
            hostname: enrolled_as,
            os,
            os_family,
            version,
        }))
    }
}

/// A task that ends with its owner: a session's writer and taker end when the session does,
/// even when the session itself is dropped (the console stopped).
struct Task(tokio::task::JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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
