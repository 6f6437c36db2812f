package registry

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestPostgresSecondWriterRow: zkcred_registry_writer must hold exactly
// one row. With a second row (another lock key), pgx's QueryRow reads
// whichever row comes first, so two instances could each take a
// different advisory lock and both believe they are the writer (the
// epoch fence then makes them take turns, each change refused to the
// other). The store refuses to open instead.
func TestPostgresSecondWriterRow(t *testing.T) {
	ctx := context.Background()
	dsn := pgSchemaDSN(t)
	st := openPGStore(t, dsn)
	st.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO zkcred_registry_writer (version, lock_key, epoch, holder) VALUES (1, 42, 0, '')`); err != nil {
		t.Fatal(err)
	}
	if st, err := OpenPostgresStore(ctx, dsn); !errors.Is(err, ErrStore) {
		if st != nil {
			st.Close()
		}
		t.Fatalf("store with two writer rows: %v, want ErrStore", err)
	}
}
