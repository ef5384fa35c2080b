//! The agent's side: enrol with a token (its own key, a certificate from the console's CA,
//! the console pinned by the CA's key), then connect with that certificate and say hello.
//! What it keeps lives in its data folder: `agent.key.pem` (readable only by its owner),
//! `agent.cert.pem`, `ca.cert.pem` and `console.json` (the console's addresses).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::frame::{self, ToAgent, ToConsole};
use crate::pki::{key_fingerprint, pem_certificates, write_private, AgentKey};
use crate::tls::{agent_config, console_name, enrol_config};
use crate::token::Token;
use crate::{Error, Result};

/// Where an agent keeps what enrolment gave it.
#[derive(Debug, Clone)]
pub struct AgentDir {
    pub dir: PathBuf,
}

#[derive(Debug, Serialize, Deserialize)]
struct ConsoleAddresses {
    addresses: Vec<String>,
}

impl AgentDir {
    pub fn new(dir: &Path) -> AgentDir {
        AgentDir {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn read(&self, name: &str) -> Result<String> {
        let path = self.path(name);
        std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))
    }

    /// Enrols with the console a token names: makes this agent's key, checks that the
    /// console's CA is the one the token pins, and keeps the certificate it gets. Returns
    /// the agent's id.
    pub async fn enrol(&self, token_text: &str, hostname: &str) -> Result<String> {
        let token = Token::parse(token_text)?;
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        let key = AgentKey::generate()?;
        let config = enrol_config(&token.pin)?;
        let mut tls = connect(&token.addresses, TlsConnector::from(config)).await?;
        frame::write(
            &mut tls,
            &ToConsole::Enroll {
                token_id: token.id.clone(),
                secret: token.secret.clone(),
                csr_pem: key.request()?,
                hostname: hostname.to_string(),
            },
        )
        .await?;
        match frame::read::<_, ToAgent>(&mut tls).await? {
            Some(ToAgent::Enrolled {
                agent_id,
                certificate_pem,
                ca_pem,
            }) => {
                let ca = pem_certificates(&ca_pem)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| Error::Refused("the console sent no CA".into()))?;
                if key_fingerprint(&ca)? != token.pin {
                    return Err(Error::Refused(
                        "the console sent a CA the token does not pin".into(),
                    ));
                }
                if agent_id != key.agent_id() {
                    return Err(Error::Refused(
                        "the console named another agent than this key".into(),
                    ));
                }
                write_private(&self.path("agent.key.pem"), &key.to_pem())?;
                for (name, text) in [("agent.cert.pem", certificate_pem), ("ca.cert.pem", ca_pem)] {
                    let path = self.path(name);
                    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
                }
                let addresses = serde_json::to_string_pretty(&ConsoleAddresses {
                    addresses: token.addresses.clone(),
                })
                .map_err(|e| Error::Broken(e.to_string()))?;
                let path = self.path("console.json");
                std::fs::write(&path, addresses).map_err(|e| Error::io(&path, e))?;
                Ok(agent_id)
            }
            Some(ToAgent::Refused { why }) => Err(Error::Refused(why)),
            other => Err(Error::Connection(format!(
                "unexpected answer to enrolment: {other:?}"
            ))),
        }
    }

    /// Connects with this agent's certificate and says hello; `claim` puts a machine name
    /// in the message (which the console must ignore). Returns the id the console saw.
    pub async fn hello(&self, hostname: &str, claim: Option<&str>) -> Result<String> {
        Ok(self.start(hostname, claim).await?.agent_id)
    }

    /// Connects, says hello and returns the session the console opened.
    pub async fn start(&self, hostname: &str, claim: Option<&str>) -> Result<Started> {
        let mut tls = self.connect().await?;
        let sent = frame::write(&mut tls, &hello(hostname, claim)).await;
        // With TLS 1.3 the console judges this machine's certificate after the handshake
        // ends here: a refusal shows as its alert on the next read, or as a closed
        // connection when the alert was lost with it.
        let answer = frame::read::<_, ToAgent>(&mut tls).await;
        let answer = match (sent, answer) {
            (_, Ok(Some(answer))) => answer,
            (_, Err(Error::Connection(e))) if e.contains("alert") => {
                return Err(Error::Refused(format!(
                    "the console refused this machine: {e}"
                )))
            }
            (Err(_), _) | (_, Err(_)) | (_, Ok(None)) => return Err(Error::Refused(
                "the console closed the connection without answering: this machine's certificate \
                     may be revoked or expired (the console's log says which)"
                    .into(),
            )),
        };
        match answer {
            ToAgent::Welcome { agent_id, acked } => Ok(Started {
                agent_id,
                acked,
                tls,
            }),
            ToAgent::Refused { why } => Err(Error::Refused(why)),
            other => Err(Error::Connection(format!(
                "unexpected answer to hello: {other:?}"
            ))),
        }
    }

    /// A connection to the console with this agent's certificate.
    pub async fn connect(&self) -> Result<TlsStream<TcpStream>> {
        let ca = pem_certificates(&self.read("ca.cert.pem")?)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Broken("ca.cert.pem holds no certificate".into()))?;
        let chain = pem_certificates(&self.read("agent.cert.pem")?)?;
        let key = AgentKey::from_pem(&self.read("agent.key.pem")?)?.private_key()?;
        let addresses: ConsoleAddresses = serde_json::from_str(&self.read("console.json")?)
            .map_err(|e| Error::Broken(format!("console.json: {e}")))?;
        connect(
            &addresses.addresses,
            TlsConnector::from(agent_config(&ca, chain, key)?),
        )
        .await
    }
}

/// A session the console opened after this agent's hello.
pub struct Started {
    pub agent_id: String,
    /// The last outbox number the console holds.
    pub acked: u64,
    pub tls: TlsStream<TcpStream>,
}

/// This machine's hello (sent again every half minute in a session).
pub fn hello(hostname: &str, claim: Option<&str>) -> ToConsole {
    ToConsole::Hello {
        hostname: hostname.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        os: os_name(),
        os_family: std::env::consts::OS.to_string(),
        machine: claim.map(str::to_string),
    }
}

/// The first of `addresses` that answers, over TLS, the console checked by `connector`.
async fn connect(addresses: &[String], connector: TlsConnector) -> Result<TlsStream<TcpStream>> {
    let mut last = Error::Connection("no console address".into());
    for address in addresses {
        let tcp = match TcpStream::connect(address).await {
            Ok(tcp) => tcp,
            Err(e) => {
                last = Error::Connection(format!("{address}: {e}"));
                continue;
            }
        };
        match connector.connect(console_name(), tcp).await {
            Ok(tls) => return Ok(tls),
            Err(e) => last = Error::Refused(format!("{address}: TLS handshake: {e}")),
        }
    }
    Err(last)
}

/// The OS as it names itself (`PRETTY_NAME` of `/etc/os-release` on Linux), else its family.
fn os_name() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_else(|| std::env::consts::OS.to_string())
}
