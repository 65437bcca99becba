"""Official channels: a signed statement of the fund's addresses."""
