"""People and roles: who may do what in a group (issue 6, point 1)."""
