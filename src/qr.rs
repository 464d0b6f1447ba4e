//! The public vote URL and its QR code. The URL is printed all in capitals
//! (`HTTPS://RATE.EXAMPLE-CITY.GOV.UA/R/<TOKEN>`): scheme and host are case-insensitive, the
//! worker accepts `/R/` and the token in any case, and capitals keep the whole URL in the QR
//! code's alphanumeric mode (5.5 bits a character instead of 8), so the code stays small.

use crate::token::Token;
use qrcode::bits::{self, Bits};
use qrcode::{EcLevel, QrCode, Version};

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
        let s = s.trim();
        // One trailing slash is the empty path; anything after it would be a path.
        let s = s.strip_suffix('/').unwrap_or(s);
        let lower = s.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .ok_or(BaseUrlError::Invalid)?;
        // '/', '?', '#' and '@' (path, query, fragment, user info) fail the host check below.
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        let label_ok = |l: &str| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let host_ok = (1..=253).contains(&host.len()) && host.split('.').all(label_ok);
        let port_ok = port.is_none_or(|p| {
            (1..=5).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|p| p != 0)
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

    /// The same address for links on screen: lowercase scheme and host, `/r/`, and the token
    /// in its canonical capitals (`https://rate.example-city.gov.ua/r/0123…`).
    pub fn display_url(&self, token: &Token) -> String {
        format!("{}/r/{}", self.0.to_ascii_lowercase(), token.as_str())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How the data is put into the symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// One alphanumeric segment: 11 bits per two characters, whatever the characters are.
    Alphanumeric,
    /// The `qrcode` crate's own segmentation (`bits::encode_auto`).
    Auto,
}

/// The data bits at level M in the smallest version found. For text of the alphanumeric set
/// (every printed vote URL) a single alphanumeric segment is tried as well as the crate's
/// optimiser, and the smaller wins (the single segment on a tie). The optimiser in `qrcode`
/// 0.14 is greedy: it cuts digit runs of the token into numeric segments, and the switches
/// can cost more than they save, so on its own it puts some tokens one version higher than
/// others with the same host. With the single segment the version depends only on the
/// URL's length.
fn plan(data: &str) -> Result<(Bits, Encoding), QrError> {
    let auto = bits::encode_auto(data.as_bytes(), EcLevel::M).ok();
    let single = if is_alphanumeric_mode(data) {
        (1..=40).find_map(|v| {
            let mut bits = Bits::new(Version::Normal(v));
            bits.push_alphanumeric_data(data.as_bytes()).ok()?;
            bits.push_terminator(EcLevel::M).ok()?;
            Some(bits)
        })
    } else {
        None
    };
    match (single, auto) {
        (Some(s), Some(a)) if version_number(a.version()) < version_number(s.version()) => {
            Ok((a, Encoding::Auto))
        }
        (Some(s), _) => Ok((s, Encoding::Alphanumeric)),
        (None, Some(a)) => Ok((a, Encoding::Auto)),
        (None, None) => Err(QrError::TooLong),
    }
}

fn version_number(version: Version) -> i16 {
    match version {
        Version::Normal(v) | Version::Micro(v) => v,
    }
}

fn encode(data: &str) -> Result<QrCode, QrError> {
    let (bits, _) = plan(data)?;
    QrCode::with_bits(bits, EcLevel::M).map_err(|_| QrError::TooLong)
}

/// An SVG QR code at error-correction level M (about 15% of the symbol may be damaged),
/// black on white with the standard four-module quiet zone, at least 200×200 user units.
/// The renderer's `<?xml …?>` declaration is dropped: the result is a bare `<svg>` element,
/// which is valid both inline in HTML and as a standalone `image/svg+xml` document.
pub fn svg(data: &str) -> Result<String, QrError> {
    let svg = encode(data)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .quiet_zone(true)
        .build();
    Ok(match svg.find("<svg") {
        Some(start) => svg.get(start..).unwrap_or(&svg).to_owned(),
        None => svg,
    })
}

/// The QR version (1–40) that `data` needs at level M, as [`svg`] draws it.
pub fn qr_version(data: &str) -> Result<i16, QrError> {
    Ok(version_number(plan(data)?.0.version()))
}

/// Whether every character is in the QR alphanumeric set `0-9 A-Z space $%*+-./:`.
pub fn is_alphanumeric_mode(data: &str) -> bool {
    data.bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b" $%*+-./:".contains(&b))
}

