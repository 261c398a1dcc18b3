"""Server: the daemon process: its socket server, ops, configuration, events and systemd glue."""
