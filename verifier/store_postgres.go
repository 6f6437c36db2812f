package verifier

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgreSQL store schema, version 2 (created by [OpenPostgres] if absent,
// under an advisory lock so that instances starting together do not race;
// a version 1 schema is upgraded in place by creating zkcred_root_floors,
// and version 1 code refuses version 2, so an old instance cannot share the
// database while ignoring the floors):
//
//	zkcred_verifier_meta(version int)
//	zkcred_requests(id text PRIMARY KEY, nonce bytea NOT NULL UNIQUE,
//	                body bytea NOT NULL, expires_at timestamptz NOT NULL,
//	                created_at timestamptz NOT NULL, answered_at timestamptz)
//	zkcred_nullifiers(scope text NOT NULL, nullifier bytea NOT NULL,
//	                  request_id text NOT NULL, recorded_at timestamptz NOT NULL,
//	                  UNIQUE (scope, nullifier))
//	zkcred_root_floors(issuer text PRIMARY KEY, sequence bigint NOT NULL)
//	zkcred_answer(...) RETURNS text: Answer in one statement (pgAnswerFunc)
//
// zkcred_root_floors.sequence is the highest revocation root sequence
// accepted per issuer, stored as int64(seq ^ 1<<63) so that the uint64
// order is bigint order. Answer raises it in the transaction that marks the
// request answered, with INSERT ... ON CONFLICT DO UPDATE ... WHERE, which
// locks the row: concurrent raises serialize and the highest stays.
//
// The UNIQUE constraints, not application checks, are what make a nonce
// single-use and a nullifier single-use per scope across every verifier
// instance sharing the database. Tables live in the connection's
// search_path.
const pgSchemaVersion = 2

const pgAdvisoryLock = 0x7a6b637265640001 // "zkcred" + 1

var pgSchema = []string{
	`CREATE TABLE IF NOT EXISTS zkcred_verifier_meta (version integer NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS zkcred_requests (
		id          text PRIMARY KEY,
		nonce       bytea NOT NULL UNIQUE,
		body        bytea NOT NULL,
		expires_at  timestamptz NOT NULL,
		created_at  timestamptz NOT NULL,
		answered_at timestamptz
	)`,
	`CREATE INDEX IF NOT EXISTS zkcred_requests_expires_at ON zkcred_requests (expires_at)`,
	`CREATE TABLE IF NOT EXISTS zkcred_nullifiers (
		scope       text NOT NULL,
		nullifier   bytea NOT NULL,
		request_id  text NOT NULL,
		recorded_at timestamptz NOT NULL,
		CONSTRAINT zkcred_nullifiers_scope_nullifier_key UNIQUE (scope, nullifier)
	)`,
	`CREATE TABLE IF NOT EXISTS zkcred_root_floors (
		issuer   text PRIMARY KEY,
		sequence bigint NOT NULL
	)`,
	pgCheckpointTable, // checkpoint_store.go
	pgAnswerFunc,
}

// pgAnswerFunc is Answer in one statement, so one round trip: the same
// READ COMMITTED steps the transaction it replaced ran one round trip
// each. Outcomes that write nothing (unknown, replay, expired) return a
// word; those found after the request's UPDATE (a root below a floor, a
// duplicate nullifier) raise ZK001 or ZK002, which rolls the whole
// statement back. p_min and p_max are pgSeq-encoded, one per issuer, in
// issuer order. Replaced on every open (CREATE OR REPLACE), under the
// migration's advisory lock.
const pgAnswerFunc = `CREATE OR REPLACE FUNCTION zkcred_answer(p_id text, p_at timestamptz, p_scope text,
	p_nullifier bytea, p_issuers text[], p_min bigint[], p_max bigint[]) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	n integer;
	answered timestamptz;
	floor_seq bigint;
BEGIN
	UPDATE zkcred_requests SET answered_at = p_at WHERE id = p_id AND answered_at IS NULL AND expires_at > p_at;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n = 0 THEN
		SELECT r.answered_at INTO answered FROM zkcred_requests r WHERE r.id = p_id;
		IF NOT FOUND THEN
			RETURN 'unknown';
		ELSIF answered IS NOT NULL THEN
			RETURN 'replay';
		END IF;
		RETURN 'expired';
	END IF;
	FOR i IN 1 .. coalesce(array_length(p_issuers, 1), 0) LOOP
		INSERT INTO zkcred_root_floors AS f (issuer, sequence) VALUES (p_issuers[i], p_max[i])
			ON CONFLICT (issuer) DO UPDATE SET sequence = GREATEST(f.sequence, EXCLUDED.sequence)
			WHERE f.sequence <= p_min[i];
		GET DIAGNOSTICS n = ROW_COUNT;
		IF n = 0 THEN
			SELECT f.sequence INTO floor_seq FROM zkcred_root_floors f WHERE f.issuer = p_issuers[i];
			RAISE EXCEPTION 'zkcred: root below floor' USING ERRCODE = 'ZK001', DETAIL = (i - 1)::text || ' ' || floor_seq::text;
		END IF;
	END LOOP;
	IF p_scope <> '' THEN
		INSERT INTO zkcred_nullifiers (scope, nullifier, request_id, recorded_at)
			VALUES (p_scope, p_nullifier, p_id, p_at) ON CONFLICT ON CONSTRAINT zkcred_nullifiers_scope_nullifier_key DO NOTHING;
		GET DIAGNOSTICS n = ROW_COUNT;
		IF n = 0 THEN
			RAISE EXCEPTION 'zkcred: duplicate nullifier' USING ERRCODE = 'ZK002';
		END IF;
	END IF;
	RETURN 'ok';
END
$$`

// pgSeq maps a uint64 sequence to a bigint with the same order.
func pgSeq(seq uint64) int64 { return int64(seq ^ 1<<63) }

// PostgresStore is the shared [Store] for several verifier instances,
// backed by a pgx connection pool.
type PostgresStore struct {
	pool *pgxpool.Pool
}

var _ Store = (*PostgresStore)(nil)

// OpenPostgres connects to the database named by dsn (a libpq connection
// string or URL, see pgxpool.ParseConfig), creates the schema if needed and
// checks its version.
func OpenPostgres(ctx context.Context, dsn string) (*PostgresStore, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The DSN may hold a password: do not echo it.
		return nil, fmt.Errorf("%w: invalid PostgreSQL connection string", ErrStore)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: connecting to PostgreSQL: %v", ErrStore, err)
	}
	s := &PostgresStore{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// NewPostgres is [OpenPostgres] with a pool the caller configured; the
// store takes ownership of the pool (Close closes it).
func NewPostgres(ctx context.Context, pool *pgxpool.Pool) (*PostgresStore, error) {
	s := &PostgresStore{pool: pool}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *PostgresStore) migrate(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgAdvisoryLock)); err != nil {
			return err
		}
		for _, q := range pgSchema {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		var v int
		err := tx.QueryRow(ctx, `SELECT version FROM zkcred_verifier_meta LIMIT 1`).Scan(&v)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			_, err = tx.Exec(ctx, `INSERT INTO zkcred_verifier_meta (version) VALUES ($1)`, pgSchemaVersion)
			return err
		case err != nil:
			return err
		case v == 1: // upgraded: zkcred_root_floors was created above
			_, err = tx.Exec(ctx, `UPDATE zkcred_verifier_meta SET version = $1`, pgSchemaVersion)
			return err
		case v != pgSchemaVersion:
			return fmt.Errorf("unsupported schema version %d", v)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: creating PostgreSQL schema: %v", ErrStore, err)
	}
	return nil
}

