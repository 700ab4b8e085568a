"""Satisfaction surveys: 1–5 stars and a comment from the consumer once a case (later a
ticket) is finished; results per shop, agent and type."""
