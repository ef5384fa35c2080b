//! Enrolment tokens: "Add a machine" makes one; the agent reads it from a file or stdin
//! (never its command line, which other users see). A token carries the console's
//! addresses, its id, a 256-bit secret and the SHA-256 of the console CA's public key; the
//! console keeps only a hash of the secret, an expiry and how many uses are left, and spends
//! a use in the same step that issues the certificate.

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

const PREFIX: &str = "vigil-enrol-1";

/// What an agent reads from a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub id: String,
    pub secret: String,
    /// SHA-256 of the console CA's public key, hex.
    pub pin: String,
    /// Where the console listens (`host:port`), tried in order.
    pub addresses: Vec<String>,
}

impl Token {
    /// The token's text: `vigil-enrol-1.<id>.<secret>.<pin>.<address>,<address>…`.
    pub fn text(&self) -> String {
        format!(
            "{PREFIX}.{}.{}.{}.{}",
            self.id,
            self.secret,
            self.pin,
            self.addresses.join(",")
        )
    }

    /// Reads a token's text (surrounding white space allowed).
    pub fn parse(text: &str) -> Result<Token> {
        let bad = |why: &str| Error::Refused(format!("not an enrolment token: {why}"));
        let mut parts = text.trim().splitn(5, '.');
        if parts.next() != Some(PREFIX) {
            return Err(bad("it does not start with vigil-enrol-1"));
        }
        let mut field = |name: &str, len: usize| -> Result<String> {
            let value = parts.next().ok_or_else(|| bad(&format!("no {name}")))?;
            if value.len() != len || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(&format!("its {name} is not {len} hex digits")));
            }
            Ok(value.to_ascii_lowercase())
        };
        let id = field("id", 16)?;
        let secret = field("secret", 64)?;
        let pin = field("CA pin", 64)?;
        let addresses: Vec<String> = parts
            .next()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect();
        if addresses.is_empty() {
            return Err(bad("it names no console address"));
        }
        Ok(Token {
            id,
            secret,
            pin,
            addresses,
        })
    }
}

/// What the console keeps of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub id: String,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    /// Seconds since 1970 after which it is refused.
    pub expires_at: i64,
    pub uses_left: u32,
}

/// A new token for the console whose CA has `pin`, listening at `addresses`, valid for
/// `ttl_secs` and `uses` enrolments; the text for the admin and the record to keep.
pub fn issue(pin: &str, addresses: &[String], ttl_secs: i64, uses: u32) -> (Token, TokenRecord) {
    let mut id = [0u8; 8];
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut id);
    rand::rng().fill_bytes(&mut secret);
    let token = Token {
        id: hex(&id),
        secret: hex(&secret),
        pin: pin.to_string(),
        addresses: addresses.to_vec(),
    };
    let record = TokenRecord {
        id: token.id.clone(),
        secret_hash: hash(&token.secret),
        expires_at: crate::unix_now() + ttl_secs,
        uses_left: uses,
    };
    (token, record)
}

impl TokenRecord {
    /// Whether `secret` is this token's and it may still be used at `now`; why not.
    pub fn check(&self, secret: &str, now: i64) -> Result<()> {
        // Compared as hashes: equal length, and the stored value is no secret.
        if hash(&secret.to_ascii_lowercase()) != self.secret_hash {
            return Err(Error::Refused(format!(
                "token {} with a wrong secret",
                self.id
            )));
        }
        if now > self.expires_at {
            return Err(Error::Refused(format!("token {} has expired", self.id)));
        }
        if self.uses_left == 0 {
            return Err(Error::Refused(format!("token {} has been used", self.id)));
        }
        Ok(())
    }
}

fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_and_its_record_checks_secret_expiry_and_uses() {
        let pin = "ab".repeat(32);
        let (token, mut record) = issue(&pin, &["127.0.0.1:7420".into()], 60, 1);
        assert_eq!(
            Token::parse(&format!("  {}\n", token.text())).expect("parse"),
            token
        );
        let now = crate::unix_now();
        record.check(&token.secret, now).expect("fresh");
        assert!(record.check(&"00".repeat(32), now).is_err());
        assert!(record.check(&token.secret, now + 61).is_err());
        record.uses_left = 0;
        assert!(record.check(&token.secret, now).is_err());
        for bad in [
            "",
            "vigil-enrol-1.zz",
            &token.text().replace(".127.0.0.1:7420", "."),
        ] {
            assert!(Token::parse(bad).is_err(), "{bad:?}");
        }
    }
}