/// A PNG of the same symbol as [`svg`]: black on white, four-module quiet zone, each module
/// `module_px` pixels (1 to 40). One-bit greyscale in stored (uncompressed) deflate blocks: a
/// QR code is ~40×40 modules, so a print-sized PNG is tens of KB either way, and the encoder
/// is these few lines instead of a deflate crate in the WASM.
pub fn png(data: &str, module_px: u32) -> Result<Vec<u8>, QrError> {
    let code = encode(data)?;
    let modules = code.width();
    let colors = code.to_colors();
    let px = module_px.clamp(1, 40) as usize;
    let side = (modules + 8) * px;
    let row_bytes = side.div_ceil(8);
    let mut raw = Vec::with_capacity((row_bytes + 1) * side);
    for y in 0..side {
        raw.push(0); // filter: none
        let my = (y / px).checked_sub(4).filter(|m| *m < modules);
        let mut byte = 0u8;
        for x in 0..side {
            let mx = (x / px).checked_sub(4).filter(|m| *m < modules);
            let dark = match (mx, my) {
                (Some(mx), Some(my)) => colors.get(my * modules + mx) == Some(&qrcode::Color::Dark),
                _ => false,
            };
            // In 1-bit greyscale, 1 is white.
            byte = (byte << 1) | u8::from(!dark);
            if x % 8 == 7 {
                raw.push(byte);
                byte = 0;
            }
        }
        if !side.is_multiple_of(8) {
            raw.push(byte << (8 - side % 8));
        }
    }
    let side32 = u32::try_from(side).map_err(|_| QrError::TooLong)?;
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side32.to_be_bytes());
    ihdr.extend_from_slice(&side32.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // 1 bit, greyscale, deflate, no filter, no interlace
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    png_chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(out.get(start..).unwrap_or(&[]));
    out.extend_from_slice(&crc.to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// zlib around stored deflate blocks of at most 65,535 bytes.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    let last = blocks.len().saturating_sub(1);
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i == last));
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    if blocks.is_empty() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in data {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::{Channel, EmployeeId};
    use crate::token::{Claims, KeyRing};
    use base64::Engine;
    use qrcode::optimize::Parser;
    use qrcode::types::Mode;

    fn ring() -> KeyRing {
        KeyRing::parse(&format!(
            "1:{}",
            base64::engine::general_purpose::STANDARD.encode([7u8; 32])
        ))
        .unwrap()
    }

    fn token() -> Token {
        ring().sign(&Claims {
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

    /// The modes the `qrcode` crate's own optimiser picks for `data` at `version` (the
    /// segmentation of `bits::encode_auto` and `QrCode::with_error_correction_level`).
    fn modes(data: &str, version: i16) -> Vec<Mode> {
        Parser::new(data.as_bytes())
            .optimize(Version::Normal(version))
            .map(|segment| segment.mode)
            .collect()
    }

    #[test]
    fn base_url_accepts_origins_only() {
        let base = PublicBaseUrl::parse(" https://rate.example-city.gov.ua/ ").unwrap();
        assert_eq!(base.as_str(), "https://rate.example-city.gov.ua");
        assert_eq!(
            PublicBaseUrl::parse("HTTPS://Rate.Example.UA")
                .unwrap()
                .as_str(),
            "HTTPS://Rate.Example.UA"
        );
        for good in [
            "http://127.0.0.1:8787",
            "http://localhost:8787/",
            "https://x.ua:443",
            "https://a-b.c-d.ua",
        ] {
            assert!(PublicBaseUrl::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "rate.example.ua",
            "ftp://x.ua",
            "https://",
            "https:///",
            "https://x.ua/path",
            "https://x.ua//",
            "https://x.ua?q",
            "https://x.ua#f",
            "https://u@x.ua",
            "https://u:p@x.ua",
            "https://x.ua:",
            "https://x.ua:0",
            "https://x.ua:99999",
            "https://x.ua:+80",
            "https://-x.ua",
            "https://x-.ua",
            "https://x..ua",
            "https://x.ua.",
            "https://.x.ua",
            "https://x_y.ua",
            "https://[::1]:8787",
            "https://рада.ua",
            "https://x .ua",
        ] {
            assert_eq!(
                PublicBaseUrl::parse(bad),
                Err(BaseUrlError::Invalid),
                "{bad}"
            );
        }
        let long_label = format!("https://{}.ua", "a".repeat(64));
        assert_eq!(
            PublicBaseUrl::parse(&long_label),
            Err(BaseUrlError::Invalid)
        );
    }

    #[test]
    fn printed_url_is_capitals_in_alphanumeric_mode() {
        let base = PublicBaseUrl::parse("https://rate.example-city.gov.ua/").unwrap();
        let t = token();
        let url = base.vote_url(&t);
        assert_eq!(
            url,
            format!("HTTPS://RATE.EXAMPLE-CITY.GOV.UA/R/{}", t.as_str())
        );
        assert!(is_alphanumeric_mode(&url));
        // The token in the printed URL reads back as the same token.
        let printed = url.rsplit('/').next().unwrap();
        assert_eq!(Token::parse(printed), Ok(t));
    }

    #[test]
    fn display_url_is_lowercase_with_the_canonical_token() {
        let base = PublicBaseUrl::parse("HTTPS://Rate.Example-City.gov.ua").unwrap();
        let t = token();
        assert_eq!(
            base.display_url(&t),
            format!("https://rate.example-city.gov.ua/r/{}", t.as_str())
        );
    }

    #[test]
    fn a_thirty_character_host_fits_qr_version_4_at_level_m_in_alphanumeric_mode() {
        let host = "rate.kryvyirihcity-rada.gov.ua";
        assert_eq!(host.len(), 30);
        let url = PublicBaseUrl::parse(&format!("https://{host}"))
            .unwrap()
            .vote_url(&token());
        assert_eq!(url.len(), 8 + 30 + 3 + 32);
        let version = qr_version(&url).unwrap();
        assert!(version <= 4, "version {version}");
        assert!(is_alphanumeric_mode(&url));
        // What the encoder chose: one alphanumeric segment. Even the crate's own optimiser
        // never picks byte mode for it (it may cut digit runs into numeric segments).
        assert_eq!(plan(&url).unwrap().1, Encoding::Alphanumeric);
        let crate_modes = modes(&url, version);
        assert!(
            crate_modes
                .iter()
                .all(|m| matches!(m, Mode::Alphanumeric | Mode::Numeric)),
            "{crate_modes:?}"
        );
        // The same URL in lowercase would need byte mode and a bigger code.
        let lower = url.to_ascii_lowercase();
        assert!(modes(&lower, 4).contains(&Mode::Byte));
        assert!(qr_version(&lower).unwrap() > version);
    }

    #[test]
    fn every_printed_url_is_one_alphanumeric_segment_whatever_the_token() {
        let base = PublicBaseUrl::parse("https://rate.kryvyirihcity-rada.gov.ua").unwrap();
        for issue in 1..=300u16 {
            let claims = Claims {
                shard: (issue % 3) as u8,
                employee: EmployeeId::parse(i64::from(issue) * 7919).unwrap(),
                channel: Channel::new((issue % 4) as u8),
                issue,
            };
            let url = base.vote_url(&ring().sign(&claims));
            assert_eq!(plan(&url).unwrap().1, Encoding::Alphanumeric, "{url}");
            assert_eq!(qr_version(&url), Ok(4), "{url}");
        }
    }

    /// The token that first showed the `qrcode` optimiser's greedy cut: with a 47-character
    /// host the crate alone encodes its URL in version 5, the single segment in version 4.
    #[test]
    fn digit_runs_in_the_token_do_not_grow_the_code() {
        let url = format!(
            "HTTPS://{}/R/040G0000000G2001DGM2RZG7XMEPYK64",
            host_of(47).to_ascii_uppercase()
        );
        assert_eq!(url.len(), 90);
        let auto = bits::encode_auto(url.as_bytes(), EcLevel::M).unwrap();
        assert_eq!(version_number(auto.version()), 5);
        assert_eq!(qr_version(&url), Ok(4));
        assert_eq!(plan(&url).unwrap().1, Encoding::Alphanumeric);
        // All digits: numeric mode is denser, and then the crate's plan is taken.
        let digits = "0".repeat(90);
        assert_eq!(plan(&digits).unwrap().1, Encoding::Auto);
        assert!(qr_version(&digits).unwrap() < 4);
        // Lowercase is not alphanumeric: byte mode, by the crate.
        assert_eq!(plan("https://x.ua").unwrap().1, Encoding::Auto);
    }

    #[test]
    fn a_token_of_letters_only_is_a_single_alphanumeric_segment() {
        let url = "HTTPS://RATE.KRYVYIRIHCITY-RADA.GOV.UA/R/ABCDEFGHJKMNPQRSTVWXYZABCDEFGHJK";
        assert_eq!(modes(url, 4), vec![Mode::Alphanumeric]);
    }

    #[test]
    fn svg_is_a_bare_embeddable_svg_element() {
        let svg = svg("HTTPS://RATE.EXAMPLE.UA/R/ABC").unwrap();
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<svg").count(), 1);
        assert!(!svg.contains("<?xml") && !svg.contains("<script"));
        assert!(svg.contains("fill=\"#000000\"") && svg.contains("fill=\"#ffffff\""));
        let width: u32 = svg
            .split("width=\"")
            .nth(1)
            .and_then(|w| w.split('"').next())
            .unwrap()
            .parse()
            .unwrap();
        assert!(width >= 200, "width {width}");
    }

    #[test]
    fn the_longest_valid_base_url_still_makes_a_code() {
        let host = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61),
        ]
        .join(".");
        assert_eq!(host.len(), 253);
        let base = PublicBaseUrl::parse(&format!("https://{host}:65535")).unwrap();
        let url = base.vote_url(&token());
        assert!(qr_version(&url).unwrap() <= 40);
        assert!(svg(&url).is_ok());
        assert_eq!(qr_version(&"A".repeat(5000)), Err(QrError::TooLong));
    }

    /// `cargo test --lib qr_versions_by_host_length -- --nocapture` prints the table in
    /// docs/token.md: for each host length, the largest version over 200 different tokens.
    #[test]
    fn qr_versions_by_host_length() {
        let ring = ring();
        let tokens: Vec<Token> = (1..=200u16)
            .map(|n| {
                ring.sign(&Claims {
                    shard: 0,
                    employee: EmployeeId::parse(i64::from(n) * 104_729).unwrap(),
                    channel: Channel::DESK,
                    issue: n,
                })
            })
            .collect();
        let mut longest_v4 = 0;
        println!("host | URL | QR version at level M | modules (without quiet zone)");
        for len in 13..=70 {
            let base = PublicBaseUrl::parse(&format!("https://{}", host_of(len))).unwrap();
            let url_len = base.vote_url(&token()).len();
            let v = tokens
                .iter()
                .map(|t| qr_version(&base.vote_url(t)).unwrap())
                .max()
                .unwrap();
            if [20, 30, 40, 47, 48, 50, 60].contains(&len) {
                println!("{len:>4} | {url_len:>3} | {v:>2} | {n}×{n}", n = 17 + 4 * v);
            }
            if v <= 4 {
                longest_v4 = len;
            }
        }
        println!("longest https host that stays in version 4-M: {longest_v4} characters");
        assert_eq!(longest_v4, 47);
    }
    /// Reads back what `png` wrote (stored blocks only) and compares every pixel with the
    /// symbol's modules.
    #[test]
    fn the_png_has_the_same_modules_as_the_symbol() {
        let url = "HTTPS://RATE.KYIV.EXAMPLE/R/ABCDEFGHJKMNPQRSTVWXYZ0123456789";
        let bytes = png(url, 3).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let code = encode(url).unwrap();
        let modules = code.width();
        let side = (modules + 8) * 3;
        assert_eq!(
            u32::from_be_bytes(bytes[16..20].try_into().unwrap()) as usize,
            side
        );
        // IDAT: after the 8-byte signature and the 25-byte IHDR chunk.
        let idat_len = u32::from_be_bytes(bytes[33..37].try_into().unwrap()) as usize;
        assert_eq!(&bytes[37..41], b"IDAT");
        let z = &bytes[41..41 + idat_len];
        let mut raw = Vec::new();
        let mut at = 2;
        loop {
            let last = z[at] & 1 == 1;
            let len = u16::from_le_bytes([z[at + 1], z[at + 2]]) as usize;
            raw.extend_from_slice(&z[at + 5..at + 5 + len]);
            at += 5 + len;
            if last {
                break;
            }
        }
        let crc_at = 41 + idat_len;
        assert_eq!(
            u32::from_be_bytes(bytes[crc_at..crc_at + 4].try_into().unwrap()),
            crc32(&bytes[37..crc_at])
        );
        let row = side.div_ceil(8) + 1;
        let colors = code.to_colors();
        for y in 0..side {
            for x in 0..side {
                let bit = (raw[y * row + 1 + x / 8] >> (7 - x % 8)) & 1;
                let (mx, my) = ((x / 3) as isize - 4, (y / 3) as isize - 4);
                let inside =
                    (0..modules as isize).contains(&mx) && (0..modules as isize).contains(&my);
                let dark =
                    inside && colors[my as usize * modules + mx as usize] == qrcode::Color::Dark;
                assert_eq!(bit == 0, dark, "pixel {x},{y}");
            }
        }
    }

    #[test]
    fn crc32_and_adler32_match_known_values() {
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
        let z = zlib_stored(b"Wikipedia");
        assert_eq!(&z[z.len() - 4..], &0x11E6_0398u32.to_be_bytes());
    }
}
