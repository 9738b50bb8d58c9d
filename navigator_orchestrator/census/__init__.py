"""Census contract, validation and loading; synthetic census generator."""
