//! Whether KING OF TIME holds exactly what the demo's week should have put there.

use std::collections::BTreeMap;

use kintai_proto::syncer::v1::{PunchInput, PunchRecord};

use super::data;

/// KING OF TIME must hold, once each, exactly the recorded punches of linked users whose flag is
/// on and whose status is synced: compared as (employee key, instant, code) multisets.
pub(crate) fn verify(
    recorded: &[PunchInput],
    punches: &[PunchRecord],
    keys_by_user: &BTreeMap<String, String>,
    stored: &[kot_sim::StoredPunch],
) -> Result<usize, String> {
    // The two users whose codes equal employee codes must be linked, or the comparison below
    // would pass vacuously.
    for user_id in ["u1", "u2"] {
        if !keys_by_user.contains_key(user_id) {
            return Err(format!(
                "user {user_id} was not linked to a KING OF TIME employee"
            ));
        }
    }
    let flagged: Vec<&str> = data::ENABLED_USERS.to_vec();
    let mut expected: Vec<(String, i64, String)> = recorded
        .iter()
        .filter(|punch| flagged.contains(&punch.user_id.as_str()))
        .filter_map(|punch| {
            let key = keys_by_user.get(&punch.user_id)?;
            let kind = kintai_proto::common::v1::StatusKind::try_from(punch.status_kind).ok()?;
            let code = match kintai_core::punch_type::punch_type(kind, &punch.status_name) {
                kintai_proto::common::v1::PunchType::ClockIn => "1",
                kintai_proto::common::v1::PunchType::ClockOut => "2",
                kintai_proto::common::v1::PunchType::BreakStart => "3",
                kintai_proto::common::v1::PunchType::BreakEnd => "4",
                _ => return None,
            };
            Some((
                key.clone(),
                punch.punched_at.as_ref()?.seconds,
                code.to_owned(),
            ))
        })
        .collect();
    let mut actual: Vec<(String, i64, String)> = stored
        .iter()
        .map(|punch| {
            (
                punch.employee_key.clone(),
                punch.time.timestamp(),
                punch.code.clone().unwrap_or_default(),
            )
        })
        .collect();
    expected.sort();
    actual.sort();
    if expected != actual {
        return Err(format!(
            "expected {} punches in KING OF TIME, found {}; missing {:?}; unexpected {:?}",
            expected.len(),
            actual.len(),
            expected
                .iter()
                .filter(|p| !actual.contains(p))
                .collect::<Vec<_>>(),
            actual
                .iter()
                .filter(|p| !expected.contains(p))
                .collect::<Vec<_>>()
        ));
    }
    let sent = punches
        .iter()
        .filter(|p| p.state() == kintai_proto::syncer::v1::PunchState::Sent)
        .count();
    if sent != expected.len() {
        return Err(format!(
            "the syncer reports {sent} punches sent, KING OF TIME holds {}",
            expected.len()
        ));
    }
    Ok(expected.len())
}
