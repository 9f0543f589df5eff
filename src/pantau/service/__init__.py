"""Who calls the pipeline when: a single pass (`once`), the embedded scheduler (`run`), later workers."""

from pantau.redact import guard_logger

# What the service logs is redacted where it is written; this is the last guard (a URL in an exception
# message, a channel secret in a library's words) before any handler sees the record.
guard_logger("pantau.service")
guard_logger("pantau.pipeline")
