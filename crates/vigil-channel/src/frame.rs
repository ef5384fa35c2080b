//! Messages on the channel: a 4-byte big-endian length, then that many bytes of JSON. A
//! frame longer than [`MAX_FRAME`] is refused before it is read: the other side may be
//! hostile.
//!
//! After an enrolled agent's hello and the console's welcome, the connection stays open as
//! a session: the agent sends what its outbox holds ([`ToConsole::Send`], numbered) and the
//! console acknowledges a high-water mark ([`ToAgent::Acked`]); the console sends commands
//! ([`ToAgent::Command`], each with an id and an expiry) and the agent answers each
//! ([`ToConsole::Answer`]); the agent says hello again every half minute.

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::{Error, Result};

/// The longest frame either side reads.
pub const MAX_FRAME: usize = 1024 * 1024;

/// What an agent sends the console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToConsole {
    /// Asks for a certificate (on a connection without one).
    Enroll {
        token_id: String,
        secret: String,
        csr_pem: String,
        hostname: String,
    },
    /// Says who is here (on a connection with a certificate). A `machine` field, as any
    /// identity inside a message, is ignored: the certificate says who this is.
    Hello {
        hostname: String,
        version: String,
        /// The OS as it names itself ("Windows 11 Pro", "Debian GNU/Linux 12").
        #[serde(default)]
        os: String,
        /// `windows`, `linux`, `macos`.
        #[serde(default)]
        os_family: String,
        #[serde(default)]
        machine: Option<String>,
    },
    /// Items of the agent's outbox, in order of their numbers.
    Send { items: Vec<Item> },
    /// The result of a command (the same result again when the command comes again).
    Answer {
        command: String,
        result: serde_json::Value,
    },
}

/// One item of an agent's outbox: its number (increasing, never reused), what it is
/// (`event`, `alert`, `dropped`) and its content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub seq: u64,
    pub kind: String,
    pub body: serde_json::Value,
}

/// What the console answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToAgent {
    Enrolled {
        agent_id: String,
        certificate_pem: String,
        ca_pem: String,
    },
    /// The hello is taken; `acked` is the last outbox number the console holds.
    Welcome {
        agent_id: String,
        #[serde(default)]
        acked: u64,
    },
    Refused {
        why: String,
    },
    /// The console holds every item up to this number: the agent may drop them.
    Acked {
        upto: u64,
    },
    /// Something to do, by `expires_at` (seconds since 1970) or not at all.
    Command {
        id: String,
        expires_at: i64,
        body: serde_json::Value,
    },
}

/// Writes one message as a frame.
pub async fn write<W: AsyncWrite + Unpin, T: Serialize>(out: &mut W, message: &T) -> Result<()> {
    let body = serde_json::to_vec(message).map_err(|e| Error::Broken(format!("a message: {e}")))?;
    let len = u32::try_from(body.len())
        .ok()
        .filter(|n| (*n as usize) <= MAX_FRAME)
        .ok_or_else(|| Error::Broken(format!("a message of {} bytes is too long", body.len())))?;
    let io = |e: std::io::Error| Error::Connection(e.to_string());
    out.write_all(&len.to_be_bytes()).await.map_err(io)?;
    out.write_all(&body).await.map_err(io)?;
    out.flush().await.map_err(io)
}

/// A task that writes each message put in its queue as a frame, in order, until the queue
/// closes or a write fails (the connection ended): one side's sending half of a session.
pub fn writer<W, T>(
    mut out: W,
) -> (
    tokio::sync::mpsc::UnboundedSender<T>,
    tokio::task::JoinHandle<()>,
)
where
    W: AsyncWrite + Unpin + Send + 'static,
    T: Serialize + Send + Sync + 'static,
{
    let (queue, mut messages) = tokio::sync::mpsc::unbounded_channel::<T>();
    let task = tokio::spawn(async move {
        while let Some(message) = messages.recv().await {
            if let Err(e) = write(&mut out, &message).await {
                tracing::debug!("a session ended while writing: {e}");
                break;
            }
        }
    });
    (queue, task)
}

