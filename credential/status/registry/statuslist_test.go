package registry

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
)

// listServer serves whatever token currently holds at /lists/1.
type listServer struct {
	srv   *httptest.Server
	token atomic.Value
	code  atomic.Int32
}

func newListServer(t *testing.T) *listServer {
	s := &listServer{}
	s.code.Store(http.StatusOK)
	s.token.Store("")
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/lists/1" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vc+jwt")
		w.WriteHeader(int(s.code.Load()))
		w.Write([]byte(s.token.Load().(string)))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func TestStatusListEndToEnd(t *testing.T) {
	st, err := OpenBoltStore(filepath.Join(t.TempDir(), "reg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := testConfig()
	cfg.Now = func() time.Time { return testNow }
	reg, err := Open(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ls := newListServer(t)
	listURL := ls.srv.URL + "/lists/1"
	// Two credentials get distinct random indexes.
	e1, err := reg.NewEntry("revocation-1", status.PurposeRevocation, listURL)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := reg.NewEntry("revocation-1", status.PurposeRevocation, listURL)
	if err != nil {
		t.Fatal(err)
	}
	if e1.StatusListIndex == e2.StatusListIndex {
		t.Fatal("index allocated twice")
	}
	// The entry round-trips through a credentialStatus object.
	if pe, err := status.ParseEntry(e1.Object()); err != nil || *pe != *e1 {
		t.Fatalf("entry round trip: %v %+v", err, pe)
	}
	publish := func() {
		t.Helper()
		tok, err := reg.StatusListCredential("revocation-1", status.PurposeRevocation, listURL, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		ls.token.Store(tok)
	}
	check := status.CheckConfig{
		Resolver:              testResolver(t),
		Issuer:                testIssuer,
		AllowHTTP:             true, // httptest.NewServer
		AllowPrivateAddresses: true, // on loopback
		Verify:                credential.VerifyOptions{Clock: func() time.Time { return testNow }},
	}
	ctx := context.Background()

	publish()
	res, err := status.CheckStatus(ctx, check, *e1)
	if err != nil || !res.Valid || res.Status {
		t.Fatalf("fresh list: %+v, %v", res, err)
	}
	// Fail closed: without the expected issuer, or over plain HTTP not
	// explicitly allowed, nothing is checked.
	noIssuer := check
	noIssuer.Issuer = ""
	if _, err := status.CheckStatus(ctx, noIssuer, *e1); !errors.Is(err, status.ErrConfig) {
		t.Errorf("no expected issuer: %v, want status.ErrConfig", err)
	}
	plain := check
	plain.AllowHTTP = false
	if _, err := status.CheckStatus(ctx, plain, *e1); !errors.Is(err, status.ErrStatusRetrieval) {
		t.Errorf("plain http: %v, want status.ErrStatusRetrieval", err)
	}

	i1, _ := status.ParseStatusListIndex(e1.StatusListIndex)
	if err := reg.SetStatus("revocation-1", i1, true); err != nil {
		t.Fatal(err)
	}
	publish()
	res, err = status.CheckStatus(ctx, check, *e1)
	if !errors.Is(err, status.ErrRevoked) || res == nil || res.Valid || !res.Status || res.Index != i1 {
		t.Fatalf("revoked entry: %+v, %v", res, err)
	}
	if res, err := status.CheckStatus(ctx, check, *e2); err != nil || !res.Valid {
		t.Fatalf("other entry: %+v, %v", res, err)
	}
	// The same bit read as a suspension is a suspension.
	bits, _ := reg.StatusBits("revocation-1")
	if set, _ := status.ListBit(bits, i1); !set {
		t.Fatal("bit not stored")
	}

	// Failures.
	cases := map[string]struct {
		entry status.Entry
		setup func()
		want  error
	}{
		"index out of range": {status.Entry{StatusPurpose: status.PurposeRevocation, StatusListIndex: "131072", StatusListCredential: listURL}, nil, status.ErrOutOfRange},
		"index not digits":   {status.Entry{StatusPurpose: status.PurposeRevocation, StatusListIndex: "-1", StatusListCredential: listURL}, nil, status.ErrMalformedList},
		"purpose mismatch":   {status.Entry{StatusPurpose: status.PurposeSuspension, StatusListIndex: "5", StatusListCredential: listURL}, nil, status.ErrStatusVerification},
		"list id mismatch":   {status.Entry{StatusPurpose: status.PurposeRevocation, StatusListIndex: "5", StatusListCredential: listURL + "?x"}, nil, status.ErrStatusVerification},
		"not found":          {status.Entry{StatusPurpose: status.PurposeRevocation, StatusListIndex: "5", StatusListCredential: ls.srv.URL + "/lists/2"}, nil, status.ErrStatusRetrieval},
		"not http":           {status.Entry{StatusPurpose: status.PurposeRevocation, StatusListIndex: "5", StatusListCredential: "file:///etc/passwd"}, nil, status.ErrStatusRetrieval},
		"server error":       {*e1, func() { ls.code.Store(http.StatusInternalServerError) }, status.ErrStatusRetrieval},
		"oversize body":      {*e1, func() { ls.token.Store(strings.Repeat("a", credential.MaxCredentialSize+10)) }, status.ErrStatusRetrieval},
		"tampered token": {*e1, func() {
			tok, _ := reg.StatusListCredential("revocation-1", status.PurposeRevocation, listURL, time.Hour)
			parts := strings.Split(tok, ".")
			ls.token.Store(parts[0] + "." + parts[1] + "." + flip(parts[2]))
		}, status.ErrStatusVerification},
		"expired list": {*e1, func() {
			tok, _ := reg.StatusListCredential("revocation-1", status.PurposeRevocation, listURL, time.Second)
			ls.token.Store(tok)
		}, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ls.code.Store(http.StatusOK)
			publish()
			if tc.setup != nil {
				tc.setup()
			}
			c := check
			want := tc.want
			if name == "expired list" {
				c.Verify.Clock = func() time.Time { return testNow.Add(time.Hour) }
				want = status.ErrStatusVerification
			}
			res, err := status.CheckStatus(ctx, c, tc.entry)
			if !errors.Is(err, want) || res != nil {
				t.Fatalf("got %+v, %v; want %v", res, err, want)
			}
		})
	}
	// Pinned issuer differs.
	ls.code.Store(http.StatusOK)
	publish()
	c := check
	c.Issuer = "did:example:other"
	if _, err := status.CheckStatus(ctx, c, *e2); !errors.Is(err, status.ErrStatusVerification) {
		t.Fatalf("issuer pin: %v", err)
	}

	// Suspension lists clear bits again.
	es, err := reg.NewEntry("suspension-1", status.PurposeSuspension, listURL)
	if err != nil {
		t.Fatal(err)
	}
	is, _ := status.ParseStatusListIndex(es.StatusListIndex)
	for _, v := range []bool{true, false} {
		if err := reg.SetStatus("suspension-1", is, v); err != nil {
			t.Fatal(err)
		}
		tok, err := reg.StatusListCredential("suspension-1", status.PurposeSuspension, listURL, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		ls.token.Store(tok)
		res, err := status.CheckStatus(ctx, check, *es)
		if v && !errors.Is(err, status.ErrSuspended) || !v && err != nil || res == nil || res.Status != v {
			t.Fatalf("suspension %v: %+v, %v", v, res, err)
		}
	}
	if err := reg.SetStatus("suspension-1", status.MinStatusListBits, true); !errors.Is(err, status.ErrOutOfRange) {
		t.Fatalf("set beyond the list: %v", err)
	}
}

func flip(s string) string {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	b[0] ^= 1
	return base64.RawURLEncoding.EncodeToString(b)
}
