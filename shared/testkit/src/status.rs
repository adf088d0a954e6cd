//! What a refusal carries besides its code: google.rpc error details, as tests compare them.

use tonic_types::StatusExt;

/// The google.rpc.BadRequest field violations, as (field, description).
pub fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| (v.field.clone(), v.description.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The fields a google.rpc.BadRequest names, in its order.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    violations(status)
        .into_iter()
        .map(|(field, _)| field)
        .collect()
}

/// The google.rpc.ErrorInfo reason, or "" without one.
pub fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// The google.rpc.LocalizedMessage as (locale, message), or empty strings without one.
pub fn localized(status: &tonic::Status) -> (String, String) {
    status
        .get_error_details()
        .localized_message()
        .map(|m| (m.locale.clone(), m.message.clone()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::{ErrorDetails, FieldViolation};

    #[test]
    fn reads_back_what_a_service_attaches() {
        let mut details = ErrorDetails::with_bad_request(vec![FieldViolation::new(
            "punches[2].user_id",
            "must not be empty",
        )]);
        details.set_error_info("TOKEN_NOT_AVAILABLE", "kintai", []);
        details.set_localized_message("ja-JP", "トークンがありません");
        let status =
            tonic::Status::with_error_details(tonic::Code::InvalidArgument, "bad", details);
        assert_eq!(
            violations(&status),
            vec![(
                "punches[2].user_id".to_owned(),
                "must not be empty".to_owned()
            )]
        );
        assert_eq!(violated_fields(&status), vec!["punches[2].user_id"]);
        assert_eq!(reason(&status), "TOKEN_NOT_AVAILABLE");
        assert_eq!(
            localized(&status),
            ("ja-JP".to_owned(), "トークンがありません".to_owned())
        );
        let plain = tonic::Status::internal("x");
        assert!(violations(&plain).is_empty());
        assert_eq!(reason(&plain), "");
    }
}
