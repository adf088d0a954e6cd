## Settings: the token's state (GetIntegration, ListCompanies), RegisterToken's refusals and the
## user code warnings of UpsertUsers. $error is what failed, in the engineers' words.

token-unreadable = 登録されたトークンを、設定サービスの暗号鍵で復号できません（{ $error }）。アカウント同期も打刻の連携も行われません。鍵を復元する（crypto.token_keys または crypto.token_key_file）か、トークンを登録し直してください。
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
