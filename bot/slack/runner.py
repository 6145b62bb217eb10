"""`intune-bot run`: Socket Mode, HTTP mode, or the local text mode when no token is set.

Every way it can fail to start ends in one line on stderr and exit code 2,
never a traceback: people meet this first, before any README.
"""

from __future__ import annotations

import logging
import sys
import threading

from bot.settings import HOW_TO_GET, README_SETUP, Settings, SettingsError

log = logging.getLogger("intune-bot")
HEARTBEAT = 60.0  # seconds; an idle Socket Mode link can go quiet (bolt-python#1529)


def run(*, http: bool = False, port: int = 3000, host: str = "0.0.0.0") -> int:
    try:
        settings = Settings.from_env()
        if not settings.has_any_slack_credential and not http:
            from bot.prompt import run_prompt  # the terminal front end: no Slack needed

            return run_prompt(sys.stdin, sys.stdout, settings)
        settings.check(http=http)
        return _serve(settings, http=http, host=host, port=port)
    except SettingsError as err:
        print(f"intune-bot: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def _serve(settings: Settings, *, http: bool, host: str, port: int) -> int:
    from bot.slack.app import Services, create_app
    from bot.slack.digest import start_digest

    # Until Slack has accepted the tokens, one line on stderr says it all: the SDK's own
    # error logs would only repeat it, with a traceback.
    logging.disable(logging.CRITICAL)
    services = Services.create(settings)
    digest = None
    try:
        app = create_app(settings, services)  # auth.test: a refused token raises SettingsError
        if http:
            server = _listen(app, host, port, settings.signing_secret or "")
        else:
            handler = _connect(app, settings)
        logging.disable(logging.NOTSET)
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        digest = start_digest(app.client, settings, services.seen)  # None: no digest channel set
        if http:
            log.info(
                "HTTP mode: events at http://%s:%s/slack/events, health at /health",
                host,
                server.effective_port,
            )
            server.run()
        else:
            _heartbeat(app)
            log.info("Socket Mode: connected to Slack; Ctrl-C to stop")
            try:
                threading.Event().wait()
            finally:
                handler.close()
    finally:
        logging.disable(logging.NOTSET)
        if digest:
            digest.stop()
        services.close()
    return 0


def _listen(app, host: str, port: int, secret: str):  # type: ignore[no-untyped-def]
    from bot.slack.server import make_server

    try:
        return make_server(app, host, port, secret=secret)
    except OSError as err:
        raise SettingsError(
            f"cannot listen on {host}:{port}: {err.strerror or err}; try another --port"
        ) from None


def _connect(app, settings: Settings):  # type: ignore[no-untyped-def]
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError

    handler = SocketModeHandler(app, app_token=settings.app_token)
    try:
        handler.connect()  # apps.connections.open with the app-level token
    except SlackApiError as err:
        code = err.response.get("error", "error") if err.response is not None else "error"
        raise SettingsError(
            f"Slack refused SLACK_APP_TOKEN ({code}). It must be {HOW_TO_GET['SLACK_APP_TOKEN']}. "
            f"See {README_SETUP}."
        ) from None
    return handler


def _heartbeat(app) -> None:  # type: ignore[no-untyped-def]
    """auth.test every minute: any Web API call wakes an idle Socket Mode link (python-slack-sdk#1701)."""

    def beat() -> None:
        while not stop.wait(HEARTBEAT):
            try:
                app.client.auth_test()
            except Exception as err:
                log.warning("heartbeat auth.test failed: %s", err)

    stop = threading.Event()
    threading.Thread(target=beat, name="slack-heartbeat", daemon=True).start()
