"""matplotlib figures from tidy, already suppressed and masked DataFrames."""
