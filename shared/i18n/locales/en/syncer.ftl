## Why a punch is held, waiting, failed or retrying (ListPunches, RunSync), and how a run ended.

company-not-ready = The company cannot be synced: { $reason }
company-disabled = 勤怠連携 is off (無効) for this company.
company-no-token = No KING OF TIME token is registered (トークン発行).
company-token-rejected = KING OF TIME rejected the token; issue a new token and register it (トークン発行).
company-token-unreadable = The key that sealed the registered token is not among the settings service's token keys; restore that key, or register the token again (トークン発行).
company-token-key-mismatch = The settings service's key of the id that sealed the registered token does not open it (its bytes differ); configure the key that sealed it, or register the token again (トークン発行).
company-unusable = The integration is off or has no usable KING OF TIME token.
company-token-refused = KING OF TIME rejected the token (403, code 100): { $error }

hold-user-deleted = The user is not in cyzen's user directory (deleted); nothing of theirs is sent.
hold-link-off = KING OF TIME連携 is off (無効) for this user.
hold-user-not-listed = The matcher has not listed this user yet (連携状況 unknown); waiting for the next account sync (アカウント同期).
hold-not-linked = 連携状況 is 無効: { $reason }
hold-no-employee = Not linked to a KING OF TIME employee.
hold-earlier-month = Punched in { $month }/{ $year }, before the user's link started; only the current month is sent (当月分のデータ).
hold-day-closed = KING OF TIME has closed { $day } (締め); a punch sent now would still be stored and change a period payroll already used. Reopen the day in KING OF TIME, or send it into the closed day from the punch list (RetryPunches with closed_day).
hold-before-hired = In KING OF TIME, { $day } is before the employee was hired ({ $hired }), so it would be work outside employment (在職外勤務). Check the hire date there; the punch is sent once the next account sync reads a date it fits.
hold-after-resigned = In KING OF TIME, { $day } is after the employee resigned ({ $resigned }), so it would be work outside employment (在職外勤務). Check the resignation date there; the punch is sent once the next account sync reads a date it fits.

punch-awaiting-run = Waiting for the next sync run to check the company, the user's KING OF TIME連携 flag and the link.
punch-awaiting-answer = Sent to KING OF TIME; waiting for its answer (verified by reading the day back if none comes).
punch-expired = Never sent: punched before { $cutoff }; KING OF TIME receives the current month (当月分のデータ) and the month before only for users who were linked then.
punch-not-synced-working = × 連携されません: status 「{ $status }」 is of kind 勤務中; only the names 休憩開始 and 休憩終了 of that kind are sent to KING OF TIME.
punch-not-synced-kind = × 連携されません: status 「{ $status }」 is of kind { $kind }, which KING OF TIME does not receive.
punch-wait-company = Sent without a confirmed answer; verified by reading the day back once the company can be synced again ({ $reason }).
punch-wait-closing = Sent once KING OF TIME says whether { $day } is closed (締め); that cannot be read now, and is read again after the restricted hours.
punch-verify-first = Sent before without a confirmed answer: the day is read back first, and it is sent again only if KING OF TIME does not have it.
punch-resend-missing = KING OF TIME does not have it (read back); sending it again.
punch-token-rejected = KING OF TIME rejected the company's token.
punch-rate-limited = KING OF TIME asked to slow down (303); sent a little later.
punch-restricted-hours = KING OF TIME refused it during the restricted hours; sent when they end.
punch-misconfigured = The KING OF TIME client is misconfigured; sent later.
punch-unconfirmed = No confirmed answer from KING OF TIME ({ $error }); verifying by reading the day back.
punch-retrying = Retrying; next attempt { $at }; last: { $error }
punch-unconfirmed-retry = Sent without a confirmed answer; { $why }; read back again from { $at }.
punch-readback-failed = could not read the day back ({ $error })
punch-readback-restricted = no reads of KING OF TIME in or near its restricted hours (08:30–10:00 and 17:30–18:30 JST), where it may answer empty days; read back from { $at }
punch-readback-disagree = two read-backs of the day did not agree (KING OF TIME sometimes answers an empty day)
punch-readback-interrupted = the syncer stopped while confirming the read-back
punch-retry-requested = Sent again at the request of { $requested_by } (RetryPunches): KING OF TIME's day is read back first, and the punch is posted only if KING OF TIME does not have it.
punch-retry-closed-day = Sent at the request of { $requested_by }, into the closed day { $day } as well (RetryPunches with closed_day); once sent, KING OF TIME cannot take the punch back.

run-settings-unavailable = The settings service did not answer: { $error }
run-matcher-unavailable = The matcher service did not answer: { $error }
run-settings-unavailable-before-post = The settings service did not answer before a POST ({ $error }); nothing more is posted until it does.
run-lease-lost = The run lost its lease to another run; the rest is left to it.
run-rate-limited = KING OF TIME kept answering 303 (Too Many Requests); the rest is sent by a later run.
run-settings-changed = Who is synced kept changing while the run was posting; the rest is sent by the next run.
run-shutting-down = The syncer is shutting down; the rest is sent by the next run.
run-deferred = { $count } punches wait for a later attempt (a retry time, or a read-back outside the restricted hours).
run-internal = Internal storage error; the operators have the details in the logs.
run-busy = Another run is syncing this company.

# KING OF TIME's answers inside reasons (kot_words.rs): its status, code and own message.
kot-refused = KING OF TIME refused it (HTTP { $status }, error { $code }): { $message }
kot-refused-no-code = KING OF TIME refused it (HTTP { $status }): { $message }
kot-server-error = KING OF TIME answered with a server error (HTTP { $status }, error { $code }): { $message }
kot-server-error-no-code = KING OF TIME answered with a server error (HTTP { $status }): { $message }
kot-token-refused = KING OF TIME rejected the token (HTTP 403, error 100): { $message }
kot-restricted-hours = KING OF TIME's restricted hours (08:30–10:00, 17:30–18:30)
kot-rate-limited = KING OF TIME asked to slow down (error 303)
kot-unreachable = no answer from KING OF TIME that could be used ({ $detail })
text-capped = { $text }… ({ $more } more characters)
