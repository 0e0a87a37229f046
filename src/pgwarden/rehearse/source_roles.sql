-- Role names the schema may mention (owners, grants, policies); the copy gets NOLOGIN roles of
-- the same names and nothing else about them (no passwords, no attributes).
SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1
