//! Languages: zh-CN (default) and English. Message catalogs, locale resolution per request
//! (`?lang=` → `lang` cookie → the user's preference → `Accept-Language`), and number formats.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, OnceLock};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

/// A supported language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Locale {
    /// 简体中文, the default.
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    /// English.
    #[serde(rename = "en")]
    En,
}

/// The zh-CN catalog: the core file, then one file per domain.
static ZH: &[&str] = &[
    include_str!("zh-CN.txt"),
    include_str!("checklists.zh-CN.txt"),
    include_str!("defects.zh-CN.txt"),
    include_str!("photos.zh-CN.txt"),
    include_str!("takeovers.zh-CN.txt"),
    include_str!("delivery.zh-CN.txt"),
    include_str!("customer.zh-CN.txt"),
    include_str!("board.zh-CN.txt"),
    include_str!("delivery_import.zh-CN.txt"),
    include_str!("kpis.zh-CN.txt"),
    include_str!("report.zh-CN.txt"),
    include_str!("sheet.zh-CN.txt"),
];
/// The English catalog, file for file the same as [`ZH`].
static EN: &[&str] = &[
    include_str!("en.txt"),
    include_str!("checklists.en.txt"),
    include_str!("defects.en.txt"),
    include_str!("photos.en.txt"),
    include_str!("takeovers.en.txt"),
    include_str!("delivery.en.txt"),
    include_str!("customer.en.txt"),
    include_str!("board.en.txt"),
    include_str!("delivery_import.en.txt"),
    include_str!("kpis.en.txt"),
    include_str!("report.en.txt"),
    include_str!("sheet.en.txt"),
];

fn parse(files: &[&'static str]) -> HashMap<&'static str, &'static str> {
    files
        .iter()
        .flat_map(|f| f.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

static CATALOGS: LazyLock<[HashMap<&'static str, &'static str>; 2]> =
    LazyLock::new(|| [parse(ZH), parse(EN)]);

impl Locale {
    /// The BCP 47 tag (`zh-CN`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// Parses `zh`, `zh-CN`, `en`, `en-US`, ... (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Locale::ZhCn)
        } else if s.starts_with("en") {
            Some(Locale::En)
        } else {
            None
        }
    }

    /// The first supported language of an `Accept-Language` header (by q-value order).
    pub fn from_accept_language(value: &str) -> Option<Self> {
        let mut langs: Vec<(f32, &str)> = value
            .split(',')
            .map(|part| {
                let mut it = part.split(';');
                let tag = it.next().unwrap_or("").trim();
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(1.0);
                (q, tag)
            })
            .collect();
        langs.sort_by(|a, b| b.0.total_cmp(&a.0));
        langs.into_iter().find_map(|(_, tag)| Locale::parse(tag))
    }

    /// The catalog text of `key`; the key itself when missing (a test keeps catalogs complete).
    pub fn t(self, key: &str) -> &'static str {
        let idx = self as usize;
        CATALOGS[idx].get(key).copied().unwrap_or_else(|| {
            tracing::warn!(key, "missing catalog key");
            ""
        })
    }

    /// The catalog text of `key` with `{name}` placeholders filled from `params`.
    pub fn fmt(self, key: &str, params: &[(&str, &str)]) -> String {
        let mut s = self.t(key).to_owned();
        for (name, value) in params {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    /// [`Locale::fmt`] with one placeholder (handy in templates).
    pub fn fmt1(self, key: &str, name: &str, value: &str) -> String {
        self.fmt(key, &[(name, value)])
    }

    /// A count as shown in text: thousands separators in English only.
    pub fn count(self, n: i64) -> String {
        match self {
            Locale::ZhCn => n.to_string(),
            Locale::En => {
                let digits = n.unsigned_abs().to_string();
                let mut out = String::new();
                for (i, ch) in digits.chars().enumerate() {
                    if i > 0 && (digits.len() - i).is_multiple_of(3) {
                        out.push(',');
                    }
                    out.push(ch);
                }
                if n < 0 { format!("-{out}") } else { out }
            }
        }
    }
}

/// Per-request slot the auth layer fills with the signed-in user's preferred language.
#[derive(Clone, Default)]
pub struct UserLocale(pub Arc<OnceLock<Locale>>);

/// The explicit choice of this request (`?lang=` or the `lang` cookie), if any.
pub fn explicit_locale(query: Option<&str>, headers: &HeaderMap) -> Option<Locale> {
    let from_query = query.and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("lang="))
            .and_then(Locale::parse)
    });
    from_query.or_else(|| crate::http::cookie(headers, "lang").and_then(Locale::parse))
}

/// Resolves the language of a request from its parts.
pub fn resolve(parts: &Parts) -> Locale {
    explicit_locale(parts.uri.query(), &parts.headers)
        .or_else(|| {
            parts
                .extensions
                .get::<UserLocale>()
                .and_then(|s| s.0.get().copied())
        })
        .or_else(|| {
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or_default()
}

impl<S: Send + Sync> FromRequestParts<S> for Locale {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(resolve(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_have_the_same_keys() {
        let zh: std::collections::BTreeSet<_> = parse(ZH).into_keys().collect();
        let en: std::collections::BTreeSet<_> = parse(EN).into_keys().collect();
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "zh only {only_zh:?}, en only {only_en:?}"
        );
    }

    #[test]
    fn accept_language_honours_q_values() {
        assert_eq!(
            Locale::from_accept_language("fr, en;q=0.8, zh;q=0.5"),
            Some(Locale::En)
        );
        assert_eq!(
            Locale::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Locale::ZhCn)
        );
        assert_eq!(Locale::from_accept_language("de"), None);
    }

    #[test]
    fn english_counts_get_separators_chinese_do_not() {
        assert_eq!(Locale::En.count(1440), "1,440");
        assert_eq!(Locale::En.count(-1234567), "-1,234,567");
        assert_eq!(Locale::ZhCn.count(1440), "1440");
    }
}
