## 連携状況 (ListLinks): the state label, why a user is 無効, and the hint for a near miss.

link-state-active = active (有効)
link-state-inactive = inactive (無効)

inactive-reason-no-user-code = The user has no user code (ユーザーコード); set it to the KING OF TIME employee code (従業員コード).
inactive-reason-no-employee = No KING OF TIME employee has the employee code "{ $code }"; the codes must be equal character for character.
inactive-reason-employee-resigned = The KING OF TIME employee with the employee code "{ $code }" has resigned (退職).
inactive-reason-duplicate-user-code = Several users have the user code "{ $code }", so none of them is linked; give each user their own code.
inactive-reason-integration-disabled = 勤怠連携 is off (無効), so no user is linked.
inactive-reason-no-token = No KING OF TIME token is registered (トークン発行), so no user is linked.
inactive-reason-token-rejected = KING OF TIME rejected the company's token; issue a new token and register it (トークン発行).
inactive-reason-token-unreadable = The key that sealed the registered KING OF TIME token is not among the settings service's token keys, so no user is linked; restore that key, or register the token again (トークン発行).
inactive-reason-token-key-mismatch = The settings service's key of the id that sealed the registered KING OF TIME token does not open it (its bytes differ from the key that sealed it, or the stored data is damaged), so no user is linked; configure the key that sealed it under that id, or register the token again (トークン発行).
inactive-reason-not-matched-yet = Not matched yet: the next account sync (アカウント同期, about hourly) checks this user.
inactive-reason-code-changed = The user code changed ("{ $matched }" → "{ $code }"): the old link is not used; waiting for the account sync (アカウント同期, within a minute).

hint-zero-padding = KING OF TIME has the employee code "{ $employee_code }" ({ $employee_name }); the number of leading zeros differs: set the user code "{ $code }" to "{ $employee_code }".
hint-full-width = KING OF TIME has the employee code "{ $employee_code }" ({ $employee_name }); the user code contains full-width characters: set the user code "{ $code }" to "{ $employee_code }".
hint-letter-case = KING OF TIME has the employee code "{ $employee_code }" ({ $employee_name }); upper and lower case differ: set the user code "{ $code }" to "{ $employee_code }".
hint-whitespace = KING OF TIME has the employee code "{ $employee_code }" ({ $employee_name }); the user code contains spaces: set the user code "{ $code }" to "{ $employee_code }".
hint-login-id = KING OF TIME has the employee code "{ $employee_code }" ({ $employee_name }); the user code looks like a KING OF TIME login ID (company code + 3 + employee code), which is not the employee code: set the user code "{ $code }" to "{ $employee_code }".
