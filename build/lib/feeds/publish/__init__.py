"""Publishing: one publisher per kind of output (``publishers.PUBLISHERS``)."""
