## Why a punch is held, waiting, failed or retrying (ListPunches, RunSync), and how a run ended.
## $reason / $why are texts themselves; $error is what failed, in the engineers' words.

company-not-ready = この会社は連携できません: { $reason }
company-disabled = この会社の勤怠連携は無効です。
company-no-token = KING OF TIMEのトークンが登録されていません（トークン発行）。
company-token-rejected = KING OF TIMEがトークンを拒否しました。新しいトークンを発行して登録してください（トークン発行）。
company-token-unreadable = 登録されたトークンを暗号化した鍵が、設定サービスに設定されていないため復号できません。鍵を設定に戻すか、トークンを登録し直してください（トークン発行）。
company-token-key-mismatch = 登録されたトークンを、設定サービスに設定されている同じIDの暗号鍵で復号できません（鍵の内容が異なります）。トークンを暗号化した時の鍵を設定するか、トークンを登録し直してください（トークン発行）。
company-unusable = 勤怠連携が無効か、使用できるKING OF TIMEのトークンがありません。
company-token-refused = KING OF TIMEがトークンを拒否しました（403、コード100）: { $error }

hold-user-deleted = このユーザーはcyzenのユーザー一覧にありません（削除済み）。このユーザーの打刻は連携されません。
hold-link-off = このユーザーのKING OF TIME連携は無効です。
hold-user-not-listed = このユーザーはまだアカウント同期されていません（連携状況が不明です）。次回のアカウント同期をお待ちください。
hold-not-linked = 連携状況が無効です: { $reason }
hold-no-employee = KING OF TIMEの従業員と連携されていません。
hold-earlier-month = { $year }年{ $month }月の打刻で、このユーザーの連携開始より前のため連携されません。連携されるのは当月分のデータです。
hold-day-closed = KING OF TIMEで{ $day }は締め済みです（締め後の打刻も記録され、給与計算済みの期間が変わります）。KING OF TIMEで締めを解除するか、打刻一覧から締め済みの日へ送信してください（RetryPunches の closed_day）。
hold-before-hired = KING OF TIMEでは{ $day }は入社日（{ $hired }）より前のため、在職期間外の勤務になります。KING OF TIMEで入社日を確認してください。次回のアカウント同期で正しい入社日が読まれると送信されます。
hold-after-resigned = KING OF TIMEでは{ $day }は退職日（{ $resigned }）より後のため、在職期間外の勤務になります。KING OF TIMEで退職日を確認してください。次回のアカウント同期で正しい退職日が読まれると送信されます。

