package issuer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/did/strictjson"
)

// PostgreSQL register schema, version 1 (created by [OpenPostgresRegister]
// if absent):
//
//	zkcred_register(id text PRIMARY KEY, attributes text NOT NULL,
//	                subject_id text NOT NULL DEFAULT '',
//	                valid_from timestamptz, valid_until timestamptz)
//
// attributes is the JSON object of the record's values, kept as text (not
// jsonb) so numbers keep their exact text; it is decoded with
// did/strictjson (a number of magnitude 2^53 or more is refused).
var pgRegisterSchema = `CREATE TABLE IF NOT EXISTS zkcred_register (
	id          text PRIMARY KEY,
	attributes  text NOT NULL,
	subject_id  text NOT NULL DEFAULT '',
	valid_from  timestamptz,
	valid_until timestamptz
)`

// PostgresRegister is a [Register] in PostgreSQL, shared by several issuer
// instances and maintained by the agency's own systems.
type PostgresRegister struct {
	pool *pgxpool.Pool
}

var _ Register = (*PostgresRegister)(nil)

// OpenPostgresRegister connects to the database named by dsn (a libpq
// connection string or URL) and creates the table if needed. Errors wrap
// [openid4vci.ErrConfig] or [openid4vci.ErrStore].
func OpenPostgresRegister(ctx context.Context, dsn string) (*PostgresRegister, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: PostgreSQL DSN: %v", openid4vci.ErrConfig, err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", openid4vci.ErrStore, err)
	}
	if _, err := pool.Exec(ctx, pgRegisterSchema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%w: creating zkcred_register: %w", openid4vci.ErrStore, err)
	}
	return &PostgresRegister{pool: pool}, nil
}

// Close closes the connection pool.
func (p *PostgresRegister) Close() { p.pool.Close() }

// Ping checks that the database answers ([Issuer.Ready] calls it). Errors
// wrap [openid4vci.ErrStore].
func (p *PostgresRegister) Ping(ctx context.Context) error {
	if err := p.pool.Ping(ctx); err != nil {
		return fmt.Errorf("%w: %w", openid4vci.ErrStore, err)
	}
	return nil
}

// Put inserts or replaces a record. Errors wrap [openid4vci.ErrConfig] (an
// empty id, one over 256 bytes, an id or a value that is not valid UTF-8)
// or [openid4vci.ErrStore].
func (p *PostgresRegister) Put(ctx context.Context, r Record) error {
	if err := checkRecordID(r.ID); err != nil {
		return err
	}
	attrs, err := marshalState(r.Values) // refuses invalid UTF-8
	if err != nil {
		return fmt.Errorf("%w: values: %v", openid4vci.ErrConfig, err)
	}
	_, err = p.pool.Exec(ctx, `INSERT INTO zkcred_register (id, attributes, subject_id, valid_from, valid_until)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET attributes = $2, subject_id = $3, valid_from = $4, valid_until = $5`,
		r.ID, string(attrs), r.SubjectID, nullTime(r.ValidFrom), nullTime(r.ValidUntil))
	if err != nil {
		return fmt.Errorf("%w: %w", openid4vci.ErrStore, err)
	}
	return nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Record reads record id, or returns an error wrapping
// [openid4vci.ErrUnknownRecord] (also for an id that is not valid UTF-8,
// which [PostgresRegister.Put] never stores).
func (p *PostgresRegister) Record(ctx context.Context, id string) (Record, error) {
	if checkRecordID(id) != nil {
		return Record{}, fmt.Errorf("%w: not a valid record id", openid4vci.ErrUnknownRecord)
	}
	var attrs string
	var from, until *time.Time
	r := Record{ID: id}
	err := p.pool.QueryRow(ctx, `SELECT attributes, subject_id, valid_from, valid_until FROM zkcred_register WHERE id = $1`, id).
		Scan(&attrs, &r.SubjectID, &from, &until)
	if errors.Is(err, pgx.ErrNoRows) {
		return Record{}, fmt.Errorf("%w: %q", openid4vci.ErrUnknownRecord, truncate(id, 64))
	}
	if err != nil {
		return Record{}, fmt.Errorf("%w: %w", openid4vci.ErrStore, err)
	}
	if err := strictjson.Unmarshal([]byte(attrs), &r.Values); err != nil || r.Values == nil {
		return Record{}, fmt.Errorf("%w: record %q: attributes are not a JSON object: %v", openid4vci.ErrInvalidRecord, truncate(id, 64), err)
	}
	if from != nil {
		r.ValidFrom = *from
	}
	if until != nil {
		r.ValidUntil = *until
	}
	return r, nil
}
