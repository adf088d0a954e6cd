//! Per-punch checks of RecordPunches: the proto input becomes a [`NewPunch`] or a rejection
//! naming the first offending field. The rest of the batch is stored either way.

use chrono::{DateTime, TimeDelta, Utc};
use kintai_core::validate::{MAX_NAME_CHARS, Violations};
use kintai_i18n::Text;
use kintai_proto::common::v1::StatusKind as ProtoKind;
use kintai_proto::syncer::v1::{Platform as ProtoPlatform, PunchInput};

use crate::model::{NewPunch, Platform, StatusKind};

/// Longest address kept (proto: at most 200 characters).
pub const MAX_ADDRESS_CHARS: usize = 200;
/// Nothing before 2000-01-01 00:00 JST is a real cyzen punch.
pub const EARLIEST_MILLIS: i64 = 946_652_400_000;

/// A version as MAJOR.MINOR.PATCH.
pub type Version = (u32, u32, u32);

/// Manual, ご利用可能なバージョン: the link works from these versions...
pub const ANDROID_MINIMUM: Version = (3, 33, 0);
pub const IOS_MINIMUM: Version = (3, 31, 0);
/// ... and is supported from these.
pub const ANDROID_SUPPORTED: Version = (3, 59, 0);
pub const IOS_SUPPORTED: Version = (3, 56, 0);

/// Why one punch of a batch was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Path from the request, e.g. `punches[4].latitude`.
    pub field: String,
    pub reason: Text,
}

/// Checks punch `index` of a batch against our clock's `now`, allowing the punch to be at most
/// `max_ahead` later than `now` (`syncer.max_clock_skew_secs`: a phone's clock runs a little
/// ahead; further ahead, the punch would be posted to KING OF TIME before its own instant).
pub fn check_punch(
    index: usize,
    input: &PunchInput,
    now: DateTime<Utc>,
    max_ahead: TimeDelta,
) -> Result<NewPunch, Rejection> {
    let path = |name: &str| format!("punches[{index}].{name}");
    let reject = |(name, reason): (&str, Text)| Rejection {
        field: path(name),
        reason,
    };

    let mut violations = Violations::new();
    violations.id(&path("punch_id"), &input.punch_id);
    violations.id(&path("user_id"), &input.user_id);
    violations.id(&path("status_id"), &input.status_id);
    violations.required_text(&path("status_name"), &input.status_name, MAX_NAME_CHARS);
    first_violation(violations)?;
    let status_kind = status_kind(input.status_kind).map_err(reject)?;
    let punched_at = check_instant(input.punched_at.as_ref(), now, max_ahead)
        .map_err(|reason| reject(("punched_at", reason)))?;
    let (latitude, longitude) = location(input.latitude, input.longitude).map_err(reject)?;
    let mut address = Violations::new();
    address.text(&path("address"), &input.address, MAX_ADDRESS_CHARS);
    first_violation(address)?;
    let platform = platform(input.platform).map_err(reject)?;
    let unsupported_app_version = check_app_version(platform, &input.app_version)
        .map_err(|reason| reject(("app_version", reason)))?;

    Ok(NewPunch {
        punch_id: input.punch_id.clone(),
        user_id: input.user_id.clone(),
        status_id: input.status_id.clone(),
        status_name: input.status_name.clone(),
        status_kind,
        punched_at,
        latitude,
        longitude,
        address: input.address.clone(),
        platform,
        app_version: input.app_version.clone(),
        unsupported_app_version,
    })
}

/// The first problem `violations` found, as the punch's rejection.
fn first_violation(violations: Violations) -> Result<(), Rejection> {
    match violations.iter().next() {
        Some((field, reason)) => Err(Rejection {
            field: field.to_owned(),
            reason: reason.clone(),
        }),
        None => Ok(()),
    }
}

