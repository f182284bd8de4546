//! Typed projections of loosely typed values: numbers sent as strings, `{desc, value}` config
//! wrappers, and the timestamp policy.
//!
//! # Timestamp policy
//!
//! Every timestamp becomes microseconds since the Unix epoch, UTC:
//! - ISO 8601 / RFC 3339 text with `Z` or an offset is converted to UTC;
//! - text without a zone (`2025-09-12 18:44:37`, what dr_wandb v0 wrote with
//!   `datetime.fromtimestamp`, i.e. the exporting machine's local time) is read as if it were
//!   UTC shifted by [`TimePolicy::naive_offset_minutes`] (0 unless the caller knows better), and
//!   counted as naive so the conversion summary says how many there were;
//! - a trailing ` UTC` (oe-eval's `current_date`) counts as a zone;
//! - numbers (and numeric strings) are epoch seconds; magnitudes above 1e11 are read as
//!   milliseconds and above 1e14 as microseconds, since no run predates 1973 or postdates 5138.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::json::{Json, Number};

/// How to read timestamps that carry no zone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimePolicy {
    /// Minutes east of UTC of the clock that wrote naive timestamps.
    pub naive_offset_minutes: i32,
}

/// A parsed timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Microseconds since the Unix epoch, UTC.
    pub micros: i64,
    /// The source carried no zone; [`TimePolicy`] supplied it.
    pub naive: bool,
}

/// Reads a timestamp by the module's policy. `Ok(None)` for null; `Err` names what was seen.
pub fn timestamp(value: &Json, policy: TimePolicy) -> Result<Option<Timestamp>, String> {
    match value {
        Json::Null => Ok(None),
        Json::Number(n) => epoch(n.as_f64()).map(Some),
        Json::String(s) => timestamp_text(s, policy).map(Some),
        other => Err(format!("not a timestamp: {}", other.to_text())),
    }
}

fn epoch(secs: f64) -> Result<Timestamp, String> {
    Ok(Timestamp {
        micros: epoch_micros(secs)?,
        naive: false,
    })
}

/// Microseconds of an epoch time in seconds, milliseconds or microseconds (told apart by
/// magnitude).
pub(crate) fn epoch_micros(secs: f64) -> Result<i64, String> {
    if !secs.is_finite() {
        return Err(format!("not a finite epoch time: {secs}"));
    }
    let micros = if secs.abs() >= 1e14 {
        secs
    } else if secs.abs() >= 1e11 {
        secs * 1e3
    } else {
        secs * 1e6
    };
    Ok(micros.round() as i64)
}

