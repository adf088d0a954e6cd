//! `kintai demo`, the README's run command, end to end.

mod common;

#[test]
fn the_demo_prints_the_tables_and_exits_0_when_king_of_time_holds_what_was_recorded() {
    // Whatever the machine's locale: a locale that names no language shows Japanese.
    let output = common::kintai()
        .arg("demo")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "連携状況",
        // The demo's clock flows from 21:00: the match is a few seconds in, more on a busy machine.
        "U000123         市ヶ谷 市子  有効 アカウント同期: 2024-06-07 21:0",
        // A switch-off and a code fix take effect at once.
        "連携状況 at once, no match in between: KING OF TIME連携 無効",
        "ユーザーコードが変更されました",
        "U000528         千住 五郎    有効",
        "湊山 信輔: the division's day starts at 05:00 (日付変更時間)",
        "KING OF TIME タイムカード",
        "06/03 (月)  市ヶ谷 いちこ  A 07:51 (東京都調布市)",
        "A 翌06:10",
        "× 連携されません",
        // The product's own texts in Japanese, as the admin site shows them.
        "× 連携されません: ステータス「作業開始」の種別は勤務中です。",
        "連携状況が無効です: ユーザーコードが設定されていません。",
        // The day check: the double 出勤 day is KING OF TIME's エラー勤務, with the cause.
        "照合 (day check",
        "2024-06-05  市ヶ谷 市子  エラー勤務  KING OF TIME がエラー勤務としています。考えられる原因: この日に cyzen から出勤が 2 回あります (出勤 07:56, 出勤 08:05)",
        "2024-06-05  湊山 信輔    OK",
        "OK: KING OF TIME holds exactly the 22 punches",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from:\n{stdout}"
        );
    }
}

#[test]
fn the_demo_follows_the_process_locale_and_the_lang_flag() {
    let run = |command: &mut std::process::Command| {
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let english = run(common::kintai()
        .arg("demo")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "en_US.UTF-8"));
    for expected in [
        "not sent (× 連携されません)",
        "The user code changed (\"U00528\" → \"U000528\")",
        "連携状況 is 無効: The user has no user code",
    ] {
        assert!(
            english.contains(expected),
            "{expected:?} missing from:\n{english}"
        );
    }
    // The flag wins over the locale.
    let japanese = run(common::kintai()
        .args(["demo", "--lang", "ja"])
        .env("LC_ALL", "en_US.UTF-8"));
    assert!(
        japanese.contains("ユーザーコードが変更されました（「U00528」→「U000528」）"),
        "{japanese}"
    );
    assert!(!japanese.contains("The user code changed"), "{japanese}");
}
