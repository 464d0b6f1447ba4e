//! STUB — being written by a helper. Interface is fixed; see the helper brief.
use crate::org::{Channel, EmployeeId};

pub const TOKEN_CHARS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims {
    pub shard: u8,
    pub employee: EmployeeId,
    pub channel: Channel,
    pub issue: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Token(String);

impl Token {
    pub fn parse(_text: &str) -> Result<Token, TokenError> {
        unimplemented!()
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("unsupported token version")]
    UnsupportedVersion,
    #[error("unknown key")]
    UnknownKey,
    #[error("bad signature")]
    BadSignature,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRingError {
    #[error("TOKEN_KEYS is empty")]
    Empty,
    #[error("TOKEN_KEYS entry {0} is not `id:base64secret`")]
    BadEntry(usize),
    #[error("TOKEN_KEYS entry {0}: secret must be at least 32 bytes")]
    ShortSecret(usize),
    #[error("TOKEN_KEYS lists key id {0} twice")]
    DuplicateId(u8),
}

pub struct KeyRing;

impl KeyRing {
    pub fn parse(_spec: &str) -> Result<KeyRing, KeyRingError> {
        unimplemented!()
    }
    pub fn signing_key_id(&self) -> u8 {
        unimplemented!()
    }
    pub fn sign(&self, _claims: &Claims) -> Token {
        unimplemented!()
    }
    pub fn verify(&self, _token: &Token) -> Result<Claims, TokenError> {
        unimplemented!()
    }
}
