"""The read-only web view, /healthz and /metrics, served by `pantau run` in the service's own event loop."""
