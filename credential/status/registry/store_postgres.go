package registry

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgreSQL store schema, version 1 (created by [OpenPostgresStore] if
// absent, under a transaction-level advisory lock so that instances
// starting together do not race):
//
//	zkcred_registry_kv(bucket text COLLATE "C", key bytea, value bytea,
//	                   PRIMARY KEY (bucket, key))
//	zkcred_registry_writer(version int, lock_key bigint, epoch bigint,
//	                       holder text, since timestamptz)   -- one row
//
// zkcred_registry_kv holds the buckets of the [Registry] layout, key order
// is byte order (bytea compares bytewise). zkcred_registry_writer names the
// session-level advisory lock of this registry (lock_key, drawn at random
// when the schema is created, so that registries in different schemas of
// one database do not share a lock) and the fencing epoch, which every
// instance that takes the lock advances. Tables live in the connection's
// search_path: one registry per schema.
const pgRegistrySchemaVersion = 1

// pgSchemaLock serializes schema creation (pg_advisory_xact_lock); the
// verifier's store uses ...0001.
const pgSchemaLock = 0x7a6b637265640003 // "zkcred" + 3

var pgRegistrySchema = []string{
	`CREATE TABLE IF NOT EXISTS zkcred_registry_kv (
		bucket text COLLATE "C" NOT NULL,
		key    bytea NOT NULL,
		value  bytea NOT NULL,
		PRIMARY KEY (bucket, key)
	)`,
	`CREATE TABLE IF NOT EXISTS zkcred_registry_writer (
		version  integer NOT NULL,
		lock_key bigint NOT NULL,
		epoch    bigint NOT NULL,
		holder   text NOT NULL,
		since    timestamptz
	)`,
}

// Bounds on what is read back from the database: the largest value the
// registry writes is a status list of status.MaxStatusListBits bits
// (16 MiB); keys are at most a list name, a separator and 8 bytes.
const (
	pgMaxValue  = 16 << 20
	pgMaxKey    = 512
	pgMaxHolder = 200
	// pgOpTimeout bounds one transaction (a full load of 10^7 ids included).
	pgOpTimeout = 2 * time.Minute
	// pgFlushAt is the number of buffered writes sent in one batch.
	pgFlushAt = 1024
)

// ErrNotWriter is returned by a change (a [Registry] write, or
// [PostgresStore.Update]) on an instance that does not hold its registry's
// writer lock.
var ErrNotWriter = errors.New("status: another instance holds the writer lock for this registry; this instance serves reads (send changes to the writer; this instance takes over when the writer's database session ends)")

// PostgresStore is a [Store] in PostgreSQL for an agency that runs several
// instances of its issuer: every instance reads, exactly one writes.
//
// The writer is whichever instance holds the registry's session-level
// advisory lock (pg_try_advisory_lock) on a dedicated connection; an
// instance tries to take it when it first has a change to make, and keeps
// it until [PostgresStore.Close] or until its session ends (the process
// dies, the connection drops: PostgreSQL then releases the lock and the
// next instance with a change takes over). Taking the lock advances a
// fencing epoch, and every write transaction runs on the lock's session
// and checks, inside the transaction and under a row lock, that the session
// still holds the lock and that the epoch is its own; a writer that lost
// the lock cannot commit (it gets [ErrNotWriter]). Writes commit with
// synchronous_commit on, so a change is durable when it returns.
//
// Reads run on a connection pool in REPEATABLE READ read-only transactions:
// each sees one committed state. Readers do not need the lock; a
// [Registry] on a reader instance catches up with [Registry.Sync].
//
// Open one [Registry] per PostgresStore (one per instance): a registry
// that has held the lock without interruption trusts its memory.
//
// The lock needs a session: connect directly or through a pooler in
// session mode (not PgBouncer's transaction mode, where a write succeeds
// only if it happens to run on the server session that holds the lock). The writer's session asks the server for
// TCP keepalives, so a writer whose host vanished without closing its
// connection loses the lock in about 25 seconds.
type PostgresStore struct {
	pool    *pgxpool.Pool
	connCfg *pgx.ConnConfig
	lockKey int64
	holder  string

	mu     sync.Mutex // serializes Update; guards the fields below
	conn   *pgx.Conn  // the session that holds (or tries for) the writer lock
	held   bool       // conn holds the lock, taken at epoch
	epoch  int64
	closed bool
}

var _ Store = (*PostgresStore)(nil)

// OpenPostgresStore connects to the database named by dsn (a libpq
// connection string or URL, see pgxpool.ParseConfig), creates the schema
// if needed and checks its version. It does not take the writer lock.
// Close it when done: closing releases the lock.
func OpenPostgresStore(ctx context.Context, dsn string) (*PostgresStore, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The DSN may hold a password: do not echo it.
		return nil, fmt.Errorf("%w: invalid PostgreSQL connection string", ErrStore)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: connecting to PostgreSQL: %v", ErrStore, err)
	}
	host, _ := os.Hostname()
	s := &PostgresStore{pool: pool, connCfg: cfg.ConnConfig.Copy(), holder: fmt.Sprintf("%.100s pid %d", host, os.Getpid())}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *PostgresStore) migrate(ctx context.Context) error {
	var key [8]byte
	if _, err := crand.Read(key[:]); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgSchemaLock)); err != nil {
			return err
		}
		for _, q := range pgRegistrySchema {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		var v int
		var rows int64
		// pgx's QueryRow reads the first row and ignores the others: count
		// them, since two rows (two lock keys) would let two instances
		// take different advisory locks.
		err := tx.QueryRow(ctx, `SELECT version, lock_key, count(*) OVER () FROM zkcred_registry_writer`).Scan(&v, &s.lockKey, &rows)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			s.lockKey = int64(binary.BigEndian.Uint64(key[:]))
			_, err = tx.Exec(ctx, `INSERT INTO zkcred_registry_writer (version, lock_key, epoch, holder) VALUES ($1, $2, 0, '')`,
				pgRegistrySchemaVersion, s.lockKey)
			return err
		case err != nil:
			return err
		case rows != 1:
			return fmt.Errorf("zkcred_registry_writer holds %d rows, want one (corrupt: restore the database or delete the extra rows by hand)", rows)
		case v != pgRegistrySchemaVersion:
			return fmt.Errorf("unsupported schema version %d", v)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: creating PostgreSQL schema: %v", ErrStore, err)
	}
	return nil
}

