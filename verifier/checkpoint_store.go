package verifier

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	bolt "go.etcd.io/bbolt"
)

// CheckpointStore keeps, per issuer, the latest revocation-log checkpoint
// a verifier accepted (a signed note with its witness cosignatures, as
// received), so that every instance sharing the store checks each new
// checkpoint for consistency with the same one: an issuer showing one
// verifier instance a fork of what another saw is caught. [BoltStore] and
// [PostgresStore] implement it; a [Config] with a [LogPolicy] needs a Store
// that does.
//
// Layout: bbolt bucket "checkpoints" (issuer DID -> note bytes), created
// on first write; PostgreSQL table
//
//	zkcred_checkpoints(issuer text PRIMARY KEY, note bytea NOT NULL)
//
// created with the rest of the schema. Both are additions to the store
// layouts of version 2 (an older binary ignores them). An issuer's keys
// log's checkpoint is kept under the issuer's DID followed by
// "#keys-log" (a DID URL, never a DID).
type CheckpointStore interface {
	// LatestCheckpoint returns the checkpoint stored for issuer, or nil
	// and no error if none was.
	LatestCheckpoint(ctx context.Context, issuer string) ([]byte, error)
	// AdvanceCheckpoint replaces issuer's checkpoint with next if the
	// stored one is still prev (nil: none stored), atomically; otherwise
	// it changes nothing and returns an error wrapping
	// [ErrCheckpointChanged] (another instance advanced it meanwhile: read
	// it again and recheck).
	AdvanceCheckpoint(ctx context.Context, issuer string, prev, next []byte) error
}

// ErrCheckpointChanged is returned by [CheckpointStore.AdvanceCheckpoint]
// when the stored checkpoint is no longer the one the caller checked
// against.
var ErrCheckpointChanged = errors.New("verifier: stored checkpoint changed meanwhile")

// maxStoredCheckpoint bounds a stored checkpoint note.
const maxStoredCheckpoint = 64 << 10

var bucketCheckpoints = []byte("checkpoints")

var (
	_ CheckpointStore = (*BoltStore)(nil)
	_ CheckpointStore = (*PostgresStore)(nil)
)

func checkCheckpointArgs(issuer string, next []byte) error {
	if issuer == "" || len(issuer) > maxIssuerLen {
		return fmt.Errorf("%w: checkpoint issuer empty or too long", ErrStaleRoot)
	}
	if len(next) == 0 || len(next) > maxStoredCheckpoint {
		return fmt.Errorf("%w: checkpoint empty or larger than %d bytes", ErrStaleRoot, maxStoredCheckpoint)
	}
	return nil
}

// LatestCheckpoint implements [CheckpointStore].
func (s *BoltStore) LatestCheckpoint(ctx context.Context, issuer string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStore, err)
	}
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketCheckpoints); b != nil {
			out = bytes.Clone(b.Get([]byte(issuer)))
		}
		return nil
	})
	if err != nil {
		return nil, storeErr("bbolt", err)
	}
	return out, nil
}

// AdvanceCheckpoint implements [CheckpointStore]: bbolt serializes
// writers, so the comparison and the write are one transaction.
func (s *BoltStore) AdvanceCheckpoint(ctx context.Context, issuer string, prev, next []byte) error {
	if err := checkCheckpointArgs(issuer, next); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketCheckpoints)
		if err != nil {
			return err
		}
		if !bytes.Equal(b.Get([]byte(issuer)), prev) {
			return ErrCheckpointChanged
		}
		return b.Put([]byte(issuer), bytes.Clone(next))
	})
	if errors.Is(err, ErrCheckpointChanged) {
		return err
	}
	return storeErr("bbolt", err)
}

// pgCheckpointTable is the checkpoint table of the PostgreSQL schema.
const pgCheckpointTable = `CREATE TABLE IF NOT EXISTS zkcred_checkpoints (
		issuer text PRIMARY KEY,
		note   bytea NOT NULL
	)`

// LatestCheckpoint implements [CheckpointStore].
func (s *PostgresStore) LatestCheckpoint(ctx context.Context, issuer string) ([]byte, error) {
	var note []byte
	err := s.pool.QueryRow(ctx, `SELECT note FROM zkcred_checkpoints WHERE issuer = $1`, issuer).Scan(&note)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, storeErr("postgres", err)
	}
	return note, nil
}

// AdvanceCheckpoint implements [CheckpointStore] with one conditional
// statement (an INSERT that does nothing on conflict, or an UPDATE whose
// WHERE names the previous note): the row lock serializes concurrent
// advances and only the one that saw the current note wins.
func (s *PostgresStore) AdvanceCheckpoint(ctx context.Context, issuer string, prev, next []byte) error {
	if err := checkCheckpointArgs(issuer, next); err != nil {
		return err
	}
	var q string
	args := []any{issuer, next}
	if len(prev) == 0 {
		q = `INSERT INTO zkcred_checkpoints (issuer, note) VALUES ($1, $2) ON CONFLICT (issuer) DO NOTHING`
	} else {
		q = `UPDATE zkcred_checkpoints SET note = $2 WHERE issuer = $1 AND note = $3`
		args = append(args, prev)
	}
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return storeErr("postgres", err)
	}
	if tag.RowsAffected() != 1 {
		return ErrCheckpointChanged
	}
	return nil
}
