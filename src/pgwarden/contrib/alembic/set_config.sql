-- Set one run-time parameter for the rest of the session (is_local = false), value bound.
SELECT set_config(:name, :value, false)
