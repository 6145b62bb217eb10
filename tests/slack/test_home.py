"""The App Home tab, through the real Bolt app: app_home_opened → views.publish (issue 6)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.history import UploadInfo, open_history
from bot.slack.render import home
from bot.summary_file import summarize_file
from bot.triage import home_data
from tests.support.connector_logs import legacy_pkcs_ca_outage, two_servers
from tests.support.evtx_writer import write_evtx
from tests.support.legacy_log import START, records
from tests.support.slack import home_opened as opened
from tests.support.slack import texts


def record(settings, path: Path, user="U1") -> None:
    summary = summarize_file(path, keep_events=True)
    info = UploadInfo.from_file(path, "evtx", source="slack", user=user, channel="C1",
                                thread_ts="1700000000.000001")  # fmt: skip
    with open_history(settings.db_path) as history:
        history.record_upload(info, summary.events)


def test_home_shows_servers_open_incidents_uploads_and_help(slack, fake_slack, settings,
                                                             tmp_path):  # fmt: skip
    two_servers(tmp_path / "two.evtx")
    legacy_pkcs_ca_outage(tmp_path / "outage.evtx")
    record(settings, tmp_path / "two.evtx", user="U7")
    record(settings, tmp_path / "outage.evtx")
    with open_history(settings.db_path) as history:
        servers = history.servers()
        open_ = history.incidents(status="open", limit=500)
    call, view = opened(slack, fake_slack)
    assert call["user_id"] == "U1"
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    shown = texts([{"blocks": view["blocks"]}])
    assert len(servers) >= 2
    for server in servers:
        assert f"`{server.name}`" in shown
        assert f"{server.open_incidents} open" in shown
    for server in servers:  # each server's biggest open failure is listed
        top = max((i for i in open_ if i.server == server.name and i.kind == "failure"),
                  key=lambda i: i.count)  # fmt: skip
        assert f"*{top.event_id} ({top.code})* {top.name} × {top.count}" in shown
    assert "since 2026-11-" in shown
    assert "times in UTC" in shown
    assert "Last log `two.evtx` by <@U7>" in shown or "Last log `outage.evtx` by <@U1>" in shown
    assert "Most recurrent failures, last 30 days" in shown
    assert "mention me" in shown
    assert "Slash commands do not work in threads" in shown


def test_home_with_many_servers_stays_within_100_blocks(slack, fake_slack, settings, tmp_path):
    def many():
        for n in range(150):
            yield from records(2, server=f"NDES{n:03d}.contoso.com",
                               start=START + timedelta(minutes=3 * n))  # fmt: skip

    write_evtx(tmp_path / "many.evtx", many())
    record(settings, tmp_path / "many.evtx")
    _, view = opened(slack, fake_slack)
    assert len(view["blocks"]) <= 100
    shown = texts([{"blocks": view["blocks"]}])
    listed = shown.count(":red_circle:")
    assert 30 <= listed < 150
    assert f"…and {150 - listed} more servers" in shown
    assert "How to use" in shown  # the help is never pushed out
    assert "150 connector servers · 150 open incidents" in shown


def test_home_escapes_hostile_server_and_file_names(slack, fake_slack, settings, tmp_path):
    hostile = "NDES<!channel>"
    path = tmp_path / "<@U999> & <!here>.evtx"
    write_evtx(path, records(3, server=hostile))
    record(settings, path)
    _, view = opened(slack, fake_slack)
    shown = texts([{"blocks": view["blocks"]}])
    assert "<!channel>" not in shown
    assert "<@U999>" not in shown
    assert "<!here>" not in shown
    assert "NDES&lt;!channel&gt;" in shown
    assert "`&lt;@U999&gt; &amp; &lt;!here&gt;.evtx`" in shown


def test_home_is_refreshed_each_time_it_is_opened(slack, fake_slack, settings, tmp_path):
    _, first = opened(slack, fake_slack)
    assert "No connector servers yet" in texts([{"blocks": first["blocks"]}])
    write_evtx(tmp_path / "a.evtx", records(3))
    record(settings, tmp_path / "a.evtx")
    _, second = opened(slack, fake_slack)
    assert "`NDES01.contoso.com`" in texts([{"blocks": second["blocks"]}])
    opened_messages_tab = {"type": "app_home_opened", "user": "U1", "channel": "D0HOME",
                           "tab": "messages", "event_ts": "1700000000.000200"}  # fmt: skip
    slack.event(opened_messages_tab)
    assert len(fake_slack.calls_to("views.publish")) == 2  # the Messages tab needs no view


def test_home_without_a_history_says_so():
    view = home.view({"available": False})
    assert view["type"] == "home"
    assert "not available" in texts([{"blocks": view["blocks"]}])


def test_home_blocks_pass_slack_sdk_validation(settings, tmp_path):
    from slack_sdk.models.blocks import Block
    from slack_sdk.models.views import View

    two_servers(tmp_path / "two.evtx")
    record(settings, tmp_path / "two.evtx")
    with open_history(settings.db_path) as history:
        view = home.view(home_data(history))
    View(**view).validate_json()
    for block in view["blocks"]:
        Block.parse(block).validate_json()
