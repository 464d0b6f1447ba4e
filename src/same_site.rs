//! Whether a state-changing request was sent by a page of another site. A browser names the
//! page that made a request in `Origin` (every cross-origin POST, PUT, PATCH and DELETE) and in
//! `Sec-Fetch-Site`; a page elsewhere that posts a hidden form to a vote URL, or calls the API,
//! is told apart by them and refused before anything is read or written. Scripts and `curl`
//! send neither header and stay allowed: they are not a citizen's browser acting unknowingly,
//! and the per-phone limits, tokens and review bound them.

use crate::qr::PublicBaseUrl;

/// The request headers the decision reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Provenance<'a> {
    pub origin: Option<&'a str>,
    pub fetch_site: Option<&'a str>,
    /// The request's own `Host`.
    pub host: Option<&'a str>,
}

impl Provenance<'_> {
    /// True when either header names another site. "Our site" is the instance's own origin
    /// (`PUBLIC_BASE_URL`) or the host the request was sent to; `Sec-Fetch-Site` values
    /// `same-origin`, `same-site` and `none` (typed by the user) pass, `cross-site` fails.
    /// When both headers are sent, both must agree that the request is ours: a sibling
    /// subdomain is `same-site` to the browser but not this instance.
    ///
    /// `Origin: null` names no site: a browser sends it for a form posted from a page under
    /// `Referrer-Policy: no-referrer`, which our own pages are (the vote URL carries the code),
    /// as well as from sandboxed frames. Such a request is judged by `Sec-Fetch-Site` alone,
    /// which every current browser sends with it.
    pub fn is_cross_site(&self, base: &PublicBaseUrl) -> bool {
        let fetch_cross = self
            .fetch_site
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("cross-site"));
        let origin_cross = self
            .origin
            .map(str::trim)
            .filter(|o| !o.eq_ignore_ascii_case("null"))
            .is_some_and(|o| !self.origin_is_ours(o, base));
        fetch_cross || origin_cross
    }

    fn origin_is_ours(&self, origin: &str, base: &PublicBaseUrl) -> bool {
        let origin = origin.trim();
        if origin.eq_ignore_ascii_case(base.as_str()) {
            return true;
        }
        let Some((scheme, authority)) = origin.split_once("://") else {
            return false;
        };
        let host = self.host.map(str::trim).unwrap_or_default();
        matches!(scheme.to_ascii_lowercase().as_str(), "https" | "http")
            && !host.is_empty()
            && authority.eq_ignore_ascii_case(host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> PublicBaseUrl {
        PublicBaseUrl::parse("https://rate.city.example").unwrap()
    }

    fn p<'a>(origin: Option<&'a str>, fetch_site: Option<&'a str>) -> Provenance<'a> {
        Provenance {
            origin,
            fetch_site,
            host: Some("rate.city.example"),
        }
    }

    #[test]
    fn a_request_without_either_header_is_a_script_and_passes() {
        assert!(!p(None, None).is_cross_site(&base()));
        assert!(!Provenance::default().is_cross_site(&base()));
    }

    #[test]
    fn our_own_origin_or_host_passes() {
        assert!(!p(Some("https://rate.city.example"), None).is_cross_site(&base()));
        assert!(!p(Some("HTTPS://Rate.City.Example"), None).is_cross_site(&base()));
        let local = Provenance {
            origin: Some("http://127.0.0.1:8787"),
            fetch_site: Some("same-origin"),
            host: Some("127.0.0.1:8787"),
        };
        assert!(!local.is_cross_site(&base()), "the request's own host");
    }

    #[test]
    fn another_origin_fails() {
        for origin in [
            "https://evil.example",
            "https://rate.city.example.evil.example",
            "https://other.city.example",
            "http://rate.city.example:8080",
            "",
            "rate.city.example",
            "ftp://rate.city.example",
        ] {
            assert!(p(Some(origin), None).is_cross_site(&base()), "{origin}");
        }
        let no_host = Provenance {
            origin: Some("https://evil.example"),
            fetch_site: None,
            host: None,
        };
        assert!(no_host.is_cross_site(&base()));
    }

    #[test]
    fn a_null_origin_is_judged_by_fetch_metadata() {
        // What a browser sends for a form posted from our own no-referrer page...
        assert!(!p(Some("null"), Some("same-origin")).is_cross_site(&base()));
        // ...and from a sandboxed frame on another site.
        assert!(p(Some("null"), Some("cross-site")).is_cross_site(&base()));
        assert!(!p(Some("null"), None).is_cross_site(&base()));
    }

    #[test]
    fn fetch_metadata_passes_unless_cross_site() {
        for site in ["same-origin", "same-site", "none", "something-new"] {
            assert!(!p(None, Some(site)).is_cross_site(&base()), "{site}");
        }
        assert!(p(None, Some("cross-site")).is_cross_site(&base()));
        assert!(p(None, Some(" Cross-Site ")).is_cross_site(&base()));
    }

    #[test]
    fn either_header_naming_another_site_is_enough() {
        assert!(p(Some("https://rate.city.example"), Some("cross-site")).is_cross_site(&base()));
        assert!(p(Some("https://evil.example"), Some("same-origin")).is_cross_site(&base()));
        assert!(p(Some("https://other.city.example"), Some("same-site")).is_cross_site(&base()));
    }
}
