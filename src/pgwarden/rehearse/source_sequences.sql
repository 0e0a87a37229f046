-- Where each sequence stands on the source (NULL when never used or not readable), so rows
-- the migrations insert into the sampled copy get fresh keys as they would in production.
SELECT schemaname, sequencename, last_value
FROM pg_sequences
WHERE last_value IS NOT NULL
ORDER BY 1, 2
