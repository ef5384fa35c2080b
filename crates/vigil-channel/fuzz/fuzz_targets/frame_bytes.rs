//! The channel's frames as a hostile peer may send them: length-prefixed JSON, decoded as
//! the console reads an agent's messages and as an agent reads the console's. Must never
//! panic, and never take more than a frame's bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_channel::frame::{decode, ToAgent, ToConsole};

fuzz_target!(|data: &[u8]| {
    if let Ok(messages) = decode::<ToConsole>(data) {
        for message in messages {
            // What the console does with an agent's items: read each body as JSON text.
            if let ToConsole::Send { items } = message {
                for item in items {
                    let _ = serde_json::to_vec(&item.body);
                }
            }
        }
    }
    let _ = decode::<ToAgent>(data);
});