fn timestamp_text(s: &str, policy: TimePolicy) -> Result<Timestamp, String> {
    let t = s.trim();
    if let Ok(secs) = t.parse::<f64>() {
        return epoch(secs);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(Timestamp {
            micros: dt.timestamp_micros(),
            naive: false,
        });
    }
    let (body, utc) = match t.strip_suffix(" UTC").or_else(|| t.strip_suffix("Z")) {
        Some(b) => (b.trim_end(), true),
        None => (t, false),
    };
    // RFC 3339 with a space instead of `T`, and with or without an offset.
    if let Ok(dt) = DateTime::parse_from_str(body, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Ok(Timestamp {
            micros: dt.timestamp_micros(),
            naive: false,
        });
    }
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(body, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(body, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .ok_or_else(|| format!("not a timestamp: {s:?}"))?;
    let micros = naive.and_utc().timestamp_micros();
    if utc {
        Ok(Timestamp {
            micros,
            naive: false,
        })
    } else {
        Ok(Timestamp {
            micros: micros - i64::from(policy.naive_offset_minutes) * 60_000_000,
            naive: true,
        })
    }
}

/// A config value without its `{desc, value}` wrapper (offline `config.yaml` style).
pub fn unwrap_config_value(v: &Json) -> &Json {
    if let Json::Object(o) = v
        && !o.is_empty()
        && o.len() <= 2
        && o.iter().all(|(k, _)| k == "desc" || k == "value")
        && let Some(inner) = o.get("value")
    {
        return inner;
    }
    v
}

/// A float from a number, or from a string holding one (`"5e-06"`, `"NaN"`).
pub fn f64_lenient(v: &Json) -> Option<f64> {
    match unwrap_config_value(v) {
        Json::Number(n) => Some(n.as_f64()),
        Json::String(s) => parse_number_text(s).map(|n| n.as_f64()),
        _ => None,
    }
}

/// An integer from an integral number or a string holding one (`"57786"`, `1250.0`).
pub fn i64_lenient(v: &Json) -> Option<i64> {
    match unwrap_config_value(v) {
        Json::Number(n) => n.as_i64_lenient(),
        Json::String(s) => parse_number_text(s).and_then(|n| n.as_i64_lenient()),
        _ => None,
    }
}

/// Text from a string, or a scalar's JSON spelling.
pub fn string_lenient(v: &Json) -> Option<String> {
    match unwrap_config_value(v) {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.raw().to_owned()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A number spelled as text, if the whole (trimmed) text is one.
pub fn parse_number_text(s: &str) -> Option<Number> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    match crate::json::parse(t) {
        Ok(Json::Number(n)) => Some(n),
        _ => match t.to_ascii_lowercase().as_str() {
            "nan" => Some(Number::from_f64(f64::NAN)),
            "inf" | "+inf" | "infinity" => Some(Number::from_f64(f64::INFINITY)),
            "-inf" | "-infinity" => Some(Number::from_f64(f64::NEG_INFINITY)),
            _ => None,
        },
    }
}

/// Flattens nested objects into `a.b.c` keys; arrays and scalars are leaves.
pub fn flatten<'a>(prefix: &str, v: &'a Json, out: &mut Vec<(String, &'a Json)>) {
    match unwrap_config_value(v) {
        Json::Object(o) if !o.is_empty() => {
            for (k, child) in o.iter() {
                let key = if prefix.is_empty() {
                    k.to_owned()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, child, out);
            }
        }
        leaf => out.push((prefix.to_owned(), leaf)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn ts(text: &str) -> Timestamp {
        timestamp(&parse(text).expect("json"), TimePolicy::default())
            .expect("timestamp")
            .expect("non-null")
    }

    #[test]
    fn timestamps_follow_the_policy() {
        // 2025-09-13T01:44:37Z
        let utc = 1_757_727_877_000_000;
        assert_eq!(ts(r#""2025-09-13T01:44:37Z""#).micros, utc);
        assert_eq!(ts(r#""2025-09-13T03:44:37+02:00""#).micros, utc);
        assert_eq!(ts(r#""2025-09-13 01:44:37 UTC""#).micros, utc);
        assert_eq!(ts("1757727877.0").micros, utc);
        assert_eq!(ts("1757727877000").micros, utc);
        assert_eq!(ts(r#""1757727877""#).micros, utc);
        assert_eq!(ts("1755582470.1").micros, 1_755_582_470_100_000);
        let naive = ts(r#""2025-09-13 01:44:37""#);
        assert_eq!(
            naive,
            Timestamp {
                micros: utc,
                naive: true
            }
        );
        let shifted = timestamp(
            &parse(r#""2025-09-12 18:44:37""#).expect("json"),
            TimePolicy {
                naive_offset_minutes: -7 * 60,
            },
        )
        .expect("ok")
        .expect("some");
        assert_eq!(shifted.micros, utc);
        assert_eq!(timestamp(&Json::Null, TimePolicy::default()), Ok(None));
        assert!(
            timestamp(
                &parse(r#""yesterday""#).expect("json"),
                TimePolicy::default()
            )
            .is_err()
        );
        assert!(timestamp(&parse("NaN").expect("json"), TimePolicy::default()).is_err());
    }

    #[test]
    fn lenient_numbers() {
        let v = |t: &str| parse(t).expect("json");
        assert_eq!(i64_lenient(&v(r#""57786""#)), Some(57786));
        assert_eq!(i64_lenient(&v("1250.0")), Some(1250));
        assert_eq!(i64_lenient(&v(r#""epoch""#)), None);
        assert_eq!(i64_lenient(&v(r#""168631869269606400000""#)), None);
        assert_eq!(
            f64_lenient(&v(r#""168631869269606400000""#)),
            Some(1.686318692696064e20)
        );
        assert!(f64_lenient(&v(r#""NaN""#)).expect("nan").is_nan());
        assert_eq!(
            f64_lenient(&v(r#"{"desc":null,"value":5e-06}"#)),
            Some(5e-06)
        );
        assert_eq!(f64_lenient(&v("true")), None);
        assert_eq!(string_lenient(&v("5e-06")), Some("5e-06".into()));
    }

    #[test]
    fn flatten_unwraps_and_joins_keys() {
        let v = parse(r#"{"a":{"desc":null,"value":{"b":1,"c":[1,2]}},"d":{},"e":null}"#)
            .expect("json");
        let mut out = Vec::new();
        flatten("", &v, &mut out);
        let got: Vec<_> = out.iter().map(|(k, v)| (k.as_str(), v.to_text())).collect();
        assert_eq!(
            got,
            vec![
                ("a.b", "1".to_owned()),
                ("a.c", "[1,2]".to_owned()),
                ("d", "{}".to_owned()),
                ("e", "null".to_owned())
            ]
        );
    }
}