punch-awaiting-run = 次回の同期で、会社の設定、ユーザーのKING OF TIME連携、連携状況を確認します。
punch-awaiting-answer = KING OF TIMEに送信しました。応答を待っています（応答がない場合は勤務日を読み戻して確認します）。
punch-expired = 連携されません: { $cutoff }より前の打刻です。KING OF TIMEに連携されるのは当月分のデータと、その時点で連携されていたユーザーの前月分のデータです。
punch-not-synced-working = × 連携されません: ステータス「{ $status }」の種別は勤務中です。勤務中のステータスでKING OF TIMEに連携されるのは、名前が「休憩開始」「休憩終了」のものだけです。
punch-not-synced-kind = × 連携されません: ステータス「{ $status }」の種別は{ $kind }で、KING OF TIMEには連携されません。
punch-wait-company = 確認の応答がないまま送信された打刻です。会社を再び連携できるようになったら、勤務日を読み戻して確認します（{ $reason }）。
punch-wait-closing = { $day }がKING OF TIMEで締め済みかどうかを確認してから送信します（いまは読み取れません。制限時間帯の後に確認します）。
punch-verify-first = 以前に確認の応答がないまま送信された打刻です。先に勤務日を読み戻し、KING OF TIMEにない場合にのみ再送します。
punch-resend-missing = KING OF TIMEにこの打刻がないことを読み戻しで確認しました。もう一度送信します。
punch-token-rejected = KING OF TIMEが会社のトークンを拒否しました。
punch-rate-limited = KING OF TIMEから送信を控えるよう求められました（303）。少し後に送信します。
punch-restricted-hours = 利用制限時間帯のためKING OF TIMEが受け付けませんでした。制限時間帯の終了後に送信します。
punch-misconfigured = KING OF TIMEとの接続設定に誤りがあります。後で送信します。
punch-unconfirmed = KING OF TIMEから確認の応答がありません（{ $error }）。勤務日を読み戻して確認します。
punch-retrying = 再送を待っています。次回の送信: { $at }。前回のエラー: { $error }
punch-unconfirmed-retry = 確認の応答がないまま送信された打刻です。{ $why }。{ $at }から再び読み戻します。
punch-readback-failed = 勤務日を読み戻せませんでした（{ $error }）
punch-readback-restricted = KING OF TIMEの利用制限時間帯（08:30〜10:00と17:30〜18:30、日本時間）とその前後には勤務日を読み取りません（空の応答が返ることがあるため）。{ $at }から読み戻します
punch-readback-disagree = 勤務日を2回読み戻しましたが、結果が一致しませんでした（KING OF TIMEが一時的に空の勤務日を返すことがあります）
punch-readback-interrupted = 読み戻しの確認中に同期サービスが停止しました
punch-retry-requested = { $requested_by }の依頼で再送します（RetryPunches）。先にKING OF TIMEの勤務日を読み戻し、KING OF TIMEにない場合にのみ送信します。
punch-retry-closed-day = { $requested_by }の依頼で、締め済みの{ $day }にも送信します（RetryPunches の closed_day）。一度送信した打刻はKING OF TIMEから取り消せません。

run-settings-unavailable = 設定サービスが応答しませんでした: { $error }
run-matcher-unavailable = アカウント同期サービスが応答しませんでした: { $error }
run-settings-unavailable-before-post = 送信の直前に設定サービスが応答しませんでした（{ $error }）。応答があるまで送信を止めます。
run-lease-lost = 別の同期処理がこの会社を引き継ぎました。残りの打刻はその処理が送信します。
run-rate-limited = KING OF TIMEが303（リクエスト過多）を返し続けました。残りの打刻は後の同期で送信します。
run-settings-changed = 送信中に連携対象が変わり続けました。残りの打刻は次回の同期で送信します。
run-shutting-down = 同期サービスが停止中です。残りの打刻は次回の同期で送信します。
run-deferred = { $count }件の打刻が後の送信を待っています（再送時刻、または利用制限時間帯の後の読み戻し）。
run-internal = 内部の保存処理でエラーが発生しました。詳細は運用担当者がログで確認できます。
run-busy = 別の同期処理がこの会社を処理中です。

# 理由の中の KING OF TIME の応答（kot_words.rs）: HTTP ステータス、エラーコード、KING OF TIME のメッセージ。
kot-refused = KING OF TIMEが受け付けませんでした（HTTP { $status }、エラーコード { $code }）: { $message }
kot-refused-no-code = KING OF TIMEが受け付けませんでした（HTTP { $status }）: { $message }
kot-server-error = KING OF TIMEがサーバーエラーを返しました（HTTP { $status }、エラーコード { $code }）: { $message }
kot-server-error-no-code = KING OF TIMEがサーバーエラーを返しました（HTTP { $status }）: { $message }
kot-token-refused = KING OF TIMEがトークンを拒否しました（HTTP 403、エラーコード 100）: { $message }
kot-restricted-hours = KING OF TIMEの利用制限時間帯です（08:30～10:00、17:30～18:30）
kot-rate-limited = KING OF TIMEから送信を控えるよう求められました（エラーコード 303）
kot-unreachable = KING OF TIMEから使える応答がありませんでした（{ $detail }）
text-capped = { $text }…（ほか { $more } 文字）
