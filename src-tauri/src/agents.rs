//! Listening for the office's agents: the app listens once a machine has been added (or
//! agents are enrolled already), on `VIGIL_AGENT_LISTEN` or all addresses at the agents' port.

use tokio::sync::Mutex;
use vigil_engine::domain::AGENT_PORT;
use vigil_engine::{ApiError, Vigil};

/// Where the app listens for agents, once it does.
#[derive(Default)]
pub struct AgentListener(Mutex<Option<String>>);

impl AgentListener {
    /// Listens if it does not yet; returns where.
    pub async fn ensure(&self, vigil: &Vigil) -> Result<String, ApiError> {
        let mut listening = self.0.lock().await;
        if let Some(address) = &*listening {
            return Ok(address.clone());
        }
        let listen =
            std::env::var("VIGIL_AGENT_LISTEN").unwrap_or_else(|_| format!("0.0.0.0:{AGENT_PORT}"));
        let (address, _task) = vigil.serve_agents(&listen).await?;
        *listening = Some(address.clone());
        Ok(address)
    }
}

/// This computer's address on its local network (the one its default route leaves from; a
/// UDP "connection" sends nothing) and its name, each with the agents' port.
pub fn likely_addresses() -> Vec<String> {
    let mut out = Vec::new();
    let ip = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
        .and_then(|s| s.local_addr());
    if let Ok(addr) = ip {
        if !addr.ip().is_unspecified() {
            out.push(format!("{}:{AGENT_PORT}", addr.ip()));
        }
    }
    let name = vigil_local::inventory::hostname();
    if !name.is_empty() {
        out.push(format!("{name}:{AGENT_PORT}"));
    }
    out
}
