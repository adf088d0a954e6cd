## 連携状況 (ListLinks): the state label, why a user is 無効, and the hint for a near miss.
## Arguments: $code the user's ユーザーコード now, $matched the code the link was matched on,
## $employee_code / $employee_name the KING OF TIME employee a hint points at.

link-state-active = 有効
link-state-inactive = 無効

inactive-reason-no-user-code = ユーザーコードが設定されていません。KING OF TIMEの従業員コードと同じ値を設定してください。
inactive-reason-no-employee = 従業員コード「{ $code }」のKING OF TIME従業員がいません。ユーザーコードと従業員コードは一文字ずつ完全に一致している必要があります。
inactive-reason-employee-resigned = 従業員コード「{ $code }」のKING OF TIME従業員は退職しています。
inactive-reason-duplicate-user-code = ユーザーコード「{ $code }」が複数のユーザーに設定されているため、いずれのユーザーも連携されません。ユーザーごとに異なるユーザーコードを設定してください。
inactive-reason-integration-disabled = 勤怠連携が無効のため、ユーザーは連携されません。
inactive-reason-no-token = KING OF TIMEのトークンが登録されていないため（トークン発行）、ユーザーは連携されません。
inactive-reason-token-rejected = KING OF TIMEが会社のトークンを拒否しました。新しいトークンを発行して登録してください（トークン発行）。
inactive-reason-token-unreadable = 登録されたKING OF TIMEのトークンを暗号化した鍵が、設定サービスに設定されていないため復号できません。ユーザーは連携されません。その鍵を設定に戻すか、トークンを登録し直してください（トークン発行）。
inactive-reason-token-key-mismatch = 登録されたKING OF TIMEのトークンを、設定サービスに設定されている同じIDの暗号鍵で復号できません（鍵の内容が暗号化した時の鍵と異なるか、保存データが壊れています）。ユーザーは連携されません。トークンを暗号化した時の鍵をそのIDで設定するか、トークンを登録し直してください（トークン発行）。
inactive-reason-not-matched-yet = まだアカウント同期が行われていません。次回のアカウント同期（約1時間ごと）でこのユーザーを確認します。
inactive-reason-code-changed = ユーザーコードが変更されました（「{ $matched }」→「{ $code }」）。以前の連携は使用しません。アカウント同期（1分以内）をお待ちください。

hint-zero-padding = KING OF TIMEに従業員コード「{ $employee_code }」（{ $employee_name }）があります。先頭のゼロの数が異なります。ユーザーコード「{ $code }」を「{ $employee_code }」に変更してください。
hint-full-width = KING OF TIMEに従業員コード「{ $employee_code }」（{ $employee_name }）があります。ユーザーコードに全角文字が含まれています。ユーザーコード「{ $code }」を「{ $employee_code }」に変更してください。
hint-letter-case = KING OF TIMEに従業員コード「{ $employee_code }」（{ $employee_name }）があります。大文字と小文字が異なります。ユーザーコード「{ $code }」を「{ $employee_code }」に変更してください。
hint-whitespace = KING OF TIMEに従業員コード「{ $employee_code }」（{ $employee_name }）があります。ユーザーコードに空白が含まれています。ユーザーコード「{ $code }」を「{ $employee_code }」に変更してください。
hint-login-id = KING OF TIMEに従業員コード「{ $employee_code }」（{ $employee_name }）があります。ユーザーコードがKING OF TIMEのログインID（企業コード＋3＋従業員コード）になっており、従業員コードではありません。ユーザーコード「{ $code }」を「{ $employee_code }」に変更してください。
