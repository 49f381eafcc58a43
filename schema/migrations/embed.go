// Package migrations holds csat's ClickHouse DDL as numbered files, NNNN_name.sql, embedded in
// the binary. Files are applied in version order by chdb.Migrate and recorded in the
// schema_migrations table; an applied file must never change (its checksum is verified), so a
// schema change is always a new file. Every statement is idempotent (CREATE ... IF NOT EXISTS;
// ALTER TABLE ... ADD COLUMN, whose duplicate-column error chdb.Migrate tolerates) and must run
// on ClickHouse 18.16 as well as on current releases.
package migrations

import "embed"

// FS holds the migration files, NNNN_name.sql, at its root.
//
//go:embed *.sql
var FS embed.FS
