-- Receipts (receipt.rs): each stored vote keeps the SHA-256 of the random receipt its voter was
-- shown, never the receipt itself. Each monthly close publishes the Merkle root over the
-- month's counted receipts.
ALTER TABLE votes ADD COLUMN receipt_hash TEXT;
CREATE INDEX votes_receipt ON votes(receipt_hash) WHERE receipt_hash IS NOT NULL;
CREATE TABLE monthly_digests (
  month TEXT PRIMARY KEY,
  root TEXT NOT NULL,
  counted INTEGER NOT NULL,
  made_at INTEGER NOT NULL
);
