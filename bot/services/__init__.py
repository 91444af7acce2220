"""Domain logic: the rules of the product. Nothing here imports discord."""
