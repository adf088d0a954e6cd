## Settings: the token's state (GetIntegration, ListCompanies), RegisterToken's refusals and the
## user code warnings of UpsertUsers.

token-unreadable-key-missing = 登録されたトークンは暗号鍵「{ $key_id }」で暗号化されていますが、この鍵が設定サービスに設定されていないため復号できません。アカウント同期も打刻の連携も行われません。鍵「{ $key_id }」を設定に戻す（crypto.token_keys または crypto.token_key_file）か、トークンを登録し直してください。
token-unreadable-key-mismatch = 登録されたトークンは暗号鍵「{ $key_id }」で暗号化されていますが、設定されている同じIDの鍵では復号できません（鍵の内容が暗号化した時の鍵と異なるか、保存データが壊れています）。アカウント同期も打刻の連携も行われません。IDが「{ $key_id }」の鍵を、トークンを暗号化した時の鍵に戻すか、トークンを登録し直してください。
token-rejected-authentication = KING OF TIMEがトークンを拒否しました（403、コード100: 認証失敗）。トークンが一時停止・削除・期限切れになっているか、このサーバーのIPアドレスがトークンの許可IPアドレスに含まれていません。KING OF TIMEで新しいトークンを発行して（または許可IPアドレスを修正して）登録してください。
token-rejected = KING OF TIMEがトークンを拒否しました。新しいトークンを登録してください。

register-token-not-available = KING OF TIMEによると、このトークンは利用できません（一時停止または削除）。KING OF TIMEで新しいトークンを発行して登録してください。何も保存していません。
register-token-authentication-failed = KING OF TIMEがトークンを拒否しました（認証失敗）。トークンを最後までコピーしたか、このサーバーのIPアドレスがトークンの許可IPアドレスに含まれているかを確認してください。何も保存していません。
register-token-unreachable = トークンを確認するためにKING OF TIMEに接続できませんでした。何も保存していません。しばらくしてからもう一度お試しください。

user-code-missing = ユーザーコードがないため、KING OF TIMEの従業員と連携できません。
user-code-spaces = 「{ $code }」の先頭または末尾に空白があります。KING OF TIMEの従業員コードに空白はないため、「{ $suggested }」とは一致しません。
user-code-full-width = 「{ $code }」に全角文字が含まれています。KING OF TIMEの従業員コードは半角です（例:「{ $suggested }」）。
user-code-length = 「{ $code }」は{ $chars }文字です。KING OF TIMEの従業員コードは{ $min }〜{ $max }文字です。
user-code-stray-characters = ユーザーコードに絵文字または見えない書式制御文字（{ $chars }）が含まれています。KING OF TIMEの従業員コードにこれらの文字は使えないため、どの従業員とも一致しません（取り除くと「{ $suggested }」）。
register-token-elsewhere = このKING OF TIMEのトークンは、すでに別の会社に登録されています。1つのトークンを登録できるのは1つの会社だけです（同じトークンでは、打刻が別の会社の打刻と取り違えられます）。この会社のKING OF TIMEで発行したトークンを登録してください。何も保存していません。
