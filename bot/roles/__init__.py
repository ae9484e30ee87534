"""People and roles: who may do what in a group."""
