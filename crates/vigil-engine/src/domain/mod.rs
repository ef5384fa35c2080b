//! Vigil's nouns: the types that the store holds and every front end shows.

mod overview;

pub use overview::Overview;
