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

    /// `http://127.0.0.1[:port]` or `http://localhost[:port]`: a local run, never a deployment.
    pub fn is_local(&self) -> bool {
        let lower = self.0.to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("http://") else {
            return false;
        };
        let host = rest.rsplit_once(':').map_or(rest, |(h, _)| h);
        host == "127.0.0.1" || host == "localhost"
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

/// The light modules the symbol is surrounded by, as [`svg`] and [`png`] draw it.
const QUIET_ZONE: usize = 4;

/// The same symbol as [`svg`] as a PNG for download: black on white, the four-module quiet
/// zone, each module `module_px` × `module_px` pixels (clamped to 1–40; 10 gives 410×410
/// pixels for a version-4 code). One bit per pixel, greyscale.
///
/// The encoder is written here rather than taken from a crate: a PNG of two colours needs a
/// CRC-32, an Adler-32 and a deflate stream, and a QR code compresses well with the fixed
/// Huffman code and two kinds of back-reference only (the repeat of a byte, and the repeat of
/// the pixel row above). That is about 200 lines and 2 KB of WASM, where a general deflate
/// (`miniz_oxide`) plus `crc32fast` add about 46 KB (measured; see docs/posters.md).
pub fn png(data: &str, module_px: u32) -> Result<Vec<u8>, QrError> {
    let code = encode(data)?;
    let px = usize::try_from(module_px.clamp(1, 40)).unwrap_or(1);
    let modules = code.width();
    let colors = code.to_colors();
    let side_modules = modules + 2 * QUIET_ZONE;
    let side = side_modules * px;
    let row_bytes = side.div_ceil(8);
    let side_u32 = u32::try_from(side).map_err(|_| QrError::TooLong)?;

    let mut deflate = png_deflate::Writer::new();
    let mut scanline = Vec::with_capacity(row_bytes + 1);
    for my in 0..side_modules {
        // One scanline per row of modules (filter type 0, then the pixels, 0 = black)...
        scanline.clear();
        scanline.push(0u8);
        let mut byte = 0u8;
        let mut bits = 0;
        for x in 0..side {
            let mx = x / px;
            let dark = my
                .checked_sub(QUIET_ZONE)
                .zip(mx.checked_sub(QUIET_ZONE))
                .filter(|&(y, x)| y < modules && x < modules)
                .and_then(|(y, x)| colors.get(y * modules + x))
                .is_some_and(|c| *c == qrcode::Color::Dark);
            byte = (byte << 1) | u8::from(!dark);
            bits += 1;
            if bits == 8 {
                scanline.push(byte);
                byte = 0;
                bits = 0;
            }
        }
        if bits > 0 {
            // The unused bits of the last byte: white.
            scanline.push((byte << (8 - bits)) | (0xff >> bits));
        }
        deflate.bytes(&scanline);
        // ...and the other `px - 1` pixel rows of the module row repeat the one above.
        deflate.repeat(scanline.len(), scanline.len() * (px - 1));
    }
    let idat = deflate.finish();

    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side_u32.to_be_bytes());
    ihdr.extend_from_slice(&side_u32.to_be_bytes());
    // Bit depth 1, colour type 0 (greyscale), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);

    let mut out = Vec::with_capacity(idat.len() + 64);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &idat);
    png_chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = png_deflate::crc32(kind.iter().chain(data));
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of one deflate block with the fixed Huffman code (RFC 1950 and 1951).
mod png_deflate {
    /// Lengths 3–258: the first length of each of the codes 257–285, and its extra bits.
    const LENGTH_BASE: [u16; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
        131, 163, 195, 227, 258,
    ];
    const LENGTH_EXTRA: [u8; 29] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ];
    /// Distances 1–32768: the first distance of each of the codes 0–29, and its extra bits.
    const DIST_BASE: [u16; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ];
    const DIST_EXTRA: [u8; 30] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
        13, 13,
    ];
    const MIN_MATCH: usize = 3;
    const MAX_MATCH: usize = 258;
    const MAX_DISTANCE: usize = 32768;

    pub struct Writer {
        out: Vec<u8>,
        acc: u64,
        nbits: u32,
        /// The last bytes written (at least 32 KB of them), for back-references.
        window: Vec<u8>,
        /// The running Adler-32 sums of every byte written.
        adler: (u32, u32),
    }

    impl Writer {
        pub fn new() -> Writer {
            let mut w = Writer {
                // CMF: deflate with a 32 KB window; FLG: no dictionary, check bits (0x7801
                // is divisible by 31).
                out: vec![0x78, 0x01],
                acc: 0,
                nbits: 0,
                window: Vec::new(),
                adler: (1, 0),
            };
            // BFINAL = 1, BTYPE = 01 (fixed Huffman codes).
            w.bits(0b011, 3);
            w
        }

        /// Appends `data`: literals, and a back-reference at distance 1 for each run of four
        /// or more equal bytes.
        pub fn bytes(&mut self, data: &[u8]) {
            let mut rest = data;
            while let Some((&first, tail)) = rest.split_first() {
                let run = tail.iter().take_while(|&&b| b == first).count();
                self.literal(first);
                if run >= MIN_MATCH {
                    self.repeat(1, run);
                    rest = tail.get(run..).unwrap_or_default();
                } else {
                    rest = tail;
                }
            }
        }

        /// Appends `len` bytes copied from `distance` bytes back (overlapping copies repeat).
        pub fn repeat(&mut self, distance: usize, len: usize) {
            if distance == 0 || distance > MAX_DISTANCE || distance > self.window.len() {
                return self.copy_as_literals(distance, len);
            }
            let mut left = len;
            while left >= MIN_MATCH {
                let mut take = left.min(MAX_MATCH);
                if left - take > 0 && left - take < MIN_MATCH {
                    // Leave at least a minimal match for the next round.
                    take = left - MIN_MATCH;
                }
                self.match_code(distance, take);
                left -= take;
            }
            self.copy_as_literals(distance, left);
        }

        pub fn finish(mut self) -> Vec<u8> {
            self.symbol(256);
            if self.nbits > 0 {
                self.bits(0, 8 - self.nbits % 8);
            }
            let (a, b) = self.adler;
            self.out.extend_from_slice(&((b << 16) | a).to_be_bytes());
            self.out
        }

        fn copy_as_literals(&mut self, distance: usize, len: usize) {
            for _ in 0..len {
                let at = self.window.len().checked_sub(distance);
                let byte = at.and_then(|i| self.window.get(i)).copied().unwrap_or(0);
                self.literal(byte);
            }
        }

        fn literal(&mut self, byte: u8) {
            self.push(byte);
            self.symbol(u16::from(byte));
        }

        fn push(&mut self, byte: u8) {
            const MOD: u32 = 65521;
            let (a, b) = self.adler;
            let a = (a + u32::from(byte)) % MOD;
            self.adler = (a, (b + a) % MOD);
            if self.window.len() >= 2 * MAX_DISTANCE {
                self.window.drain(..MAX_DISTANCE);
            }
            self.window.push(byte);
        }

        /// A back-reference of `len` (3–258) bytes at `distance` (1–32768), already checked.
        fn match_code(&mut self, distance: usize, len: usize) {
            for _ in 0..len {
                let byte = self
                    .window
                    .len()
                    .checked_sub(distance)
                    .and_then(|i| self.window.get(i))
                    .copied()
                    .unwrap_or(0);
                self.push(byte);
            }
            let len = u16::try_from(len).unwrap_or(3);
            let distance = u16::try_from(distance).unwrap_or(1);
            let (code, base, extra) = bucket(&LENGTH_BASE, &LENGTH_EXTRA, len);
            self.symbol(257 + code);
            self.bits(u64::from(len - base), extra);
            let (code, base, extra) = bucket(&DIST_BASE, &DIST_EXTRA, distance);
            self.reversed(code, 5);
            self.bits(u64::from(distance - base), extra);
        }

        /// A literal/length symbol (0–287) in the fixed Huffman code.
        fn symbol(&mut self, sym: u16) {
            let (code, len) = match sym {
                0..=143 => (0x30 + sym, 8),
                144..=255 => (0x190 + sym - 144, 9),
                256..=279 => (sym - 256, 7),
                _ => (0xc0 + sym - 280, 8),
            };
            self.reversed(code, len);
        }

        /// A Huffman code, which deflate packs starting from its most significant bit.
        fn reversed(&mut self, code: u16, len: u32) {
            let rev = code.reverse_bits() >> (16 - len);
            self.bits(u64::from(rev), len);
        }

        /// Other fields, which deflate packs starting from their least significant bit.
        fn bits(&mut self, value: u64, len: u32) {
            self.acc |= value << self.nbits;
            self.nbits += len;
            while self.nbits >= 8 {
                self.out.push((self.acc & 0xff) as u8);
                self.acc >>= 8;
                self.nbits -= 8;
            }
        }
    }

    /// The code whose range holds `value`: its index, its first value and its extra bits.
    fn bucket(base: &[u16], extra: &[u8], value: u16) -> (u16, u16, u32) {
        base.iter()
            .zip(extra)
            .enumerate()
            .rev()
            .find(|(_, (&b, _))| b <= value)
            .map(|(i, (&b, &e))| (u16::try_from(i).unwrap_or(0), b, u32::from(e)))
            .unwrap_or((0, value, 0))
    }

    /// The CRC-32 of PNG chunks (ISO 3309, polynomial 0xEDB88320 reflected), bit by bit: the
    /// chunks are a few KB, and a table would cost 1 KB of WASM data for no visible gain.
    pub fn crc32<'a>(data: impl IntoIterator<Item = &'a u8>) -> u32 {
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = (crc >> 1) ^ (0xedb8_8320 & (crc & 1).wrapping_neg());
            }
        }
        !crc
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn checksums_match_the_published_check_values_and_long_streams_inflate() {
            // The standard check input "123456789".
            assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
            let adler = |data: &[u8]| {
                let mut w = Writer::new();
                w.bytes(data);
                let z = w.finish();
                u32::from_be_bytes(z[z.len() - 4..].try_into().unwrap())
            };
            assert_eq!(adler(b"Wikipedia"), 0x11e6_0398);
            // Past the 32 KB window and the point where unreduced sums would overflow.
            let (mut a, mut b) = (1u64, 0u64);
            for _ in 0..100_000 {
                a = (a + 255) % 65521;
                b = (b + a) % 65521;
            }
            assert_eq!(u64::from(adler(&vec![0xff; 100_000])), (b << 16) | a);
            // A long stream drops the start of its window and still inflates whole.
            let data: Vec<u8> = (0..200_000u32).map(|i| (i / 1000 % 7) as u8).collect();
            let mut w = Writer::new();
            w.bytes(&data);
            w.repeat(30_000, 70_000);
            let mut expected = data.clone();
            expected.extend_from_within(170_000..200_000);
            expected.extend_from_within(170_000..200_000);
            expected.extend_from_within(170_000..180_000);
            let inflated = miniz_oxide::inflate::decompress_to_vec_zlib(&w.finish()).unwrap();
            assert!(inflated == expected);
        }
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn only_loopback_http_origins_are_local() {
        for (url, local) in [
            ("http://127.0.0.1:8787", true),
            ("http://localhost", true),
            ("https://127.0.0.1", false),
            ("https://rate.example-city.gov.ua", false),
            ("http://127.0.0.1.example.com", false),
        ] {
            assert_eq!(
                super::PublicBaseUrl::parse(url).unwrap().is_local(),
                local,
                "{url}"
            );
        }
    }

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
            kind: crate::token::CodeKind::Standing,
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
                kind: crate::token::CodeKind::Standing,
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

    /// A vote URL as printed, with the 30-character host of the version-4 test above.
    fn printed_url() -> String {
        PublicBaseUrl::parse("https://rate.kryvyirihcity-rada.gov.ua")
            .unwrap()
            .vote_url(&token())
    }

    /// The PNG decoded to one byte per pixel (0 black, 255 white): (side, pixels).
    fn decode_png(png: &[u8]) -> (usize, Vec<u8>) {
        let mut decoder = ::png::Decoder::new(std::io::Cursor::new(png));
        decoder.set_transformations(::png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.bit_depth, ::png::BitDepth::One);
        assert_eq!(info.color_type, ::png::ColorType::Grayscale);
        assert_eq!(info.width, info.height);
        let side = info.width as usize;
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut pixels).unwrap();
        assert_eq!(frame.color_type, ::png::ColorType::Grayscale);
        assert_eq!(frame.bit_depth, ::png::BitDepth::Eight);
        pixels.truncate(frame.buffer_size());
        assert_eq!(pixels.len(), side * side);
        (side, pixels)
    }

    /// Finds and decodes the one QR code in a greyscale image.
    fn read_qr(side: usize, pixels: &[u8]) -> String {
        let mut image =
            rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| pixels[y * side + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the image");
        let (meta, content) = grids[0].decode().unwrap();
        assert_eq!(meta.ecc_level, 0, "level M");
        content
    }

    #[test]
    fn png_pixels_equal_the_module_matrix() {
        let url = printed_url();
        let code = encode(&url).unwrap();
        let modules = code.width();
        let colors = code.to_colors();
        // 8 pixels a module lands on byte boundaries, 3 and 7 do not.
        for px in [1usize, 3, 7, 8] {
            let (side, pixels) = decode_png(&png(&url, px as u32).unwrap());
            assert_eq!(side, (modules + 8) * px);
            for (i, &p) in pixels.iter().enumerate() {
                let (x, y) = ((i % side) / px, (i / side) / px);
                let dark = (4..modules + 4).contains(&x)
                    && (4..modules + 4).contains(&y)
                    && colors[(y - 4) * modules + (x - 4)] == qrcode::Color::Dark;
                assert_eq!(p, if dark { 0 } else { 255 }, "px {px}, pixel {i}");
            }
        }
    }

    #[test]
    fn png_decodes_to_the_same_url() {
        let url = printed_url();
        for px in [2, 4, 10] {
            let png = png(&url, px).unwrap();
            let (side, pixels) = decode_png(&png);
            assert_eq!(read_qr(side, &pixels), url, "{px} pixels a module");
        }
        // The download stays small: 1.7 KB at 10 pixels a module, under 5 KB at 40.
        let size = png(&url, 10).unwrap().len();
        assert!(size < 2 * 1024, "{size} bytes");
        let size = png(&url, 40).unwrap().len();
        assert!(size < 5 * 1024, "{size} bytes");
    }

    #[test]
    fn png_module_size_is_clamped_to_1_to_40_pixels() {
        let url = printed_url();
        let side = |px| decode_png(&png(&url, px).unwrap()).0;
        assert_eq!(side(0), 41);
        assert_eq!(side(1), 41);
        assert_eq!(side(40), 41 * 40);
        assert_eq!(side(u32::MAX), 41 * 40);
        assert_eq!(png(&"A".repeat(5000), 4), Err(QrError::TooLong));
    }

    /// Draws `svg()`'s output (a white `<rect>` and one black `<path>` of
    /// `M{x} {y}h{w}v{h}H{x}V{y}` rectangles) at one pixel a user unit.
    fn rasterise_svg(svg: &str) -> (usize, Vec<u8>) {
        let attr = |name: &str| -> &str {
            let start = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
            &svg[start..start + svg[start..].find('"').unwrap()]
        };
        let side: usize = attr("width").parse().unwrap();
        assert_eq!(attr("height"), side.to_string());
        assert_eq!(attr("viewBox"), format!("0 0 {side} {side}"));
        let mut pixels = vec![255u8; side * side];
        let d = &svg[svg.find(" d=\"").unwrap() + 4..];
        let d = &d[..d.find('"').unwrap()];
        for rect in d.split('M').filter(|r| !r.is_empty()) {
            let nums: Vec<usize> = rect
                .split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .map(|n| n.parse().unwrap())
                .collect();
            let [x, y, w, h, x2, y2] = nums[..] else {
                panic!("unexpected path segment {rect}")
            };
            assert_eq!((x2, y2), (x, y));
            for row in y..y + h {
                pixels[row * side + x..row * side + x + w].fill(0);
            }
        }
        (side, pixels)
    }

    #[test]
    fn svg_decodes_to_the_same_url() {
        let url = printed_url();
        let (side, pixels) = rasterise_svg(&svg(&url).unwrap());
        assert_eq!(read_qr(side, &pixels), url);
        // And it is the PNG's picture, scaled.
        let (png_side, png_pixels) = decode_png(&png(&url, 1).unwrap());
        let scale = side / png_side;
        assert_eq!(side, png_side * scale);
        for (i, &p) in pixels.iter().enumerate() {
            let (x, y) = ((i % side) / scale, (i / side) / scale);
            assert_eq!(p, png_pixels[y * png_side + x], "svg pixel {i}");
        }
    }

    proptest::proptest! {
        /// The deflate stream inflates to exactly what was written, whatever mix of literals,
        /// runs and back-references.
        #[test]
        fn the_zlib_stream_inflates_to_what_was_written(
            parts in proptest::collection::vec(
                (proptest::collection::vec(0u8..4, 0..300), 1usize..400, 0usize..700),
                0..12,
            )
        ) {
            let mut writer = png_deflate::Writer::new();
            let mut expected: Vec<u8> = Vec::new();
            for (bytes, distance, len) in &parts {
                writer.bytes(bytes);
                expected.extend(bytes);
                writer.repeat(*distance, *len);
                for _ in 0..*len {
                    let byte = expected.len().checked_sub(*distance).map_or(0, |i| expected[i]);
                    expected.push(byte);
                }
            }
            let zlib = writer.finish();
            let inflated = miniz_oxide::inflate::decompress_to_vec_zlib(&zlib).unwrap();
            proptest::prop_assert_eq!(inflated, expected);
        }
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
                    kind: crate::token::CodeKind::Standing,
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
}
