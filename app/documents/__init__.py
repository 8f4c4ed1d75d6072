"""Documents read by the service (a brief, a report, an article) and the names they hold, adopted as candidates."""
