## What is wrong with a request field (google.rpc.BadRequest field descriptions, RecordPunches'
## per-punch rejections); the field's name is given beside the text.

field-required = is required
field-too-long = must be at most { $max } characters
field-control-characters = must not contain control characters
field-surrounding-spaces = must not start or end with spaces
field-duplicate = appears more than once in this batch
field-not-before = must not be before { $other }
field-unknown-value = { $value } is not a known { $kind }
field-day = must be a day as YYYY-MM-DD
field-page-token = is not a page token this server issued
field-page-size = must be at most { $max }
field-batch-too-large = has { $len } items; at most { $max } are allowed per call: split the batch
field-required-without-punch-ids = is required when punch_ids is empty
field-empty-with-punch-ids = must be empty when punch_ids are given (one or the other)
field-punch-ids-or-range = name the punches, or give from_date and to_date for every FAILED punch of that range
field-token-length = must be { $min } to { $max } characters
field-token-characters = must be printable ASCII without spaces (copy it again from KING OF TIME)
field-api-terms = must be true: the administrator has to accept the KING OF TIME API 利用規約 (承諾する)
field-data-sharing = must be true: the administrator has to accept the 同意書 on sharing KING OF TIME data (承諾する)
field-status-kind-required = is required (勤務開始, 勤務中, 勤務終了 or 勤務外)
field-platform-required = is required (Android or iOS)
field-coordinate-pair = is required when { $other } is given: send both or neither
field-coordinate-range = must be between -{ $bound } and { $bound } degrees
field-timestamp-nanos = has nanos outside 0..999,999,999
field-timestamp-unrepresentable = is not a representable instant
field-timestamp-too-old = is before 2000-01-01; no cyzen punch is that old
field-timestamp-future = is more than { $minutes } minutes ahead of the server's clock ({ $at }; by the server's clock it is { $now }): check the phone's clock
field-version-format = "{ $text }" is not a version MAJOR.MINOR.PATCH, e.g. 3.60.0
field-version-too-old = cyzen for { $platform } { $text } cannot link with KING OF TIME; version { $minimum } or later is required
field-punch-conflict = conflict: a punch with this id was already stored with other content; punch ids cannot be reused
field-format-characters = must not contain invisible format or bidirectional control characters ({ $chars })
field-timestamp-future-seconds = is more than { $seconds } seconds ahead of the server's clock ({ $at }; by the server's clock it is { $now }): check the phone's clock
