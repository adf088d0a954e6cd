//! Match runs against the KING OF TIME simulator, on both engines: the manual's example, every
//! reason and hint, code changes, resignations, and the table's pages and filters. Runs that
//! cannot match (integration off, tokens, outages, fan-out past failures) are in
//! `run_failures.rs`; restricted hours and leases in `hours_and_leases.rs`.

mod common;

use common::{active_key, at, env, hint, reason};
use kintai_core::Db;
use kintai_core::paging::encode_token;
use kintai_matcher::{Employment, HintKind, LinkStatus, Outcome, Reason};
use kintai_proto::matcher::v1::{Link, LinkState, ListLinksRequest};
use kintai_testkit::both_engines;

both_engines!(the_manuals_example, |db: Db| async move {
    let env = env(db).await;
    env.company("c1");
    let ichiko = env.employee("c1", "U000123", "市ヶ谷", "いちこ");
    let shinsuke = env.employee("c1", "U000124", "湊山", "信輔");
    // KING OF TIME has U000528; the user typed U00528: a hint, not a link.
    env.employee("c1", "U000528", "千住", "五郎");
    env.users(
        "c1",
        &[
            ("u1", "U000123", "市ヶ谷 市子"),
            ("u2", "U000124", "湊山 信輔"),
            ("u3", "U00528", "千住 五郎"),
            ("u4", "", "戸田 八郎"),
            ("u5", "", "用賀 百男"),
        ],
    );

    let result = env.run_company("c1").await;
    assert_eq!(result.outcome, Outcome::Matched, "{result:?}");
    assert_eq!(
        (
            result.users,
            result.linked,
            result.unlinked,
            result.employees
        ),
        (5, 2, 3, 3)
    );
    assert_eq!(env.employee_list_calls(), 1);

    let links = env.links("c1").await;
    assert_eq!(links.len(), 5);
    let u1 = &links[0];
    assert_eq!(u1.row.user_name, "市ヶ谷 市子");
    assert_eq!(
        u1.row.status,
        LinkStatus::Active {
            employee_code: "U000123".into(),
            employee_key: ichiko,
            employee_name: "市ヶ谷 いちこ".into(),
            day_border: chrono::NaiveTime::MIN,
            employment: Employment::default(),
            division_code: "100".into(),
        }
    );
    assert_eq!(u1.account_synced_at, Some(at("12:00:00")));
    assert_eq!(active_key(&links[1]), Some(shinsuke));
    assert_eq!(links[1].account_synced_at, Some(at("12:00:00")));
    assert_eq!(reason(&links[2]), Some(Reason::NoEmployee));
    assert_eq!(
        hint(&links[2]),
        Some((HintKind::ZeroPadding, "U000528".into()))
    );
    assert_eq!(links[2].account_synced_at, None);
    assert_eq!(reason(&links[3]), Some(Reason::NoUserCode));
    assert_eq!(reason(&links[4]), Some(Reason::NoUserCode));
});

