"""Registers the case handler with the deadline sweeper."""

from aftersales.cases.services import fire_deadline
from aftersales.deadlines import sweeper

sweeper.register("case", fire_deadline)
