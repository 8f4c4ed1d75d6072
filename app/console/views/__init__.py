"""The console's pages, one module per area; each module's ``router`` is mounted under /console."""
