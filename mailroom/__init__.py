"""The email channel (SPEC §7): every inbound message stored with its outcome, the transports
(Maildir, standard input) feeding one ingestion service that calls tickets' services."""
