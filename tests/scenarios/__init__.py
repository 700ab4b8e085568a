"""Scenario tests: one test per rule clause and per ⚙ default of spec/workflows.md, driven
through the HTTP API and the deadline sweeper while travelling in time."""