// CreateRequest implements [Store].
func (s *PostgresStore) CreateRequest(ctx context.Context, r *StoredRequest) error {
	if err := checkStoredRequest(r); err != nil {
		return err
	}
	var answered *time.Time
	if !r.AnsweredAt.IsZero() {
		answered = &r.AnsweredAt
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO zkcred_requests (id, nonce, body, expires_at, created_at, answered_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, r.ID, r.Nonce, r.Body, r.ExpiresAt, r.CreatedAt, answered)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
		return fmt.Errorf("%w: %s", ErrDuplicateRequest, r.ID)
	}
	return storeErr("postgres", err)
}

// GetRequest implements [Store].
func (s *PostgresStore) GetRequest(ctx context.Context, id string) (*StoredRequest, error) {
	r := &StoredRequest{}
	var answered *time.Time
	err := s.pool.QueryRow(ctx, `SELECT id, nonce, body, expires_at, created_at, answered_at
		FROM zkcred_requests WHERE id = $1`, id).Scan(&r.ID, &r.Nonce, &r.Body, &r.ExpiresAt, &r.CreatedAt, &answered)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUnknownRequest
	}
	if err != nil {
		return nil, storeErr("postgres", err)
	}
	r.ExpiresAt, r.CreatedAt = r.ExpiresAt.UTC(), r.CreatedAt.UTC()
	if answered != nil {
		r.AnsweredAt = answered.UTC()
	}
	return r, nil
}

