-- Public results served from stored pages (public.rs): the hourly roll-up and the monthly
-- close write one page per unit and month (unit 0: the top of the tree), with suppression
-- applied, and a version per month that names the pages in the Workers cache.
CREATE TABLE public_results (
  month TEXT NOT NULL,
  unit_id INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (month, unit_id)
) WITHOUT ROWID;
CREATE TABLE public_versions (
  month TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  made_at INTEGER NOT NULL
);
-- The month's Merkle tree over its counted receipts (receipt.rs), stored by the monthly close:
-- level 0 holds the leaves in order, each level above the next one up. A proof reads the leaf
-- by its hash and one node per level.
CREATE TABLE receipt_tree (
  month TEXT NOT NULL,
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (month, level, idx)
) WITHOUT ROWID;
CREATE INDEX receipt_tree_leaves ON receipt_tree(hash) WHERE level = 0;
