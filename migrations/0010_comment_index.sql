-- Comments are listed by time within a period; only about one vote in thirty carries one. A
-- partial index keeps the listing to those votes instead of every vote of the period.
CREATE INDEX votes_commented ON votes(created_at) WHERE coalesce(comment, '') <> '';
