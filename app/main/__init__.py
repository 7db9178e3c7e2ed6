"""Home page, staff start page and health check."""
