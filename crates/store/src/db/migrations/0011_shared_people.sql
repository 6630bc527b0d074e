-- Stateline local store: people shared across a store's registers (issue #13).
-- Append-only: never edit this file once released; add a later migration instead.

-- When each part of a user last changed (this register's clock, or the register that changed it),
-- so copies of a user changed at different registers while cut off converge part by part: the
-- later change of each part wins, and on a tie the lock and the disabling win.
ALTER TABLE users ADD COLUMN role_changed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN lock_changed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN disabled_changed_at INTEGER NOT NULL DEFAULT 0;
UPDATE users SET role_changed_at = created_at, lock_changed_at = pin_changed_at,
    disabled_changed_at = created_at;
