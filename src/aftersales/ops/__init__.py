"""Operations: Prometheus metrics, health and readiness probes (docs/deploy.md).

`metrics` imports no domain, so any domain may record into it; `queues` and `views` read the
domains' tables at scrape time and sit above them, outside `core`.
"""
