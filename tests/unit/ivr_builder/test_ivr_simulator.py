"""IVR-2/IVR-3/IVR-6: the interpreter walked by the simulator, one scenario per node type.

The tenant's data comes from an in-memory `Resources` (this is the data source, not a stand-in
for a server); HTTP lookups hit a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.ivr_builder import interpreter as ip
from app.ivr_builder.flow import FlowDocument, from_json
from app.ivr_builder.simulator import ALLOW_PRIVATE_ENV, CannedHttp, Simulation
from app.ivr_builder.validation import validate
from app.tenants.calendar import CalendarSpec

SH = ZoneInfo("Asia/Shanghai")
CAL = uuid.UUID("00000000-0000-0000-0000-0000000000c1")
SUB = uuid.UUID("00000000-0000-0000-0000-0000000000f1")
WEDNESDAY_10 = datetime(2026, 11, 25, 10, 0, tzinfo=SH)
WEDNESDAY_22 = datetime(2026, 11, 25, 22, 0, tzinfo=SH)
NATIONAL_DAY = datetime(2026, 10, 1, 10, 0, tzinfo=SH)
MAKEUP_SATURDAY = datetime(2026, 10, 10, 10, 0, tzinfo=SH)


class Tenant:
    def __init__(self) -> None:
        self.calendars = {
            CAL: CalendarSpec.from_json(
                "Asia/Shanghai",
                [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)],
                [{"date": "2026-10-01", "name": "National Day"}],
                [{"date": "2026-10-10", "start": "09:00", "end": "18:00", "name": "makeup"}],
            )
        }
        self.lists: dict[str, frozenset[str]] = {
            "+8613900000001": frozenset({"black"}),
            "+8613900000002": frozenset({"white"}),
        }
        self.infos = {("hours", "today"): "We are open nine to six.", ("orders", "42"): "Shipped"}
        self.flows: dict[uuid.UUID, FlowDocument] = {}

    async def calendar(self, calendar_id: uuid.UUID) -> CalendarSpec | None:
        return self.calendars.get(calendar_id)

    async def caller_lists(self, number: str) -> frozenset[str]:
        return self.lists.get(number, frozenset())

    async def info(self, table: str, key: str) -> str | None:
        return self.infos.get((table, key))

    async def published_flow(self, flow_id: uuid.UUID) -> FlowDocument | None:
        return self.flows.get(flow_id)


def flow(start: str, *nodes: dict[str, Any]) -> FlowDocument:
    doc = from_json({"start": start, "nodes": list(nodes)})
    assert validate(doc) == [], validate(doc)
    return doc


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def n(node_id: str, type_: str, exits: dict[str, str] | None = None, **params: Any) -> dict:
    """A node as the canvas sends it (parameters camelCase on the wire)."""
    wire = {camel(k): v for k, v in params.items()}
    return {"id": node_id, "type": type_, "params": wire, "exits": exits or {}}


BYE = n("bye", "hang_up")


async def simulate(doc, digits=(), *, tenant=None, caller="+8613800000000", at=WEDNESDAY_10,
                   http=None):  # fmt: skip
    sim = Simulation(doc, tenant or Tenant(), caller, at, list(digits), http or {})
    return await sim.run()


def exits(result) -> list[tuple[str, str | None]]:
    return [(s.node_id, s.exit) for s in result.path]


def said(result) -> list[str]:
    return [h.text or h.prompt for h in result.heard]


pytestmark = pytest.mark.feature("IVR-2")


async def test_play_prompt_plays_the_file_with_variables_filled():
    doc = flow("p", n("p", "play_prompt", {"next": "bye"}, prompt="welcome-${language}.wav"), BYE)
    result = await simulate(doc)
    assert said(result) == ["welcome-zh.wav"]
    assert exits(result) == [("p", "next"), ("bye", None)]
    assert isinstance(result.final, ip.Hangup) and result.ended == "left_ivr"


async def test_say_text_speaks_variables_in_the_chosen_voice():
    text = "Your number is ${caller_number}"
    doc = flow("s", n("s", "say_text", {"next": "bye"}, text=text, voice="en"), BYE)
    result = await simulate(doc, caller="+8613811112222")
    assert result.heard[0].text == "Your number is +8613811112222"
    assert result.heard[0].voice == "en"


MENU = n("m", "menu", {"1": "sales", "2": "support", "max_retries": "bye"},
         text="Press 1 for sales, 2 for support", max_retries=2)  # fmt: skip
SALES = n("sales", "queue", queue="sales", priority=5)
SUPPORT = n("support", "transfer", kind="extension", target="8001")


async def test_menu_branches_on_the_key_pressed():
    doc = flow("m", MENU, SALES, SUPPORT, BYE)
    result = await simulate(doc, ["2"])
    assert exits(result) == [("m", "2"), ("support", None)]
    assert isinstance(result.final, ip.Transfer) and result.final.target == "8001"


async def test_menu_replays_on_timeout_and_wrong_key_then_gives_up_after_max_retries():
    doc = flow("m", MENU, SALES, SUPPORT, BYE)
    result = await simulate(doc, ["", "9", "", "1"])
    assert said(result).count("Press 1 for sales, 2 for support") == 3
    assert exits(result)[-2:] == [("m", "max_retries"), ("bye", None)]


async def test_menu_recovers_after_a_retry():
    doc = flow("m", MENU, SALES, SUPPORT, BYE)
    result = await simulate(doc, ["", "1"])
    assert exits(result) == [("m", "retry:timeout"), ("m", "1"), ("sales", None)]
    assert isinstance(result.final, ip.Enqueue) and result.final.queue == "sales"


async def test_menu_timeout_and_invalid_exits_loop_back_within_the_retry_limit():
    doc = flow(
        "m",
        n("m", "menu", {"1": "sales", "timeout": "sorry", "invalid": "sorry",
                        "max_retries": "bye"}, prompt="menu.wav", max_retries=1),
        n("sorry", "say_text", {"next": "m"}, text="Sorry"),
        SALES, BYE,
    )  # fmt: skip
    result = await simulate(doc, ["7", "", "1"])
    assert exits(result) == [("m", "invalid"), ("sorry", "next"), ("m", "max_retries"),
                             ("bye", None)]  # fmt: skip


async def test_simulation_stops_when_it_runs_out_of_typed_digits():
    doc = flow("m", MENU, SALES, SUPPORT, BYE)
    result = await simulate(doc, [])
    assert result.ended == "needs_input"
    assert isinstance(result.final, ip.CollectDigits) and result.final.node_id == "m"


COLLECT = n("c", "collect_digits", {"ok": "echo", "max_retries": "bye"}, text="Order number?",
            variable="order", min_length=3, max_length=6, max_retries=1)  # fmt: skip
ECHO = n("echo", "say_text", {"next": "bye"}, text="Order ${order}")


async def test_collect_digits_stores_the_digits_without_the_terminator():
    result = await simulate(flow("c", COLLECT, ECHO, BYE), ["1234#"])
    assert result.variables["order"] == "1234"
    assert said(result)[-1] == "Order 1234"


async def test_collect_digits_rejects_too_short_entries_until_max_retries():
    result = await simulate(flow("c", COLLECT, ECHO, BYE), ["12#", "1#"])
    assert exits(result) == [("c", "retry:invalid"), ("c", "max_retries"), ("bye", None)]
    assert "order" not in result.variables


TIME = n("t", "time_branch", {"open": "o", "closed": "c", "holiday": "h"}, calendarId=str(CAL))
OPEN, CLOSED, HOLIDAY = (n(x, "hang_up", reason=x) for x in ("o", "c", "h"))


@pytest.mark.feature("TEN-6")
@pytest.mark.parametrize(
    ("at", "exit_taken", "rule"),
    [
        (WEDNESDAY_10, "open", "weekly Wed 09:00-18:00"),
        (WEDNESDAY_22, "closed", "outside weekly hours (Wed)"),
        (NATIONAL_DAY, "holiday", "holiday National Day"),
        (MAKEUP_SATURDAY, "open", "special day makeup 09:00-18:00"),  # `special` not wired
    ],
)
async def test_time_branch_follows_the_calendar_and_reports_the_rule(at, exit_taken, rule):
    result = await simulate(flow("t", TIME, OPEN, CLOSED, HOLIDAY), at=at)
    assert exits(result)[0] == ("t", exit_taken)
    assert result.variables["calendar_rule"] == rule


async def test_time_branch_takes_special_when_wired():
    time = n("t", "time_branch", {"open": "o", "closed": "c", "special": "h"},
             calendarId=str(CAL))  # fmt: skip
    result = await simulate(flow("t", time, OPEN, CLOSED, HOLIDAY), at=MAKEUP_SATURDAY)
    assert exits(result)[0] == ("t", "special")


LISTS = n("l", "caller_list_branch", {"white": "vipq", "none": "q", "black": "sorry"},
          black_action="announce", black_text="We cannot take your call.")  # fmt: skip
VIPQ = n("vipq", "queue", queue="vip")
Q = n("q", "queue", queue="general")
SORRY = n("sorry", "hang_up", reason="blocked")


@pytest.mark.feature("TEN-7")
async def test_caller_list_branch_announces_to_black_and_flags_white_as_vip():
    doc = flow("l", LISTS, VIPQ, Q, SORRY)
    black = await simulate(doc, caller="+8613900000001")
    assert said(black) == ["We cannot take your call."]
    assert exits(black) == [("l", "black"), ("sorry", None)]
    white = await simulate(doc, caller="+8613900000002")
    assert white.variables["priority"] == "vip"
    assert isinstance(white.final, ip.Enqueue) and white.final.vip
    nobody = await simulate(doc)
    assert exits(nobody)[0] == ("l", "none") and not nobody.final.vip


@pytest.mark.feature("TEN-7")
async def test_caller_list_branch_rejects_black_by_default():
    doc = flow("l", n("l", "caller_list_branch", {"white": "q", "none": "q"}), Q)
    result = await simulate(doc, caller="+8613900000001")
    assert isinstance(result.final, ip.Hangup) and "black" in result.final.reason
    assert result.heard == []


async def test_language_choice_sets_the_voice_of_later_text():
    doc = flow(
        "lang",
        n("lang", "language_choice", {"next": "hi"}, prompt="lang.wav"),
        n("hi", "say_text", {"next": "bye"}, text="Hello"),
        BYE,
    )
    english = await simulate(doc, ["2"])
    assert english.variables["language"] == "en" and english.heard[-1].voice == "en"
    default = await simulate(doc, [""])
    assert default.variables["language"] == "zh" and default.heard[-1].voice == "zh"


async def test_queue_overflow_exit_continues_the_flow():
    doc = flow("q", n("q", "queue", {"overflow": "vm"}, queue="sales", maxWaitSeconds=60),
               n("vm", "voicemail", mailbox="sales", text="Leave a message"))  # fmt: skip
    interp = ip.Interpreter(doc)
    action = interp.start()
    assert isinstance(action, ip.Enqueue) and action.max_wait_seconds == 60 and interp.done
    action = interp.send(ip.QueueOverflow())
    assert isinstance(action, ip.Voicemail) and action.mailbox == "sales"
    assert [(s.node_id, s.exit) for s in interp.path] == [("q", "overflow"), ("vm", None)]


async def test_transfer_failure_takes_the_failed_exit_or_hangs_up():
    wired = flow("x", n("x", "transfer", {"failed": "bye"}, kind="external", target="+861012345"),
                 BYE)  # fmt: skip
    interp = ip.Interpreter(wired)
    assert isinstance(interp.start(), ip.Transfer)
    assert interp.send(ip.TransferFailed()) == ip.Hangup("bye", "normal")
    bare = ip.Interpreter(flow("x", n("x", "transfer", kind="agent", target="1001")))
    interp = bare
    interp.start()
    final = interp.send(ip.TransferFailed())
    assert isinstance(final, ip.Hangup) and "failed" in final.reason


@pytest.mark.feature("IVR-5")
async def test_voicemail_ends_the_ivr_with_its_greeting():
    doc = flow("vm", n("vm", "voicemail", mailbox="support", prompt="vm-greeting.wav"))
    result = await simulate(doc)
    assert isinstance(result.final, ip.Voicemail) and result.final.mailbox == "support"
    assert said(result) == ["vm-greeting.wav"]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/slow"):
            threading.Event().wait(1.0)
        if self.path.startswith("/broken"):
            self._send(500, {"error": "down"})
            return
        self._send(200, {"order": {"status": "shipped", "eta": "Friday"}, "path": self.path})

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        sent = json.loads(self.rfile.read(length))
        self._send(200, {"order": {"status": f"got {sent['order']}"}})

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_server(monkeypatch) -> Iterator[str]:
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def lookup(url: str, method: str = "GET", timeout: float = 2) -> FlowDocument:
    return flow(
        "set",
        n("set", "set_variable", {"next": "h"}, name="order", value="42"),
        n("h", "http_lookup", {"ok": "bye", "error": "err", "timeout": "slow"}, url=url,
          method=method, variables=["order"], timeoutSeconds=timeout,
          assign={"status": "order.status"}, speak="Your order is ${status}"),
        n("err", "hang_up", reason="error"), n("slow", "hang_up", reason="timeout"), BYE,
    )  # fmt: skip


async def test_http_lookup_calls_the_url_and_speaks_fields_of_the_answer(http_server):
    result = await simulate(lookup(f"{http_server}/orders"))
    assert said(result) == ["Your order is shipped"]
    assert exits(result)[1] == ("h", "ok")
    assert result.http_calls == [f"GET {http_server}/orders"]


async def test_http_lookup_posts_the_variables_as_json(http_server):
    result = await simulate(lookup(f"{http_server}/orders", method="POST"))
    assert said(result) == ["Your order is got 42"]


async def test_http_lookup_error_and_timeout_exits(http_server):
    broken = await simulate(lookup(f"{http_server}/broken"))
    assert exits(broken)[1] == ("h", "error")
    slow = await simulate(lookup(f"{http_server}/slow", timeout=0.2))
    assert exits(slow)[1] == ("h", "timeout")


async def test_http_lookup_refuses_private_addresses_unless_allowed(http_server, monkeypatch):
    monkeypatch.delenv(ALLOW_PRIVATE_ENV)
    result = await simulate(lookup(f"{http_server}/orders"))
    assert exits(result)[1] == ("h", "error")


async def test_http_lookup_uses_canned_answers_when_given():
    doc = lookup("https://crm.example/orders")
    ok = await simulate(doc, http={"h": CannedHttp(200, {"order": {"status": "packed"}})})
    assert said(ok) == ["Your order is packed"]
    late = await simulate(doc, http={"https://crm.example/orders": CannedHttp(timeout=True)})
    assert exits(late)[1] == ("h", "timeout")


@pytest.mark.feature("IVR-6")
async def test_info_lookup_speaks_the_entry_by_a_collected_key():
    doc = flow(
        "c",
        n("c", "collect_digits", {"ok": "i", "max_retries": "bye"}, prompt="ask.wav",
          variable="order", maxLength=4),
        n("i", "info_lookup", {"found": "bye", "not_found": "none"}, table="orders",
          key="${order}"),
        n("none", "say_text", {"next": "bye"}, text="Not found"), BYE,
    )  # fmt: skip
    tenant = Tenant()
    found = await simulate(doc, ["42#"], tenant=tenant)
    assert said(found) == ["ask.wav", "Shipped"] and found.variables["info"] == "Shipped"
    tenant.infos[("orders", "42")] = "Delivered"  # edited in the portal: heard on the next call
    assert said(await simulate(doc, ["42#"], tenant=tenant))[-1] == "Delivered"
    missing = await simulate(doc, ["7#"], tenant=tenant)
    assert exits(missing)[1] == ("i", "not_found")


async def test_set_variable_counter_bounds_a_loop():
    doc = flow(
        "count",
        n("count", "set_variable", {"next": "again", "limit": "bye"}, name="tries", increment=1,
          max=3),
        n("again", "say_text", {"next": "count"}, text="Try ${tries}"), BYE,
    )  # fmt: skip
    result = await simulate(doc)
    assert said(result) == ["Try 1", "Try 2", "Try 3"]
    assert exits(result)[-2:] == [("count", "limit"), ("bye", None)]


@pytest.mark.feature("IVR-2")
async def test_survey_question_stores_the_answer_or_nothing():
    doc = flow(
        "q",
        n("q", "survey_question", {"next": "bye"}, question="satisfaction", text="Rate us 1-5"),
        BYE,
    )
    assert (await simulate(doc, ["4"])).variables["survey.satisfaction"] == "4"
    assert (await simulate(doc, ["9"])).variables["survey.satisfaction"] == ""
    assert (await simulate(doc, [""])).variables["survey.satisfaction"] == ""


async def test_sub_flow_runs_and_returns_to_the_next_node():
    tenant = Tenant()
    tenant.flows[SUB] = flow(
        "hi", n("hi", "say_text", {"next": "ret"}, text="Inside"), n("ret", "return")
    )
    doc = flow(
        "sub",
        n("sub", "sub_flow", {"next": "after"}, flowId=str(SUB)),
        n("after", "say_text", {"next": "bye"}, text="Back"),
        BYE,
    )
    result = await simulate(doc, tenant=tenant)
    assert said(result) == ["Inside", "Back"]
    assert [(s.depth, s.node_id, s.exit) for s in result.path] == [
        (0, "sub", "call"), (1, "hi", "next"), (1, "ret", "return"), (0, "sub", "next"),
        (0, "after", "next"), (0, "bye", None),
    ]  # fmt: skip


async def test_unpublished_sub_flow_hangs_up_and_recursion_is_bounded():
    doc = flow("sub", n("sub", "sub_flow", {"next": "bye"}, flowId=str(SUB)), BYE)
    gone = await simulate(doc)
    assert isinstance(gone.final, ip.Hangup) and "not published" in gone.final.reason
    tenant = Tenant()
    tenant.flows[SUB] = doc  # a flow that calls itself
    looped = await simulate(doc, tenant=tenant)
    assert isinstance(looped.final, ip.Hangup) and "too deep" in looped.final.reason


async def test_return_in_a_top_level_flow_and_hang_up_end_the_call():
    result = await simulate(flow("r", n("r", "return")))
    assert result.final == ip.Hangup("r", "flow ended")
    result = await simulate(flow("h", n("h", "hang_up", reason="done")))
    assert result.final == ip.Hangup("h", "done")


def test_the_interpreter_refuses_events_it_did_not_ask_for():
    interp = ip.Interpreter(flow("h", n("h", "hang_up")))
    interp.start()
    with pytest.raises(ip.FlowRuntimeError):
        interp.send(ip.Digits("1"))


def test_every_node_type_is_covered_here():
    from pathlib import Path

    from app.ivr_builder.nodes import NODE_TYPES

    source = Path(__file__).read_text()
    assert [t for t in NODE_TYPES if f'"{t}"' not in source] == []
