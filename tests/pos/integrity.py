"""Checks that nothing was half-written in a register's database after the local API was driven:
SQLite's integrity and foreign-key checks, every outbox entry with its record (a sale with its
lines), every POS ticket with its outbox entry of the same kind, and the outbox counts equal to
the entries. Standard library only; opens the database read-only. Exit 1 with what is wrong."""

import sqlite3
import sys


def problems(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    one = lambda sql: db.execute(sql).fetchall()
    found = []
    integrity = one("PRAGMA integrity_check")
    if integrity != [("ok",)]:
        found.append(f"integrity_check: {integrity[:5]}")
    fk = one("PRAGMA foreign_key_check")
    if fk:
        found.append(f"foreign_key_check: {len(fk)} row(s), e.g. {fk[:5]}")
    checks = {
        "sale entries without their sale": """
            SELECT o.id FROM outbox o LEFT JOIN sales s ON s.id = o.record_id
            WHERE o.kind = 'sale' AND (s.id IS NULL OR s.client_id <> o.client_id)""",
        "sales without lines": """
            SELECT s.id FROM sales s
            WHERE NOT EXISTS (SELECT 1 FROM sale_lines l WHERE l.sale_id = s.id)""",
        "sales without their outbox entry": """
            SELECT s.id FROM sales s
            WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'sale' AND o.record_id = s.id)""",
        "adjustment entries without their adjustment": """
            SELECT o.id FROM outbox o LEFT JOIN adjustments a ON a.id = o.record_id
            WHERE o.kind = 'adjustment' AND (a.id IS NULL OR a.client_id <> o.client_id)""",
        "adjustments without their outbox entry": """
            SELECT a.id FROM adjustments a
            WHERE NOT EXISTS (SELECT 1 FROM outbox o
                              WHERE o.kind = 'adjustment' AND o.record_id = a.id)""",
        "POS tickets without their entry (or of another kind)": """
            SELECT t.ticket FROM pos_tickets t LEFT JOIN outbox o ON o.id = t.entry_id
            WHERE o.id IS NULL OR o.kind <> t.kind""",
        "outbox counts that differ from the entries": """
            SELECT c.licence, c.acting_user, c.state FROM outbox_counts c
            WHERE c.count <> (SELECT COUNT(*) FROM outbox o WHERE o.licence = c.licence
                              AND o.acting_user = c.acting_user AND o.state = c.state)""",
    }
    for what, sql in checks.items():
        rows = one(sql)
        if rows:
            found.append(f"{what}: {len(rows)}, e.g. {rows[:5]}")
    counts = {t: one(f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("outbox", "pos_tickets", "sales")}
    return found, counts


def main():
    found, counts = problems(sys.argv[1])
    if found:
        print("integrity: half-written records found:", file=sys.stderr)
        for line in found:
            print(f"  {line}", file=sys.stderr)
        sys.exit(1)
    print(f"integrity: ok ({counts['outbox']} outbox entries, {counts['sales']} sales, "
          f"{counts['pos_tickets']} POS tickets)")


if __name__ == "__main__":
    main()
