"""What the cyzen platform and an operator do against the running pods, and what KING OF TIME
(the simulator pod) holds afterwards: each punch exactly once."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from smoke.grpc import Client, wait_for

COMPANY = "acme"
# The simulator's seeded company (`kintai kot-sim`, src/kot.rs) and its token.
KOT_COMPANY = "cyzen3"
KOT_TOKEN = "0123456789abcdef0123456789abcdef"
JST = timezone(timedelta(hours=9))
SETTINGS = "kintai.settings.v1.SettingsService"
MATCHER = "kintai.matcher.v1.MatcherService"
SYNCER = "kintai.syncer.v1.SyncerService"
STATUSES = [
    ("s1", "出勤", "STATUS_KIND_WORK_START", "1"),
    ("s2", "退勤", "STATUS_KIND_WORK_END", "2"),
    ("s3", "休憩開始", "STATUS_KIND_WORKING", "3"),
    ("s4", "休憩終了", "STATUS_KIND_WORKING", "4"),
    ("s5", "作業開始", "STATUS_KIND_WORKING", None),  # never synced
]


@dataclass
class Endpoints:
    settings: str
    matcher: str
    syncer: str
    simulator: str  # http://127.0.0.1:PORT


def sim(endpoints: Endpoints, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{endpoints.simulator}{path}", data=data, method=method,
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def set_up_company(client: Client, endpoints: Endpoints) -> None:
    """The walkthrough's company: integration on, the simulator's token, two users linked."""
    client.call(endpoints.settings, f"{SETTINGS}/UpdateIntegration", {"company_id": COMPANY, "enabled": True})
    client.call(endpoints.settings, f"{SETTINGS}/RegisterToken", {
        "company_id": COMPANY, "token": KOT_TOKEN,
        "acceptance": {"accepted_by": "smoke@acme.example", "api_terms_accepted": True,
                       "data_sharing_consented": True}})
    client.call(endpoints.settings, f"{SETTINGS}/UpsertUsers", {"company_id": COMPANY, "users": [
        {"user_id": "u1", "user_code": "U000123", "name": "市ヶ谷 市子"},
        {"user_id": "u2", "user_code": "U000124", "name": "湊山 信輔"}]})
    client.call(endpoints.settings, f"{SETTINGS}/SetUserLinks", {"company_id": COMPANY, "links": [
        {"user_id": "u1", "enabled": True}, {"user_id": "u2", "enabled": True}]})
    client.call(endpoints.settings, f"{SETTINGS}/UpsertStatuses", {"company_id": COMPANY, "statuses": [
        {"status_id": sid, "name": name, "kind": kind} for sid, name, kind, _ in STATUSES]})


def wait_matched(client: Client, endpoints: Endpoints) -> None:
    """The matcher's dispatcher matches a company seconds after its directory changed."""
    def both_active() -> bool:
        links = client.call(endpoints.matcher, f"{MATCHER}/ListLinks", {"company_id": COMPANY}).get("links", [])
        return sum(link.get("state") == "LINK_STATE_ACTIVE" for link in links) == 2
    wait_for("users u1 and u2 linked by the matcher's dispatcher", both_active, timeout=120)


def punch(punch_id: str, user: str, status: str, minutes_ago: int, now: datetime) -> dict[str, Any]:
    sid, name, kind, _ = next(s for s in STATUSES if s[0] == status)
    at = (now - timedelta(minutes=minutes_ago)).replace(second=0, microsecond=0)
    return {"punch_id": punch_id, "user_id": user, "status_id": sid, "status_name": name, "status_kind": kind,
            "punched_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "latitude": 35.6518, "longitude": 139.5407,
            "platform": "PLATFORM_ANDROID", "app_version": "3.62.0"}


def record(client: Client, endpoints: Endpoints, punches: list[dict[str, Any]]) -> dict[str, Any]:
    return client.call(endpoints.syncer, f"{SYNCER}/RecordPunches", {"company_id": COMPANY, "punches": punches})


def expected_codes(punches: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """(KING OF TIME code, JST instant) of every punch that is synced at all."""
    codes = {sid: code for sid, _, _, code in STATUSES}
    expected: Counter[tuple[str, str]] = Counter()
    for item in punches:
        code = codes[item["status_id"]]
        if code:
            at = datetime.strptime(item["punched_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            expected[(code, at.astimezone(JST).strftime("%Y-%m-%dT%H:%M:%S"))] += 1
    return expected


def stored(endpoints: Endpoints) -> Counter[tuple[str, str]]:
    """What the simulator holds from the API, as (code, JST instant) counts."""
    held: Counter[tuple[str, str]] = Counter()
    for item in sim(endpoints, "GET", f"/_admin/companies/{KOT_COMPANY}/punches"):
        if item.get("source") == "api":
            at = datetime.fromisoformat(item["time"]).astimezone(JST)
            held[(item["code"], at.strftime("%Y-%m-%dT%H:%M:%S"))] += 1
    return held


def ledger_states(client: Client, endpoints: Endpoints) -> Counter[str]:
    answer = client.call(endpoints.syncer, f"{SYNCER}/ListPunches", {"company_id": COMPANY, "page_size": 1000})
    return Counter(item.get("state", "PUNCH_STATE_UNSPECIFIED") for item in answer.get("punches", []))


def wait_delivered(client: Client, endpoints: Endpoints, punches: list[dict[str, Any]], timeout: float) -> str:
    """Until KING OF TIME holds exactly the synced punches, once each, and the ledger says every
    punch is SENT or NOT_SYNCED. A second copy of any punch fails at once: exactly once."""
    expected = expected_codes(punches)

    def settled() -> str | None:
        held = stored(endpoints)
        twice = {key: count for key, count in held.items() if count > 1}
        if twice:
            raise AssertionError(f"KING OF TIME holds punches more than once: {twice}")
        extra = set(held) - set(expected)
        if extra:
            raise AssertionError(f"KING OF TIME holds punches nobody recorded: {sorted(extra)}")
        if held != expected:
            return None
        states = ledger_states(client, endpoints)
        if set(states) - {"PUNCH_STATE_SENT", "PUNCH_STATE_NOT_SYNCED"} or sum(states.values()) != len(punches):
            return None
        return f"{sum(held.values())} punches in KING OF TIME once each; ledger {dict(states)}"
    return wait_for("punches delivered exactly once", settled, timeout=timeout)
