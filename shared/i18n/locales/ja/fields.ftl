## What is wrong with a request field (google.rpc.BadRequest field descriptions, RecordPunches'
## per-punch rejections): the field's name is given beside the text, so the text starts with
## what is wrong. $other names the related field.

field-required = 必須です。
field-too-long = { $max }文字以内で指定してください。
field-control-characters = 制御文字は使用できません。
field-surrounding-spaces = 先頭と末尾に空白は使用できません。
field-duplicate = このリクエストの中で重複しています。
field-not-before = { $other }より前の日付は指定できません。
field-unknown-value = 「{ $value }」は{ $kind }の値として認識できません。
field-day = YYYY-MM-DD形式の日付で指定してください。
field-page-token = このサーバーが発行したページトークンではありません。
field-page-size = { $max }以下で指定してください。
field-batch-too-large = { $len }件あります。1回の呼び出しで指定できるのは{ $max }件までです。分割して送信してください。
field-required-without-punch-ids = punch_idsが空の場合は必須です。
field-empty-with-punch-ids = punch_idsを指定した場合は空にしてください（どちらか一方を指定します）。
field-punch-ids-or-range = 打刻IDを指定するか、from_dateとto_dateで期間を指定してください（その期間のFAILEDの打刻がすべて対象になります）。
field-token-length = { $min }〜{ $max }文字で指定してください。
field-token-characters = 空白を含まない半角の英数字・記号で指定してください（KING OF TIMEからもう一度コピーしてください）。
field-api-terms = trueにしてください: 管理者がKING OF TIME APIの利用規約に承諾する必要があります（承諾する）。
field-data-sharing = trueにしてください: 管理者がKING OF TIMEのデータ共有に関する同意書に承諾する必要があります（承諾する）。
field-status-kind-required = 必須です（勤務開始、勤務中、勤務終了、勤務外のいずれか）。
field-platform-required = 必須です（AndroidまたはiOS）。
field-coordinate-pair = { $other }を指定した場合は必須です。緯度と経度は両方指定するか、どちらも指定しないでください。
field-coordinate-range = -{ $bound }〜{ $bound }度の範囲で指定してください。
field-timestamp-nanos = nanosが0〜999,999,999の範囲外です。
field-timestamp-unrepresentable = 表すことのできない日時です。
field-timestamp-too-old = 2000-01-01より前の日時です。cyzenの打刻がそれほど古いことはありません。
field-timestamp-future = サーバーの時計より{ $minutes }分を超えて先の日時です（{ $at }。サーバーの時計では現在{ $now }です）。端末の時計が進んでいないか確認してください。
field-version-format = 「{ $text }」はMAJOR.MINOR.PATCH形式のバージョンではありません（例: 3.60.0）。
field-version-too-old = { $platform }版cyzen { $text }はKING OF TIMEと連携できません。バージョン{ $minimum }以降が必要です。
field-punch-conflict = 同じpunch_idで内容の異なる打刻が既に保存されています。punch_idは再利用できません。
field-format-characters = 表示の向きや区切りを変える見えない文字（書式制御文字: { $chars }）は使用できません。
field-timestamp-future-seconds = サーバーの時計より{ $seconds }秒を超えて先の日時です（{ $at }。サーバーの時計では現在{ $now }です）。端末の時計が進んでいないか確認してください。
