# Shown as it is (KING OF TIME's own words, texts stored before localization).
verbatim = { $text }

## The status list (ListStatuses): what a status becomes in KING OF TIME.
mapping-clock-in = sent as clock-in (出勤 連携)
mapping-clock-out = sent as clock-out (退勤 連携)
mapping-break-start = sent as break start (休憩開始 連携)
mapping-break-end = sent as break end (休憩終了 連携)
mapping-not-synced = not sent (× 連携されません)