/// A problem of one field of the punch: the field's name and why.
type FieldProblem = (&'static str, Text);

fn status_kind(value: i32) -> Result<StatusKind, FieldProblem> {
    match ProtoKind::try_from(value) {
        Ok(ProtoKind::WorkStart) => Ok(StatusKind::WorkStart),
        Ok(ProtoKind::Working) => Ok(StatusKind::Working),
        Ok(ProtoKind::WorkEnd) => Ok(StatusKind::WorkEnd),
        Ok(ProtoKind::OffDuty) => Ok(StatusKind::OffDuty),
        Ok(ProtoKind::Unspecified) => Err(("status_kind", Text::new("field-required"))),
        Err(_) => Err((
            "status_kind",
            Text::new("field-unknown-value")
                .arg("value", value)
                .arg("kind", "StatusKind"),
        )),
    }
}

/// Latitude and longitude, each in range, both or neither: half a coordinate is no location
/// (KING OF TIME would get a point on the equator or the prime meridian), and the missing one is
/// the field to fix.
fn location(
    latitude: Option<f64>,
    longitude: Option<f64>,
) -> Result<(Option<f64>, Option<f64>), FieldProblem> {
    let latitude = check_coordinate(latitude, 90.0).map_err(|r| ("latitude", r))?;
    let longitude = check_coordinate(longitude, 180.0).map_err(|r| ("longitude", r))?;
    match (latitude, longitude) {
        (Some(_), None) => Err((
            "longitude",
            Text::new("field-coordinate-pair").arg("other", "latitude"),
        )),
        (None, Some(_)) => Err((
            "latitude",
            Text::new("field-coordinate-pair").arg("other", "longitude"),
        )),
        pair => Ok(pair),
    }
}

fn platform(value: i32) -> Result<Platform, FieldProblem> {
    match ProtoPlatform::try_from(value) {
        Ok(ProtoPlatform::Android) => Ok(Platform::Android),
        Ok(ProtoPlatform::Ios) => Ok(Platform::Ios),
        Ok(ProtoPlatform::Unspecified) => Err(("platform", Text::new("field-platform-required"))),
        Err(_) => Err((
            "platform",
            Text::new("field-unknown-value")
                .arg("value", value)
                .arg("kind", "Platform"),
        )),
    }
}

/// The instant, truncated to milliseconds: present, valid, not before 2000, not more than
/// `max_ahead` ahead of `now`.
fn check_instant(
    timestamp: Option<&prost_types::Timestamp>,
    now: DateTime<Utc>,
    max_ahead: TimeDelta,
) -> Result<DateTime<Utc>, Text> {
    let timestamp = timestamp.ok_or_else(|| Text::new("field-required"))?;
    let nanos = u32::try_from(timestamp.nanos)
        .ok()
        .filter(|n| *n < 1_000_000_000)
        .ok_or_else(|| Text::new("field-timestamp-nanos"))?;
    let instant = DateTime::from_timestamp(timestamp.seconds, nanos)
        .ok_or_else(|| Text::new("field-timestamp-unrepresentable"))?;
    let millis = instant.timestamp_millis();
    if millis < EARLIEST_MILLIS {
        return Err(Text::new("field-timestamp-too-old"));
    }
    if instant > now + max_ahead {
        let seconds = max_ahead.num_seconds();
        let limit = if seconds % 60 == 0 {
            Text::new("field-timestamp-future").arg("minutes", seconds / 60)
        } else {
            Text::new("field-timestamp-future-seconds").arg("seconds", seconds)
        };
        return Err(limit
            .arg("at", kot_client::format_kot_time(&instant))
            .arg("now", kot_client::format_kot_time(&now)));
    }
    Ok(DateTime::from_timestamp_millis(millis).unwrap_or(instant))
}

fn check_coordinate(value: Option<f64>, bound: f64) -> Result<Option<f64>, Text> {
    match value {
        None => Ok(None),
        // -0.0 becomes 0.0 (`-0.0 + 0.0` is `+0.0`): SQLite stores a negative zero as 0, and a
        // resend, compared bit for bit with the stored value, would otherwise be a conflict.
        Some(v) if v.is_finite() && (-bound..=bound).contains(&v) => Ok(Some(v + 0.0)),
        Some(_) => Err(Text::new("field-coordinate-range").arg("bound", bound)),
    }
}

/// `Ok(true)` for a version that works but is below the supported range; an error below the
/// minimum (manual: ご利用可能なバージョン) or for a malformed version.
pub fn check_app_version(platform: Platform, text: &str) -> Result<bool, Text> {
    let version =
        parse_version(text).ok_or_else(|| Text::new("field-version-format").arg("text", text))?;
    let (name, minimum, supported) = match platform {
        Platform::Android => ("Android", ANDROID_MINIMUM, ANDROID_SUPPORTED),
        Platform::Ios => ("iOS", IOS_MINIMUM, IOS_SUPPORTED),
    };
    if version < minimum {
        let (a, b, c) = minimum;
        return Err(Text::new("field-version-too-old")
            .arg("platform", name)
            .arg("text", text)
            .arg("minimum", format!("{a}.{b}.{c}")));
    }
    Ok(version < supported)
}

/// Three dot-separated decimal numbers, nothing else.
pub fn parse_version(text: &str) -> Option<Version> {
    let mut parts = text.split('.').map(|part| {
        if part.is_empty() || part.len() > 9 || !part.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            part.parse::<u32>().ok()
        }
    });
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_strictly() {
        assert_eq!(parse_version("3.59.0"), Some((3, 59, 0)));
        assert_eq!(parse_version("10.0.12"), Some((10, 0, 12)));
        for bad in [
            "", "3", "3.59", "3.59.0.1", "3.x.0", "v3.59.0", " 3.59.0", "3..0", "-1.0.0",
        ] {
            assert_eq!(parse_version(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_manuals_version_ranges() {
        use Platform::{Android, Ios};
        assert!(check_app_version(Android, "3.32.9").is_err());
        assert_eq!(check_app_version(Android, "3.33.0"), Ok(true));
        assert_eq!(check_app_version(Android, "3.58.99"), Ok(true));
        assert_eq!(check_app_version(Android, "3.59.0"), Ok(false));
        assert!(check_app_version(Ios, "3.30.9").is_err());
        assert_eq!(check_app_version(Ios, "3.31.0"), Ok(true));
        assert_eq!(check_app_version(Ios, "3.56.0"), Ok(false));
        assert_eq!(check_app_version(Ios, "4.0.0"), Ok(false));
        let reason = check_app_version(Android, "2.0.0").unwrap_err();
        for lang in kintai_i18n::Lang::ALL {
            let shown = reason.render(lang);
            assert!(
                shown.contains("3.33.0") && shown.contains("2.0.0"),
                "{shown}"
            );
        }
    }

    #[test]
    fn instants_are_bounded_and_truncated() {
        let now = DateTime::from_timestamp(1_717_400_000, 0).unwrap();
        let at = |seconds: i64, nanos: i32| prost_types::Timestamp { seconds, nanos };
        let check_instant =
            |t: Option<&prost_types::Timestamp>, now| check_instant(t, now, TimeDelta::minutes(10));
        assert!(check_instant(None, now).is_err());
        assert!(check_instant(Some(&at(1, -1)), now).is_err());
        assert!(check_instant(Some(&at(946_652_399, 0)), now).is_err());
        assert!(check_instant(Some(&at(946_652_400, 0)), now).is_ok());
        assert!(check_instant(Some(&at(1_717_400_600, 0)), now).is_ok());
        assert!(check_instant(Some(&at(1_717_400_601, 0)), now).is_err());
        assert!(check_instant(Some(&at(i64::MAX, 0)), now).is_err());
        let ninety = super::check_instant(Some(&at(1_717_400_091, 0)), now, TimeDelta::seconds(90));
        let english = ninety.unwrap_err().render(kintai_i18n::Lang::En);
        assert!(english.contains("90 seconds"), "{english}");
        let truncated = check_instant(Some(&at(1_717_400_000, 123_456_789)), now).unwrap();
        assert_eq!(truncated.timestamp_subsec_nanos(), 123_000_000);
    }

    #[test]
    fn a_location_has_both_coordinates_or_none() {
        let now = DateTime::from_timestamp(1_717_400_000, 0).unwrap();
        let input = PunchInput {
            punch_id: "p1".into(),
            user_id: "u1".into(),
            status_id: "s1".into(),
            status_name: "出勤".into(),
            status_kind: ProtoKind::WorkStart.into(),
            punched_at: Some(prost_types::Timestamp {
                seconds: 1_717_399_000,
                nanos: 0,
            }),
            latitude: Some(35.68),
            longitude: Some(139.76),
            platform: ProtoPlatform::Android.into(),
            app_version: "3.60.0".into(),
            ..PunchInput::default()
        };
        assert!(check_punch(0, &input, now, TimeDelta::minutes(2)).is_ok());
        let neither = PunchInput {
            latitude: None,
            longitude: None,
            ..input.clone()
        };
        assert!(check_punch(0, &neither, now, TimeDelta::minutes(2)).is_ok());
        let half = PunchInput {
            longitude: None,
            ..input.clone()
        };
        let rejection = check_punch(3, &half, now, TimeDelta::minutes(2)).unwrap_err();
        assert_eq!(rejection.field, "punches[3].longitude");
        let reason = rejection.reason.render(kintai_i18n::Lang::En);
        assert!(reason.contains("latitude"), "{reason}");
        let other_half = PunchInput {
            latitude: None,
            ..input
        };
        assert_eq!(
            check_punch(0, &other_half, now, TimeDelta::minutes(2))
                .unwrap_err()
                .field,
            "punches[0].latitude"
        );
    }

    #[test]
    fn coordinates_are_bounded_and_finite() {
        assert_eq!(check_coordinate(Some(90.0), 90.0), Ok(Some(90.0)));
        assert!(check_coordinate(Some(90.0001), 90.0).is_err());
        assert!(check_coordinate(Some(f64::NAN), 90.0).is_err());
        assert!(check_coordinate(Some(f64::INFINITY), 180.0).is_err());
        assert_eq!(check_coordinate(None, 90.0), Ok(None));
    }
}
