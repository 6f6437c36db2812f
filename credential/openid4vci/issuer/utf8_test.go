package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/zkcred/zkcred/credential/openid4vci"
)

// encoding/json replaces invalid UTF-8 with U+FFFD: had the offer state
// kept record id "x\xff" that way, the offer would issue record "x\ufffd"
// (another citizen). Such ids are refused by the register, the back office
// and the state store alike.
func TestRecordIDInvalidUTF8Refused(t *testing.T) {
	if _, err := NewMemoryRegister(citizen("x\xff")); !errors.Is(err, openid4vci.ErrConfig) {
		t.Errorf("NewMemoryRegister: %v", err)
	}
	e := newEnv(t, nil, nil)
	if err := e.register.Put(citizen("x\ufffd")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.is.CreateOffer(context.Background(), "x\xff"); !errors.Is(err, openid4vci.ErrUnknownRecord) {
		t.Errorf("CreateOffer: %v", err)
	}
	db, err := openStore(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketOffers), []byte("o"), offerState{RecordID: "x\xff"})
	}); err == nil {
		t.Error("putJSON stored invalid UTF-8")
	}
}

// The state store's entries are byte for byte what encoding/json wrote
// (store layout version 1) for valid data, and read back with
// did/strictjson.
func TestStateEncodingUnchanged(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, v := range []any{
		&offerState{RecordID: "a<b>&\u2028c", TxHash: []byte{1, 2}, Expires: now, OfferJSON: []byte(`{"x":1}`)},
		&offerState{RecordID: "x", Expires: now, Attempts: 3, Locked: true, Redeemed: true, Claim: []byte{9}, Issued: true},
		&offerState{},
		&tokenState{OfferID: "o", Expires: now},
		&Issuance{OfferID: "o", RecordID: "r", CredentialID: "urn:uuid:x", RevocationID: 1 << 60, StatusIndex: "7", IssuedAt: now, Pending: true},
		&Issuance{OfferID: "o", Credential: json.RawMessage(`{"a":"<&>"}`)},
		&Issuance{},
	} {
		want, _ := json.Marshal(v)
		got, err := marshalState(v)
		if err != nil || string(got) != string(want) {
			t.Errorf("encoding/json %s\nstate store    %s %v", want, got, err)
		}
		db, err := openStore(filepath.Join(t.TempDir(), "s.db"))
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(func(tx *bolt.Tx) error {
			if err := putJSON(tx.Bucket(bucketOffers), []byte("k"), v); err != nil {
				return err
			}
			_, err := getJSON(tx.Bucket(bucketOffers), []byte("k"), v)
			return err
		})
		db.Close()
		if err != nil {
			t.Errorf("%T round trip: %v", v, err)
		}
	}
}
