"""The supervisor's console in Chromium: only supervisors and admins get in; the wallboard follows an
interaction from arrival to end within a second; the console changes an agent's state (the agent's panel
shows it) and moves or offers waiting work, each action audited."""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Page, expect

from tests.integration.panel.agent import AgentPanel
from tests.integration.panel.conftest import Rest
from tests.integration.panel.console import ConsolePage
from tests.integration.server.conftest import Server

WITHIN_A_SECOND = 1_000  # ms: the wallboard's promise


def _alice_available(context: BrowserContext, server: Server) -> AgentPanel:
    panel = AgentPanel(context.new_page(), server).open().log_in("alice")
    panel.expect_logged_in("Alice Martin")
    panel.set_state("available")
    expect(panel.state).to_have_text("Available")
    return panel


def test_given_an_agent_when_opening_the_console_then_refused_at_login_socket_and_api(
    page: Page, server: Server, rest: Rest
) -> None:
    console = ConsolePage(page, server).open().log_in("alice")
    expect(page.locator("#login-error")).to_have_text("This console is for supervisors; alice is agent.")
    expect(page.locator("#console")).to_be_hidden()

    # a token slipped into the page is refused by the socket, and the page goes back to its login
    token = rest.token("alice")
    user = '{"id": "alice", "name": "Alice Martin", "role": "supervisor"}'
    session = f'{{"token": "{token}", "user": {user}}}'
    page.evaluate(f"() => sessionStorage.setItem('helpline.console.session', '{session}')")
    console.open()
    expect(page.locator("#login-error")).to_contain_text("forbidden: role 'agent' may not use /supervisor")
    expect(page.locator("#console")).to_be_hidden()

    status, answer = rest.call("alice", "GET", "/supervisor/audit")
    assert (status, answer["error_id"]) == (403, "forbidden")


def test_given_a_live_wallboard_when_a_chat_arrives_is_answered_and_ends_then_figures_follow(
    page: Page, context: BrowserContext, server: Server, rest: Rest
) -> None:
    console = ConsolePage(page, server).open().log_in("sam")
    console.expect_live("Sam Patel")
    expect(console.queue("web-chat", "offered")).to_have_text("0")

    alice = _alice_available(context, server)
    expect(console.queue("web-chat", "available")).to_have_text("1", timeout=WITHIN_A_SECOND)
    expect(console.agent("alice").locator(".state")).to_have_text("available", timeout=WITHIN_A_SECOND)

    interaction = rest.chat(name="Walt Board")
    expect(console.queue("web-chat", "offered")).to_have_text("1", timeout=WITHIN_A_SECOND)
    expect(console.agent("alice")).to_contain_text(interaction[:8], timeout=WITHIN_A_SECOND)
    expect(console.work(interaction)).to_contain_text("offered at alice", timeout=WITHIN_A_SECOND)
    # while the offer rings alice is not free to take another: ringing, not available
    expect(console.queue("web-chat", "ringing")).to_have_text("1", timeout=WITHIN_A_SECOND)
    expect(console.queue("web-chat", "available")).to_have_text("0")
    expect(console.agent("alice").locator(".state")).to_have_text("ringing")

    alice.offer(interaction).get_by_role("button", name="Accept").click()
    expect(console.queue("web-chat", "answered")).to_have_text("1", timeout=WITHIN_A_SECOND)
    expect(console.queue("web-chat", "busy")).to_have_text("1", timeout=WITHIN_A_SECOND)
    expect(console.agent("alice").locator(".state")).to_have_text("busy")
    expect(console.queue("web-chat", "asa")).to_have_text(re.compile(r"^0:0\d$"))
    expect(console.queue("web-chat", "service_level")).to_have_text("100% / 80%")
    expect(console.queue("web-chat", "service_level")).to_have_attribute("data-breach", "false")
    expect(console.work(interaction)).to_have_count(0)
    # the charts' figures, read from the tables under them: this interval answered in time, waited seconds
    page.locator(".chart-figures summary").first.click()
    page.locator(".chart-figures summary").last.click()
    now_sl = page.locator("#figures-sl tbody tr").first.locator('td[data-queue="web-chat"]')
    expect(now_sl).to_have_text("100%")  # the charts redraw at most once a second
    now_wait = page.locator("#figures-waiting tbody tr").first.locator('td[data-queue="web-chat"]')
    expect(now_wait).to_have_text(re.compile(r"^\d+ s$"))

    rest.ok("alice", "POST", f"/interactions/{interaction}/end", {"reason": "completed"})
    expect(console.agent("alice").locator(".state")).to_have_text("wrap up", timeout=WITHIN_A_SECOND)
    expect(console.queue("web-chat", "wrap_up")).to_have_text("1", timeout=WITHIN_A_SECOND)
    expect(console.agent("alice")).not_to_contain_text(interaction[:8])

    # handled once the demo queue's 10 s wrap-up is over: AHT counts talk and wrap-up
    handled = console.agent("alice").locator('[data-figure="handled"]')
    expect(handled).to_have_text("1", timeout=20_000)
    expect(console.queue("web-chat", "aht")).to_have_text(re.compile(r"^0:1\d$"), timeout=WITHIN_A_SECOND)
    expect(console.agent("alice").locator(".state")).to_have_text("available")


