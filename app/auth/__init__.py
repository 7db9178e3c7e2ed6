"""Staff accounts, roles, sign-in and the access policy of every route."""
