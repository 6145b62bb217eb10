"""A zip of the chain's logs dropped in Slack: read member by member, the broken hop named."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support.chain_events import chain_records, write_records
from tests.support.chain_logs import MSCEP, Member, Request, build_zip, iis_lines
from tests.support.slack import share, summary_for, texts

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def test_zip_drop_names_the_broken_hop(slack, fake_slack, tmp_path):
    write_records(tmp_path / "a.evtx", chain_records(), "evtx")
    iis = "\r\n".join(iis_lines([Request(T0, MSCEP, 500, query="operation=GetCACert",
                                         user_agent="<!channel>+<https://evil.example|x>")]))  # fmt: skip
    data = build_zip(None, [("(42) Events Application/Events.evtx", (tmp_path / "a.evtx").read_bytes()),
                            ("W3SVC1/u_ex240301.log", iis.encode()), Member("s.evtx", b"x", encrypted=True)])  # fmt: skip
    file = fake_slack.add_file("F9", "DiagLogs-PC-0042.zip", data, content_type="application/zip")
    event = share(slack, file)
    shown = texts([summary_for(fake_slack, event["ts"])])
    assert "broken here" in shown
    assert ":x: *device*" in shown
    assert "*IIS*" in shown
    assert "CA 2 failed" in shown
    assert "↳ " in shown
    assert "<!channel>" not in shown