// Close ends the writer session (releasing the writer lock if held) and
// closes the pool. The lock is released before Close returns, so another
// instance can take over at once: closing the connection alone leaves the
// release to the server process's exit, which comes a moment later.
func (s *PostgresStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held && s.conn != nil && !s.conn.IsClosed() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		// Best effort: if it fails, the session's end releases the lock.
		s.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, s.lockKey)
		cancel()
	}
	s.dropLocked()
	s.closed = true
	s.pool.Close()
	return nil
}

// dropLocked closes the writer session: PostgreSQL releases its lock.
func (s *PostgresStore) dropLocked() {
	if s.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.conn.Close(ctx)
		cancel()
	}
	s.conn, s.held = nil, false
}

// claim makes this instance the writer if no other instance is: it
// returns the epoch of its tenure, or [ErrNotWriter].
func (s *PostgresStore) claim() (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), pgOpTimeout)
	defer cancel()
	if err := s.claimLocked(ctx); err != nil {
		return 0, err
	}
	return s.epoch, nil
}

func (s *PostgresStore) claimLocked(ctx context.Context) error {
	if s.closed {
		return fmt.Errorf("%w: store closed", ErrStore)
	}
	if s.held && !s.conn.IsClosed() {
		return nil
	}
	if s.conn == nil || s.conn.IsClosed() {
		s.dropLocked()
		conn, err := pgx.ConnectConfig(ctx, s.connCfg)
		if err != nil {
			return fmt.Errorf("%w: connecting to PostgreSQL: %v", ErrStore, err)
		}
		// Every change waits for its commit record to be flushed (and
		// replicated, if the server has synchronous standbys), whatever
		// the server's default. The server probes this session's TCP
		// connection after 10 s of silence, so that a writer whose host
		// vanished loses the lock in about 25 s (no effect over a Unix
		// socket).
		for _, q := range []string{`SET synchronous_commit = on`, `SET tcp_keepalives_idle = 10`, `SET tcp_keepalives_interval = 5`, `SET tcp_keepalives_count = 3`} {
			if _, err := conn.Exec(ctx, q); err != nil {
				conn.Close(ctx)
				return fmt.Errorf("%w: %v", ErrStore, err)
			}
		}
		s.conn = conn
	}
	var ok bool
	if err := s.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, s.lockKey).Scan(&ok); err != nil {
		s.dropLocked()
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	if !ok {
		var holder string
		var since *time.Time
		err := s.conn.QueryRow(ctx, `SELECT left(holder, $1), since FROM zkcred_registry_writer`, pgMaxHolder).Scan(&holder, &since)
		if err != nil || since == nil {
			return ErrNotWriter
		}
		return fmt.Errorf("%w; writer: %q since %s", ErrNotWriter, holder, since.UTC().Format(time.RFC3339))
	}
	// Taking over: advance the fencing epoch. The row lock makes this wait
	// for any write transaction of a previous writer still in flight.
	var epoch int64
	err := s.conn.QueryRow(ctx, `UPDATE zkcred_registry_writer SET epoch = epoch + 1, holder = $1, since = now() RETURNING epoch`, s.holder).Scan(&epoch)
	if err != nil {
		s.dropLocked()
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	s.held, s.epoch = true, epoch
	return nil
}

// View runs fn in a REPEATABLE READ, read-only transaction on the pool.
func (s *PostgresStore) View(fn func(Tx) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), pgOpTimeout)
	defer cancel()
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	t := &pgTx{ctx: ctx, tx: tx}
	ferr := fn(t)
	if t.err != nil {
		return t.err
	}
	if ferr != nil {
		return ferr
	}
	return tx.Commit(ctx)
}