// Answer implements [Store] in one round trip: one statement,
// zkcred_answer (see pgAnswerFunc), whose implicit transaction runs at READ
// COMMITTED: the conditional UPDATE takes the request's row lock (a
// concurrent answer to the same request waits, then sees answered_at set),
// and the nullifier INSERT ... ON CONFLICT DO NOTHING waits for any
// concurrent insert of the same (scope, nullifier) and inserts nothing if
// that one committed. The root floor upserts lock each issuer's row (in
// issuer order, so two answers naming the same issuers cannot deadlock), so
// concurrent raises serialize, and the WHERE refuses (no row) a sequence
// below the committed floor. PostgreSQL commits concurrent transactions
// with shared WAL flushes by itself.
func (s *PostgresStore) Answer(ctx context.Context, a *AnswerRecord) error {
	if err := checkAnswer(a); err != nil {
		return err
	}
	fl := a.floors()
	issuers := make([]string, len(fl))
	mins, maxs := make([]int64, len(fl)), make([]int64, len(fl))
	for i, f := range fl {
		issuers[i], mins[i], maxs[i] = f.issuer, pgSeq(f.min), pgSeq(f.max)
	}
	var nullifier []byte
	if a.Scope != "" {
		nullifier = a.Nullifier
	}
	var outcome string
	err := s.pool.QueryRow(ctx, `SELECT zkcred_answer($1, $2, $3, $4, $5, $6, $7)`,
		a.RequestID, a.At, a.Scope, nullifier, issuers, mins, maxs).Scan(&outcome)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "ZK001":
		var i int
		var floor int64
		if _, serr := fmt.Sscanf(pgErr.Detail, "%d %d", &i, &floor); serr != nil || i < 0 || i >= len(fl) {
			return fmt.Errorf("%w: postgres: malformed floor report %.80q", ErrStore, pgErr.Detail)
		}
		return staleFloor(fl[i].issuer, fl[i].min, uint64(floor)^1<<63)
	case errors.As(err, &pgErr) && pgErr.Code == "ZK002":
		return ErrDuplicateNullifier
	case err != nil:
		return storeErr("postgres", err)
	}
	switch outcome {
	case "ok":
		return nil
	case "unknown":
		return ErrUnknownRequest
	case "replay":
		return ErrReplay
	case "expired":
		return ErrExpiredRequest
	}
	return fmt.Errorf("%w: postgres: zkcred_answer returned %.40q", ErrStore, outcome)
}

// DeleteExpired implements [Store].
func (s *PostgresStore) DeleteExpired(ctx context.Context, t time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM zkcred_requests WHERE expires_at <= $1`, t)
	if err != nil {
		return 0, storeErr("postgres", err)
	}
	return int(tag.RowsAffected()), nil
}

// RootFloor implements [Store].
func (s *PostgresStore) RootFloor(ctx context.Context, issuer string) (uint64, error) {
	floor, err := s.rootFloor(ctx, s.pool, issuer)
	if err != nil {
		return 0, storeErr("postgres", err)
	}
	return floor, nil
}

func (s *PostgresStore) rootFloor(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, issuer string) (uint64, error) {
	var v int64
	err := q.QueryRow(ctx, `SELECT sequence FROM zkcred_root_floors WHERE issuer = $1`, issuer).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return uint64(v) ^ 1<<63, nil
}

// Close implements [Store].
func (s *PostgresStore) Close() error {
	s.pool.Close()
	return nil
}
