package issuer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zkcred/zkcred/credential/openid4vci"
)

// failingRegister answers the first lookup (CreateOffer), then fails as a
// database would.
type failingRegister struct {
	Register
	calls atomic.Int32
	err   error
}

func (f *failingRegister) Record(ctx context.Context, id string) (Record, error) {
	if f.calls.Add(1) == 1 {
		return f.Register.Record(ctx, id)
	}
	return Record{}, f.err
}

// syncBuffer is a log sink safe for the handler's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func withLog(buf *syncBuffer) func(*Config) {
	return func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// A register failure at issuance (a database outage) is a 500 server_error
// with no description, not a credential_request_denied carrying the
// driver's text (host, user) to the wallet; the full error goes to the
// issuer's log at warn level.
func TestRegisterFailureIsServerError(t *testing.T) {
	dbErr := "failed to connect to `host=10.20.30.40 user=agency_rw database=register`: FATAL: password authentication failed"
	for name, err := range map[string]error{
		"ErrStore":            fmt.Errorf("%w: %s", openid4vci.ErrStore, dbErr),
		"unclassified":        errors.New(dbErr),
		"ErrStore+ErrUnknown": fmt.Errorf("%w: %w: %s", openid4vci.ErrStore, openid4vci.ErrUnknownRecord, dbErr),
	} {
		t.Run(name, func(t *testing.T) {
			m, _ := NewMemoryRegister(citizen("citizen-1"))
			var logs syncBuffer
			e := newEnv(t, &failingRegister{Register: m, err: err}, withLog(&logs))
			ctx := context.Background()
			o, s := e.session(t, "citizen-1")
			if err := e.wallet.Redeem(ctx, s, o.TxCode); err != nil {
				t.Fatal(err)
			}
			_, err := e.wallet.RequestCredential(ctx, s, newSecret(t))
			var se *openid4vci.ServerError
			if !errors.As(err, &se) {
				t.Fatalf("err %v", err)
			}
			if se.Status != 500 || se.Code != "server_error" || se.Description != "" {
				t.Errorf("register failure answered %d %s: %q", se.Status, se.Code, se.Description)
			}
			// A register failure is a store failure: error level.
			if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "10.20.30.40") {
				t.Errorf("register failure not logged at error with its error:\n%s", l)
			}
		})
	}
}

// No refusal tells the wallet the register's data: neither the internal
// record id nor a value, whatever the path (record changed, removed,
// offer already used, bad proof, wrong PIN). The issuer's log has the
// reason but never the value, the PIN or the code.
func TestRefusalsCarryNoRegisterData(t *testing.T) {
	const recordID = "DE-SSN-123-45-6789"
	var logs syncBuffer
	e := newEnv(t, nil, withLog(&logs))
	ctx := context.Background()
	secret := []string{recordID, "123-45-6789"}

	check := func(t *testing.T, err error, wantCode string, values ...string) {
		t.Helper()
		var se *openid4vci.ServerError
		if !errors.As(err, &se) || se.Code != wantCode {
			t.Fatalf("want %s, got %v", wantCode, err)
		}
		for _, s := range append(secret, values...) {
			if strings.Contains(se.Description, s) {
				t.Errorf("%s description leaks %q: %q", wantCode, s, se.Description)
			}
		}
	}
	redeemed := func(t *testing.T, r Record) (*Offer, *openid4vci.Session) {
		t.Helper()
		if err := e.register.Put(r); err != nil {
			t.Fatal(err)
		}
		o, s := e.session(t, r.ID)
		if err := e.wallet.Redeem(ctx, s, o.TxCode); err != nil {
			t.Fatal(err)
		}
		return o, s
	}

	t.Run("value no longer allowed", func(t *testing.T) {
		r := citizen(recordID)
		_, s := redeemed(t, r)
		r.Values["district"] = "99"
		_ = e.register.Put(r)
		_, err := e.wallet.RequestCredential(ctx, s, newSecret(t))
		check(t, err, "credential_request_denied", `"99"`)
	})
	t.Run("value outside the schema", func(t *testing.T) {
		r := citizen(recordID)
		_, s := redeemed(t, r)
		r.Values["residentSince"] = "2015-99-99"
		_ = e.register.Put(r)
		_, err := e.wallet.RequestCredential(ctx, s, newSecret(t))
		check(t, err, "credential_request_denied", "2015-99-99")
	})
	t.Run("date in the future", func(t *testing.T) {
		r := citizen(recordID)
		_, s := redeemed(t, r)
		r.Values["birthDate"] = "2999-01-02"
		_ = e.register.Put(r)
		_, err := e.wallet.RequestCredential(ctx, s, newSecret(t))
		check(t, err, "credential_request_denied", "2999-01-02")
	})
	t.Run("record removed", func(t *testing.T) {
		r := citizen(recordID)
		_, s := redeemed(t, r)
		e.register.mu.Lock()
		delete(e.register.records, recordID)
		e.register.mu.Unlock()
		_, err := e.wallet.RequestCredential(ctx, s, newSecret(t))
		check(t, err, "credential_request_denied")
	})
	t.Run("offer already used", func(t *testing.T) {
		_, s := redeemed(t, citizen(recordID))
		if _, err := e.wallet.RequestCredential(ctx, s, newSecret(t)); err != nil {
			t.Fatal(err)
		}
		_, err := e.wallet.RequestCredential(ctx, s, newSecret(t))
		check(t, err, "credential_request_denied")
	})
	t.Run("wrong PIN", func(t *testing.T) {
		_ = e.register.Put(citizen(recordID))
		o, s := e.session(t, recordID)
		wrong := "000000"
		if o.TxCode == wrong {
			wrong = "111111"
		}
		err := e.wallet.Redeem(ctx, s, wrong)
		check(t, err, "invalid_grant", wrong, o.Offer.Grants.PreAuthorizedCode.Code)
		var se *openid4vci.ServerError
		if errors.As(err, &se) && se.Description != fmt.Sprintf("wrong transaction code (1 of %d tries)", DefaultMaxTxCodeAttempts) {
			t.Errorf("wrong PIN description %q", se.Description)
		}
		if l := logs.String(); strings.Contains(l, o.Offer.Grants.PreAuthorizedCode.Code) || strings.Contains(l, "tx_code="+wrong) {
			t.Errorf("log has the code or PIN:\n%s", l)
		}
	})

	l := logs.String()
	for _, v := range []string{`"99"`, "2015-99-99", "2999-01-02"} {
		if strings.Contains(l, v) {
			t.Errorf("log has attribute value %s:\n%s", v, l)
		}
	}
	if !strings.Contains(l, "level=INFO") || !strings.Contains(l, "credential_request_denied") {
		t.Errorf("refusals not logged at info:\n%s", l)
	}
}
