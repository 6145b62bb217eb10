"""The Slack adapter: the only code that knows Slack.

`app.create_app(settings, services)` builds the Bolt app, `listeners.register`
wires `/intune`, file shares, mentions and DMs to the core, and `render` turns
core results into Block Kit. `runner.run` is `intune-bot run`. Nothing here is
imported by the core, and importing this package does not load slack_bolt.
"""
