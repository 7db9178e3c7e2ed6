"""Economic-activity and occupation classifications: NACE Rev. 2 and ISCO-08 (ESCO)."""
