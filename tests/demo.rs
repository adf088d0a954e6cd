//! `kintai demo`, the README's run command, end to end.

mod common;

#[test]
fn the_demo_prints_the_tables_and_exits_0_when_king_of_time_holds_what_was_recorded() {
    let output = common::kintai().arg("demo").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "連携状況",
        "U000123         市ヶ谷 市子  有効 アカウント同期: 2024-06-07 21:00:00",
        "ヒント",
        "KING OF TIME タイムカード",
        "06/03 (月)  市ヶ谷 いちこ  A 07:51 (東京都調布市)",
        "A 翌06:10",
        "× 連携されません",
        "OK: KING OF TIME holds exactly the 19 punches",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from:\n{stdout}"
        );
    }
}
