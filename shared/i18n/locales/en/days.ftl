# The day check (照合) of the syncer: one verdict per user and working day, with its reason
# (issue 18). Arguments: times are JST HH:MM, lists are "出勤 09:00, 退勤 18:00".

days-ok = The punches match KING OF TIME ({ $n }).
days-ok-unsent = KING OF TIME holds every punch we sent ({ $n }); { $unsentCount } punch(es) not sent yet ({ $punchList }): see each punch's state for why.
days-ok-open = At work: no 退勤 yet after the 出勤 at { $clockInAt }. Without a 退勤 within { $windowHours } hours the day counts as a missed punch.
days-error-double-clock-in = KING OF TIME marks the day エラー勤務. Likely cause: { $n } × 出勤 from cyzen on this day ({ $punchList }). An administrator must fix it in KING OF TIME.
days-error-clock-ins = KING OF TIME marks the day エラー勤務. Likely cause: KING OF TIME holds { $n } × 出勤 on this day ({ $fromCyzen } from cyzen). An administrator must fix it in KING OF TIME.
days-error-no-clock-in = KING OF TIME marks the day エラー勤務. Likely cause: a 退勤 without a 出勤 ({ $punchList }). An administrator must fix it in KING OF TIME.
days-error-other = KING OF TIME marks the day エラー勤務 ({ $punchList }). Check the day's punches in KING OF TIME; an administrator must fix it there.
days-missing-clock-in = Missed punch (打刻漏れ): no 出勤, neither in cyzen nor in KING OF TIME. The day's punches: { $punchList }.
days-missing-clock-out = Missed punch (打刻漏れ): no 退勤 { $windowHours } hours after the 出勤 at { $clockInAt }, neither in cyzen nor in KING OF TIME.
days-closed = The day is closed (締め). Every punch is in KING OF TIME.
days-closed-unsent = The day is closed (締め): { $n } punch(es) not sent yet ({ $punchList }). KING OF TIME stores API punches in a closed day, so sending them changes a period payroll may already have used.
days-differs-missing = A punch we sent is no longer in KING OF TIME ({ $punchList }): edited by an administrator or replaced by a 打刻申請.
days-differs-foreign = KING OF TIME has punches on this day that did not come from cyzen ({ $punchList }): a time recorder or an administrator's entry.
days-unchecked = Not checked yet. Days are checked against KING OF TIME after their punches are sent and once a day.
days-list-more = { $punchList } and { $more } more
days-none = none