def test_given_waiting_calls_over_the_threshold_when_shown_then_the_figure_is_coloured(
    page: Page, server: Server, rest: Rest
) -> None:
    console = ConsolePage(page, server).open().log_in("ada")
    console.expect_live("Ada Admin")
    for _ in range(6):  # the demo's threshold: more than 5 waiting
        rest.ok("crm", "POST", "/interactions", {"channel": "voice", "queue": "billing"})
    expect(console.queue("billing", "waiting")).to_have_text("6")
    expect(console.queue("billing", "waiting")).to_have_attribute("data-breach", "true")
    expect(console.queue("support", "waiting")).to_have_attribute("data-breach", "false")

    page.get_by_label("Filter by queue").select_option("support")
    expect(page.locator("#queue-rows tr")).to_have_count(1)
    expect(console.queue("support", "waiting")).to_have_text("0")
    page.get_by_label("Filter by queue").select_option("")
    page.get_by_label("Filter by skill").select_option("sales")
    expect(page.locator("#queue-rows tr")).to_have_count(1)
    expect(console.agent("alice")).to_have_count(0)  # no sales skill
    expect(console.agent("carol")).to_have_count(1)


def test_given_a_supervisor_when_changing_an_agents_state_then_the_agents_panel_shows_it_and_it_is_audited(
    page: Page, context: BrowserContext, server: Server, rest: Rest
) -> None:
    alice = _alice_available(context, server)
    console = ConsolePage(page, server).open().log_in("sam")
    console.expect_live("Sam Patel")

    console.set_agent_state("alice", "not_ready", "coaching")
    expect(alice.state).to_have_text("Not ready · coaching")
    expect(console.agent("alice").locator(".state")).to_have_text("not ready: coaching")

    console.set_agent_state("alice", "offline")
    expect(alice.state).to_have_text("Offline")

    audit = rest.ok("sam", "GET", "/supervisor/audit")["items"]
    assert [(a["by"], a["action"], a["agent_id"]) for a in audit[:2]] == [
        ("sam", "log_out", "alice"),
        ("sam", "set_presence", "alice"),
    ]
    assert audit[1]["details"]["presence"]["reason"] == "coaching"


def test_given_waiting_work_when_supervisor_moves_and_offers_it_then_it_goes_there_and_why_says_so(
    page: Page, context: BrowserContext, server: Server, rest: Rest
) -> None:
    console = ConsolePage(page, server).open().log_in("sam")
    console.expect_live("Sam Patel")
    call = rest.ok("crm", "POST", "/interactions", {"channel": "voice", "queue": "billing"})["id"]
    row = console.work(call)
    expect(row).to_contain_text("in billing, waiting")
    row.get_by_label("Move to queue").select_option("sales")  # where alice is no member
    row.get_by_role("button", name="Move").click()
    expect(console.work(call)).to_contain_text("in sales, waiting")
    expect(console.queue("billing", "waiting")).to_have_text("0")
    expect(console.queue("sales", "waiting")).to_have_text("1")

    # a chat nobody qualifies for (French at level 9) waits though alice is available: offer it to her
    alice = _alice_available(context, server)
    body = {"channel": "chat", "queue": "web-chat", "skills": [{"skill": "french", "min_level": 9}]}
    chat = rest.ok("crm", "POST", "/interactions", body)["id"]
    expect(console.work(chat)).to_contain_text("in web-chat, waiting")
    console.work(chat).get_by_role("button", name="Why?").click()
    expect(page.locator("#trace h3")).to_have_text(f"Why {chat[:8]} is waiting in web-chat")
    expect(page.locator("#trace")).to_contain_text("no agent could take it")
    expect(page.locator("#trace .excluded")).to_contain_text("skill level too low (french 7<9)")
    console.work(chat).get_by_label("Offer to agent").fill("alice")
    console.work(chat).get_by_role("button", name="Offer").click()
    expect(alice.offer(chat)).to_be_visible()
    expect(page.locator("#trace")).to_contain_text("A supervisor offered it to Alice Martin")

    audit = rest.ok("sam", "GET", "/supervisor/audit")["items"]
    assert [(a["action"], a["interaction_id"]) for a in audit[:2]] == [("offer", chat), ("move", call)]
    assert audit[1]["details"] == {"from": "billing", "to": "sales"}


def test_given_the_console_page_when_served_then_strict_csp_and_charts_draw_without_violations(
    page: Page, server: Server, rest: Rest
) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    response = page.goto(server.base + "/supervisor")
    assert response is not None and response.ok
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe" not in csp
    console = ConsolePage(page, server).log_in("sam")
    console.expect_live("Sam Patel")
    expect(page.locator("#chart-sl canvas")).to_have_count(1)
    expect(page.locator("#chart-waiting canvas")).to_have_count(1)
    assert problems == []
