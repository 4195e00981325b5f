"""Reading: one reader per kind of source (``readers.READERS``), run over workers (``batch``)."""