// Update runs fn in a write transaction on the writer session, taking the
// writer lock first if no instance holds it (else it returns
// [ErrNotWriter]), and commits it if fn returns nil. The transaction first
// checks, under the writer row's lock, that this session still holds the
// lock at its epoch (else [ErrNotWriter], and nothing is written).
func (s *PostgresStore) Update(fn func(Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), pgOpTimeout)
	defer cancel()
	if err := s.claimLocked(ctx); err != nil {
		return err
	}
	err := s.update(ctx, fn)
	if s.conn != nil && s.conn.IsClosed() {
		// The session is gone, and with it the lock.
		s.dropLocked()
	}
	return err
}

func (s *PostgresStore) update(ctx context.Context, fn func(Tx) error) error {
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	// The fence. For a bigint key, pg_locks shows the high half in classid
	// and the low half in objid, with objsubid 1.
	var (
		epoch int64
		holds bool
	)
	err = tx.QueryRow(ctx, `SELECT epoch, EXISTS (SELECT 1 FROM pg_locks
			WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND objsubid = 1
			AND classid::bigint = $1 AND objid::bigint = $2)
		FROM zkcred_registry_writer FOR UPDATE`,
		int64(uint64(s.lockKey)>>32), int64(uint64(s.lockKey)&0xffffffff)).Scan(&epoch, &holds)
	if err != nil {
		return err
	}
	if !holds || epoch != s.epoch {
		// Another instance took over (or the lock was released behind
		// this one's back): give up the session.
		tx.Rollback(ctx)
		s.dropLocked()
		return fmt.Errorf("%w (this instance lost the lock: epoch %d, now %d)", ErrNotWriter, s.epoch, epoch)
	}
	t := &pgTx{ctx: ctx, tx: tx, write: true}
	ferr := fn(t)
	if ferr == nil {
		t.flush()
	}
	if t.err != nil {
		return t.err
	}
	if ferr != nil {
		return ferr
	}
	return tx.Commit(ctx)
}

// pgTx is a [Tx] on a PostgreSQL transaction. Puts are buffered and sent
// in batches, before any read and before commit; the first error sticks
// and fails the transaction.
type pgTx struct {
	ctx     context.Context
	tx      pgx.Tx
	write   bool
	err     error
	pending []pgPut
}

type pgPut struct {
	bucket     string
	key, value []byte
}

func (t *pgTx) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

func (t *pgTx) flush() bool {
	if t.err != nil {
		return false
	}
	if len(t.pending) == 0 {
		return true
	}
	b := &pgx.Batch{}
	for _, p := range t.pending {
		b.Queue(`INSERT INTO zkcred_registry_kv (bucket, key, value) VALUES ($1, $2, $3)
			ON CONFLICT (bucket, key) DO UPDATE SET value = EXCLUDED.value`, p.bucket, p.key, p.value)
	}
	t.pending = t.pending[:0]
	if err := t.tx.SendBatch(t.ctx, b).Close(); err != nil {
		t.fail(err)
		return false
	}
	return true
}

func (t *pgTx) Get(bucket, key []byte) []byte {
	if !t.flush() {
		return nil
	}
	var (
		n int64
		v []byte
	)
	err := t.tx.QueryRow(t.ctx, `SELECT octet_length(value), CASE WHEN octet_length(value) <= $3 THEN value END
		FROM zkcred_registry_kv WHERE bucket = $1 AND key = $2`, string(bucket), key, pgMaxValue).Scan(&n, &v)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		t.fail(err)
		return nil
	case n > pgMaxValue || v == nil:
		t.fail(fmt.Errorf("%w: a value of %d bytes in bucket %q", ErrCorrupt, n, bucket))
		return nil
	}
	return v
}

func (t *pgTx) Put(bucket, key, value []byte) error {
	if !t.write {
		return errors.New("status: Put in a read-only transaction")
	}
	if len(key) > pgMaxKey || len(value) > pgMaxValue {
		return fmt.Errorf("status: key or value too large for bucket %q", bucket)
	}
	t.pending = append(t.pending, pgPut{string(bucket), append([]byte{}, key...), append([]byte{}, value...)})
	if len(t.pending) >= pgFlushAt && !t.flush() {
		return t.err
	}
	return nil
}

func (t *pgTx) ForEach(bucket, from []byte, fn func(k, v []byte) error) error {
	if !t.flush() {
		return t.err
	}
	if from == nil {
		from = []byte{}
	}
	rows, err := t.tx.Query(t.ctx, `SELECT CASE WHEN octet_length(key) <= $3 THEN key END,
			octet_length(value), CASE WHEN octet_length(value) <= $4 THEN value END
		FROM zkcred_registry_kv WHERE bucket = $1 AND key >= $2 ORDER BY key`, string(bucket), from, pgMaxKey, pgMaxValue)
	if err != nil {
		t.fail(err)
		return err
	}
	defer rows.Close()
	var (
		k, v []byte
		n    int64
	)
	for rows.Next() {
		if err := rows.Scan(&k, &n, &v); err != nil {
			t.fail(err)
			return err
		}
		if k == nil || v == nil {
			err := fmt.Errorf("%w: an oversized key or value (%d bytes) in bucket %q", ErrCorrupt, n, bucket)
			t.fail(err)
			return err
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		t.fail(err)
		return err
	}
	return nil
}
