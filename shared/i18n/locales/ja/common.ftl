# Shown as it is (KING OF TIME's own words, texts stored before localization).
verbatim = { $text }

## The status list (ListStatuses): what a status becomes in KING OF TIME, as the manual's 設定例.
mapping-clock-in = 出勤 連携
mapping-clock-out = 退勤 連携
mapping-break-start = 休憩開始 連携
mapping-break-end = 休憩終了 連携
mapping-not-synced = × 連携されません
