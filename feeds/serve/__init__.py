"""``feeds serve``: a preview server for the output folder, rebuilding on changes."""
