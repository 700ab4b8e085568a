"""A realistic demo marketplace (`aftersales demo`): shops, carriers, people, orders, and
cases in every status of every workflow, each driven there through the real services."""
