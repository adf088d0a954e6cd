# The day check (照合) of the syncer: one verdict per user and working day, with its reason
# (issue 18). Arguments: times are JST HH:MM, lists are "出勤 09:00, 退勤 18:00".

days-ok = 打刻は KING OF TIME と一致しています ({ $n } 件)。
days-ok-unsent = KING OF TIME は送った打刻 ({ $n } 件) をすべて持っています。まだ送っていない打刻が { $unsentCount } 件あります ({ $punchList }): 理由は各打刻の状態を見てください。
days-ok-open = 勤務中です: { $clockInAt } の出勤の後に退勤はまだありません。{ $windowHours } 時間たっても退勤がなければ打刻漏れとします。
days-error-double-clock-in = KING OF TIME がエラー勤務としています。考えられる原因: この日に cyzen から出勤が { $n } 回あります ({ $punchList })。KING OF TIME で管理者が修正してください。
days-error-clock-ins = KING OF TIME がエラー勤務としています。考えられる原因: KING OF TIME にこの日の出勤が { $n } 件あります (cyzen から { $fromCyzen } 件)。KING OF TIME で管理者が修正してください。
days-error-no-clock-in = KING OF TIME がエラー勤務としています。考えられる原因: 出勤のない退勤があります ({ $punchList })。KING OF TIME で管理者が修正してください。
days-error-other = KING OF TIME がエラー勤務としています ({ $punchList })。KING OF TIME の打刻を確認し、管理者が修正してください。
days-missing-clock-in = 打刻漏れ: 出勤がありません (cyzen にも KING OF TIME にも)。この日の打刻: { $punchList }。
days-missing-clock-out = 打刻漏れ: { $clockInAt } の出勤の後、{ $windowHours } 時間たっても退勤がありません (cyzen にも KING OF TIME にも)。
days-closed = 締め済みの日です。打刻はすべて KING OF TIME にあります。
days-closed-unsent = 締め済みの日です。まだ送っていない打刻が { $n } 件あります ({ $punchList })。KING OF TIME は締め済みの日にも API の打刻を記録するため、送ると給与計算に使われた期間が変わります。
days-differs-missing = 送った打刻が KING OF TIME にありません ({ $punchList })。管理者の編集か打刻申請で変更・削除された可能性があります。
days-differs-foreign = KING OF TIME に cyzen から送っていない打刻があります ({ $punchList })。タイムレコーダーや管理者の入力によるものです。
days-unchecked = まだ照合していません。打刻を送った後と毎日 1 回、KING OF TIME の勤務データと照合します。
days-list-more = { $punchList } ほか { $more } 件
days-none = なし
