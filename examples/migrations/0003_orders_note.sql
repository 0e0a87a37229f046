-- A blank column: fast, but waits for ACCESS EXCLUSIVE behind any backup or long read.
ALTER TABLE orders ADD COLUMN note text;
ALTER TABLE orders ALTER COLUMN total TYPE numeric(14, 2);
