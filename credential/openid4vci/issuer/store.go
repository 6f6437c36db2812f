package issuer

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
	bolt "go.etcd.io/bbolt"

	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/did/strictjson"
)

// The issuer's state store, a bbolt file (Config.StorePath), layout
// version 1. Pre-authorized codes and access tokens are keyed by their
// SHA-256 only, and a transaction code is kept as SHA-256(offer id ‖ 0 ‖
// code). The file is still sensitive: an outstanding offer's JSON (its
// pre-authorized code included) is kept until it is redeemed, to serve it
// by reference, and a short numeric transaction code is quickly found from
// its hash; whoever copies the file can redeem outstanding offers.
//
//	meta    "version" → 0x01; "nonce-key" → 32 random bytes (c_nonce MAC key)
//	offers  offer id → offerState (JSON)
//	codes   SHA-256(pre-authorized code) → offer id
//	tokens  SHA-256(access token) → tokenState (JSON)
//	nonces  SHA-256(c_nonce) → expiry (8 bytes, Unix seconds): used nonces
//	issued  SHA-256(proof JWT) → Issuance (JSON)
//
// Expired access tokens and used nonces are swept a few at a time by each
// insertion (see sweep).
var (
	bucketMeta   = []byte("meta")
	bucketOffers = []byte("offers")
	bucketCodes  = []byte("codes")
	bucketTokens = []byte("tokens")
	bucketNonces = []byte("nonces")
	bucketIssued = []byte("issued")
	allBuckets   = [][]byte{bucketMeta, bucketOffers, bucketCodes, bucketTokens, bucketNonces, bucketIssued}
)

const storeVersion = 1

// offerState is an offer as the issuer keeps it.
type offerState struct {
	RecordID  string    `json:"recordId"`
	TxHash    []byte    `json:"txHash,omitempty"` // SHA-256(offer id ‖ 0 ‖ tx code)
	Expires   time.Time `json:"expires"`
	Attempts  int       `json:"attempts"`
	Locked    bool      `json:"locked,omitempty"`
	Redeemed  bool      `json:"redeemed,omitempty"`
	Claim     []byte    `json:"claim,omitempty"` // SHA-256 of the proof JWT being issued for
	Issued    bool      `json:"issued,omitempty"`
	OfferJSON []byte    `json:"offer"` // served by reference until redeemed
}

// tokenState is an access token as the issuer keeps it.
type tokenState struct {
	OfferID string    `json:"offerId"`
	Expires time.Time `json:"expires"`
}

// Issuance is the durable record of one issued credential, kept in the
// issuer's state store under the hash of the proof JWT it answered.
type Issuance struct {
	OfferID      string    `json:"offerId"`
	RecordID     string    `json:"recordId"`
	CredentialID string    `json:"credentialId"` // the VC's id, a urn:uuid
	RevocationID uint64    `json:"revocationId"`
	StatusIndex  string    `json:"statusIndex,omitempty"` // Bitstring Status List index, if any
	IssuedAt     time.Time `json:"issuedAt"`
	// Pending is true between the claim and the signature: a crash there
	// leaves a pending issuance whose revocation id was drawn but whose
	// credential was never delivered.
	Pending    bool            `json:"pending,omitempty"`
	Credential json.RawMessage `json:"credential,omitempty"` // the stored credential, as sent
}

func hashOf(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func openStore(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", openid4vci.ErrStore, path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		m := tx.Bucket(bucketMeta)
		if v := m.Get([]byte("version")); v == nil {
			if err := m.Put([]byte("version"), []byte{storeVersion}); err != nil {
				return err
			}
		} else if len(v) != 1 || v[0] != storeVersion {
			return fmt.Errorf("store version %v, want %d", v, storeVersion)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: %s: %w", openid4vci.ErrStore, path, err)
	}
	return db, nil
}

// getJSON reads an entry written by putJSON, with did/strictjson: a
// duplicate, unknown or case-variant member is a corrupt entry, as
// encoding/json would let the last duplicate win and match names
// case-insensitively.
func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := strictjson.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("%w: corrupt entry: %v", openid4vci.ErrStore, err)
	}
	return true, nil
}

// putJSON writes v as JSON with go-json-experiment/json, which refuses
// invalid UTF-8 where encoding/json would silently replace it with U+FFFD
// (an offer for record "x\xff" would then issue record "x\ufffd"). The
// options keep the bytes encoding/json wrote for valid data (layout
// version 1): legacy omitempty, nil slices as null, HTML and JS escaping.
func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := marshalState(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

func marshalState(v any) ([]byte, error) {
	return jsonv2.Marshal(v, jsonv2.Deterministic(true), jsonv2.FormatNilSliceAsNull(true), jsonv2.FormatNilMapAsNull(true),
		jsontext.EscapeForHTML(true), jsontext.EscapeForJS(true), jsonv1.OmitEmptyWithLegacySemantics(true))
}

// sweep examines up to 16 entries of b from key start on (keys are
// SHA-256 hashes, so start, a fresh hash, is a uniformly random point) and
// deletes those expired says are dead. Every insertion sweeps once, so the
// expired entries of the buckets of used nonces and access tokens stay a
// bounded fraction instead of growing forever.
func sweep(b *bolt.Bucket, start []byte, expired func(v []byte) bool) {
	c := b.Cursor()
	var dead [][]byte
	k, v := c.Seek(start)
	for i := 0; i < 16; i++ {
		if k == nil {
			k, v = c.First()
			if k == nil {
				break
			}
		}
		if expired(v) {
			dead = append(dead, append([]byte(nil), k...))
		}
		k, v = c.Next()
	}
	for _, k := range dead {
		_ = b.Delete(k)
	}
}

// nonceExpired reads a used-nonce entry.
func nonceExpired(now time.Time) func([]byte) bool {
	return func(v []byte) bool { return len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < now.Unix() }
}

// tokenExpired reads an access-token entry.
func tokenExpired(now time.Time) func([]byte) bool {
	return func(v []byte) bool {
		var t tokenState
		return strictjson.Unmarshal(v, &t) == nil && t.Expires.Before(now)
	}
}
