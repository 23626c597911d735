"""The fill stage: what no frame shows is synthesised from space."""
