//! The public vote URL and its QR code. The URL is printed all in capitals
//! (`HTTPS://RATE.EXAMPLE-CITY.GOV.UA/R/<TOKEN>`): scheme and host are case-insensitive, the
//! worker accepts `/R/` and the token in any case, and capitals keep the whole URL in the QR
//! code's alphanumeric mode (5.5 bits a character instead of 8), so the code stays small.

use crate::token::Token;
use qrcode::{EcLevel, QrCode};

/// The instance's public origin, `PUBLIC_BASE_URL`: `https://host[:port]` (`http` for local
/// runs), no path, query, fragment or user info.
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
    pub fn parse(s: &str) -> Result<PublicBaseUrl, BaseUrlError> {
        let s = s.trim().trim_end_matches('/');
        let lower = s.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .ok_or(BaseUrlError::Invalid)?;
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && !host.starts_with(['.', '-'])
            && !host.ends_with(['.', '-']);
        let port_ok = port.is_none_or(|p| {
            !p.is_empty()
                && p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok()
        });
        if host_ok && port_ok {
            Ok(PublicBaseUrl(s.to_owned()))
        } else {
            Err(BaseUrlError::Invalid)
        }
    }

    /// The URL printed in the QR code: all capitals, for alphanumeric mode.
    pub fn vote_url(&self, token: &Token) -> String {
        format!("{}/R/{}", self.0, token.as_str()).to_ascii_uppercase()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn encode(data: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).map_err(|_| QrError::TooLong)
}

/// An SVG QR code at error-correction level M (about 15% of the symbol may be damaged),
/// black on white with the standard four-module quiet zone.
pub fn svg(data: &str) -> Result<String, QrError> {
    Ok(encode(data)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}

/// The QR version (1–40) that `data` needs at level M.
pub fn qr_version(data: &str) -> Result<i16, QrError> {
    match encode(data)?.version() {
        qrcode::Version::Normal(v) => Ok(v),
        qrcode::Version::Micro(v) => Ok(v),
    }
}

/// Whether every character is in the QR alphanumeric set `0-9 A-Z space $%*+-./:`.
pub fn is_alphanumeric_mode(data: &str) -> bool {
    data.bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b" $%*+-./:".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::{Channel, EmployeeId};
    use crate::token::{Claims, KeyRing};
    use base64::Engine;

    fn token() -> Token {
        let ring = KeyRing::parse(&format!(
            "1:{}",
            base64::engine::general_purpose::STANDARD.encode([7u8; 32])
        ))
        .unwrap();
        ring.sign(&Claims {
            shard: 0,
            employee: EmployeeId::parse(123_456).unwrap(),
            channel: Channel::DESK,
            issue: 2,
        })
    }

    fn host_of(len: usize) -> String {
        // "rate." + filler + ".gov.ua" of exactly `len` characters.
        format!("rate.{}.gov.ua", "k".repeat(len - 12))
    }

    #[test]
    fn base_url_accepts_origins_only() {
        assert_eq!(
            PublicBaseUrl::parse("https://rate.example-city.gov.ua/")
                .unwrap()
                .as_str(),
            "https://rate.example-city.gov.ua"
        );
        assert!(PublicBaseUrl::parse("http://127.0.0.1:8787").is_ok());
        for bad in [
            "rate.example.ua",
            "ftp://x.ua",
            "https://",
            "https://x.ua/path",
            "https://x.ua?q",
            "https://u@x.ua",
            "https://x.ua:99999",
            "https://-x.ua",
        ] {
            assert_eq!(
                PublicBaseUrl::parse(bad),
                Err(BaseUrlError::Invalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn printed_url_is_capitals_in_alphanumeric_mode() {
        let base = PublicBaseUrl::parse("https://rate.example-city.gov.ua").unwrap();
        let url = base.vote_url(&token());
        assert!(url.starts_with("HTTPS://RATE.EXAMPLE-CITY.GOV.UA/R/"));
        assert!(is_alphanumeric_mode(&url));
    }

    #[test]
    fn a_thirty_character_host_fits_qr_version_4_at_level_m() {
        let host = host_of(30);
        assert_eq!(host.len(), 30);
        let url = PublicBaseUrl::parse(&format!("https://{host}"))
            .unwrap()
            .vote_url(&token());
        assert_eq!(url.len(), 8 + 30 + 3 + 32);
        assert!(
            qr_version(&url).unwrap() <= 4,
            "version {}",
            qr_version(&url).unwrap()
        );
    }

    #[test]
    fn svg_is_an_embeddable_svg_element() {
        let svg = svg("HTTPS://RATE.EXAMPLE.UA/R/ABC").unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>") && !svg.contains("<script"));
    }

    /// `cargo test --lib qr_versions_by_host_length -- --nocapture` prints the table in docs/token.md.
    #[test]
    fn qr_versions_by_host_length() {
        let mut longest_v4 = 0;
        for len in 13..=80 {
            let url = PublicBaseUrl::parse(&format!("https://{}", host_of(len)))
                .unwrap()
                .vote_url(&token());
            let v = qr_version(&url).unwrap();
            if [20, 30, 40, 50, 60].contains(&len) {
                println!(
                    "host {len:>2} chars, URL {:>3} chars: QR version {v} at level M",
                    url.len()
                );
            }
            if v <= 4 {
                longest_v4 = len;
            }
        }
        println!("longest host that stays in version 4-M: {longest_v4} characters");
        assert!(longest_v4 >= 30);
    }
}
