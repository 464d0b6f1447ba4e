-- Integrity flags: a vote that an integrity rule doubts is stored with status 'flagged' and the
-- rule's reason, and left out of official results until an admin reviews it.
ALTER TABLE votes ADD COLUMN flag_reason TEXT;
