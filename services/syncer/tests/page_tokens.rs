//! Page tokens that decode but name a position no page of ours can end at (an instant out of
//! range, a day outside four-digit years, a part longer than any key) are refused like any other
//! bad token — INVALID_ARGUMENT naming `page_token` — instead of starting again at page 1.

mod common;

use common::*;
use kintai_core::Db;
use kintai_core::paging::encode_token;
use kintai_proto::syncer::v1::{ListDaysRequest, ListPunchesRequest};
use kintai_testkit::status::violated_fields;
use kintai_testkit::{both_engines, jst};
use tonic::Code;

const C: &str = "acme";

both_engines!(
    out_of_range_positions_are_bad_page_tokens,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, vec![clock_in("a", "u1", "2024-06-03T08:00:00")])
            .await;
        h.sync(C).await;

        // A token of our own still pages.
        let page = h
            .api()
            .list_punches(ListPunchesRequest {
                company_id: C.into(),
                page_token: encode_token(&["1717369200000", "0"]),
                ..ListPunchesRequest::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.punches.len(), 1);

        let long_id = "p".repeat(10_000);
        for millis in [
            i64::MIN.to_string(),
            i64::MAX.to_string(),
            "-1".to_owned(),
            "+1717369200000".to_owned(),
            "01717369200000".to_owned(),
            "253402300800000".to_owned(), // 10000-01-01
        ] {
            for id in ["a", long_id.as_str()] {
                let status = h
                    .api()
                    .list_punches(ListPunchesRequest {
                        company_id: C.into(),
                        page_token: encode_token(&[&millis, id]),
                        ..ListPunchesRequest::default()
                    })
                    .await
                    .expect_err(&millis);
                assert_eq!(status.code(), Code::InvalidArgument, "{millis}");
                assert_eq!(violated_fields(&status), ["page_token"], "{millis}");
            }
        }

        for day in ["0000-01-01", "+10000-01-01", "1970-01-01", "2024-6-3", ""] {
            let status = h
                .api()
                .list_days(ListDaysRequest {
                    company_id: C.into(),
                    page_token: encode_token(&[day, "u1"]),
                    ..ListDaysRequest::default()
                })
                .await
                .expect_err(day);
            assert_eq!(status.code(), Code::InvalidArgument, "{day}");
            assert_eq!(violated_fields(&status), ["page_token"], "{day}");
        }
        let ours = h
            .api()
            .list_days(ListDaysRequest {
                company_id: C.into(),
                page_token: encode_token(&["2024-06-02", "u1"]),
                ..ListDaysRequest::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(ours.days.len(), 1, "a day after 2024-06-02 follows");
    }
);
