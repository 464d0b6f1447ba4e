//! STUB — being written by a helper. Interface is fixed; see the helper brief.
use crate::token::Token;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBaseUrl(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    #[error("PUBLIC_BASE_URL must be an absolute http(s) URL without path, query or fragment")]
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("data does not fit in a QR code")]
    TooLong,
}

impl PublicBaseUrl {
    pub fn parse(_s: &str) -> Result<PublicBaseUrl, BaseUrlError> {
        unimplemented!()
    }
    pub fn vote_url(&self, _token: &Token) -> String {
        unimplemented!()
    }
}

pub fn svg(_data: &str) -> Result<String, QrError> {
    unimplemented!()
}