both_engines!(every_reason_and_every_hint, |db: Db| async move {
    let env = env(db).await;
    env.company("c1");
    let yesterday = at("12:00:00").date_naive().pred_opt();
    env.employee_resigned("c1", "R001", "退職", "済", yesterday);
    env.employee("c1", "D001", "重複", "先");
    env.employee("c1", "Z000123", "零", "詰");
    env.employee("c1", "W0001", "全", "角");
    env.employee("c1", "abc01", "小", "文字");
    env.employee("c1", "S0001", "空", "白");
    env.employee("c1", "L100", "ログ", "イン");
    env.users(
        "c1",
        &[
            ("a-none", "", "コードなし"),
            ("b-missing", "NOPE999", "存在しない"),
            ("c-resigned", "R001", "退職者"),
            ("d-dup1", "D001", "重複一"),
            ("d-dup2", "D001", "重複二"),
            ("e-zero", "Z00123", "ゼロ"),
            ("f-wide", "Ｗ０００１", "全角"),
            ("g-case", "ABC01", "大文字"),
            ("h-space", "S0001 ", "空白"),
            ("i-login", "kot3L100", "ログインID"),
        ],
    );
    let result = env.run_company("c1").await;
    assert_eq!(result.outcome, Outcome::Matched, "{result:?}");
    assert_eq!(result.linked, 0);
    assert_eq!(result.unlinked, 10);

    let links = env.links("c1").await;
    let by_id = |id: &str| {
        links
            .iter()
            .find(|l| l.row.user_id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    assert_eq!(reason(by_id("a-none")), Some(Reason::NoUserCode));
    assert_eq!(reason(by_id("b-missing")), Some(Reason::NoEmployee));
    assert_eq!(hint(by_id("b-missing")), None);
    assert_eq!(reason(by_id("c-resigned")), Some(Reason::EmployeeResigned));
    assert_eq!(reason(by_id("d-dup1")), Some(Reason::DuplicateUserCode));
    assert_eq!(reason(by_id("d-dup2")), Some(Reason::DuplicateUserCode));
    let expected = [
        ("e-zero", HintKind::ZeroPadding, "Z000123"),
        ("f-wide", HintKind::FullWidth, "W0001"),
        ("g-case", HintKind::LetterCase, "abc01"),
        ("h-space", HintKind::Whitespace, "S0001"),
        ("i-login", HintKind::LoginId, "L100"),
    ];
    for (id, kind, code) in expected {
        assert_eq!(reason(by_id(id)), Some(Reason::NoEmployee), "{id}");
        assert_eq!(hint(by_id(id)), Some((kind, code.to_owned())), "{id}");
    }
});

both_engines!(
    the_link_follows_code_equality_when_kot_changes_a_code,
    |db: Db| async move {
        let env = env(db).await;
        env.company("c1");
        let key = env.employee("c1", "U000123", "市ヶ谷", "いちこ");
        env.users(
            "c1",
            &[("u1", "U000123", "市ヶ谷 市子"), ("u2", "U000999", "新 人")],
        );
        env.run_company("c1").await;
        assert_eq!(active_key(&env.link("c1", "u1").await), Some(key.clone()));
        assert_eq!(
            reason(&env.link("c1", "u2").await),
            Some(Reason::NoEmployee)
        );

        // KING OF TIME renames the employee's code: the employee now equals u2, not u1.
        env.sim
            .change_employee_code(&key, "U000999")
            .expect("rename");
        env.set_time(at("13:00:00"));
        let result = env.run_company("c1").await;
        assert_eq!((result.outcome, result.linked), (Outcome::Matched, 1));
        assert_eq!(
            reason(&env.link("c1", "u1").await),
            Some(Reason::NoEmployee)
        );
        let u2 = env.link("c1", "u2").await;
        assert_eq!(active_key(&u2), Some(key.clone()));
        assert_eq!(u2.account_synced_at, Some(at("13:00:00")));

        // The administrator follows in cyzen: the same immutable key again.
        env.users("c1", &[("u1", "U000999", "市ヶ谷 市子")]);
        env.set_time(at("14:00:00"));
        env.run_company("c1").await;
        let links = env.links("c1").await;
        assert_eq!(
            links.len(),
            1,
            "a user gone from the directory is gone from the table"
        );
        assert_eq!(active_key(&links[0]), Some(key));
    }
);

both_engines!(employees_resigning_lose_their_link, |db: Db| async move {
    let env = env(db).await;
    env.company("c1");
    let key = env.employee("c1", "U000123", "市ヶ谷", "いちこ");
    env.users("c1", &[("u1", "U000123", "市ヶ谷 市子")]);
    env.run_company("c1").await;
    assert!(env.link("c1", "u1").await.row.is_active());

    // Last working day today: still linked; from tomorrow: resigned.
    let today = at("12:00:00").date_naive();
    env.sim.set_resignation(&key, Some(today)).expect("resign");
    env.run_company("c1").await;
    assert!(env.link("c1", "u1").await.row.is_active());
    env.set_time(at("23:59:59") + chrono::Duration::seconds(1));
    let result = env.run_company("c1").await;
    assert_eq!(
        (result.outcome, result.linked, result.employees),
        (Outcome::Matched, 0, 1)
    );
    assert_eq!(
        reason(&env.link("c1", "u1").await),
        Some(Reason::EmployeeResigned)
    );
});

both_engines!(pages_and_state_filters, |db: Db| async move {
    let env = env(db).await;
    env.company("c1");
    env.employee("c1", "E001", "社員", "一");
    env.employee("c1", "E002", "社員", "二");
    env.users(
        "c1",
        &[
            ("u1", "E001", "一"),
            ("u2", "", "二"),
            ("u3", "E002", "三"),
            ("u4", "", "四"),
            ("u5", "X", "五"),
        ],
    );
    env.run_company("c1").await;
    let all = env.links("c1").await;
    let ids: Vec<&str> = all.iter().map(|l| l.row.user_id.as_str()).collect();
    assert_eq!(ids, ["u1", "u2", "u3", "u4", "u5"]);
    let mut client = env.client();
    let page = |state: LinkState, after: Option<&str>, page_size: u32| ListLinksRequest {
        company_id: "c1".into(),
        state: state.into(),
        page_size,
        page_token: after.map(|key| encode_token(&[key])).unwrap_or_default(),
    };
    let ids = |links: &[Link]| -> Vec<String> { links.iter().map(|l| l.user_id.clone()).collect() };
    let active = client
        .list_links(page(LinkState::Active, None, 10))
        .await
        .expect("page")
        .into_inner();
    assert_eq!(ids(&active.links), ["u1", "u3"]);
    assert_eq!(active.next_page_token, "");
    assert_eq!(
        active.last_matched_at.as_ref().map(common::instant),
        Some(at("12:00:00"))
    );
    let inactive = client
        .list_links(page(LinkState::Inactive, Some("u2"), 1))
        .await
        .expect("page")
        .into_inner();
    assert_eq!(ids(&inactive.links), ["u4"]);
    assert_eq!(inactive.next_page_token, encode_token(&["u4"]));
    // A company never matched has an empty table.
    let none = client
        .list_links(ListLinksRequest {
            company_id: "nobody".into(),
            ..page(LinkState::Unspecified, None, 10)
        })
        .await
        .expect("page")
        .into_inner();
    assert!(none.links.is_empty() && none.last_matched_at.is_none());
});