/// Reads one frame's message; `None` when the other side closed cleanly between frames.
pub async fn read<R: AsyncRead + Unpin, T: for<'de> Deserialize<'de>>(
    input: &mut R,
) -> Result<Option<T>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(Error::Connection(e.to_string())),
    }
    let len = body_length(len)?;
    let mut body = vec![0u8; len];
    input
        .read_exact(&mut body)
        .await
        .map_err(|e| Error::Connection(e.to_string()))?;
    message(&body).map(Some)
}

/// The length a frame's header says, refused above [`MAX_FRAME`] (before any of it is read).
fn body_length(header: [u8; 4]) -> Result<usize> {
    let len = u32::from_be_bytes(header) as usize;
    if len > MAX_FRAME {
        return Err(Error::Refused(format!(
            "a frame of {len} bytes, more than the {MAX_FRAME} allowed"
        )));
    }
    Ok(len)
}

/// The message a frame's body holds.
fn message<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body)
        .map_err(|e| Error::Refused(format!("a frame that is no message: {e}")))
}

/// The messages of the frames in `bytes`, as [`read`] takes them from a connection: stops
/// at the first frame refused, or at a frame cut short (the fuzz target's entry point).
pub fn decode<T: for<'de> Deserialize<'de>>(mut bytes: &[u8]) -> Result<Vec<T>> {
    let mut out = Vec::new();
    while bytes.len() >= 4 {
        let (header, rest) = bytes.split_at(4);
        let len = body_length([header[0], header[1], header[2], header[3]])?;
        if rest.len() < len {
            return Err(Error::Connection("a frame cut short".into()));
        }
        let (body, rest) = rest.split_at(len);
        out.push(message(body)?);
        bytes = rest;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_round_trip_and_an_oversized_one_is_refused_unread() {
        let (mut a, mut b) = tokio::io::duplex(4096);
        let hello = ToConsole::Hello {
            hostname: "ws1".into(),
            version: "0.1.0".into(),
            os: "Debian GNU/Linux 12".into(),
            os_family: "linux".into(),
            machine: None,
        };
        write(&mut a, &hello).await.expect("write");
        assert_eq!(
            read::<_, ToConsole>(&mut b).await.expect("read"),
            Some(hello)
        );
        a.write_all(&(MAX_FRAME as u32 + 1).to_be_bytes())
            .await
            .expect("write");
        let said = read::<_, ToConsole>(&mut b)
            .await
            .expect_err("refused")
            .to_string();
        assert!(said.contains("more than the 1048576 allowed"), "{said}");
        drop(a);
        assert_eq!(read::<_, ToConsole>(&mut b).await.expect("eof"), None);
    }

    #[test]
    fn recorded_sessions_decode_and_a_cut_or_oversized_frame_is_refused() {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let agent = std::fs::read(data.join("agent-session.frames")).expect("seed");
        let said = decode::<ToConsole>(&agent).expect("an agent's session");
        assert_eq!(said.len(), 3);
        assert!(matches!(&said[1], ToConsole::Send { items } if items.len() == 2));
        let console = std::fs::read(data.join("console-session.frames")).expect("seed");
        let said = decode::<ToAgent>(&console).expect("a console's session");
        assert!(matches!(said[0], ToAgent::Welcome { acked: 41, .. }));
        assert!(
            decode::<ToConsole>(&agent[..agent.len() - 1]).is_err(),
            "cut short"
        );
        let mut huge = (MAX_FRAME as u32 + 1).to_be_bytes().to_vec();
        huge.extend_from_slice(b"{}");
        let refused = decode::<ToConsole>(&huge)
            .expect_err("oversized")
            .to_string();
        assert!(
            refused.contains("more than the 1048576 allowed"),
            "{refused}"
        );
    }
}
